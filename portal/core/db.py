"""Database plumbing: exact column types, timestamps, account scoping and SQLite's write lock
(the declarative base with its naming convention is in extensions.py, with `db`)."""

import json
import sqlite3
from contextvars import ContextVar
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine
from sqlalchemy.orm import (
    Mapped,
    Session,
    declared_attr,
    mapped_column,
    with_loader_criteria,
)

from portal.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator):
    """A timezone-aware UTC timestamp on every database; naive datetimes are refused."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Amount(sa.TypeDecorator):
    """An exact decimal amount (4 places): NUMERIC on PostgreSQL, integer 1/10000ths on SQLite.

    SQLite has no decimal type and would store floats; scaled integers round-trip exactly and
    still sum and compare correctly in SQL. Floats are refused (SECURITY.md 40).
    """

    impl = sa.Numeric(19, 4)
    cache_ok = True
    PLACES = 4

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(sa.Numeric(19, self.PLACES))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise TypeError(f"amounts must be Decimal, not {type(value).__name__}")
        value = Decimal(value)
        exact = value.quantize(Decimal(1).scaleb(-self.PLACES))
        if exact != value:
            raise ValueError(f"amount {value} has more than {self.PLACES} decimal places")
        return int(exact.scaleb(self.PLACES)) if dialect.name == "sqlite" else exact

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(value).scaleb(-self.PLACES)
        return Decimal(value)


class TimestampMixin:
    #: When the row was created (UTC).
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    #: When the row last changed (UTC).
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


class AccountScoped:
    """Rows a buyer-side user may only see for their own account (SECURITY.md 14, 15).

    `apply_account_scope` filters every ORM SELECT on these classes, relationship loads
    included, while a request runs for a buyer-side user. A key account is its own scope: it
    overrides `account_id` with a synonym of its id.
    """

    @declared_attr
    def account_id(cls) -> Mapped[int]:
        return mapped_column(
            sa.ForeignKey("key_accounts.id", ondelete="CASCADE"), index=True, nullable=False
        )


#: Key in `Session.info` holding the key account a buyer-side request is confined to.
ACCOUNT_SCOPE = "account_scope"


@event.listens_for(Session, "do_orm_execute")
def apply_account_scope(state) -> None:
    """The one place where buyer-side reads are confined to the buyer's own account."""
    account_id = state.session.info.get(ACCOUNT_SCOPE)
    if account_id is None or not state.is_select or state.is_column_load:
        return
    state.statement = state.statement.options(_account_scope(account_id))


@lru_cache(maxsize=4096)
def _account_scope(account_id: int):
    """The criteria option confining reads to one account, made once per account and process:
    making it analyses the lambda again, for every SELECT of a buyer-side request otherwise.
    The option is immutable; the account id is the lambda's closure, so each has its own."""
    return with_loader_criteria(
        AccountScoped, lambda cls: cls.account_id == account_id, include_aliases=True
    )


def among(column, values, type_=sa.String):
    """`column IN values` with ONE bound parameter however many values: both databases cap the
    parameters of a statement, and SQLAlchemy then neither renders nor processes one per value.
    PostgreSQL gets `= ANY(array)`, SQLite a json_each() list."""
    values = sorted(values)
    if db_session_dialect() == "postgresql":
        return column == sa.any_(sa.bindparam(None, values, type_=postgresql.ARRAY(type_)))
    members = sa.func.json_each(sa.bindparam(None, json.dumps(values))).table_valued("value")
    return column.in_(sa.select(members.c.value))


def db_session_dialect() -> str:
    return db.session.get_bind().dialect.name


def set_account_scope(session, account_id: int | None) -> None:
    if account_id is None:
        session.info.pop(ACCOUNT_SCOPE, None)
    else:
        session.info[ACCOUNT_SCOPE] = account_id


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    """SQLite: foreign keys on, WAL and a busy timeout, and SQLAlchemy drives transactions.

    Leaving BEGIN to SQLAlchemy (isolation_level=None plus the "begin" hook below) makes
    SAVEPOINT work, which the tests' rollback-per-test relies on.
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


#: Set by `begin_write`: the next SQLite transaction of this context starts IMMEDIATE.
_begin_immediate: ContextVar[bool] = ContextVar("begin_immediate", default=False)


def begin_write(session) -> None:
    """Start a read-then-write transaction that no other writer can interleave with.

    SQLite cannot upgrade a read transaction to a write one safely (under WAL a writer in
    between makes the upgrade fail at once, busy timeout or not), so the read transaction
    ends here (nothing is pending, objects stay loaded) and the next one begins IMMEDIATE,
    waiting for the write lock up to the busy timeout (SECURITY.md 38). On PostgreSQL callers
    lock the rows they consume with FOR UPDATE; nothing to do here.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("begin_write() must come before any change in the transaction")
    session.commit()
    _begin_immediate.set(True)


#: Set for a worker round or a request that may change something: every SQLite transaction
#: in it starts IMMEDIATE.
_all_immediate: ContextVar[bool] = ContextVar("all_immediate", default=False)


def write_ahead(enabled: bool = True) -> None:
    """Make every SQLite transaction of this context take the write lock when it begins.

    The embedded server has writers running side by side (request threads, and the in-process
    worker delivering e-mail and running sweeps), and a request that changes something often
    reads, then writes (a sign-in, an order). Under WAL such an upgrade fails at once, busy
    timeout or not, when another writer committed in between; a transaction that begins
    IMMEDIATE waits its turn instead (SECURITY.md 38). Readers outside these contexts are
    unaffected.
    """
    _all_immediate.set(enabled)


#: Methods of requests that only read (RFC 9110 "safe" methods).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Set for a request of a safe method: its SQLite transactions begin deferred.
_reading: ContextVar[bool] = ContextVar("reading", default=False)


def transactions_for_request(method: str | None) -> None:
    """How the SQLite transactions of a web request begin; None when the request is over.

    A request that may change something (POST and the other unsafe methods) takes the write
    lock with each transaction (`write_ahead`). A request that reads (GET, HEAD, OPTIONS)
    begins them deferred: readers then run side by side under WAL and wait for no writer. The
    few reads that write all the same (a session's last-seen time, an audited view) call
    `begin_write` before their first change; on SQLite a write without it raises (below)
    rather than meet "database is locked" once another writer is busy (SECURITY.md 38).
    """
    writes = method is not None and method not in SAFE_METHODS
    write_ahead(writes)
    _reading.set(method is not None and not writes)
    _begin_immediate.set(False)


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    if conn.dialect.name == "sqlite":
        immediate = _begin_immediate.get() or _all_immediate.get()
        _begin_immediate.set(False)
        if immediate:
            _reading.set(False)  # the request asked for the write lock: it may write
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")


@event.listens_for(Engine, "before_cursor_execute")
def _refuse_unlocked_writes(conn, cursor, statement, parameters, context, executemany) -> None:
    """On SQLite, a reading request that writes without `begin_write` fails here, every time,
    instead of failing under load only (a deferred transaction cannot take the write lock once
    another writer committed). Like lazy="raise", it makes the mistake show in any SQLite test.
    """
    if not _reading.get() or _begin_immediate.get() or conn.dialect.name != "sqlite":
        return
    if statement.lstrip()[:6].upper() in _WRITES:
        raise RuntimeError(
            "a request that only reads wrote to SQLite without core.db.begin_write() first"
        )
