"""API tokens (SECURITY.md 49): issued for one user with scopes and an expiry, shown once,
kept as a SHA-256 digest, revocable, their last use recorded.

Who issues one for whom: a customer admin for a user of their own account; an account editor
for a user of the account they look after; any member of staff for themselves (read only: the
staff part of the API reads). The token acts as its user, so everything the user's role may not
do, the token may not either; its scopes narrow it further.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal.accounts.models import User
from portal.api.models import TOKEN_SCOPES, ApiToken
from portal.core import audit
from portal.core.db import begin_write, utcnow
from portal.core.errors import ServiceError
from portal.core.permissions import APPROVER, CUSTOMER_ADMIN, is_buyer_side
from portal.extensions import db

#: Every token starts with this, so a leaked one is recognised by secret scanners.
TOKEN_PREFIX = "kap_"  # noqa: S105  (a prefix, not a secret)
#: How often the last use is written (a busy integration would otherwise write each request).
LAST_USE_EVERY = timedelta(minutes=1)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AlreadyIssued(ServiceError):
    """The form that asks for this token was sent before and issued `token` (a double click, a
    reload): its value was shown once then and is not shown again."""

    def __init__(self, token: ApiToken):
        super().__init__(
            _(
                "This form was already sent: the token %(name)s (%(prefix)s…) was issued then, "
                "and its value shown once. If it was not copied, revoke it and issue another.",
                name=token.name,
                prefix=token.prefix,
            )
        )
        self.token = token


def allowed_scopes(user: User) -> tuple[str, ...]:
    """The scopes a token of `user` may carry: approve only for those who decide orders, and
    staff tokens read."""
    if not is_buyer_side(user):
        return ("read",)
    if user.role in (APPROVER, CUSTOMER_ADMIN):
        return TOKEN_SCOPES
    return ("read", "order")


def issue(
    actor: User | None,
    holder: User,
    name: str,
    scopes: list[str],
    days: int,
    *,
    form_token: str | None = None,
) -> tuple[ApiToken, str]:
    """A new token for `holder`, valid `days` days, and its plain value, which is shown once
    and never again. The caller has checked that `actor` may issue it for `holder` (None: an
    operator at the command line).

    `form_token` is the issuing form's one-time token: sent again, it issues nothing and
    raises AlreadyIssued (the plain value of the first is gone)."""
    if form_token is not None and (earlier := _issued_by_form(form_token)) is not None:
        raise AlreadyIssued(earlier)
    name = name.strip()
    if not name:
        raise ServiceError(_("Name the token, for example after the system that uses it."), "name")
    if not holder.is_active:
        raise ServiceError(_("The user is deactivated."), "user_id")
    wanted = set(scopes)
    if not wanted:
        raise ServiceError(_("Choose at least one scope."), "scopes")
    if wanted - set(allowed_scopes(holder)):
        raise ServiceError(_("The user's role does not allow these scopes."), "scopes")
    most = current_app.config["API_TOKEN_MAX_DAYS"]
    if not 1 <= days <= most:
        raise ServiceError(
            ngettext(
                "A token is valid for 1 to %(num)d day.",
                "A token is valid for 1 to %(num)d days.",
                most,
            ),
            "days",
        )
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=holder.id,
        account_id=holder.account_id,
        name=name,
        prefix=plain[:12],
        token_hash=digest(plain),
        scopes=" ".join(scope for scope in TOKEN_SCOPES if scope in wanted),
        expires_at=utcnow() + timedelta(days=days),
        created_by_id=actor.id if actor is not None else None,
        form_token=form_token,
    )
    try:
        with db.session.begin_nested():
            db.session.add(token)
            db.session.flush()
    except IntegrityError:
        # The same form, sent twice at once: the other request issued it meanwhile.
        earlier = _issued_by_form(form_token) if form_token is not None else None
        if earlier is None:
            raise
        raise AlreadyIssued(earlier) from None
    audit.record(
        actor,
        "api_token.issue",
        f"api_token:{token.id}",
        {"user": (None, holder.email), "scopes": (None, token.scopes), "name": (None, name)},
    )
    db.session.commit()
    return token, plain


def _issued_by_form(form_token: str) -> ApiToken | None:
    return db.session.scalar(sa.select(ApiToken).where(ApiToken.form_token == form_token))


def revoke(actor: User, token: ApiToken) -> None:
    """The token answers 401 from now on; revoking twice changes nothing."""
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    token.revoked_by_id = actor.id
    audit.record(actor, "api_token.revoke", f"api_token:{token.id}", {"name": (token.name, None)})
    db.session.commit()


def is_live(token: ApiToken, now: datetime) -> bool:
    return token.revoked_at is None and now < token.expires_at


def authenticate(plain: str, client_address: str | None) -> ApiToken | None:
    """The live token with this value, its user loaded, or None: unknown, revoked, expired,
    or its user deactivated or moved to another account since."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 100:
        return None
    token = db.session.scalar(
        sa.select(ApiToken)
        .where(ApiToken.token_hash == digest(plain))
        .options(sa.orm.joinedload(ApiToken.user).joinedload(User.account))
    )
    now = utcnow()
    if token is None or not is_live(token, now):
        return None
    user = token.user
    if not user.is_active or user.account_id != token.account_id:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_EVERY:
        begin_write(db.session)
        db.session.execute(
            sa.update(ApiToken)
            .where(ApiToken.id == token.id)
            .values(last_used_at=now, last_used_from=(client_address or "")[:45])
        )
        db.session.commit()
    return token


# --- reads for the token pages ---


def _listed():
    return (
        sa.select(ApiToken)
        .options(joinedload(ApiToken.user), joinedload(ApiToken.created_by))
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc())
    )


def tokens_of_account(account_id: int) -> list[ApiToken]:
    """Every token of the account's users, live ones first, newest first, with their holder
    and issuer (one query)."""
    return list(db.session.scalars(_listed().where(ApiToken.account_id == account_id)).unique())


def tokens_of_user(user_id: int) -> list[ApiToken]:
    return list(db.session.scalars(_listed().where(ApiToken.user_id == user_id)).unique())


def token_of_account_or_none(account_id: int, token_id: int) -> ApiToken | None:
    return db.session.scalar(
        sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.account_id == account_id)
    )


def token_of_user_or_none(user_id: int, token_id: int) -> ApiToken | None:
    return db.session.scalar(
        sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id)
    )


def status(token: ApiToken, now: datetime) -> str:
    """live, expired or revoked."""
    if token.revoked_at is not None:
        return "revoked"
    return "live" if now < token.expires_at else "expired"
