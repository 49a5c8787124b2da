"""No debug leakage (SECURITY.md 25): production refuses to start with DEBUG, a default or
short SECRET_KEY, or per-process rate-limit storage (SECURITY.md 1)."""

import pytest

from portal import create_app
from portal.config import ConfigError, check_production
from portal.extensions import limiter

LONG_KEY = "k3y-" + "0123456789abcdef" * 3
REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def production(app, monkeypatch):
    """A production config as the environment would give it, minus the value under test."""
    for name in ("PORTAL_ENV", "SECRET_KEY", "REDIS_URL", "FLASK_DEBUG", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return {
        "PORTAL_ENV": "production",
        "SECRET_KEY": LONG_KEY,
        "RATELIMIT_STORAGE_URI": REDIS,
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
    }


@pytest.fixture(autouse=True)
def _limiter_restored():
    """An app that starts rebinds the shared limiter's storage; give the other tests theirs."""
    saved = (limiter._storage, limiter._limiter)
    yield
    limiter._storage, limiter._limiter = saved


def test_production_starts_with_a_long_secret_and_redis_rate_limits(production):
    app = create_app(production)
    assert app.debug is False
    assert app.config["RATELIMIT_STORAGE_URI"] == REDIS
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.test_client().get("/healthz").status_code == 200


def test_production_is_the_default_environment(production):
    del production["PORTAL_ENV"]
    production["DEBUG"] = True
    with pytest.raises(ConfigError):
        create_app(production)


def test_production_refuses_debug(production):
    with pytest.raises(ConfigError, match="DEBUG"):
        create_app({**production, "DEBUG": True})


def test_production_refuses_debug_switched_on_from_the_environment(production, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(ConfigError, match="DEBUG"):
        create_app(production)


@pytest.mark.parametrize(
    "key",
    ["", "dev", "change-me", "secret", "development", "short-but-random-3f9a", "x" * 31],
)
def test_production_refuses_a_default_or_short_secret_key(production, key):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({**production, "SECRET_KEY": key})


def test_production_refuses_a_missing_secret_key(production):
    del production["SECRET_KEY"]
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(production)


@pytest.mark.parametrize("storage", ["memory://", "memory://?x=1"])
def test_production_refuses_memory_rate_limit_storage(production, storage):
    with pytest.raises(ConfigError, match="REDIS_URL"):
        create_app({**production, "RATELIMIT_STORAGE_URI": storage})


def test_production_without_redis_url_refuses_to_start(production):
    del production["RATELIMIT_STORAGE_URI"]  # falls back to the environment, which has none
    with pytest.raises(ConfigError, match="REDIS_URL"):
        create_app(production)


def test_production_takes_redis_from_the_environment(production, monkeypatch):
    del production["RATELIMIT_STORAGE_URI"]
    monkeypatch.setenv("REDIS_URL", REDIS)
    assert create_app(production).config["RATELIMIT_STORAGE_URI"] == REDIS


@pytest.mark.parametrize("env", ["prod", "Production", "staging", ""])
def test_an_unknown_environment_name_is_refused_rather_than_unchecked(production, env):
    with pytest.raises(ConfigError, match="PORTAL_ENV"):
        create_app({**production, "PORTAL_ENV": env, "DEBUG": True, "SECRET_KEY": "dev"})


@pytest.mark.parametrize("profile", ["CHEAPEST", "RFC_9106_HIGH_MEMORY"])
def test_production_refuses_password_hashing_below_owasps_cost(production, profile):
    # CHEAPEST is for tests; RFC 9106's high-memory profile makes one pass only (t=1)
    with pytest.raises(ConfigError, match="PASSWORD_HASH_PROFILE"):
        create_app({**production, "PASSWORD_HASH_PROFILE": profile})


def test_production_hashes_passwords_with_rfc_9106s_low_memory_profile_by_default(production):
    assert create_app(production).config["PASSWORD_HASH_PROFILE"] == "RFC_9106_LOW_MEMORY"


@pytest.mark.parametrize("profile", ["cheapest", "Parameters", "DEFAULT", ""])
def test_an_unknown_password_hash_profile_is_refused_in_any_environment(production, profile):
    with pytest.raises(ConfigError, match="PASSWORD_HASH_PROFILE"):
        create_app({**production, "PORTAL_ENV": "testing", "PASSWORD_HASH_PROFILE": profile})


def test_development_may_run_with_debug_and_its_own_secret(production, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", LONG_KEY)
    config = {**production, "PORTAL_ENV": "development", "DEBUG": True}
    del config["SECRET_KEY"]
    app = create_app(config)
    assert app.debug is True
    assert app.config["HSTS"] is False


def test_check_production_is_quiet_for_a_sound_config():
    check_production(
        {"PORTAL_ENV": "production", "SECRET_KEY": LONG_KEY, "RATELIMIT_STORAGE_URI": REDIS}
    )
