"""Publishing slots: from opening rules, closures and the calendar to stored slots.

Generation is idempotent and safe to run twice at once: rows are inserted in
batches with the dialect's insert-or-ignore on the unique (facility, start),
and what already exists is skipped before it is even sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from booking.models import Closure, Facility, School, Slot
from booking.services import clock
from booking.services.calendar import DayCalendar, load_calendar
from booking.services.errors import NotFound, ValidationFailed
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
            "created": total.created,
            "existing": total.existing,
            "closed": total.closed,
            "partial_dropped": total.partial_dropped,
            "failures": len(self.failures),
        }


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
    window_end = now + timedelta(days=(days or max(p.advance_days for p in policies.values())) + 2)
    closures = _closures(session, facility_ids, now, window_end)
    existing = _existing_starts(session, facility_ids, now, window_end)
    rows: list[dict[str, Any]] = []
    pending: list[tuple[Tally, int]] = []  # rows of each tally, in insertion order
    for facility in facilities:
        tally = report.per_school.setdefault(facility.school.code, Tally())
        try:
            facility_rows, facility_tally = _facility_rows(
                facility, policies[facility.id], now, days, calendar, closures, existing
            )
        except Exception as error:  # noqa: BLE001 (one facility must not stop the city)
            report.failures.append((facility.id, f"{type(error).__name__}: {error}"))
            continue
        tally.add(facility_tally)
        rows.extend(facility_rows)
        pending.append((tally, len(facility_rows)))
    for tally, count in pending:
        tally.created += count
    if not dry_run:
        # Rows a concurrent run inserted first come back as conflicts: they existed.
        _move_to_existing(pending, len(rows) - insert_slots(session, rows))


def _move_to_existing(pending: list[tuple[Tally, int]], skipped: int) -> None:
    """Conflicts cannot be traced to a school cheaply; charge them to the last tallies."""
    for tally, count in reversed(pending):
        if skipped == 0:
            return
        moved = min(count, skipped, tally.created)
        tally.created -= moved
        tally.existing += moved
        skipped -= moved


def _facility_rows(
    facility: Facility,
    policy: Policy,
    now: datetime,
    days: int | None,
    calendar: DayCalendar,
    closures: ClosureIndex,
    existing: set[tuple[int, datetime]],
) -> tuple[list[dict[str, Any]], Tally]:
    tz = clock.zone(facility.school.timezone)
    today = clock.local_date(now, tz)
    horizon = days if days is not None else policy.advance_days + 1
    facility_closures = closures.of(facility)
    expansion = expand(
        facility.rules,
        first=today,
        last=today + timedelta(days=horizon),
        tz=tz,
        calendar=calendar,
        closures=facility_closures,
        facility_capacity=facility.capacity,
    )
    tally = Tally(closed=expansion.closed, partial_dropped=expansion.dropped_partial)
    rows = []
    for candidate in expansion.candidates:
        if candidate.starts_at <= now:
            continue
        if (facility.id, candidate.starts_at) in existing:
            tally.existing += 1
            continue
        rows.append(
            {
                "facility_id": facility.id,
                "rule_id": candidate.rule_id,
                "starts_at": candidate.starts_at,
                "ends_at": candidate.ends_at,
                "opens_at": release_at(candidate.day, policy, tz),
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


def _existing_starts(
    session: Session, facility_ids: Sequence[int], start: datetime, end: datetime
) -> set[tuple[int, datetime]]:
    rows = session.execute(
        sa.select(Slot.facility_id, Slot.starts_at).where(
            Slot.facility_id.in_(facility_ids), Slot.starts_at > start, Slot.starts_at < end
        )
    )
    return {(facility_id, starts_at) for facility_id, starts_at in rows}


def insert_slots(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert `rows`, ignoring any whose (facility, start) exists; returns how many were new."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    created = 0
    for chunk in _chunks(rows, ROWS_PER_INSERT):
        statement = (
            insert(Slot)
            .values(chunk)
            .on_conflict_do_nothing(index_elements=["facility_id", "starts_at"])
            .returning(Slot.id)  # rowcount is not reported for this statement by every driver
        )
        created += len(session.execute(statement).all())
    return created


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
