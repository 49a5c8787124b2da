"""The worker: sweeps when due and one at a time, the loop, and the in-process deliverer."""

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import lazy_gettext

from portal import create_app
from portal.core.db import utcnow
from portal.extensions import db
from portal.notifications.models import OutboxMessage, SweepRun
from portal.notifications.services import queue_email
from portal.worker import SWEEPS, Sweep, run_due_sweeps, run_worker, start_in_process
from tests import factories
from tests.support.mail import running_smtp_server
from tests.support.web import make_config

HERE = __name__

#: What the test sweeps below did: names of the calls, and the most that ran at once.
calls: list[str] = []
running = {"now": 0, "most": 0}
_guard = threading.Lock()


def counting_sweep():
    calls.append("counting")
    return "3 things done"


def failing_sweep():
    calls.append("failing")
    raise ValueError("the database said no")


def slow_sweep():
    with _guard:
        running["now"] += 1
        running["most"] = max(running["most"], running["now"])
    time.sleep(0.5)
    calls.append("slow")
    with _guard:
        running["now"] -= 1
    return "slept"


@pytest.fixture(autouse=True)
def _reset():
    calls.clear()
    running.update(now=0, most=0)


def record(name: str) -> SweepRun | None:
    db.session.expire_all()
    return db.session.get(SweepRun, name)


def test_a_due_sweep_runs_and_records_when_it_ran_and_what_it_returned():
    before = utcnow()
    results = run_due_sweeps([Sweep("counting", timedelta(hours=1), f"{HERE}:counting_sweep")])
    assert results == {"counting": "3 things done"}
    assert calls == ["counting"]
    run = record("counting")
    assert before <= run.last_started_at <= run.last_finished_at <= utcnow()
    assert run.last_result == "3 things done"


def test_a_sweep_runs_again_only_when_its_interval_has_passed():
    sweep = Sweep("counting", timedelta(hours=1), f"{HERE}:counting_sweep")
    run_due_sweeps([sweep])
    assert run_due_sweeps([sweep]) == {}
    assert calls == ["counting"]
    db.session.execute(
        sa.update(SweepRun).values(last_started_at=utcnow() - timedelta(hours=1, seconds=1))
    )
    db.session.commit()
    assert run_due_sweeps([sweep]) == {"counting": "3 things done"}
    assert calls == ["counting", "counting"]


def test_a_failing_sweep_is_recorded_and_the_next_sweep_still_runs():
    results = run_due_sweeps(
        [
            Sweep("failing", timedelta(hours=1), f"{HERE}:failing_sweep"),
            Sweep("counting", timedelta(hours=1), f"{HERE}:counting_sweep"),
        ]
    )
    assert calls == ["failing", "counting"]
    assert results["failing"] == "failed: ValueError: the database said no"
    assert record("failing").last_result == "failed: ValueError: the database said no"
    assert record("failing").last_finished_at is not None
    assert record("counting").last_result == "3 things done"


def test_a_sweep_whose_code_cannot_be_found_is_recorded_as_failed():
    run_due_sweeps([Sweep("missing", timedelta(hours=1), "portal.nowhere:sweep")])
    assert record("missing").last_result.startswith("failed: ModuleNotFoundError")


def test_every_sweep_of_the_registry_can_be_loaded():
    assert [s.name for s in SWEEPS] == [
        "hotline_deadlines",
        "quote_deadlines",
        "care_tasks",
        "payments_due",
        "overdue_milestones",
        "contract_expiry",
        "saved_cards",
        "refunds",
        "insights",
    ]
    for sweep in SWEEPS:
        assert callable(sweep.load()), sweep.target


@pytest.mark.no_transaction
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_two_workers_at_once_run_a_sweep_one_at_a_time(database, request):
    app = request.getfixturevalue("pg_app" if database == "postgresql" else "sqlite_app")
    # Due on every round, so only the lock keeps the second worker out while the first runs.
    sweep = Sweep(f"slow-{database}", timedelta(0), f"{HERE}:slow_sweep")
    with app.app_context():
        db.session.add(SweepRun(name=sweep.name, last_started_at=utcnow() - timedelta(days=1)))
        db.session.commit()
    barrier = threading.Barrier(2)
    results = []

    def worker():
        with app.app_context():
            barrier.wait(timeout=10)
            results.append(run_due_sweeps([sweep]))
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert running["most"] == 1
    assert calls == ["slow"]
    assert sorted(results, key=len) == [{}, {sweep.name: "slept"}]


def test_one_round_of_the_worker_runs_the_due_sweeps_and_sends_the_due_mail(app):
    with running_smtp_server() as server:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
        message = factories.OutboxMessageFactory()
        run_worker(
            app,
            once=True,
            sweeps=[Sweep("counting", timedelta(hours=1), f"{HERE}:counting_sweep")],
        )
        assert server.message_ids() == [message.message_id]
    assert calls == ["counting"]


def test_a_commit_that_queues_an_email_wakes_the_deliverer_and_a_rollback_does_not():
    from portal import worker

    worker._wake.clear()
    queue_email("someone@acme.example", lazy_gettext("Hello"), "notice")
    db.session.flush()
    db.session.rollback()
    factories.AccountFactory()  # a commit without e-mail
    assert not worker._wake.is_set()
    queue_email("someone@acme.example", lazy_gettext("Hello"), "notice")
    db.session.commit()
    assert worker._wake.is_set()


@pytest.mark.no_transaction
def test_the_in_process_deliverer_sends_a_committed_email_within_seconds(sqlite_app):
    app = sqlite_app
    # Polling every 10 minutes: only the wake-up explains a delivery within the (generous, for a
    # loaded machine) 60 s this test waits.
    app.config["WORKER_POLL_SECONDS"] = 600
    with running_smtp_server() as server:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
        deliverer = start_in_process(app, sweeps=())
        try:
            assert start_in_process(app, sweeps=()) is None  # one per app
            time.sleep(0.5)  # the first round found nothing; the thread sleeps now
            with app.app_context():
                queue_email("buyer@acme.example", lazy_gettext("Your order"), "notice")
                db.session.commit()
                message_id = db.session.scalar(sa.select(OutboxMessage)).message_id
            deadline = time.monotonic() + 60
            while not server.messages and time.monotonic() < deadline:
                time.sleep(0.05)
            assert server.message_ids() == [message_id]
        finally:
            deliverer.stop.set()
            deliverer.thread.join(timeout=5)
    assert not deliverer.thread.is_alive()


def test_the_deliverer_starts_with_the_first_request_once_and_not_under_tests(app, monkeypatch):
    started = []

    def fake_start(app):
        started.append(app)
        app.extensions["portal_worker"] = "started"

    monkeypatch.setattr("portal.worker.start_in_process", fake_start)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    testing = create_app(make_config(url, OUTBOX_DELIVERY="in-process"))
    testing.test_client().get("/login")
    assert started == []
    served = create_app(make_config(url, OUTBOX_DELIVERY="in-process", TESTING=False))
    assert started == []  # not when the app is made (commands make one too)
    served.test_client().get("/login")
    served.test_client().get("/login")
    assert started == [served]
    by_workers = create_app(make_config(url, OUTBOX_DELIVERY="worker", TESTING=False))
    by_workers.test_client().get("/login")
    assert started == [served]
