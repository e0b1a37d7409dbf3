"""The resident's journey through the pages (the real clock: slots are made relative to now)."""

import re
from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from booking.extensions import db
from booking.models import (
    Booking,
    BookingStatus,
    FacilityKind,
    Notice,
    ReleaseReminder,
    Role,
    Slot,
    VisitorTerms,
)
from booking.services import clock, release_reminders
from booking.services.clock import local_date, utcnow, zone
from tests.conftest import PASSWORD
from tests.functional.week_page import day_list, week_grid

EN = {"Accept-Language": "en"}


@pytest.fixture
def make_live_slot(app):
    def make(facility, *, days=2, hours=2, opens_in=None, capacity=None, later_by=timedelta(0)):
        now = utcnow().replace(second=0, microsecond=0)
        start = now + timedelta(days=days) + later_by
        with app.app_context():
            slot = Slot(
                facility_id=facility.id,
                starts_at=start,
                ends_at=start + timedelta(hours=hours),
                opens_at=now + opens_in if opens_in else now - timedelta(days=1),
                capacity=capacity or facility.capacity,
            )
            db.session.add(slot)
            db.session.commit()
            return slot.id

    return make


def week_of(app, slot_id):
    """The facility page's ?week= that shows this slot, whatever today's weekday."""
    with app.app_context():
        slot = db.session.get(Slot, slot_id)
        tz = zone(slot.facility.school.timezone)
        return {"week": local_date(slot.starts_at, tz).isoformat()}


@pytest.fixture
def reading(make_school, make_facility):
    school = make_school(code="NC-R", contact_phone="0769-12345678")
    return make_facility(school, kind=FacilityKind.READING_ROOM, name="阅览室", capacity=3)


@pytest.fixture
def resident(make_user, client):
    user = make_user(phone="13700000001", real_name="李明")
    client.post("/auth/login", data={"phone": "13700000001", "password": PASSWORD}, headers=EN)
    return user


def booking_of(app, code):
    with app.app_context():
        booking = db.session.scalar(sa.select(Booking).where(Booking.code == code))
        db.session.expunge_all()
        return booking


def test_book_a_reading_room_see_the_code_and_qr_and_cancel(
    app, client, reading, resident, make_live_slot
):
    slot_id = make_live_slot(reading)
    form = client.get(f"/slots/{slot_id}/book", headers=EN)
    assert form.status_code == 200
    assert "Number of people" in form.text
    response = client.post(
        f"/slots/{slot_id}/book", data={"places": 2, "action": "book"}, headers=EN
    )
    assert response.status_code == 302
    code = response.headers["Location"].rsplit("/", 1)[-1]
    detail = client.get(f"/bookings/{code}", headers=EN)
    assert "Confirmed" in detail.text
    assert code in detail.text
    assert "<svg" in detail.text  # the QR code
    ics = client.get(f"/bookings/{code}/calendar.ics")
    assert ics.mimetype == "text/calendar"
    assert b"TZID=Asia/Shanghai" in ics.data
    assert code.encode() in ics.data
    assert "STATUS:CONFIRMED" in ics.data.decode()
    assert "SEQUENCE:1" in ics.data.decode()
    assert f"/bookings/{code}" in ics.data.decode().replace("\r\n ", "")
    mine = client.get("/me/bookings", headers=EN)
    assert code in mine.text
    # Cancelling asks first; asking changes nothing.
    assert f'href="/bookings/{code}/cancel"' in detail.text
    asked = client.get(f"/bookings/{code}/cancel", headers=EN)
    assert f"Cancel booking {code}?" in asked.text
    assert "Yes, cancel this booking" in asked.text
    assert booking_of(app, code).status == BookingStatus.CONFIRMED
    cancelled = client.post(f"/bookings/{code}/cancel", headers=EN, follow_redirects=True)
    assert f"Booking {code} is cancelled" in cancelled.text
    assert booking_of(app, code).status == BookingStatus.CANCELLED
    with app.app_context():
        assert db.session.get(Slot, slot_id).held == 0
    assert "STATUS:CANCELLED" in client.get(f"/bookings/{code}/calendar.ics").data.decode()
    assert client.get(f"/bookings/{code}/cancel").headers["Location"] == f"/bookings/{code}"


def test_the_week_view_marks_my_booking_and_links_free_slots(
    app, client, reading, resident, make_live_slot
):
    free = make_live_slot(reading, days=1)
    make_live_slot(
        reading, days=1, hours=1, opens_in=timedelta(days=1), later_by=timedelta(hours=2)
    )
    page = client.get(f"/facilities/{reading.id}", query_string=week_of(app, free), headers=EN)
    assert f"/slots/{free}/book" in page.text
    assert "Opens " in page.text
    code = (
        client.post(f"/slots/{free}/book", data={"places": 1})
        .headers["Location"]
        .rsplit("/", 1)[-1]
    )
    page = client.get(f"/facilities/{reading.id}", query_string=week_of(app, free), headers=EN)
    assert f"Booked by me · {code}" in page.text


@pytest.mark.parametrize("week", ["2026-13-01", "yesterday", "1999-01-01"])
def test_a_bad_week_is_a_clear_400(client, reading, week):
    page = client.get(f"/facilities/{reading.id}", query_string={"week": week}, headers=EN)
    assert page.status_code == 400
    assert "YYYY-MM-DD" in page.text


def test_next_week_link(client, reading):
    page = client.get(f"/facilities/{reading.id}", headers=EN)
    assert "Next week" in page.text
    assert "Previous week" not in page.text


def test_refusals_are_shown_with_the_form_and_change_nothing(
    app, client, reading, resident, make_live_slot
):
    slot_id = make_live_slot(reading)
    for places, message in [
        (0, "Between 1 and 3 people."),
        (4, "Between 1 and 3 people."),
        ("", "Say how many people come."),
    ]:
        page = client.post(f"/slots/{slot_id}/book", data={"places": places}, headers=EN)
        assert page.status_code == 400
        assert message in page.text
    client.post(f"/slots/{slot_id}/book", data={"places": 1})
    again = client.post(f"/slots/{slot_id}/book", data={"places": 1}, headers=EN)  # a double submit
    assert again.status_code == 409
    assert "You already hold booking" in again.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 1
        assert db.session.get(Slot, slot_id).held == 1


def test_not_released_slot_says_when(client, reading, resident, make_live_slot):
    slot_id = make_live_slot(reading, opens_in=timedelta(hours=5))
    page = client.post(f"/slots/{slot_id}/book", data={"places": 1}, headers=EN)
    assert page.status_code == 409
    assert "opens at" in page.text


def test_a_full_slot_offers_the_waitlist(app, client, reading, resident, make_live_slot, make_user):
    slot_id = make_live_slot(reading, capacity=1)
    other = make_user(phone="13700000002")
    with app.app_context():
        db.session.add(
            Booking(
                code="AAAAAA",
                slot_id=slot_id,
                resident_id=other.id,
                places=1,
                status=BookingStatus.CONFIRMED,
            )
        )
        db.session.execute(sa.update(Slot).where(Slot.id == slot_id).values(held=1))
        db.session.commit()
    page = client.get(f"/slots/{slot_id}/book", headers=EN)
    assert "Join the waitlist" in page.text
    joined = client.post(
        f"/slots/{slot_id}/book",
        data={"places": 1, "action": "waitlist"},
        headers=EN,
        follow_redirects=True,
    )
    assert "You are number 1 on the waitlist." in joined.text
    assert "Number 1 in line" in joined.text
    week = client.get(f"/facilities/{reading.id}", query_string=week_of(app, slot_id), headers=EN)
    assert "Full · you are on the waitlist" in week.text


def test_hall_and_parking_forms_ask_what_their_kind_needs(
    app, client, make_facility, resident, make_live_slot
):
    hall = make_facility(
        kind=FacilityKind.LECTURE_HALL, capacity=200, is_exclusive=True, requires_approval=True
    )
    slot_id = make_live_slot(hall)
    page = client.post(
        f"/slots/{slot_id}/book", data={"purpose": "", "attendance": 500}, headers=EN
    )
    assert page.status_code == 400
    assert "Say what the hall is for." in page.text
    assert "Between 1 and 200 people" in page.text
    sent = client.post(
        f"/slots/{slot_id}/book",
        data={"purpose": "<script>alert(1)</script>", "organiser": "街道", "attendance": 80},
        headers=EN,
        follow_redirects=True,
    )
    assert "Awaiting approval" in sent.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in sent.text
    assert "<script>alert(1)</script>" not in sent.text
    # A request is no gate pass: no QR code, no "show this at the gate".
    assert "This is not a gate pass yet" in sent.text
    assert "<svg" not in sent.text
    assert "at the gate" not in sent.text
    hall_code = sent.request.path.rsplit("/", 1)[-1]
    ics = client.get(f"/bookings/{hall_code}/calendar.ics").data.decode()
    assert "STATUS:TENTATIVE" in ics

    parking = make_facility(kind=FacilityKind.PARKING, capacity=10)
    parking_slot = make_live_slot(parking, days=3)
    bad = client.post(f"/slots/{parking_slot}/book", data={"plate": "粤O12345"}, headers=EN)
    assert bad.status_code == 400
    assert "Enter a mainland licence plate" in bad.text
    ok = client.post(f"/slots/{parking_slot}/book", data={"plate": "粤s d12345"}, headers=EN)
    assert ok.status_code == 302
    assert booking_of(app, ok.headers["Location"].rsplit("/", 1)[-1]).plate == "粤SD12345"


def test_visitor_rules_must_be_accepted_and_are_recorded(
    app, client, reading, resident, make_live_slot
):
    with app.app_context():
        db.session.add(VisitorTerms(school_id=reading.school_id, version=3, body="请携带身份证。"))
        db.session.commit()
    slot_id = make_live_slot(reading)
    page = client.get(f"/slots/{slot_id}/book", headers=EN)
    assert "请携带身份证。" in page.text
    refused = client.post(f"/slots/{slot_id}/book", data={"places": 1}, headers=EN)
    assert refused.status_code == 400
    assert "accept the school's visitor rules" in refused.text
    done = client.post(f"/slots/{slot_id}/book", data={"places": 1, "accept_terms": "y"})
    assert booking_of(app, done.headers["Location"].rsplit("/", 1)[-1]).terms_id is not None


def test_only_residents_book_and_only_their_own_bookings(
    app, client, reading, make_live_slot, make_user, make_school
):
    slot_id = make_live_slot(reading)
    assert client.get(f"/slots/{slot_id}/book").status_code == 302  # to the login page
    owner = make_user(phone="13700000009")
    with app.app_context():
        db.session.add(
            Booking(
                code="XYZXYZ",
                slot_id=slot_id,
                resident_id=owner.id,
                places=1,
                status=BookingStatus.CONFIRMED,
            )
        )
        db.session.commit()
    make_user(phone="13700000008")
    client.post("/auth/login", data={"phone": "13700000008", "password": PASSWORD})
    assert client.get("/bookings/XYZXYZ").status_code == 404
    assert client.post("/bookings/XYZXYZ/cancel").status_code == 404
    assert client.get("/bookings/XYZXYZ/calendar.ics").status_code == 404
    assert booking_of(app, "XYZXYZ").status == BookingStatus.CONFIRMED
    client.post("/auth/logout")
    make_user(Role.STAFF, school=make_school(), phone="13900000099")
    client.post("/auth/login", data={"phone": "13900000099", "password": PASSWORD})
    assert client.get(f"/slots/{slot_id}/book").status_code == 403


def test_unknown_slot_is_404(client, resident):
    assert client.get("/slots/999999/book").status_code == 404


def test_notices_page_and_unread_count(app, client, reading, resident, make_live_slot):
    slot_id = make_live_slot(reading)
    client.post(f"/slots/{slot_id}/book", data={"places": 1})
    page = client.get("/notices", headers=EN)
    assert 'class="badge"' in page.text
    assert "confirmed" in page.text
    client.post("/notices/read")
    assert 'class="badge"' not in client.get("/notices", headers=EN).text
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(Notice).where(Notice.read_at.is_(None))
            )
            == 0
        )


def test_find_by_kind_date_and_time(client, reading, make_live_slot, make_facility):
    slot_id = make_live_slot(reading, days=1)
    make_live_slot(make_facility(kind=FacilityKind.PARKING, name="停车场"), days=1)
    with client.application.app_context():
        slot = db.session.get(Slot, slot_id)
        from booking.services.clock import zone

        local = slot.starts_at.astimezone(zone("Asia/Shanghai"))
    found = client.get(
        "/find",
        query_string={
            "kind": "reading_room",
            "date": local.date().isoformat(),
            "time": local.strftime("%H:%M"),
        },
        headers=EN,
    )
    assert found.status_code == 200
    assert "阅览室" in found.text
    assert "停车场" not in found.text
    for query in ({"kind": "pool"}, {"date": "tomorrow"}, {"time": "25:99"}):
        assert client.get("/find", query_string=query, headers=EN).status_code == 400


def count_queries(app, action):
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            action()
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
    return len(statements)


def test_busy_pages_make_the_same_few_queries_however_much_there_is(
    app, client, reading, resident, make_live_slot
):
    few = [make_live_slot(reading, days=1, later_by=timedelta(hours=h)) for h in (0, 3)]
    for slot_id in few:
        client.post(f"/slots/{slot_id}/book", data={"places": 1})
    week_small = count_queries(app, lambda: client.get(f"/facilities/{reading.id}"))
    mine_small = count_queries(app, lambda: client.get("/me/bookings"))
    more = [make_live_slot(reading, days=2, later_by=timedelta(hours=h)) for h in (0, 3, 6, 9)]
    for slot_id in more:
        client.post(f"/slots/{slot_id}/book", data={"places": 1})
    assert count_queries(app, lambda: client.get(f"/facilities/{reading.id}")) == week_small
    assert count_queries(app, lambda: client.get("/me/bookings")) == mine_small
    assert week_small <= 12


def test_a_notice_is_worded_in_the_language_it_is_read_in_and_links_to_its_booking(
    app, client, make_school, make_facility, resident, make_live_slot
):
    school = make_school(code="NC-N", name="南城阳光小学", name_en="Sunshine Primary")
    room = make_facility(
        school, kind=FacilityKind.READING_ROOM, name="阅览室", name_en="Reading room"
    )
    slot_id = make_live_slot(room)
    client.post(f"/slots/{slot_id}/book", data={"places": 1})  # booked while reading Chinese
    with app.app_context():
        code = db.session.scalar(sa.select(Booking.code))
        notice = db.session.scalar(sa.select(Notice))
        assert notice.kind == "booking_confirmed"
        assert notice.params == {}  # no words stored, only what they are made of
    english = client.get("/notices", headers=EN).text
    assert f"Booking {code} confirmed" in english
    assert "Sunshine Primary, Reading room" in english
    assert f'href="/bookings/{code}"' in english
    chinese = client.get("/notices", headers={"Accept-Language": "zh-CN"}).text
    assert f"预约 {code} 已确认" in chinese
    assert "南城阳光小学" in chinese
    assert "Sunshine Primary" not in chinese


def test_days_beyond_the_release_horizon_show_their_hours_and_remind_at_release(
    app, client, reading, resident, make_rule
):
    make_rule(reading)  # every day 18:30-21:00; nothing is generated yet
    tz = zone("Asia/Shanghai")
    day = local_date(utcnow(), tz) + timedelta(days=14)
    page = client.get(
        f"/facilities/{reading.id}", query_string={"week": day.isoformat()}, headers=EN
    )
    assert "Not open on this day" not in page.text
    assert "Booking opens 7 days ahead at 08:00." in page.text
    assert re.search(
        r"Next to open: the times of (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \w{3} \d+,", page.text
    )
    # each day in the laptop's grid, the chosen day in the phone's list, and the opening hours
    grid = week_grid(page.text)
    times = [cell for cell in grid.body_cells() if "slot" in cell.classes]
    assert [cell.text.count("18:30–21:00") for cell in times] == [1] * 7
    assert day_list(page.text).count("18:30–21:00") == 1
    assert page.text.count("18:30–21:00") == 7 + 1 + 1
    release = clock.release_instant(day, 7, time(8, 0), tz)
    assert f'<time datetime="{release.isoformat()}" data-countdown' in page.text
    assert "Remind me" in page.text
    starts_at = clock.local_instant(day, time(18, 30), tz)
    done = client.post(
        f"/facilities/{reading.id}/remind",
        data={"starts_at": starts_at.isoformat()},
        headers=EN,
        follow_redirects=True,
    )
    assert "We will remind you when booking opens" in done.text
    assert "We will remind you" in done.text.split("18:30–21:00", 1)[1]
    for odd in ("soon", "0001-01-01T00:00:00+08:00", "2026-12-25T18:30:00"):
        refused = client.post(
            f"/facilities/{reading.id}/remind", data={"starts_at": odd}, headers=EN
        )
        assert refused.status_code == 302  # explained, nothing stored
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReleaseReminder)) == 1
        db.session.add(
            Slot(
                facility_id=reading.id,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=150),
                opens_at=release,
                capacity=3,
            )
        )
        db.session.commit()
        assert release_reminders.send_due(db.session, release - timedelta(seconds=1)) == 0
        assert release_reminders.send_due(db.session, release) == 1
        assert release_reminders.send_due(db.session, release) == 0  # told once
        db.session.commit()
        slot_id = db.session.scalar(sa.select(Slot.id))
    notices = client.get("/notices", headers=EN).text
    assert "Booking opens now: 阅览室" in notices
    assert f'href="/slots/{slot_id}/book"' in notices


def test_find_filters_by_area_and_part_of_day_pages_and_knows_the_future(
    app, client, make_school, make_facility, make_live_slot, make_rule
):
    gedi = make_school(code="NC-G", name="蛤地小学", area="蛤地社区", area_en="Gedi Community")
    centre = make_school(code="NC-C", name="中心小学", area="中心城区", area_en="City centre")
    here = make_facility(gedi, kind=FacilityKind.READING_ROOM, name="蛤地阅览室")
    there = make_facility(centre, kind=FacilityKind.READING_ROOM, name="中心阅览室")
    tz = zone("Asia/Shanghai")
    day = local_date(utcnow(), tz) + timedelta(days=1)
    now = utcnow().replace(second=0, microsecond=0)  # as make_live_slot counts
    at = {hour: clock.local_instant(day, time(hour), tz) - now for hour in (9, 19)}
    make_live_slot(here, days=0, later_by=at[9])  # tomorrow 09:00
    make_live_slot(here, days=0, later_by=at[19])  # tomorrow 19:00
    make_live_slot(there, days=0, later_by=at[19])
    page = client.get("/find", query_string={"date": day.isoformat()}, headers=EN).text
    assert "Gedi Community" in page  # the area list, in the reader's language
    gedi_only = client.get(
        "/find", query_string={"date": day.isoformat(), "area": "蛤地社区"}, headers=EN
    ).text
    assert "蛤地阅览室" in gedi_only
    assert "中心阅览室" not in gedi_only
    evening = client.get(
        "/find", query_string={"date": day.isoformat(), "part": "evening"}, headers=EN
    ).text
    assert evening.count("19:00–21:00") == 2
    assert "09:00–11:00" not in evening
    assert client.get("/find", query_string={"part": "night"}, headers=EN).status_code == 400
    assert client.get("/find", query_string={"now": "1"}, headers=EN).status_code == 200
    # beyond what is published: the rules' hours, and when they open
    make_rule(there)
    later = local_date(utcnow(), tz) + timedelta(days=20)
    future = client.get("/find", query_string={"date": later.isoformat()}, headers=EN).text
    assert "Nothing is open then" not in future
    assert "中心阅览室" in future
    assert "18:30–21:00" in future
    assert "Opens " in future
