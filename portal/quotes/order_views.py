"""Ordering an accepted quote: the checkout of its lines at its prices (quotes.orders)."""

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts import queries as account_queries
from portal.core.access import restricted
from portal.core.actions import refusal_shown
from portal.ordering.forms import checkout_page
from portal.quotes import orders, queries

bp = Blueprint("quote_orders", __name__)

# --- buyer: order a quote (another account's buyer gets 404) ---
#   GET POST  /a/<slug>/quotes/<quote_number>/order    order_quote            BUYER_ROLES


@bp.route("/a/<slug>/quotes/<quote_number>/order", methods=["GET", "POST"])
@restricted
def order_quote(slug, quote_number):
    account = account_queries.account_or_404(slug, with_details=True)
    quote = queries.quote_of_account(account.id, quote_number)
    if quote is None:
        abort(404)
    page = checkout_page(account)
    form = page.form
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            with refusal_shown(form):
                order = orders.order_quote(
                    current_user, account, quote, form.checkout(), form.checkout_token.data
                )
                flash(
                    _(
                        "Order %(number)s placed from quote %(quote)s.",
                        number=order.number,
                        quote=quote.number,
                    ),
                    "success",
                )
                return redirect(url_for("ordering.show_order", slug=slug, number=order.number), 303)
            # Refused: show the quote as it stands now (ordered meanwhile, expired).
            quote = queries.quote_of_account(account.id, quote_number)
        elif form.checkout_token.errors:
            flash(
                _("This checkout form has expired. Check your order and submit it again."),
                "danger",
            )
            form.checkout_token.data = None
            status = 400
    if not form.checkout_token.data:
        form.checkout_token.data = uuid.uuid4().hex
    shown = orders.checkout_of(current_user, account, quote)
    return render_template(
        "quotes/order_checkout.html",
        account=account,
        quote=quote,
        form=form,
        ship_to_addresses=page.ship_to_addresses,
        fapiao_choice=page.fapiao_choice,
        **_shown(shown),
    ), status


def _shown(shown: orders.QuoteCheckout) -> dict:
    """What the checkout template shows (ordering/buyer_checkout.html)."""
    preview = shown.preview
    if preview is None:
        return {"problem": shown.problem, "pricing": None}
    return {
        "pricing": preview.pricing,
        "explanations": shown.explanations,
        "problem": shown.problem,
        "schedule": preview.schedule,
        "vat": preview.vat,
        "term": preview.term,
        "needs_approval": preview.needs_approval,
        "who_decides": preview.who_decides,
    }
