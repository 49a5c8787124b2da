"""Password hashing (argon2id, SECURITY.md 4, 5) and the password policy (SECURITY.md 6).

It lives in core, not auth, because both accounts (an admin sets a new user's first password)
and auth (sign-in, change of password) need it, and imports only go down the stack.
"""

from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _

MIN_LENGTH = 8
MAX_LENGTH = 128

#: argon2-cffi's defaults are RFC 9106's second recommendation: argon2id, t=3, m=64 MiB, p=4.
hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches. An absent hash still costs one full verification,
    so unknown and known e-mails take the same time (SECURITY.md 7)."""
    try:
        return hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher.check_needs_rehash(password_hash)


@cache
def _dummy_hash() -> str:
    return hasher.hash("an unknown user has no password")


@cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("portal.core").joinpath("common_passwords.txt").read_text()
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None. Length and a common-password list only:
    no composition rules, no truncation, no case folding."""
    if len(password) < MIN_LENGTH:
        return _("Use at least %(n)d characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("Use at most %(n)d characters.", n=MAX_LENGTH)
    if password.lower() in _common_passwords():
        return _("This password is too common. Choose another.")
    return None
