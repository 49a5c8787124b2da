"""What the sign-in and session tests read: cookies, the sign-in form, argon2 hashes."""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

SESSION_COOKIE = "portal_session"
REMEMBER_COOKIE = "portal_remember"


@dataclass
class HasherSpy:
    """Counts every argon2 verification and hashing, wherever it is called from."""

    verified: list = field(default_factory=list)
    hashed: list = field(default_factory=list)

    def reset(self) -> None:
        self.verified.clear()
        self.hashed.clear()

    @property
    def calls(self) -> int:
        return len(self.verified) + len(self.hashed)


class Clock:
    """A stand-in for portal.core.db.utcnow that moves only when told to."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


def shows_sign_in_form(response) -> bool:
    return response.status_code == 200 and b'name="password"' in response.data


def cookie_value(client, name: str) -> str | None:
    cookie = client.get_cookie(name)
    return cookie.value if cookie else None


ARGON2_HASH = re.compile(
    r"^\$(?P<type>argon2(?:id|i|d))\$v=(?P<v>\d+)\$m=(?P<m>\d+),t=(?P<t>\d+),p=(?P<p>\d+)\$"
)


def argon2_parameters(password_hash: str) -> dict:
    """{"type": "argon2id", "v": 19, "m": 65536, "t": 3, "p": 4} from an encoded argon2 hash."""
    match = ARGON2_HASH.match(password_hash)
    assert match, f"not an argon2 hash: {password_hash[:20]}..."
    return {k: v if k == "type" else int(v) for k, v in match.groupdict().items()}
