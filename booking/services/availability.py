"""What residents see of a slot: open, full, not yet released, closed, past."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from booking.models import Facility, Slot
from booking.services import clock


class SlotState(enum.StrEnum):
    OPEN = "open"
    FULL = "full"
    NOT_RELEASED = "not_released"
    CLOSED = "closed"
    PAST = "past"


def slot_state(slot: Slot, now: datetime) -> SlotState:
    """Past wins over everything, then a cancelled (closed) slot, then release and places."""
    if slot.starts_at <= now:
        return SlotState.PAST
    if slot.cancelled_at is not None:
        return SlotState.CLOSED
    if slot.opens_at > now:
        return SlotState.NOT_RELEASED
    if slot.held >= slot.capacity:
        return SlotState.FULL
    return SlotState.OPEN


@dataclass(frozen=True)
class SlotView:
    slot: Slot
    state: SlotState

    @property
    def places_left(self) -> int:
        return max(self.slot.capacity - self.slot.held, 0)


@dataclass(frozen=True)
class DayView:
    day: date
    slots: Sequence[SlotView]


def facility_days(
    session: Session, facility: Facility, first: date, last: date, now: datetime
) -> list[DayView]:
    """The facility's slots on local days `first` to `last`, grouped by day."""
    tz = clock.zone(facility.school.timezone)
    slots = session.scalars(
        sa.select(Slot)
        .where(
            Slot.facility_id == facility.id,
            Slot.starts_at >= clock.local_instant(first, datetime.min.time(), tz),
            Slot.starts_at < clock.local_instant(last + timedelta(days=1), datetime.min.time(), tz),
        )
        .order_by(Slot.starts_at)
    ).all()
    by_day: dict[date, list[SlotView]] = {day: [] for day in clock.days(first, last)}
    for slot in slots:
        by_day[clock.local_date(slot.starts_at, tz)].append(SlotView(slot, slot_state(slot, now)))
    return [DayView(day, views) for day, views in by_day.items()]


def local_tz(facility: Facility) -> ZoneInfo:
    return clock.zone(facility.school.timezone)
