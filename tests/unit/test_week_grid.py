"""The week grid's arithmetic: rows of half hours, times rounded to the nearest
row, lanes for times that overlap, the day a phone lists first."""

from datetime import date, datetime, time, timedelta

import pytest

from booking.services.availability import DayView, PlannedSlot, SlotRow, SlotState, SlotView
from booking.services.clock import local_instant, zone
from booking.web.public.week import chosen_day, week_grid

TZ = zone("Asia/Shanghai")
MONDAY = date(2026, 12, 14)


def at(day: int, clock: time) -> datetime:
    return local_instant(MONDAY + timedelta(days=day), clock, TZ)


def view(slot_id: int, day: int, start: time, end: datetime | time, state=SlotState.OPEN):
    ends_at = end if isinstance(end, datetime) else at(day, end)
    row = SlotRow(slot_id, at(day, start), ends_at, at(-7, time(8)), 10, 0, None, None)
    return SlotView(row, state)


def week(**slots_by_day: list[SlotView]) -> list[DayView]:
    names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    return [
        DayView(MONDAY + timedelta(days=n), slots_by_day.get(name, []))
        for n, name in enumerate(names)
    ]


def placed(grid):
    """(row label, rowspan) of each time, by slot id or planned start."""
    found = {}
    for row in grid.rows:
        for cell in row.cells:
            if cell.item is not None:
                key = cell.item.view.slot.id if cell.item.view else cell.item.starts_at
                found[key] = (row.label, cell.rowspan)
    return found


@pytest.mark.parametrize(
    ("start", "end", "row", "rows"),
    [
        (time(10, 10), time(11), "10:00", 2),
        (time(10, 15), time(11), "10:30", 1),  # a quarter past is nearer the half hour
        (time(10, 20), time(10, 25), "10:30", 1),  # shorter than a row: still one row
        (time(9, 50), time(12, 40), "10:00", 5),
    ],
)
def test_a_time_off_the_half_hour_goes_to_the_nearest_rows(start, end, row, rows):
    grid = week_grid(week(tue=[view(1, 1, start, end)]), {}, TZ)
    assert placed(grid)[1] == (row, rows)
    assert grid.rows[0].label == row
    assert len(grid.rows) == rows


def test_a_time_past_midnight_ends_with_its_day_and_the_rows_cover_the_week():
    late = view(1, 2, time(22), at(3, time(1)))
    early = view(2, 4, time(7), time(8))
    grid = week_grid(week(wed=[late], fri=[early]), {}, TZ)
    assert placed(grid) == {1: ("22:00", 4), 2: ("07:00", 2)}
    assert (grid.rows[0].label, grid.rows[-1].label) == ("07:00", "23:30")
    # the five empty days each fill their column with one cell
    closed = [cell for cell in grid.rows[0].cells if cell.closed_day]
    assert [cell.rowspan for cell in closed] == [len(grid.rows)] * 5


def test_overlapping_times_go_side_by_side_and_the_next_one_reuses_a_lane():
    grid = week_grid(
        week(
            sat=[
                view(1, 5, time(8), time(12)),
                view(2, 5, time(8, 30), time(12)),
                view(3, 5, time(12), time(13)),
            ]
        ),
        {},
        TZ,
    )
    saturday = grid.column(MONDAY + timedelta(days=5))
    assert saturday.lanes == 2

    def saturday_cells(label):
        row = next(row for row in grid.rows if row.label == label)
        return [c.item.view.slot.id if c.item else None for c in row.cells if not c.closed_day]

    assert saturday_cells("08:00") == [1, None]  # the second lane is empty until 08:30
    assert saturday_cells("08:30") == [2]  # the first lane is taken by 1
    assert saturday_cells("12:00") == [3, None]  # 1 has ended: its lane is free again


def test_planned_times_fill_a_day_without_slots_and_only_open_ones_count_as_free():
    planned = {MONDAY: [PlannedSlot(at(0, time(18, 30)), at(0, time(21)), at(-7, time(8)))]}
    days = week(
        tue=[view(1, 1, time(9), time(10)), view(2, 1, time(10), time(11), SlotState.FULL)],
        wed=[view(3, 2, time(9), time(10))],
    )
    grid = week_grid(days, planned, TZ, booked={3})
    mon, tue, wed = grid.columns[:3]
    assert (mon.free, mon.opens_later) == (0, True)
    assert (tue.free, tue.opens_later) == (1, False)
    assert wed.free == 0  # booked by the reader already
    assert placed(grid)[planned[MONDAY][0].starts_at] == ("18:30", 5)


def test_the_phone_lists_the_asked_day_then_today_then_the_first_free_day():
    grid = week_grid(
        week(
            wed=[view(1, 2, time(9), time(10), SlotState.FULL)], fri=[view(2, 4, time(9), time(10))]
        ),
        {},
        TZ,
    )
    thursday, friday = MONDAY + timedelta(days=3), MONDAY + timedelta(days=4)
    assert chosen_day(grid, thursday, MONDAY) == thursday
    assert chosen_day(grid, None, MONDAY + timedelta(days=1)) == MONDAY + timedelta(days=1)
    assert chosen_day(grid, MONDAY + timedelta(days=30), MONDAY - timedelta(days=3)) == friday
    nothing_free = week_grid(week(wed=[view(1, 2, time(9), time(10), SlotState.FULL)]), {}, TZ)
    assert chosen_day(nothing_free, None, MONDAY - timedelta(days=3)) == MONDAY + timedelta(days=2)
    assert chosen_day(week_grid(week(), {}, TZ), None, MONDAY - timedelta(days=3)) == MONDAY
