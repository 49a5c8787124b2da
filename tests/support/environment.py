"""What the tests find on this machine: databases, free ports, Chromium; and the rule that CI
runs every test."""

import os
import shutil
import socket
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from portal.config import database_url

#: Where the tests look for PostgreSQL when PORTAL_TEST_DATABASE_URL names none.
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


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


def postgres_url() -> str | None:
    """The PostgreSQL server to make a scratch database on, or None when none answers:
    PORTAL_TEST_DATABASE_URL when it names PostgreSQL, else the local server."""
    configured = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
    url = database_url(configured if configured.startswith("postgres") else LOCAL_POSTGRES)
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return url
    except sa.exc.OperationalError:
        return None
    finally:
        engine.dispose()


@contextmanager
def scratch_postgres_database(url: str, name: str):
    """Create an empty PostgreSQL database beside `url`'s, yield its URL, drop it after."""
    # Pre-ping: a fault test may have restarted the server meanwhile.
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def chromium_path() -> str | None:
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
    )
