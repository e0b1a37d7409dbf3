"""SQL expressions the reports and the tracker group by, written for each engine.

PostgreSQL and SQLite differ in date arithmetic: these helpers give the same
answer on both, so every figure is summed by the database, never in Python.
"""

from __future__ import annotations

from datetime import UTC, datetime
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


def utc_hour(session: Session, instant: Any) -> sa.ColumnElement[Any]:
    """The UTC hour an instant falls in, to group by; read back with `read_hour`."""
    if dialect(session) == "postgresql":
        return sa.func.date_trunc("hour", sa.func.timezone("UTC", instant))
    return sa.func.strftime("%Y-%m-%d %H:00:00", instant)


def read_hour(value: datetime | str) -> datetime:
    """A value of `utc_hour` as an aware UTC datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


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
