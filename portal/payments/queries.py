"""Reads for the finance desk: milestones due and open, orders ready for release, and what an
order's page shows of its payments. Each list is one statement however long it is."""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from portal.accounts.models import KeyAccount, User
from portal.contracts.services import today_for
from portal.core.invoice_numbers import invoice_number
from portal.core.permissions import FINANCE
from portal.extensions import db
from portal.ordering.gate import letter_of_credit_failures, release_blockers
from portal.ordering.lifecycle import payable_clause
from portal.ordering.models import LetterOfCredit, Milestone, Order
from portal.payments.models import CardPayment, Payment, PaymentAllocation, SavedCard

#: Milestones the desk lists at most (filter by account for the rest).
DESK_LIMIT = 500
#: Confirmed orders the desk checks against the release gate at most, oldest first.
RELEASE_CANDIDATES = 25


@dataclass(frozen=True)
class DueRow:
    milestone: Milestone
    order: Order
    days_overdue: int


@dataclass
class AccountDue:
    account: KeyAccount
    rows: list[DueRow] = field(default_factory=list)


def _open_milestones():
    return (
        sa.select(Milestone)
        .join(Milestone.order)
        .join(Order.account)
        .options(contains_eager(Milestone.order).contains_eager(Order.account))
        .where(Milestone.paid_amount < Milestone.amount, payable_clause(Order))
    )


def due_by_account(account_slug: str | None = None) -> tuple[list[AccountDue], bool]:
    """Milestones that have a due date and are not fully paid, grouped by account: the account
    with the oldest due date first, each account's oldest first. One statement. The second
    value says whether the list was cut at DESK_LIMIT."""
    query = _open_milestones().where(Milestone.due_on.is_not(None))
    if account_slug is not None:
        query = query.where(KeyAccount.slug == account_slug)
    query = query.order_by(Milestone.due_on, Order.number, Milestone.position)
    milestones = list(db.session.scalars(query.limit(DESK_LIMIT + 1)))
    cut = len(milestones) > DESK_LIMIT
    groups: dict[int, AccountDue] = {}
    todays: dict[int, date] = {}
    for milestone in milestones[:DESK_LIMIT]:
        order = milestone.order
        account = order.account
        if account.id not in groups:
            groups[account.id] = AccountDue(account)
            todays[account.id] = today_for(account)
        overdue = (todays[account.id] - milestone.due_on).days
        groups[account.id].rows.append(DueRow(milestone, order, max(overdue, 0)))
    return list(groups.values()), cut


def open_milestones_of(account: KeyAccount) -> list[Milestone]:
    """Every milestone of the account's open orders not fully paid, due ones first (oldest
    first), then those whose date is not set yet: what a remittance may pay."""
    query = _open_milestones().where(Order.account_id == account.id)
    query = query.order_by(
        Milestone.due_on.is_(None), Milestone.due_on, Order.number, Milestone.position
    )
    return list(db.session.scalars(query))


def accounts() -> list[KeyAccount]:
    return list(db.session.scalars(sa.select(KeyAccount).order_by(KeyAccount.name)))


def releasable_orders() -> tuple[list[Order], int]:
    """Confirmed orders whose release gate is clear, with their accounts: the oldest
    RELEASE_CANDIDATES confirmed orders are checked, each by ordering's one gate; the second
    value is how many confirmed orders there are in all."""
    confirmed = sa.select(Order).where(Order.status == "confirmed")
    total = db.session.scalar(sa.select(sa.func.count()).select_from(confirmed.subquery()))
    candidates = db.session.scalars(
        confirmed.options(joinedload(Order.account)).order_by(Order.id).limit(RELEASE_CANDIDATES)
    )
    return [order for order in candidates if not release_blockers(order)], total


@dataclass(frozen=True)
class OrderPayments:
    """What the staff order page shows of an order's payments."""

    #: (allocation, its payment, the milestone's label), oldest first.
    allocations: list[tuple[PaymentAllocation, Payment, str]]
    letters: list[LetterOfCredit]
    #: letter id -> why it does not cover the order today (empty: it covers it).
    shortfalls: dict[int, list[str]] = field(default_factory=dict)
    #: The numbers of the order's invoices (its milestones that fell due), in order.
    invoice_numbers: list[str] = field(default_factory=list)


def order_payments(order: Order) -> OrderPayments:
    """The remittances that paid the order's milestones and its letters of credit: two
    statements."""
    allocations = db.session.execute(
        sa.select(PaymentAllocation, Payment, Milestone.label)
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .join(Milestone, Milestone.id == PaymentAllocation.milestone_id)
        .where(Milestone.order_id == order.id)
        .order_by(Payment.received_on, Payment.id, PaymentAllocation.id)
    ).all()
    letters = db.session.scalars(
        sa.select(LetterOfCredit)
        .where(LetterOfCredit.order_id == order.id)
        .options(joinedload(LetterOfCredit.registered_by))
        .order_by(LetterOfCredit.id)
    )
    letters = list(letters)
    today = today_for(db.session.get(KeyAccount, order.account_id))
    return OrderPayments(
        [tuple(row) for row in allocations],
        letters,
        {letter.id: letter_of_credit_failures(order, letter, today) for letter in letters},
        [invoice_number(order.number, m.position) for m in order.milestones if m.invoiced_on],
    )


# Card payments


def current_card_payment(milestone_id: int) -> CardPayment | None:
    """The milestone's latest attempt."""
    return db.session.scalar(
        sa.select(CardPayment)
        .where(CardPayment.milestone_id == milestone_id)
        .order_by(CardPayment.attempt.desc())
        .limit(1)
    )


def saved_cards_of(account_id: int) -> list[SavedCard]:
    return list(
        db.session.scalars(
            sa.select(SavedCard)
            .where(SavedCard.account_id == account_id, SavedCard.is_active)
            .order_by(SavedCard.id.desc())
        )
    )


def milestone_of_account_or_404(account: KeyAccount, milestone_id: int) -> tuple[Milestone, Order]:
    from flask import abort

    row = db.session.execute(
        sa.select(Milestone, Order)
        .join(Order, Order.id == Milestone.order_id)
        .where(Milestone.id == milestone_id, Milestone.account_id == account.id)
    ).first()
    if row is None:
        abort(404)
    return row[0], row[1]


def flagged_card_payments() -> list[tuple[CardPayment, Milestone, Order, KeyAccount]]:
    """Succeeded card payments that were not applied, for the finance desk."""
    rows = db.session.execute(
        sa.select(CardPayment, Milestone, Order, KeyAccount)
        .join(Milestone, Milestone.id == CardPayment.milestone_id)
        .join(Order, Order.id == Milestone.order_id)
        .join(KeyAccount, KeyAccount.id == CardPayment.account_id)
        .where(CardPayment.flagged_reason != "", CardPayment.status == "succeeded")
        .order_by(CardPayment.updated_at.desc())
        .limit(100)
    ).all()
    return [tuple(row) for row in rows]


def due_for_saved_cards(on: date | None = None) -> list[tuple[Milestone, Order, SavedCard]]:
    """Milestones due by today (each account's own today, or `on`), unpaid, of open orders not
    under a letter of credit, of accounts with an active saved card."""
    rows = db.session.execute(
        sa.select(Milestone, Order, SavedCard, KeyAccount)
        .join(Order, Order.id == Milestone.order_id)
        .join(SavedCard, sa.and_(SavedCard.account_id == Order.account_id, SavedCard.is_active))
        .join(KeyAccount, KeyAccount.id == Order.account_id)
        .where(
            Milestone.due_on.is_not(None),
            Milestone.paid_amount < Milestone.amount,
            payable_clause(Order),
            Order.needs_letter_of_credit.is_(False),
        )
        .order_by(Milestone.due_on, Milestone.id)
    ).all()
    return [
        (milestone, order, saved)
        for milestone, order, saved, account in rows
        if milestone.due_on <= (on or today_for(account))
    ]


def active_finance_ids() -> list[int]:
    """Finance staff who hear of payments due, overdue and received."""
    return list(
        db.session.scalars(
            sa.select(User.id)
            .where(User.role == FINANCE, User.is_active.is_(True))
            .order_by(User.id)
        )
    )
