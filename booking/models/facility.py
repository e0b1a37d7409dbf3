"""Facilities and their supply rules: opening rules, closures, booking policy."""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.extensions import db
from booking.models.types import UtcDateTime, str_enum
from booking.models.user import utcnow

if TYPE_CHECKING:
    from booking.models.school import School


class FacilityKind(enum.StrEnum):
    LECTURE_HALL = "lecture_hall"
    LIBRARY = "library"
    READING_ROOM = "reading_room"
    SPORTS_VENUE = "sports_venue"
    PARKING = "parking"


class DayType(enum.StrEnum):
    """Which days an opening rule applies on."""

    SCHOOL_DAYS = "school_days"
    NON_SCHOOL_DAYS = "non_school_days"
    ALL_DAYS = "all_days"


class ClosureReason(enum.StrEnum):
    EXAM = "exam"
    HOLIDAY = "holiday"
    MAINTENANCE = "maintenance"
    WEATHER = "weather"
    EVENT = "event"
    OTHER = "other"


class Facility(db.Model):
    __tablename__ = "facilities"
    __table_args__ = (
        sa.UniqueConstraint("school_id", "name"),
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    kind: Mapped[FacilityKind] = mapped_column(str_enum(FacilityKind))
    name: Mapped[str] = mapped_column(sa.String(100))
    name_en: Mapped[str | None] = mapped_column(sa.String(150))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    description_en: Mapped[str | None] = mapped_column(sa.Text)
    entrance_notes: Mapped[str] = mapped_column(sa.Text, default="")
    entrance_notes_en: Mapped[str | None] = mapped_column(sa.Text)
    capacity: Mapped[int]
    # A hall is booked whole; seats and parking spaces are booked one or more at a time.
    is_exclusive: Mapped[bool] = mapped_column(default=False)
    requires_approval: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    # The last local day whose slots are published: the nightly run only adds the days after it.
    slots_generated_until: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    school: Mapped[School] = relationship(back_populates="facilities")
    rules: Mapped[list[OpeningRule]] = relationship(
        back_populates="facility", order_by="OpeningRule.id", cascade="all, delete-orphan"
    )
    policy: Mapped[BookingPolicy | None] = relationship(
        back_populates="facility", uselist=False, cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Facility {self.id} {self.kind} {self.name}>"


WEEKDAY_BITS = 127  # Monday is bit 0, Sunday bit 6


class OpeningRule(db.Model):
    """On given weekdays of a date range, on school days, other days or both,
    the facility opens between two wall-clock times (in the school's zone),
    cut into slots of `slot_minutes`."""

    __tablename__ = "opening_rules"
    __table_args__ = (
        sa.CheckConstraint("end_time > start_time", name="end_after_start"),
        sa.CheckConstraint("valid_until >= valid_from", name="valid_range"),
        sa.CheckConstraint(f"weekdays BETWEEN 1 AND {WEEKDAY_BITS}", name="weekdays_mask"),
        sa.CheckConstraint("slot_minutes BETWEEN 5 AND 1440", name="slot_minutes_range"),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(
        sa.ForeignKey("facilities.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(sa.String(100), default="")
    valid_from: Mapped[date]
    valid_until: Mapped[date]
    weekdays: Mapped[int] = mapped_column(default=WEEKDAY_BITS)
    day_type: Mapped[DayType] = mapped_column(str_enum(DayType), default=DayType.ALL_DAYS)
    start_time: Mapped[time]
    end_time: Mapped[time]
    slot_minutes: Mapped[int]
    capacity: Mapped[int | None]  # None: the facility's capacity
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    facility: Mapped[Facility] = relationship(back_populates="rules")

    def applies_on_weekday(self, weekday: int) -> bool:
        return bool(self.weekdays & (1 << weekday))


class Closure(db.Model):
    """A school (facility_id NULL) or one facility closed over an interval, with a reason."""

    __tablename__ = "closures"
    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    facility_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("facilities.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[ClosureReason] = mapped_column(str_enum(ClosureReason))
    note: Mapped[str] = mapped_column(sa.String(200), default="")  # in Chinese
    note_en: Mapped[str | None] = mapped_column(sa.String(200))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    school: Mapped[School] = relationship()
    facility: Mapped[Facility | None] = relationship()


class BookingPolicy(db.Model):
    """Booking rules. The row with facility_id NULL holds the district defaults
    (every value set); a facility's row overrides the values it sets."""

    __tablename__ = "booking_policies"
    __table_args__ = (
        # One district default: the row without a facility.
        sa.Index(
            "uq_booking_policies_one_default",
            "is_district_default",
            unique=True,
            sqlite_where=sa.text("is_district_default"),
            postgresql_where=sa.text("is_district_default"),
        ),
        sa.CheckConstraint(
            "is_district_default = (facility_id IS NULL)", name="default_has_no_facility"
        ),
        sa.CheckConstraint("advance_days BETWEEN 0 AND 90", name="advance_days_range"),
        sa.CheckConstraint("cancel_deadline_minutes >= 0", name="cancel_deadline_positive"),
        sa.CheckConstraint("max_active_bookings > 0", name="max_active_positive"),
        sa.CheckConstraint("max_weekly_per_kind > 0", name="max_weekly_positive"),
        sa.CheckConstraint("no_show_limit > 0", name="no_show_limit_positive"),
        sa.CheckConstraint("no_show_window_days > 0", name="no_show_window_positive"),
        sa.CheckConstraint("suspension_days > 0", name="suspension_days_positive"),
        sa.CheckConstraint("waitlist_offer_minutes > 0", name="offer_minutes_positive"),
        sa.CheckConstraint("no_show_grace_minutes >= 0", name="grace_not_negative"),
        sa.CheckConstraint("max_party > 0", name="max_party_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("facilities.id", ondelete="CASCADE"), unique=True
    )
    is_district_default: Mapped[bool] = mapped_column(default=False)
    advance_days: Mapped[int | None]
    release_time: Mapped[time | None]
    cancel_deadline_minutes: Mapped[int | None]
    max_active_bookings: Mapped[int | None]
    max_weekly_per_kind: Mapped[int | None]
    verified_only: Mapped[bool | None]
    no_show_limit: Mapped[int | None]
    no_show_window_days: Mapped[int | None]
    suspension_days: Mapped[int | None]
    waitlist_offer_minutes: Mapped[int | None]
    no_show_grace_minutes: Mapped[int | None]
    # The most people one booking of a seat or place may bring (a hall is booked whole).
    max_party: Mapped[int | None]

    facility: Mapped[Facility | None] = relationship(back_populates="policy")
