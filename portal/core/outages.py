"""Which errors mean the database cannot be reached for now (it is down or restarting, or its
connections dropped), as opposed to a statement or the data being wrong: the first is a 503
that asks to retry (portal.core.errors), the second a bug, a 500."""

import sqlite3

import psycopg
import sqlalchemy as sa

#: Retry-After of a page or problem answered while the database cannot be reached: a restart
#: or a failover takes seconds.
RETRY_AFTER_SECONDS = 30


def is_database_unavailable(error: BaseException) -> bool:
    """Whether `error` says the database cannot be reached now: the connection dropped
    (`connection_invalidated`), it could not be made, the server is starting or shutting
    down, or no pooled connection came free in time. SQLite's OperationalError also means a
    missing table or bad SQL, so of SQLite's only a lock that did not come free counts."""
    if isinstance(error, sa.exc.TimeoutError):  # the pool: every connection busy
        return True
    if isinstance(error, sa.exc.DBAPIError):
        if error.connection_invalidated:
            return True
        error = error.orig
    if isinstance(error, sqlite3.OperationalError):
        return "locked" in str(error)
    return isinstance(error, psycopg.OperationalError | psycopg.InterfaceError)
