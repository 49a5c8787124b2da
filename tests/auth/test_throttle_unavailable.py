"""Redis, where the sign-in throttle counts, cannot be reached (issue 19, faults): signing in
fails closed with a clear 503 and no password is checked; no reset link is sent, and every
address gets the same answer; a signed-in session and the API go on (the API's own request
limit lets requests through while it cannot count). tests/deployment/test_faults.py stops a
real Redis under a deployment and starts it again."""

import logging
import re

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.auth import services
from portal.extensions import db, limiter
from portal.notifications.models import OutboxMessage
from tests.support.api import bearer, issue_token
from tests.support.environment import free_port
from tests.support.web import PASSWORD, login, make_config

UNAVAILABLE = "Signing in is briefly unavailable"


@pytest.fixture(autouse=True)
def _limiter_restored():
    """An app that starts rebinds the shared limiter's storage; give the other tests theirs."""
    saved = (limiter._storage, limiter._limiter)
    yield
    limiter._storage, limiter._limiter = saved


@pytest.fixture
def no_redis(app):
    """An app on the test database whose rate limits live in a Redis that is not there."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    return create_app(make_config(app.config["SQLALCHEMY_DATABASE_URI"], RATELIMIT_STORAGE_URI=url))


def test_signing_in_is_refused_with_a_clear_503_and_no_password_is_checked(
    no_redis, buyer, hasher_spy
):
    response = login(no_redis.test_client(), buyer.email, PASSWORD)
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert UNAVAILABLE in response.get_data(as_text=True)
    assert hasher_spy.verified == []


def test_a_wrong_password_gets_the_same_answer(no_redis, buyer):
    response = login(no_redis.test_client(), buyer.email, "not the password")
    assert response.status_code == 503
    assert "not correct" not in response.get_data(as_text=True)


def reset_page(client, email: str) -> str:
    page = client.post("/password/forgot", data={"email": email}).get_data(as_text=True)
    return re.sub(r'name="csrf_token" value="[^"]*"', "", page)


def test_no_reset_link_is_sent_and_every_address_reads_the_same(no_redis, buyer):
    known = reset_page(no_redis.test_client(), buyer.email)
    unknown = reset_page(no_redis.test_client(), "nobody@acme.example")
    assert "is briefly unavailable, so none was sent" in known
    assert known.replace(buyer.email, "nobody@acme.example") == unknown
    db.session.expire_all()
    assert db.session.scalars(sa.select(OutboxMessage)).all() == []


@pytest.fixture
def limiter_log(caplog):
    """What Flask-Limiter logs (it does not propagate to the root logger caplog watches)."""
    log = logging.getLogger("flask-limiter")
    log.addHandler(caplog.handler)
    try:
        yield caplog
    finally:
        log.removeHandler(caplog.handler)


def test_a_signed_in_session_and_the_api_go_on(no_redis, buyer, limiter_log):
    client = no_redis.test_client()
    token = services.start_session(buyer, remember=False)
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    assert client.get("/a/acme/").status_code == 200
    assert client.get("/password").status_code == 200
    plain = issue_token(buyer)
    for _ in range(3):
        assert no_redis.test_client().get("/api/v1/me", headers=bearer(plain)).status_code == 200
    # Each request let through is logged, in one line.
    lines = [r.getMessage() for r in limiter_log.records]
    assert len([line for line in lines if line.startswith("Failed to rate limit")]) == 3
    assert all(r.exc_info is None for r in limiter_log.records)
    # Sign-in is still closed: no fallback to a count per process once the API's limit failed.
    assert login(no_redis.test_client(), buyer.email, PASSWORD).status_code == 503
