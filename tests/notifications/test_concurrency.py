"""Two worker processes deliver the same outbox side by side on PostgreSQL, while the SMTP
server refuses about one attempt in ten: every e-mail arrives exactly once (issue 6, "Done
when"). Each process claims rows with FOR UPDATE SKIP LOCKED; without the row lock they would
send the same row twice."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.core.db import utcnow
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from tests.support.mail import running_smtp_server

pytestmark = pytest.mark.no_transaction

MESSAGES = 1000
#: A guard against a hang, not a speed test: how long the test waits for the workers to finish.
DEADLINE = 300
BIN = Path(sys.executable).parent


def queue(app, n: int) -> None:
    with app.app_context():
        now = utcnow()
        db.session.execute(
            sa.insert(OutboxMessage),
            [
                {
                    "to_address": f"person{i}@acme.example",
                    "subject": f"Message {i:04d}",
                    "text_body": f"Body {i}",
                    "html_body": f"<p>Body {i}</p>",
                    "created_at": now,
                    "next_attempt_at": now,
                }
                for i in range(n)
            ],
        )
        db.session.commit()


def statuses(app) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
        )
        counts = {status: count for status, count in rows}
        db.session.remove()
        return counts


def test_two_worker_processes_deliver_1000_emails_exactly_once_despite_refusals(pg_app):
    app = pg_app
    queue(app, MESSAGES)
    with running_smtp_server() as server:
        server.refuse_rate = 0.1
        env = {
            **os.environ,
            "PORTAL_ENV": "testing",
            "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(server.port),
            "OUTBOX_DELIVERY": "worker",
            "OUTBOX_BACKOFF_SECONDS": "0.01",
            "OUTBOX_BACKOFF_MAX_SECONDS": "0.1",
            "OUTBOX_MAX_ATTEMPTS": "30",
        }
        # Both ways in: the console script and `flask --app portal`; each runs until stopped.
        commands = {
            "a": [str(BIN / "portal"), "worker", "--no-sweeps", "--poll", "0.05"],
            "b": [str(BIN / "flask"), "--app", "portal", "worker", "--no-sweeps", "--poll", "0.05"],
        }
        workers = [
            subprocess.Popen(  # noqa: S603 - our own commands
                command,
                env={**env, "MAIL_FROM": f"Worker {name} <worker-{name}@portal.example>"},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for name, command in commands.items()
        ]
        try:
            start = time.monotonic()
            while statuses(app).get("pending", 0) and time.monotonic() - start < DEADLINE:
                time.sleep(0.2)
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            errors = [worker.communicate(timeout=30)[1] for worker in workers]
        assert [worker.returncode for worker in workers] == [0, 0]
        assert not any("Traceback" in error for error in errors), errors
        ids = server.message_ids()
        assert len(ids) == len(set(ids))  # none twice
        assert statuses(app) == {"sent": MESSAGES}
        assert len(ids) == MESSAGES  # all of them
        assert sorted(m["Subject"] for m in server.messages) == [
            f"Message {i:04d}" for i in range(MESSAGES)
        ]
        refused = len(server.refusals)
        assert refused > MESSAGES * 0.05  # the server did refuse, and those were sent later
        senders = {m["From"].addresses[0].username for m in server.messages}
        assert senders == {"worker-a", "worker-b"}  # side by side, not one after the other
    with app.app_context():
        attempts = db.session.scalar(sa.select(sa.func.sum(OutboxMessage.attempts)))
    assert attempts == MESSAGES + refused
