"""Reminders: the evening before a visit, the resident is reminded of it."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from booking.models import Booking, BookingStatus, Slot
from booking.services import clock, notices


def send_reminders(session: Session, now: datetime) -> int:
    """The evening before: a notice for each confirmed booking of tomorrow (local)."""
    due = session.scalars(
        sa.select(Booking)
        .join(Slot, Booking.slot_id == Slot.id)
        .where(
            Booking.status == BookingStatus.CONFIRMED,
            Booking.reminded_at.is_(None),
            Slot.starts_at > now,
            Slot.starts_at < now + timedelta(hours=36),
        )
        .options(joinedload(Booking.slot).joinedload(Slot.facility))
    ).all()
    sent = 0
    for booking in due:
        tz = clock.zone(booking.slot.facility.school.timezone)
        if clock.local_date(booking.slot.starts_at, tz) != clock.local_date(now, tz) + timedelta(
            days=1
        ):
            continue
        booking.reminded_at = now
        notices.notify(
            session,
            booking.resident,
            kind="reminder",
            booking_id=booking.id,
            now=now,
        )
        sent += 1
    return sent
