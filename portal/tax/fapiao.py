"""Fapiao: the verbs. An account's invoicing details kept and verified; the fapiao type chosen
at checkout checked against what the account may use; fapiao finance issued recorded against
an invoice; a red-letter fapiao asked for when the order is cancelled (and its money refunded)
and recorded when finance issued it. Each verb audits and commits (or, for the checkout and the
cancellation, writes in the caller's transaction)."""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import KeyAccount, User
from portal.core import audit
from portal.core.dates import format_day
from portal.core.db import utcnow
from portal.core.errors import ServiceError
from portal.core.money import Money, decimals_problem, format_money
from portal.core.permissions import FINANCE
from portal.core.versioning import Conflict, check_version, commit
from portal.extensions import db
from portal.notifications.services import later, notify
from portal.tax.fapiao_models import (
    FAPIAO_TYPES,
    ISSUED,
    RED_LETTER_ISSUED,
    RED_LETTER_NEEDED,
    SPECIAL,
    FapiaoDetails,
    IssuedFapiao,
)
from portal.tax.fapiao_queries import details_of
from portal.tax.taxpayer_ids import read_taxpayer_id, taxpayer_id_problem

#: The details a customer admin keeps; editing any of them after verification unverifies.
DETAIL_FIELDS = (
    "invoice_title",
    "taxpayer_id",
    "registered_address",
    "registered_phone",
    "bank_name",
    "bank_account",
)
#: What staff set besides: which types the account may use.
TYPE_FIELDS = tuple(f"is_{t}_allowed" for t in FAPIAO_TYPES)
#: The currency of accounts that are issued fapiao; others (export accounts) choose none.
FAPIAO_CURRENCY = "CNY"
#: Where finance finds the red-letter fapiao to issue.
RED_LETTER_PAGE = "/staff/finance/red-letter-fapiao"


def target(account: KeyAccount) -> str:
    """The audit target of an account's fapiao details."""
    return f"fapiao_details:{account.slug}"


# Details kept and verified


def save_details(
    actor: User,
    account: KeyAccount,
    values: dict,
    expected_version: int | None,
    *,
    may_set_types: bool = False,
) -> FapiaoDetails:
    """Save the account's details (`values`: DETAIL_FIELDS, and TYPE_FIELDS when
    `may_set_types`); a change of a detail makes verified details unverified. Lost updates are
    refused (Conflict); so is a taxpayer number that is no unified social credit code."""
    fields = DETAIL_FIELDS + (TYPE_FIELDS if may_set_types else ())
    cleaned = {name: values[name] for name in fields if name in values}
    for name in DETAIL_FIELDS:
        if name in cleaned:
            cleaned[name] = (cleaned[name] or "").strip()
    cleaned["taxpayer_id"] = read_taxpayer_id(cleaned.get("taxpayer_id"))
    if (problem := taxpayer_id_problem(cleaned["taxpayer_id"])) is not None:
        raise ServiceError(problem, field="taxpayer_id")
    details = details_of(account.id)
    if details is None:
        if expected_version is not None:
            raise Conflict()
        details = FapiaoDetails(account_id=account.id)
        db.session.add(details)
    else:
        check_version(details, expected_version)
    changes = audit.diff(details, cleaned)
    if changes and details.is_verified and set(changes) & set(DETAIL_FIELDS):
        changes["verified_at"] = (details.verified_at, None)
        details.verified_at = None
        details.verified_by_id = None
    if changes:
        audit.record(actor, "fapiao_details.update", target(account), changes)
    try:
        commit()
    except IntegrityError:  # two first saves at once: the other one made the row
        db.session.rollback()
        raise Conflict() from None
    return details


def verify_details(actor: User, account: KeyAccount, expected_version: int | None) -> None:
    """Finance checked the details against the business licence."""
    details = details_of(account.id)
    if details is None or not all(getattr(details, name) for name in DETAIL_FIELDS):
        raise ServiceError(_("Only complete fapiao details can be verified."))
    check_version(details, expected_version)
    if details.is_verified:
        raise ServiceError(_("These fapiao details are verified already."))
    details.verified_at = utcnow()
    details.verified_by_id = actor.id
    audit.record(
        actor,
        "fapiao_details.verify",
        target(account),
        {"verified_at": (None, details.verified_at)},
    )
    commit()


# The fapiao type chosen at checkout


@dataclass(frozen=True)
class FapiaoChoice:
    """What the buyer may choose at checkout: the types (none: the account is not issued
    fapiao through the portal), and whether special VAT fapiao waits for finance to verify
    the account's details."""

    types: tuple[str, ...] = ()
    is_special_waiting: bool = False


def fapiao_choice(account: KeyAccount) -> FapiaoChoice:
    if account.currency != FAPIAO_CURRENCY:
        return FapiaoChoice()
    details = details_of(account.id)
    if details is None:
        return FapiaoChoice()
    allowed = details.allowed_types
    if SPECIAL in allowed and not details.is_verified:
        return FapiaoChoice(tuple(t for t in allowed if t != SPECIAL), is_special_waiting=True)
    return FapiaoChoice(allowed)


def checked_fapiao_type(account: KeyAccount, chosen: str | None) -> str:
    """The fapiao type to store on an order placed with `chosen` (None: the form did not ask,
    as when staff take an order down by phone: finance picks); anything the account may not
    use now, a tampered value included, is refused (SECURITY.md 17)."""
    choice = fapiao_choice(account)
    if chosen is None or not choice.types:
        return ""
    if chosen not in choice.types:
        if chosen == SPECIAL and choice.is_special_waiting:
            message = _(
                "A special VAT fapiao needs fapiao details verified by our finance team; "
                "choose another type, or ask your administrator to complete the details."
            )
        else:
            message = _("Choose one of the fapiao types your account may use.")
        raise ServiceError(message, field="fapiao_type")
    return chosen


# Fapiao issued against an invoice


@dataclass(frozen=True)
class Invoice:
    """The invoice a fapiao is issued against, as payments knows it."""

    account_id: int
    order_id: int
    milestone_id: int
    number: str
    amount: Money
    is_cancelled: bool = False


@dataclass(frozen=True)
class FapiaoValues:
    number: str
    issued_on: date
    fapiao_type: str
    amount: Decimal


def record_fapiao(actor: User, invoice: Invoice, values: FapiaoValues) -> IssuedFapiao:
    """Record a fapiao finance issued against `invoice`: a number no fapiao has yet, an
    amount in the invoice's currency that keeps the invoice's fapiao within its amount."""
    number = _fapiao_number(values.number)
    if values.fapiao_type not in FAPIAO_TYPES:
        raise ServiceError(_("Choose the fapiao's type."), field="fapiao_type")
    if invoice.is_cancelled:
        raise ServiceError(_("The order of this invoice is cancelled: no fapiao is issued."))
    currency = invoice.amount.currency
    if values.amount <= 0:
        raise ServiceError(_("A fapiao's amount is more than zero."), field="amount")
    if (problem := decimals_problem(values.amount, currency)) is not None:
        raise ServiceError(problem, field="amount")
    account = _locked_account(invoice.account_id)
    _check_issued_by(values.issued_on, account, "issued_on")
    details = details_of(account.id)
    if values.fapiao_type == SPECIAL and (details is None or not details.is_verified):
        raise ServiceError(
            _("A special VAT fapiao needs the account's fapiao details verified first."),
            field="fapiao_type",
        )
    _check_number_is_new(number, "number")
    issued = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(IssuedFapiao.amount), 0)).where(
            IssuedFapiao.milestone_id == invoice.milestone_id
        )
    )
    left = invoice.amount.amount - Decimal(issued)
    if values.amount > left:
        raise ServiceError(
            _(
                "The fapiao on invoice %(invoice)s may add up to its amount at most: "
                "%(left)s is left.",
                invoice=invoice.number,
                left=format_money(left, currency),
            ),
            field="amount",
        )
    fapiao = IssuedFapiao(
        account_id=invoice.account_id,
        order_id=invoice.order_id,
        milestone_id=invoice.milestone_id,
        invoice_number=invoice.number,
        number=number,
        issued_on=values.issued_on,
        fapiao_type=values.fapiao_type,
        currency=currency,
        amount=values.amount,
        recorded_by_id=actor.id,
        status=ISSUED,
    )
    db.session.add(fapiao)
    audit.record(
        actor,
        "fapiao.issue",
        f"invoice:{invoice.number}",
        {
            "fapiao": (None, number),
            "type": (None, values.fapiao_type),
            "amount": (None, f"{values.amount} {currency}"),
            "issued_on": (None, values.issued_on),
        },
    )
    _commit_numbered(number)
    return fapiao


#: A fapiao's number as the tax authority's systems print it: 8 digits (with its fapiao code),
#: or 20 for a fully digitalised fapiao (数电发票).
FAPIAO_NUMBER = re.compile(r"[0-9]{8,20}")


def _fapiao_number(text: str, field: str = "number") -> str:
    number = read_taxpayer_id(text)  # the same reading: plain width, no spaces, upper case
    if not number:
        raise ServiceError(_("Give the fapiao's number."), field=field)
    if not FAPIAO_NUMBER.fullmatch(number):
        raise ServiceError(
            _(
                "%(number)s is not a fapiao number: write its 8 to 20 digits as the fapiao "
                "shows them.",
                number=number[:30],
            ),
            field=field,
        )
    return number


def _check_issued_by(issued_on: date, account: KeyAccount, field: str) -> None:
    """A fapiao is recorded once issued: its date is not after the account's today."""
    today = account.local_date()
    if issued_on > today:
        raise ServiceError(
            _(
                "A fapiao is recorded once it is issued: its date cannot be after today, "
                "%(today)s.",
                today=format_day(today),
            ),
            field=field,
        )


def _check_number_is_new(number: str, field: str) -> None:
    taken = db.session.scalar(
        sa.select(IssuedFapiao.id).where(
            sa.or_(IssuedFapiao.number == number, IssuedFapiao.red_letter_number == number)
        )
    )
    if taken is not None:
        raise ServiceError(
            _("Fapiao number %(number)s is recorded already.", number=number), field=field
        )


def _commit_numbered(number: str) -> None:
    """Commit; the same number recorded meanwhile by someone else is refused."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ServiceError(
            _("Fapiao number %(number)s is recorded already.", number=number), field="number"
        ) from None


def _locked_account(account_id: int) -> KeyAccount:
    """The account, its row locked (PostgreSQL): two finance users recording fapiao on one
    invoice at once do not both fit within its amount."""
    return db.session.scalar(
        sa.select(KeyAccount).where(KeyAccount.id == account_id).with_for_update()
    )


# Red-letter fapiao


def ask_for_red_letters(order, actor: User | None = None) -> int:
    """When `order` is cancelled (its money refunded): each fapiao issued on it needs a
    red-letter fapiao; finance is told. In the cancellation's own transaction (the hook
    "order.cancelled"). How many fapiao need one."""
    fapiao = list(
        db.session.scalars(
            sa.select(IssuedFapiao)
            .where(IssuedFapiao.order_id == order.id, IssuedFapiao.status == ISSUED)
            .order_by(IssuedFapiao.id)
        )
    )
    if not fapiao:
        return 0
    now = utcnow()
    for one in fapiao:
        one.status = RED_LETTER_NEEDED
        one.red_letter_needed_at = now
        audit.record(
            actor,
            "fapiao.red_letter_needed",
            f"invoice:{one.invoice_number}",
            {"fapiao": (one.number, one.number), "status": (ISSUED, RED_LETTER_NEEDED)},
        )
    finance = db.session.scalars(
        sa.select(User.id).where(User.role == FINANCE, User.is_active.is_(True)).order_by(User.id)
    )
    notify(
        list(finance),
        _l(
            "Order %(order)s was cancelled after fapiao %(numbers)s of %(amount)s were issued: "
            "issue red-letter fapiao.",
            order=order.number,
            numbers=", ".join(one.number for one in fapiao),
            amount=later(format_money, sum(one.amount for one in fapiao), fapiao[0].currency),
        ),
        RED_LETTER_PAGE,
    )
    return len(fapiao)


def record_red_letter(actor: User, fapiao: IssuedFapiao, number: str, issued_on: date) -> None:
    """Finance issued the red-letter fapiao that reverses `fapiao`."""
    if fapiao.status != RED_LETTER_NEEDED:
        raise ServiceError(
            _("No red-letter fapiao is needed for fapiao %(number)s.", number=fapiao.number)
        )
    red = _fapiao_number(number, "red_letter_number")
    _check_issued_by(
        issued_on, db.session.get(KeyAccount, fapiao.account_id), "red_letter_issued_on"
    )
    if issued_on < fapiao.issued_on:
        raise ServiceError(
            _("A red-letter fapiao is issued on or after the fapiao it reverses."),
            field="red_letter_issued_on",
        )
    _check_number_is_new(red, "red_letter_number")
    fapiao.status = RED_LETTER_ISSUED
    fapiao.red_letter_number = red
    fapiao.red_letter_issued_on = issued_on
    audit.record(
        actor,
        "fapiao.red_letter_issued",
        f"invoice:{fapiao.invoice_number}",
        {"red_letter": (None, red), "status": (RED_LETTER_NEEDED, RED_LETTER_ISSUED)},
    )
    _commit_numbered(red)
