"""Settings from the environment: the embedded default (SQLite in instance/) or production."""

import os
import secrets
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlsplit

from portal.core import passwords

#: The environments there are; any other name is refused, not run unchecked.
ENVIRONMENTS = ("production", "development", "testing")

#: Values that are never acceptable as a production SECRET_KEY.
WEAK_SECRET_KEYS = {"", "dev", "change-me", "secret", "development"}


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the app refuses to start."""


def base_settings(instance_path: str) -> dict:
    """Settings common to every environment, read from the environment where it says so."""
    env = os.environ
    return {
        "PORTAL_ENV": env.get("PORTAL_ENV", "production"),
        "SECRET_KEY": env.get("SECRET_KEY", ""),
        "SQLALCHEMY_DATABASE_URI": database_url(
            env.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'portal.db'}"
        ),
        # A failed statement's error and log line name no parameter: they hold password hashes,
        # tokens and whatever a person typed (SECURITY.md 46).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "RATELIMIT_STORAGE_URI": env.get("REDIS_URL", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": False,
        # Redis unreachable: its errors come as limits' StorageError, within 2 s (a Redis that
        # hangs must not hang requests). The sign-in throttle then fails closed (core.reauth);
        # the API's request limit lets requests through and logs it (no in-memory fallback:
        # it would also serve the sign-in throttle, counting per process).
        "RATELIMIT_STORAGE_OPTIONS": {
            "wrap_exceptions": True,
            "socket_connect_timeout": 2,
            "socket_timeout": 2,
        },
        "RATELIMIT_SWALLOW_ERRORS": True,
        # Sign-in throttle (SECURITY.md 1): failed attempts per e-mail and per client address.
        "LOGIN_LIMIT_PER_EMAIL": env.get("LOGIN_LIMIT_PER_EMAIL", "5 per 15 minutes"),
        "LOGIN_LIMIT_PER_ADDRESS": env.get("LOGIN_LIMIT_PER_ADDRESS", "20 per 15 minutes"),
        # The JSON API (portal.api): requests per token (or per client address without one),
        # and how long a token may be valid at most.
        "API_RATE_LIMIT": env.get("API_RATE_LIMIT", "300 per minute"),
        "API_TOKEN_MAX_DAYS": int(env.get("API_TOKEN_MAX_DAYS", "365")),
        # Number of proxies in front of the app that set X-Forwarded-For (SECURITY.md 2).
        "PROXY_FIX_X_FOR": int(env.get("PROXY_FIX_X_FOR", "0")),
        # Sessions (SECURITY.md 9-12): idle and absolute lifetimes of a sign-in.
        "SESSION_IDLE_TIMEOUT": timedelta(hours=2),
        "SESSION_ABSOLUTE_TIMEOUT": timedelta(hours=12),
        "REMEMBER_COOKIE_DURATION": timedelta(days=7),
        "SESSION_COOKIE_NAME": "portal_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": True,
        "REMEMBER_COOKIE_NAME": "portal_remember",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": True,
        "SESSION_PROTECTION": "basic",
        # Password hashing (SECURITY.md 4): the argon2 profile new hashes are made with.
        "PASSWORD_HASH_PROFILE": passwords.DEFAULT_PROFILE,
        # Request bodies (SECURITY.md 26): CSV imports need room, nothing needs more than this.
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "MAX_LOGO_BYTES": 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
        "HSTS": True,
        # Stripe (DESIGN.md section 8). No secret key: card payments are off. STRIPE_API_BASE
        # None is the real Stripe; `make demo` and the tests point it at localstripe.
        "STRIPE_API_BASE": env.get("STRIPE_API_BASE") or None,
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY", ""),
        "STRIPE_PUBLISHABLE_KEY": env.get("STRIPE_PUBLISHABLE_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET", ""),
        "STRIPE_JS_URL": env.get("STRIPE_JS_URL", "https://js.stripe.com/v3/"),
        #: Where stripe.js comes from (CSP script-src, SECURITY.md 24); None: STRIPE_JS_URL's.
        "STRIPE_JS_ORIGIN": env.get("STRIPE_JS_ORIGIN") or None,
        #: How old a signed webhook may be, in seconds (SECURITY.md 27).
        "STRIPE_WEBHOOK_TOLERANCE": 300,
        # E-mail (DESIGN.md section 8): the outbox's messages go to this SMTP server.
        "MAIL_SERVER": env.get("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": int(env.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD", ""),
        "MAIL_USE_STARTTLS": env.get("MAIL_USE_STARTTLS", "") == "1",
        "MAIL_FROM": env.get("MAIL_FROM", "Northwind portal <portal@northwind.example>"),
        "MAIL_TIMEOUT": 10,
        #: Links in e-mails start with this.
        "PORTAL_BASE_URL": env.get("PORTAL_BASE_URL", "http://127.0.0.1:5000"),
        #: "in-process": a thread of the web process delivers (the embedded default);
        #: "worker": only `portal worker` processes do (production with PostgreSQL).
        "OUTBOX_DELIVERY": env.get("OUTBOX_DELIVERY", "in-process"),
        #: Attempts before a message goes to the dead letters.
        "OUTBOX_MAX_ATTEMPTS": int(env.get("OUTBOX_MAX_ATTEMPTS", "8")),
        #: Wait after the first failed attempt, doubled after each further one, at most the max.
        "OUTBOX_BACKOFF_SECONDS": float(env.get("OUTBOX_BACKOFF_SECONDS", "30")),
        "OUTBOX_BACKOFF_MAX_SECONDS": float(env.get("OUTBOX_BACKOFF_MAX_SECONDS", "3600")),
        #: How often an idle worker looks for due e-mails and sweeps (a commit that queues an
        #: e-mail wakes the in-process deliverer at once).
        "WORKER_POLL_SECONDS": float(env.get("WORKER_POLL_SECONDS", "5")),
        # Webhooks to the customer (SECURITY.md 50, portal.api.webhooks): how long a POST may
        # take, attempts before a delivery is dead, and the backoff between attempts.
        "WEBHOOK_TIMEOUT": float(env.get("WEBHOOK_TIMEOUT", "10")),
        "WEBHOOK_MAX_ATTEMPTS": int(env.get("WEBHOOK_MAX_ATTEMPTS", "8")),
        "WEBHOOK_BACKOFF_SECONDS": float(env.get("WEBHOOK_BACKOFF_SECONDS", "30")),
        "WEBHOOK_BACKOFF_MAX_SECONDS": float(env.get("WEBHOOK_BACKOFF_MAX_SECONDS", "3600")),
        #: Endpoints on http:// and on loopback or private addresses: development and tests
        #: only; production refuses it (no request forgery into the supplier's network).
        "WEBHOOK_ALLOW_PRIVATE": False,
        #: The portal's languages (portal/translations), and the company's time zone: staff
        #: see times in it unless they chose their own.
        "LANGUAGES": ["en", "zh_Hans"],
        "COMPANY_TIME_ZONE": env.get("COMPANY_TIME_ZONE", "Asia/Shanghai"),
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "BOOTSTRAP_SERVE_LOCAL": True,
        # The supplier as named on invoices and statements (DESIGN.md section 4, "Tax and
        # invoices"): its legal name, taxpayer number, address and the bank account that buyers
        # pay to, each with its Chinese form for Chinese readers (portal.tax.supplier).
        "SUPPLIER_LEGAL_NAME": env.get("SUPPLIER_LEGAL_NAME", "Northwind Components Co., Ltd."),
        "SUPPLIER_LEGAL_NAME_ZH": env.get("SUPPLIER_LEGAL_NAME_ZH", "北风电子元件有限公司"),
        "SUPPLIER_TAXPAYER_ID": env.get("SUPPLIER_TAXPAYER_ID", "91440300MA5NWC0M0E"),
        "SUPPLIER_ADDRESS": env.get(
            "SUPPLIER_ADDRESS", "8 Keji Road, Nanshan District, Shenzhen, Guangdong 518057"
        ),
        "SUPPLIER_ADDRESS_ZH": env.get("SUPPLIER_ADDRESS_ZH", "广东省深圳市南山区科技路8号"),
        "SUPPLIER_PHONE": env.get("SUPPLIER_PHONE", "+86 755 8600 1234"),
        "SUPPLIER_BANK_NAME": env.get(
            "SUPPLIER_BANK_NAME", "Bank of Example, Shenzhen Nanshan Branch"
        ),
        "SUPPLIER_BANK_NAME_ZH": env.get("SUPPLIER_BANK_NAME_ZH", "示例银行深圳南山支行"),
        "SUPPLIER_BANK_ACCOUNT": env.get("SUPPLIER_BANK_ACCOUNT", "7559 0001 2345 6789 012"),
        "SUPPLIER_BANK_SWIFT": env.get("SUPPLIER_BANK_SWIFT", "EXAMCNSZXXX"),
        # Insights (DESIGN.md section 4): accounts trading in different currencies are ranked
        # (platinum) by their T12M in this currency, converted at these rates (units of the
        # reporting currency per unit of each other currency; "USD=7.10,EUR=7.80").
        "REPORTING_CURRENCY": env.get("REPORTING_CURRENCY", "CNY"),
        "REPORTING_RATES": reporting_rates(env.get("REPORTING_RATES", "USD=7.10")),
    }


def reporting_rates(text: str) -> dict[str, Decimal]:
    """{"USD": Decimal("7.10")} from "USD=7.10, EUR=7.80"; a malformed entry is refused."""
    rates = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        currency, _, rate = entry.partition("=")
        try:
            value = Decimal(rate.strip())
        except InvalidOperation:
            value = Decimal(0)
        if len(currency.strip()) != 3 or not value.is_finite() or value <= 0:
            raise ConfigError(f"REPORTING_RATES: {entry!r} is not CUR=rate")
        rates[currency.strip().upper()] = value
    return rates


def database_url(url: str) -> str:
    """Plain postgresql:// URLs use psycopg 3, the driver the project installs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def development_settings(instance_path: str) -> dict:
    """Local development and `make demo`: plain HTTP on loopback, a secret kept in instance/."""
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY") or _instance_secret(instance_path),
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "HSTS": False,
        # The demo's webhooks post to a receiver on this machine.
        "WEBHOOK_ALLOW_PRIVATE": True,
    }


def _instance_secret(instance_path: str) -> str:
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def check_production(config) -> None:
    """Refuse to run production with debug on, a weak secret, per-process rate limits or
    password hashing below SECURITY.md 4; refuse an unknown hashing profile anywhere."""
    env = config.get("PORTAL_ENV")
    if env not in ENVIRONMENTS:
        # A typo such as "prod" must not switch the production checks off.
        raise ConfigError(f"PORTAL_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    try:
        hashing = passwords.profile(config.get("PASSWORD_HASH_PROFILE", passwords.DEFAULT_PROFILE))
    except ValueError as error:
        raise ConfigError(f"PASSWORD_HASH_PROFILE: {error}") from None
    if env != "production":
        return
    if config.get("DEBUG"):
        raise ConfigError("DEBUG must be off in production")
    key = config.get("SECRET_KEY") or ""
    if key in WEAK_SECRET_KEYS or len(key) < 32:
        raise ConfigError("set SECRET_KEY to a random value of at least 32 characters")
    if str(config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory://"):
        raise ConfigError("set REDIS_URL: production refuses per-process memory:// rate limits")
    check_stripe(config)
    if config.get("WEBHOOK_ALLOW_PRIVATE"):
        raise ConfigError("WEBHOOK_ALLOW_PRIVATE is for development and tests, not production")
    if not passwords.strong_enough(hashing):
        raise ConfigError("PASSWORD_HASH_PROFILE is too cheap for production (SECURITY.md 4)")


def check_stripe(config) -> None:
    """Production takes money from the real Stripe only: no emulator, no unsigned webhooks."""
    base = config.get("STRIPE_API_BASE")
    if base and not str(base).startswith("https://"):
        raise ConfigError("STRIPE_API_BASE must be https:// in production (localstripe is not)")
    for name in ("STRIPE_API_BASE", "STRIPE_JS_URL"):
        host = urlsplit(str(config.get(name) or "")).hostname or ""
        if host in ("localhost", "::1") or host.startswith("127."):
            raise ConfigError(f"{name} points at this machine: production uses the real Stripe")
    if config.get("STRIPE_SECRET_KEY") and not config.get("STRIPE_WEBHOOK_SECRET"):
        raise ConfigError("set STRIPE_WEBHOOK_SECRET: card payments need verified webhooks")
