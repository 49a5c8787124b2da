"""Test fixtures: one app per run on SQLite (default) or PostgreSQL, a transaction per test.

PORTAL_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test runs the suite on PostgreSQL.
Each test runs inside a transaction that is rolled back afterwards; the code under test commits
to a SAVEPOINT, so its commits are real to it and invisible to the next test.
"""

import ipaddress
import os
import re
import shutil
import socket
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import g, request_started
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import orm

from portal import create_app
from portal.config import database_url
from portal.extensions import SESSION_OPTIONS, db, limiter
from tests import factories

PASSWORD = "correct horse battery"

# No app of the tests starts a deliverer thread on its first request, whatever its config: such
# a thread would share the test's database session. Tests deliver the outbox by calling it.
os.environ["OUTBOX_DELIVERY"] = "worker"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "no_transaction: the test manages its own database (no rollback wrapper)"
    )


def skip_or_fail(reason: str):
    """Skip locally with a reason that says how to enable the test; in CI a skip is a failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run this test: {reason}")
    pytest.skip(reason)


def test_database_url(tmp_path_factory) -> str:
    url = os.environ.get("PORTAL_TEST_DATABASE_URL")
    if url:
        return database_url(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


test_database_url.__test__ = False


def make_config(url: str, **overrides) -> dict:
    config = {
        "PORTAL_ENV": "testing",
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "HSTS": False,
        # No deliverer thread: tests deliver the outbox by calling it.
        "OUTBOX_DELIVERY": "worker",
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def database_url_for_tests(tmp_path_factory):
    url = test_database_url(tmp_path_factory)
    if not url.startswith("postgresql"):
        yield url
        return
    # A database of this run's own, so concurrent runs on one server never collide.
    with scratch_postgres_database(url, f"portal_test_{os.getpid()}") as scratch:
        yield scratch


@contextmanager
def scratch_postgres_database(url: str, name: str):
    """Create an empty PostgreSQL database beside `url`'s, yield its URL, drop it after."""
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")

    def drop():
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    drop()
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        drop()
        admin.dispose()


@pytest.fixture(scope="session")
def app(database_url_for_tests):
    app = create_app(make_config(database_url_for_tests))
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _transaction(request, app):
    """Every test in a transaction rolled back afterwards (nothing leaks between tests)."""
    if request.node.get_closest_marker("no_transaction"):
        yield
        return
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        real_session = db.session
        # A plain SQLAlchemy session: Flask-SQLAlchemy's get_bind() would pick the engine and
        # ignore a session-level bind to this connection.
        factory = orm.sessionmaker(
            bind=connection, join_transaction_mode="create_savepoint", **SESSION_OPTIONS
        )
        db.session = orm.scoped_session(factory, scopefunc=_app_ctx_id)
        limiter.reset()
        try:
            yield
        finally:
            db.session.remove()
            db.session = real_session
            outer.rollback()
            connection.close()


# Tests never reach beyond this machine (SECURITY.md 34): Stripe is localstripe on loopback,
# PostgreSQL and Chromium run here. Every socket connection the test process opens is checked;
# one elsewhere is refused, and the test that tried fails even if the error was swallowed.
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
#: Connections refused during the current test: (address, test id).
NETWORK_VIOLATIONS: list[tuple[object, str]] = []


def is_loopback(address) -> bool:
    if isinstance(address, str | bytes):
        return True  # a Unix socket path
    host = address[0]
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


def _guarded(real):
    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address):
            NETWORK_VIOLATIONS.append((address, os.environ.get("PYTEST_CURRENT_TEST", "")))
            raise ConnectionRefusedError(
                f"tests may not connect beyond loopback (SECURITY.md 34): {address!r}"
            )
        return real(sock, address)

    return connect


socket.socket.connect = _guarded(_real_connect)
socket.socket.connect_ex = _guarded(_real_connect_ex)


@pytest.fixture(autouse=True)
def _only_loopback():
    NETWORK_VIOLATIONS.clear()
    yield
    violations = list(NETWORK_VIOLATIONS)
    NETWORK_VIOLATIONS.clear()
    assert violations == [], f"the test tried to reach beyond loopback: {violations}"


@pytest.fixture(autouse=True)
def _fresh_g_per_request():
    """Give every request an empty `g`, as a real server does.

    The root `_transaction` fixture keeps an app context pushed for the whole test, and a test
    client request reuses it, so `g` would outlive the request. Flask-Login caches the user in
    `g._login_user`: without this, a request would be signed in as whoever the previous
    request, in any client, signed in as, and no cookie test could fail.
    """

    def clear_g(sender, **extra):
        for name in list(g):
            g.pop(name)

    request_started.connect(clear_g, weak=False)
    yield
    request_started.disconnect(clear_g)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def two_accounts():
    """Acme and Globex, each with a buyer; enough to test that nothing crosses between them."""
    acme = factories.AccountFactory(slug="acme", name="Acme Hospital Group")
    globex = factories.AccountFactory(slug="globex", name="Globex Manufacturing")
    return {
        "acme": acme,
        "globex": globex,
        "acme_buyer": factories.UserFactory(account=acme, email="buyer@acme.example"),
        "globex_buyer": factories.UserFactory(account=globex, email="buyer@globex.example"),
    }


@pytest.fixture
def web(app):
    """A second app on the test database: each of its requests has its own app context and
    database session, as in production, so a failed request leaves nothing a later read sees."""
    return create_app(make_config(app.config["SQLALCHEMY_DATABASE_URI"]))


def signed_in(web, email, password=PASSWORD):
    """A test client of `web`, signed in."""
    client = web.test_client()
    response = login(client, email, password)
    assert response.status_code == 302, f"{email} could not sign in"
    return client


def account_form(account=None, **changes) -> dict:
    """Everything the account form posts, as it would arrive from the browser."""
    data = {
        "name": account.name if account else "Umbrella Corporation",
        "welcome_text": account.welcome_text if account else "Welcome.",
        "brand_colour": account.brand_colour if account else "#1f4e9c",
        "hotline_phone": account.hotline_phone if account else "+86 21 5555 0199",
        "time_zone": account.time_zone if account else "Asia/Shanghai",
        "currency": account.currency if account else "CNY",
        "tier": account.tier if account else "standard",
        "inside_sales_rep_id": "0",
        "backup_rep_id": "0",
        "field_sales_rep_id": "0",
        "is_po_required": "y" if account and account.is_po_required else "",
    }
    if account is None:
        data["slug"] = "umbrella"
    data.update(changes)
    return data


def login(client, email, password=PASSWORD, **extra):
    return client.post("/login", data={"email": email, "password": password, **extra})


@contextmanager
def count_queries():
    """Count the SQL statements issued inside the block (for constant-query tests)."""
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK)", statement):
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)


def chromium_path() -> str | None:
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
    )


class SMTPServer:
    """A real SMTP server (aiosmtpd) on loopback that keeps what it accepts in `messages`, and
    refuses what it is told to: `refuse_next(code, n)` the next n recipients, `refuse_rate` a
    share of all attempts (seeded), `refuse_address[address] = code` always."""

    def __init__(self, seed: int = 6):
        import random
        import threading

        #: What was accepted, as received; `messages` parses it (later: parsing is slow).
        self.received: list[bytes] = []
        self._parsed: list = []
        self.refusals: list[tuple[str, int]] = []
        self.refuse_rate = 0.0
        self.refuse_address: dict[str, int] = {}
        self._queued: list[int] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def refuse_next(self, code: int, times: int = 1) -> None:
        with self._lock:
            self._queued.extend([code] * times)

    def _refusal(self, address: str) -> int | None:
        with self._lock:
            if address in self.refuse_address:
                return self.refuse_address[address]
            if self._queued:
                return self._queued.pop(0)
            if self.refuse_rate and self._random.random() < self.refuse_rate:
                return 451
        return None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        code = self._refusal(address)
        if code is not None:
            with self._lock:
                self.refusals.append((address, code))
            kind = "4.3.0 Try again later" if code < 500 else "5.1.1 No such mailbox"
            return f"{code} {kind}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.received.append(envelope.original_content)
        return "250 Message accepted"

    @property
    def messages(self) -> list:
        """The accepted messages, parsed (email.message.EmailMessage)."""
        from email import message_from_bytes, policy

        with self._lock:
            received = list(self.received)
        for raw in received[len(self._parsed) :]:
            self._parsed.append(message_from_bytes(raw, policy=policy.default))
        return list(self._parsed)

    def message_ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.messages]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_smtp_server(**options):
    """An SMTPServer listening on 127.0.0.1 at a free port (`.port`), stopped afterwards."""
    from aiosmtpd.controller import Controller

    handler = SMTPServer(**options)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def smtp_server(app, monkeypatch):
    """The app's mail goes to a fresh SMTPServer for this test."""
    with running_smtp_server() as server:
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
        yield server
