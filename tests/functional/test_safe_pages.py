"""Safe pages: exports that open safely in a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from booking import create_app
from booking.extensions import db
from booking.models import Booking, BookingStatus, FacilityKind, Role, Slot
from booking.services.clock import utcnow
from booking.web.downloads import csv_download, download
from tests.conftest import PASSWORD

EN = {"Accept-Language": "en"}
STAFF_PHONE = "13900000001"
RESIDENT_PHONE = "13700000001"


def login(client, phone, **headers):
    response = client.post(
        "/auth/login", data={"phone": phone, "password": PASSWORD}, headers=headers
    )
    assert response.status_code == 302
    return response


def add_visitor(app, facility, resident, code, *, start_in=timedelta(hours=1)):
    """A confirmed booking of `resident` in a new slot of `facility`, starting soon."""
    with app.app_context():
        now = utcnow().replace(microsecond=0)
        slot = Slot(
            facility_id=facility.id,
            starts_at=now + start_in,
            ends_at=now + start_in + timedelta(hours=2),
            opens_at=now - timedelta(days=1),
            capacity=facility.capacity,
            held=1,
        )
        db.session.add(slot)
        db.session.flush()
        db.session.add(
            Booking(
                code=code,
                slot_id=slot.id,
                resident_id=resident.id,
                places=1,
                status=BookingStatus.CONFIRMED,
            )
        )
        db.session.commit()


@pytest.fixture
def school(app, make_school, make_facility, make_user):
    school = make_school(code="NC-SAFE")
    reading = make_facility(school, kind=FacilityKind.READING_ROOM, name="阅览室", capacity=40)
    make_user(Role.STAFF, school=school, phone=STAFF_PHONE)
    resident = make_user(phone=RESIDENT_PHONE, real_name="李明")
    add_visitor(app, reading, resident, "SAFE01")
    return {"school": school, "reading": reading, "resident": resident}


def bare_app(tmp_path, monkeypatch, **settings):
    """An app on an empty SQLite file, for what touches no table."""
    monkeypatch.setenv("BOOKING_INSTANCE_PATH", str(tmp_path / "instance"))
    return create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'bare.sqlite'}", **settings}
    )


# --- The visitor CSV ----------------------------------------------------------

HOSTILE_NAMES = [
    '=HYPERLINK("http://evil","x")',
    "+86 123",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    '＝HYPERLINK("http://evil","x")',  # full-width, as a Chinese input method types it
]
ORDINARY_NAMES = ["王小明", "Anne-Marie O'Neil", "李 四", "1+1 俱乐部", "a=b"]


def csv_rows(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # Excel reads the BOM as UTF-8
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def test_hostile_names_come_out_of_the_visitor_csv_inert(app, client, school, make_user):
    codes = {}
    for n, name in enumerate(HOSTILE_NAMES + ORDINARY_NAMES):
        resident = make_user(phone=f"1360000{n:04d}", real_name=name)
        codes[f"CSV{n:03d}"] = name
        later = timedelta(hours=1, minutes=n + 1)
        add_visitor(app, school["reading"], resident, f"CSV{n:03d}", start_in=later)
    login(client, STAFF_PHONE)
    response = client.get("/staff/visitors.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    rows = csv_rows(response)
    name_column = rows[0].index("姓名") if "姓名" in rows[0] else rows[0].index("Name")
    names = {row[-2]: row[name_column] for row in rows[1:]}
    for code, name in codes.items():
        if name in HOSTILE_NAMES:
            assert names[code] == "'" + name, name
        else:
            assert names[code] == name, name
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", "＝")), row


def test_every_download_says_no_store_itself(tmp_path, monkeypatch):
    """Whichever page hands a file out, signed in or not, no cache keeps it."""
    app = bare_app(tmp_path, monkeypatch)
    with app.test_request_context():
        csv_file = csv_download([["Name"], ["=1+1"]], "x.csv")
        ics_file = download(b"BEGIN:VCALENDAR", "text/calendar", "x.ics")
    for response in (csv_file, ics_file):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Content-Disposition"].startswith("attachment;")
    assert csv_file.get_data(as_text=True) == "\ufeffName\r\n'=1+1\r\n"
