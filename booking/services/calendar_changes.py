"""Changing the district calendar and applying it to the published slots:
one path for the `calendar add` command and the district's calendar page.

A vacation or holiday turns school days into other days, so opening rules
give other slots; reconcile() adds, removes and cancels accordingly, and
with dry_run only reports it (the caller rolls back).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from booking import labels
from booking.models import CalendarPeriod, DayKind, Facility, School, User
from booking.services import audit, calendar
from booking.services.errors import Conflict
from booking.services.supply import ReconcileReport, reconcile


class PeriodTaken(Conflict):
    code = "period_taken"
    default_message = _l("A period of this kind already starts on that day.")


def _active_facility_ids(session: Session) -> list[int]:
    return list(
        session.scalars(
            sa.select(Facility.id)
            .join(School, Facility.school_id == School.id)
            .where(Facility.is_active, School.is_active)
        )
    )


def _apply(
    session: Session, name: str, actor: User | None, now: datetime, dry_run: bool
) -> ReconcileReport:
    return reconcile(
        session,
        _active_facility_ids(session),
        now=now,
        reason=lambda: labels.stored_reason("calendar_changed", name or ""),
        actor=actor,
        dry_run=dry_run,
    )


def _details(period: CalendarPeriod) -> dict[str, object]:
    return {
        "kind": str(period.kind),
        "first_day": period.first_day.isoformat(),
        "last_day": period.last_day.isoformat(),
        "name": period.name,
    }


def _taken(session: Session, kind: DayKind, first_day: date, other_id: int | None) -> bool:
    query = sa.select(CalendarPeriod.id).where(
        CalendarPeriod.kind == kind, CalendarPeriod.first_day == first_day
    )
    if other_id is not None:
        query = query.where(CalendarPeriod.id != other_id)
    return session.scalar(query) is not None


def add_calendar_period(
    session: Session,
    kind: DayKind,
    first_day: date,
    last_day: date,
    name: str,
    *,
    actor: User | None,
    now: datetime,
    dry_run: bool,
) -> ReconcileReport:
    """Add a period and apply it to published slots. Raises InvalidPeriod, PeriodTaken."""
    if _taken(session, kind, first_day, None):
        raise PeriodTaken(field="first_day")
    period = calendar.add_period(session, kind, first_day, last_day, name)
    audit.record(
        session,
        actor=actor,
        action="calendar.add",
        target_type="calendar_period",
        target_id=period.id,
        school_id=None,
        now=now,
        details=_details(period),
    )
    return _apply(session, name, actor, now, dry_run)


def change_calendar_period(
    session: Session,
    period: CalendarPeriod,
    kind: DayKind,
    first_day: date,
    last_day: date,
    name: str,
    *,
    actor: User | None,
    now: datetime,
    dry_run: bool,
) -> ReconcileReport:
    """Edit a period and apply it. Raises InvalidPeriod, PeriodTaken."""
    if last_day < first_day:
        raise calendar.InvalidPeriod(field="last_day")
    if _taken(session, kind, first_day, period.id):
        raise PeriodTaken(field="first_day")
    before = _details(period)
    period.kind, period.first_day, period.last_day, period.name = kind, first_day, last_day, name
    period.source = "manual"
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="calendar.change",
        target_type="calendar_period",
        target_id=period.id,
        school_id=None,
        now=now,
        details={"before": before, "after": _details(period)},
    )
    return _apply(session, name, actor, now, dry_run)


def remove_calendar_period(
    session: Session, period: CalendarPeriod, *, actor: User | None, now: datetime, dry_run: bool
) -> ReconcileReport:
    """Remove a period and apply it."""
    audit.record(
        session,
        actor=actor,
        action="calendar.remove",
        target_type="calendar_period",
        target_id=period.id,
        school_id=None,
        now=now,
        details=_details(period),
    )
    name = period.name
    session.delete(period)
    session.flush()
    return _apply(session, name, actor, now, dry_run)


def import_year(session: Session, year: int, *, actor: User | None, now: datetime) -> int:
    """Import the year's official holidays and make-up days from the package
    (what is recorded already stays). Returns how many periods were added."""
    added = calendar.import_official_holidays(session, [year])
    audit.record(
        session,
        actor=actor,
        action="calendar.import",
        target_type="calendar_year",
        target_id=year,
        school_id=None,
        now=now,
        details={"added": added},
    )
    return added
