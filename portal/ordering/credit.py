"""Credit: an account's exposure is the unpaid milestone amounts of its open orders.

Everything that consumes or frees an account's credit (placing an order, lifting a credit
hold, releasing, recording money that arrives) first takes `lock_account` (FOR UPDATE on
PostgreSQL, BEGIN IMMEDIATE on SQLite), so two orders can never both take the last of the
credit (SECURITY.md 36, 38). Orders under a letter of credit are covered by it, not by the
credit limit; an order held for exceeding its credit reserves none until the hold is lifted.
"""

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from portal.accounts.models import KeyAccount, User
from portal.contracts.models import Contract
from portal.core import audit
from portal.core.db import begin_write
from portal.core.errors import ServiceError
from portal.core.money import Money, format_money
from portal.extensions import db
from portal.ordering.lifecycle import OPEN_STATUSES
from portal.ordering.models import Milestone, Order


def lock_account(account_id: int) -> None:
    """Serialise everything that consumes the account's credit (SECURITY.md 36, 38); other
    domains (payments records remittances and card payments) take it before any change."""
    begin_write(db.session)
    db.session.execute(
        sa.select(KeyAccount.id).where(KeyAccount.id == account_id).with_for_update()
    )


def _holding_credit():
    """The unpaid amount of orders that hold credit, to be grouped or filtered further."""
    return (
        sa.select(sa.func.coalesce(sa.func.sum(Milestone.amount - Milestone.paid_amount), 0))
        .join(Order, Order.id == Milestone.order_id)
        .where(
            Order.status.in_(OPEN_STATUSES),
            Order.is_over_credit.is_(False),
            Order.needs_letter_of_credit.is_(False),
        )
    )


def holds_credit(order: Order) -> bool:
    """Whether the order's unpaid amounts count in `exposure`."""
    return (
        order.status in OPEN_STATUSES
        and not order.is_over_credit
        and not order.needs_letter_of_credit
    )


def exposure(account_id: int, currency: str, *, excluding: int | None = None) -> Money:
    """The unpaid milestone amounts of the account's open orders that hold credit."""
    query = _holding_credit().where(Order.account_id == account_id, Order.currency == currency)
    if excluding is not None:
        query = query.where(Order.id != excluding)
    return Money(Decimal(db.session.scalar(query)), currency)


def exposures(account_ids) -> dict[tuple[int, str], Decimal]:
    """`exposure` of each account in each currency, in one query."""
    rows = db.session.execute(
        _holding_credit()
        .add_columns(Order.account_id, Order.currency)
        .where(Order.account_id.in_(account_ids))
        .group_by(Order.account_id, Order.currency)
    )
    return {(account_id, currency): Decimal(amount) for amount, account_id, currency in rows}


def credit_excess(order: Order) -> Money | None:
    """By how much the order's unpaid amount takes the account past its credit limit; None
    when it fits, or when a letter of credit covers the order instead."""
    if order.needs_letter_of_credit:
        return None
    contract = db.session.get(Contract, order.contract_id)
    unpaid = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Milestone.amount - Milestone.paid_amount), 0)).where(
            Milestone.order_id == order.id
        )
    )
    others = exposure(order.account_id, order.currency, excluding=order.id)
    needed = others.amount + Decimal(unpaid) - contract.credit_limit_amount
    return Money(needed, order.currency) if needed > 0 else None


def over_credit_text(excess: Money) -> str:
    return _(
        "Exceeds available credit by %(amount)s.",
        amount=format_money(excess.amount, excess.currency),
    )


def set_credit_hold(actor: User, account: KeyAccount, on_hold: bool, reason: str) -> None:
    """Finance puts an account on credit hold (no release) or lifts it, saying why."""
    if not reason.strip():
        raise ServiceError(_("Say why, for the account's staff and the audit trail."), "reason")
    changes = audit.diff(account, {"is_on_credit_hold": on_hold, "credit_hold_reason": reason})
    audit.record(actor, "account.credit_hold", f"account:{account.slug}", changes, reason)
    db.session.commit()
