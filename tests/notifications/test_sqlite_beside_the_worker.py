"""SECURITY.md 38 with the embedded deliverer: the in-process worker writes beside the request
threads, and no request meets "database is locked"."""

import threading

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.accounts.models import User
from portal.core.db import write_ahead
from portal.extensions import db
from portal.notifications.models import Notice
from tests import factories
from tests.conftest import login, make_config

pytestmark = pytest.mark.no_transaction


@pytest.fixture
def sqlite_app(tmp_path):
    app = create_app(make_config(f"sqlite:///{tmp_path / 'embedded.db'}"))
    with app.app_context():
        db.create_all()
        user = factories.StaffFactory(email="inside@northwind.example", role="inside_sales")
        db.session.commit()
        assert user.id
    yield app
    with app.app_context():
        db.engine.dispose()


def keep_writing(app, stop: threading.Event, written: list[int]) -> None:
    """What the deliverer does between requests: short write transactions, one after another."""
    with app.app_context():
        write_ahead()
        user_id = db.session.scalar(sa.select(User.id))
        while not stop.is_set():
            db.session.add(Notice(user_id=user_id, text="worker round"))
            db.session.commit()
            written.append(1)
        db.session.remove()


def test_sign_ins_read_then_write_while_the_worker_writes_and_none_is_refused(sqlite_app):
    # Given the in-process worker committing all the time
    stop, written = threading.Event(), []
    worker = threading.Thread(target=keep_writing, args=(sqlite_app, stop, written))
    worker.start()
    try:
        # When a user signs in again and again (each sign-in reads the user, then writes a
        # session row: the read-then-write that WAL cannot upgrade under a concurrent writer)
        statuses = []
        for _ in range(40):
            with sqlite_app.test_client() as client:
                statuses.append(login(client, "inside@northwind.example").status_code)
    finally:
        stop.set()
        worker.join(30)

    # Then every sign-in succeeded (an OperationalError would have been raised by the client)
    assert statuses == [302] * 40
    assert len(written) > 40
