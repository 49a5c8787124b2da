"""Signing in and out, resuming sessions, changing passwords, and the sign-in throttle."""

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager, joinedload

from portal.accounts.models import User
from portal.auth.models import UserSession
from portal.core import db as core_db
from portal.core.errors import ServiceError
from portal.core.inputs import plain_email
from portal.core.passwords import hash_password, needs_rehash, password_problem, verify_password
from portal.core.reauth import (  # noqa: F401  (views catch them)
    Throttled,
    ThrottleUnavailable,
    password_checked,
)
from portal.extensions import db

#: How often an active session's last_seen_at is written back.
TOUCH_INTERVAL = timedelta(minutes=1)


class InvalidCredentials(Exception):
    """Wrong e-mail, wrong password or inactive user: the same answer for each (SECURITY.md 7)."""


def sign_in(email: str, password: str, client_address: str) -> User:
    """The user for these credentials. Throttled before any hashing (SECURITY.md 3)."""
    email = plain_email(email)  # before the throttle's key and the lookup
    user = db.session.scalar(
        sa.select(User).options(joinedload(User.account)).where(User.email == email)
    )
    # An unknown or inactive user is checked against no hash: a full verification all the
    # same, so timing tells nothing, and a failure that counts against the throttle.
    known = user.password_hash if user and user.is_active else None
    if not password_checked(email, known, password, client_address):
        raise InvalidCredentials()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.session.commit()
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User, remember: bool, language: str | None = None) -> str:
    """A new session for `user`; returns the token for the cookie. `language`, the one they
    sign in with, is what their e-mails are written in while they have chosen none."""
    config = current_app.config
    now = core_db.utcnow()
    lifetime = (
        config["REMEMBER_COOKIE_DURATION"] if remember else config["SESSION_ABSOLUTE_TIMEOUT"]
    )
    token = secrets.token_urlsafe(32)
    if language:
        user.last_locale = language
    db.session.add(
        UserSession(
            token_hash=_digest(token),
            user_id=user.id,
            is_remembered=remember,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
        )
    )
    db.session.commit()
    user.session_token = token
    return token


def resume_session(token: str) -> User | None:
    """The user of a live session, or None when the session ended, idled out or expired, or
    the user was deactivated or changed password since it started (SECURITY.md 9, 10, 12)."""
    row = db.session.scalar(
        sa.select(UserSession)
        .join(UserSession.user)
        .options(contains_eager(UserSession.user).joinedload(User.account))
        .where(UserSession.token_hash == _digest(token))
    )
    if row is None:
        return None
    config = current_app.config
    user = row.user
    now = core_db.utcnow()
    idle = (
        config["REMEMBER_COOKIE_DURATION"] if row.is_remembered else config["SESSION_IDLE_TIMEOUT"]
    )
    if (
        not user.is_active
        or now >= row.expires_at
        or now - row.last_seen_at > idle
        or (user.password_changed_at is not None and row.created_at < user.password_changed_at)
    ):
        # Any request resumes its session, reading ones too: take the write lock first
        # (SQLite, SECURITY.md 38); the row may be gone meanwhile (a sign-out elsewhere).
        core_db.begin_write(db.session)
        db.session.execute(sa.delete(UserSession).where(UserSession.id == row.id))
        db.session.commit()
        return None
    if now - row.last_seen_at > TOUCH_INTERVAL:
        core_db.begin_write(db.session)
        db.session.execute(
            sa.update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now)
        )
        db.session.commit()
    user.session_token = token
    return user


def end_session(token: str | None) -> None:
    if token:
        db.session.execute(sa.delete(UserSession).where(UserSession.token_hash == _digest(token)))
        db.session.commit()


def change_password(user: User, current: str, new: str) -> str:
    """Set a new password, end every session of the user, and start a fresh one for this
    browser; returns its token."""
    if not verify_password(user.password_hash, current):
        raise ServiceError(_("The current password is not correct."), field="current_password")
    problem = password_problem(new, user.password_hash)
    if problem:
        raise ServiceError(problem, field="new_password")
    return set_new_password(user, new)


def set_new_password(user: User, new: str) -> str:
    """Store a new (checked) password, end every session of the user and start a fresh one
    for this browser; returns its token."""
    user.password_hash = hash_password(new)
    user.password_changed_at = core_db.utcnow()
    db.session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id))
    return start_session(user, remember=False)
