"""The gate, for staff: the camera page, searching the day's bookings by plate,
name or phone, a party checked in in part, and a check-in outside the window
with a reason. The staff pages read a fixed clock: 10:00 in Asia/Shanghai."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from booking.extensions import db
from booking.models import AuditEvent, Booking, BookingStatus, FacilityKind, Role, Slot
from tests.conftest import NOW
from tests.functional.test_staff import EN, login, status_of

S = BookingStatus


@pytest.fixture
def gate(app, make_school, make_facility, make_user, monkeypatch):
    """Two schools; here a hall, a reading room and a car park; residents with
    names, numbers and plates to search for; staff at each school."""
    monkeypatch.setattr("booking.web.staff.views.utcnow", lambda: NOW)
    here, there = make_school(code="HERE"), make_school(code="THERE")
    return {
        "here": here,
        "hall": make_facility(
            here, kind=FacilityKind.LECTURE_HALL, name="报告厅", capacity=100, is_exclusive=True
        ),
        "room": make_facility(here, kind=FacilityKind.READING_ROOM, name="阅览室", capacity=20),
        "parking": make_facility(here, kind=FacilityKind.PARKING, name="停车场", capacity=10),
        "other_parking": make_facility(
            there, kind=FacilityKind.PARKING, name="停车场", capacity=10
        ),
        "staff": make_user(Role.STAFF, school=here, phone="13900000001"),
        "other_staff": make_user(Role.STAFF, school=there, phone="13900000002"),
        "ann": make_user(phone="13700000001", real_name="王安"),
        "bo": make_user(phone="13700004321", real_name="李博文"),
        "cy": make_user(phone="13700009999", real_name="Chen Yu"),
    }


def book(app, facility, resident, code, *, start, status=S.CONFIRMED, places=1, **fields):
    """A booking in a 2-hour slot starting `start` after NOW."""
    with app.app_context():
        slot = db.session.scalar(
            sa.select(Slot).where(Slot.facility_id == facility.id, Slot.starts_at == NOW + start)
        )
        if slot is None:
            slot = Slot(
                facility_id=facility.id,
                starts_at=NOW + start,
                ends_at=NOW + start + timedelta(hours=2),
                opens_at=NOW - timedelta(days=7),
                capacity=facility.capacity,
            )
            db.session.add(slot)
            db.session.flush()
        db.session.add(
            Booking(
                code=code,
                slot_id=slot.id,
                resident_id=resident.id,
                places=places,
                status=status,
                **fields,
            )
        )
        if status in (S.PENDING, S.CONFIRMED, S.CHECKED_IN):
            slot.held += places
        db.session.commit()


def booking_row(app, code):
    with app.app_context():
        return db.session.scalar(sa.select(Booking).where(Booking.code == code))


def audit_of(app, code):
    with app.app_context():
        return db.session.execute(
            sa.select(AuditEvent.action, AuditEvent.reason)
            .join(Booking, AuditEvent.target_id == Booking.id)
            .where(AuditEvent.target_type == "booking", Booking.code == code)
            .order_by(AuditEvent.id)
        ).all()


# -- the camera ---------------------------------------------------------------


def test_the_check_in_page_loads_the_scanner_from_this_site_and_keeps_its_form(app, client, gate):
    login(client, "13900000001")
    page = client.get("/staff/checkin", headers=EN)
    html = page.text
    # the form that works without JavaScript: a GET of the code to the same page
    assert '<form method="get" action="/staff/checkin" id="checkin-code-form">' in html
    assert 'name="code"' in html
    # the camera part shows only when the script finds a camera on a secure page
    assert '<section id="qr-scanner" class="qr-scanner" hidden' in html
    assert "Scan QR code" in html
    assert "needs a secure connection (HTTPS, or localhost)" in html
    scripts = re.findall(r'<script src="([^"]+)" defer></script>', html)
    assert [url.split("?v=")[0] for url in scripts] == [
        "/static/vendor/jsqr/jsQR.js",
        "/static/js/checkin-scanner.js",
    ]
    assert html.count("<script") == len(scripts)  # nothing inline
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    for path in ("/static/vendor/jsqr/jsQR.js", "/static/js/checkin-scanner.js"):
        served = client.get(path)
        assert served.status_code == 200, path
        assert "javascript" in served.mimetype
        served.close()
    library = client.get("/static/vendor/jsqr/jsQR.js")
    assert "jsQR" in library.get_data(as_text=True)
    library.close()
    licence = client.get("/static/vendor/jsqr/LICENSE")
    assert licence.status_code == 200
    assert "Apache License" in licence.get_data(as_text=True)
    licence.close()


def test_the_scanner_submits_the_code_form_as_typing_does(app, client, gate):
    """What the script fills in is the form's own field; the QR code holds the
    check-in page's address, whose last part the script takes as the code."""
    script = client.get("/static/js/checkin-scanner.js")
    text = script.get_data(as_text=True)
    script.close()
    assert "requestSubmit" in text
    assert "getUserMedia" in text
    assert "isSecureContext" in text
    assert "/staff\\/checkin\\/" in text
    book(app, gate["parking"], gate["ann"], "CAR101", start=timedelta(minutes=10))
    login(client, "13900000001")
    typed = client.get("/staff/checkin", query_string={"code": "car101"})
    assert typed.headers["Location"] == "/staff/checkin/CAR101"


# -- searching -----------------------------------------------------------------


@pytest.fixture
def bookings_today(app, gate):
    book(app, gate["parking"], gate["ann"], "ANN001", start=timedelta(minutes=20), plate="粤S12345")
    book(app, gate["room"], gate["bo"], "BOW001", start=timedelta(hours=9), places=3)
    book(app, gate["room"], gate["cy"], "CYU001", start=timedelta(hours=4))
    # tomorrow afternoon (past the next 12 hours) and another school's, same plate
    book(
        app,
        gate["parking"],
        gate["bo"],
        "LATER1",
        start=timedelta(days=1, hours=5),
        plate="粤S77777",
    )
    book(
        app,
        gate["other_parking"],
        gate["ann"],
        "THERE1",
        start=timedelta(minutes=20),
        plate="粤S12345",
    )


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("粤S12345", {"ANN001"}),
        ("粤s·123", {"ANN001"}),  # as a plate is typed: lower case, the middle dot
        ("s 12345", {"ANN001"}),
        ("０００１", {"ANN001"}),  # the last 4 digits, full-width
        ("4321", {"BOW001"}),
        ("137 0000 4321", {"BOW001"}),
        ("+8613700004321", {"BOW001"}),
        ("王", {"ANN001"}),  # a surname
        ("博文", {"BOW001"}),
        ("chen", {"CYU001"}),
        ("cyu001", {"CYU001"}),  # the code
        ("77777", set()),  # tomorrow afternoon is past the search
        ("999", set()),  # three digits are not enough for a number
        ("x", set()),
        ("%%", set()),  # wildcards are text
        ("__", set()),
        ("\x00", set()),
        ("a" * 500, set()),
    ],
)
def test_staff_search_today_by_plate_number_name_or_code(app, client, bookings_today, query, found):
    login(client, "13900000001")
    page = client.get("/staff/search", query_string={"q": query}, headers=EN)
    assert page.status_code == (400 if query == "\x00" else 200)  # the app refuses NUL anywhere
    shown = {
        code for code in ("ANN001", "BOW001", "CYU001", "LATER1", "THERE1") if code in page.text
    }
    assert shown == found
    assert "THERE1" not in page.text  # never another school's (rule 5)


def test_search_results_show_what_the_gate_needs_and_a_check_in_button(app, client, bookings_today):
    login(client, "13900000001")
    page = client.get("/staff/search", query_string={"q": "4321"}, headers=EN).text
    assert "137****4321" in page
    assert "13700004321" not in page  # only the masked number
    assert "BOW001" in page
    assert "阅览室" in page
    assert "19:00–21:00" in page  # local time
    assert "Confirmed" in page
    # 19:00 is too early at 10:00: the row links to the gate page instead
    assert 'action="/staff/checkin/BOW001"' not in page
    assert "Too early: check-in opens at 18:30." in page
    now_page = client.get("/staff/search", query_string={"q": "粤S1"}, headers=EN).text
    assert 'action="/staff/checkin/ANN001"' in now_page
    checked = client.post("/staff/checkin/ANN001", headers=EN, follow_redirects=True)
    assert "is checked in." in checked.text
    assert "1 of 1 checked in" in checked.text
    assert status_of(app, "ANN001") == S.CHECKED_IN


def test_other_schools_staff_find_only_their_own(app, client, bookings_today):
    login(client, "13900000002")
    page = client.get("/staff/search", query_string={"q": "粤S12345"}, headers=EN).text
    assert "THERE1" in page
    assert "ANN001" not in page
    empty = client.get("/staff/search", headers=EN)
    assert empty.status_code == 200


# -- a party checked in in part ------------------------------------------------


def test_a_party_is_checked_in_in_part_and_the_count_shown(app, client, gate):
    book(app, gate["room"], gate["bo"], "ROOM01", start=timedelta(minutes=10), places=5)
    login(client, "13900000001")
    page = client.get("/staff/checkin/ROOM01", headers=EN).text
    assert 'name="attended" type="number" inputmode="numeric" min="1" max="5" value="5"' in page
    done = client.post(
        "/staff/checkin/ROOM01", data={"attended": "3"}, headers=EN, follow_redirects=True
    )
    assert "李博文 is checked in." in done.text
    assert "3 of 5 checked in" in done.text
    assert booking_row(app, "ROOM01").attended == 3
    assert status_of(app, "ROOM01") == S.CHECKED_IN
    with app.app_context():  # the party is in its seats: they are not free for another
        assert db.session.scalar(sa.select(Slot.held)) == 5
    visitors = client.get("/staff/search", query_string={"q": "ROOM01"}, headers=EN).text
    assert "3 of 5 checked in" in visitors
    client.post("/auth/logout")
    login(client, "13700004321")
    mine = client.get("/bookings/ROOM01", headers=EN).text
    assert "3 of 5 checked in" in mine
    api = client.get("/api/v1/bookings/ROOM01")
    assert api.json["attended"] == 3


@pytest.mark.parametrize("attended", ["0", "6", "-1", "3.5", "three", "²", "9" * 30, " "])
def test_a_count_of_none_or_more_than_the_places_is_refused(app, client, gate, attended):
    book(app, gate["room"], gate["bo"], "ROOM02", start=timedelta(minutes=10), places=5)
    login(client, "13900000001")
    response = client.post(
        "/staff/checkin/ROOM02", data={"attended": attended}, headers=EN, follow_redirects=True
    )
    assert response.status_code == 200
    if attended == " ":  # blank: the whole party
        assert booking_row(app, "ROOM02").attended == 5
        return
    assert "Check in from 1 to 5 people for this booking." in response.text
    row = booking_row(app, "ROOM02")
    assert (row.status, row.attended) == (S.CONFIRMED, None)


def test_a_hall_counts_people_up_to_its_capacity(app, client, gate):
    book(
        app,
        gate["hall"],
        gate["ann"],
        "HALL01",
        start=timedelta(minutes=10),
        places=100,
        purpose="讲座",
        attendance=60,
    )
    login(client, "13900000001")
    assert 'max="100" value="60"' in client.get("/staff/checkin/HALL01", headers=EN).text
    refused = client.post("/staff/checkin/HALL01", data={"attended": "101"}, headers=EN)
    assert refused.status_code == 302
    assert status_of(app, "HALL01") == S.CONFIRMED
    done = client.post(
        "/staff/checkin/HALL01", data={"attended": "72"}, headers=EN, follow_redirects=True
    )
    assert "72 of 60 checked in" in done.text
    assert booking_row(app, "HALL01").attended == 72


def test_the_database_refuses_a_count_above_the_places(app, gate):
    book(app, gate["room"], gate["bo"], "ROOM03", start=timedelta(minutes=10), places=2)
    with app.app_context():
        too_many = sa.update(Booking).where(Booking.code == "ROOM03").values(attended=3)
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(too_many)
        db.session.rollback()


def test_the_report_counts_the_people_who_came(app, gate):
    from booking.services.reports import booking_columns, from_bookings

    book(app, gate["room"], gate["bo"], "ROOM04", start=timedelta(minutes=10), places=5)
    book(app, gate["room"], gate["ann"], "ROOM05", start=timedelta(minutes=10), places=2)
    with app.app_context():
        db.session.execute(
            sa.update(Booking)
            .where(Booking.code == "ROOM04")
            .values(status=S.CHECKED_IN, attended=3)
        )
        # checked in before the count was kept: its places count
        db.session.execute(
            sa.update(Booking).where(Booking.code == "ROOM05").values(status=S.CHECKED_IN)
        )
        figures = db.session.execute(from_bookings(sa.select(*booking_columns()))).one()
        assert (figures.checked_in, figures.visitors) == (2, 5)


# -- outside the window, with a reason ------------------------------------------


def test_outside_the_window_staff_check_in_with_a_reason_and_it_is_audited(app, client, gate):
    book(app, gate["room"], gate["bo"], "EARLY1", start=timedelta(hours=3), places=2)
    login(client, "13900000001")
    page = client.get("/staff/checkin/EARLY1", headers=EN).text
    assert "Too early: check-in opens at 12:30." in page
    assert 'name="reason"' in page
    assert "Check in anyway" in page
    refused = client.post("/staff/checkin/EARLY1", headers=EN, follow_redirects=True)
    assert "To check in anyway, give a reason." in refused.text
    blank = client.post("/staff/checkin/EARLY1", data={"reason": "   "}, headers=EN)
    assert blank.status_code == 302
    assert status_of(app, "EARLY1") == S.CONFIRMED
    assert audit_of(app, "EARLY1") == []
    done = client.post(
        "/staff/checkin/EARLY1",
        data={"reason": "The bus came early", "attended": "1"},
        headers=EN,
        follow_redirects=True,
    )
    assert "1 of 2 checked in" in done.text
    assert "Checked in outside the check-in window" in done.text
    assert "The bus came early" in done.text
    assert status_of(app, "EARLY1") == S.CHECKED_IN
    assert audit_of(app, "EARLY1") == [
        ("booking.checked_in", None),
        ("booking.check_in_override", "The bus came early"),
    ]
    log = client.get("/staff/audit", query_string={"action": "booking"}, headers=EN).text
    assert "Checked in outside the check-in window" in log
    assert "The bus came early" in log
    assert '<a href="/staff/requests/EARLY1"><code>EARLY1</code></a>' in log


def test_within_the_window_no_reason_is_needed_or_recorded(app, client, gate):
    book(app, gate["room"], gate["bo"], "ONTIME", start=timedelta(minutes=20))
    login(client, "13900000001")
    page = client.get("/staff/checkin/ONTIME", headers=EN).text
    assert "Valid now." in page
    assert 'name="reason"' not in page
    client.post("/staff/checkin/ONTIME", data={"reason": "not needed"})
    assert [action for action, _ in audit_of(app, "ONTIME")] == ["booking.checked_in"]


def test_late_the_same_day_may_be_overridden(app, client, gate):
    book(app, gate["room"], gate["bo"], "LATE01", start=-timedelta(hours=3))
    login(client, "13900000001")
    assert "Too late: this time is over." in client.get("/staff/checkin/LATE01", headers=EN).text
    client.post("/staff/checkin/LATE01", data={"reason": "Came in by the side gate"})
    assert status_of(app, "LATE01") == S.CHECKED_IN


@pytest.mark.parametrize(
    ("start", "status", "refusal"),
    [
        (timedelta(days=1), S.CONFIRMED, "Not valid today"),
        (timedelta(minutes=10), S.PENDING, "the request has not been approved"),
        (timedelta(minutes=10), S.CANCELLED, "Not valid: this booking is"),
    ],
)
def test_no_reason_lets_in_another_days_or_an_invalid_booking(
    app, client, gate, start, status, refusal
):
    book(app, gate["room"], gate["bo"], "NOPE01", start=start, status=status)
    login(client, "13900000001")
    assert 'name="reason"' not in client.get("/staff/checkin/NOPE01", headers=EN).text
    response = client.post(
        "/staff/checkin/NOPE01",
        data={"reason": "Please let them in"},
        headers=EN,
        follow_redirects=True,
    )
    assert refusal in response.text
    assert status_of(app, "NOPE01") == status
    assert audit_of(app, "NOPE01") == []


def test_an_override_reason_must_be_plain_text(app, client, gate):
    book(app, gate["room"], gate["bo"], "EARLY2", start=timedelta(hours=3))
    login(client, "13900000001")
    response = client.post("/staff/checkin/EARLY2", data={"reason": "early\x00"}, headers=EN)
    assert response.status_code == 302
    assert status_of(app, "EARLY2") == S.CONFIRMED


def test_another_schools_booking_cannot_be_checked_in_even_with_a_reason(app, client, gate):
    book(app, gate["other_parking"], gate["ann"], "THERE2", start=timedelta(hours=3))
    login(client, "13900000001")
    response = client.post(
        "/staff/checkin/THERE2", data={"reason": "x", "attended": "1"}, headers=EN
    )
    assert response.status_code == 404
    assert status_of(app, "THERE2") == S.CONFIRMED


# -- the calendar: a facility filter and how full it is -------------------------


def this_week():
    from booking.services import clock

    return clock.local_date(NOW, clock.zone("Asia/Shanghai")).isoformat()


@pytest.fixture
def week(app, gate):
    book(app, gate["room"], gate["bo"], "ROOMW1", start=timedelta(hours=1), places=3)
    book(app, gate["room"], gate["ann"], "ROOMW2", start=timedelta(hours=1), places=2)
    book(app, gate["room"], gate["cy"], "ROOMW3", start=timedelta(hours=5), status=S.CHECKED_IN)
    book(app, gate["room"], gate["cy"], "GONE01", start=timedelta(hours=5), status=S.CANCELLED)
    book(app, gate["parking"], gate["ann"], "CARW01", start=timedelta(hours=1), plate="粤S12345")
    book(app, gate["other_parking"], gate["bo"], "THEREW", start=timedelta(hours=1))


def test_the_calendar_shows_how_full_each_slot_and_day_is(app, client, gate, monkeypatch, week):
    monkeypatch.setattr("booking.web.staff.manage.utcnow", lambda: NOW)
    login(client, "13900000001")
    everything = client.get("/staff/calendar", query_string={"week": this_week()}, headers=EN)
    assert everything.status_code == 200
    html = everything.text
    # the day, all facilities: the room's two slots hold 5 + 1 of 40, the car park 1 of 10
    assert "7 of 50 places, 14%" in html
    assert "6 of 40 places, 15%" in html
    assert "1 of 10 places, 10%" in html
    assert '<meter min="0" max="40" value="6"></meter>' in html
    assert "ROOMW1" in html
    assert "CARW01" in html
    assert "GONE01" not in html  # cancelled: holds nothing
    assert "THEREW" not in html
    room = gate["room"].id
    only = client.get(
        "/staff/calendar", query_string={"week": this_week(), "facility": room}, headers=EN
    )
    assert only.status_code == 200
    assert "CARW01" not in only.text
    assert "11:00–13:00" in only.text  # the first slot, local time
    assert "5 of 20 places, 25%" in only.text
    assert "1 of 20 places, 5%" in only.text  # checked in still counts
    assert f'<option value="{room}" selected>' in only.text
    assert f"facility={room}" in only.text  # the week links keep the filter
    assert (
        str(gate["other_parking"].id) not in only.text.split("<select", 1)[1].split("</select>")[0]
    )


@pytest.mark.parametrize("facility", ["other", "999999", "abc", "-1", "1.5", "²", "9" * 40])
def test_the_calendar_filter_is_only_for_the_schools_own_facilities(
    app, client, gate, week, facility
):
    value = str(gate["other_parking"].id) if facility == "other" else facility
    login(client, "13900000001")
    response = client.get("/staff/calendar", query_string={"facility": value}, headers=EN)
    assert response.status_code == 404
    assert "THEREW" not in response.text


def test_an_empty_filter_is_every_facility(app, client, gate):
    login(client, "13900000001")
    assert client.get("/staff/calendar", query_string={"facility": ""}).status_code == 200
