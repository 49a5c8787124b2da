"""SECURITY.md 38 with the embedded deliverer: the in-process worker writes beside the request
threads, and no request meets "database is locked"; requests that only read never wait for
the write lock."""

import sqlite3
import threading
import time

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEvent
from portal.core.db import write_ahead
from portal.extensions import db
from portal.notifications.models import Notice
from tests import factories
from tests.support.web import login

pytestmark = pytest.mark.no_transaction


def keep_writing(app, user_id: int, stop: threading.Event, written: list[int]) -> None:
    """What the deliverer does between requests: short write transactions, one after another.
    Like the real worker, a round that cannot get the write lock in time is given up and the
    next one tries again (a busy worker is not a user's error page). It reads nothing first:
    on a loaded machine that read too could miss the lock, and end the thread."""
    with app.app_context():
        write_ahead()
        while not stop.is_set():
            db.session.add(Notice(user_id=user_id, text="worker round"))
            try:
                db.session.commit()
            except sa.exc.OperationalError:
                db.session.rollback()
            else:
                written.append(1)
            time.sleep(0.005)
        db.session.remove()


def test_sign_ins_read_then_write_while_the_worker_writes_and_none_is_refused(sqlite_app):
    # Given a staff user, and the in-process worker committing all the time
    with sqlite_app.app_context():
        staff_id = factories.StaffFactory(email="inside@northwind.example", role="inside_sales").id
    stop, written = threading.Event(), []
    worker = threading.Thread(target=keep_writing, args=(sqlite_app, staff_id, stop, written))
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
    assert len(written) >= 2  # the worker did write between the sign-ins


def test_account_views_that_write_an_audit_row_while_the_worker_writes_are_none_refused(
    sqlite_app,
):
    # Given a call-centre agent, an account, and the in-process worker committing all the time
    with sqlite_app.app_context():
        agent_id = factories.StaffFactory(email="agent@northwind.example", role="call_center").id
        factories.AccountFactory(slug="acme", name="Acme Hospital Group")
    with sqlite_app.test_client() as client:
        login(client, "agent@northwind.example")
        stop, written = threading.Event(), []
        worker = threading.Thread(target=keep_writing, args=(sqlite_app, agent_id, stop, written))
        worker.start()
        try:
            # When the agent opens the account's 360 view again and again: a GET that reads,
            # then writes its audit row (a read transaction WAL cannot upgrade once the worker
            # committed in between)
            statuses = [client.get("/staff/accounts/acme").status_code for _ in range(40)]
        finally:
            stop.set()
            worker.join(30)

    # Then every view was shown and audited
    assert statuses == [200] * 40
    with sqlite_app.app_context():
        views = db.session.scalar(
            sa.select(sa.func.count()).where(AuditEvent.action == "account.view")
        )
    assert views == 40
    assert len(written) >= 2  # the worker did write between the views


def test_a_page_that_only_reads_does_not_wait_for_the_write_lock(sqlite_app):
    # Given a signed-in buyer, and another connection holding the write lock meanwhile (a
    # long write of the worker, say)
    with sqlite_app.app_context():
        account = factories.AccountFactory(slug="acme")
        factories.UserFactory(account=account, email="buyer@acme.example")
        path = db.engine.url.database
    with sqlite_app.test_client() as client:
        login(client, "buyer@acme.example")
        writer = sqlite3.connect(path, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        try:
            # When the buyer browses the catalog (a reading request that began IMMEDIATE would
            # wait for the lock, then fail with "database is locked")
            response = client.get("/a/acme/catalog")
        finally:
            writer.execute("ROLLBACK")
            writer.close()

    # Then the page is there
    assert response.status_code == 200
