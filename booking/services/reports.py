"""Usage reports: over a period, what the facilities offered and how it was used.

Every figure is summed by the database (GROUP BY), per facility; the rows of
a school or a kind add those facility rows up, and the medians, which do not
add up, are computed by the database for each grouping. What counts
(README, "Usage reports"):
- The period is a range of local days (the school's zone); a slot belongs to
  the day it starts on, and so do its bookings, whenever they were made.
- Places offered: the capacity of the slots that were not cancelled.
- Places booked: the places of bookings that held them up to the slot
  (awaiting approval, confirmed, checked in, no-show). Use = booked / offered.
- Checked in (bookings), visitors (the people counted at the gate; for
  check-ins before the count was kept, the places, or a hall's expected
  attendance, of the bookings checked in), no-shows;
  no-show rate = no-shows / (checked in + no-shows).
- Cancellations by cause: by the resident (they cancelled it, or deleted
  their account); by closure (the slot itself was cancelled); by staff (any
  other cancellation).
- Approvals: requests a staff member confirmed, and the median time from the
  request to the decision (from the audit log); rejections.
- Waitlist served: waitlist entries whose offer was accepted.
- Busiest hours: places booked by the local weekday and hour the slot starts.

The days up to the watermark (`DistrictSettings.usage_days_through`) are read
from the daily figures (booking.services.usage_days keeps them, from the same
expressions as below); the days after it from the raw tables. Both give the
same figures: tests/integration/test_usage_days.py holds them equal.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from booking.models import (
    HOURS,
    ApprovalDelay,
    AuditEvent,
    Booking,
    BookingStatus,
    Facility,
    FacilityKind,
    School,
    Slot,
    UsageDay,
    WaitlistEntry,
    WaitlistStatus,
)
from booking.models.settings import DistrictSettings
from booking.services import clock
from booking.services.aggregates import dialect, medians, seconds_between
from booking.services.errors import ValidationFailed

S = BookingStatus
BOOKED = (S.PENDING, S.CONFIRMED, S.CHECKED_IN, S.NO_SHOW)
MAX_YEARS = 3


class PeriodRefused(ValidationFailed):
    code = "invalid_period"


class UnknownSchool(ValidationFailed):
    code = "unknown_school"


class Grouping(enum.StrEnum):
    SCHOOL = "school"
    KIND = "kind"
    FACILITY = "facility"


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def check_period(first: date | None, last: date | None) -> Period:
    """A period of local days, both included. Raises PeriodRefused."""
    if first is None or last is None:
        raise PeriodRefused(_l("Choose the first and the last day of the period."))
    if last < first:
        raise PeriodRefused(_l("The period ends before it starts."), field="to")
    try:
        limit = first.replace(year=first.year + MAX_YEARS)
    except ValueError:  # 29 February
        limit = date(first.year + MAX_YEARS, 3, 1)
    if last >= limit:
        raise PeriodRefused(
            _l("A report covers at most %(years)d years.", years=MAX_YEARS), field="to"
        )
    return Period(first, last)


def last_month(today: date) -> Period:
    first_of_this = today.replace(day=1)
    last = first_of_this - timedelta(days=1)
    return Period(last.replace(day=1), last)


def school_by_code(session: Session, code: str) -> School:
    """Raises UnknownSchool."""
    school = session.scalar(sa.select(School).where(School.code == code.strip()))
    if school is None:
        raise UnknownSchool(_l("No school has the code %(code)s.", code=code), field="school")
    return school


@dataclass
class Figures:
    """The figures of one row (a facility, a kind at a school, a school, a total)."""

    slots: int = 0
    seconds_offered: int = 0
    places_offered: int = 0
    places_booked: int = 0
    bookings: int = 0
    checked_in: int = 0
    visitors: int = 0
    no_shows: int = 0
    cancelled_by_resident: int = 0
    cancelled_by_staff: int = 0
    cancelled_by_closure: int = 0
    rejected: int = 0
    expired: int = 0
    approvals: int = 0
    waitlist_served: int = 0
    median_approval_seconds: float | None = None

    def add(self, other: Figures) -> None:
        for item in fields(self):
            if item.name != "median_approval_seconds":
                setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    @property
    def hours_offered(self) -> float:
        return round(self.seconds_offered / 3600, 1)

    @property
    def cancelled(self) -> int:
        return self.cancelled_by_resident + self.cancelled_by_staff + self.cancelled_by_closure

    @property
    def use(self) -> float | None:
        return self.places_booked / self.places_offered if self.places_offered else None

    @property
    def no_show_rate(self) -> float | None:
        attended = self.checked_in + self.no_shows
        return self.no_shows / attended if attended else None

    @property
    def median_approval_hours(self) -> float | None:
        if self.median_approval_seconds is None:
            return None
        return round(float(self.median_approval_seconds) / 3600, 1)

    @property
    def is_empty(self) -> bool:
        return not (self.slots or self.bookings or self.waitlist_served)


@dataclass
class UsageRow:
    school_id: int | None
    school_code: str
    school_name: str
    school_name_en: str | None
    kind: FacilityKind | None
    facility_id: int | None
    facility_name: str
    facility_name_en: str | None
    figures: Figures = field(default_factory=Figures)


@dataclass
class UsageReport:
    period: Period
    grouping: Grouping
    rows: list[UsageRow]
    by_kind: list[UsageRow]
    total: Figures
    heat: dict[tuple[int, int], int]  # (local weekday 0-6, hour 0-23) -> places booked

    @property
    def heat_max(self) -> int:
        return max(self.heat.values(), default=0)

    @property
    def heat_hours(self) -> list[int]:
        """The hours to draw: from the first to the last with bookings (at least 8-21)."""
        hours = [hour for (_, hour), value in self.heat.items() if value]
        return list(range(min([8, *hours]), max([21, *hours]) + 1))


@dataclass(frozen=True)
class _Facility:
    id: int
    school_id: int
    kind: FacilityKind
    name: str
    name_en: str | None
    school_code: str
    school_name: str
    school_name_en: str | None
    timezone: str


def usage_report(
    session: Session,
    period: Period,
    *,
    grouping: Grouping = Grouping.SCHOOL,
    school_ids: list[int] | None = None,
) -> UsageReport:
    """The usage of the facilities of `school_ids` (all schools when None)
    over `period`, one row per group that offered or booked anything."""
    facilities = _facilities(session, school_ids)
    stored, tail = split_period(period, covered_through(session))
    windows = _windows(tail, {f.timezone for f in facilities.values()}) if tail else []
    tail_ids = _tail_slot_ids(session, tail, windows, school_ids)
    if not facilities:
        stored = None
    per_facility: dict[int, Figures] = defaultdict(Figures)
    heat: dict[tuple[int, int], int] = defaultdict(int)
    if stored:
        _stored_figures(session, stored, school_ids, per_facility)
        _stored_heat(session, stored, school_ids, heat)
    if windows:
        _slot_figures(session, windows, school_ids, per_facility)
        _booking_figures(session, windows, school_ids, tail_ids, per_facility)
        _waitlist_figures(session, windows, school_ids, tail_ids, per_facility)
        _heat(session, windows, school_ids, tail_ids, heat)
    medians: dict[tuple[Any, ...], float] = {}
    if stored or windows:
        medians = _approval_figures(
            session, stored, windows, tail_ids, school_ids, grouping, per_facility
        )

    rows: dict[tuple[Any, ...], UsageRow] = {}
    by_kind: dict[FacilityKind, UsageRow] = {}
    total = Figures()
    for facility_id in sorted(per_facility, key=lambda f: _order(facilities[f])):
        figures, facility = per_facility[facility_id], facilities[facility_id]
        if figures.is_empty:
            continue
        key = _key(grouping, facility)
        if key not in rows:
            rows[key] = _row(grouping, facility)
        rows[key].figures.add(figures)
        if facility.kind not in by_kind:
            by_kind[facility.kind] = _row(None, facility)
        by_kind[facility.kind].figures.add(figures)
        total.add(figures)

    for key, row in rows.items():
        row.figures.median_approval_seconds = medians.get(("group", *key))
    for kind, row in by_kind.items():
        row.figures.median_approval_seconds = medians.get(("kind", kind))
    total.median_approval_seconds = medians.get(("total",))
    return UsageReport(
        period=period,
        grouping=grouping,
        rows=list(rows.values()),
        by_kind=[by_kind[kind] for kind in sorted(by_kind, key=_KIND_ORDER.index)],
        total=total,
        heat=dict(heat),
    )


def covered_through(session: Session) -> date | None:
    """The last local day the daily figures cover (None: none yet)."""
    return session.scalar(
        sa.select(DistrictSettings.usage_days_through).where(DistrictSettings.id == 1)
    )


def split_period(period: Period, through: date | None) -> tuple[Period | None, Period | None]:
    """The part of `period` the daily figures cover, and the raw tail after it."""
    if through is None or through < period.first:
        return None, period
    if through >= period.last:
        return period, None
    return Period(period.first, through), Period(through + timedelta(days=1), period.last)


_KIND_ORDER = list(FacilityKind)


def _order(facility: _Facility) -> tuple[str, int, int]:
    return (facility.school_code, _KIND_ORDER.index(facility.kind), facility.id)


def _key(grouping: Grouping, facility: _Facility) -> tuple[Any, ...]:
    if grouping is Grouping.SCHOOL:
        return (facility.school_id,)
    if grouping is Grouping.KIND:
        return (facility.school_id, facility.kind)
    return (facility.school_id, facility.kind, facility.id)


def _row(grouping: Grouping | None, facility: _Facility) -> UsageRow:
    """The row `facility` adds to; grouping None: the district's row of its kind."""
    if grouping is None:
        return UsageRow(None, "", "", None, facility.kind, None, "", None)
    by_facility = grouping is Grouping.FACILITY
    return UsageRow(
        facility.school_id,
        facility.school_code,
        facility.school_name,
        facility.school_name_en,
        facility.kind if grouping is not Grouping.SCHOOL else None,
        facility.id if by_facility else None,
        facility.name if by_facility else "",
        facility.name_en if by_facility else None,
    )


def _facilities(session: Session, school_ids: list[int] | None) -> dict[int, _Facility]:
    query = sa.select(
        Facility.id,
        Facility.school_id,
        Facility.kind,
        Facility.name,
        Facility.name_en,
        School.code,
        School.name,
        School.name_en,
        School.timezone,
    ).join(School, Facility.school_id == School.id)
    if school_ids is not None:
        query = query.where(School.id.in_(school_ids))
    return {row[0]: _Facility(*row) for row in session.execute(query)}


def _windows(period: Period, timezones: set[str]) -> list[tuple[str, datetime, datetime]]:
    """Per zone, the UTC instants the period's local days run between."""
    result = []
    for name in sorted(timezones):
        tz = clock.zone(name)
        start = clock.local_instant(period.first, time(0), tz)
        end = clock.local_instant(period.last + timedelta(days=1), time(0), tz)
        result.append((name, start, end))
    return result


def _in_period(
    windows: list[tuple[str, datetime, datetime]], school_ids: list[int] | None
) -> sa.ColumnElement[bool]:
    """Slots (joined with their facility and school) starting within the period."""
    if len(windows) == 1:
        _, start, end = windows[0]
        condition = sa.and_(Slot.starts_at >= start, Slot.starts_at < end)
    else:
        condition = sa.or_(
            *(
                sa.and_(School.timezone == name, Slot.starts_at >= start, Slot.starts_at < end)
                for name, start, end in windows
            )
        )
    if school_ids is not None:
        condition = sa.and_(condition, Facility.school_id.in_(school_ids))
    return condition


# Up to a week of raw tail, its bookings are reached through its slots.
SHORT_TAIL_DAYS = 7


def _tail_slot_ids(
    session: Session,
    tail: Period | None,
    windows: list[tuple[str, datetime, datetime]],
    school_ids: list[int] | None,
) -> sa.ColumnElement[Any] | None:
    """On PostgreSQL, for a tail of a few days, the array of its slots' ids.

    Costing each index probe as a disk read, the planner would rather
    hash-join a scan of every booking with the tail's slots; an array of ids
    leads it to their bookings through ix_bookings_slot_status (README,
    "Reports"). Past a week the scan is no dearer."""
    if tail is None or tail.days > SHORT_TAIL_DAYS or dialect(session) != "postgresql":
        return None
    ids = from_slots(sa.select(Slot.id).select_from(Slot)).where(_in_period(windows, school_ids))
    return sa.func.array(ids.correlate(None).scalar_subquery())


def _reached_in_period(
    windows: list[tuple[str, datetime, datetime]],
    school_ids: list[int] | None,
    slot_id: sa.ColumnElement[int],
    tail_ids: sa.ColumnElement[Any] | None,
) -> sa.ColumnElement[bool]:
    """`_in_period` for rows joined through `slot_id` (bookings, waitlist entries)."""
    if tail_ids is None:
        return _in_period(windows, school_ids)
    return sa.and_(_in_period(windows, school_ids), slot_id == sa.any_(tail_ids))


def count_if(condition: sa.ColumnElement[bool], value: Any = 1) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, value), else_=0)), 0)


def slot_columns(session: Session) -> list[sa.Label[Any]]:
    """The figures of slots (joined with their facility), to group by; of the
    slots that were not cancelled (`OFFERED`)."""
    return [
        sa.func.count().label("slots"),
        sa.func.coalesce(
            sa.func.sum(seconds_between(session, Slot.starts_at, Slot.ends_at)), 0
        ).label("seconds_offered"),
        sa.func.coalesce(sa.func.sum(Slot.capacity), 0).label("places_offered"),
    ]


OFFERED = Slot.cancelled_at.is_(None)


def booking_columns() -> list[sa.Label[Any]]:
    """The figures of bookings (joined with their slot and facility), to group by."""
    cancelled = Booking.status == S.CANCELLED
    by_resident = sa.and_(cancelled, Booking.decided_by_id == Booking.resident_id)
    by_closure = sa.and_(cancelled, sa.not_(by_resident), Slot.cancelled_at.is_not(None))
    by_staff = sa.and_(cancelled, sa.not_(by_resident), Slot.cancelled_at.is_(None))
    checked_in = Booking.status == S.CHECKED_IN
    # The people counted at the gate; for a check-in recorded before the count
    # was kept, the places (a hall's expected attendance).
    visitors = sa.func.coalesce(
        Booking.attended,
        sa.case(
            (Facility.is_exclusive, sa.func.coalesce(Booking.attendance, Booking.places)),
            else_=Booking.places,
        ),
    )
    return [
        sa.func.count().label("bookings"),
        count_if(Booking.status.in_(BOOKED), Booking.places).label("places_booked"),
        count_if(checked_in).label("checked_in"),
        count_if(checked_in, visitors).label("visitors"),
        count_if(Booking.status == S.NO_SHOW).label("no_shows"),
        count_if(by_resident).label("cancelled_by_resident"),
        count_if(by_staff).label("cancelled_by_staff"),
        count_if(by_closure).label("cancelled_by_closure"),
        count_if(Booking.status == S.REJECTED).label("rejected"),
        count_if(Booking.status == S.EXPIRED).label("expired"),
    ]


SERVED = WaitlistEntry.status == WaitlistStatus.ACCEPTED
# The figures the daily table keeps, in its column order (approvals are the
# rows of approval_delays).
STORED_FIGURES = (
    "slots",
    "seconds_offered",
    "places_offered",
    "bookings",
    "places_booked",
    "checked_in",
    "visitors",
    "no_shows",
    "cancelled_by_resident",
    "cancelled_by_staff",
    "cancelled_by_closure",
    "rejected",
    "expired",
    "waitlist_served",
)


def from_slots(query: sa.Select[Any]) -> sa.Select[Any]:
    return query.join(Facility, Slot.facility_id == Facility.id).join(
        School, Facility.school_id == School.id
    )


def from_bookings(query: sa.Select[Any]) -> sa.Select[Any]:
    return from_slots(query.select_from(Booking).join(Slot, Booking.slot_id == Slot.id))


def from_waitlist(query: sa.Select[Any]) -> sa.Select[Any]:
    return from_slots(query.select_from(WaitlistEntry).join(Slot, WaitlistEntry.slot_id == Slot.id))


def _add(out: dict[int, Figures], rows: Any, names: tuple[str, ...] | list[str]) -> None:
    for facility_id, *values in rows:
        figures = out[facility_id]
        for name, value in zip(names, values, strict=True):
            setattr(figures, name, getattr(figures, name) + int(value or 0))


def _stored_figures(
    session: Session, period: Period, school_ids: list[int] | None, out: dict[int, Figures]
) -> None:
    query = sa.select(
        UsageDay.facility_id, *(sa.func.sum(UsageDay.__table__.c[n]) for n in STORED_FIGURES)
    ).where(*_stored_days(UsageDay, period, school_ids))
    _add(out, session.execute(query.group_by(UsageDay.facility_id)), STORED_FIGURES)


def _stored_days(
    table: type[UsageDay] | type[ApprovalDelay], period: Period, school_ids: list[int] | None
) -> list[sa.ColumnElement[bool]]:
    condition = [table.day >= period.first, table.day <= period.last]
    if school_ids is not None:
        condition.append(
            table.facility_id.in_(sa.select(Facility.id).where(Facility.school_id.in_(school_ids)))
        )
    return condition


def _slot_figures(
    session: Session,
    windows: list[tuple[str, datetime, datetime]],
    school_ids: list[int] | None,
    out: dict[int, Figures],
) -> None:
    columns = slot_columns(session)
    query = from_slots(sa.select(Slot.facility_id, *columns).select_from(Slot))
    query = query.where(_in_period(windows, school_ids), OFFERED)
    _add(out, session.execute(query.group_by(Slot.facility_id)), [c.name for c in columns])


def _booking_figures(
    session: Session,
    windows: list[tuple[str, datetime, datetime]],
    school_ids: list[int] | None,
    tail_ids: sa.ColumnElement[Any] | None,
    out: dict[int, Figures],
) -> None:
    columns = booking_columns()
    query = from_bookings(sa.select(Slot.facility_id, *columns))
    query = query.where(_reached_in_period(windows, school_ids, Booking.slot_id, tail_ids))
    _add(out, session.execute(query.group_by(Slot.facility_id)), [c.name for c in columns])


def _waitlist_figures(
    session: Session,
    windows: list[tuple[str, datetime, datetime]],
    school_ids: list[int] | None,
    tail_ids: sa.ColumnElement[Any] | None,
    out: dict[int, Figures],
) -> None:
    query = from_waitlist(sa.select(Slot.facility_id, sa.func.count()))
    in_period = _reached_in_period(windows, school_ids, WaitlistEntry.slot_id, tail_ids)
    query = query.where(in_period, SERVED)
    _add(out, session.execute(query.group_by(Slot.facility_id)), ["waitlist_served"])


def approvals(session: Session, condition: sa.ColumnElement[bool], *columns: Any) -> sa.Select[Any]:
    """Staff confirmations of requests (of slots meeting `condition`), with the
    seconds from request to decision as `delay`: the audit log keeps them after
    check-in has moved the booking on."""
    return from_slots(
        sa.select(
            *columns,
            seconds_between(session, Booking.created_at, AuditEvent.at).label("delay"),
        )
        .select_from(AuditEvent)
        .join(
            Booking,
            sa.and_(AuditEvent.target_type == "booking", AuditEvent.target_id == Booking.id),
        )
        .join(Slot, Booking.slot_id == Slot.id)
    ).where(
        condition,
        AuditEvent.action == "booking.confirmed",
        AuditEvent.actor_id.is_not(None),
        AuditEvent.actor_id != Booking.resident_id,
    )


def _approval_source(
    session: Session,
    stored: Period | None,
    windows: list[tuple[str, datetime, datetime]],
    tail_ids: sa.ColumnElement[Any] | None,
    school_ids: list[int] | None,
) -> sa.CTE:
    """The delays of the period: those kept for the covered days, and the raw
    tail's from the audit log."""
    parts = []
    if stored:
        parts.append(
            sa.select(
                Facility.school_id.label("school_id"),
                Facility.kind.label("kind"),
                ApprovalDelay.facility_id.label("facility_id"),
                ApprovalDelay.seconds.label("delay"),
            )
            .join(Facility, ApprovalDelay.facility_id == Facility.id)
            .where(*_stored_days(ApprovalDelay, stored, school_ids))
        )
    if windows:
        parts.append(
            approvals(
                session,
                _reached_in_period(windows, school_ids, Booking.slot_id, tail_ids),
                Facility.school_id.label("school_id"),
                Facility.kind.label("kind"),
                Slot.facility_id.label("facility_id"),
            )
        )
    source = parts[0] if len(parts) == 1 else sa.union_all(*parts)
    return source.cte("approvals")


def _approval_figures(
    session: Session,
    stored: Period | None,
    windows: list[tuple[str, datetime, datetime]],
    tail_ids: sa.ColumnElement[Any] | None,
    school_ids: list[int] | None,
    grouping: Grouping,
    out: dict[int, Figures],
) -> dict[tuple[Any, ...], float]:
    """Approvals per facility, and the median delay per row of `grouping`, per
    kind and in total: one statement, the approvals found once (a CTE)."""
    approvals = _approval_source(session, stored, windows, tail_ids, school_ids)
    keys = {
        Grouping.SCHOOL: ["school_id"],
        Grouping.KIND: ["school_id", "kind"],
        Grouping.FACILITY: ["school_id", "kind", "facility_id"],
    }[grouping]
    levels = {"count": ["facility_id"], "group": keys, "kind": ["kind"], "total": []}
    result: dict[tuple[Any, ...], float] = {}
    for row in session.execute(medians(session, approvals, levels, "delay")).mappings():
        if row["level"] == "count":
            out[int(row["facility_id"])].approvals = int(row["count"])
            continue
        if row["median"] is None:
            continue
        values = {
            "school_id": int(row["school_id"]) if row["school_id"] is not None else None,
            "kind": FacilityKind(row["kind"]) if row["kind"] is not None else None,
            "facility_id": int(row["facility_id"]) if row["facility_id"] is not None else None,
        }
        level = row["level"]
        result[(level, *(values[key] for key in levels[level]))] = float(row["median"])
    return result


def _stored_heat(
    session: Session, period: Period, school_ids: list[int] | None, heat: dict[tuple[int, int], int]
) -> None:
    """Places booked per local weekday and hour, from the days' hour columns."""
    hours = [sa.func.sum(UsageDay.__table__.c[name]) for name in HOURS]
    query = sa.select(UsageDay.day, *hours).where(*_stored_days(UsageDay, period, school_ids))
    for day, *places in session.execute(query.group_by(UsageDay.day)):
        for hour, value in enumerate(places):
            if value:
                heat[(day.weekday(), hour)] += int(value)


def _heat(
    session: Session,
    windows: list[tuple[str, datetime, datetime]],
    school_ids: list[int] | None,
    tail_ids: sa.ColumnElement[Any] | None,
    heat: dict[tuple[int, int], int],
) -> None:
    """Places booked per local weekday and hour the slot starts: summed per zone
    and start instant by the database (schools share their opening times, so a
    few thousand rows for a year), placed on the local clock here."""
    query = (
        from_bookings(sa.select(School.timezone, Slot.starts_at, sa.func.sum(Booking.places)))
        .where(
            _reached_in_period(windows, school_ids, Booking.slot_id, tail_ids),
            Booking.status.in_(BOOKED),
        )
        .group_by(School.timezone, Slot.starts_at)
    )
    for timezone, starts_at, places in session.execute(query):
        local = clock.to_local(starts_at, clock.zone(timezone))
        heat[(local.weekday(), local.hour)] += int(places or 0)


CSV_COLUMNS = (
    "school_code",
    "kind",
    "facility_id",
    "facility",
    "slots",
    "hours_offered",
    "places_offered",
    "places_booked",
    "use",
    "checked_in",
    "visitors",
    "no_shows",
    "no_show_rate",
    "cancelled",
    "cancelled_by_resident",
    "cancelled_by_staff",
    "cancelled_by_closure",
    "approvals",
    "median_approval_hours",
    "rejected",
    "waitlist_served",
)


def csv_rows(report: UsageReport) -> list[list[object]]:
    """The report as CSV rows, the header first (the same for the pages and the CLI)."""
    rows: list[list[object]] = [list(CSV_COLUMNS)]
    for row in report.rows:
        f = row.figures
        rows.append(
            [
                row.school_code,
                row.kind.value if row.kind else "",
                row.facility_id if row.facility_id is not None else "",
                row.facility_name,
                f.slots,
                f.hours_offered,
                f.places_offered,
                f.places_booked,
                _ratio(f.use),
                f.checked_in,
                f.visitors,
                f.no_shows,
                _ratio(f.no_show_rate),
                f.cancelled,
                f.cancelled_by_resident,
                f.cancelled_by_staff,
                f.cancelled_by_closure,
                f.approvals,
                "" if f.median_approval_hours is None else f.median_approval_hours,
                f.rejected,
                f.waitlist_served,
            ]
        )
    return rows


def _ratio(value: float | None) -> object:
    return "" if value is None else round(value, 4)
