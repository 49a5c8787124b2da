"""API tokens as people keep them (SECURITY.md 48, 49): a customer admin's for the account's
users, an account editor's for a user of an account, a member of staff's own (read only).

Normal pages (a session cookie and CSRF tokens), not the Bearer-only `api` blueprint. Issuing
and revoking ask for a fresh sign-in. A new token's value is shown once, on the page that
answers the POST which issued it (never in a flash or the session, which would keep it), and
that page is not cached; the lists show a prefix only.
"""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts import queries as account_queries
from portal.accounts.permissions import can_manage_users_of
from portal.api import tokens
from portal.api.token_forms import SCOPE_NAMES, IssueTokenForm
from portal.core.access import restricted
from portal.core.actions import refusal_shown
from portal.core.db import utcnow
from portal.core.permissions import require
from portal.core.reauth import fresh_sign_in

bp = Blueprint("api_tokens", __name__)

# --- customer admin: the account's tokens ---
#   GET POST  /a/<slug>/settings/tokens                  account_tokens             CUSTOMER_ADMIN
#   POST      /a/<slug>/settings/tokens/<id>/revoke      revoke_account_token       CUSTOMER_ADMIN
# --- staff: their own tokens (read only) ---
#   GET POST  /staff/tokens                              own_tokens                 STAFF_ROLES
#   POST      /staff/tokens/<id>/revoke                  revoke_own_token           STAFF_ROLES
# --- account editors: an account's tokens ---
#   GET POST  /staff/accounts/<slug>/tokens              staff_account_tokens       ACCOUNT_EDITORS
#   POST      /staff/accounts/<slug>/tokens/<id>/revoke  staff_revoke_account_token ACCOUNT_EDITORS
# A POST to a list page issues a token; its answer shows the value once (Cache-Control:
# no-store). Another account's (or another staff member's) token id is a 404.


@bp.route("/a/<slug>/settings/tokens", methods=["GET", "POST"])
@restricted
@fresh_sign_in
def account_tokens(slug):
    account = _managed_account(slug)
    return _tokens_page(
        holders=_active_users(account),
        listed=lambda: tokens.tokens_of_account(account.id),
        revoke_url=lambda token: url_for(".revoke_account_token", slug=slug, token_id=token.id),
        account=account,
    )


@bp.post("/a/<slug>/settings/tokens/<int:token_id>/revoke")
@restricted
@fresh_sign_in
def revoke_account_token(slug, token_id):
    account = _managed_account(slug)
    return _revoke(
        tokens.token_of_account_or_none(account.id, token_id),
        url_for(".account_tokens", slug=slug),
    )


@bp.route("/staff/tokens", methods=["GET", "POST"])
@restricted
@fresh_sign_in
def own_tokens():
    return _tokens_page(
        holders=[current_user],
        listed=lambda: tokens.tokens_of_user(current_user.id),
        revoke_url=lambda token: url_for(".revoke_own_token", token_id=token.id),
        account=None,
        staff_own=True,
    )


@bp.post("/staff/tokens/<int:token_id>/revoke")
@restricted
@fresh_sign_in
def revoke_own_token(token_id):
    return _revoke(tokens.token_of_user_or_none(current_user.id, token_id), url_for(".own_tokens"))


@bp.route("/staff/accounts/<slug>/tokens", methods=["GET", "POST"])
@restricted
@fresh_sign_in
def staff_account_tokens(slug):
    account = _managed_account(slug)
    return _tokens_page(
        holders=_active_users(account),
        listed=lambda: tokens.tokens_of_account(account.id),
        revoke_url=lambda token: url_for(
            ".staff_revoke_account_token", slug=slug, token_id=token.id
        ),
        account=account,
    )


@bp.post("/staff/accounts/<slug>/tokens/<int:token_id>/revoke")
@restricted
@fresh_sign_in
def staff_revoke_account_token(slug, token_id):
    account = _managed_account(slug)
    return _revoke(
        tokens.token_of_account_or_none(account.id, token_id),
        url_for(".staff_account_tokens", slug=slug),
    )


def _managed_account(slug):
    account = account_queries.account_or_404(slug)
    require(can_manage_users_of(current_user, account))
    return account


def _active_users(account):
    return [user for user in account_queries.users_of(account) if user.is_active]


def _tokens_page(*, holders, listed, revoke_url, account, staff_own=False):
    form = IssueTokenForm(holders, staff_own=staff_own)
    issued = plain = None
    if form.validate_on_submit():
        holder = next(user for user in holders if user.id == form.user_id.data)
        with refusal_shown(form):
            issued, plain = tokens.issue(
                current_user,
                holder,
                form.name.data,
                form.scopes.data,
                form.days.data,
                form_token=form.form_token.data,
            )
            # An empty form for the next one; the list below shows the new token too.
            form = IssueTokenForm(holders, staff_own=staff_own, formdata=None)
    page = render_template(
        "api/tokens.html",
        form=form,
        tokens=listed(),
        holders=holders,
        allowed={user.id: tokens.allowed_scopes(user) for user in holders},
        scope_names=SCOPE_NAMES,
        status=lambda token: tokens.status(token, utcnow()),
        revoke_url=revoke_url,
        account=account,
        issued=issued,
        plain=plain,
        max_days=current_app.config["API_TOKEN_MAX_DAYS"],
    )
    response = current_app.make_response(page)
    # The page may carry a token's only showing; no copy of it is kept anywhere.
    response.headers["Cache-Control"] = "no-store"
    return response


def _revoke(token, back):
    if token is None:
        abort(404)
    tokens.revoke(current_user, token)
    flash(
        _("The token %(name)s is revoked: it answers 401 from now on.", name=token.name), "success"
    )
    return redirect(back)
