"""Opening rules as people read them; (with "Opening rules") the pure
expansion of rules and closures into intervals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from booking.models import DayType, OpeningRule
from booking.services import clock
from booking.services.calendar import DayCalendar


@dataclass
class HoursLine:
    """Rules that share days and dates, with their time windows in order."""

    day_type: DayType
    weekdays: int
    valid_from: date
    valid_until: date
    windows: list[tuple[time, time]] = field(default_factory=list)
    slot_minutes: set[int] = field(default_factory=set)


def summarise_rules(rules: Iterable[OpeningRule], today: date) -> list[HoursLine]:
    """Group the rules still in force on or after `today` for a readable summary."""
    lines: dict[tuple[DayType, int, date, date], HoursLine] = {}
    for rule in sorted(rules, key=lambda r: (r.valid_from, r.day_type, r.start_time)):
        if rule.valid_until < today:
            continue
        key = (rule.day_type, rule.weekdays, rule.valid_from, rule.valid_until)
        line = lines.setdefault(key, HoursLine(*key))
        line.windows.append((rule.start_time, rule.end_time))
        line.slot_minutes.add(rule.slot_minutes)
    for line in lines.values():
        line.windows.sort()
    return list(lines.values())


class SlotCandidate(NamedTuple):
    """A slot an opening rule asks for, before it is stored."""

    rule_id: int | None
    day: date  # the local day the slot is on
    starts_at: datetime
    ends_at: datetime
    capacity: int


@dataclass
class Expansion:
    candidates: list[SlotCandidate] = field(default_factory=list)
    closed: int = 0  # slots a closure removed
    dropped_partial: int = 0  # a window's last piece shorter than the slot length
    # The rules' opening windows as instants, closures not taken out: what a
    # booked slot of an earlier grid must lie within to be kept.
    windows: list[tuple[datetime, datetime]] = field(default_factory=list)


def overlaps(start: datetime, end: datetime, other_start: datetime, other_end: datetime) -> bool:
    """Half-open intervals [start, end) and [other_start, other_end) share an instant."""
    return start < other_end and other_start < end


class RuleSpec(NamedTuple):
    id: int | None
    valid_from: date
    valid_until: date
    weekdays: int
    day_type: DayType
    start_time: time
    end_time: time
    step: timedelta
    capacity: int | None

    @classmethod
    def of(cls, rule: OpeningRule) -> RuleSpec:
        return cls(
            rule.id,
            rule.valid_from,
            rule.valid_until,
            rule.weekdays,
            rule.day_type,
            rule.start_time,
            rule.end_time,
            timedelta(minutes=rule.slot_minutes),
            rule.capacity,
        )


def rule_applies(rule: OpeningRule | RuleSpec, day: date, calendar: DayCalendar) -> bool:
    if not (rule.valid_from <= day <= rule.valid_until):
        return False
    if not rule.weekdays & (1 << day.weekday()):
        return False
    if rule.day_type == DayType.ALL_DAYS:
        return True
    return calendar.is_school_day(day) == (rule.day_type == DayType.SCHOOL_DAYS)


def expand(
    rules: Iterable[OpeningRule],
    *,
    first: date,
    last: date,
    tz: ZoneInfo,
    calendar: DayCalendar,
    closures: Sequence[tuple[datetime, datetime]],
    facility_capacity: int,
) -> Expansion:
    """The slots the rules ask for from `first` to `last` (local days, both
    included), minus those a closure touches. Rules are a union: where two
    ask for the same start, the first one wins. A window's last piece shorter
    than the slot length is dropped (and counted)."""
    result = Expansion()
    seen: set[datetime] = set()
    # Plain values: reading ORM attributes in the inner loop costs more than the loop.
    specs = [RuleSpec.of(rule) for rule in rules]
    for day in clock.days(first, last):
        for rule in specs:
            if not rule_applies(rule, day, calendar):
                continue
            step = rule.step
            # Step through real time from the window's first instant, so a
            # window across a daylight-saving change keeps whole, disjoint slots.
            window_start, window_end = clock.local_interval(day, rule.start_time, rule.end_time, tz)
            result.windows.append((window_start, window_end))
            count, leftover = divmod(window_end - window_start, step)
            result.dropped_partial += int(leftover > timedelta(0))
            for index in range(count):
                starts_at = window_start + index * step
                ends_at = starts_at + step
                if starts_at in seen:
                    continue
                if any(overlaps(starts_at, ends_at, c_start, c_end) for c_start, c_end in closures):
                    result.closed += 1
                    continue
                seen.add(starts_at)
                result.candidates.append(
                    SlotCandidate(
                        rule.id, day, starts_at, ends_at, rule.capacity or facility_capacity
                    )
                )
    return result


def merge_windows(windows: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """The union of half-open intervals, as disjoint ones in order: two rules
    that meet (08:00-12:00 and 12:00-18:00) open one stretch of time."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def is_within(start: datetime, end: datetime, windows: Sequence[tuple[datetime, datetime]]) -> bool:
    """[start, end) lies inside one of the disjoint, merged `windows`."""
    return any(w_start <= start and end <= w_end for w_start, w_end in windows)
