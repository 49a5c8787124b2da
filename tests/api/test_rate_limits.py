"""Rate limits per token (issue 18, item 1): API_RATE_LIMIT counts the requests of each token,
the one over it answers 429 as a problem document with Retry-After while other tokens go on,
and the count is shared between the app's processes through Redis (production refuses
per-process memory:// storage)."""

import uuid

import pytest

from portal import create_app
from portal.config import ConfigError, check_production
from portal.core.problems import PROBLEM_TYPE
from portal.extensions import limiter
from tests.support.api import bearer, issue_token
from tests.support.web import make_config

#: The Redis of the test machine (tests/core/test_config.py uses it too); a database of its
#: own, and a key prefix of each test's own, so that runs side by side never share a count.
REDIS = "redis://127.0.0.1:6379/11"


@pytest.fixture(autouse=True)
def _limiter_restored():
    """An app that starts rebinds the shared limiter's storage; give the other tests theirs."""
    saved = (limiter._storage, limiter._limiter)
    yield
    limiter._storage, limiter._limiter = saved


def limited_app(app, storage="memory://", prefix=None):
    """An app on the test database allowing each token 3 requests a minute."""
    return create_app(
        make_config(
            app.config["SQLALCHEMY_DATABASE_URI"],
            API_RATE_LIMIT="3 per minute",
            RATELIMIT_STORAGE_URI=storage,
            RATELIMIT_KEY_PREFIX=prefix or uuid.uuid4().hex,
        )
    )


def test_the_request_over_the_limit_answers_429_and_other_tokens_go_on(app, two_accounts):
    first = issue_token(two_accounts["acme_buyer"])
    second = issue_token(two_accounts["globex_buyer"])
    client = limited_app(app).test_client()
    for _ in range(3):
        assert client.get("/api/v1/me", headers=bearer(first)).status_code == 200
    over = client.get("/api/v1/me", headers=bearer(first))
    assert over.status_code == 429
    assert over.mimetype == PROBLEM_TYPE
    body = over.get_json()
    assert body["status"] == 429 and body["code"] == "rate_limited" and body["request_id"]
    assert 1 <= int(over.headers["Retry-After"]) <= 61
    # Another token of the same client is not affected
    assert client.get("/api/v1/me", headers=bearer(second)).status_code == 200


def test_the_count_is_per_token_not_per_address(app, two_accounts):
    plain = issue_token(two_accounts["acme_buyer"])
    client = limited_app(app).test_client()
    for address in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        answer = client.get(
            "/api/v1/me", headers=bearer(plain), environ_base={"REMOTE_ADDR": address}
        )
        assert answer.status_code == 200
    moved = client.get(
        "/api/v1/me", headers=bearer(plain), environ_base={"REMOTE_ADDR": "198.51.100.4"}
    )
    assert moved.status_code == 429


def test_pages_are_not_counted_against_a_token(app, two_accounts):
    plain = issue_token(two_accounts["acme_buyer"])
    client = limited_app(app).test_client()
    for _ in range(5):
        client.get("/login", headers=bearer(plain))
    assert client.get("/api/v1/me", headers=bearer(plain)).status_code == 200


def test_two_processes_share_the_count_through_redis(app, two_accounts):
    """Two app objects, as two worker processes: each starts its own connection to Redis (an
    app rebinds the limiter's storage when it starts), and the second carries on the first's
    count. With memory:// the second would start again from zero (the last check)."""
    plain = issue_token(two_accounts["acme_buyer"])
    prefix = uuid.uuid4().hex
    one = limited_app(app, REDIS, prefix).test_client()
    for _ in range(2):
        assert one.get("/api/v1/me", headers=bearer(plain)).status_code == 200
    two = limited_app(app, REDIS, prefix).test_client()
    assert two.get("/api/v1/me", headers=bearer(plain)).status_code == 200
    assert two.get("/api/v1/me", headers=bearer(plain)).status_code == 429
    assert one.get("/api/v1/me", headers=bearer(plain)).status_code == 429
    # Per-process storage forgets: what production refuses
    other = issue_token(two_accounts["globex_buyer"])
    three = limited_app(app, "memory://", prefix).test_client()
    for _ in range(3):
        three.get("/api/v1/me", headers=bearer(other))
    four = limited_app(app, "memory://", prefix).test_client()
    assert four.get("/api/v1/me", headers=bearer(other)).status_code == 200


def test_production_requires_shared_storage_for_the_api_limits(app):
    production = {
        "PORTAL_ENV": "production",
        "SECRET_KEY": "a-production-secret-that-is-long-enough-0123456789",
        "API_RATE_LIMIT": "300 per minute",
    }
    with pytest.raises(ConfigError, match="REDIS_URL"):
        check_production({**production, "RATELIMIT_STORAGE_URI": "memory://"})
    with pytest.raises(ConfigError, match="REDIS_URL"):
        check_production({**production, "RATELIMIT_STORAGE_URI": "memory://?x=1"})
    check_production({**production, "RATELIMIT_STORAGE_URI": REDIS})
