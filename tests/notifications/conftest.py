"""Apps on databases of their own, for tests where threads or processes work side by side: the
ordering concurrency tests' fixtures."""

from tests.ordering.test_concurrency import pg_app, postgres_url, sqlite_app  # noqa: F401
