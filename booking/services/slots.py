"""Publishing slots: from opening rules, closures and the calendar to stored slots.

Generation is idempotent and safe to run twice at once: rows are inserted in
batches with the dialect's insert-or-ignore on the unique (facility, start),
and what already exists is skipped before it is even sent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session, selectinload

from booking.models import Closure, Facility, School, Slot
from booking.services import clock
from booking.services.calendar import DayCalendar, load_calendar
from booking.services.errors import DomainError, NotFound, ValidationFailed
from booking.services.opening import expand
from booking.services.policy import Policy, policies_for

MAX_DAYS = 366
FACILITIES_PER_BATCH = 200
ROWS_PER_INSERT = 1000


class InvalidHorizon(ValidationFailed):
    code = "invalid_horizon"
    default_message = _l("The number of days must be between 1 and 366.")


class UnknownSchool(NotFound):
    code = "unknown_school"
    default_message = _l("There is no school with this code.")


@dataclass
class Tally:
    created: int = 0
    existing: int = 0
    closed: int = 0
    partial_dropped: int = 0

    def add(self, other: Tally) -> None:
        self.created += other.created
        self.existing += other.existing
        self.closed += other.closed
        self.partial_dropped += other.partial_dropped


@dataclass
class GenerationReport:
    per_school: dict[str, Tally] = field(default_factory=dict)
    failures: list[tuple[int, str]] = field(default_factory=list)  # (facility id, error)
    facilities: int = 0
    up_to_date: int = 0  # facilities whose slots were already published to the horizon

    @property
    def total(self) -> Tally:
        total = Tally()
        for tally in self.per_school.values():
            total.add(tally)
        return total

    def counts(self) -> dict[str, Any]:
        total = self.total
        return {
            "facilities": self.facilities,
            "up_to_date": self.up_to_date,
            "created": total.created,
            "existing": total.existing,
            "closed": total.closed,
            "partial_dropped": total.partial_dropped,
            "failures": len(self.failures),
        }


@dataclass(frozen=True)
class Plan:
    """The local days still to publish for one facility."""

    facility: Facility
    policy: Policy
    tz: ZoneInfo
    first: date
    last: date


def check_days(days: int | None) -> None:
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise InvalidHorizon(field="days")


def generate_slots(
    session: Session,
    *,
    now: datetime,
    days: int | None = None,
    school_code: str | None = None,
    dry_run: bool = False,
    checkpoint: Callable[[], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> GenerationReport:
    """Store the slots of active facilities from today (local) up to
    `days` days ahead, by default each facility's `advance_days + 1`.

    One facility's failure is recorded in the report and the others go on.
    `checkpoint` (the caller's commit) runs after each batch of facilities.
    Raises InvalidHorizon, UnknownSchool.
    """
    check_days(days)
    school_ids = _school_filter(session, school_code)
    facility_ids = _active_facility_ids(session, school_ids)
    report = GenerationReport(facilities=len(facility_ids))
    if not facility_ids:
        return report
    calendar = load_calendar(
        session, now.date() - timedelta(days=2), now.date() + timedelta(days=(days or 91) + 2)
    )
    done = 0
    for batch in _chunks(facility_ids, FACILITIES_PER_BATCH):
        _generate_batch(session, batch, now, days, calendar, dry_run, report)
        done += len(batch)
        if checkpoint and not dry_run:
            checkpoint()
        if progress:
            progress(done, len(facility_ids))
    return report


def _school_filter(session: Session, school_code: str | None) -> list[int] | None:
    if school_code is None:
        return None
    school_id = session.scalar(sa.select(School.id).where(School.code == school_code))
    if school_id is None:
        raise UnknownSchool(field="school")
    return [school_id]


def _active_facility_ids(session: Session, school_ids: list[int] | None) -> list[int]:
    query = (
        sa.select(Facility.id)
        .join(School)
        .where(Facility.is_active, School.is_active)
        .order_by(Facility.id)
    )
    if school_ids is not None:
        query = query.where(Facility.school_id.in_(school_ids))
    return list(session.scalars(query))


def _generate_batch(
    session: Session,
    facility_ids: Sequence[int],
    now: datetime,
    days: int | None,
    calendar: DayCalendar,
    dry_run: bool,
    report: GenerationReport,
) -> None:
    facilities = session.scalars(
        sa.select(Facility)
        .where(Facility.id.in_(facility_ids))
        .options(selectinload(Facility.rules), selectinload(Facility.school))
        .order_by(Facility.id)
    ).all()
    policies = policies_for(session, facility_ids)
    plans = []
    for facility in facilities:
        try:
            plan = plan_for(facility, policies[facility.id], now, days)
        except DomainError as error:
            report.failures.append((facility.id, f"{type(error).__name__}: {error}"))
            continue
        if plan is None:
            report.up_to_date += 1
        else:
            plans.append(plan)
    if not plans:
        return
    window_end = max(clock.local_instant(p.last + timedelta(days=1), time(0), p.tz) for p in plans)
    planned_ids = [plan.facility.id for plan in plans]
    closures = _closures(session, planned_ids, now, window_end)
    rows: list[dict[str, Any]] = []
    sent: dict[int, int] = {}  # rows per facility
    done_until: dict[date, list[int]] = {}
    for plan in plans:
        try:
            facility_rows, facility_tally = _facility_rows(plan, now, calendar, closures)
        except Exception as error:  # noqa: BLE001 (one facility must not stop the city)
            report.failures.append((plan.facility.id, f"{type(error).__name__}: {error}"))
            continue
        report.per_school.setdefault(plan.facility.school.code, Tally()).add(facility_tally)
        rows.extend(facility_rows)
        sent[plan.facility.id] = len(facility_rows)
        done_until.setdefault(plan.last, []).append(plan.facility.id)
    # What is already stored (a concurrent run, a change applied earlier) comes
    # back as a conflict: the database, not a prior read, decides what is new.
    created = Counter(sent) if dry_run else insert_slots(session, rows)
    for plan in plans:
        if plan.facility.id in sent:
            tally = report.per_school[plan.facility.school.code]
            tally.created += created[plan.facility.id]
            tally.existing += sent[plan.facility.id] - created[plan.facility.id]
    if not dry_run:
        _raise_watermarks(session, done_until)


def _raise_watermarks(session: Session, done_until: dict[date, list[int]]) -> None:
    """One UPDATE per distinct last day (in a batch, nearly always one)."""
    for last, facility_ids in done_until.items():
        session.execute(
            sa.update(Facility)
            .where(Facility.id.in_(facility_ids))
            .values(slots_generated_until=last)
        )


def plan_for(facility: Facility, policy: Policy, now: datetime, days: int | None) -> Plan | None:
    """The days after the facility's watermark up to its horizon; None when there are none.

    Changes to rules, closures or the calendar go through supply.reconcile, which
    revisits published days; the nightly run only adds the days after the watermark.
    """
    tz = clock.zone(facility.school.timezone)
    today = clock.local_date(now, tz)
    last = today + timedelta(days=days if days is not None else policy.advance_days + 1)
    first = today
    if facility.slots_generated_until is not None:
        first = max(today, facility.slots_generated_until + timedelta(days=1))
    if first > last:
        return None
    return Plan(facility, policy, tz, first, last)


def _facility_rows(
    plan: Plan,
    now: datetime,
    calendar: DayCalendar,
    closures: ClosureIndex,
) -> tuple[list[dict[str, Any]], Tally]:
    facility = plan.facility
    expansion = expand(
        facility.rules,
        first=plan.first,
        last=plan.last,
        tz=plan.tz,
        calendar=calendar,
        closures=closures.of(facility),
        facility_capacity=facility.capacity,
    )
    tally = Tally(closed=expansion.closed, partial_dropped=expansion.dropped_partial)
    release_of_day: dict[date, datetime] = {}
    rows = []
    for candidate in expansion.candidates:
        if candidate.starts_at <= now:
            continue
        opens_at = release_of_day.get(candidate.day)
        if opens_at is None:
            opens_at = release_of_day[candidate.day] = release_at(
                candidate.day, plan.policy, plan.tz
            )
        rows.append(
            {
                "facility_id": facility.id,
                "rule_id": candidate.rule_id,
                "starts_at": candidate.starts_at,
                "ends_at": candidate.ends_at,
                "opens_at": release_of_day[candidate.day],
                "capacity": candidate.capacity,
                "held": 0,
                "created_at": now,
            }
        )
    return rows, tally


def release_at(day: date, policy: Policy, tz: Any) -> datetime:
    return clock.release_instant(day, policy.advance_days, policy.release_time, tz)


@dataclass
class ClosureIndex:
    by_school: dict[int, list[tuple[datetime, datetime]]] = field(default_factory=dict)
    by_facility: dict[int, list[tuple[datetime, datetime]]] = field(default_factory=dict)

    def of(self, facility: Facility) -> list[tuple[datetime, datetime]]:
        return self.by_facility.get(facility.id, []) + self.by_school.get(facility.school_id, [])


def _closures(
    session: Session, facility_ids: Sequence[int], start: datetime, end: datetime
) -> ClosureIndex:
    school_ids = sa.select(Facility.school_id).where(Facility.id.in_(facility_ids))
    rows = session.execute(
        sa.select(Closure.school_id, Closure.facility_id, Closure.starts_at, Closure.ends_at).where(
            Closure.starts_at < end,
            Closure.ends_at > start,
            sa.or_(Closure.facility_id.in_(facility_ids), Closure.school_id.in_(school_ids)),
        )
    )
    index = ClosureIndex()
    for school_id, facility_id, starts_at, ends_at in rows:
        if facility_id is None:
            index.by_school.setdefault(school_id, []).append((starts_at, ends_at))
        else:
            index.by_facility.setdefault(facility_id, []).append((starts_at, ends_at))
    return index


SLOT_COLUMNS = ("facility_id", "rule_id", "starts_at", "ends_at", "opens_at", "capacity")
INSTANT_COLUMNS = ("starts_at", "ends_at", "opens_at")

# PostgreSQL: one statement per chunk, each column sent as one array literal;
# the counts per facility come back instead of a row per slot.
_POSTGRES_INSERT = sa.text(
    """
    WITH inserted AS (
        INSERT INTO slots
            (facility_id, rule_id, starts_at, ends_at, opens_at, capacity, held, created_at)
        SELECT f, r, to_timestamp(s), to_timestamp(e), to_timestamp(o), c, 0, :created_at
        FROM unnest(
            CAST(:facility_id AS integer[]), CAST(:rule_id AS integer[]),
            CAST(:starts_at AS bigint[]), CAST(:ends_at AS bigint[]),
            CAST(:opens_at AS bigint[]), CAST(:capacity AS integer[])
        ) AS t(f, r, s, e, o, c)
        ON CONFLICT (facility_id, starts_at) DO NOTHING
        RETURNING facility_id
    )
    SELECT facility_id, count(*) FROM inserted GROUP BY facility_id
    """
)


def insert_slots(session: Session, rows: list[dict[str, Any]]) -> Counter[int]:
    """Insert `rows`, ignoring any whose (facility, start) exists; returns how
    many were new, per facility (RETURNING: rowcount is not reported for these
    statements by every driver)."""
    created: Counter[int] = Counter()
    if not rows:
        return created
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        for chunk in _chunks(rows, ROWS_PER_INSERT * 5):
            created.update(dict(connection.execute(_POSTGRES_INSERT, _as_arrays(chunk)).all()))
        return created
    table = Slot.__table__
    statement = (
        sqlite.insert(table)
        .on_conflict_do_nothing(index_elements=["facility_id", "starts_at"])
        .returning(table.c.facility_id)
    )
    for chunk in _chunks(rows, ROWS_PER_INSERT):
        created.update(connection.execute(statement, list(chunk)).scalars())
    return created


def _as_arrays(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Each column as a PostgreSQL array literal ({1,2,NULL}); instants as epoch
    seconds (slots start on whole minutes). Far faster to send than lists."""
    arrays: dict[str, Any] = {}
    for name in SLOT_COLUMNS:
        values = [row[name] for row in rows]
        if name in INSTANT_COLUMNS:
            values = [int(moment.timestamp()) for moment in values]
        arrays[name] = "{" + ",".join("NULL" if v is None else str(v) for v in values) + "}"
    arrays["created_at"] = rows[0]["created_at"]
    return arrays


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
