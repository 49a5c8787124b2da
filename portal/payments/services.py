"""Verbs of the finance desk: record a bank remittance against milestones, register a letter
of credit for an order. Each checks everything, then writes in one transaction and commits
once; bad input is refused with a message and nothing is written.

Remittances are recorded under the account's lock (ordering.credit.lock_account), the one
that also serialises placing orders and releasing them, so two remittances recorded at the
same moment cannot both pay the last of a milestone (SECURITY.md 36).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import KeyAccount, User
from portal.contracts.services import today_for
from portal.contracts.terms import term_text
from portal.core import audit
from portal.core.dates import format_day
from portal.core.db import utcnow
from portal.core.errors import ServiceError
from portal.core.hooks import run_hook
from portal.core.invoice_numbers import invoice_number
from portal.core.money import CURRENCIES, format_money, quantize
from portal.extensions import db
from portal.notifications.services import later, notify
from portal.ordering.credit import lock_account
from portal.ordering.gate import letter_of_credit_failures
from portal.ordering.lifecycle import OPEN_STATUSES, is_payable, status_label
from portal.ordering.models import LetterOfCredit, Milestone, Order
from portal.payments.models import Payment, PaymentAllocation
from portal.payments.queries import active_finance_ids

# Bank remittances


@dataclass(frozen=True)
class Remittance:
    """A bank transfer as finance reads it off the statement, and how they split it."""

    amount: Decimal
    received_on: date
    reference: str
    #: milestone id -> the part of the amount that pays it.
    allocations: dict[int, Decimal] = field(default_factory=dict)
    note: str = ""


def normalise_reference(reference: str) -> str:
    """A bank reference compared as banks do: case and spacing do not matter."""
    return " ".join(reference.split()).upper()


def record_remittance(actor: User, account: KeyAccount, remittance: Remittance) -> Payment:
    """Record a bank transfer from `account` and pay the milestones it names with it.

    The parts must add up to the amount exactly; each milestone must belong to the account,
    be in the payment's currency and have at least its part unpaid (partial payments are
    fine); the reference must be new for the account; the date must not lie ahead.
    """
    reference = normalise_reference(remittance.reference)
    _check_remittance(account, remittance, reference)
    lock_account(account.id)
    payment = pay_milestones(
        actor,
        account,
        remittance.allocations,
        amount=remittance.amount,
        received_on=remittance.received_on,
        reference=reference,
        note=remittance.note,
    )
    audit.record(
        actor,
        "payment.bank_transfer",
        f"account:{account.slug}",
        {
            "reference": (None, reference),
            "amount": (None, f"{remittance.amount} {payment.currency}"),
            **{
                f"milestone:{milestone_id}": (None, part)
                for milestone_id, part in sorted(remittance.allocations.items())
            },
        },
        remittance.note.strip(),
    )
    db.session.commit()
    return payment


def pay_milestones(
    actor: User,
    account: KeyAccount,
    allocations: dict[int, Decimal],
    *,
    amount: Decimal,
    received_on: date,
    reference: str,
    note: str,
    currency: str | None = None,
) -> Payment:
    """Pay the account's milestones with a bank transfer, `allocations` saying how much of
    each: every milestone the account's, in one currency (`currency`, where the transfer's is
    known), with at least its part unpaid; the reference new for the account. Writes the
    payment and applies it; the caller has locked the account, and audits and commits."""
    milestones = _milestones_of(account, allocations)
    found = _one_currency(milestones)
    if currency is not None and found != currency:
        raise ServiceError(
            _("The line is in %(currency)s: choose payments in %(currency)s.", currency=currency)
        )
    _check_amount(amount, found, "amount")
    for milestone in milestones:
        _check_part(milestone, allocations[milestone.id])
    if _reference_taken(account.id, reference):
        raise ServiceError(_duplicate_text(reference), "reference")
    payment = Payment(
        account_id=account.id,
        method="bank_transfer",
        currency=found,
        amount=amount,
        received_on=received_on,
        reference=reference,
        recorded_by_id=actor.id,
        note=note.strip(),
    )
    db.session.add(payment)
    try:
        db.session.flush()
    except IntegrityError:
        # Should the lock ever be bypassed, the unique constraint still refuses the double.
        db.session.rollback()
        raise ServiceError(_duplicate_text(reference), "reference") from None
    apply_payment(payment, [(m, allocations[m.id]) for m in milestones])
    return payment


def apply_payment(
    payment: Payment, parts: list[tuple[Milestone, Decimal]], *, tell: bool = True
) -> None:
    """Split a flushed payment over milestones: one allocation each, and each milestone's
    `paid_amount` kept the sum of its allocations. The one way money pays a milestone, for
    remittances and card payments alike; the caller holds `lock_account` and commits. With
    `tell=False` the caller tells the buyers itself (a bank statement: one notice per account
    for all its payments, payments.statement_services)."""
    for milestone, part in parts:
        db.session.add(
            PaymentAllocation(
                account_id=payment.account_id,
                payment_id=payment.id,
                milestone_id=milestone.id,
                amount=part,
            )
        )
        milestone.paid_amount = milestone.paid_amount + part
    # The customer's webhooks (portal.api), however the money came.
    run_hook("payment.received", payment=payment, parts=parts)
    if tell:
        _tell_payment_received(payment, parts)


def _tell_payment_received(payment: Payment, parts: list[tuple[Milestone, Decimal]]) -> None:
    """A notice and an e-mail to the buyers whose orders it pays, and to finance."""
    account = db.session.get(KeyAccount, payment.account_id)
    orders = {
        order.id: order
        for order in db.session.scalars(
            sa.select(Order).where(Order.id.in_({m.order_id for m, _part in parts}))
        )
    }
    facts = {
        "account_name": account.name,
        "amount": later(format_money, payment.amount, payment.currency),
        "reference": payment.reference,
        "received_on": later(format_day, payment.received_on),
        "parts": [
            (
                invoice_number(orders[m.order_id].number, m.position),
                later(term_text, m.label),
                later(format_money, part, payment.currency),
            )
            for m, part in parts
        ],
    }
    key = f"payment-received:{payment.id}"
    text = _l(
        "Payment of %(amount)s received from %(name)s. Thank you.",
        amount=facts["amount"],
        name=account.name,
    )
    buyers = sorted({o.placed_by_id for o in orders.values() if o.placed_by_id is not None})
    link = f"/a/{account.slug}/invoices"
    notify(buyers, text, link, email="payment_received", dedupe_key=key, **facts)
    notify(
        active_finance_ids(),
        text,
        f"/staff/finance?account={account.slug}",
        email="payment_received",
        dedupe_key=key,
        **facts,
    )


def _check_remittance(account: KeyAccount, remittance: Remittance, reference: str) -> None:
    """What can be checked before the lock: the form's own values."""
    if not reference:
        raise ServiceError(_("Give the bank's reference of the transfer."), "reference")
    if len(reference) > 60:
        raise ServiceError(_("A bank reference has at most 60 characters."), "reference")
    if remittance.received_on > today_for(account):
        raise ServiceError(_("The date received cannot lie in the future."), "received_on")
    if remittance.amount <= 0:
        raise ServiceError(_("The amount received must be more than zero."), "amount")
    parts = remittance.allocations
    if not parts:
        raise ServiceError(_("Say which payments the transfer pays, and how much of each."))
    if any(part <= 0 for part in parts.values()):
        raise ServiceError(_("Each part must be more than zero; leave the others empty."))
    if sum(parts.values(), Decimal(0)) != remittance.amount:
        raise ServiceError(
            _(
                "The parts add up to %(sum)s, not to the %(amount)s received.",
                sum=format_decimal(sum(parts.values(), Decimal(0)), format="#,##0.00"),
                amount=format_decimal(remittance.amount, format="#,##0.00"),
            ),
            "amount",
        )


def _milestones_of(account: KeyAccount, parts: dict[int, Decimal]) -> list[Milestone]:
    """The named milestones as they are now (after the lock), all of the account's orders
    that can still be paid, or a refusal."""
    rows = db.session.execute(
        sa.select(Milestone, Order)
        .join(Order, Order.id == Milestone.order_id)
        .where(Milestone.id.in_(list(parts)), Milestone.account_id == account.id)
        .order_by(Milestone.due_on, Milestone.id)
        .execution_options(populate_existing=True)
    ).all()
    if len(rows) != len(parts):
        raise ServiceError(_("Choose payments of this account's orders only."))
    for _milestone, order in rows:
        if not is_payable(order):
            raise ServiceError(
                _(
                    "Order %(number)s is %(status)s: nothing to pay.",
                    number=order.number,
                    status=status_label(order.status),
                )
            )
    return [milestone for milestone, _order in rows]


def _one_currency(milestones: list[Milestone]) -> str:
    currencies = {m.currency for m in milestones}
    if len(currencies) != 1:
        raise ServiceError(
            _(
                "A transfer is in one currency: record one for each of %(list)s.",
                list=", ".join(sorted(currencies)),
            )
        )
    return currencies.pop()


def _check_amount(amount: Decimal, currency: str, field_name: str | None) -> None:
    if amount != quantize(amount, currency):
        raise ServiceError(
            _("Amounts in %(currency)s have at most the currency's decimals.", currency=currency),
            field_name,
        )


def _check_part(milestone: Milestone, part: Decimal) -> None:
    _check_amount(part, milestone.currency, None)
    unpaid = milestone.amount - milestone.paid_amount
    if part > unpaid:
        raise ServiceError(
            _(
                "%(label)s has only %(unpaid)s unpaid; %(part)s would pay it beyond its amount.",
                label=term_text(milestone.label),
                unpaid=format_money(unpaid, milestone.currency),
                part=format_money(part, milestone.currency),
            )
        )


def _reference_taken(account_id: int, reference: str) -> bool:
    return (
        db.session.scalar(
            sa.select(Payment.id).where(
                Payment.account_id == account_id,
                Payment.method == "bank_transfer",
                Payment.reference == reference,
            )
        )
        is not None
    )


def _duplicate_text(reference: str) -> str:
    return _(
        "A transfer with the reference %(reference)s is already recorded for this account.",
        reference=reference,
    )


# Letters of credit


@dataclass(frozen=True)
class LetterOfCreditDetails:
    """A letter of credit as the issuing bank's advice reads."""

    issuing_bank: str
    number: str
    currency: str
    amount: Decimal
    expires_on: date
    latest_shipment_on: date
    required_documents: str


def letter_of_credit_refusal(order: Order) -> str | None:
    """Why no letter of credit can be registered for the order, or None when one can."""
    if not order.needs_letter_of_credit:
        return _(
            "Order %(number)s is not under letter-of-credit terms: there is nothing to register.",
            number=order.number,
        )
    if order.status not in OPEN_STATUSES:
        return _(
            "Order %(number)s is %(status)s: there is nothing to register.",
            number=order.number,
            status=status_label(order.status),
        )
    return None


def register_letter_of_credit(
    actor: User, order: Order, details: LetterOfCreditDetails
) -> LetterOfCredit:
    """Register a bank's letter of credit for an order under letter-of-credit terms. Whether
    it opens the release gate (currency, amount, dates) is the gate's to say."""
    if (refusal := letter_of_credit_refusal(order)) is not None:
        raise ServiceError(refusal)
    account = db.session.get(KeyAccount, order.account_id)
    today = today_for(account)
    values = _checked_letter(details, today)
    lock_account(order.account_id)
    if _letter_taken(values["issuing_bank"], values["number"]):
        raise ServiceError(_letter_duplicate_text(values), "number")
    letter = LetterOfCredit(
        account_id=order.account_id, order_id=order.id, registered_by_id=actor.id, **values
    )
    db.session.add(letter)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ServiceError(_letter_duplicate_text(values), "number") from None
    audit.record(
        actor,
        "order.letter_of_credit",
        f"order:{order.number}",
        {
            "letter_of_credit": (None, f"{values['issuing_bank']} {values['number']}"),
            "amount": (None, f"{values['amount']} {values['currency']}"),
            "expires_on": (None, values["expires_on"].isoformat()),
            "latest_shipment_on": (None, values["latest_shipment_on"].isoformat()),
        },
    )
    db.session.commit()
    return letter


def letter_of_credit_shortfalls(order: Order, letter: LetterOfCredit) -> list[str]:
    """Why the registered letter does not cover the order (too small, another currency,
    expired, shipment date passed, void), in words; empty when it covers it."""
    account = db.session.get(KeyAccount, order.account_id)
    return letter_of_credit_failures(order, letter, today_for(account))


def amend_letter_of_credit(
    actor: User, order: Order, letter: LetterOfCredit, details: LetterOfCreditDetails
) -> list[str]:
    """The bank amended the letter (amount, dates, documents...): the registration says what
    the amendment says, checked as at registration, each change audited. Returns its
    shortfalls, as `letter_of_credit_shortfalls`."""
    if (refusal := letter_of_credit_refusal(order)) is not None:
        raise ServiceError(refusal)
    if letter.is_void:
        raise ServiceError(_("A void letter of credit is not amended: register a new one."))
    account = db.session.get(KeyAccount, order.account_id)
    values = _checked_letter(details, today_for(account))
    lock_account(order.account_id)
    db.session.refresh(letter)
    if (values["issuing_bank"], values["number"]) != (letter.issuing_bank, letter.number) and (
        _letter_taken(values["issuing_bank"], values["number"])
    ):
        raise ServiceError(_letter_duplicate_text(values), "number")
    changes = audit.diff(letter, values)
    if not changes:
        raise ServiceError(_("Nothing was changed."))
    audit.record(actor, "order.letter_of_credit_amended", f"order:{order.number}", changes)
    shortfalls = letter_of_credit_shortfalls(order, letter)
    db.session.commit()
    return shortfalls


def void_letter_of_credit(actor: User, order: Order, letter: LetterOfCredit, reason: str) -> None:
    """The letter no longer counts (the bank cancelled it, or it was registered in error); it
    stays on record, with why."""
    reason = reason.strip()
    if not reason:
        raise ServiceError(_("Say why the letter of credit is void."), "reason")
    lock_account(order.account_id)
    db.session.refresh(letter)
    if letter.is_void:
        raise ServiceError(_("This letter of credit is void already."))
    letter.voided_at = utcnow()
    letter.void_reason = reason
    audit.record(
        actor,
        "order.letter_of_credit_voided",
        f"order:{order.number}",
        {"letter_of_credit": (f"{letter.issuing_bank} {letter.number}", None)},
        reason,
    )
    db.session.commit()


def _checked_letter(details: LetterOfCreditDetails, today: date) -> dict:
    bank = " ".join(details.issuing_bank.split())
    number = normalise_reference(details.number)
    documents = details.required_documents.strip()
    if not bank or len(bank) > 120:
        raise ServiceError(_("Name the issuing bank, in at most 120 characters."), "issuing_bank")
    if not number or len(number) > 60:
        raise ServiceError(
            _("Give the letter of credit's number, in at most 60 characters."), "number"
        )
    if details.currency not in CURRENCIES:
        raise ServiceError(_("Choose the letter of credit's currency."), "currency")
    if details.amount <= 0:
        raise ServiceError(_("The amount must be more than zero."), "amount")
    _check_amount(details.amount, details.currency, "amount")
    if details.expires_on < today:
        raise ServiceError(
            _("This letter of credit has expired already: check the expiry date."), "expires_on"
        )
    if details.latest_shipment_on < today:
        raise ServiceError(_("The latest shipment date has passed already."), "latest_shipment_on")
    if details.latest_shipment_on > details.expires_on:
        raise ServiceError(
            _("The latest shipment date comes after the expiry date: check both."),
            "latest_shipment_on",
        )
    if not documents:
        raise ServiceError(
            _("List the documents the bank requires for payment."), "required_documents"
        )
    return {
        "issuing_bank": bank,
        "number": number,
        "currency": details.currency,
        "amount": details.amount,
        "expires_on": details.expires_on,
        "latest_shipment_on": details.latest_shipment_on,
        "required_documents": documents,
    }


def _letter_taken(bank: str, number: str) -> bool:
    return (
        db.session.scalar(
            sa.select(LetterOfCredit.id).where(
                LetterOfCredit.issuing_bank == bank, LetterOfCredit.number == number
            )
        )
        is not None
    )


def _letter_duplicate_text(values: dict) -> str:
    return _(
        "Letter of credit %(number)s of %(bank)s is registered already.",
        number=values["number"],
        bank=values["issuing_bank"],
    )
