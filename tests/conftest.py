"""Test fixtures: one app per run on SQLite (default) or PostgreSQL, a transaction per test.

PORTAL_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test runs the suite on PostgreSQL.
Each test runs inside a transaction that is rolled back afterwards; the code under test commits
to a SAVEPOINT, so its commits are real to it and invisible to the next test.

Fixtures that tests in several directories use live in tests/fixtures/, loaded as plugins;
what tests import (helpers, not fixtures) lives in tests/support/.
"""

import os

import pytest
from flask import g, request_started
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import orm

from portal import create_app
from portal.extensions import SESSION_OPTIONS, db, limiter
from tests import factories
from tests.support.environment import scratch_postgres_database, test_database_url
from tests.support.web import make_config

pytest_plugins = [
    "tests.fixtures.network",
    "tests.fixtures.passwords",
    "tests.fixtures.clock",
    "tests.fixtures.mail",
    "tests.fixtures.own_databases",
    "tests.fixtures.migrations",
    "tests.fixtures.shop",
    "tests.fixtures.stripe",
    "tests.fixtures.browser",
    "tests.fixtures.access",
]

# No app of the tests starts a deliverer thread on its first request, whatever its config: such
# a thread would share the test's database session. Tests deliver the outbox by calling it.
os.environ["OUTBOX_DELIVERY"] = "worker"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "no_transaction: the test manages its own database (no rollback wrapper)"
    )
    config.addinivalue_line(
        "markers", "deployment: starts gunicorn/worker processes or servers of its own"
    )


@pytest.fixture(scope="session")
def database_url_for_tests(tmp_path_factory):
    url = test_database_url(tmp_path_factory)
    if not url.startswith("postgresql"):
        yield url
        return
    # A database of this run's own, so concurrent runs on one server never collide.
    with scratch_postgres_database(url, f"portal_test_{os.getpid()}") as scratch:
        yield scratch


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
    with factories.committed_once():
        acme = factories.AccountFactory(slug="acme", name="Acme Hospital Group")
        globex = factories.AccountFactory(slug="globex", name="Globex Manufacturing")
        return {
            "acme": acme,
            "globex": globex,
            "acme_buyer": factories.UserFactory(account=acme, email="buyer@acme.example"),
            "globex_buyer": factories.UserFactory(account=globex, email="buyer@globex.example"),
        }


@pytest.fixture(scope="session")
def web(app):
    """A second app on the test database: each of its requests has its own app context and
    database session, as in production, so a failed request leaves nothing a later read sees.
    One for the run (it holds no state of a test's: sessions live in the database, and each
    test's requests reach the test's transaction through `db.session`); tests that need other
    settings build their own app."""
    return create_app(make_config(app.config["SQLALCHEMY_DATABASE_URI"]))
