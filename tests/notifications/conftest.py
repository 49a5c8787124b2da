"""Apps on databases of their own, for tests where threads or processes work side by side."""

import os

import pytest

from portal import create_app
from portal.extensions import db
from tests.conftest import make_config, scratch_postgres_database, skip_or_fail
from tests.ordering.test_concurrency import postgres_url


@pytest.fixture(scope="module")
def pg_app():
    url = postgres_url()
    if url is None:
        skip_or_fail(
            "no PostgreSQL answers: start one or set "
            "PORTAL_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test"
        )
    with scratch_postgres_database(url, f"portal_outbox_{os.getpid()}") as scratch:
        app = create_app(make_config(scratch))
        with app.app_context():
            db.create_all()
        yield app
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def sqlite_app(tmp_path):
    app = create_app(make_config(f"sqlite:///{tmp_path / 'outbox.db'}"))
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()
