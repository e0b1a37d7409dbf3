"""Daily usage figures: kept per facility and local day so that a district
report reads a few rows a facility-day instead of every booking (README, "Reports").

They stay exact by two rules. The nightly job `aggregate_usage` rebuilds
the days from the watermark minus a margin up to the last settled day (two
days ago: by then every booking of the day has reached its final state), and
moves the watermark there; reports read the raw tables after it. A service
that still changes a settled day's figures rebuilds that facility's days in
the same transaction, through `rebuild`: a booking's change of state
(`refresh_if_settled`, called by booking.services.bookings.transition), a
facility's whole-hall flag and a school's zone (`rebuild_facilities`).
Everything is summed by the database (INSERT ... SELECT ... GROUP BY) from
the expressions the raw report uses, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from booking.models import (
    HOURS,
    ApprovalDelay,
    AuditEvent,
    Booking,
    DistrictSettings,
    Facility,
    School,
    Slot,
    UsageDay,
)
from booking.services import clock
from booking.services.aggregates import local_wall, wall_date, wall_hour
from booking.services.reports import (
    BOOKED,
    OFFERED,
    SERVED,
    STORED_FIGURES,
    approvals,
    booking_columns,
    count_if,
    covered_through,
    from_bookings,
    from_slots,
    from_waitlist,
    slot_columns,
)

SETTLED_AFTER = timedelta(days=2)  # a day is settled two days after it
MARGIN = timedelta(days=14)  # the nightly job rebuilds these settled days again
CHUNK = timedelta(days=31)  # the first run commits a month at a time


def rebuild(
    session: Session, first: date, last: date, *, facility_ids: Collection[int] | None = None
) -> None:
    """Recompute the local days `first` to `last` of the facilities (all when
    None): delete them, then insert what the raw tables sum to, per zone and
    span of constant UTC offset."""
    # One rebuild at a time (the job's month and a late change's day could
    # overlap): the settings row is their lock; SQLite serialises writers anyway.
    session.execute(
        sa.select(DistrictSettings.id).where(DistrictSettings.id == 1).with_for_update()
    )
    for table in (UsageDay, ApprovalDelay):
        session.execute(sa.delete(table).where(*_days(table, first, last, facility_ids)))
    for name in _timezones(session, facility_ids):
        tz = clock.zone(name)
        spans = []
        for low, high, offset in clock.offset_spans(*_window(first, last, tz), tz):
            condition = sa.and_(
                School.timezone == name, Slot.starts_at >= low, Slot.starts_at < high
            )
            if facility_ids is not None:
                condition = sa.and_(condition, Slot.facility_id.in_(facility_ids))
            spans.append((condition, offset))
            _insert_delays(session, condition, offset)
        # The day the clocks change lies in two spans: one statement sums both.
        _insert_days(session, spans)


def rebuild_settled(
    session: Session, now: datetime, tz: ZoneInfo, checkpoint: Callable[[], None] | None = None
) -> dict[str, Any]:
    """The nightly job's work: rebuild from the watermark minus the margin (on
    the first run, from the first slot) to the last settled day of the
    district's zone `tz`, a month at a time, moving the watermark as it goes.
    Each month is complete when the watermark passes it, so a commit at
    `checkpoint` never exposes half a rebuild."""
    last = clock.local_date(now, tz) - SETTLED_AFTER
    through = covered_through(session)
    first = through - MARGIN if through is not None else _first_day(session, tz)
    if first is None or first > last:
        return {"days": 0, "facility_days": 0, "through": str(through)}
    start = first
    while start <= last:
        end = min(start + CHUNK - timedelta(days=1), last)
        rebuild(session, start, end)
        if through is None or end > through:
            through = _advance(session, end)
        if checkpoint is not None:
            checkpoint()
        start = end + timedelta(days=1)
    facility_days = session.scalar(
        sa.select(sa.func.count()).select_from(UsageDay).where(*_days(UsageDay, first, last, None))
    )
    return {
        "days": (last - first).days + 1,
        "facility_days": facility_days,
        "through": str(through),
    }


def refresh_if_settled(session: Session, slot: Slot, now: datetime) -> None:
    """After a change to a booking of `slot`: rebuild the slot's facility-day
    when the daily figures already cover it (a no-show marked or a request
    expired by a scheduler that was down for days)."""
    if slot.starts_at >= now:
        return  # its day is still to come: read from the raw tables
    through = covered_through(session)
    day = clock.local_date(slot.starts_at, clock.zone(slot.facility.school.timezone))
    if through is not None and day <= through:
        session.flush()
        rebuild(session, day, day, facility_ids=[slot.facility_id])


def rebuild_facilities(session: Session, facility_ids: Collection[int]) -> None:
    """Rebuild every covered day of the facilities: after a change that moves
    all their figures (a facility's whole-hall flag, its school's zone)."""
    through = covered_through(session)
    if through is None or not facility_ids:
        return
    session.flush()
    first_start = session.scalar(
        sa.select(sa.func.min(Slot.starts_at)).where(Slot.facility_id.in_(facility_ids))
    )
    # A day early: the facilities' zones may lie either side of UTC.
    if first_start is not None and first_start.date() - timedelta(days=1) <= through:
        rebuild(session, first_start.date() - timedelta(days=1), through, facility_ids=facility_ids)


def _advance(session: Session, through: date) -> date:
    row = session.get(DistrictSettings, 1)
    if row is None:
        row = DistrictSettings(id=1)
        session.add(row)
    row.usage_days_through = through
    session.flush()
    return through


def _first_day(session: Session, tz: ZoneInfo) -> date | None:
    first_start = session.scalar(sa.select(sa.func.min(Slot.starts_at)))
    if first_start is None:
        return None
    return clock.local_date(first_start, tz) - timedelta(days=1)


def _days(
    table: type[UsageDay] | type[ApprovalDelay],
    first: date,
    last: date,
    facility_ids: Collection[int] | None,
) -> list[sa.ColumnElement[bool]]:
    condition = [table.day >= first, table.day <= last]
    if facility_ids is not None:
        condition.append(table.facility_id.in_(facility_ids))
    return condition


def _timezones(session: Session, facility_ids: Collection[int] | None) -> list[str]:
    query = sa.select(School.timezone).distinct()
    if facility_ids is not None:
        query = query.join(Facility, Facility.school_id == School.id).where(
            Facility.id.in_(facility_ids)
        )
    return sorted(session.scalars(query))


def _window(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return (
        clock.local_instant(first, time(0), tz),
        clock.local_instant(last + timedelta(days=1), time(0), tz),
    )


COLUMNS = (*STORED_FIGURES, *HOURS)


def _part(session: Session, offset: int, query: Any, values: list[Any]) -> sa.Select[Any]:
    """One source's rows (facility, local day, its figures), zeros for the rest."""
    day = wall_date(session, local_wall(session, Slot.starts_at, offset))
    given = {value.name: value for value in values}
    columns = [given.get(name, sa.literal_column("0")).label(name) for name in COLUMNS]
    return query.add_columns(Slot.facility_id.label("facility_id"), day.label("day"), *columns)


def _insert_days(session: Session, spans: list[tuple[sa.ColumnElement[bool], int]]) -> None:
    parts = [part for condition, offset in spans for part in _parts(session, condition, offset)]
    union = sa.union_all(*parts).subquery("parts")
    summed = sa.select(
        union.c.facility_id,
        union.c.day,
        *(sa.func.sum(union.c[name]) for name in COLUMNS),
    ).group_by(union.c.facility_id, union.c.day)
    session.execute(sa.insert(UsageDay).from_select(["facility_id", "day", *COLUMNS], summed))


def _parts(session: Session, condition: sa.ColumnElement[bool], offset: int) -> list[Any]:
    """Per facility and local day of one span: the slots', the bookings' and
    the waitlist's figures, and the places booked per hour."""
    day = wall_date(session, local_wall(session, Slot.starts_at, offset))
    keys = (Slot.facility_id, day)
    slots = from_slots(sa.select().select_from(Slot)).where(condition, OFFERED)
    bookings = from_bookings(sa.select()).where(condition)
    waitlist = from_waitlist(sa.select()).where(condition, SERVED)
    served = [sa.func.count().label("waitlist_served")]
    return [
        _part(session, offset, slots, slot_columns(session)).group_by(*keys),
        _part(session, offset, bookings, booking_columns()).group_by(*keys),
        _part(session, offset, waitlist, served).group_by(*keys),
        _hours_part(session, condition, offset),
    ]


def _hours_part(session: Session, condition: sa.ColumnElement[bool], offset: int) -> sa.Select[Any]:
    """Places booked per local start hour: the hour is worked out once per
    booking, then spread over the 24 columns."""
    wall = local_wall(session, Slot.starts_at, offset)
    booked = (
        from_bookings(
            sa.select(
                Slot.facility_id.label("facility_id"),
                wall_date(session, wall).label("day"),
                wall_hour(session, wall).label("hour"),
                Booking.places.label("places"),
            )
        )
        .where(condition, Booking.status.in_(BOOKED))
        .subquery("booked")
    )
    columns = [
        sa.literal_column("0").label(name) if name not in HOURS else None for name in COLUMNS
    ]
    for hour, name in enumerate(HOURS):
        columns[COLUMNS.index(name)] = count_if(booked.c.hour == hour, booked.c.places).label(name)
    return sa.select(booked.c.facility_id, booked.c.day, *columns).group_by(
        booked.c.facility_id, booked.c.day
    )


def _insert_delays(session: Session, condition: sa.ColumnElement[bool], offset: int) -> None:
    day = wall_date(session, local_wall(session, Slot.starts_at, offset))
    query = approvals(
        session,
        condition,
        AuditEvent.id.label("audit_event_id"),
        Slot.facility_id.label("facility_id"),
        day.label("day"),
    )
    session.execute(
        sa.insert(ApprovalDelay).from_select(
            ["audit_event_id", "facility_id", "day", "seconds"], query
        )
    )
