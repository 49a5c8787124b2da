"""The buyer's orders in the API: ship-to addresses, placing an order (once per
Idempotency-Key), the order history, one order, cancelling, and approvals. The same queries
and services as the checkout, order and approvals pages (ordering.placement, ordering.queries,
ordering.services, ordering.permissions): the spending limit, approvals, credit and who may
do what are theirs."""

import hashlib

from flask import request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.accounts import queries as account_queries
from portal.api import order_shapes as shapes
from portal.api import pagination
from portal.api.order_fields import CHECKOUT_FIELDS, body_fields
from portal.api.spec import ApiProblem, Header, operation
from portal.api.views import bp
from portal.catalog.services import normal_sku
from portal.core.inputs import plain_width
from portal.ordering import permissions, placement, queries, services
from portal.ordering.models import Order
from portal.tax import fapiao

# --- ship-to addresses, orders ---
#   GET       /api/v1/addresses                    list_addresses   BUYER_ROLES
#   POST      /api/v1/orders                       place_order      BUYER_ROLES
#   GET       /api/v1/orders                       list_orders      BUYER_ROLES
#   GET       /api/v1/orders/<number>              show_order       BUYER_ROLES
#   POST      /api/v1/orders/<number>/cancel       cancel_order     BUYER_ROLES
# --- approvals ---
#   GET       /api/v1/approvals                    list_approvals   APPROVALS_ROLES
#   POST      /api/v1/approvals/<number>/approve   approve_order    APPROVALS_ROLES
#   POST      /api/v1/approvals/<number>/reject    reject_order     APPROVALS_ROLES

IDEMPOTENCY_KEY = Header(
    "Idempotency-Key",
    "Required: a key of your own for this order (a UUID, say). Sending the same request "
    "again with the same key answers the order the first one made (200) instead of placing "
    "another; the same key with a different request answers 422 "
    "(idempotency_key_reused).",
    required=True,
)


@bp.get("/addresses")
@operation(
    summary=_l("Your account's ship-to addresses"), tag="orders", response=shapes.AddressesOut
)
def list_addresses():
    """The account's addresses an order can be shipped to: pass an `id` as
    `ship_to_address_id` when placing an order."""
    account = account_queries.account_or_404(current_user.account.slug, with_details=True)
    return shapes.AddressesOut(data=[shapes.address_out(address) for address in account.addresses])


@bp.post("/orders")
@operation(
    summary=_l("Place an order"),
    tag="orders",
    scope="order",
    body=shapes.OrderIn,
    response=shapes.OrderOut,
    status=201,
    headers=(IDEMPOTENCY_KEY,),
    answers={200: _l("The same request was sent before with this key: its order.")},
)
def place_order(body: shapes.OrderIn):
    """Place an order of `lines` (or of the cart, with `from_cart`) at today's contract prices,
    as checkout does: above the caller's spending limit it waits for approval
    (`pending_approval`); an order that does not fit the account's credit limit is put on
    hold; refusals (a line that cannot be ordered, a missing PO number the company requires,
    an address not the account's, a PO number an earlier order has unless
    `po_repeat_confirmed`) answer 422 and place nothing.

    The Idempotency-Key header makes a retry safe: the first request places the order (201),
    a repeat with the same key and the same request answers that order (200), also when both
    arrive at once. The same key with another request (other lines, address, PO number,
    delivery date or note) answers 422 and places nothing."""
    key = _idempotency_key()
    if (body.lines is None) == (not body.from_cart):
        raise ApiProblem(422, _("Send either lines or from_cart: true."), code="lines_or_from_cart")
    items = None
    if body.lines is not None:
        items = [(normal_sku(sku), qty) for sku, qty in shapes.parsed_lines(body.lines)]
    account = current_user.account
    with body_fields(CHECKOUT_FIELDS):
        placed = placement.submit_order(
            current_user, account, _checkout(account, body), _token(key), items=items
        )
    order = queries.order_or_404(placed.order.number, account_id=account.id, with_details=True)
    answer = _order(order)
    if placed.is_new:
        return answer, 201, {"Location": url_for(".show_order", number=order.number)}
    if not _same_request(order, body, items):
        raise ApiProblem(
            422,
            _(
                "This Idempotency-Key was used for another request (order %(number)s).",
                number=order.number,
            ),
            code="idempotency_key_reused",
        )
    return answer, 200


def _idempotency_key() -> str:
    """The header IDEMPOTENCY_KEY declares required: the operation's wrapper refused a request
    without it (spec.MissingHeader, 400 idempotency_key_required)."""
    return request.headers["Idempotency-Key"].strip()


def _token(key: str) -> str:
    """The order's one-time token: the key, namespaced by the caller so that two users' keys
    never meet (64 hex digits, the column's size)."""
    return hashlib.sha256(f"api:{current_user.id}:{key}".encode()).hexdigest()


def _checkout(account, body: shapes.OrderIn) -> placement.Checkout:
    """What the checkout form would send (ordering.forms.CheckoutForm.checkout)."""
    return placement.Checkout(
        ship_to_address_id=body.ship_to_address_id,
        po_number=body.po_number,
        requested_delivery_on=body.requested_delivery_on,
        note=body.note,
        is_po_repeat_confirmed=body.po_repeat_confirmed,
        fapiao_type=(body.fapiao_type or "") if fapiao.fapiao_choice(account).types else None,
    )


def _same_request(order: Order, body: shapes.OrderIn, items) -> bool:
    """Whether a repeat asks for what the order made of the first request: its lines (when
    sent; a cart ordered is empty afterwards) and its checkout choices as placement kept them."""
    if order.placed_by_id != current_user.id:
        return False
    if items is not None:
        placed = [(line.sku, line.quantity) for line in sorted(order.lines, key=_position)]
        if placed != items:
            return False
    return (
        order.ship_to_address_id == body.ship_to_address_id
        and order.po_number == plain_width(body.po_number).strip()
        and order.requested_delivery_on == body.requested_delivery_on
        and order.note == body.note.strip()
    )


def _position(line) -> int:
    return line.position


def _order(order: Order) -> shapes.OrderOut:
    return shapes.order_out(order, can_cancel=permissions.can_cancel(current_user, order))


@bp.get("/orders")
@operation(
    summary=_l("Your account's orders"),
    tag="orders",
    query=shapes.OrdersQuery,
    response=shapes.OrderPageOut,
)
def list_orders(query: shapes.OrdersQuery):
    """The account's orders, newest first, a page at a time (pass `next_cursor` as `cursor`),
    optionally of one status. A constant number of queries per page."""
    statement = queries.account_orders(current_user.account_id, status=query.status)
    orders, next_cursor = pagination.page_of(statement, Order.id, query)
    return shapes.OrderPageOut(
        data=[shapes.order_summary(order) for order in orders], next_cursor=next_cursor
    )


@bp.get("/orders/<number>")
@operation(summary=_l("One order"), tag="orders", response=shapes.OrderOut)
def show_order(number):
    """An order of the account: its lines with net, VAT and gross, the totals by VAT rate,
    status, PO number, payment term and schedule, ship-to and who placed it. Another
    account's order number answers 404."""
    return _order(
        queries.order_or_404(number, account_id=current_user.account_id, with_details=True)
    )


@bp.post("/orders/<number>/cancel")
@operation(
    summary=_l("Cancel an order"),
    tag="orders",
    scope="order",
    body=shapes.CancelIn,
    response=shapes.OrderOut,
)
def cancel_order(number, body: shapes.CancelIn):
    """Cancel an order before it is released to production, with a reason, as the order page
    allows: whoever placed it, and the account's approvers and customer admins (others: 403).
    Refused with 422 once released or without a reason."""
    order = queries.order_or_404(number, account_id=current_user.account_id)
    if not permissions.can_manage_order(current_user, order):
        raise ApiProblem(403, _("Only whoever placed the order or an approver may cancel it."))
    with body_fields({"comment": "body.reason"}):
        services.cancel_order(current_user, order, body.reason)
    return _order(
        queries.order_or_404(number, account_id=current_user.account_id, with_details=True)
    )


@bp.get("/approvals")
@operation(
    summary=_l("Orders waiting for your decision"), tag="approvals", response=shapes.ApprovalsOut
)
def list_approvals():
    """The account's orders above their buyers' spending limits that the caller decides,
    oldest first; never the caller's own."""
    return shapes.ApprovalsOut(
        data=[shapes.order_summary(order) for order in queries.orders_to_decide(current_user)]
    )


@bp.post("/approvals/<number>/approve")
@operation(
    summary=_l("Approve an order"),
    tag="approvals",
    scope="approve",
    body=shapes.DecisionIn,
    response=shapes.OrderOut,
)
def approve_order(number, body: shapes.DecisionIn):
    """Approve an order waiting for the caller's decision, with a comment for the buyer.
    Refused with 422 for the caller's own order, an order someone else decides, one no
    longer waiting, or without a comment."""
    return _decide(number, True, body.comment)


@bp.post("/approvals/<number>/reject")
@operation(
    summary=_l("Reject an order"),
    tag="approvals",
    scope="approve",
    body=shapes.DecisionIn,
    response=shapes.OrderOut,
)
def reject_order(number, body: shapes.DecisionIn):
    """Reject an order waiting for the caller's decision, with a comment saying why; refused
    as approving is."""
    return _decide(number, False, body.comment)


def _decide(number: str, approve: bool, comment: str) -> shapes.OrderOut:
    order = queries.order_or_404(number, account_id=current_user.account_id)
    with body_fields({}):
        services.decide_order(current_user, order, approve, comment)
    return _order(
        queries.order_or_404(number, account_id=current_user.account_id, with_details=True)
    )
