"""The district's day calendar: which days are school days.

A school day is a working day (Monday to Friday, or a make-up working day)
that is neither a public holiday nor inside a school vacation. Official
holidays come from the `chinesecalendar` package; vacations, exam weeks and
next year's arrangements (announced each November or December) are edited
by the district.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import groupby

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from booking.models import CalendarPeriod, DayKind
from booking.services.errors import ValidationFailed


class InvalidPeriod(ValidationFailed):
    code = "invalid_period"
    default_message = _l("The last day of a period cannot be before its first day.")


@dataclass
class DayCalendar:
    """The kinds of each day over a range, for fast lookups while generating."""

    holidays: set[date] = field(default_factory=set)
    makeup_workdays: set[date] = field(default_factory=set)
    vacation_days: set[date] = field(default_factory=set)
    exam_days: set[date] = field(default_factory=set)

    @classmethod
    def from_periods(cls, periods: Iterable[CalendarPeriod]) -> DayCalendar:
        calendar = cls()
        target = {
            DayKind.PUBLIC_HOLIDAY: calendar.holidays,
            DayKind.MAKEUP_WORKDAY: calendar.makeup_workdays,
            DayKind.VACATION: calendar.vacation_days,
            DayKind.EXAM_WEEK: calendar.exam_days,
        }
        for period in periods:
            day = period.first_day
            while day <= period.last_day:
                target[period.kind].add(day)
                day += timedelta(days=1)
        return calendar

    def is_working_day(self, day: date) -> bool:
        if day in self.holidays:
            return False
        return day.weekday() < 5 or day in self.makeup_workdays

    def is_school_day(self, day: date) -> bool:
        return self.is_working_day(day) and day not in self.vacation_days


def load_calendar(session: Session, first: date, last: date) -> DayCalendar:
    periods = session.scalars(
        sa.select(CalendarPeriod).where(
            CalendarPeriod.first_day <= last, CalendarPeriod.last_day >= first
        )
    )
    return DayCalendar.from_periods(periods)


def add_period(
    session: Session,
    kind: DayKind,
    first_day: date,
    last_day: date,
    name: str,
    source: str = "manual",
) -> CalendarPeriod:
    """Record a period of days. Raises InvalidPeriod."""
    if last_day < first_day:
        raise InvalidPeriod(field="last_day")
    period = CalendarPeriod(
        kind=kind, first_day=first_day, last_day=last_day, name=name, source=source
    )
    session.add(period)
    session.flush()
    return period


def official_periods(years: Iterable[int]) -> list[tuple[DayKind, date, date, str]]:
    """China's public holidays and make-up working days for `years`, as runs of days,
    from the chinesecalendar package (empty for years it does not know yet)."""
    import chinese_calendar

    wanted = set(years)
    holidays = sorted(d for d in chinese_calendar.holidays if d.year in wanted)
    makeups = sorted(d for d in chinese_calendar.workdays if d.year in wanted and d.weekday() >= 5)
    periods = []
    for kind, days, names in (
        (DayKind.PUBLIC_HOLIDAY, holidays, chinese_calendar.holidays),
        (DayKind.MAKEUP_WORKDAY, makeups, chinese_calendar.workdays),
    ):
        for first, last in runs(days):
            periods.append((kind, first, last, str(names.get(first) or "")))
    return periods


def runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive runs in sorted `days`, as (first, last)."""
    result = []
    for _, group in groupby(enumerate(days), key=lambda pair: pair[1] - timedelta(days=pair[0])):
        members = [day for _, day in group]
        result.append((members[0], members[-1]))
    return result


def import_official_holidays(session: Session, years: Iterable[int]) -> int:
    """Add the official arrangements not yet recorded; returns how many periods were added."""
    existing = set(session.execute(sa.select(CalendarPeriod.kind, CalendarPeriod.first_day)))
    added = 0
    for kind, first, last, name in official_periods(years):
        if (kind, first) in existing:
            continue
        add_period(session, kind, first, last, name, source="package")
        added += 1
    return added
