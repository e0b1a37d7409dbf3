"""The district calendar: the kinds of day that decide school days."""

from __future__ import annotations

import enum
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from booking.extensions import db
from booking.models.types import str_enum


class DayKind(enum.StrEnum):
    PUBLIC_HOLIDAY = "public_holiday"
    MAKEUP_WORKDAY = "makeup_workday"  # 调休: a weekend day that is a working day
    VACATION = "vacation"
    EXAM_WEEK = "exam_week"


class CalendarPeriod(db.Model):
    """A run of days of one kind, first and last day included."""

    __tablename__ = "calendar_periods"
    __table_args__ = (
        sa.CheckConstraint("last_day >= first_day", name="last_not_before_first"),
        sa.UniqueConstraint("kind", "first_day"),
        sa.Index("ix_calendar_periods_days", "first_day", "last_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DayKind] = mapped_column(str_enum(DayKind))
    first_day: Mapped[date]
    last_day: Mapped[date]
    name: Mapped[str] = mapped_column(sa.String(100), default="")
    source: Mapped[str] = mapped_column(sa.String(20), default="manual")  # or "package"
