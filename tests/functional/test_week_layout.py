"""The facility week in its two layouts: the laptop's grid of half hours by day,
and the phone's strip of days with one day's list (the real clock: the week is
next week, so every time in it is still ahead)."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

import pytest

from booking.extensions import db
from booking.models import FacilityKind, Slot
from booking.services.clock import local_date, local_instant, utcnow, week_start, zone
from tests.conftest import PASSWORD
from tests.functional.week_page import day_list, day_strip, week_grid

EN = {"Accept-Language": "en"}
TZ = zone("Asia/Shanghai")


@pytest.fixture
def room(make_school, make_facility):
    school = make_school(code="NC-W", name="周视图小学")
    return make_facility(school, kind=FacilityKind.READING_ROOM, name="阅览室", capacity=30)


@pytest.fixture
def resident(make_user, client):
    user = make_user(phone="13700000001")
    client.post("/auth/login", data={"phone": "13700000001", "password": PASSWORD})
    return user


@pytest.fixture
def next_monday() -> date:
    return week_start(local_date(utcnow(), TZ)) + timedelta(days=7)


@pytest.fixture
def make_slot(app):
    """A released slot on `day` from `start` to `end` (local wall clock)."""

    def make(facility, day: date, start: time, end: time, *, held: int = 0) -> int:
        with app.app_context():
            slot = Slot(
                facility_id=facility.id,
                starts_at=local_instant(day, start, TZ),
                ends_at=local_instant(day, end, TZ),
                opens_at=utcnow() - timedelta(days=1),
                capacity=facility.capacity,
                held=held,
            )
            db.session.add(slot)
            db.session.commit()
            return slot.id

    return make


@pytest.fixture
def week(room, next_monday, make_slot):
    """Next week: nothing on Monday and Sunday; a morning and an afternoon on
    Tuesday; hour-long times on Wednesday; an evening on Thursday; a time off
    the half hour on Friday; two overlapping mornings on Saturday."""
    day = {
        name: next_monday + timedelta(days=n)
        for n, name in enumerate(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
    }
    ids = {
        "tue_morning": make_slot(room, day["tue"], time(8), time(12)),
        "tue_afternoon": make_slot(room, day["tue"], time(13, 30), time(18, 30)),
        "wed_six": make_slot(room, day["wed"], time(18), time(19)),
        "wed_seven": make_slot(room, day["wed"], time(19), time(20)),
        "thu_evening": make_slot(room, day["thu"], time(18, 30), time(21)),
        "fri_odd": make_slot(room, day["fri"], time(10, 20), time(11, 10)),
        "sat_eight": make_slot(room, day["sat"], time(8), time(12)),
        "sat_half_past": make_slot(room, day["sat"], time(8, 30), time(12)),
    }
    return day, ids


def get_week(client, room, **query):
    return client.get(f"/facilities/{room.id}", query_string=query, headers=EN)


def test_the_laptop_grid_has_seven_day_columns_and_a_row_per_half_hour(client, room, week):
    day, ids = week
    page = get_week(client, room, week=day["mon"].isoformat())
    assert page.status_code == 200
    grid = week_grid(page.text)
    # the time column, then the days in order; Saturday's two lanes share its header
    assert len(grid.head) == 1 + 7
    for header, one_day in zip(grid.head[1:], day.values(), strict=True):
        assert one_day.strftime("%a") in header.text
        assert f"{one_day:%b} {one_day.day}" in header.text
    assert grid.head[6].colspan == 2
    # 08:00 (the earliest start) to 21:00 (the latest end)
    labels = [row[0].text for row in grid.rows]
    assert len(grid.rows) == 26
    assert labels[0] == "08:00"
    assert labels[-1] == "20:30"

    def row_of(clock: str) -> int:
        return labels.index(clock)

    columns = {name: 1 + n for n, name in enumerate(day)}
    columns["sun"] += 1  # after Saturday's second lane
    for name, column, start, rows in [
        ("tue_morning", columns["tue"], "08:00", 8),
        ("tue_afternoon", columns["tue"], "13:30", 10),
        ("wed_six", columns["wed"], "18:00", 2),
        ("wed_seven", columns["wed"], "19:00", 2),
        ("thu_evening", columns["thu"], "18:30", 5),
        ("fri_odd", columns["fri"], "10:30", 1),  # 10:20-11:10, in the nearest row
        ("sat_eight", columns["sat"], "08:00", 8),
        ("sat_half_past", columns["sat"] + 1, "08:30", 7),
    ]:
        cell = next(
            c for c in grid.body_cells() if c.attrs.get("href") == f"/slots/{ids[name]}/book"
        )
        assert (cell.row, cell.column, cell.rowspan) == (row_of(start), column, rows), name
        assert cell.tag == "td"
        assert {"slot", "slot-open"} <= cell.classes
        assert "30 of 30 seats left" in cell.text
    assert "slot-open" in grid.cell_with("10:20–11:10").classes
    # a day with nothing says so, over the whole column
    for name in ("mon", "sun"):
        closed = [c for c in grid.body_cells() if c.column == columns[name]]
        assert len(closed) == 1
        assert closed[0].text == "Not open on this day."
        assert closed[0].rowspan == 26
    # every other cell of a column is an empty half hour, none left out or doubled
    covering = dict.fromkeys(range(len(grid.rows)), 0)
    for cell in grid.body_cells():
        for r in range(cell.row, cell.row + cell.rowspan):
            covering[r] += cell.colspan
    assert set(covering.values()) == {1 + 8}


def test_the_grid_marks_today_and_an_empty_week_keeps_its_seven_columns(client, room):
    today = local_date(utcnow(), TZ)
    grid = week_grid(get_week(client, room).text)
    marked = [header for header in grid.head if "today" in header.classes]
    assert len(marked) == 1
    assert today.strftime("%a") in marked[0].text
    assert "today" in marked[0].text
    assert len(grid.rows) == 1
    assert [cell.text for cell in grid.rows[0][1:]] == ["Not open on this day."] * 7


def test_grid_cells_keep_what_the_list_says_of_a_time(
    client, room, next_monday, make_slot, resident
):
    tuesday = next_monday + timedelta(days=1)
    mine = make_slot(room, tuesday, time(9), time(10))
    full = make_slot(room, tuesday, time(10), time(11), held=room.capacity)
    code = client.post(f"/slots/{mine}/book", data={"places": 1}).headers["Location"]
    code = code.rsplit("/", 1)[-1]
    page = get_week(client, room, week=next_monday.isoformat())
    grid = week_grid(page.text)
    booked = grid.cell_with(f"Booked by me · {code}")
    assert "slot-mine" in booked.classes
    assert booked.attrs["href"] == f"/bookings/{code}"
    waitlist = grid.cell_with("Full · join the waitlist")
    assert "slot-full" in waitlist.classes
    assert waitlist.attrs["href"] == f"/slots/{full}/book"
    assert (waitlist.row, waitlist.rowspan) == (booked.row + 2, 2)
    # neither is free for this resident, so Tuesday has nothing free
    assert "nothing free" in day_strip(page.text)[1]


def test_a_week_with_nothing_published_shows_what_its_rules_will_open(
    client, room, make_rule, resident
):
    make_rule(room)  # 18:30-21:00 every day
    later = local_date(utcnow(), TZ) + timedelta(days=21)
    page = get_week(client, room, week=later.isoformat())
    grid = week_grid(page.text)
    planned = [c for c in grid.body_cells() if "slot-planned" in c.classes]
    assert len(planned) == 7
    assert {c.rowspan for c in planned} == {5}
    assert all("Opens " in c.text and "Remind me" in c.text for c in planned)
    assert page.text.count('<time datetime="') == 7 + 1  # the grid and the chosen day


def test_the_phone_strip_links_the_seven_days_and_lists_the_chosen_one(client, room, week):
    day, ids = week
    monday = day["mon"].isoformat()
    page = get_week(client, room, week=monday)
    chips = day_strip(page.text)
    assert len(chips) == 7
    for chip, one_day in zip(chips, day.values(), strict=True):
        assert (
            f'href="/facilities/{room.id}?week={monday}&amp;day={one_day.isoformat()}#day"' in chip
        )
    # next week: not today's, so the first day with a free time
    assert ["aria-current" in chip for chip in chips] == [False, True] + [False] * 5
    tuesday = day_list(page.text)
    assert "08:00–12:00" in tuesday
    assert "13:30–18:30" in tuesday
    assert "18:30–21:00" not in tuesday
    assert f'id="day-slot-{ids["tue_morning"]}-link"' in tuesday  # its own ids, not the grid's
    strip = re.search(r'<nav class="day-strip".*?</nav>', page.text, re.S).group(0)
    assert "2 free" in strip  # Tuesday's count
    assert "nothing free" in strip  # Monday
    thursday = get_week(client, room, week=monday, day=day["thu"].isoformat())
    assert "aria-current" in day_strip(thursday.text)[3]
    listed = day_list(thursday.text)
    assert "18:30–21:00" in listed
    assert "08:00–12:00" not in listed
    assert f"/slots/{ids['thu_evening']}/book" in listed
    sunday = day_list(get_week(client, room, week=monday, day=day["sun"].isoformat()).text)
    assert "Not open on this day." in sunday
    # ?day= alone picks its week too
    alone = get_week(client, room, day=day["wed"].isoformat())
    assert "aria-current" in day_strip(alone.text)[2]
    assert "19:00–20:00" in day_list(alone.text)


def test_the_phone_list_starts_on_today_in_this_week(client, room):
    today = local_date(utcnow(), TZ)
    chips = day_strip(get_week(client, room).text)
    assert ["aria-current" in chip for chip in chips] == [
        week_start(today) + timedelta(days=n) == today for n in range(7)
    ]


@pytest.mark.parametrize("asked", ["2026-13-01", "soon", "1999-01-01", "2026-1-5"])
def test_a_malformed_day_is_a_clear_400(client, room, next_monday, asked):
    page = get_week(client, room, week=next_monday.isoformat(), day=asked)
    assert page.status_code == 400
    assert "YYYY-MM-DD" in page.text


def test_a_day_outside_the_week_falls_back_to_the_weeks_own_choice(client, room, week):
    day, _ = week
    page = get_week(
        client, room, week=day["mon"].isoformat(), day=(day["mon"] + timedelta(days=10)).isoformat()
    )
    assert page.status_code == 200
    assert ["aria-current" in chip for chip in day_strip(page.text)] == [False, True] + [False] * 5
