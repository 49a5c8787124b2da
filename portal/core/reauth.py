"""Fresh sign-in for sensitive actions (SECURITY.md 12, 48), and the sign-in throttle (SECURITY.md
1) that a password typed for either counts against.

A view marked `@fresh_sign_in` acts on a POST only when the acting user typed their password
within the last FRESH_FOR: at sign-in, or on the page this answers otherwise. That page carries
everything the form posted, so the action goes through, as typed, once the password is given.
It lives in core, not auth, because accounts, contracts and ordering mark their views with it.
"""

from contextlib import contextmanager
from datetime import timedelta
from functools import wraps

from flask import current_app, render_template, request, session
from flask_babel import gettext as _
from flask_login import current_user
from limits import parse
from limits.errors import StorageError

from portal.core import db as core_db
from portal.core.passwords import verify_password
from portal.extensions import limiter

#: How long a typed password vouches for sensitive actions.
FRESH_FOR = timedelta(minutes=10)
#: Where the session keeps when the password was last typed (a POSIX timestamp).
SIGNED_IN_AT = "signed_in_at"
#: The field of the fresh sign-in page; never passed on to the action.
PASSWORD_FIELD = "fresh_sign_in_password"  # noqa: S105  (a field name)


class Throttled(Exception):
    """Too many wrong passwords for this e-mail or client address (SECURITY.md 1)."""


class ThrottleUnavailable(Exception):
    """The throttle's storage (Redis) cannot be reached, so nothing it guards is done: no
    password is checked and no reset link sent until it can count again (fails closed)."""


#: Retry-After of a page that says the throttle is unavailable.
THROTTLE_RETRY_AFTER = {"Retry-After": "120"}


@contextmanager
def counting():
    """Run the throttle's reads and writes; ThrottleUnavailable when its storage fails."""
    try:
        yield
    except StorageError as error:
        current_app.logger.error("the sign-in throttle cannot count: %s", error)
        raise ThrottleUnavailable() from error


def throttle_keys(email: str, client_address: str | None):
    config = current_app.config
    yield parse(config["LOGIN_LIMIT_PER_EMAIL"]), ("login-email", email)
    yield parse(config["LOGIN_LIMIT_PER_ADDRESS"]), ("login-address", client_address or "-")


def password_checked(email: str, password_hash: str | None, password: str, client_address) -> bool:
    """Whether `password` is right for the user with this e-mail and hash (None: no such user);
    a wrong one counts against the throttle. Raises Throttled, before any hashing (SECURITY.md
    3), while the throttle holds."""
    keys = list(throttle_keys(email, client_address))
    with counting():
        if not all(limiter.limiter.test(item, *key) for item, key in keys):
            raise Throttled()
    if verify_password(password_hash, password):
        return True
    with counting():
        for item, key in keys:
            limiter.limiter.hit(item, *key)
    return False


def mark_signed_in() -> None:
    """The user has just typed their password (sign-in, change of password, this page)."""
    session[SIGNED_IN_AT] = core_db.utcnow().timestamp()


def is_fresh() -> bool:
    typed_at = session.get(SIGNED_IN_AT)
    if not isinstance(typed_at, int | float):
        return False
    age = core_db.utcnow().timestamp() - typed_at
    return 0 <= age < FRESH_FOR.total_seconds()


def fresh_sign_in(view=None, *, when=None):
    """Put under `@allow`: a POST acts only after a fresh sign-in; GETs are not asked. With
    `when`, only POSTs for which `when()` is true are (the step that changes something)."""
    if view is None:
        return lambda view: fresh_sign_in(view, when=when)

    @wraps(view)
    def wrapper(*args, **kwargs):
        if request.method != "POST" or (when is not None and not when()) or is_fresh():
            return view(*args, **kwargs)
        error, status, headers = None, 401, {}
        typed = request.form.get(PASSWORD_FIELD)
        if typed is not None:
            try:
                if password_checked(
                    current_user.email, current_user.password_hash, typed, request.remote_addr
                ):
                    mark_signed_in()
                    return view(*args, **kwargs)
                error = _("The password is not correct.")
            except Throttled:
                error = _("Too many attempts. Please wait a few minutes and try again.")
                status = 429
            except ThrottleUnavailable:
                error = _("Signing in is briefly unavailable. Please try again in a few minutes.")
                status, headers = 503, THROTTLE_RETRY_AFTER
        fields = [
            (name, value)
            for name, values in request.form.lists()
            if name != PASSWORD_FIELD
            for value in values
        ]
        page = render_template(
            "auth/fresh_sign_in.html",
            fields=fields,
            had_files=any(f.filename for f in request.files.values()),
            password_field=PASSWORD_FIELD,
            error=error,
            minutes=int(FRESH_FOR.total_seconds() // 60),
        )
        return page, status, headers

    wrapper.needs_fresh_sign_in = True
    return wrapper
