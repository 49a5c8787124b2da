"""cXML PunchOut: the procurement system's setup and order requests, the one-time start URL,
the cart returned to the system, and the staff page of an account's connections."""

from flask import (
    Blueprint,
    Response,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal.accounts import queries as account_queries
from portal.api import connections as connection_book
from portal.api import punchout
from portal.api.cxml import CxmlError, new_payload_id, status_response
from portal.api.punchout_forms import ConnectionActionForm, ConnectionForm
from portal.auth import services as auth_services
from portal.core import db as core_db
from portal.core.access import restricted
from portal.core.actions import refusal_shown
from portal.core.http import allow_form_action
from portal.core.permissions import public, require
from portal.core.punchout import current_punchout, mark_punchout
from portal.core.reauth import fresh_sign_in
from portal.extensions import csrf, db

bp = Blueprint("punchout", __name__)

# --- machines: cXML over HTTP, authenticated by the connection's shared secret ---
#   POST      /punchout/setup                                   setup             public
#   POST      /punchout/order                                   order             public
# --- the buyer's browser ---
#   GET       /punchout/start/<token>                           start             public
#   POST      /punchout/return                                  return_cart       BUYER_ROLES
# --- staff: an account's PunchOut connections and their shared secrets ---
#   GET POST  /staff/accounts/<slug>/punchout                   connections       ACCOUNT_EDITORS
#   POST      /staff/accounts/<slug>/punchout/<id>/secret       roll_secret       ACCOUNT_EDITORS
#   POST      /staff/accounts/<slug>/punchout/<id>/deactivate   deactivate        ACCOUNT_EDITORS
#   POST      /staff/accounts/<slug>/punchout/<id>/reactivate   reactivate        ACCOUNT_EDITORS
# The start URL signs its user in once, within minutes of the setup request (one-time token).

CXML_TYPE = "text/xml; charset=utf-8"


@bp.post("/punchout/setup")
@public
@csrf.exempt
def setup():
    """A PunchOutSetupRequest: answered with the start URL, or a cXML refusal."""
    try:
        document = punchout.setup(
            request.get_data(cache=False),
            lambda token: url_for(".start", token=token, _external=True),
            request.host,
        )
    except CxmlError as error:
        return _refusal(error)
    return Response(document, 200, content_type=CXML_TYPE)


@bp.post("/punchout/order")
@public
@csrf.exempt
def order():
    """An OrderRequest (the purchase order): the order placed once per payloadID."""
    try:
        document = punchout.receive_order(request.get_data(cache=False), request.host)
    except CxmlError as error:
        return _refusal(error)
    return Response(document, 200, content_type=CXML_TYPE)


def _refusal(error: CxmlError) -> Response:
    db.session.rollback()
    document = status_response(
        error.code, error.text, new_payload_id(request.host), core_db.utcnow()
    )
    return Response(document, error.code, content_type=CXML_TYPE)


@bp.get("/punchout/start/<token>")
@public
def start(token):
    """Sign the user in for the PunchOut (not remembered, not a fresh sign-in) and open the
    account's catalog."""
    try:
        row, user, connection = punchout.start(token)
    except punchout.StartRefused as refused:
        return render_template("api/punchout_refused.html", status=refused.status), refused.status
    if current_user.is_authenticated:
        auth_services.end_session(current_user.session_token)
    session.clear()  # nothing of an earlier sign-in survives (SECURITY.md 8)
    auth_services.start_session(user, remember=False)
    login_user(user, remember=False)
    mark_punchout(row.id, connection.name)
    return redirect(url_for("contracts.browse_catalog", slug=user.account.slug))


@bp.post("/punchout/return")
@restricted
def return_cart():
    """The cart, as a PunchOutOrderMessage the browser posts to the system's return URL; the
    PunchOut sign-in ends with it."""
    active = current_punchout()
    row = punchout.punchout_session_of(current_user, active.session_id) if active else None
    require(row is not None)
    account = current_user.account
    cart_url = url_for("cart.show_cart", slug=account.slug)
    form = ConnectionActionForm()
    if not form.validate_on_submit():
        return redirect(cart_url, 303)
    with refusal_shown():
        document = punchout.return_cart(current_user, account, row, request.host)
        _sign_out()
        allow_form_action(row.return_url)
        return render_template(
            "api/punchout_return.html",
            return_url=row.return_url,
            document=document,
            system=active.system,
        )
    return redirect(cart_url, 303)


def _sign_out() -> None:
    auth_services.end_session(current_user.session_token)
    session.clear()
    logout_user()


@bp.route("/staff/accounts/<slug>/punchout", methods=["GET", "POST"])
@restricted
@fresh_sign_in
def connections(slug):
    account = account_queries.account_or_404(slug)
    users = _default_user_choices(account)
    form = ConnectionForm(users=users)
    secret = shown_for = None
    status = 200
    if form.validate_on_submit():
        with refusal_shown(form):
            connection, secret = connection_book.create_connection(
                current_user, account, form.values()
            )
            shown_for = connection.id
            flash(_("Connection added. Give the shared secret to the customer now."), "success")
            form = ConnectionForm(formdata=None, users=users)
    elif request.method == "POST":
        status = 422
    return _connections_page(account, form, secret, shown_for), status


@bp.post("/staff/accounts/<slug>/punchout/<int:connection_id>/secret")
@restricted
@fresh_sign_in
def roll_secret(slug, connection_id):
    account = account_queries.account_or_404(slug)
    connection = _connection_or_404(account, connection_id)
    if not ConnectionActionForm().validate_on_submit():
        return redirect(url_for(".connections", slug=slug), 303)
    with refusal_shown(category="warning"):
        secret = connection_book.roll_secret(
            current_user, connection, request.form.get("version", "")
        )
        flash(_("New shared secret made; the old one no longer works."), "success")
        users = _default_user_choices(account)
        return _connections_page(
            account, ConnectionForm(formdata=None, users=users), secret, connection.id
        )
    return redirect(url_for(".connections", slug=slug), 303)


@bp.post("/staff/accounts/<slug>/punchout/<int:connection_id>/deactivate")
@restricted
@fresh_sign_in
def deactivate(slug, connection_id):
    account = account_queries.account_or_404(slug)
    connection = _connection_or_404(account, connection_id)
    if ConnectionActionForm().validate_on_submit():
        connection_book.deactivate_connection(current_user, connection)
        flash(_("Connection deactivated."), "success")
    return redirect(url_for(".connections", slug=slug), 303)


@bp.post("/staff/accounts/<slug>/punchout/<int:connection_id>/reactivate")
@restricted
@fresh_sign_in
def reactivate(slug, connection_id):
    account = account_queries.account_or_404(slug)
    connection = _connection_or_404(account, connection_id)
    if ConnectionActionForm().validate_on_submit():
        with refusal_shown():
            connection_book.reactivate_connection(current_user, connection)
            flash(
                _(
                    "Connection reactivated with its shared secret; make a new secret if the "
                    "old one may have leaked."
                ),
                "success",
            )
    return redirect(url_for(".connections", slug=slug), 303)


def _connection_or_404(account, connection_id):
    connection = connection_book.connection_of_account_or_none(account, connection_id)
    require(connection is not None)
    return connection


def _connections_page(account, form, secret, shown_for):
    """Secrets are shown in this response only: never flashed, never in a redirect."""
    response = make_response(
        render_template(
            "api/punchout_connections.html",
            account=account,
            form=form,
            action_form=ConnectionActionForm(formdata=None),
            connections=connection_book.connections_of(account),
            secret=secret,
            shown_for=shown_for,
            setup_url=url_for(".setup", _external=True),
            order_url=url_for(".order", _external=True),
            supplier_identity=punchout.supplier_identity(),
            secret_version=connection_book.secret_version,
            start_minutes=int(punchout.START_FOR.total_seconds() // 60),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _default_user_choices(account) -> list:
    """The account's users a connection's orders may go under: active, buyer-side."""
    return [u for u in account_queries.users_of(account) if u.is_active and u.is_buyer_side]
