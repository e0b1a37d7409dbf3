"""The opening tracker: does every school open what the district plan asks,
for long enough, week by week?

What counts (README, "The opening tracker"):
- Required kinds: lecture hall, library, reading room and parking at every
  school; a sports venue where the school has one.
- Hours offered are those of the published slots that are not cancelled, by
  the local day they start on. A closure removes or cancels slots, so it
  lowers the hours; days after the published horizon have no slots and offer
  nothing. Several facilities of one kind are not added up: the kind's hours
  on a day are those of its best-served facility that day.
- A kind is open to the public in a week when the school is active, one of
  its facilities of that kind is active, and it offered hours that week.
- A day falls short when it offered less than the district minimum for its
  kind of day (school day, or weekend, holiday and vacation day); a day after
  the published horizon is not yet counted as missed.
- A kind first opened on the local day of its first slot ever offered.
- A school meets the target when every required kind is open and no day fell
  short. The district's totals compare, per type of school, the schools that
  meet it with the plan's target (by default every school of the type).
"""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from booking.models import DistrictSettings, Facility, FacilityKind, School, Slot, User
from booking.models.settings import DEFAULT_OTHER_DAY_MINUTES, DEFAULT_SCHOOL_DAY_MINUTES
from booking.services import audit, clock
from booking.services.aggregates import seconds_between
from booking.services.calendar import DayCalendar, load_calendar
from booking.services.errors import ValidationFailed

K = FacilityKind
PLAN_KINDS = (K.LECTURE_HALL, K.LIBRARY, K.READING_ROOM, K.PARKING)
KIND_ORDER = (K.LECTURE_HALL, K.LIBRARY, K.READING_ROOM, K.SPORTS_VENUE, K.PARKING)


class SettingsRefused(ValidationFailed):
    code = "invalid_settings"


class Gap(enum.StrEnum):
    """Why a required kind does not meet the minimum in a week."""

    NONE = "none"
    SCHOOL_INACTIVE = "school_inactive"
    NO_FACILITY = "no_facility"
    NOT_ACTIVE = "not_active"  # the facilities of the kind are switched off
    NO_HOURS = "no_hours"
    SHORT_DAYS = "short_days"


@dataclass(frozen=True)
class Minimums:
    school_day_minutes: int
    other_day_minutes: int
    target_public: int | None
    target_private: int | None


def current_minimums(session: Session) -> Minimums:
    row = session.get(DistrictSettings, 1)
    if row is None:
        return Minimums(DEFAULT_SCHOOL_DAY_MINUTES, DEFAULT_OTHER_DAY_MINUTES, None, None)
    return Minimums(
        row.min_school_day_minutes,
        row.min_other_day_minutes,
        row.target_public_schools,
        row.target_private_schools,
    )


def update_minimums(
    session: Session, minimums: Minimums, *, actor: User | None, now: datetime
) -> DistrictSettings:
    """Store the district's minimum hours and targets, audited.
    Raises SettingsRefused."""
    for name, minutes in (
        ("school_day_hours", minimums.school_day_minutes),
        ("other_day_hours", minimums.other_day_minutes),
    ):
        if not 0 <= minutes <= 24 * 60:
            raise SettingsRefused(_l("Minimum hours lie between 0 and 24."), field=name)
    for name, target in (
        ("target_public", minimums.target_public),
        ("target_private", minimums.target_private),
    ):
        if target is not None and not 0 <= target <= 100_000:
            raise SettingsRefused(
                _l("A target is a number of schools, 0 or more; leave it empty for all."),
                field=name,
            )
    row = session.get(DistrictSettings, 1)
    before = current_minimums(session).__dict__
    if row is None:
        row = DistrictSettings(id=1)
        session.add(row)
    row.min_school_day_minutes = minimums.school_day_minutes
    row.min_other_day_minutes = minimums.other_day_minutes
    row.target_public_schools = minimums.target_public
    row.target_private_schools = minimums.target_private
    row.updated_at = now
    row.updated_by_id = actor.id if actor else None
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="settings.tracker",
        target_type="district_settings",
        target_id=1,
        school_id=None,
        now=now,
        details={"from": before, "to": minimums.__dict__},
    )
    return row


@dataclass
class DayHours:
    day: date
    minutes: int
    required: int
    is_school_day: bool
    published: bool

    @property
    def is_short(self) -> bool:
        return self.published and self.minutes < self.required


@dataclass
class KindStatus:
    kind: FacilityKind
    facilities: int  # active facilities of the kind
    is_open: bool
    minutes: int
    days: list[DayHours]
    first_opened: date | None
    gap: Gap

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 2)

    @property
    def missed_days(self) -> list[DayHours]:
        return [day for day in self.days if day.is_short]

    @property
    def meets_minimum(self) -> bool:
        return self.gap is Gap.NONE


@dataclass
class SchoolStatus:
    school_id: int
    code: str
    name: str
    name_en: str | None
    is_public: bool
    is_active: bool
    kinds: list[KindStatus]

    @property
    def meets_target(self) -> bool:
        return all(kind.meets_minimum for kind in self.kinds)

    @property
    def behind(self) -> list[KindStatus]:
        return [kind for kind in self.kinds if not kind.meets_minimum]


@dataclass
class TypeTotal:
    is_public: bool
    schools: int = 0
    meeting: int = 0
    target: int = 0
    open_by_kind: dict[FacilityKind, int] = field(default_factory=dict)
    required_by_kind: dict[FacilityKind, int] = field(default_factory=dict)

    @property
    def reaches_target(self) -> bool:
        return self.meeting >= self.target


@dataclass
class Tracker:
    week_start: date
    days: list[date]
    minimums: Minimums
    schools: list[SchoolStatus]
    totals: list[TypeTotal]

    @property
    def behind(self) -> list[SchoolStatus]:
        return [school for school in self.schools if not school.meets_target]


def default_week(today: date) -> date:
    return clock.week_start(today)


def build_tracker(
    session: Session, week_start: date, *, school_ids: list[int] | None = None
) -> Tracker:
    """The tracker for the week starting on Monday `week_start` (moved back to
    its Monday). Four aggregate queries: schools, facilities with their first
    slot, hours per school, kind and day, and the calendar."""
    week_start = clock.week_start(week_start)
    week = clock.days(week_start, week_start + timedelta(days=6))
    minimums = current_minimums(session)
    calendar = load_calendar(session, week[0], week[-1])
    schools_query = sa.select(School).order_by(School.is_public.desc(), School.code)
    if school_ids is not None:
        schools_query = schools_query.where(School.id.in_(school_ids))
    schools = session.scalars(schools_query).all()
    facilities = _facility_rows(session, [school.id for school in schools])
    minutes = _minutes_by_day(session, week, {school.timezone for school in schools}, school_ids)

    by_school: dict[int, list[_FacilityRow]] = defaultdict(list)
    for row in facilities:
        by_school[row.school_id].append(row)
    statuses = []
    for school in schools:
        tz = clock.zone(school.timezone)
        mine = by_school[school.id]
        kinds = list(PLAN_KINDS)
        if any(row.kind == K.SPORTS_VENUE for row in mine):
            kinds.append(K.SPORTS_VENUE)
        kinds.sort(key=KIND_ORDER.index)
        statuses.append(
            SchoolStatus(
                school_id=school.id,
                code=school.code,
                name=school.name,
                name_en=school.name_en,
                is_public=school.is_public,
                is_active=school.is_active,
                kinds=[
                    _kind_status(school, kind, mine, minutes, week, calendar, minimums, tz)
                    for kind in kinds
                ],
            )
        )
    return Tracker(week_start, week, minimums, statuses, _totals(statuses, minimums))


@dataclass(frozen=True)
class _FacilityRow:
    id: int
    school_id: int
    kind: FacilityKind
    is_active: bool
    published_until: date | None
    first_slot: datetime | None


def _facility_rows(session: Session, school_ids: list[int]) -> list[_FacilityRow]:
    # One index probe per facility on (facility_id, starts_at), not a scan of the slots.
    first_slot = (
        sa.select(sa.func.min(Slot.starts_at))
        .where(Slot.facility_id == Facility.id, Slot.cancelled_at.is_(None))
        .correlate(Facility)
        .scalar_subquery()
    )
    rows = session.execute(
        sa.select(
            Facility.id,
            Facility.school_id,
            Facility.kind,
            Facility.is_active,
            Facility.slots_generated_until,
            first_slot.label("first_slot"),
        ).where(Facility.school_id.in_(school_ids))
    )
    return [_FacilityRow(*row) for row in rows]


def _minutes_by_day(
    session: Session, week: list[date], timezones: set[str], school_ids: list[int] | None
) -> dict[tuple[int, FacilityKind, date], int]:
    """Minutes offered per (school, kind, local day): per facility and day in
    the database, then the best facility of each kind, in the database too."""
    result: dict[tuple[int, FacilityKind, date], int] = {}
    for name in sorted(timezones):
        tz = clock.zone(name)
        bounds = [clock.local_instant(day, time(0), tz) for day in week]
        end = clock.local_instant(week[-1] + timedelta(days=1), time(0), tz)
        day_index = sa.case(
            *((Slot.starts_at < bound, index - 1) for index, bound in enumerate(bounds[1:], 1)),
            else_=len(week) - 1,
        )
        per_facility = (
            sa.select(
                Facility.school_id.label("school_id"),
                Facility.kind.label("kind"),
                day_index.label("day"),
                sa.func.sum(seconds_between(session, Slot.starts_at, Slot.ends_at)).label(
                    "seconds"
                ),
            )
            .join(Facility, Slot.facility_id == Facility.id)
            .join(School, Facility.school_id == School.id)
            .where(
                School.timezone == name,
                Facility.is_active,
                Slot.cancelled_at.is_(None),
                Slot.starts_at >= bounds[0],
                Slot.starts_at < end,
            )
            .group_by(Facility.id, Facility.school_id, Facility.kind, day_index)
        )
        if school_ids is not None:
            per_facility = per_facility.where(Facility.school_id.in_(school_ids))
        inner = per_facility.subquery("per_facility")
        query = sa.select(
            inner.c.school_id, inner.c.kind, inner.c.day, sa.func.max(inner.c.seconds)
        ).group_by(inner.c.school_id, inner.c.kind, inner.c.day)
        for school_id, kind, day, seconds in session.execute(query):
            result[(school_id, FacilityKind(kind), week[int(day)])] = int(seconds or 0) // 60
    return result


def _kind_status(
    school: School,
    kind: FacilityKind,
    facilities: list[_FacilityRow],
    minutes: dict[tuple[int, FacilityKind, date], int],
    week: list[date],
    calendar: DayCalendar,
    minimums: Minimums,
    tz: ZoneInfo,
) -> KindStatus:
    of_kind = [row for row in facilities if row.kind == kind]
    active = [row for row in of_kind if row.is_active]
    horizons = [row.published_until for row in active]
    horizon = None if not horizons or None in horizons else max(h for h in horizons if h)
    days = []
    for day in week:
        is_school_day = calendar.is_school_day(day)
        offered = minutes.get((school.id, kind, day), 0)
        days.append(
            DayHours(
                day=day,
                minutes=offered,
                required=minimums.school_day_minutes
                if is_school_day
                else minimums.other_day_minutes,
                is_school_day=is_school_day,
                published=offered > 0 or horizon is None or day <= horizon,
            )
        )
    total = sum(day.minutes for day in days)
    firsts = [row.first_slot for row in of_kind if row.first_slot is not None]
    first_opened = clock.local_date(min(firsts), tz) if firsts else None
    if not school.is_active:
        gap = Gap.SCHOOL_INACTIVE
    elif not of_kind:
        gap = Gap.NO_FACILITY
    elif not active:
        gap = Gap.NOT_ACTIVE
    elif total == 0:
        gap = Gap.NO_HOURS
    elif any(day.is_short for day in days):
        gap = Gap.SHORT_DAYS
    else:
        gap = Gap.NONE
    return KindStatus(
        kind=kind,
        facilities=len(active),
        is_open=school.is_active and bool(active) and total > 0,
        minutes=total,
        days=days,
        first_opened=first_opened,
        gap=gap,
    )


def _totals(schools: list[SchoolStatus], minimums: Minimums) -> list[TypeTotal]:
    totals = {True: TypeTotal(is_public=True), False: TypeTotal(is_public=False)}
    open_by_kind: dict[bool, dict[FacilityKind, int]] = defaultdict(lambda: defaultdict(int))
    required: dict[bool, dict[FacilityKind, int]] = defaultdict(lambda: defaultdict(int))
    for school in schools:
        total = totals[school.is_public]
        total.schools += 1
        total.meeting += school.meets_target
        for kind in school.kinds:
            required[school.is_public][kind.kind] += 1
            open_by_kind[school.is_public][kind.kind] += kind.is_open
    for is_public, total in totals.items():
        target = minimums.target_public if is_public else minimums.target_private
        total.target = total.schools if target is None else target
        total.open_by_kind = {k: open_by_kind[is_public][k] for k in KIND_ORDER}
        total.required_by_kind = {k: required[is_public][k] for k in KIND_ORDER}
    return [totals[True], totals[False]]


CSV_COLUMNS = (
    "school_code",
    "school_type",
    "kind",
    "open",
    "hours",
    "meets_minimum",
    "missed_days",
    "first_opened",
    "facilities",
    "gap",
)


def csv_rows(tracker: Tracker) -> list[list[object]]:
    """One row per school and required kind, the header first."""
    rows: list[list[object]] = [list(CSV_COLUMNS)]
    for school in tracker.schools:
        for kind in school.kinds:
            rows.append(
                [
                    school.code,
                    "public" if school.is_public else "private",
                    kind.kind.value,
                    "yes" if kind.is_open else "no",
                    kind.hours,
                    "yes" if kind.meets_minimum else "no",
                    ";".join(day.day.isoformat() for day in kind.missed_days),
                    kind.first_opened.isoformat() if kind.first_opened else "",
                    kind.facilities,
                    kind.gap.value,
                ]
            )
    return rows


def totals_csv_rows(tracker: Tracker) -> list[list[object]]:
    """The district's totals per type of school, the header first."""
    header: list[object] = ["school_type", "schools", "meeting_minimum", "target"]
    header += [f"{kind.value}_open" for kind in KIND_ORDER]
    header += [f"{kind.value}_required" for kind in KIND_ORDER]
    rows: list[list[object]] = [header]
    for total in tracker.totals:
        rows.append(
            ["public" if total.is_public else "private", total.schools, total.meeting, total.target]
            + [total.open_by_kind[kind] for kind in KIND_ORDER]
            + [total.required_by_kind[kind] for kind in KIND_ORDER]
        )
    return rows
