"""Fixtures for the sign-in and session tests: a clock, a spy on the password hasher, cheap
hashing for tests that fail many times, and readers for what a browser would see."""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from portal import create_app
from portal.core import passwords
from portal.extensions import db
from tests.conftest import PASSWORD, make_config

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


@pytest.fixture
def hasher_spy(monkeypatch):
    spy = HasherSpy()
    real_verify, real_hash = PasswordHasher.verify, PasswordHasher.hash

    def verify(self, password_hash, password):
        spy.verified.append(password_hash)
        return real_verify(self, password_hash, password)

    def hash_(self, password, *, salt=None):
        spy.hashed.append(password)
        return real_hash(self, password, salt=salt)

    monkeypatch.setattr(PasswordHasher, "verify", verify)
    monkeypatch.setattr(PasswordHasher, "hash", hash_)
    return spy


@pytest.fixture
def cheap_hashing(monkeypatch):
    """argon2id at minimum cost, for tests whose subject is the throttle, not the hash: the
    real parameters cost about 0.15 s per verification. Returns the cheap hasher, so a test can
    give its users a password hash that is also cheap to verify."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(passwords, "hasher", cheap)
    passwords._dummy_hash.cache_clear()
    yield cheap
    passwords._dummy_hash.cache_clear()


@pytest.fixture
def buyer(two_accounts, cheap_hashing):
    """Acme's buyer (buyer@acme.example), with a password hash that is quick to verify, for
    tests whose subject is not the hash: a sign-in with the real parameters costs 0.15 s."""
    buyer = two_accounts["acme_buyer"]
    buyer.password_hash = cheap_hashing.hash(PASSWORD)
    db.session.commit()
    return buyer


@pytest.fixture
def request_context(app):
    """For code that translates messages outside a view."""
    with app.test_request_context():
        yield


class Clock:
    """A stand-in for portal.core.db.utcnow that moves only when told to."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(datetime(2030, 1, 7, 9, 0, tzinfo=UTC))
    monkeypatch.setattr("portal.core.db.utcnow", clock)
    return clock


@pytest.fixture
def make_app(app):
    """Build a second app on the test database with other settings."""

    def make(**overrides):
        return create_app(make_config(app.config["SQLALCHEMY_DATABASE_URI"], **overrides))

    return make


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
