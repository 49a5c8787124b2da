"""The worker: periodic sweeps, outbox and webhook delivery, in `portal worker` processes or in a
thread of the web process (the embedded default, OUTBOX_DELIVERY = "in-process").

Each sweep runs when its interval has passed since it last started, and ONE AT A TIME however
many workers run. On PostgreSQL a worker holds a session-level advisory lock, keyed by the
sweep's name, on a connection of its own for the whole sweep: it survives the sweep's own
commits, a second worker's try-lock fails and it skips, and a dead worker's lock goes with its
connection. On SQLite a lock per process does it (embedded = one process); the due check and
the start record are taken under SQLite's write lock, so a second process never starts a sweep
that another one started within its interval, though it could overlap one that overruns it.
"""

import importlib
import logging
import threading
import zlib
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.api import webhooks
from portal.api.models import WebhookDelivery
from portal.core.db import begin_write, db_session_dialect, utcnow, write_ahead
from portal.extensions import db
from portal.notifications import delivery
from portal.notifications.models import OutboxMessage, SweepRun

log = logging.getLogger("portal.worker")


@dataclass(frozen=True)
class Sweep:
    name: str
    every: timedelta
    #: "module:function"; the function takes no arguments, commits its own work and returns
    #: something printable. Imported when the sweep first runs.
    target: str

    def load(self):
        module, _, function = self.target.partition(":")
        return getattr(importlib.import_module(module), function)


SWEEPS = (
    Sweep("hotline_deadlines", timedelta(minutes=1), "portal.hotline.services:sweep_deadlines"),
    Sweep("quote_deadlines", timedelta(minutes=1), "portal.quotes.services:sweep_deadlines"),
    Sweep("care_tasks", timedelta(hours=1), "portal.hotline.care:sweep_care_tasks"),
    Sweep("payments_due", timedelta(hours=1), "portal.payments.sweep:sweep_payments_due"),
    Sweep("overdue_milestones", timedelta(hours=1), "portal.payments.sweep:sweep_overdue"),
    Sweep("contract_expiry", timedelta(hours=6), "portal.contracts.sweep:sweep_contract_expiry"),
    Sweep("saved_cards", timedelta(hours=1), "portal.payments.cards:charge_saved_cards"),
    Sweep("refunds", timedelta(minutes=1), "portal.payments.refunds:sweep_refunds"),
    Sweep("insights", timedelta(hours=1), "portal.insights.sweep:refresh_insights"),
)

#: Namespace of the sweeps' advisory locks (the first key of pg_try_advisory_lock(int, int)).
LOCK_NAMESPACE = 6_0606

#: SQLite: the sweeps running in this process.
_process_locks: dict[str, threading.Lock] = {}
_process_locks_guard = threading.Lock()


def run_due_sweeps(sweeps=SWEEPS) -> dict[str, str]:
    """Run each sweep whose interval has passed and that no other worker is running; what
    each sweep that ran returned (or the error it raised)."""
    rows = db.session.execute(sa.select(SweepRun.name, SweepRun.last_started_at))
    last_started = {name: started for name, started in rows}
    db.session.commit()
    now = utcnow()
    results = {}
    for sweep in sweeps:
        started = last_started.get(sweep.name)
        if started is not None and started + sweep.every > now:
            continue
        result = _run_alone(sweep)
        if result is not None:
            results[sweep.name] = result
    return results


def _run_alone(sweep: Sweep) -> str | None:
    if db_session_dialect() == "postgresql":
        return _run_with_advisory_lock(sweep)
    with _process_locks_guard:
        lock = _process_locks.setdefault(sweep.name, threading.Lock())
    if not lock.acquire(blocking=False):
        return None
    try:
        return _run_if_due(sweep)
    finally:
        lock.release()


def lock_key(name: str) -> int:
    """The second key of the sweep's advisory lock (the first is LOCK_NAMESPACE)."""
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def _run_with_advisory_lock(sweep: Sweep) -> str | None:
    key = lock_key(sweep.name)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        locked = connection.scalar(sa.select(sa.func.pg_try_advisory_lock(LOCK_NAMESPACE, key)))
        if not locked:
            return None
        try:
            return _run_if_due(sweep)
        finally:
            try:
                connection.scalar(sa.select(sa.func.pg_advisory_unlock(LOCK_NAMESPACE, key)))
            except Exception:
                # The lock must not go back to the pool with the connection.
                connection.invalidate()
                raise


def _run_if_due(sweep: Sweep) -> str | None:
    """Under the sweep's lock: check again that it is due, record the start, run, record."""
    begin_write(db.session)
    record = db.session.get(SweepRun, sweep.name, populate_existing=True)
    now = utcnow()
    if record is None:
        record = SweepRun(name=sweep.name)
        db.session.add(record)
    elif record.last_started_at is not None and record.last_started_at + sweep.every > now:
        db.session.commit()
        return None  # another worker ran it meanwhile
    record.last_started_at = now
    db.session.commit()
    try:
        result = str(sweep.load()())
    except Exception as error:
        db.session.rollback()
        log.exception("sweep %s failed", sweep.name)
        result = f"failed: {type(error).__name__}: {error}"
    record = db.session.get(SweepRun, sweep.name, populate_existing=True)
    record.last_finished_at = utcnow()
    record.last_result = result[:2000]
    db.session.commit()
    if not result.startswith("failed: "):
        log.info("sweep %s: %s", sweep.name, result)
    return result


# --- the loop ---

#: Set when a commit queued e-mails: an idle in-process deliverer sends them at once.
_wake = threading.Event()


def wake() -> None:
    _wake.set()


def run_worker(
    app,
    *,
    once: bool = False,
    stop: threading.Event | None = None,
    poll: float | None = None,
    sweeps=SWEEPS,
) -> None:
    """Run due sweeps and deliver due e-mails until `stop` is set (`once`: one round).

    Sleeps `poll` seconds (WORKER_POLL_SECONDS) when a round found nothing to send, or until
    `wake()`. An error is logged and the next round tries again.
    """
    stop = stop or threading.Event()
    poll = app.config["WORKER_POLL_SECONDS"] if poll is None else poll
    write_ahead()
    while not stop.is_set():
        _wake.clear()
        busy = False
        with app.app_context():
            try:
                run_due_sweeps(sweeps)
            except Exception:
                log.exception("running the sweeps failed")
                db.session.rollback()
            try:
                run = delivery.deliver_due()
                busy = run.attempted > 0
                if busy:
                    log.info("outbox: %s", run)
            except Exception:
                log.exception("delivering the outbox failed")
            try:
                hooks = webhooks.deliver_due()
                busy = busy or hooks.attempted > 0
                if hooks.attempted:
                    log.info("webhooks: %s", hooks)
            except Exception:
                log.exception("delivering webhooks failed")
            finally:
                db.session.remove()
        if once:
            return
        if not busy:
            _sleep(poll, stop)


def _sleep(seconds: float, stop: threading.Event) -> None:
    """Wait `seconds`, less when woken or stopped."""
    waited = 0.0
    while waited < seconds and not stop.is_set() and not _wake.is_set():
        step = min(0.25, seconds - waited)
        _wake.wait(step)
        waited += step


# --- in-process delivery (the embedded default) ---


@dataclass(frozen=True)
class Deliverer:
    thread: threading.Thread
    stop: threading.Event


def start_in_process(app, sweeps=SWEEPS) -> Deliverer | None:
    """Start the app's one deliverer thread, once per app; None if it runs already."""
    with _process_locks_guard:
        if app.extensions.get("portal_worker") is not None:
            return None
        stop = threading.Event()
        thread = threading.Thread(
            target=run_worker,
            args=(app,),
            kwargs={"stop": stop, "sweeps": sweeps},
            name="portal-worker",
            daemon=True,
        )
        app.extensions["portal_worker"] = deliverer = Deliverer(thread, stop)
        thread.start()
    return deliverer


@event.listens_for(Session, "after_flush")
def _note_queued_email(session, flush_context) -> None:
    if any(isinstance(obj, OutboxMessage | WebhookDelivery) for obj in session.new):
        session.info["queued_email"] = True


@event.listens_for(Session, "after_commit")
def _wake_on_commit(session) -> None:
    if session.info.pop("queued_email", False):
        wake()


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session) -> None:
    session.info.pop("queued_email", None)
