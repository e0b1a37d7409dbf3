"""SQL expressions the reports and the tracker group by, written for each engine.

PostgreSQL and SQLite differ in date arithmetic: these helpers give the same
answer on both, so every figure is summed by the database, never in Python.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def seconds_between(session: Session, start: Any, end: Any) -> sa.ColumnElement[int]:
    """Whole seconds from instant `start` to instant `end`."""
    if dialect(session) == "postgresql":
        return sa.cast(sa.func.extract("epoch", end - start), sa.Integer)
    return sa.cast(
        sa.func.round((sa.func.julianday(end) - sa.func.julianday(start)) * 86400), sa.Integer
    )


def local_wall(session: Session, instant: Any, offset_seconds: int) -> sa.ColumnElement[Any]:
    """The wall-clock time of an instant in a zone whose UTC offset is
    `offset_seconds` (constant: booking.services.clock.offset_spans cuts a
    range where it changes)."""
    # Literals, not parameters: the expression is grouped by, and PostgreSQL
    # matches a GROUP BY expression to the selected one by its text.
    seconds = int(offset_seconds)
    if dialect(session) == "postgresql":
        shift = sa.literal_column(f"INTERVAL '{seconds} seconds'")
        return sa.func.timezone(sa.literal_column("'UTC'"), instant) + shift
    return sa.func.datetime(instant, sa.literal_column(f"'{seconds:+d} seconds'"))


def wall_date(session: Session, wall: Any) -> sa.ColumnElement[Any]:
    """The date of a `local_wall` value (a date on PostgreSQL, ISO text on SQLite)."""
    if dialect(session) == "postgresql":
        return sa.cast(wall, sa.Date)
    return sa.func.date(wall)


def wall_hour(session: Session, wall: Any) -> sa.ColumnElement[int]:
    """The hour (0-23) of a `local_wall` value."""
    if dialect(session) == "postgresql":
        return sa.cast(sa.func.extract("hour", wall), sa.Integer)
    return sa.cast(sa.func.strftime("%H", wall), sa.Integer)


def median(values_query: sa.Select[Any], keys: list[str], value: str) -> sa.Select[Any]:
    """Per group of `keys`, the count and the median of column `value` of
    `values_query` (a select labelling its columns `keys` and `value`), with
    window functions: both engines, no percentile function needed."""
    inner = values_query.subquery("values")
    partition = [inner.c[key] for key in keys]
    ranked = sa.select(
        *partition,
        inner.c[value].label("value"),
        sa.func.row_number()
        .over(partition_by=partition or None, order_by=inner.c[value])
        .label("rank"),
        sa.func.count().over(partition_by=partition or None).label("n"),
    ).subquery("ranked")
    middle = sa.or_(
        ranked.c.rank == (ranked.c.n + 1) // 2,
        ranked.c.rank == (ranked.c.n + 2) // 2,
    )
    group = [ranked.c[key] for key in keys]
    return sa.select(
        *group,
        sa.func.max(ranked.c.n).label("count"),
        sa.func.avg(sa.case((middle, ranked.c.value))).label("median"),
    ).group_by(*group)
