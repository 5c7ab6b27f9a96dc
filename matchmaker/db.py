"""Database groundwork: UTC timestamps, SQLite pragmas and write transactions.

SQLite runs with ``PRAGMA foreign_keys=ON`` and WAL. Its default deferred ``BEGIN`` lets two
requests both read, then both try to write, so a check-then-insert could race. Every
transaction opened by a state-changing request (any method but GET/HEAD/OPTIONS) or inside
:func:`write_transaction` therefore starts with ``BEGIN IMMEDIATE``, taking the write lock
up front (SQLAlchemy's documented pysqlite recipe, "Serializable isolation / Savepoints /
Transactional DDL"). On PostgreSQL services use row locks (``with_for_update``) or
conditional updates, and unique constraints settle the rest.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from enum import StrEnum

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.timeutil import utcnow

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SQLITE_BUSY_TIMEOUT_MS = 30_000

_write_intent: ContextVar[bool] = ContextVar("matchmaker_write_intent", default=False)


class UTCDateTime(sa.TypeDecorator):
    """A timezone-aware UTC ``datetime`` on every backend.

    Stored as ``TIMESTAMP WITH TIME ZONE`` on PostgreSQL and as naive UTC text on SQLite (which
    has no time zones); always returned aware in UTC. Naive values are refused on write
    (``ValueError``) because their zone is unknowable.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use timeutil.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class TimestampMixin:
    """``created_at`` / ``updated_at`` columns, aware UTC, set by callable defaults."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


def enum_check(column: str, enum: type[StrEnum]) -> str:
    """SQL for a CHECK that ``column`` holds one of ``enum``'s values (NULL passes)."""
    values = ", ".join(f"'{member.value}'" for member in enum)
    return f"{column} IN ({values})"


def wants_write_lock() -> bool:
    """True when the transaction about to begin may write (see module docstring)."""
    if _write_intent.get():
        return True
    return has_request_context() and request.method not in SAFE_METHODS


@contextmanager
def write_transaction() -> Iterator[None]:
    """Mark transactions begun inside the block as writers (``BEGIN IMMEDIATE`` on SQLite).

    For code outside a POST request, e.g. CLI commands and background jobs, that reads and then
    writes. Has no effect on PostgreSQL, where callers lock rows explicitly.
    """
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def configure_engine(engine: Engine) -> None:
    """Install the SQLite pragmas and the BEGIN/BEGIN IMMEDIATE listener on ``engine``.

    Does nothing for other backends. Safe to call once per engine.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Hand transaction control to SQLAlchemy so that our own BEGIN is the one emitted.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if wants_write_lock() else "BEGIN")
