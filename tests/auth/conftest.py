"""Fixtures for the sign-in and session tests: a clock, a buyer, and apps with other settings.
(The spy on the password hasher, and the production hashing profile, are in
tests/fixtures/passwords.py.)"""

from datetime import UTC, datetime

import pytest

from portal import create_app
from tests.support.auth import Clock
from tests.support.web import make_config


@pytest.fixture
def buyer(two_accounts):
    """Acme's buyer, buyer@acme.example (password: PASSWORD)."""
    return two_accounts["acme_buyer"]


@pytest.fixture
def request_context(app):
    """For code that translates messages outside a view."""
    with app.test_request_context():
        yield


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
