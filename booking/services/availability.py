"""What residents see of a slot: open, full, not yet released, closed, past."""

from __future__ import annotations

import enum
import threading
import time as time_module
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session, contains_eager

from booking.models import ACTIVE_STATUSES, Booking, Closure, Facility, FacilityKind, School, Slot
from booking.services import clock
from booking.services.calendar import load_calendar
from booking.services.opening import expand
from booking.services.policy import policy_for
from booking.services.slots import release_at


class SlotState(enum.StrEnum):
    OPEN = "open"
    FULL = "full"
    NOT_RELEASED = "not_released"
    CLOSED = "closed"
    PAST = "past"


class SlotLike(Protocol):
    id: int
    starts_at: datetime
    ends_at: datetime
    opens_at: datetime
    capacity: int
    held: int
    cancelled_at: datetime | None
    cancel_reason: str | None


def slot_state(slot: SlotLike, now: datetime) -> SlotState:
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
class SlotRow:
    """A slot's values, detached from any session, so they can be cached."""

    id: int
    starts_at: datetime
    ends_at: datetime
    opens_at: datetime
    capacity: int
    held: int
    cancelled_at: datetime | None
    cancel_reason: str | None


@dataclass(frozen=True)
class SlotView:
    slot: SlotLike
    state: SlotState

    @property
    def places_left(self) -> int:
        return max(self.slot.capacity - self.slot.held, 0)


@dataclass(frozen=True)
class DayView:
    day: date
    slots: Sequence[SlotView]


class RecentRows:
    """A process's copies of recent availability reads, kept `seconds` at most.

    At the release rush thousands ask for the same week at once; the first in
    each second reads the database and the others reuse its rows. The state is
    still computed per request, so a slot opens at its release instant exactly;
    only the count of places may lag by under `seconds` (the booking itself
    takes places in the database, never from here)."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.entries: dict[Hashable, tuple[float, Any]] = {}
        self.lock = threading.Lock()

    def get(self, key: Hashable, seconds: float) -> Any:
        with self.lock:
            found = self.entries.get(key)
        if found is None or time_module.monotonic() - found[0] > seconds:
            return MISSING
        return found[1]

    def put(self, key: Hashable, value: Any) -> None:
        with self.lock:
            if len(self.entries) >= self.size:
                self.entries.pop(next(iter(self.entries)))
            self.entries[key] = (time_module.monotonic(), value)


MISSING = object()
recent_rows = RecentRows()


def open_facility_zone(session: Session, facility_id: int, cache_seconds: float) -> str | None:
    """The timezone of an active facility of an active school; None when there is none."""
    key = ("zone", facility_id)
    if cache_seconds > 0:
        cached = recent_rows.get(key, cache_seconds)
        if cached is not MISSING:
            return cast(str | None, cached)
    zone_name = session.scalar(
        sa.select(School.timezone)
        .join(Facility, Facility.school_id == School.id)
        .where(Facility.id == facility_id, Facility.is_active, School.is_active)
    )
    if cache_seconds > 0:
        recent_rows.put(key, zone_name)
    return zone_name


def slot_rows(
    session: Session, facility_id: int, start: datetime, end: datetime, cache_seconds: float
) -> list[SlotRow]:
    key = ("slots", facility_id, start, end)
    if cache_seconds > 0:
        cached = recent_rows.get(key, cache_seconds)
        if cached is not MISSING:
            return cast(list[SlotRow], cached)
    rows = [
        SlotRow(*row)
        for row in session.execute(
            sa.select(
                Slot.id,
                Slot.starts_at,
                Slot.ends_at,
                Slot.opens_at,
                Slot.capacity,
                Slot.held,
                Slot.cancelled_at,
                Slot.cancel_reason,
            )
            .where(Slot.facility_id == facility_id, Slot.starts_at >= start, Slot.starts_at < end)
            .order_by(Slot.starts_at)
        )
    ]
    if cache_seconds > 0:
        recent_rows.put(key, rows)
    return rows


def facility_days(
    session: Session,
    facility_id: int,
    tz: ZoneInfo,
    first: date,
    last: date,
    now: datetime,
    *,
    cache_seconds: float = 0,
) -> list[DayView]:
    """The facility's slots on local days `first` to `last` (in `tz`), grouped by day."""
    start = clock.local_instant(first, time(0), tz)
    end = clock.local_instant(last + timedelta(days=1), time(0), tz)
    by_day: dict[date, list[SlotView]] = {day: [] for day in clock.days(first, last)}
    for row in slot_rows(session, facility_id, start, end, cache_seconds):
        by_day[clock.local_date(row.starts_at, tz)].append(SlotView(row, slot_state(row, now)))
    return [DayView(day, views) for day, views in by_day.items()]


def booked_codes(session: Session, resident_id: int, slot_ids: Sequence[int]) -> dict[int, str]:
    """The resident's active bookings among `slot_ids`: booking code by slot."""
    if not slot_ids:
        return {}
    return dict(
        session.execute(
            sa.select(Booking.slot_id, Booking.code).where(
                Booking.resident_id == resident_id,
                Booking.slot_id.in_(slot_ids),
                Booking.status.in_(ACTIVE_STATUSES),
            )
        ).all()
    )


class DayPart(enum.StrEnum):
    """Times of day as residents ask for them, by when a slot starts."""

    MORNING = "morning"  # before 12:00
    AFTERNOON = "afternoon"  # 12:00 to 18:00
    EVENING = "evening"  # from 18:00

    def bounds(self) -> tuple[time, time | None]:
        return {
            DayPart.MORNING: (time(0), time(12)),
            DayPart.AFTERNOON: (time(12), time(18)),
            DayPart.EVENING: (time(18), None),
        }[self]


@dataclass(frozen=True)
class FindQuery:
    day: date
    at: time | None = None
    part: DayPart | None = None
    kind: FacilityKind | None = None
    area: str | None = None
    free_only: bool = False


@dataclass(frozen=True)
class FindPage:
    results: list[tuple[Facility, list[SlotView]]]
    page: int
    pages: int


FACILITIES_PER_PAGE = 20


def find_slots(
    session: Session, query: FindQuery, *, tz: ZoneInfo, now: datetime, page: int = 1
) -> FindPage:
    """Slots of active facilities on the query's local day (covering `at`,
    starting in `part` of the day, in `area`, with free places), grouped by
    facility, a page of FACILITIES_PER_PAGE facilities at a time."""
    matching = _matching_slots(query, tz, now)
    facility_ids = sa.select(Slot.facility_id).where(matching).distinct().subquery()
    total = int(session.scalar(sa.select(sa.func.count()).select_from(facility_ids)) or 0)
    pages = max(1, -(-total // FACILITIES_PER_PAGE))
    page = min(max(page, 1), pages)
    chosen = list(
        session.scalars(
            sa.select(Facility.id)
            .join(School, Facility.school_id == School.id)
            .where(Facility.id.in_(sa.select(facility_ids.c.facility_id)))
            .order_by(School.is_public.desc(), School.code, Facility.id)
            .offset((page - 1) * FACILITIES_PER_PAGE)
            .limit(FACILITIES_PER_PAGE)
        )
    )
    slots = session.scalars(
        sa.select(Slot)
        .join(Facility, Slot.facility_id == Facility.id)
        .join(School, Facility.school_id == School.id)
        .where(matching, Slot.facility_id.in_(chosen))
        .options(contains_eager(Slot.facility).contains_eager(Facility.school))
        .order_by(School.is_public.desc(), School.code, Facility.id, Slot.starts_at)
    )
    grouped: dict[int, tuple[Facility, list[SlotView]]] = {}
    for slot in slots:
        entry = grouped.setdefault(slot.facility_id, (slot.facility, []))
        entry[1].append(SlotView(slot, slot_state(slot, now)))
    return FindPage(list(grouped.values()), page, pages)


def _matching_slots(query: FindQuery, tz: ZoneInfo, now: datetime) -> sa.ColumnElement[bool]:
    day_start = clock.local_instant(query.day, time(0), tz)
    conditions = [
        Slot.starts_at >= day_start,
        Slot.starts_at < day_start + timedelta(days=1),
        Slot.ends_at > now,
        Slot.facility_id.in_(_open_facilities(query)),
    ]
    if query.at is not None:
        moment = clock.local_instant(query.day, query.at, tz)
        conditions += [Slot.starts_at <= moment, Slot.ends_at > moment]
    if query.part is not None:
        first, until = query.part.bounds()
        conditions.append(Slot.starts_at >= clock.local_instant(query.day, first, tz))
        if until is not None:
            conditions.append(Slot.starts_at < clock.local_instant(query.day, until, tz))
    if query.free_only:
        conditions += [Slot.held < Slot.capacity, Slot.cancelled_at.is_(None)]
    return sa.and_(*conditions)


def _open_facilities(query: FindQuery) -> sa.Select[tuple[int]]:
    facilities = (
        sa.select(Facility.id)
        .join(School, Facility.school_id == School.id)
        .where(Facility.is_active, School.is_active)
    )
    if query.kind is not None:
        facilities = facilities.where(Facility.kind == query.kind)
    if query.area:
        facilities = facilities.where(School.area == query.area)
    return facilities


def areas(session: Session) -> list[tuple[str, str | None]]:
    """The areas of the schools open to residents, as (Chinese, English)."""
    rows = session.execute(
        sa.select(School.area, sa.func.max(School.area_en))
        .where(School.is_active, School.area != "")
        .group_by(School.area)
        .order_by(School.area)
    )
    return [(area, area_en) for area, area_en in rows]


@dataclass(frozen=True)
class PlannedSlot:
    """A time the opening rules will publish but that is not generated yet."""

    starts_at: datetime
    ends_at: datetime
    opens_at: datetime


def planned_days(
    session: Session, facility: Facility, days: Sequence[date], now: datetime
) -> dict[date, list[PlannedSlot]]:
    """For days without published slots, what the facility's rules will open
    (closures and the day calendar counted) and when each opens for booking,
    so a week beyond the release horizon shows its hours instead of "closed"."""
    wanted = sorted(days)
    if not wanted or not facility.rules:
        return {}
    tz = clock.zone(facility.school.timezone)
    policy = policy_for(session, facility.id)
    closures = session.execute(
        sa.select(Closure.starts_at, Closure.ends_at).where(
            Closure.ends_at > now,
            Closure.school_id == facility.school_id,
            sa.or_(Closure.facility_id.is_(None), Closure.facility_id == facility.id),
        )
    ).all()
    expansion = expand(
        facility.rules,
        first=wanted[0],
        last=wanted[-1],
        tz=tz,
        calendar=load_calendar(session, wanted[0], wanted[-1]),
        closures=[(start, end) for start, end in closures],
        facility_capacity=facility.capacity,
    )
    planned: dict[date, list[PlannedSlot]] = {}
    for candidate in expansion.candidates:
        if candidate.day in wanted and candidate.starts_at > now:
            planned.setdefault(candidate.day, []).append(
                PlannedSlot(
                    candidate.starts_at, candidate.ends_at, release_at(candidate.day, policy, tz)
                )
            )
    return planned
