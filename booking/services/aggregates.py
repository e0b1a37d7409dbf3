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


def medians(
    session: Session, values: sa.CTE, levels: dict[str, list[str]], value: str
) -> sa.Select[Any] | sa.CompoundSelect:
    """Per level (a name and the columns of `values` it groups by), per group,
    the count of rows and the median of column `value` (the mean of the two
    middle values when the count is even): rows of `level`, the key columns
    (null where the level does not group by them, as text), `count`, `median`.

    PostgreSQL: one pass over `values`, an ordered-set aggregate over grouping
    sets. SQLite has no percentile function: window functions, a part per level.
    """
    if dialect(session) == "postgresql":
        return _grouping_sets_medians(values, levels, value)
    return _window_medians(values, levels, value)


def _window_medians(values: sa.CTE, levels: dict[str, list[str]], value: str) -> sa.CompoundSelect:
    keys = _keys(levels)
    parts = []
    for name, group_keys in levels.items():
        part = _window_median(values, group_keys, value).subquery()
        parts.append(
            sa.select(
                sa.literal(name).label("level"),
                *(_text(part.c[key] if key in group_keys else sa.null(), key) for key in keys),
                part.c.count,
                part.c.median,
            )
        )
    return sa.union_all(*parts)


def _keys(levels: dict[str, list[str]]) -> list[str]:
    return list(dict.fromkeys(key for group_keys in levels.values() for key in group_keys))


def _text(column: Any, key: str) -> sa.ColumnElement[Any]:
    # Text, so that the levels' rows share their columns' types.
    return sa.cast(column, sa.String(20)).label(key)


def _grouping_sets_medians(
    values: sa.CTE, levels: dict[str, list[str]], value: str
) -> sa.Select[Any]:
    keys = _keys(levels)
    columns = [values.c[key] for key in keys]
    level = sa.case(
        {_grouping_bits(keys, group_keys): name for name, group_keys in levels.items()},
        value=sa.func.grouping(*columns),
    )
    sets = [sa.tuple_(*(values.c[key] for key in group_keys)) for group_keys in levels.values()]
    return sa.select(
        level.label("level"),
        *(_text(column, key) for column, key in zip(columns, keys, strict=True)),
        sa.func.count().label("count"),
        sa.func.percentile_cont(0.5).within_group(values.c[value]).label("median"),
    ).group_by(sa.func.grouping_sets(*sets))


def _grouping_bits(keys: list[str], group_keys: list[str]) -> int:
    """What GROUPING(*keys) gives a row of the grouping set `group_keys`: a bit
    set for each key it does not group by, the first key the highest."""
    return sum(1 << (len(keys) - 1 - i) for i, key in enumerate(keys) if key not in group_keys)


def _window_median(values: sa.CTE, keys: list[str], value: str) -> sa.Select[Any]:
    """Per group of `keys`, the count and the median of column `value`."""
    partition = [values.c[key] for key in keys]
    ranked = sa.select(
        *partition,
        values.c[value].label("value"),
        sa.func.row_number()
        .over(partition_by=partition or None, order_by=values.c[value])
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
