"""Slots: materialised bookable intervals of a facility."""

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
    from booking.models.facility import Facility


class SlotCancelCause(enum.StrEnum):
    """Why a slot was taken out of what is offered: what decides whether it may come back."""

    CLOSURE = "closure"  # a closure covers it: lifting or narrowing the closure reopens it
    HOURS = "hours"  # the opening rules or the calendar no longer offer it
    WITHDRAWN = "withdrawn"  # the school left the programme: it never comes back by itself


class Slot(db.Model):
    """One bookable interval of one facility.

    `held` counts the places taken by active bookings and open waitlist offers;
    the CHECK keeps it within capacity whatever the code does.
    """

    __tablename__ = "slots"
    __table_args__ = (
        sa.UniqueConstraint("facility_id", "starts_at"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("held >= 0 AND held <= capacity", name="held_within_capacity"),
        # (facility_id, starts_at) serves every per-facility range. The district's
        # reports read a period of every facility: without an index on starts_at
        # alone, a month of a city's year was a scan of all its slots (README,
        # "Reports"). Slots are added day by day, so the index grows at its end.
        sa.Index("ix_slots_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(sa.ForeignKey("facilities.id", ondelete="CASCADE"))
    rule_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("opening_rules.id", ondelete="SET NULL"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    opens_at: Mapped[datetime] = mapped_column(UtcDateTime)  # release instant
    capacity: Mapped[int]
    held: Mapped[int] = mapped_column(default=0, server_default="0")
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(200))
    cancel_cause: Mapped[SlotCancelCause | None] = mapped_column(str_enum(SlotCancelCause))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    facility: Mapped[Facility] = relationship()

    @property
    def places_left(self) -> int:
        return self.capacity - self.held

    def __repr__(self) -> str:
        return f"<Slot {self.id} facility={self.facility_id} {self.starts_at:%Y-%m-%d %H:%M}Z>"
