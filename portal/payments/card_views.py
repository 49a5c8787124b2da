"""Pay by card: the buyer's pay page and return page, saved cards, and Stripe's webhook. The
routes join the payments blueprint (views.bp); the card data itself never comes here: the
buyer types it into Stripe's element and the portal receives Stripe's ids only."""

import click
import stripe
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField
from wtforms.validators import Optional, Regexp

from portal.accounts import queries as account_queries
from portal.core.access import restricted
from portal.core.actions import refusal_shown
from portal.core.inputs import bounded_int
from portal.core.invoice_numbers import invoice_number
from portal.core.permissions import public, require
from portal.extensions import csrf, db
from portal.payments import card_events, cards, gateway, queries
from portal.payments.models import SavedCard
from portal.payments.views import bp

# --- buyer: pay by card ---
#   GET POST  /a/<slug>/invoices/<milestone_id>/pay           pay_by_card             BUYER_ROLES
#   POST      /a/<slug>/invoices/<milestone_id>/card-setup    start_card_setup        BUYER_ROLES
#   GET POST  /a/<slug>/invoices/<milestone_id>/card-payment  show_card_payment       BUYER_ROLES
#   POST      /a/<slug>/saved-cards/<saved_card_id>/remove    remove_saved_card       BUYER_ROLES
# --- Stripe ---
#   POST      /webhooks/stripe                                receive_stripe_webhook  public
# Stripe's webhook is signed, and the only route without a CSRF token (SECURITY.md 21).


class CheckCardPaymentForm(FlaskForm):
    """The return page asks Stripe how the payment stands: a POST, with its CSRF token."""


class PayByCardForm(FlaskForm):
    """What the pay page posts: Stripe's id of the card the buyer set up in Stripe's element,
    or one of the account's saved cards; never a card number (SECURITY.md 33)."""

    payment_method = HiddenField(validators=[Optional(), Regexp(r"^pm_[A-Za-z0-9_]{1,200}$")])
    saved_card = IntegerField(validators=[Optional()])
    save_card = BooleanField(
        _l(
            "Save this card and charge it for this account's later payments on their due dates. "
            "I am authorised to agree to this on my company's behalf."
        )
    )


@bp.route("/a/<slug>/invoices/<int:milestone_id>/pay", methods=["GET", "POST"])
@restricted
def pay_by_card(slug, milestone_id):
    """GET shows what is owed and Stripe's card box, and changes nothing, at Stripe or here;
    POST opens the milestone's PaymentIntent and confirms it with the buyer's card."""
    account = account_queries.account_or_404(slug)
    milestone, order = queries.milestone_of_account_or_404(account, milestone_id)
    back = url_for("payments.list_invoices", slug=account.slug)
    status = 303 if request.method == "POST" else 302
    if not gateway.is_configured():
        flash(_("Card payments are not available; pay by bank transfer, please."), "warning")
        return redirect(back, status)
    if (refusal := cards.payable_refusal(milestone, order)) is not None:
        flash(refusal, "warning")
        return redirect(back, status)
    done = url_for(".show_card_payment", slug=account.slug, milestone_id=milestone.id)
    card = queries.current_card_payment(milestone.id)
    if card is not None and card.status in ("processing", "succeeded"):
        return redirect(done, status)
    saved_cards = queries.saved_cards_of(account.id)
    form = PayByCardForm()
    next_action_secret = None
    if form.validate_on_submit():
        saved = None
        if form.saved_card.data:
            saved = next((s for s in saved_cards if s.id == form.saved_card.data), None)
            require(saved is not None)
        with refusal_shown() as refused:
            card = cards.open_card_payment(current_user, milestone, order)
            if card.status in ("processing", "succeeded"):
                return redirect(done, 303)
            confirmation = cards.confirm_card_payment(
                current_user,
                card,
                payment_method_id=form.payment_method.data or None,
                saved_card=saved,
                save_card=bool(form.save_card.data),
            )
        if refused:
            return redirect(request.path, 303)
        if not confirmation.needs_action:
            return redirect(done, 303)
        # 3-D Secure: stripe.js finishes it on this page, then goes to the return page.
        next_action_secret = cards.client_secret(card)
    elif request.method == "POST":
        # Whatever came instead of Stripe's id is not shown again (it may be a card number).
        form.payment_method.data = ""
        flash(_("Enter your card in the card box, then pay."), "danger")
    return render_template(
        "payments/pay.html",
        account=account,
        milestone=milestone,
        order=order,
        invoice_number=invoice_number(order.number, milestone.position),
        amount=milestone.unpaid,
        card=card,
        form=form,
        saved_cards=saved_cards,
        setup_url=url_for(".start_card_setup", slug=account.slug, milestone_id=milestone.id),
        next_action_secret=next_action_secret,
        done_url=done,
        publishable_key=current_app.config["STRIPE_PUBLISHABLE_KEY"],
        stripe_js_url=current_app.config["STRIPE_JS_URL"],
    )


@bp.post("/a/<slug>/invoices/<int:milestone_id>/card-setup")
@restricted
def start_card_setup(slug, milestone_id):
    """A SetupIntent's client secret, for stripe.js to take the buyer's card in Stripe's
    element: asked for by the pay page's script when the buyer pays, never on a GET."""
    account = account_queries.account_or_404(slug)
    milestone, order = queries.milestone_of_account_or_404(account, milestone_id)
    if not gateway.is_configured() or cards.payable_refusal(milestone, order) is not None:
        abort(404)
    try:
        return {"setup_secret": cards.setup_secret()}
    except stripe.StripeError:
        return {"error": _("Card payments are not available just now. Try again later.")}, 503


@bp.route("/a/<slug>/invoices/<int:milestone_id>/card-payment", methods=["GET", "POST"])
@restricted
def show_card_payment(slug, milestone_id):
    """Where Stripe's flow returns the buyer. Whatever the address says, only Stripe can make the
    payment count (SECURITY.md 31): its event, or, on POST (the page's script posts once by
    itself), a server-side retrieve. GET only shows."""
    account = account_queries.account_or_404(slug)
    milestone, order = queries.milestone_of_account_or_404(account, milestone_id)
    card = queries.current_card_payment(milestone.id)
    if request.method == "POST":
        if card is not None and gateway.is_configured() and card.status in ("open", "processing"):
            try:
                card_events.sync_card_payment(card)
            except Exception:  # noqa: BLE001 - Stripe unreachable: the webhook will tell
                db.session.rollback()
                current_app.logger.warning("could not retrieve %s from Stripe", card.stripe_id)
        return redirect(
            url_for(".show_card_payment", slug=slug, milestone_id=milestone_id, checked=1), 303
        )
    return render_template(
        "payments/card_payment.html",
        account=account,
        milestone=milestone,
        order=order,
        card=card,
        check_form=CheckCardPaymentForm(),
        is_checked=request.args.get("checked") == "1",
    )


@bp.post("/a/<slug>/saved-cards/<int:saved_card_id>/remove")
@restricted
def remove_saved_card(slug, saved_card_id):
    account = account_queries.account_or_404(slug)
    saved = db.session.get(SavedCard, saved_card_id)
    require(saved is not None and saved.account_id == account.id)
    if saved.is_active:
        cards.remove_saved_card(current_user, saved)
        flash(
            _("Card ending %(last4)s removed: it is charged no more.", last4=saved.last4), "success"
        )
    milestone_id = request.form.get("milestone_id", type=bounded_int)
    if milestone_id:
        return redirect(url_for(".pay_by_card", slug=account.slug, milestone_id=milestone_id), 303)
    return redirect(url_for("payments.list_invoices", slug=account.slug), 303)


@bp.post("/webhooks/stripe")
@public
@csrf.exempt
def receive_stripe_webhook():
    """Stripe's events, authenticated by their signature over the raw body (SECURITY.md 27);
    anything unsigned, signed with another secret, stale or altered is refused with 400."""
    if not gateway.is_configured():
        abort(404)
    try:
        event = gateway.verified_event(request.get_data(), request.headers.get("Stripe-Signature"))
    except ValueError:
        return {"error": "invalid signature"}, 400
    outcome = card_events.handle_event(event)
    current_app.logger.info("stripe event %s %s: %s", event["id"], event.get("type"), outcome)
    return {"received": True, "outcome": outcome}


@bp.record_once
def _register_commands(state):
    @state.app.cli.command("charge-saved-cards")
    def charge_saved_cards_command():
        """Charge installments due today to the saved cards of their accounts (run daily)."""
        run = cards.charge_saved_cards()
        click.echo(
            f"Saved cards: {run.charged} charged, {run.failed} declined, {run.skipped} skipped."
        )
