"""Opening rules as people read them; (with "Opening rules") the pure
expansion of rules and closures into intervals."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, time

from booking.models import DayType, OpeningRule


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
