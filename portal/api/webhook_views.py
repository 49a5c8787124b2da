"""Webhooks: the customer admin's endpoints, their deliveries and attempts (SECURITY.md 50).
Adding an endpoint, changing it, rolling its secret and deleting it ask for a fresh sign-in
(SECURITY.md 48); a secret is shown once, on the page that answers its creation."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.queries import account_or_404
from portal.api import webhook_events, webhook_queries, webhook_services
from portal.api.webhook_forms import (
    EVENT_LABELS,
    FAILURE_LABELS,
    OTHER_FAILURE,
    ActiveForm,
    EndpointForm,
)
from portal.core.access import restricted
from portal.core.actions import refusal_shown
from portal.core.inputs import bounded_int
from portal.core.permissions import CUSTOMER_ADMIN, require
from portal.core.reauth import fresh_sign_in
from portal.core.versioning import Conflict, VersionedForm, answer, conflict_seen

bp = Blueprint("webhooks", __name__)

# --- buyer side (another account's endpoint or delivery is a 404) ---
#   GET       /a/<slug>/settings/webhooks                          list_endpoints     CUSTOMER_ADMIN
#   GET POST  /a/<slug>/settings/webhooks/new                      create_endpoint    CUSTOMER_ADMIN
#   GET       /a/<slug>/settings/webhooks/<id>                     show_endpoint      CUSTOMER_ADMIN
#   GET POST  /a/<slug>/settings/webhooks/<id>/edit                edit_endpoint      CUSTOMER_ADMIN
#   POST      /a/<slug>/settings/webhooks/<id>/active              set_active         CUSTOMER_ADMIN
#   POST      /a/<slug>/settings/webhooks/<id>/secret              roll_secret        CUSTOMER_ADMIN
#   POST      /a/<slug>/settings/webhooks/<id>/delete              delete_endpoint    CUSTOMER_ADMIN
#   POST      /a/<slug>/settings/webhooks/<id>/test                send_test_event    CUSTOMER_ADMIN
#   POST      /a/<slug>/settings/webhooks/<id>/deliveries/<id>     redeliver          CUSTOMER_ADMIN
# The endpoint's form carries its version (core.versioning, SECURITY.md 37).


@bp.get("/a/<slug>/settings/webhooks")
@restricted
def list_endpoints(slug):
    account = _own_account(slug)
    return render_template(
        "api/webhooks.html",
        account=account,
        endpoints=webhook_queries.endpoints_of(account),
        counts=webhook_queries.delivery_counts(account),
        event_labels=EVENT_LABELS,
    )


@bp.route("/a/<slug>/settings/webhooks/new", methods=["GET", "POST"])
@restricted
@fresh_sign_in
def create_endpoint(slug):
    account = _own_account(slug)
    form = EndpointForm()
    if form.validate_on_submit():
        with refusal_shown(form):
            endpoint, secret = webhook_services.create_endpoint(
                current_user, account, form.values()
            )
            return _secret_page(account, endpoint, secret, _("Endpoint added."))
    return render_template("api/webhook_form.html", account=account, form=form, endpoint=None)


@bp.get("/a/<slug>/settings/webhooks/<int:endpoint_id>")
@restricted
def show_endpoint(slug, endpoint_id):
    account = _own_account(slug)
    endpoint = webhook_queries.endpoint_or_404(account, endpoint_id)
    page = webhook_queries.deliveries_page(endpoint, request.args.get("page", 1, type=bounded_int))
    return render_template(
        "api/webhook.html",
        account=account,
        endpoint=endpoint,
        page=page,
        attempts=webhook_queries.attempts_of(page.items),
        event_labels=EVENT_LABELS,
        failure_labels=FAILURE_LABELS,
        other_failure=OTHER_FAILURE,
        form=VersionedForm(),
    )


@bp.route("/a/<slug>/settings/webhooks/<int:endpoint_id>/edit", methods=["GET", "POST"])
@restricted
@fresh_sign_in
def edit_endpoint(slug, endpoint_id):
    account = _own_account(slug)
    endpoint = webhook_queries.endpoint_or_404(account, endpoint_id)
    form = EndpointForm(obj=endpoint, events=endpoint.events)
    conflict = None
    if form.validate_on_submit():
        with refusal_shown(form, view_shows=Conflict) as refused:
            webhook_services.update_endpoint(
                current_user, endpoint, form.values(), form.expected_version()
            )
            flash(_("Endpoint saved."), "success")
            return redirect(url_for(".list_endpoints", slug=slug), 303)
        endpoint = webhook_queries.endpoint_or_404(account, endpoint_id)
        conflict = conflict_seen(
            refused,
            form,
            lambda: EndpointForm(formdata=None, obj=endpoint, events=endpoint.events),
            endpoint,
            f"webhook:{endpoint.id}",
            # Checkboxes have no one text to compare (the form keeps what was ticked).
            not_compared=("events",),
        )
    return answer("api/webhook_form.html", conflict, account=account, form=form, endpoint=endpoint)


@bp.post("/a/<slug>/settings/webhooks/<int:endpoint_id>/active")
@restricted
def set_active(slug, endpoint_id):
    account = _own_account(slug)
    endpoint = webhook_queries.endpoint_or_404(account, endpoint_id)
    form = ActiveForm()
    if form.validate_on_submit():
        active = form.active.data == "1"
        with refusal_shown(form):
            webhook_services.set_active(current_user, endpoint, active)
            flash(_("Endpoint enabled.") if active else _("Endpoint disabled."), "success")
    return redirect(url_for(".list_endpoints", slug=slug), 303)


@bp.post("/a/<slug>/settings/webhooks/<int:endpoint_id>/secret")
@restricted
@fresh_sign_in
def roll_secret(slug, endpoint_id):
    account = _own_account(slug)
    endpoint = webhook_queries.endpoint_or_404(account, endpoint_id)
    form = VersionedForm()
    if form.validate_on_submit():
        with refusal_shown(form):
            secret = webhook_services.roll_secret(current_user, endpoint, form.expected_version())
            return _secret_page(account, endpoint, secret, _("New secret made."))
    return redirect(url_for(".list_endpoints", slug=slug), 303)


@bp.post("/a/<slug>/settings/webhooks/<int:endpoint_id>/delete")
@restricted
@fresh_sign_in
def delete_endpoint(slug, endpoint_id):
    account = _own_account(slug)
    endpoint = webhook_queries.endpoint_or_404(account, endpoint_id)
    if VersionedForm().validate_on_submit():
        webhook_services.delete_endpoint(current_user, endpoint)
        flash(_("Endpoint deleted."), "success")
    return redirect(url_for(".list_endpoints", slug=slug), 303)


@bp.post("/a/<slug>/settings/webhooks/<int:endpoint_id>/test")
@restricted
def send_test_event(slug, endpoint_id):
    account = _own_account(slug)
    endpoint = webhook_queries.endpoint_or_404(account, endpoint_id)
    form = VersionedForm()
    if form.validate_on_submit():
        with refusal_shown(form):
            webhook_services.send_test_event(current_user, endpoint)
            flash(_("Test event queued."), "success")
    return redirect(url_for(".show_endpoint", slug=slug, endpoint_id=endpoint.id), 303)


@bp.post("/a/<slug>/settings/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>")
@restricted
def redeliver(slug, endpoint_id, delivery_id):
    account = _own_account(slug)
    endpoint = webhook_queries.endpoint_or_404(account, endpoint_id)
    delivery = webhook_queries.delivery_or_404(endpoint, delivery_id)
    form = VersionedForm()
    if form.validate_on_submit():
        with refusal_shown(form):
            webhook_services.redeliver(current_user, delivery)
            flash(_("Delivery queued again."), "success")
    return redirect(url_for(".show_endpoint", slug=slug, endpoint_id=endpoint.id), 303)


def _own_account(slug):
    """The customer admin's own account (PAGES lets only customer admins in): else 404."""
    account = account_or_404(slug)
    require(current_user.role == CUSTOMER_ADMIN and current_user.account_id == account.id)
    return account


def _secret_page(account, endpoint, secret, message):
    flash(message, "success")
    page = render_template(
        "api/webhook_secret.html", account=account, endpoint=endpoint, secret=secret
    )
    # Shown this once: no cache keeps it.
    return page, 200, {"Cache-Control": "no-store"}


@bp.record_once
def _subscribe(state):
    """The lower domains' events become the account's webhook events (webhook_events)."""
    webhook_events.subscribe_all(state.app)
