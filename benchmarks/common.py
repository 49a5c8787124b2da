"""What the benchmarks share: an app on a scratch database (SQLite file or PostgreSQL), timing."""

import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal import create_app  # noqa: E402
from portal.config import database_url  # noqa: E402
from portal.extensions import db  # noqa: E402
from tests.support.environment import scratch_postgres_database  # noqa: E402

#: The PostgreSQL server to create scratch databases on (its own database is not touched).
POSTGRES_URL = database_url(
    os.environ.get("PORTAL_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
)


def config(url: str) -> dict:
    """A testing-like configuration (as tests/conftest.py make_config) on `url`."""
    return {
        "PORTAL_ENV": "testing",
        "TESTING": True,
        "SECRET_KEY": "benchmark-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "HSTS": False,
    }


@contextmanager
def sqlite_database():
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as folder:
        yield f"sqlite:///{folder}/bench.db"


def postgres_database(name: str):
    """An empty database `name` on the benchmark server, dropped afterwards."""
    return scratch_postgres_database(POSTGRES_URL, f"{name}_{os.getpid()}")


def databases(name: str, only: str | None = None):
    """(label, context manager yielding a URL) for SQLite and PostgreSQL."""
    targets = [("SQLite", sqlite_database), ("PostgreSQL", lambda: postgres_database(name))]
    return [(label, make) for label, make in targets if only in (None, label.lower())]


@contextmanager
def app_on(url: str):
    """An app context on `url` with the schema created."""
    app = create_app(config(url))
    with app.app_context():
        db.create_all()
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def median_seconds(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
