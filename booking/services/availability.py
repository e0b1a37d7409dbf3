"""What residents see of a slot: open, full, not yet released, closed, past."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session, contains_eager

from booking.models import Facility, FacilityKind, School, Slot
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


def find_slots(
    session: Session,
    *,
    day: date,
    at: time | None,
    kind: FacilityKind | None,
    tz: ZoneInfo,
    now: datetime,
    limit: int = 400,
) -> list[tuple[Facility, list[SlotView]]]:
    """Slots of active facilities on local `day` (covering `at` when given), by facility."""
    day_start = clock.local_instant(day, time(0), tz)
    query = (
        sa.select(Slot)
        .join(Facility, Slot.facility_id == Facility.id)
        .join(School, Facility.school_id == School.id)
        .where(
            Facility.is_active,
            School.is_active,
            Slot.starts_at >= day_start,
            Slot.starts_at < day_start + timedelta(days=1),
        )
        .options(contains_eager(Slot.facility).contains_eager(Facility.school))
        .order_by(School.code, Facility.id, Slot.starts_at)
        .limit(limit)
    )
    if kind is not None:
        query = query.where(Facility.kind == kind)
    if at is not None:
        moment = clock.local_instant(day, at, tz)
        query = query.where(Slot.starts_at <= moment, Slot.ends_at > moment)
    grouped: dict[int, tuple[Facility, list[SlotView]]] = {}
    for slot in session.scalars(query):
        entry = grouped.setdefault(slot.facility_id, (slot.facility, []))
        entry[1].append(SlotView(slot, slot_state(slot, now)))
    return list(grouped.values())
