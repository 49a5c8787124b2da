"""Who may place, see, approve and cancel orders (the services enforce the rules again)."""

from portal.core.access import (
    APPROVALS_ROLES,
    CREDIT_CONTROLLERS,
    ON_BEHALF_PLACERS,
    ORDER_DESK,
    RELEASERS,
)
from portal.core.permissions import APPROVER, BUYER_ROLES, CUSTOMER_ADMIN, is_buyer_side
from portal.ordering import lifecycle
from portal.ordering.lifecycle import is_waiting_for_approval

#: Buyer-side roles that see and act on every order of their account, not only their own.
ACCOUNT_WIDE_ROLES = (APPROVER, CUSTOMER_ADMIN)


def can_place_orders(user) -> bool:
    return user.is_authenticated and user.role in BUYER_ROLES


def can_view_orders(user) -> bool:
    """Every buyer-side user sees all of their account's orders: a purchasing team works
    together (the list filters to "placed by me" on request)."""
    return is_buyer_side(user)


def can_approve_orders(user) -> bool:
    """Whether the user has an approvals page (what they may decide: `can_decide`)."""
    return user.is_authenticated and user.role in APPROVALS_ROLES


def can_decide(user, order, deciders) -> bool:
    """Whether `user` decides `order` while it waits for approval, `deciders` being who the
    rule of ordering.approvals names for it: on the buyer's side exactly those; when it names
    Northwind's staff, those who take orders down for customers. Never whoever placed the
    order or took it down (SECURITY.md 19)."""
    if not user.is_authenticated or deciders is None or not is_waiting_for_approval(order):
        return False
    if user.id in (order.placed_by_id, order.placed_on_behalf_by_id):
        return False
    if deciders.by_staff:
        return user.role in ON_BEHALF_PLACERS
    return any(person.id == user.id for person in deciders.people)


def can_manage_order(user, order) -> bool:
    """Who may act on a buyer's order: whoever placed it, and the account's approvers and
    customer admins."""
    return (
        is_buyer_side(user)
        and user.account_id == order.account_id
        and (order.placed_by_id == user.id or user.role in ACCOUNT_WIDE_ROLES)
    )


def can_cancel(user, order) -> bool:
    """Whether to offer the buyer's cancel button: before release only."""
    return can_manage_order(user, order) and lifecycle.can_buyer_cancel(order)


# Staff side


#: Order desk action -> the status it moves an order to (resume: back where it was held).
STAFF_ACTIONS = {
    "confirm": "confirmed",
    "hold": "on_hold",
    "resume": None,
    "release": "released",
    "ship": "shipped",
    "deliver": "delivered",
    "close": "closed",
    "cancel": "cancelled",
}


def can_move_orders(user) -> bool:
    return user.is_authenticated and user.role in ORDER_DESK


def can_release_orders(user) -> bool:
    return user.is_authenticated and user.role in RELEASERS


def can_place_on_behalf(user) -> bool:
    return user.is_authenticated and user.role in ON_BEHALF_PLACERS


def can_set_credit_hold(user) -> bool:
    return user.is_authenticated and user.role in CREDIT_CONTROLLERS


def staff_actions(user, order) -> list[str]:
    """The order desk actions to offer `user` for `order` in its status (which moves are
    allowed is lifecycle.ALLOWED_TRANSITIONS; the services check everything again)."""
    allowed = lifecycle.ALLOWED_TRANSITIONS[order.status]
    actions = []
    for action, to in STAFF_ACTIONS.items():
        if action == "release":
            offered = can_release_orders(user) and order.status == "confirmed"
        elif action == "resume":
            offered = can_move_orders(user) and order.status == "on_hold"
        elif order.status == "on_hold" and action != "cancel":
            offered = False  # an order on hold is resumed first
        else:
            offered = can_move_orders(user) and to in allowed
        if offered:
            actions.append(action)
    return actions
