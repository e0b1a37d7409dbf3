"""Local-time arithmetic, in a zone without daylight saving and in one with it."""

from datetime import UTC, date, datetime, time

import pytest

from booking.services import clock

SHANGHAI = clock.zone("Asia/Shanghai")
LONDON = clock.zone("Europe/London")


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_shanghai_release_is_eight_oclock_seven_days_before():
    assert clock.release_instant(date(2026, 12, 1), 7, time(8), SHANGHAI) == utc(2026, 11, 24, 0, 0)


@pytest.mark.parametrize(
    ("slot_day", "release"),
    [
        (date(2024, 3, 30), utc(2024, 3, 23, 8, 0)),  # released in GMT
        (date(2024, 4, 7), utc(2024, 3, 31, 7, 0)),  # released on the change day, in BST
        (date(2024, 11, 2), utc(2024, 10, 26, 7, 0)),  # BST
        (date(2024, 11, 3), utc(2024, 10, 27, 8, 0)),  # GMT again
    ],
)
def test_london_release_follows_daylight_saving(slot_day, release):
    assert clock.release_instant(slot_day, 7, time(8), LONDON) == release


@pytest.mark.parametrize("wall", [time(1, 0), time(1, 30), time(1, 59)])
def test_a_skipped_local_time_is_the_instant_of_the_jump(wall):
    # 01:00-02:00 does not exist in London on 31 March 2024: clocks jump at 01:00 GMT.
    assert clock.local_instant(date(2024, 3, 31), wall, LONDON) == utc(2024, 3, 31, 1, 0)


def test_a_repeated_local_time_is_its_first_occurrence():
    assert clock.local_instant(date(2024, 10, 27), time(1, 30), LONDON) == utc(2024, 10, 27, 0, 30)


def test_an_evening_interval_across_the_change_keeps_its_wall_clock_length():
    start, end = clock.local_interval(date(2024, 3, 31), time(18, 30), time(21), LONDON)
    assert (start, end) == (utc(2024, 3, 31, 17, 30), utc(2024, 3, 31, 20, 0))


def test_local_date_of_a_late_utc_instant_is_the_next_day_in_shanghai():
    assert clock.local_date(utc(2026, 11, 24, 17, 0), SHANGHAI) == date(2026, 11, 25)


def test_days_and_week_start():
    assert clock.days(date(2026, 11, 29), date(2026, 12, 1)) == [
        date(2026, 11, 29),
        date(2026, 11, 30),
        date(2026, 12, 1),
    ]
    assert clock.week_start(date(2026, 11, 29)) == date(2026, 11, 23)


def test_unknown_timezone_is_refused():
    with pytest.raises(clock.UnknownTimezone):
        clock.zone("Mars/Olympus_Mons")


def test_offset_spans_cut_where_the_zone_changes_its_offset():
    new_york = clock.zone("America/New_York")
    start = datetime(2026, 10, 31, 4, tzinfo=UTC)  # midnight, daylight time
    end = datetime(2026, 11, 2, 5, tzinfo=UTC)  # midnight, standard time
    change = datetime(2026, 11, 1, 6, tzinfo=UTC)  # 02:00 daylight time becomes 01:00
    assert clock.offset_spans(start, end, new_york) == [
        (start, change, -4 * 3600),
        (change, end, -5 * 3600),
    ]
    kathmandu = clock.zone("Asia/Kathmandu")
    assert clock.offset_spans(start, end, kathmandu) == [(start, end, 5 * 3600 + 45 * 60)]
