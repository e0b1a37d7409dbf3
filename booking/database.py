"""Engine-level settings that keep SQLite honest."""

from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy import event


def register_sqlite_pragmas(engine: sa.Engine) -> None:
    """Foreign keys on, WAL so readers never wait for the writer, and
    transactions that SQLAlchemy (not pysqlite) begins, so savepoints work."""
    if engine.dialect.name != "sqlite" or getattr(engine, "_campus_share_pragmas", False):
        return
    engine._campus_share_pragmas = True  # type: ignore[attr-defined]

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql(f"BEGIN {sqlite_begin_mode()}")


def sqlite_begin_mode() -> str:
    """IMMEDIATE for anything that may write: SQLite has no SELECT ... FOR UPDATE,
    and a deferred transaction that reads and then writes after another writer
    committed fails at once (SQLITE_BUSY_SNAPSHOT) instead of waiting its turn.
    Page reads (GET, HEAD) stay deferred, so readers never queue behind writers."""
    if has_request_context() and request.method in {"GET", "HEAD", "OPTIONS"}:
        return "DEFERRED"
    return "IMMEDIATE"
