"""The release gate of DESIGN.md section 4: an order goes to production only when its contract
is in force, its approvals are done, its account is not on credit hold, every milestone due at
order is paid, what remains unpaid fits the credit limit, and a letter of credit, where the term
needs one, is registered and covers it. Buyers and staff see, in words, what still blocks.
"""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm.util import identity_key

from portal.accounts.models import KeyAccount
from portal.contracts.models import Contract
from portal.contracts.services import today_for
from portal.contracts.terms import term_text
from portal.core.access import sees
from portal.core.dates import format_day
from portal.core.money import Money, format_money
from portal.extensions import db
from portal.ordering.approvals import Deciders, deciders_of, waiting_text
from portal.ordering.credit import exposures, holds_credit, over_credit_text
from portal.ordering.lifecycle import PAST_THE_GATE
from portal.ordering.models import LetterOfCredit, Milestone, Order


class Blocker(str):
    """What keeps an order from release, in words. Staff pages show `plain` instead, without
    amounts, credit or internal reasons, to a role that does not see `field` (core.access
    FIELDS): the call centre can tell a caller why, not how much."""

    field: str | None
    plain: str

    def __new__(cls, text: str, field: str | None = None, plain: str | None = None):
        blocker = super().__new__(cls, text)
        blocker.field, blocker.plain = field, plain or text
        return blocker


def blocker_words(blocker: str, viewer) -> str:
    """A blocking condition in the words `viewer` sees: its `plain` words, without amounts,
    credit or internal reasons, to a role that does not see its field (staff pages, the API)."""
    field = getattr(blocker, "field", None)
    if field and not sees(viewer, field):
        return blocker.plain
    return str(blocker)


def release_blockers(order: Order) -> list[str]:
    """Every condition that still keeps the order from release, in words; empty: it may go.

    The one place the gate of DESIGN.md section 4 is evaluated (through `release_blockers_of`).
    """
    return release_blockers_of([order])[order.id]


def release_blockers_of(orders: list[Order]) -> dict[int, list[str]]:
    """`release_blockers` for many orders at once, in a constant number of queries (for pages
    that list orders with their blocking conditions): {order id: blocking conditions}."""
    waiting = [order for order in orders if order.status not in PAST_THE_GATE]
    blockers: dict[int, list[str]] = {order.id: [] for order in orders}
    if not waiting:
        return blockers
    order_ids = [order.id for order in waiting]
    account_ids = {order.account_id for order in waiting}
    accounts = _by_id(KeyAccount, account_ids)
    contracts = _by_id(Contract, {order.contract_id for order in waiting})
    milestones: dict[int, list[Milestone]] = {
        order.id: list(order.milestones) for order in waiting if _is_loaded(order, "milestones")
    }
    unread = [order_id for order_id in order_ids if order_id not in milestones]
    milestones.update({order_id: [] for order_id in unread})
    if unread:
        for milestone in db.session.scalars(
            sa.select(Milestone)
            .where(Milestone.order_id.in_(unread))
            .order_by(Milestone.order_id, Milestone.position)
        ):
            milestones[milestone.order_id].append(milestone)
    letters: dict[int, list[LetterOfCredit]] = {order_id: [] for order_id in order_ids}
    if any(order.needs_letter_of_credit for order in waiting):
        for letter in db.session.scalars(
            sa.select(LetterOfCredit)
            .where(LetterOfCredit.order_id.in_(order_ids))
            .order_by(LetterOfCredit.id)
        ):
            letters[letter.order_id].append(letter)
    exposure_of = exposures(account_ids)
    decide = deciders_of(waiting)
    for order in waiting:
        blockers[order.id] = _blockers(
            order,
            accounts[order.account_id],
            contracts[order.contract_id],
            milestones[order.id],
            letters[order.id],
            exposure_of.get((order.account_id, order.currency), Decimal(0)),
            decide.get(order.id),
        )
    return blockers


def _is_loaded(instance, attribute: str = "id") -> bool:
    """Whether `attribute` of `instance` is loaded in the session (not expired)."""
    return attribute in sa.inspect(instance).dict


def _by_id(model, ids) -> dict:
    """The rows of `model` with these ids: those the session holds loaded already (an order
    page has read the account and its order), the others in one query. What a query would
    give: it would return the same instances, their loaded attributes as they are."""
    found = {}
    for id_ in ids:
        instance = db.session.identity_map.get(identity_key(model, id_))
        if instance is not None and _is_loaded(instance):
            found[id_] = instance
    missing = [id_ for id_ in ids if id_ not in found]
    if missing:
        found.update(
            (row.id, row)
            for row in db.session.scalars(sa.select(model).where(model.id.in_(missing)))
        )
    return found


def _blockers(
    order: Order,
    account: KeyAccount,
    contract: Contract,
    milestones: list[Milestone],
    letters: list[LetterOfCredit],
    account_exposure: Decimal,
    deciders: Deciders | None,
) -> list[str]:
    today = today_for(account)
    blocking = []
    if not contract.is_in_force(today):
        if contract.valid_to < today:
            blocking.append(
                _(
                    "Contract %(number)s expired on %(date)s.",
                    number=contract.number,
                    date=format_day(contract.valid_to),
                )
            )
        else:
            blocking.append(_("Contract %(number)s is not in force.", number=contract.number))
    if deciders is not None:  # waiting for approval; by whom, so that it never strands
        blocking.append(waiting_text(deciders))
    if account.is_on_credit_hold:
        blocking.append(
            Blocker(
                _("The account is on credit hold: %(reason)s", reason=account.credit_hold_reason),
                "credit",
                _("The account is on credit hold."),
            )
        )
    if order.needs_letter_of_credit:
        plain = _("No letter of credit covers the order yet.")
        blocking.extend(
            Blocker(text, "amounts", plain)
            for text in _letter_of_credit_blockers(order, letters, today)
        )
    else:
        blocking.extend(
            Blocker(not_paid_text(m), "amounts", _("%(label)s not paid.", label=term_text(m.label)))
            for m in milestones
            if m.is_due_at_order and not m.is_paid
        )
        # credit_excess, from what is loaded: the others' exposure plus this order's unpaid.
        unpaid = sum((m.amount - m.paid_amount for m in milestones), Decimal(0))
        others = account_exposure - (unpaid if holds_credit(order) else Decimal(0))
        needed = others + unpaid - contract.credit_limit_amount
        if needed > 0:
            blocking.append(
                Blocker(
                    over_credit_text(Money(needed, order.currency)),
                    "credit",
                    _("Over the account's credit limit."),
                )
            )
    if order.status == "on_hold" and not order.is_over_credit:
        blocking.append(
            Blocker(_("On hold: %(reason)s", reason=order.hold_reason), "credit", _("On hold."))
        )
    return blocking


def _letter_of_credit_blockers(
    order: Order, letters: list[LetterOfCredit], today: date
) -> list[str]:
    """Nothing when one registered letter of credit for the order is unexpired, in the
    order's currency, covers its total and still allows shipment; otherwise what fails, for
    each one registered."""
    letters = [letter for letter in letters if not letter.is_void]
    failures = [letter_of_credit_failures(order, letter, today) for letter in letters]
    if any(not failed for failed in failures):
        return []
    total = format_money(order.total_amount, order.currency)
    if not letters:
        return [_("No registered letter of credit covers %(amount)s.", amount=total)]
    return [text for failed in failures for text in failed]


def letter_of_credit_failures(order: Order, letter: LetterOfCredit, today: date) -> list[str]:
    """Why the letter does not cover the order today, in words; empty: it covers it."""
    if letter.is_void:
        return [_("Letter of credit %(number)s is void.", number=letter.number)]
    failed = []
    if letter.expires_on < today:
        failed.append(
            _(
                "Letter of credit %(number)s expired on %(date)s.",
                number=letter.number,
                date=format_day(letter.expires_on),
            )
        )
    if letter.currency != order.currency:
        failed.append(
            _(
                "Letter of credit %(number)s is in %(currency)s; the order is in %(order)s.",
                number=letter.number,
                currency=letter.currency,
                order=order.currency,
            )
        )
    elif letter.amount < order.total_amount:
        failed.append(
            _(
                "Letter of credit %(number)s covers only %(amount)s of %(total)s.",
                number=letter.number,
                amount=format_money(letter.amount, letter.currency),
                total=format_money(order.total_amount, order.currency),
            )
        )
    if letter.latest_shipment_on < today:
        failed.append(
            _(
                "The latest shipment date of letter of credit %(number)s, %(date)s, has passed.",
                number=letter.number,
                date=format_day(letter.latest_shipment_on),
            )
        )
    return failed


def not_paid_text(milestone: Milestone) -> str:
    unpaid = milestone.unpaid
    return _(
        "%(label)s of %(amount)s not paid.",
        label=term_text(milestone.label),
        amount=format_money(unpaid.amount, unpaid.currency),
    )
