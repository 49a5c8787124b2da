"""The portal as its operators run it: gunicorn web processes and `portal worker` processes,
started as separate programs on one PostgreSQL database and one Redis, with a real SMTP server
(tests/support/mail.py) for their e-mail. The several-processes and fault tests and
benchmarks/bench_load.py start one with `running_deployment`.

The processes run with PORTAL_ENV=development over plain HTTP on loopback (cookies without
Secure, webhooks to a receiver on loopback), and otherwise as production does: PostgreSQL,
rate limits in Redis, e-mail and webhooks delivered by the workers only.
"""

import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import requests
import sqlalchemy as sa

from tests.support.environment import free_port, scratch_postgres_database

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
#: Where the processes' Redis lives unless told otherwise; each deployment takes a database
#: number of its own there (redis_database) and empties it before and after.
LOCAL_REDIS = "redis://127.0.0.1:6379"
SECRET_KEY = "deployment-secret-key-0123456789abcdef0123456789"


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.popen.poll() is None


@dataclass
class Deployment:
    database_url: str
    redis_url: str
    env: dict
    logs: Path
    webs: list[Process] = field(default_factory=list)
    workers: list[Process] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)

    def engine(self) -> sa.Engine:
        """An engine on the deployment's database, for the test to read what was written."""
        return sa.create_engine(self.database_url)

    def start_web(self, *, workers: int = 1, threads: int = 4) -> str:
        """Start one more gunicorn on a port of its own; its base URL once it answers."""
        url, process = self._spawn_web(workers=workers, threads=threads)
        return self._wait_for_web(url, process)

    def _spawn_web(self, *, workers: int = 1, threads: int = 4) -> tuple[str, Process]:
        port = free_port()
        command = [
            str(BIN / "gunicorn"),
            "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers),
            "--threads", str(threads),
            "--graceful-timeout", "5",
            "portal:create_app()",
        ]  # fmt: skip
        process = self._spawn(f"web-{len(self.webs) + 1}", command)
        self.webs.append(process)
        return f"http://127.0.0.1:{port}", process

    def _wait_for_web(self, url: str, process: Process) -> str:
        wait_until_answers(url + "/healthz", process)
        self.urls.append(url)
        return url

    def start_worker(self, *, poll: float = 0.5) -> Process:
        command = [str(BIN / "flask"), "--app", "portal", "worker", "--poll", str(poll)]
        process = self._spawn(f"worker-{len(self.workers) + 1}", command)
        self.workers.append(process)
        return process

    def _spawn(self, name: str, command: list[str]) -> Process:
        log = self.logs / f"{name}.log"
        handle = log.open("ab")
        popen = subprocess.Popen(  # noqa: S603 - our own programs, fixed arguments
            command,
            cwd=ROOT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        handle.close()
        return Process(name, popen, log)

    def stop(self, process: Process, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        """Send `sig` to the process's group and wait for it to end (SIGKILL after `timeout`)."""
        if not process.alive():
            return
        try:
            os.killpg(process.popen.pid, sig)
            process.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.popen.pid, signal.SIGKILL)
            process.popen.wait(5)
        except ProcessLookupError:
            pass

    def stop_all(self) -> None:
        """Stop every process, side by side: SIGTERM to all, then wait for each."""
        running = [p for p in [*self.workers, *self.webs] if p.alive()]
        for process in running:
            with suppress(ProcessLookupError):
                os.killpg(process.popen.pid, signal.SIGTERM)
        for process in running:
            self.stop(process)

    def output(self) -> str:
        """Every process's log, for a failing test's message."""
        return "\n".join(f"--- {p.name}\n{p.output()[-4000:]}" for p in [*self.webs, *self.workers])


def wait_until_answers(url: str, process: Process | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and not process.alive():
            raise RuntimeError(f"{process.name} ended:\n{process.output()[-4000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def redis_database(url: str = LOCAL_REDIS) -> str:
    """A Redis database number of this process's own on the server at `url`."""
    return f"{url.rstrip('/')}/{1 + os.getpid() % 15}"


def flush_redis(url: str) -> None:
    import redis

    with suppress(redis.RedisError):  # a fault test may have stopped it
        redis.Redis.from_url(url, socket_timeout=3).flushdb()


def prepare_database(url: str, *, history: bool = False) -> None:
    """Migrate the empty database at `url` as an operator would (`flask db upgrade`), then
    seed the demo (DESIGN.md section 6; `history`: with its two years of orders)."""
    from flask_migrate import upgrade

    from portal import create_app
    from portal.demo import seed_demo
    from portal.extensions import db
    from tests.support.web import make_config

    app = create_app(make_config(url))
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        seed_demo(history=history)
        db.session.commit()
        db.engine.dispose()


@contextmanager
def running_deployment(
    logs: Path,
    postgres: str,
    *,
    webs: int = 2,
    workers: int = 2,
    threads: int = 4,
    mail_port: int | None = None,
    redis_url: str | None = None,
    env: dict | None = None,
    name: str | None = None,
):
    """A migrated, seeded scratch database on the PostgreSQL server at `postgres` (a URL), and
    `webs` gunicorn processes (one worker process of `threads` threads each) and `workers`
    `portal worker` processes on it, their logs in `logs`. Everything is stopped and the
    database dropped afterwards."""
    logs.mkdir(parents=True, exist_ok=True)
    redis_url = redis_url or redis_database()
    with ExitStack() as stack:
        database = stack.enter_context(
            scratch_postgres_database(postgres, name or f"portal_deploy_{os.getpid()}")
        )
        prepare_database(database)
        flush_redis(redis_url)
        stack.callback(flush_redis, redis_url)
        process_env = {
            **os.environ,
            "PORTAL_ENV": "development",
            "SECRET_KEY": SECRET_KEY,
            "DATABASE_URL": database,
            "REDIS_URL": redis_url,
            "OUTBOX_DELIVERY": "worker",
            "WORKER_POLL_SECONDS": "0.5",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(mail_port or free_port()),
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        for unset in ("FLASK_APP", "PORTAL_TEST_DATABASE_URL", "STRIPE_SECRET_KEY"):
            process_env.pop(unset, None)
        deployment = Deployment(database, redis_url, process_env, logs)
        stack.callback(deployment.stop_all)
        # Every process starts at once (the workers race for the first sweeps); the webs are
        # waited for after.
        spawned = [deployment._spawn_web(threads=threads) for _ in range(webs)]
        process_env["PORTAL_BASE_URL"] = spawned[0][0] if spawned else ""
        for _ in range(workers):
            deployment.start_worker()
        for url, process in spawned:
            deployment._wait_for_web(url, process)
        yield deployment
