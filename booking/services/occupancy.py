"""How full a school's facilities are over a week: the places booked of each
slot's capacity, by slot, by facility and day, for the staff calendar.

Places booked count as in the usage report (reports.BOOKED: awaiting
approval, confirmed, checked in, no-show), so a slot whose visitors came
still shows as full although a check-in gives its places back. A cancelled
(closed) slot is listed but offers nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from booking.models import Booking, Facility, Slot
from booking.services import clock
from booking.services.reports import BOOKED


def percent(booked: int, capacity: int) -> int:
    """Whole per cent, never above 100 (a slot shrunk under its bookings shows full)."""
    return min(100, round(100 * booked / capacity)) if capacity > 0 else 0


@dataclass
class SlotOccupancy:
    slot: Slot
    bookings: list[Booking] = field(default_factory=list)

    @property
    def is_closed(self) -> bool:
        return self.slot.cancelled_at is not None

    @property
    def booked(self) -> int:
        return sum(b.places for b in self.bookings if b.status in BOOKED)

    @property
    def capacity(self) -> int:
        return 0 if self.is_closed else self.slot.capacity

    @property
    def percent(self) -> int:
        return percent(self.booked, self.capacity)


@dataclass
class FacilityDay:
    """One facility's slots on one day, added up."""

    facility: Facility
    slots: list[SlotOccupancy] = field(default_factory=list)

    @property
    def booked(self) -> int:
        return sum(s.booked for s in self.slots if not s.is_closed)

    @property
    def capacity(self) -> int:
        return sum(s.capacity for s in self.slots)

    @property
    def percent(self) -> int:
        return percent(self.booked, self.capacity)


@dataclass
class DayOccupancy:
    day: date
    slots: list[SlotOccupancy] = field(default_factory=list)

    @property
    def facilities(self) -> list[FacilityDay]:
        by_facility: dict[int, FacilityDay] = {}
        for entry in self.slots:
            facility = entry.slot.facility
            by_facility.setdefault(facility.id, FacilityDay(facility)).slots.append(entry)
        return list(by_facility.values())

    @property
    def bookings(self) -> list[Booking]:
        return [booking for entry in self.slots for booking in entry.bookings]

    @property
    def booked(self) -> int:
        return sum(f.booked for f in self.facilities)

    @property
    def capacity(self) -> int:
        return sum(f.capacity for f in self.facilities)

    @property
    def percent(self) -> int:
        return percent(self.booked, self.capacity)


def week_occupancy(
    session: Session,
    school_id: int,
    monday: date,
    tz_name: str,
    *,
    facility_id: int | None = None,
) -> list[DayOccupancy]:
    """The seven local days from `monday`: every slot of the school (or of one
    of its facilities) with its bookings that hold or held places, by time.
    The caller makes sure `facility_id` is the school's own (rule 5); another
    school's would find nothing here."""
    tz = clock.zone(tz_name)
    start = clock.local_instant(monday, time(0), tz)
    end = start + timedelta(days=7)
    where = [Facility.school_id == school_id, Slot.starts_at >= start, Slot.starts_at < end]
    if facility_id is not None:
        where.append(Slot.facility_id == facility_id)
    slots = session.scalars(
        sa.select(Slot)
        .join(Facility, Slot.facility_id == Facility.id)
        .where(*where)
        .options(joinedload(Slot.facility))
        .order_by(Slot.starts_at, Facility.id)
    ).all()
    held: dict[int, list[Booking]] = defaultdict(list)
    if slots:
        for booking in session.scalars(
            sa.select(Booking)
            .join(Slot, Booking.slot_id == Slot.id)
            .join(Facility, Slot.facility_id == Facility.id)
            .where(*where, Booking.status.in_(BOOKED))
            .options(joinedload(Booking.resident))
            .order_by(Booking.created_at, Booking.id)
        ):
            held[booking.slot_id].append(booking)
    days = {monday + timedelta(days=n): DayOccupancy(monday + timedelta(days=n)) for n in range(7)}
    for slot in slots:
        day = clock.local_date(slot.starts_at, tz)
        if day in days:
            days[day].slots.append(SlotOccupancy(slot, held[slot.id]))
    return list(days.values())
