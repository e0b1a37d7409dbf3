"""Column types shared by the models."""

import enum
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UtcDateTime(sa.TypeDecorator[datetime]):
    """An instant, stored in UTC and returned as an aware UTC datetime.

    Naive datetimes are refused: a wall-clock time without a zone is a bug
    waiting for the first school outside Asia/Shanghai.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            # SQLite keeps text; a fixed form keeps comparisons on text correct.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_values(enum_class: type[enum.Enum]) -> list[str]:
    return [str(member.value) for member in enum_class]


def str_enum(enum_class: type[enum.Enum], length: int = 20, name: str | None = None) -> sa.Enum:
    """A StrEnum stored by value, checked by the database, as VARCHAR on every engine.
    `name` names the check when a table has two columns of one enumeration."""
    return sa.Enum(
        enum_class,
        values_callable=enum_values,
        native_enum=False,
        create_constraint=True,
        length=length,
        validate_strings=True,
        name=name or enum_class.__name__.lower(),
    )
