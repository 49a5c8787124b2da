"""Who decides an order waiting for approval, so that no order is ever stranded.

An order above its buyer's spending limit is decided by, in this order:

1. the account's active approvers;
2. without one, the account's active customer admins, who approve or reject it themselves or
   make a colleague an approver (who is then asked instead);
3. without either, Northwind's staff who take orders down for customers (inside sales and
   their managers, `permissions.ON_BEHALF_PLACERS`): they ask the customer and record its
   decision, saying who decided. The account's inside-sales rep is asked; while the rep is
   away or gone, the backup rep; without either, the sales managers and directors.

Nobody counts who placed the order, or took it down on the buyer's behalf (SECURITY.md 19).

Whoever decides is asked (a notice and an e-mail) when the order starts waiting, when it waits
again after a hold, and when they become its decider later, such as an approver appointed or
the last one deactivated (`tell_deciders`, `tell_new_deciders`). Once the order is decided
(or cancelled), every one of those notices is marked read (`lifecycle.transition`).
"""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.accounts.models import KeyAccount, User
from portal.accounts.services import account_people_changed
from portal.core.dates import format_day
from portal.core.db import utcnow
from portal.core.locales import sentences
from portal.core.money import format_money
from portal.core.permissions import APPROVER, CUSTOMER_ADMIN, SALES_DIRECTOR, SALES_MANAGER
from portal.extensions import db
from portal.notifications.queries import told_about
from portal.notifications.services import later, notify
from portal.ordering.lifecycle import (
    approval_topic,
    is_waiting_for_approval,
    waiting_for_approval_clause,
)
from portal.ordering.models import Order

APPROVERS = "approvers"
CUSTOMER_ADMINS = "customer_admins"
STAFF = "staff"


@dataclass(frozen=True)
class Deciders:
    """Who decides an order waiting for approval: `kind` says which rule applies, `people`
    who is asked (on the buyer's side exactly who may decide; on Northwind's side, whose
    account it is; permissions.can_decide says who else may)."""

    kind: str
    people: tuple[User, ...]

    @property
    def by_staff(self) -> bool:
        return self.kind == STAFF

    @property
    def names(self) -> str:
        return ", ".join(person.name for person in self.people) or _("Northwind's sales team")


def deciders(order: Order) -> Deciders | None:
    """Who decides `order`; None when it does not wait for approval."""
    return deciders_of([order]).get(order.id)


def deciders_of(orders) -> dict[int, Deciders]:
    """Who decides each of these orders that waits for approval (the others are left out),
    in at most five queries however many orders and accounts."""
    waiting = [order for order in orders if is_waiting_for_approval(order)]
    if not waiting:
        return {}
    candidates = _candidates({order.account_id for order in waiting})
    found = {
        order.id: _buyer_side(candidates.get(order.account_id, []), _placers(order))
        for order in waiting
    }
    stranded = {order.account_id for order in waiting if found[order.id] is None}
    staff = _staff_to_ask(stranded) if stranded else {}
    return {
        order.id: found[order.id] or Deciders(STAFF, staff[order.account_id]) for order in waiting
    }


def deciders_for_buyer(account_id: int, buyer_id: int) -> Deciders:
    """Who would decide an order the buyer places now (what checkout tells them)."""
    chosen = _buyer_side(_candidates({account_id}).get(account_id, []), {buyer_id})
    return chosen or Deciders(STAFF, _staff_to_ask({account_id})[account_id])


def _placers(order: Order) -> set[int | None]:
    return {order.placed_by_id, order.placed_on_behalf_by_id}


def _candidates(account_ids: set[int]) -> dict[int, list[User]]:
    """The active approvers and customer admins of these accounts, by account and name."""
    found: dict[int, list[User]] = {}
    for user in db.session.scalars(
        sa.select(User)
        .where(
            User.account_id.in_(account_ids),
            User.is_active.is_(True),
            User.role.in_((APPROVER, CUSTOMER_ADMIN)),
        )
        .order_by(User.name, User.id)
    ):
        found.setdefault(user.account_id, []).append(user)
    return found


def _buyer_side(candidates: list[User], placers: set) -> Deciders | None:
    for kind, role in ((APPROVERS, APPROVER), (CUSTOMER_ADMINS, CUSTOMER_ADMIN)):
        people = tuple(u for u in candidates if u.role == role and u.id not in placers)
        if people:
            return Deciders(kind, people)
    return None


def _staff_to_ask(account_ids: set[int]) -> dict[int, tuple[User, ...]]:
    """Whom at Northwind to ask about each account's stranded orders: its inside-sales rep, the
    backup while the rep is away (or the rep again when both are), and without an active rep
    the sales managers and directors."""
    accounts = db.session.execute(
        sa.select(
            KeyAccount.id,
            KeyAccount.time_zone,
            KeyAccount.inside_sales_rep_id,
            KeyAccount.backup_rep_id,
        ).where(KeyAccount.id.in_(account_ids))
    ).all()
    rep_ids = {rep_id for row in accounts for rep_id in row[2:] if rep_id is not None}
    active = {
        user.id: user
        for user in db.session.scalars(
            sa.select(User).where(User.id.in_(rep_ids), User.is_active.is_(True))
        )
    }
    asked: dict[int, tuple[User, ...]] = {}
    managers = None
    for account_id, time_zone, *rep_ids_of in accounts:
        today = utcnow().astimezone(ZoneInfo(time_zone)).date()
        reps = [active[rep_id] for rep_id in rep_ids_of if rep_id in active]
        present = [rep for rep in reps if not rep.is_away_on(today)]
        chosen = tuple(present[:1] or reps[:1])
        if not chosen:
            managers = managers if managers is not None else _managers()
            chosen = managers
        asked[account_id] = chosen
    return asked


def _managers() -> tuple[User, ...]:
    return tuple(
        db.session.scalars(
            sa.select(User)
            .where(User.role.in_((SALES_MANAGER, SALES_DIRECTOR)), User.is_active.is_(True))
            .order_by(User.name, User.id)
        )
    )


# What people are told


def who_decides(chosen: Deciders) -> str:
    """Who decides, in a sentence for the buyer (checkout, the order, the e-mail)."""
    if chosen.kind == APPROVERS:
        return _("It is decided by an approver of your company: %(names)s.", names=chosen.names)
    if chosen.kind == CUSTOMER_ADMINS:
        return _(
            "Your company has no approver, so it is decided by your administrator: %(names)s.",
            names=chosen.names,
        )
    return _(
        "Nobody at your company may approve orders in the portal, so %(names)s of Northwind "
        "asks your company and records its decision.",
        names=chosen.names,
    )


def waiting_text(chosen: Deciders) -> str:
    """What keeps the order from release while it waits (the release gate's words)."""
    if chosen.kind == APPROVERS:
        return _("Waiting for approval by an approver of your company.")
    return sentences(_("Waiting for approval."), who_decides(chosen))


def refusal(chosen: Deciders) -> str:
    """Why someone else may not decide the order."""
    if chosen.kind == APPROVERS:
        return _("Only an approver of the account decides its orders.")
    if chosen.kind == CUSTOMER_ADMINS:
        return _("The account has no approver: its administrator decides this order.")
    return _(
        "Nobody at the account may approve this order: Northwind's sales staff record the "
        "account's decision."
    )


def tell_deciders(order: Order, chosen: Deciders | None = None) -> None:
    """Ask whoever decides the order, and has not been asked yet, for a decision: a notice and
    an e-mail, in the caller's transaction; also while it is held (over the credit limit)."""
    if not is_waiting_for_approval(order):
        return
    chosen = chosen or deciders(order)
    topic = approval_topic(order)
    already = told_about(topic, [person.id for person in chosen.people])
    new = [person.id for person in chosen.people if person.id not in already]
    if not new:
        return
    account = db.session.get(KeyAccount, order.account_id)
    placed_by = db.session.get(User, order.placed_by_id) if order.placed_by_id else None
    text, link, why = _request(chosen, order, account)
    notify(
        new,
        text,
        link,
        email="order_approval",
        dedupe_key=topic,
        about=topic,
        number=order.number,
        account_name=account.name,
        placed_by=placed_by.name if placed_by else "",
        total=later(format_money, order.total_amount, order.currency),
        placed_on=later(format_day, order.placed_on),
        why=why,
    )


def _request(chosen: Deciders, order: Order, account: KeyAccount):
    """(notice text and e-mail subject, link, why they are asked) for `chosen`, the
    words lazy: each person asked reads them in their own language."""
    number = order.number
    if chosen.kind == APPROVERS:
        return (
            _l("Order %(number)s waits for your approval.", number=number),
            f"/a/{account.slug}/approvals",
            _l(
                "It is above the buyer's spending limit, so it waits for an approver of the "
                "account to approve or reject it."
            ),
        )
    if chosen.kind == CUSTOMER_ADMINS:
        return (
            _l(
                "Order %(number)s waits for your approval: your company has no approver.",
                number=number,
            ),
            f"/a/{account.slug}/approvals",
            _l(
                "It is above the buyer's spending limit and your company has no approver in the "
                "portal, so you, as its administrator, approve or reject it. You may instead make "
                "a colleague an approver under Users and addresses: they are then asked."
            ),
        )
    return (
        _l(
            "Order %(number)s of %(account)s waits for approval, and nobody there may approve it.",
            number=number,
            account=account.name,
        ),
        f"/staff/orders/{number}",
        _l(
            "It is above the buyer's spending limit and the account has no approver or "
            "administrator in the portal. Ask the customer and record their decision on the "
            "order's page, saying who decided; or have an account admin give them an approver."
        ),
    )


def tell_new_deciders(account_id: int) -> None:
    """After the account's people changed (an approver appointed, one deactivated, a new rep):
    ask whoever now decides one of its waiting orders and was not asked yet. The account's
    lock (as placing an order takes it) keeps an order placed meanwhile from being missed."""
    db.session.execute(
        sa.select(KeyAccount.id).where(KeyAccount.id == account_id).with_for_update()
    )
    waiting = list(
        db.session.scalars(
            sa.select(Order)
            .where(Order.account_id == account_id, waiting_for_approval_clause(Order))
            .order_by(Order.id)
        )
    )
    chosen = deciders_of(waiting)
    for order in waiting:
        tell_deciders(order, chosen[order.id])


@account_people_changed.connect
def _on_account_people_changed(account: KeyAccount, **_extra) -> None:
    tell_new_deciders(account.id)
