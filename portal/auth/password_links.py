"""Links by e-mail to set a password: the invitation of a new user, and "forgot password".

A link is signed (itsdangerous, with the app's SECRET_KEY) and carries the user's id and a
digest of their current password hash: setting a password through it changes the hash, so the
link, and every other link sent before, stops working (single use) without storing anything.
Invitations last 7 days, reset links 1 hour.
"""

import hashlib
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer
from limits import parse

from portal.accounts.models import User
from portal.accounts.services import user_invited
from portal.auth.models import UserSession
from portal.core import audit
from portal.core import db as core_db
from portal.core.errors import ServiceError
from portal.core.inputs import plain_email
from portal.core.passwords import hash_password, password_problem
from portal.core.reauth import counting
from portal.extensions import db, limiter
from portal.notifications.services import queue_email

INVITE = "invite"
RESET = "reset"
LIFETIMES = {INVITE: timedelta(days=7), RESET: timedelta(hours=1)}
#: At most this many reset e-mails per address; further requests get the same answer, no mail.
RESET_MAILS = parse("3 per hour")


class _Signer(TimestampSigner):
    """Timestamps from the portal's clock, so links age as everything else does."""

    def get_timestamp(self) -> int:
        return int(core_db.utcnow().timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt="password-link", signer=_Signer
    )


def _state(user: User) -> str:
    """Changes whenever the password (or the e-mail the link went to) does."""
    text = f"{user.id}:{user.email}:{user.password_hash or ''}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def link_for(user: User, purpose: str) -> str:
    token = _serializer().dumps({"u": user.id, "p": purpose, "s": _state(user)})
    # A path, as every e-mail link is (made absolute with PORTAL_BASE_URL): users are also
    # created outside a request (the demo's seed, a command).
    return f"/password/new/{token}"


def user_for_link(token: str) -> tuple[User, str] | None:
    """The active user a link is for, and its purpose; None when it is forged, expired, used,
    or its user is gone or deactivated."""
    try:
        payload, signed_at = _serializer().loads(
            token, max_age=max(LIFETIMES.values()).total_seconds(), return_timestamp=True
        )
        purpose = payload["p"]
        user = db.session.get(User, int(payload["u"]))
        state = payload["s"]
    except (BadData, KeyError, TypeError, ValueError):
        return None
    if (
        purpose not in LIFETIMES
        or core_db.utcnow() - signed_at > LIFETIMES[purpose]
        or user is None
        or not user.is_active
        or state != _state(user)
    ):
        return None
    return user, purpose


def _send(user: User, purpose: str) -> None:
    if purpose == INVITE:
        subject = _l("Set your password for the Northwind portal")
    else:
        subject = _l("Reset your password for the Northwind portal")
    hours = int(LIFETIMES[purpose].total_seconds() // 3600)
    queue_email(
        user.email,
        subject,
        "password_link",
        link=link_for(user, purpose),
        recipient=user,
        is_invitation=purpose == INVITE,
        hours=hours,
    )


@user_invited.connect
def _invite(user: User, **_extra) -> None:
    """A user created without a password gets the invitation, in the same transaction."""
    _send(user, INVITE)


def request_reset(email: str) -> None:
    """Send a reset link when the e-mail is an active user's; the caller's answer never says
    whether it was (SECURITY.md 7). Both ways run the same query and commit, and count against
    RESET_MAILS: ThrottleUnavailable, sending nothing, when it cannot count, whoever asks."""
    email = plain_email(email)
    with counting():
        allowed = limiter.limiter.hit(RESET_MAILS, "password-reset", email)
    user = db.session.scalar(sa.select(User).where(User.email == email, User.is_active.is_(True)))
    if user is not None and allowed:
        _send(user, RESET)
    db.session.commit()


def set_password_from_link(token: str, password: str) -> User:
    """Set the password of the link's user; every session of theirs ends (SECURITY.md 10)."""
    found = user_for_link(token)
    if found is None:
        raise ServiceError(_("This link has expired or was already used. Ask for a new one."))
    user, purpose = found
    problem = password_problem(password, user.password_hash)
    if problem:
        raise ServiceError(problem, field="password")
    user.password_hash = hash_password(password)
    user.password_changed_at = core_db.utcnow()
    db.session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id))
    action = "user.password_set" if purpose == INVITE else "user.password_reset"
    audit.record(user, action, f"user:{user.id}")
    db.session.commit()
    return user
