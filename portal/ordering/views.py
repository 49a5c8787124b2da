"""Orders: checkout, the buyer's orders and approvals, and the staff order desk."""

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts import queries as account_queries
from portal.cart import services as cart_services
from portal.contracts.pricing import explain
from portal.core.access import restricted
from portal.core.actions import refusal_shown
from portal.core.forms import validated
from portal.core.inputs import bounded_int
from portal.core.page_parts import page_parts
from portal.core.permissions import require
from portal.core.punchout import current_punchout
from portal.core.reauth import fresh_sign_in
from portal.notifications import services as notifications
from portal.notifications.forms import ReadNoticesForm
from portal.ordering import (
    approvals,
    credit,
    gate,
    lifecycle,
    permissions,
    placement,
    queries,
    services,
)
from portal.ordering.forms import (
    CancelOrderForm,
    CreditHoldForm,
    HoldOrderForm,
    OnBehalfOrderForm,
    OrderActionForm,
    OrderDecisionForm,
    ShipOrderForm,
    StaffOrderFilterForm,
    checkout_page,
)
from portal.ordering.lifecycle import ORDER_STATUSES

bp = Blueprint("ordering", __name__)

# --- buyer: checkout, orders, approvals, notices (another account's buyer gets 404) ---
#   GET POST  /a/<slug>/checkout                       checkout               BUYER_ROLES
#   GET       /a/<slug>/orders                         list_orders            BUYER_ROLES
#   GET       /a/<slug>/orders/<number>                show_order             BUYER_ROLES
#   POST      /a/<slug>/orders/<number>/cancel         cancel_order           BUYER_ROLES
#   POST      /a/<slug>/orders/<number>/reorder        reorder                BUYER_ROLES
#   GET       /a/<slug>/approvals                      list_approvals         APPROVALS_ROLES
#   POST      /a/<slug>/approvals/<number>             decide_order           APPROVALS_ROLES
#   POST      /a/<slug>/notices/read                   read_notices           BUYER_ROLES
# --- staff: order desk ---
#   GET       /staff/orders                            list_staff_orders      BUSINESS_STAFF
#   GET       /staff/orders/<number>                   show_staff_order       BUSINESS_STAFF
#   POST      /staff/orders/<number>/confirm           confirm_order          ORDER_DESK
#   POST      /staff/orders/<number>/hold              hold_order             ORDER_DESK
#   POST      /staff/orders/<number>/resume            resume_order           ORDER_DESK
#   POST      /staff/orders/<number>/release           release_order          RELEASERS
#   POST      /staff/orders/<number>/ship              ship_order             ORDER_DESK
#   POST      /staff/orders/<number>/deliver           deliver_order          ORDER_DESK
#   POST      /staff/orders/<number>/close             close_order            ORDER_DESK
#   POST      /staff/orders/<number>/cancel            cancel_order_by_staff  ORDER_DESK
#   POST      /staff/orders/<number>/decide            record_decision        ON_BEHALF_PLACERS
#   GET POST  /staff/accounts/<slug>/orders/new        place_order_for_buyer  ON_BEHALF_PLACERS
#   POST      /staff/accounts/<slug>/credit-hold       set_credit_hold        CREDIT_CONTROLLERS


@bp.route("/a/<slug>/checkout", methods=["GET", "POST"])
@restricted
def checkout(slug):
    account = account_queries.account_or_404(slug, with_details=True)
    if current_punchout() is not None:
        # In a PunchOut the cart goes back to the purchasing system; its PO places the order.
        flash(_("Return the cart to your purchasing system to order it."), "info")
        return redirect(url_for("cart.show_cart", slug=slug), 303)
    page = checkout_page(account)
    form = page.form
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            with refusal_shown(form):
                order = placement.place_order(
                    current_user, account, form.checkout(), token=form.checkout_token.data
                )
                flash(*_placed_message(order))
                return redirect(url_for(".show_order", slug=slug, number=order.number), 303)
        elif form.checkout_token.errors:
            # Not a form this server rendered (or a damaged one): nothing is placed.
            flash(
                _("This checkout form has expired. Check your order and submit it again."),
                "danger",
            )
            form.checkout_token.data = None
            status = 400
    if not form.checkout_token.data:
        form.checkout_token.data = uuid.uuid4().hex
    return render_template(
        "ordering/buyer_checkout.html",
        account=account,
        form=form,
        ship_to_addresses=page.ship_to_addresses,
        fapiao_choice=page.fapiao_choice,
        **_preview(account),
    ), status


def _preview(account) -> dict:
    preview = placement.preview_checkout(current_user, account)
    return {
        "pricing": preview.pricing,
        "explanations": [explain(line, preview.pricing.terms) for line in preview.pricing.lines],
        "problem": preview.problem,
        "schedule": preview.schedule,
        "vat": preview.vat,
        "term": preview.term,
        "needs_approval": preview.needs_approval,
        "who_decides": preview.who_decides,
    }


def _placed_message(order) -> tuple[str, str]:
    if order.status == "pending_approval":
        placed = _("Order %(number)s placed: it waits for approval.", number=order.number)
        return f"{placed} {_who_decides(order)}", "warning"
    if order.status == "on_hold":
        return _(
            "Order %(number)s placed and is on hold: %(reason)s",
            number=order.number,
            reason=order.hold_reason,
        ), "warning"
    return _("Order %(number)s placed.", number=order.number), "success"


def _who_decides(order) -> str:
    return approvals.who_decides(approvals.deciders(order))


@bp.get("/a/<slug>/orders")
@restricted
def list_orders(slug):
    account = account_queries.account_or_404(slug)
    status = request.args.get("status")
    status = status if status in ORDER_STATUSES else None
    mine = request.args.get("mine") == "1"
    page = queries.orders_of(
        account.id,
        status=status,
        placed_by_id=current_user.id if mine else None,
        page=request.args.get("page", 1, type=bounded_int),
    )
    return render_template(
        "ordering/buyer_orders.html",
        account=account,
        page=page,
        status=status,
        mine=mine,
        statuses=ORDER_STATUSES,
    )


@bp.get("/a/<slug>/orders/<number>")
@restricted
def show_order(slug, number):
    account = account_queries.account_or_404(slug)
    order = queries.order_or_404(number, account_id=account.id, with_details=True)
    return render_template(
        "ordering/buyer_order.html",
        account=account,
        order=order,
        blockers=gate.release_blockers(order),
        can_cancel=permissions.can_cancel(current_user, order),
        can_decide=permissions.can_decide(current_user, order, approvals.deciders(order)),
        cancel_form=CancelOrderForm(),
        decision_form=OrderDecisionForm(),
        **page_parts("ordering.buyer_order", order=order),
    )


@bp.post("/a/<slug>/orders/<number>/cancel")
@restricted
def cancel_order(slug, number):
    account = account_queries.account_or_404(slug)
    order = queries.order_or_404(number, account_id=account.id)
    require(permissions.can_manage_order(current_user, order), 403)
    form = CancelOrderForm()
    if validated(form, _("Say why the order is cancelled, in at most 2000 characters.")):
        with refusal_shown():
            services.cancel_order(current_user, order, form.reason.data or "")
            flash(_("Order %(number)s was cancelled.", number=number), "success")
    return redirect(url_for(".show_order", slug=slug, number=number), 303)


@bp.get("/a/<slug>/approvals")
@restricted
def list_approvals(slug):
    """The orders the user decides, their own waiting for a colleague, and the account's
    others waiting, each with who decides it."""
    account = account_queries.account_or_404(slug)
    waiting = queries.waiting_for_approval(account.id)
    deciders = approvals.deciders_of(waiting)
    mine = [o for o in waiting if permissions.can_decide(current_user, o, deciders.get(o.id))]
    rest = [o for o in waiting if o not in mine]
    return render_template(
        "ordering/buyer_approvals.html",
        account=account,
        others=mine,
        own=[o for o in rest if o.placed_by_id == current_user.id],
        elsewhere=[
            (o, approvals.who_decides(deciders[o.id]))
            for o in rest
            if o.placed_by_id != current_user.id
        ],
        form=OrderDecisionForm(),
    )


@bp.post("/a/<slug>/approvals/<number>")
@restricted
def decide_order(slug, number):
    account = account_queries.account_or_404(slug)
    _decide(queries.order_or_404(number, account_id=account.id))
    return redirect(url_for(".list_approvals", slug=slug), 303)


def _decide(order) -> None:
    """Approve or reject as the decision form says; a refusal is flashed."""
    form = OrderDecisionForm()
    if not validated(form, _("Write a comment of at most 2000 characters.")):
        return
    if not form.approve.data and not form.reject.data:
        flash(_("Choose to approve or to reject the order."), "danger")
        return
    with refusal_shown():
        services.decide_order(current_user, order, bool(form.approve.data), form.comment.data or "")
        if form.approve.data:
            flash(_("Order %(number)s approved.", number=order.number), "success")
        else:
            flash(_("Order %(number)s rejected.", number=order.number), "success")


@bp.post("/a/<slug>/notices/read")
@restricted
def read_notices(slug):
    account = account_queries.account_or_404(slug)
    if ReadNoticesForm().validate_on_submit():
        notifications.mark_read(current_user.id)
    return redirect(url_for("home.landing", slug=account.slug), 303)


@bp.post("/a/<slug>/orders/<number>/reorder")
@restricted
def reorder(slug, number):
    """The order's lines into the cart at today's prices; lines that can no longer be ordered
    are reported by SKU and the rest added."""
    account = account_queries.account_or_404(slug)
    order = queries.order_or_404(number, account_id=account.id, with_details=True)
    added = cart_services.add_available(
        current_user, account, [(line.sku, line.quantity) for line in order.lines]
    )
    for message, category in added.messages():
        flash(message, category)
    return redirect(url_for("cart.show_cart", slug=account.slug), 303)


@bp.get("/staff/orders")
@restricted
def list_staff_orders():
    form = StaffOrderFilterForm(
        request.args,
        statuses=[(status, lifecycle.status_label(status)) for status in ORDER_STATUSES],
        accounts=queries.account_choices(),
    )
    filters = form.filters()
    page = queries.staff_orders(**filters, page=request.args.get("page", 1, type=bounded_int))
    args = {name: value for name, value in request.args.items() if name != "page" and value}
    return render_template("ordering/staff_orders.html", form=form, page=page, args=args)


@bp.get("/staff/orders/<number>")
@restricted
def show_staff_order(number):
    order = queries.order_or_404(number, with_details=True)
    deciders = approvals.deciders(order)
    return render_template(
        "ordering/staff_order.html",
        order=order,
        blockers=gate.release_blockers(order),
        actions=permissions.staff_actions(current_user, order),
        can_release=permissions.can_release_orders(current_user),
        deciders=deciders,
        can_decide=permissions.can_decide(current_user, order, deciders),
        decision_form=OrderDecisionForm(),
        **page_parts("ordering.staff_order", order=order),
    )


@bp.post("/staff/orders/<number>/confirm")
@restricted
def confirm_order(number):
    order = queries.order_or_404(number)
    if validated(OrderActionForm()):
        with refusal_shown():
            services.confirm_order(current_user, order)
            flash(_("Order confirmed."), "success")
    return _back_to_desk(number)


@bp.post("/staff/orders/<number>/hold")
@restricted
def hold_order(number):
    order = queries.order_or_404(number)
    form = HoldOrderForm()
    if validated(form):
        with refusal_shown():
            services.hold_order(current_user, order, form.reason.data or "")
            flash(_("Order on hold."), "success")
    return _back_to_desk(number)


@bp.post("/staff/orders/<number>/resume")
@restricted
def resume_order(number):
    order = queries.order_or_404(number)
    form = HoldOrderForm()
    if validated(form):
        with refusal_shown():
            services.resume_order(current_user, order, form.reason.data or "")
            flash(_("The hold is lifted."), "success")
    return _back_to_desk(number)


@bp.post("/staff/orders/<number>/release")
@restricted
def release_order(number):
    order = queries.order_or_404(number)
    if validated(OrderActionForm()):
        with refusal_shown():
            services.release_order(current_user, order)
            flash(_("Order released to production."), "success")
    return _back_to_desk(number)


@bp.post("/staff/orders/<number>/ship")
@restricted
def ship_order(number):
    order = queries.order_or_404(number)
    form = ShipOrderForm()
    if validated(form):
        with refusal_shown():
            services.ship_order(
                current_user, order, form.carrier.data or "", form.tracking_number.data or ""
            )
            flash(
                _("Shipment recorded; payments due after shipment now have their dates."),
                "success",
            )
    return _back_to_desk(number)


@bp.post("/staff/orders/<number>/deliver")
@restricted
def deliver_order(number):
    order = queries.order_or_404(number)
    if validated(OrderActionForm()):
        with refusal_shown():
            services.deliver_order(current_user, order)
            flash(_("Delivery recorded."), "success")
    return _back_to_desk(number)


@bp.post("/staff/orders/<number>/close")
@restricted
def close_order(number):
    order = queries.order_or_404(number)
    if validated(OrderActionForm()):
        with refusal_shown():
            services.close_order(current_user, order)
            flash(_("Order closed."), "success")
    return _back_to_desk(number)


@bp.post("/staff/orders/<number>/cancel")
@restricted
def cancel_order_by_staff(number):
    order = queries.order_or_404(number)
    form = HoldOrderForm()
    if validated(form):
        with refusal_shown():
            services.cancel_order(current_user, order, form.reason.data or "")
            flash(_("Order cancelled."), "success")
    return _back_to_desk(number)


@bp.post("/staff/orders/<number>/decide")
@restricted
def record_decision(number):
    """Staff record the account's decision on an order nobody there may approve."""
    _decide(queries.order_or_404(number))
    return _back_to_desk(number)


def _back_to_desk(number: str):
    """Every order desk action answers with the order's page, where a refusal is flashed."""
    return redirect(url_for(".show_staff_order", number=number), 303)


@bp.route("/staff/accounts/<slug>/orders/new", methods=["GET", "POST"])
@restricted
def place_order_for_buyer(slug):
    account = account_queries.account_or_404(slug, with_details=True)
    buyers = {buyer.id: buyer for buyer in account_queries.buyers_of(account)}
    form = OnBehalfOrderForm(buyers=buyers.values(), addresses=account.addresses)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            with refusal_shown(form):
                buyer = buyers[form.buyer.data]
                order = placement.place_order(
                    buyer,
                    account,
                    form.checkout(),
                    form.checkout_token.data,
                    items=form.items,
                    on_behalf_by=current_user,
                    reason=form.reason.data or "",
                )
                flash(*_placed_for_buyer_message(order, buyer))
                return redirect(url_for(".show_staff_order", number=order.number), 303)
        elif form.checkout_token.errors:
            flash(_("This order form has expired. Check the order and submit it again."))
            form.checkout_token.data = None
            status = 400
    if not form.checkout_token.data:
        form.checkout_token.data = uuid.uuid4().hex
    return render_template(
        "ordering/staff_order_form.html", account=account, form=form, has_buyers=bool(buyers)
    ), status


def _placed_for_buyer_message(order, buyer) -> tuple[str, str]:
    if order.status == "pending_approval":
        placed = _(
            "Order %(number)s placed for %(buyer)s; it is above their spending limit and waits "
            "for approval.",
            number=order.number,
            buyer=buyer.name,
        )
        return f"{placed} {_who_decides(order)}", "warning"
    if order.status == "on_hold":
        return _(
            "Order %(number)s placed for %(buyer)s and held: %(reason)s",
            number=order.number,
            buyer=buyer.name,
            reason=order.hold_reason,
        ), "warning"
    return _("Order %(number)s placed for %(buyer)s.", number=order.number, buyer=buyer.name), (
        "success"
    )


@bp.post("/staff/accounts/<slug>/credit-hold")
@restricted
@fresh_sign_in
def set_credit_hold(slug):
    account = account_queries.account_or_404(slug)
    form = CreditHoldForm()
    if not form.validate_on_submit() or form.hold.data == form.lift.data:
        flash(_("Put the account on credit hold or lift the hold, and say why."), "danger")
    else:
        with refusal_shown():
            credit.set_credit_hold(current_user, account, bool(form.hold.data), form.reason.data)
            flash(
                _("%(name)s is on credit hold: no order is released.", name=account.name)
                if form.hold.data
                else _("The credit hold on %(name)s is lifted.", name=account.name),
                "success",
            )
    return redirect(url_for("lookup.show_account", slug=slug), 303)
