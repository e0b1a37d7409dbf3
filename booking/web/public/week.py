"""A facility's week as the page lays it out.

On a laptop the week is a grid: seven day columns, a row per half hour from
the week's earliest start to its latest end, each time in the row it starts
and spanning as many rows as it lasts. On a phone it is a strip of the seven
days and one chosen day's list. Both are built here, so the template only
walks rows and cells.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from booking.services.availability import DayView, PlannedSlot, SlotState, SlotView

ROW_MINUTES = 30
DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class WeekItem:
    """One time of the week: a published slot, or a time the rules will open."""

    starts_at: datetime
    ends_at: datetime
    view: SlotView | None = None
    planned: PlannedSlot | None = None

    @property
    def is_open(self) -> bool:
        return self.view is not None and self.view.state == SlotState.OPEN

    @property
    def opens_later(self) -> bool:
        return self.planned is not None or (
            self.view is not None and self.view.state == SlotState.NOT_RELEASED
        )


@dataclass(frozen=True)
class DayColumn:
    day: date
    items: Sequence[WeekItem]
    lanes: int  # side-by-side sub-columns, for times of one day that overlap
    free: int  # times of the day the reader can book now

    @property
    def opens_later(self) -> bool:
        return any(item.opens_later for item in self.items)


@dataclass(frozen=True)
class GridCell:
    """A cell of the grid: a time (`item`) spanning `rowspan` rows, an empty
    half hour (no item), or a day with nothing (`closed_day`, all rows)."""

    day: date
    item: WeekItem | None = None
    rowspan: int = 1
    closed_day: bool = False


@dataclass(frozen=True)
class GridRow:
    minutes: int | None  # from local midnight; None in the one row of an empty week
    cells: Sequence[GridCell]

    @property
    def on_the_hour(self) -> bool:
        return self.minutes is not None and self.minutes % 60 == 0

    @property
    def label(self) -> str:
        if self.minutes is None:
            return ""
        return f"{self.minutes // 60:02d}:{self.minutes % 60:02d}"


@dataclass(frozen=True)
class WeekGrid:
    columns: Sequence[DayColumn]
    rows: Sequence[GridRow]

    def column(self, day: date) -> DayColumn | None:
        return next((column for column in self.columns if column.day == day), None)


def week_items(
    days: Sequence[DayView], planned: Mapping[date, Sequence[PlannedSlot]]
) -> list[tuple[date, list[WeekItem]]]:
    """Each day's times: its published slots, else what its rules will open."""
    week: list[tuple[date, list[WeekItem]]] = []
    for day in days:
        if day.slots:
            items = [WeekItem(v.slot.starts_at, v.slot.ends_at, view=v) for v in day.slots]
        else:
            items = [WeekItem(p.starts_at, p.ends_at, planned=p) for p in planned.get(day.day, ())]
        week.append((day.day, items))
    return week


def week_grid(
    days: Sequence[DayView],
    planned: Mapping[date, Sequence[PlannedSlot]],
    tz: ZoneInfo,
    booked: Collection[int] = (),
) -> WeekGrid:
    """The week as rows of half hours by day columns.

    A time is placed in the row nearest its start and spans to the row nearest
    its end (at least one row), so one at 10:10 still shows, in the 10:00 row.
    Times of a day that overlap go side by side in lanes of that day's column.
    A day's free count leaves out the slots the reader has `booked` already.
    """
    placed: list[tuple[DayColumn, list[tuple[int, int, int, WeekItem]]]] = []
    for day, items in week_items(days, planned):
        spans = [(*_rows_of(item, day, tz), item) for item in items]
        spans.sort(key=lambda span: (span[0], span[1]))
        lane_ends: list[int] = []
        laid: list[tuple[int, int, int, WeekItem]] = []
        for start, end, item in spans:
            lane = next((i for i, last in enumerate(lane_ends) if last <= start), None)
            if lane is None:
                lane = len(lane_ends)
                lane_ends.append(end)
            lane_ends[lane] = end
            laid.append((lane, start, end, item))
        free = sum(1 for item in items if item.is_open and item.view.slot.id not in booked)
        column = DayColumn(day, [span[2] for span in spans], max(len(lane_ends), 1), free)
        placed.append((column, laid))
    columns = [column for column, _ in placed]
    starts = [start for _, laid in placed for _, start, _, _ in laid]
    ends = [end for _, laid in placed for _, _, end, _ in laid]
    if not starts:
        cells = [GridCell(column.day, closed_day=True) for column in columns]
        return WeekGrid(columns, [GridRow(None, cells)])
    first, last = min(starts), max(ends)
    row_minutes = range(first, last, ROW_MINUTES)
    rows: list[GridRow] = []
    for minutes in row_minutes:
        cells: list[GridCell] = []
        for column, laid in placed:
            if not laid:
                if minutes == first:
                    cells.append(GridCell(column.day, rowspan=len(row_minutes), closed_day=True))
                continue
            for lane in range(column.lanes):
                in_lane = [span for span in laid if span[0] == lane]
                starting = next((span for span in in_lane if span[1] == minutes), None)
                if starting is not None:
                    _, start, end, item = starting
                    cells.append(GridCell(column.day, item, (end - start) // ROW_MINUTES))
                elif not any(start < minutes < end for _, start, end, _ in in_lane):
                    cells.append(GridCell(column.day))
        rows.append(GridRow(minutes, cells))
    return WeekGrid(columns, rows)


def _rows_of(item: WeekItem, day: date, tz: ZoneInfo) -> tuple[int, int]:
    """The item's first row and the row after its last, in minutes from midnight
    of `day`, each rounded to the nearest half hour (a time past midnight ends
    the day's column)."""
    start = min(_nearest_row(_minutes_into(item.starts_at, day, tz)), DAY_MINUTES - ROW_MINUTES)
    end = min(_nearest_row(_minutes_into(item.ends_at, day, tz)), DAY_MINUTES)
    return start, max(end, start + ROW_MINUTES)


def _minutes_into(instant: datetime, day: date, tz: ZoneInfo) -> int:
    local = instant.astimezone(tz)
    return (local.date() - day).days * DAY_MINUTES + local.hour * 60 + local.minute


def _nearest_row(minutes: int) -> int:
    return max((minutes + ROW_MINUTES // 2) // ROW_MINUTES * ROW_MINUTES, 0)


def chosen_day(grid: WeekGrid, asked: date | None, today: date) -> date:
    """The day the phone's list shows: the one asked for when it is in the
    week, else today when it is, else the first day with a free time, else
    the first with any time, else the week's first day."""
    days = [column.day for column in grid.columns]
    for candidate in (asked, today):
        if candidate in days:
            return candidate
    for wanted in (lambda c: c.free > 0, lambda c: bool(c.items)):
        found = next((column.day for column in grid.columns if wanted(column)), None)
        if found is not None:
            return found
    return days[0]
