"""Bookings and waitlist entries."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.extensions import db
from booking.models.types import UtcDateTime, str_enum
from booking.models.user import utcnow

if TYPE_CHECKING:
    from booking.models.school import VisitorTerms
    from booking.models.slot import Slot
    from booking.models.user import User


class BookingStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    EXPIRED = "expired"


# States that hold places in their slot.
ACTIVE_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED)
# A visitor checked in still sits in their seat: their places stay held until the slot ends.
PLACE_HOLDING_STATUSES = (*ACTIVE_STATUSES, BookingStatus.CHECKED_IN)
_ACTIVE_SQL = "status IN ('pending', 'confirmed')"


class Booking(db.Model):
    __tablename__ = "bookings"
    __table_args__ = (
        sa.CheckConstraint("places > 0", name="places_positive"),
        sa.CheckConstraint("attendance IS NULL OR attendance > 0", name="attendance_positive"),
        # Checked in with 1 up to the places the booking holds (a hall's: its capacity).
        sa.CheckConstraint(
            "attended IS NULL OR (attended > 0 AND attended <= places)", name="attended_in_range"
        ),
        # A resident holds at most one active booking per slot.
        sa.Index(
            "uq_bookings_active_resident_slot",
            "slot_id",
            "resident_id",
            unique=True,
            sqlite_where=sa.text(_ACTIVE_SQL),
            postgresql_where=sa.text(_ACTIVE_SQL),
        ),
        sa.Index("ix_bookings_resident_status", "resident_id", "status"),
        sa.Index("ix_bookings_slot_status", "slot_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    slot_id: Mapped[int] = mapped_column(sa.ForeignKey("slots.id"))
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    places: Mapped[int] = mapped_column(default=1)
    status: Mapped[BookingStatus] = mapped_column(str_enum(BookingStatus))
    purpose: Mapped[str | None] = mapped_column(sa.String(200))
    organiser: Mapped[str | None] = mapped_column(sa.String(100))
    attendance: Mapped[int | None]
    plate: Mapped[str | None] = mapped_column(sa.String(10))
    terms_id: Mapped[int | None] = mapped_column(sa.ForeignKey("visitor_terms.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    # Who last moved the booking to its current state, when and why.
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    checked_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    checked_in_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # How many of the party came, counted at the gate; None before it (or for
    # a check-in recorded before the count was kept).
    attended: Mapped[int | None]
    no_show_waived_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Bumped on every change, so a form loaded before a change is refused as stale.
    version: Mapped[int] = mapped_column(default=1)

    slot: Mapped[Slot] = relationship()
    resident: Mapped[User] = relationship(foreign_keys=[resident_id])
    terms: Mapped[VisitorTerms | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def party(self) -> int:
        """The people the booking is for: a hall's expected attendance, else its places."""
        if self.slot.facility.is_exclusive and self.attendance:
            return self.attendance
        return self.places


class WaitlistStatus(enum.StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    LAPSED = "lapsed"
    LEFT = "left"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"  # the slot itself was cancelled


_OPEN_WAITLIST_SQL = "status IN ('waiting', 'offered')"


class WaitlistEntry(db.Model):
    """A resident waiting for places in a full slot, first come first served.

    An offer holds its places in the slot (they count in `Slot.held`) until
    `offer_expires_at`.
    """

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        sa.CheckConstraint("places > 0", name="places_positive"),
        sa.Index(
            "uq_waitlist_entries_open_resident_slot",
            "slot_id",
            "resident_id",
            unique=True,
            sqlite_where=sa.text(_OPEN_WAITLIST_SQL),
            postgresql_where=sa.text(_OPEN_WAITLIST_SQL),
        ),
        sa.Index("ix_waitlist_entries_slot_status", "slot_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(sa.ForeignKey("slots.id"))
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    places: Mapped[int] = mapped_column(default=1)
    status: Mapped[WaitlistStatus] = mapped_column(
        str_enum(WaitlistStatus), default=WaitlistStatus.WAITING
    )
    details: Mapped[dict[str, object]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    offered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    offer_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    booking_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bookings.id"))

    slot: Mapped[Slot] = relationship()
    resident: Mapped[User] = relationship()
