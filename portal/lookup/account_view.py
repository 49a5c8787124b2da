"""Reads for the account 360 view: everything the call centre and sales see of one account,
in a constant number of queries."""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from portal.accounts.models import KeyAccount, User
from portal.contracts.models import Contract
from portal.contracts.services import today_for
from portal.core.money import Money
from portal.extensions import db
from portal.hotline.models import HotlineRequest
from portal.ordering.approvals import Deciders, deciders_of
from portal.ordering.credit import exposure
from portal.ordering.gate import release_blockers_of
from portal.ordering.models import Milestone, Order
from portal.ordering.queries import waiting_for_approval
from portal.quotes.pipeline import AccountQuote, quotes_for_360

RECENT_ORDERS = 10
OPEN_REQUESTS = 20
PAYMENTS_DUE = 20
#: A contract ending within this many days is up for renewal.
RENEWAL_DAYS = 60
#: An account whose last order is older than this is dormant.
DORMANT_DAYS = 180


@dataclass
class Credit:
    limit: Money
    exposure: Money

    @property
    def available(self) -> Money:
        return Money(self.limit.amount - self.exposure.amount, self.limit.currency)


@dataclass
class Account360:
    account: KeyAccount
    today: date
    contract: Contract | None
    contacts: list[User]
    orders: list[Order]
    blockers: dict[int, list[str]]
    #: Every order waiting for approval, however old, with who decides it.
    approvals: list[tuple[Order, Deciders]]
    requests: list[HotlineRequest]
    payments_due: list[Milestone]
    credit: Credit | None
    stage: str
    #: The account's latest quotes (open first), each with its valid until.
    quotes: list[AccountQuote]

    @property
    def days_left(self) -> int | None:
        """Days until the contract in force ends (negative: ended that long ago)."""
        return None if self.contract is None else (self.contract.valid_to - self.today).days


def account_360(account: KeyAccount, fields: frozenset[str]) -> Account360:
    """Everything the 360 view shows of `account` that `fields` allows, in a constant number
    of queries whatever the account holds."""
    today = today_for(account)
    contract = db.session.scalar(
        sa.select(Contract)
        .options(joinedload(Contract.payment_term))
        .where(Contract.account_id == account.id, Contract.status == "active")
        .order_by(Contract.valid_from.desc())
        .limit(1)
    )
    orders = list(
        db.session.scalars(
            sa.select(Order)
            .options(joinedload(Order.placed_by))
            .where(Order.account_id == account.id)
            .order_by(Order.placed_on.desc(), Order.id.desc())
            .limit(RECENT_ORDERS)
        )
    )
    contacts = []
    if "contacts" in fields:
        contacts = list(
            db.session.scalars(
                sa.select(User)
                .where(User.account_id == account.id)
                .order_by(User.is_active.desc(), User.name, User.id)
            )
        )
    blockers = release_blockers_of(orders) if "orders" in fields else {}
    approvals = []
    if "orders" in fields:
        waiting = waiting_for_approval(account.id)
        deciders = deciders_of(waiting)
        approvals = [(order, deciders[order.id]) for order in waiting]
    requests = []
    if "hotline" in fields:
        requests = list(
            db.session.scalars(
                sa.select(HotlineRequest)
                .options(joinedload(HotlineRequest.assignee), joinedload(HotlineRequest.contact))
                .where(HotlineRequest.account_id == account.id, HotlineRequest.status != "closed")
                .order_by(HotlineRequest.due_at, HotlineRequest.id)
                .limit(OPEN_REQUESTS)
            )
        )
    payments_due = []
    if "payments" in fields:
        payments_due = list(
            db.session.scalars(
                sa.select(Milestone)
                .join(Order, Order.id == Milestone.order_id)
                .options(contains_eager(Milestone.order))
                .where(
                    Order.account_id == account.id,
                    Order.status != "cancelled",
                    Milestone.paid_amount < Milestone.amount,
                )
                .order_by(Milestone.due_on.is_(None), Milestone.due_on, Milestone.id)
                .limit(PAYMENTS_DUE)
            )
        )
    quotes = quotes_for_360(account.id) if "orders" in fields else []
    credit = None
    if "credit" in fields and contract is not None:
        credit = Credit(contract.credit_limit, exposure(account.id, contract.currency))
    return Account360(
        account=account,
        today=today,
        contract=contract,
        contacts=contacts,
        orders=orders,
        blockers=blockers,
        approvals=approvals,
        requests=requests,
        payments_due=payments_due,
        credit=credit,
        stage=stage(contract, orders[0].placed_on if orders else None, today),
        quotes=quotes,
    )


def stage(contract: Contract | None, last_order_on: date | None, today: date) -> str:
    """Where the account stands, derived (nothing stores a stage): without a contract in
    force; contract ended; up for renewal (ends within RENEWAL_DAYS); onboarding (no order
    yet); dormant (no order for DORMANT_DAYS); else active."""
    if contract is None:
        return "no_contract"
    if contract.valid_to < today:
        return "contract_ended"
    if (contract.valid_to - today).days <= RENEWAL_DAYS:
        return "renewal_due"
    if last_order_on is None:
        return "onboarding"
    if (today - last_order_on).days > DORMANT_DAYS:
        return "dormant"
    return "active"
