"""All local-time arithmetic: school zones, wall-clock times, release instants.

Instants are aware UTC datetimes everywhere else; only this module turns a
date and a wall-clock time in a school's zone into an instant, or back.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_babel import lazy_gettext as _l

from booking.services.errors import ValidationFailed


class UnknownTimezone(ValidationFailed):
    code = "unknown_timezone"
    default_message = _l("Unknown timezone.")


def utcnow() -> datetime:
    return datetime.now(UTC)


def zone(name: str) -> ZoneInfo:
    """The zone called `name`. Raises UnknownTimezone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise UnknownTimezone(field="timezone") from exc


def is_known_timezone(name: str) -> bool:
    return name in available_timezones()


def local_instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock `wall` on `day` in `tz`.

    A time that happens twice (clocks turned back) is its first occurrence. A
    time that never happens (skipped when clocks jump forward) is the instant
    of the jump, so a window in the gap is empty and one across it is shorter.
    """
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if _wall(first, tz) == naive:
        return first
    # In a gap: fold=1 lands before the jump and fold=0 after it; find the jump.
    before, after = naive.replace(tzinfo=tz, fold=1).astimezone(UTC), first
    while after - before > timedelta(minutes=1):
        middle = before + (after - before) / 2
        middle = middle.replace(second=0, microsecond=0)
        if middle <= before:
            break
        if _wall(middle, tz) > naive:
            after = middle
        else:
            before = middle
    return after


def _wall(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


@lru_cache(maxsize=65536)  # a city's facilities share a few dozen wall-clock windows a day
def local_interval(day: date, start: time, end: time, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return local_instant(day, start, tz), local_instant(day, end, tz)


def to_local(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz)


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()


def offset_spans(
    start: datetime, end: datetime, tz: ZoneInfo
) -> list[tuple[datetime, datetime, int]]:
    """The instants from `start` to `end` cut where `tz` changes its UTC offset:
    (from, to, offset in seconds), so that within each local time is UTC plus
    a constant, which SQL can add on every engine."""
    spans = []
    low, offset = start, _offset(start, tz)
    probe = start
    while probe < end:
        step = min(probe + timedelta(hours=1), end)  # zones change at most twice a year
        if _offset(step, tz) != offset:
            change = _first_change(probe, step, offset, tz)
            spans.append((low, change, offset))
            low, offset = change, _offset(change, tz)
        probe = step
    spans.append((low, end, offset))
    return [span for span in spans if span[0] < span[1]]


def _offset(instant: datetime, tz: ZoneInfo) -> int:
    return int(instant.astimezone(tz).utcoffset().total_seconds())  # type: ignore[union-attr]


def _first_change(before: datetime, after: datetime, offset: int, tz: ZoneInfo) -> datetime:
    """The first whole second after `before` (offset `offset`) and at or
    before `after` (another offset) that has the new offset."""
    while after - before > timedelta(seconds=1):
        middle = before + timedelta(seconds=(after - before).total_seconds() // 2)
        if _offset(middle, tz) == offset:
            before = middle
        else:
            after = middle
    return after


@lru_cache(maxsize=4096)
def release_instant(
    slot_day: date, advance_days: int, release_time: time, tz: ZoneInfo
) -> datetime:
    """The slot on local day D opens at `release_time` on D - `advance_days`."""
    return local_instant(slot_day - timedelta(days=advance_days), release_time, tz)


def days(first: date, last: date) -> list[date]:
    """Every date from `first` to `last`, both included."""
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


NEAR_YEARS = 5  # how far from today a date typed into a page or a query may lie


def is_near(day: date, today: date, years: int = NEAR_YEARS) -> bool:
    """Whether `day` lies at most `years` calendar years before or after `today`:
    far enough for any real use, near enough that every instant on it exists
    (year 1 and 9999 have local days whose UTC instants do not)."""
    return abs(day.year - today.year) <= years
