"""Password hashing (argon2id, SECURITY.md 4, 5) and the password policy (SECURITY.md 6).

It lives in core, not auth, because both accounts (an admin sets a new user's first password)
and auth (sign-in, change of password) need it, and imports only go down the stack.
"""

from functools import cache
from importlib import resources

from argon2 import Parameters, PasswordHasher, Type, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_babel import gettext as _

MIN_LENGTH = 8
MAX_LENGTH = 128

#: The argon2 profile (a name in argon2.profiles) new hashes are made with, unless the app's
#: PASSWORD_HASH_PROFILE names another: RFC 9106's second recommendation, argon2id with t=3,
#: m=64 MiB, p=4 (argon2-cffi's own default). The tests choose CHEAPEST, except the tests of
#: hashing itself; production refuses a profile below SECURITY.md 4 (config.check_production).
DEFAULT_PROFILE = "RFC_9106_LOW_MEMORY"

#: SECURITY.md 4 (OWASP): argon2id with at least 2 passes over at least 19 MiB.
MIN_TIME_COST = 2
MIN_MEMORY_KIB = 19456


def profile(name: str) -> Parameters:
    """The argon2 parameters of a profile named in argon2.profiles; ValueError for another."""
    parameters = getattr(profiles, name, None) if name.isupper() else None
    if not isinstance(parameters, Parameters):
        raise ValueError(f"not an argon2 profile: {name!r}")
    return parameters


def strong_enough(parameters: Parameters) -> bool:
    """Whether hashes made with these parameters meet SECURITY.md 4."""
    return (
        parameters.type is Type.ID
        and parameters.time_cost >= MIN_TIME_COST
        and parameters.memory_cost >= MIN_MEMORY_KIB
    )


def hasher() -> PasswordHasher:
    """The hasher of the app's PASSWORD_HASH_PROFILE (outside an app, the default's)."""
    name = DEFAULT_PROFILE
    if has_app_context():
        name = current_app.config.get("PASSWORD_HASH_PROFILE", DEFAULT_PROFILE)
    return _hasher(name)


@cache
def _hasher(name: str) -> PasswordHasher:
    return PasswordHasher.from_parameters(profile(name))


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches. An absent hash still costs one full verification,
    with the same parameters as new hashes, so unknown and known e-mails take the same time
    (SECURITY.md 7)."""
    current = hasher()
    try:
        return current.verify(password_hash or _dummy_hash(current), password) and bool(
            password_hash
        )
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher().check_needs_rehash(password_hash)


@cache
def _dummy_hash(current: PasswordHasher) -> str:
    return current.hash("an unknown user has no password")


@cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("portal.core").joinpath("common_passwords.txt").read_text()
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def password_problem(password: str, current_hash: str | None = None) -> str | None:
    """Why a new password is refused, or None. Length, a common-password list, and (given the
    user's `current_hash`) the password they have now: no composition rules, no truncation, no
    case folding."""
    if len(password) < MIN_LENGTH:
        return _("Use at least %(n)d characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("Use at most %(n)d characters.", n=MAX_LENGTH)
    if password.lower() in _common_passwords():
        return _("This password is too common. Choose another.")
    if current_hash and verify_password(current_hash, password):
        return _("This is the password you have now. Choose a new one.")
    return None
