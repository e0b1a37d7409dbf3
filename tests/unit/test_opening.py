"""Expanding opening rules into slots: examples, then properties (Hypothesis)."""

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from booking.models import DayType, OpeningRule
from booking.services import clock
from booking.services.calendar import DayCalendar
from booking.services.opening import expand, overlaps

SHANGHAI = clock.zone("Asia/Shanghai")
EVERY_DAY = 0b1111111


def make_rule(start, end, minutes, day_type=DayType.ALL_DAYS, weekdays=EVERY_DAY, **dates):
    return OpeningRule(
        valid_from=dates.get("valid_from", date(2026, 1, 1)),
        valid_until=dates.get("valid_until", date(2027, 12, 31)),
        weekdays=weekdays,
        day_type=day_type,
        start_time=start,
        end_time=end,
        slot_minutes=minutes,
    )


def local_starts(expansion, tz=SHANGHAI):
    return [
        (c.starts_at.astimezone(tz).date(), c.starts_at.astimezone(tz).strftime("%H:%M"))
        for c in expansion.candidates
    ]


def expand_simple(rules, first, last, calendar=None, closures=(), tz=SHANGHAI):
    return expand(
        rules,
        first=first,
        last=last,
        tz=tz,
        calendar=calendar or DayCalendar(),
        closures=list(closures),
        facility_capacity=10,
    )


EVENINGS = make_rule(time(18, 30), time(21), 150, DayType.SCHOOL_DAYS)
WEEKEND_MORNING = make_rule(time(9), time(12), 180, DayType.NON_SCHOOL_DAYS)
WEEKEND_AFTERNOON = make_rule(time(14), time(18), 120, DayType.NON_SCHOOL_DAYS)
TWO_RULES = [EVENINGS, WEEKEND_MORNING, WEEKEND_AFTERNOON]


def test_school_days_get_evenings_and_weekends_get_day_sessions():
    # Friday 27 and Saturday 28 November 2026
    result = expand_simple(TWO_RULES, date(2026, 11, 27), date(2026, 11, 28))
    assert local_starts(result) == [
        (date(2026, 11, 27), "18:30"),
        (date(2026, 11, 28), "09:00"),
        (date(2026, 11, 28), "14:00"),
        (date(2026, 11, 28), "16:00"),
    ]


def test_a_makeup_working_saturday_gets_the_school_day_hours():
    calendar = DayCalendar(makeup_workdays={date(2026, 10, 10)})
    result = expand_simple(TWO_RULES, date(2026, 10, 10), date(2026, 10, 10), calendar)
    assert local_starts(result) == [(date(2026, 10, 10), "18:30")]


def test_holidays_and_vacations_get_the_non_school_hours():
    calendar = DayCalendar(holidays={date(2026, 10, 1)}, vacation_days={date(2026, 7, 15)})
    for day in (date(2026, 10, 1), date(2026, 7, 15)):  # a Thursday and a Wednesday
        result = expand_simple(TWO_RULES, day, day, calendar)
        assert [hour for _, hour in local_starts(result)] == ["09:00", "14:00", "16:00"]


def test_a_closure_removes_the_slots_it_touches():
    day = date(2026, 11, 28)
    closed_from = clock.local_instant(day, time(15), SHANGHAI)
    closed_to = clock.local_instant(day, time(15, 30), SHANGHAI)
    result = expand_simple(TWO_RULES, day, day, closures=[(closed_from, closed_to)])
    assert [hour for _, hour in local_starts(result)] == ["09:00", "16:00"]
    assert result.closed == 1


def test_a_partial_last_slot_is_dropped_and_counted():
    result = expand_simple(
        [make_rule(time(9), time(12), 120)], date(2026, 11, 28), date(2026, 11, 29)
    )
    assert len(result.candidates) == 2
    assert result.dropped_partial == 2


def test_rules_apply_only_within_their_dates_and_weekdays():
    summer = make_rule(
        time(9), time(10), 60, valid_from=date(2026, 7, 1), valid_until=date(2026, 8, 31)
    )
    mondays = make_rule(time(20), time(21), 60, weekdays=0b0000001)
    result = expand_simple([summer, mondays], date(2026, 8, 30), date(2026, 9, 1))
    assert local_starts(result) == [
        (date(2026, 8, 30), "09:00"),
        (date(2026, 8, 31), "09:00"),
        (date(2026, 8, 31), "20:00"),
    ]


def test_a_night_window_across_the_spring_change_keeps_whole_slots():
    london = clock.zone("Europe/London")
    rule = make_rule(time(0), time(3), 60, valid_from=date(2024, 1, 1))
    result = expand_simple([rule], date(2024, 3, 31), date(2024, 3, 31), tz=london)
    # 00:00-03:00 local lasts two hours that night: 00:00-01:00 GMT and 02:00-03:00 BST
    assert [(c.starts_at.hour, c.ends_at.hour) for c in result.candidates] == [(0, 1), (1, 2)]
    inside_the_gap = make_rule(time(1, 0), time(1, 45), 15, valid_from=date(2024, 1, 1))
    assert (
        expand_simple([inside_the_gap], date(2024, 3, 31), date(2024, 3, 31), tz=london).candidates
        == []
    )


def test_slots_in_london_keep_local_hours_across_the_change():
    london = clock.zone("Europe/London")
    rule = make_rule(time(18), time(19), 60, valid_from=date(2024, 1, 1))
    result = expand_simple([rule], date(2024, 3, 30), date(2024, 3, 31), tz=london)
    assert [c.starts_at for c in result.candidates] == [
        datetime(2024, 3, 30, 18, tzinfo=UTC),
        datetime(2024, 3, 31, 17, tzinfo=UTC),
    ]


# Properties -----------------------------------------------------------------

ZONES = ["Asia/Shanghai", "Europe/London"]


@st.composite
def disjoint_rules(draw):
    """Rules whose windows do not overlap: cut the day at sorted points."""
    cuts = sorted(draw(st.sets(st.integers(0, 24 * 4), min_size=2, max_size=8)))
    rules = []
    for start, end in zip(cuts[::2], cuts[1::2], strict=False):
        if end <= start:
            continue
        start_minutes, end_minutes = start * 15, min(end * 15, 24 * 60 - 1)
        if end_minutes <= start_minutes:
            continue
        rules.append(
            make_rule(
                time(start_minutes // 60, start_minutes % 60),
                time(end_minutes // 60, end_minutes % 60),
                draw(st.sampled_from([15, 30, 45, 60, 90, 120, 150, 240])),
                draw(st.sampled_from(list(DayType))),
                draw(st.integers(1, EVERY_DAY)),
                valid_from=date(2024, 1, 1) + timedelta(days=draw(st.integers(0, 120))),
                valid_until=date(2024, 3, 1) + timedelta(days=draw(st.integers(0, 300))),
            )
        )
    return rules


days_in_2024 = st.dates(min_value=date(2024, 1, 1), max_value=date(2024, 12, 31))


@st.composite
def scenarios(draw):
    tz = clock.zone(draw(st.sampled_from(ZONES)))
    first = draw(days_in_2024)
    last = first + timedelta(days=draw(st.integers(0, 20)))
    calendar = DayCalendar(
        holidays=draw(st.sets(days_in_2024, max_size=20)),
        makeup_workdays=draw(st.sets(days_in_2024, max_size=5)),
        vacation_days=draw(st.sets(days_in_2024, max_size=40)),
    )
    closures = []
    for _ in range(draw(st.integers(0, 4))):
        start = clock.local_instant(
            draw(st.dates(min_value=first, max_value=last)), time(draw(st.integers(0, 23))), tz
        )
        closures.append((start, start + timedelta(minutes=draw(st.integers(15, 60 * 30)))))
    return draw(disjoint_rules()), first, last, tz, calendar, closures


def is_school_day_reference(day, calendar):
    """Written out again, independently of DayCalendar, for the reference count."""
    if day in calendar.holidays:
        return False
    working = day.isoweekday() <= 5 or day in calendar.makeup_workdays
    return working and day not in calendar.vacation_days


def reference_slots(rules, first, last, tz, calendar, closures):
    """Brute force: walk each applicable day and window slot by slot."""
    found = set()
    day = first
    while day <= last:
        school_day = is_school_day_reference(day, calendar)
        for rule in rules:
            if not (rule.valid_from <= day <= rule.valid_until):
                continue
            if not (rule.weekdays >> day.weekday()) & 1:
                continue
            if rule.day_type == DayType.SCHOOL_DAYS and not school_day:
                continue
            if rule.day_type == DayType.NON_SCHOOL_DAYS and school_day:
                continue
            # real minutes from the window's first instant to its last
            opens = clock.local_instant(day, rule.start_time, tz)
            closes = clock.local_instant(day, rule.end_time, tz)
            length = int((closes - opens).total_seconds() // 60)
            minute = 0
            while minute + rule.slot_minutes <= length:
                start = opens + timedelta(minutes=minute)
                stop = start + timedelta(minutes=rule.slot_minutes)
                if not any(start < c_end and c_start < stop for c_start, c_end in closures):
                    found.add(start)
                minute += rule.slot_minutes
        day += timedelta(days=1)
    return found


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_generated_slots_match_the_rules(scenario):
    rules, first, last, tz, calendar, closures = scenario
    result = expand(
        rules,
        first=first,
        last=last,
        tz=tz,
        calendar=calendar,
        closures=closures,
        facility_capacity=5,
    )
    slots = result.candidates

    # every slot lies inside a window of a rule that applies on its day
    for slot in slots:
        local_start = slot.starts_at.astimezone(tz)
        assert first <= slot.day <= last
        assert any(
            r.start_time <= local_start.time() < r.end_time or slot.day != local_start.date()
            for r in rules
        )
        # and outside every closure
        assert not any(overlaps(slot.starts_at, slot.ends_at, a, b) for a, b in closures)

    # no two slots overlap
    ordered = sorted(slots, key=lambda s: s.starts_at)
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        assert earlier.ends_at <= later.starts_at

    # expanding again gives the same slots
    again = expand(
        rules,
        first=first,
        last=last,
        tz=tz,
        calendar=calendar,
        closures=closures,
        facility_capacity=5,
    )
    assert again.candidates == slots

    # and the count matches the brute-force reference
    assert {s.starts_at for s in slots} == reference_slots(
        rules, first, last, tz, calendar, closures
    )
