"""The JSON API through the test client: accounts and tokens, what there is to
book, bookings, the waitlist, errors, languages, limits and the OpenAPI document.

The API reads the real clock, so slots are placed relative to it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf.csrf import generate_csrf

from booking.extensions import db
from booking.models import (
    ApiToken,
    Booking,
    BookingStatus,
    Facility,
    FacilityKind,
    Role,
    Slot,
    User,
    VisitorTerms,
    WaitlistEntry,
)
from booking.services.clock import local_date, local_instant, utcnow
from booking.web.api.auth import issue_token
from tests.conftest import PASSWORD, factory_session

API = "/api/v1"
EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
TZ = ZoneInfo("Asia/Shanghai")
SLOT_FULL_EN = "This time is fully booked. You can join the waitlist."
SLOT_FULL_ZH = "这个时段已约满，您可以加入候补。"


def local_day(offset: int = 0) -> date:
    return local_date(utcnow(), TZ) + timedelta(days=offset)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return local_instant(day, time(hour, minute), TZ)


def error_of(response: Any) -> dict[str, Any]:
    assert response.mimetype == "application/json", response.data
    return response.get_json()["error"]


@pytest.fixture
def make_slot(app: Flask) -> Callable[..., Slot]:
    """A slot starting tomorrow at 18:30 in Shanghai, released an hour ago."""

    def make(
        facility: Facility,
        *,
        starts_at: datetime | None = None,
        minutes: int = 150,
        capacity: int | None = None,
        opens_at: datetime | None = None,
        held: int = 0,
        cancelled: bool = False,
    ) -> Slot:
        starts_at = starts_at or at(local_day(1), 18, 30)
        with factory_session(app) as session:
            slot = Slot(
                facility_id=facility.id,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=minutes),
                opens_at=opens_at or utcnow() - timedelta(hours=1),
                capacity=capacity or facility.capacity,
                held=held,
                cancelled_at=utcnow() if cancelled else None,
            )
            session.add(slot)
        return slot

    return make


@pytest.fixture
def signed_in(app: Flask) -> Callable[[User], dict[str, str]]:
    """Headers with a fresh bearer token for `user`, asking for English."""

    def headers(user: User) -> dict[str, str]:
        with app.app_context():
            raw, _token = issue_token(db.session, db.session.get(User, user.id), now=utcnow())
            db.session.commit()
        return {"Authorization": f"Bearer {raw}", **EN}

    return headers


@pytest.fixture
def resident(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture
def as_resident(resident: User, signed_in: Callable[[User], dict[str, str]]) -> dict[str, str]:
    return signed_in(resident)


@pytest.fixture
def room(make_facility: Callable[..., Facility]) -> Facility:
    return make_facility(kind=FacilityKind.READING_ROOM, capacity=20)


def book(client: FlaskClient, headers: dict[str, str], slot: Slot, **fields: Any) -> Any:
    return client.post(f"{API}/bookings", json={"slot_id": slot.id, **fields}, headers=headers)


def held(app: Flask, slot: Slot) -> int:
    with app.app_context():
        return db.session.get(Slot, slot.id).held


# Registering


def registration(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "real_name": "李明",
        "phone": "13912345678",
        "password": PASSWORD,
        "privacy_version": 1,
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def test_register_creates_a_resident(client, app):
    response = client.post(
        f"{API}/auth/register",
        json=registration(phone="+86 139 1234 5678", email="li@example.com"),
        headers=EN,
    )
    assert response.status_code == 201
    shown = response.get_json()
    assert shown["phone"] == "13912345678"
    assert shown["role"] == "resident"
    assert shown["email"] == "li@example.com"
    assert "password" not in response.text
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.phone == "13912345678"))
        assert user.is_resident
        assert not user.is_verified
        assert PASSWORD not in user.password_hash


@pytest.mark.parametrize(
    ("changes", "status", "code", "field", "message"),
    [
        ({"phone": "1391234567"}, 422, "validation", "phone", "Enter an 11-digit mainland"),
        ({"phone": "23912345678"}, 422, "validation", "phone", "Enter an 11-digit mainland"),
        ({"phone": None}, 422, "validation", "phone", "Enter your mobile number."),
        ({"phone": 13912345678}, 422, "validation", "phone", "Enter text."),
        ({"password": "short"}, 400, "weak_password", "password", "A password needs 10 to 128"),
        ({"password": "x" * 129}, 400, "weak_password", "password", "A password needs 10 to 128"),
        ({"password": "qwertyuiop"}, 400, "weak_password", "password", "This password is one of"),
        ({"password": None}, 422, "validation", "password", "Choose a password."),
        ({"real_name": "李" * 51}, 422, "validation", "real_name", "A name can be at most 50"),
        ({"real_name": "   "}, 422, "validation", "real_name", "Enter your real name."),
        ({"email": "not-an-address"}, 422, "validation", "email", "Enter an e-mail address"),
        ({"id_number": "12345"}, 422, "validation", "id_number", "An ID number has 18 characters"),
    ],
)
def test_register_refuses_bad_input(client, app, changes, status, code, field, message):
    """422 when the body does not fit the schema; 400 when a rule refuses a field."""
    response = client.post(f"{API}/auth/register", json=registration(**changes), headers=EN)
    assert response.status_code == status
    error = error_of(response)
    assert error["code"] == code
    assert error["fields"][field].startswith(message)
    assert error["message"] == error["fields"][field]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_register_names_every_field_in_error(client):
    response = client.post(f"{API}/auth/register", json={}, headers=EN)
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"real_name", "phone", "password"}


@pytest.mark.parametrize(
    ("data", "content_type", "status", "message"),
    [
        ("[1, 2]", "application/json", 422, "Send a JSON object in the request body."),
        ('"text"', "application/json", 422, "Send a JSON object in the request body."),
        ("null", "application/json", 422, "Send a JSON object in the request body."),
        ("{not json", "application/json", 400, "The body is not JSON that can be read."),
        ("real_name=x", "application/x-www-form-urlencoded", 422, "Enter your real name."),
        ("", "application/json", 422, "Enter your real name."),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(client, data, content_type, status, message):
    response = client.post(f"{API}/auth/register", data=data, content_type=content_type, headers=EN)
    assert response.status_code == status
    assert error_of(response)["message"] == message


def test_register_refuses_a_taken_phone(client, make_user):
    make_user(phone="13912345678")
    response = client.post(f"{API}/auth/register", json=registration(), headers=EN)
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "phone_taken"
    assert error["fields"] == {"phone": error["message"]}


# Tokens


def test_token_for_the_right_password(client, app, resident):
    response = client.post(
        f"{API}/auth/token", json={"phone": resident.phone, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    shown = response.get_json()
    assert shown["token_type"] == "Bearer"
    expires = datetime.fromisoformat(shown["expires_at"])
    assert timedelta(days=29) < expires - utcnow() <= timedelta(days=30)
    with app.app_context():
        stored = db.session.scalars(sa.select(ApiToken.token_hash)).all()
    assert stored == [hashlib.sha256(shown["token"].encode()).hexdigest()]
    me = client.get(f"{API}/me/bookings", headers={"Authorization": f"Bearer {shown['token']}"})
    assert me.status_code == 200


@pytest.mark.parametrize("phone", ["13500000001", "13999999999", "not a phone"])
def test_token_refused_with_one_message_for_wrong_password_and_unknown_phone(
    client, make_user, phone
):
    make_user(phone="13500000001")
    response = client.post(
        f"{API}/auth/token", json={"phone": phone, "password": "wrong password"}, headers=EN
    )
    assert response.status_code == 401
    assert error_of(response) == {
        "code": "invalid_credentials",
        "message": "Wrong mobile number or password.",
    }


def test_token_refused_to_a_deactivated_user(client, make_user):
    user = make_user(is_active_account=False)
    response = client.post(f"{API}/auth/token", json={"phone": user.phone, "password": PASSWORD})
    assert response.status_code == 401


def test_token_needs_phone_and_password(client):
    response = client.post(f"{API}/auth/token", json={"phone": "13500000001"}, headers=EN)
    assert response.status_code == 422
    assert error_of(response)["fields"] == {"password": "Enter your password."}


# Bearer authentication


def test_my_bookings_needs_credentials(client):
    response = client.get(f"{API}/me/bookings", headers=EN)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert error_of(response)["code"] == "unauthorized"


@pytest.mark.parametrize(
    "header", ["Bearer not-a-token", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer"]
)
def test_an_invalid_token_is_refused(client, header):
    response = client.get(f"{API}/me/bookings", headers={"Authorization": header, **EN})
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_token"


def test_a_revoked_token_is_refused(client, as_resident):
    assert client.get(f"{API}/me/bookings", headers=as_resident).status_code == 200
    assert client.delete(f"{API}/auth/token", headers=as_resident).status_code == 204
    response = client.get(f"{API}/me/bookings", headers=as_resident)
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_token"


def test_revoking_needs_a_token(client):
    assert client.delete(f"{API}/auth/token").status_code == 401


def test_an_expired_token_is_refused(client, app, as_resident):
    with app.app_context():
        db.session.execute(sa.update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert client.get(f"{API}/me/bookings", headers=as_resident).status_code == 401


def test_the_token_of_a_deactivated_user_is_refused(client, app, resident, as_resident):
    with app.app_context():
        db.session.get(User, resident.id).is_active_account = False
        db.session.commit()
    assert client.get(f"{API}/me/bookings", headers=as_resident).status_code == 401


def test_the_token_of_a_deleted_user_is_refused(client, app, resident, as_resident):
    with app.app_context():
        db.session.delete(db.session.get(User, resident.id))
        db.session.commit()
    assert client.get(f"{API}/me/bookings", headers=as_resident).status_code == 401


def test_last_use_is_noted_at_most_hourly(client, app, as_resident):
    def last_used() -> datetime:
        with app.app_context():
            return db.session.scalar(sa.select(ApiToken.last_used_at))

    issued = last_used()
    client.get(f"{API}/me/bookings", headers=as_resident)
    assert last_used() == issued
    with app.app_context():
        db.session.execute(sa.update(ApiToken).values(last_used_at=utcnow() - timedelta(hours=2)))
        db.session.commit()
    client.get(f"{API}/me/bookings", headers=as_resident)
    assert utcnow() - last_used() < timedelta(minutes=1)


# The session cookie


def test_the_session_cookie_works_and_unsafe_requests_need_the_csrf_header(
    client, app, resident, make_slot, room
):
    app.add_url_rule("/_test/csrf-token", "test_csrf_token", generate_csrf)
    slot = make_slot(room)
    client.post("/auth/login", data={"phone": resident.phone, "password": PASSWORD})
    assert client.get(f"{API}/me/bookings").status_code == 200

    refused = client.post(f"{API}/bookings", json={"slot_id": slot.id}, headers=EN)
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "csrf"
    wrong = client.post(
        f"{API}/bookings", json={"slot_id": slot.id}, headers={"X-CSRFToken": "forged"}
    )
    assert wrong.status_code == 403
    assert held(app, slot) == 0

    token = client.get("/_test/csrf-token").text
    booked = client.post(
        f"{API}/bookings", json={"slot_id": slot.id}, headers={"X-CSRFToken": token}
    )
    assert booked.status_code == 201


# Schools and facilities


def test_schools_with_their_active_facilities(client, make_school, make_facility):
    school = make_school(code="NC01", name="南城中学", name_en="Nancheng Middle School")
    hall = make_facility(
        school,
        kind=FacilityKind.LECTURE_HALL,
        name="报告厅",
        capacity=300,
        is_exclusive=True,
        requires_approval=True,
    )
    make_facility(school, name="旧阅览室", is_active=False)
    make_school(code="GONE", is_active=False)

    response = client.get(f"{API}/schools")
    assert response.status_code == 200
    assert response.get_json() == [
        {
            "code": "NC01",
            "name": "南城中学",
            "name_en": "Nancheng Middle School",
            "address": "南城路 1 号",
            "address_en": None,
            "area": "",
            "area_en": None,
            "is_public": True,
            "timezone": "Asia/Shanghai",
            "contact_phone": None,
            "facilities": [
                {
                    "id": hall.id,
                    "kind": "lecture_hall",
                    "name": "报告厅",
                    "name_en": None,
                    "capacity": 300,
                    "requires_approval": True,
                    "is_exclusive": True,
                    "release": {"days_ahead": 7, "time": "08:00"},
                }
            ],
        }
    ]


@contextmanager
def counting_selects(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_schools_are_listed_in_three_queries(client, app, make_school, make_facility):
    """Schools, their facilities, the facilities' booking policies."""
    for _ in range(5):
        school = make_school()
        make_facility(school)
        make_facility(school)
    with counting_selects(app) as statements:
        response = client.get(f"{API}/schools")
    assert len(response.get_json()) == 5
    assert len(statements) == 3, statements


def test_slots_with_state_release_and_local_offset(client, room, make_slot, resident, as_resident):
    now = utcnow()
    tomorrow = local_day(1)
    open_ = make_slot(room, starts_at=at(tomorrow, 8), minutes=120, capacity=20, held=5)
    full = make_slot(room, starts_at=at(tomorrow, 10), minutes=120, capacity=3, held=3)
    later = at(local_day(3), 8)
    not_released = make_slot(room, starts_at=at(tomorrow, 12), minutes=120, opens_at=later)
    closed = make_slot(room, starts_at=at(tomorrow, 14), minutes=120, cancelled=True)
    past = make_slot(room, starts_at=now - timedelta(hours=3), minutes=120)
    first = local_date(past.starts_at, TZ)

    query = {"from": first.isoformat(), "to": tomorrow.isoformat()}
    anonymous = client.get(f"{API}/facilities/{room.id}/slots", query_string=query).get_json()
    assert [slot["id"] for slot in anonymous] == [
        past.id,
        open_.id,
        full.id,
        not_released.id,
        closed.id,
    ]
    states = {slot["id"]: slot["state"] for slot in anonymous}
    assert states == {
        past.id: "past",
        open_.id: "open",
        full.id: "full",
        not_released.id: "not_released",
        closed.id: "closed",
    }
    shown = next(slot for slot in anonymous if slot["id"] == open_.id)
    assert shown == {
        "id": open_.id,
        "starts_at": f"{tomorrow.isoformat()}T08:00:00+08:00",
        "ends_at": f"{tomorrow.isoformat()}T10:00:00+08:00",
        "opens_at": open_.opens_at.astimezone(TZ).isoformat(timespec="seconds"),
        "capacity": 20,
        "places_left": 15,
        "state": "open",
    }
    waiting = next(slot for slot in anonymous if slot["id"] == not_released.id)
    assert waiting["opens_at"] == f"{local_day(3).isoformat()}T08:00:00+08:00"

    assert book(client, as_resident, open_).status_code == 201
    mine = client.get(
        f"{API}/facilities/{room.id}/slots", query_string=query, headers=as_resident
    ).get_json()
    assert {slot["id"]: slot["booked_by_me"] for slot in mine} == {
        past.id: False,
        open_.id: True,
        full.id: False,
        not_released.id: False,
        closed.id: False,
    }
    assert all(slot["state"] in {"open", "full", "not_released", "closed", "past"} for slot in mine)


def test_slots_default_to_a_week_from_today(client, room, make_slot):
    inside = make_slot(room, starts_at=at(local_day(6), 18))
    make_slot(room, starts_at=at(local_day(7), 18))
    response = client.get(f"{API}/facilities/{room.id}/slots")
    assert [slot["id"] for slot in response.get_json()] == [inside.id]


def test_slots_over_31_days_at_most(client, room):
    first = local_day(0)
    allowed = {"from": first.isoformat(), "to": (first + timedelta(days=30)).isoformat()}
    assert client.get(f"{API}/facilities/{room.id}/slots", query_string=allowed).status_code == 200
    too_long = {"from": first.isoformat(), "to": (first + timedelta(days=31)).isoformat()}
    response = client.get(f"{API}/facilities/{room.id}/slots", query_string=too_long, headers=EN)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "validation"
    assert error["fields"] == {"to": "Ask for at most 31 days at a time."}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"from": "2026-02-30"}, "from"),
        ({"from": "tomorrow"}, "from"),
        ({"from": "20261125"}, "from"),
        ({"from": "2026-11-25T00:00"}, "from"),
        ({"from": "2026-11-25", "to": "25/11/2026"}, "to"),
    ],
)
def test_slots_refuse_malformed_dates(client, room, query, field):
    response = client.get(f"{API}/facilities/{room.id}/slots", query_string=query, headers=EN)
    assert response.status_code == 400
    assert error_of(response)["fields"] == {field: "Write dates as YYYY-MM-DD, such as 2026-11-25."}


def test_slots_refuse_a_range_that_ends_before_it_starts(client, room):
    query = {"from": "2026-11-25", "to": "2026-11-24"}
    response = client.get(f"{API}/facilities/{room.id}/slots", query_string=query, headers=EN)
    assert response.status_code == 400
    assert error_of(response)["fields"] == {"to": "The last day cannot be before the first."}


def test_slots_of_an_unknown_or_inactive_facility_are_not_found(client, make_facility):
    inactive = make_facility(is_active=False)
    for facility_id in (inactive.id, 999_999, 10**20):
        response = client.get(f"{API}/facilities/{facility_id}/slots", headers=EN)
        assert response.status_code == 404
        assert error_of(response) == {"code": "not_found", "message": "Not found."}


# Booking


def test_book_a_slot(client, app, room, make_slot, as_resident):
    slot = make_slot(room, capacity=10)
    response = book(client, as_resident, slot, places=2)
    assert response.status_code == 201
    shown = response.get_json()
    assert re.fullmatch(r"[A-Z0-9]{6}", shown["code"])
    assert response.headers["Location"] == f"{API}/bookings/{shown['code']}"
    day = local_day(1).isoformat()
    assert shown | {"code": None, "created_at": None, "cancel_until": None} == {
        "code": None,
        "status": "confirmed",
        "slot_id": slot.id,
        "places": 2,
        "starts_at": f"{day}T18:30:00+08:00",
        "ends_at": f"{day}T21:00:00+08:00",
        "facility_id": room.id,
        "facility": {"id": room.id, "kind": "reading_room", "name": room.name, "name_en": None},
        "school": {
            "code": shown["school"]["code"],
            "name": shown["school"]["name"],
            "name_en": None,
        },
        "purpose": None,
        "organiser": None,
        "attendance": None,
        "attended": None,
        "plate": None,
        "reason": None,
        "created_at": None,
        "cancel_until": None,
        "can_cancel": True,
    }
    assert shown["cancel_until"] == f"{day}T16:30:00+08:00"
    assert held(app, slot) == 2
    again = client.get(response.headers["Location"], headers=as_resident)
    assert again.get_json() == shown


def test_a_facility_with_approval_gives_a_pending_booking(
    client, make_facility, make_slot, as_resident
):
    slot = make_slot(make_facility(requires_approval=True))
    assert book(client, as_resident, slot).get_json()["status"] == "pending"


def test_book_a_full_slot(client, room, make_slot, as_resident):
    slot = make_slot(room, capacity=1, held=1)
    response = book(client, as_resident, slot)
    assert response.status_code == 409
    assert error_of(response) == {"code": "slot_full", "message": SLOT_FULL_EN}


@pytest.mark.parametrize(
    ("language", "message"),
    [({"Accept-Language": "en-GB,en;q=0.9"}, SLOT_FULL_EN), (ZH, SLOT_FULL_ZH), ({}, SLOT_FULL_ZH)],
)
def test_messages_follow_accept_language(client, room, make_slot, as_resident, language, message):
    slot = make_slot(room, capacity=1, held=1)
    headers = {"Authorization": as_resident["Authorization"], **language}
    assert error_of(book(client, headers, slot))["message"] == message


def test_book_before_release(client, room, make_slot, as_resident):
    slot = make_slot(room, opens_at=utcnow() + timedelta(hours=5))
    response = book(client, as_resident, slot)
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "not_released"
    assert error["message"].startswith("Booking for this time opens at")


def test_book_a_past_or_closed_slot(client, room, make_slot, as_resident):
    past = make_slot(room, starts_at=utcnow() - timedelta(minutes=1))
    assert error_of(book(client, as_resident, past))["code"] == "past"
    closed = make_slot(room, cancelled=True)
    assert error_of(book(client, as_resident, closed))["code"] == "closed"


def test_book_an_unknown_slot(client, as_resident):
    response = client.post(f"{API}/bookings", json={"slot_id": 999_999}, headers=as_resident)
    assert response.status_code == 404
    assert error_of(response) == {"code": "not_found", "message": "This time slot does not exist."}


def test_book_a_slot_of_an_inactive_facility(client, make_facility, make_slot, as_resident):
    slot = make_slot(make_facility(is_active=False))
    assert book(client, as_resident, slot).status_code == 404


def test_book_twice(client, room, make_slot, as_resident):
    slot = make_slot(room)
    assert book(client, as_resident, slot).status_code == 201
    response = book(client, as_resident, slot)
    assert response.status_code == 409
    assert error_of(response)["code"] == "duplicate"


def test_booking_needs_the_current_visitor_terms(client, app, room, make_slot, as_resident):
    with app.app_context():
        db.session.add(VisitorTerms(school_id=room.school_id, version=2, body="请勿喧哗"))
        db.session.commit()
    slot = make_slot(room)
    refused = book(client, as_resident, slot)
    assert refused.status_code == 400
    assert error_of(refused)["code"] == "validation"
    assert set(error_of(refused)["fields"]) == {"terms_version"}
    assert book(client, as_resident, slot, terms_version=2).status_code == 201


@pytest.mark.parametrize(
    ("kind", "fields", "status", "field", "message"),
    [
        ("reading_room", {"places": 0}, 400, "places", "Between 1 and 20 people."),
        ("reading_room", {"places": -1}, 400, "places", "Between 1 and 20 people."),
        ("reading_room", {"places": 21}, 400, "places", "Between 1 and 20 people."),
        ("reading_room", {"places": 10**30}, 400, "places", "Between 1 and 20 people."),
        ("reading_room", {"places": None}, 422, "places", "This field cannot be empty."),
        ("reading_room", {"places": "2"}, 422, "places", "Enter a whole number."),
        ("reading_room", {"places": 2.5}, 422, "places", "Enter a whole number."),
        ("reading_room", {"places": True}, 422, "places", "Enter a whole number."),
        ("reading_room", {"slot_id": None}, 422, "slot_id", "Choose a time slot."),
        ("reading_room", {"slot_id": "1"}, 422, "slot_id", "Enter a whole number."),
        ("reading_room", {"slot_id": 0}, 422, "slot_id", "Choose a time slot."),
        ("reading_room", {"slot_id": 2**40}, 422, "slot_id", "Choose a time slot."),
        ("reading_room", {"seats": 2}, 422, "seats", "This field is not part of the request."),
        ("lecture_hall", {"purpose": "x" * 201}, 400, "purpose", "At most 200 characters."),
        ("lecture_hall", {"purpose": ["a"]}, 422, "purpose", "Enter text."),
        ("lecture_hall", {"organiser": "x" * 101}, 400, "organiser", "At most 100 characters."),
        ("lecture_hall", {"attendance": 0}, 400, "attendance", "Between 1 and 20 people"),
        ("parking", {"plate": "粤I12345"}, 400, "plate", "Enter a mainland licence plate"),
        ("reading_room", {"terms_version": 0}, 400, "terms_version", "Please read and accept"),
    ],
)
def test_booking_input_is_checked(
    client, app, make_facility, make_slot, as_resident, kind, fields, status, field, message
):
    """422: the body does not fit the schema; 400: the facility's booking form refuses it."""
    facility = make_facility(
        kind=FacilityKind(kind), capacity=20, is_exclusive=kind == "lecture_hall"
    )
    if "terms_version" in fields:
        with app.app_context():
            db.session.add(VisitorTerms(school_id=facility.school_id, version=1, body="守则"))
            db.session.commit()
    slot = make_slot(facility)
    body = {"slot_id": slot.id, **fields}
    response = client.post(f"{API}/bookings", json=body, headers=as_resident)
    assert response.status_code == status
    error = error_of(response)
    assert error["code"] == "validation"
    assert error["fields"][field].startswith(message)
    assert held(app, slot) == 0


@pytest.mark.parametrize("body", [[], [{"slot_id": 1}], "1", 1])
def test_booking_body_must_be_an_object(client, as_resident, body):
    response = client.post(f"{API}/bookings", json=body, headers=as_resident)
    assert response.status_code == 422
    assert error_of(response)["message"] == "Send a JSON object in the request body."


def test_parking_needs_a_mainland_plate(client, app, make_facility, make_slot, as_resident):
    slot = make_slot(make_facility(kind=FacilityKind.PARKING, capacity=30))
    missing = book(client, as_resident, slot)
    assert missing.status_code == 400
    assert error_of(missing)["fields"] == {"plate": "Enter the licence plate of the car."}
    wrong = book(client, as_resident, slot, plate="粤B 1234")
    assert error_of(wrong)["fields"]["plate"].startswith("Enter a mainland licence plate")
    booked = book(client, as_resident, slot, plate=" 粤b·12345 ")
    assert booked.status_code == 201
    assert booked.get_json()["plate"] == "粤B12345"


def test_a_hall_needs_purpose_and_attendance(client, make_facility, make_slot, as_resident):
    hall = make_facility(kind=FacilityKind.LECTURE_HALL, capacity=200, is_exclusive=True)
    slot = make_slot(hall)
    response = book(client, as_resident, slot)
    assert response.status_code == 400
    assert error_of(response)["fields"] == {
        "purpose": "Say what the hall is for.",
        "organiser": "Say who organises it.",
        "attendance": "Say how many people you expect.",
    }
    too_many = book(client, as_resident, slot, purpose="讲座", organiser="街道", attendance=201)
    assert too_many.status_code == 400
    assert error_of(too_many)["fields"] == {
        "attendance": "Between 1 and 200 people (the hall's capacity)."
    }


def test_markup_is_kept_as_text_and_escaped_in_json(
    client, app, make_facility, make_slot, as_resident
):
    hall = make_facility(kind=FacilityKind.LECTURE_HALL, capacity=200, is_exclusive=True)
    slot = make_slot(hall)
    purpose = "<script>alert('x')</script> & <b>讲座</b>"
    response = book(client, as_resident, slot, purpose=purpose, organiser="社区", attendance=80)
    assert response.status_code == 201
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert b"<script>" not in response.data
    assert b"\\u003cscript\\u003e" in response.data
    assert response.get_json()["purpose"] == purpose
    assert response.get_json()["places"] == 200  # a hall is booked whole
    with app.app_context():
        assert db.session.scalar(sa.select(Booking.purpose)) == purpose


def test_staff_and_administrators_cannot_book(
    client, make_school, make_user, room, make_slot, signed_in
):
    slot = make_slot(room)
    for user in (make_user(Role.STAFF, school=make_school()), make_user(Role.ADMIN)):
        headers = signed_in(user)
        response = book(client, headers, slot)
        assert response.status_code == 403
        assert error_of(response)["code"] == "forbidden"
        assert client.get(f"{API}/me/bookings", headers=headers).status_code == 403
        waiting = client.post(f"{API}/slots/{slot.id}/waitlist", headers=headers)
        assert waiting.status_code == 403


# Cancelling and listing


def test_cancel_gives_the_places_back(client, app, room, make_slot, as_resident):
    slot = make_slot(room)
    code = book(client, as_resident, slot, places=3).get_json()["code"]
    assert held(app, slot) == 3
    response = client.delete(f"{API}/bookings/{code.lower()}", headers=as_resident)
    assert response.status_code == 200
    shown = response.get_json()
    assert (shown["code"], shown["status"], shown["can_cancel"]) == (code, "cancelled", False)
    assert held(app, slot) == 0
    slots = client.get(
        f"{API}/facilities/{room.id}/slots", query_string={"from": local_day(1).isoformat()}
    ).get_json()
    assert slots[0]["places_left"] == 20
    again = client.delete(f"{API}/bookings/{code}", headers=as_resident)
    assert again.status_code == 409
    assert error_of(again)["code"] == "invalid_state"


def test_cancel_after_the_deadline(client, app, room, make_slot, as_resident):
    slot = make_slot(room, starts_at=utcnow() + timedelta(minutes=90))
    code = book(client, as_resident, slot).get_json()["code"]
    response = client.delete(f"{API}/bookings/{code}", headers=as_resident)
    assert response.status_code == 409
    assert error_of(response)["code"] == "cancel_deadline_passed"
    assert held(app, slot) == 1


def test_another_residents_booking_is_not_found(
    client, app, room, make_slot, make_user, as_resident, signed_in
):
    slot = make_slot(room)
    code = book(client, as_resident, slot).get_json()["code"]
    other = signed_in(make_user())
    for method in (client.get, client.delete):
        response = method(f"{API}/bookings/{code}", headers=other)
        assert response.status_code == 404
        assert error_of(response) == {
            "code": "not_found",
            "message": "This booking does not exist.",
        }
    assert held(app, slot) == 1


def test_my_bookings_upcoming_first_then_past(client, app, room, make_slot, resident, as_resident):
    later = make_slot(room, starts_at=at(local_day(2), 18))
    sooner = make_slot(room, starts_at=at(local_day(1), 18))
    old = make_slot(room, starts_at=at(local_day(-7), 18))
    older = make_slot(room, starts_at=at(local_day(-14), 18))
    codes = [book(client, as_resident, slot).get_json()["code"] for slot in (later, sooner)]
    with factory_session(app) as session:
        for number, slot in enumerate((older, old)):
            session.add(
                Booking(
                    code=f"PAST{number}",
                    slot_id=slot.id,
                    resident_id=resident.id,
                    places=1,
                    status=BookingStatus.CHECKED_IN,
                )
            )
    shown = client.get(f"{API}/me/bookings", headers=as_resident).get_json()
    assert [booking["code"] for booking in shown] == [codes[1], codes[0], "PAST1", "PAST0"]
    assert [booking["can_cancel"] for booking in shown] == [True, True, False, False]
    assert shown[0]["school"]["code"]
    assert shown[0]["facility"]["name"] == room.name


# The waitlist


def test_waitlist_join_position_leave_and_accept(
    client, app, room, make_slot, make_user, as_resident, signed_in
):
    slot = make_slot(room, capacity=1)
    first_code = book(client, as_resident, slot).get_json()["code"]
    second, third = signed_in(make_user()), signed_in(make_user())

    joined = client.post(f"{API}/slots/{slot.id}/waitlist", headers=second)
    assert joined.status_code == 201
    assert joined.get_json() | {"id": None} == joined.get_json() | {
        "id": None,
        "status": "waiting",
        "position": 1,
        "places": 1,
        "slot_id": slot.id,
        "offer_expires_at": None,
    }
    third_entry = client.post(f"{API}/slots/{slot.id}/waitlist", json={}, headers=third)
    assert third_entry.get_json()["position"] == 2
    entry_id = third_entry.get_json()["id"]
    mine = client.get(f"{API}/me/waitlist", headers=third).get_json()
    assert [(entry["id"], entry["position"]) for entry in mine] == [(entry_id, 2)]

    left = client.delete(f"{API}/waitlist/{joined.get_json()['id']}", headers=second)
    assert left.status_code == 200
    assert left.get_json()["status"] == "left"
    assert client.get(f"{API}/me/waitlist", headers=second).get_json() == []
    assert client.get(f"{API}/me/waitlist", headers=third).get_json()[0]["position"] == 1

    assert client.delete(f"{API}/bookings/{first_code}", headers=as_resident).status_code == 200
    offered = client.get(f"{API}/me/waitlist", headers=third).get_json()[0]
    assert offered["status"] == "offered"
    assert offered["position"] is None
    assert offered["offer_expires_at"].endswith("+08:00")
    assert held(app, slot) == 1  # held for the offer

    accepted = client.post(f"{API}/waitlist/{entry_id}/accept", headers=third)
    assert accepted.status_code == 201
    booking = accepted.get_json()
    assert (booking["status"], booking["slot_id"]) == ("confirmed", slot.id)
    assert held(app, slot) == 1
    assert client.get(f"{API}/me/waitlist", headers=third).get_json() == []
    again = client.post(f"{API}/waitlist/{entry_id}/accept", headers=third)
    assert again.status_code == 409
    assert error_of(again)["code"] == "offer_closed"


def test_waitlist_refused_while_there_is_room(client, room, make_slot, as_resident):
    slot = make_slot(room)
    response = client.post(f"{API}/slots/{slot.id}/waitlist", headers=as_resident)
    assert response.status_code == 409
    assert error_of(response) == {
        "code": "waitlist",
        "message": "There is room for you: book this time directly.",
    }


def test_waitlist_checks_its_details(client, room, make_slot, as_resident):
    slot = make_slot(room, capacity=1, held=1)
    response = client.post(
        f"{API}/slots/{slot.id}/waitlist", json={"places": 0}, headers=as_resident
    )
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"places"}
    unknown = client.post(f"{API}/slots/999999/waitlist", headers=as_resident)
    assert unknown.status_code == 404


def test_another_residents_waitlist_entry_is_not_found(
    client, app, room, make_slot, make_user, as_resident, signed_in
):
    slot = make_slot(room, capacity=1, held=1)
    entry_id = client.post(f"{API}/slots/{slot.id}/waitlist", headers=as_resident).get_json()["id"]
    other = signed_in(make_user())
    assert client.delete(f"{API}/waitlist/{entry_id}", headers=other).status_code == 404
    assert client.post(f"{API}/waitlist/{entry_id}/accept", headers=other).status_code == 404
    with app.app_context():
        assert db.session.get(WaitlistEntry, entry_id).status == "waiting"


# Errors outside the views, and the pages left alone


def test_unknown_api_routes_answer_json(client):
    response = client.get(f"{API}/nothing-here", headers=EN)
    assert response.status_code == 404
    assert error_of(response) == {"code": "not_found", "message": "Not found."}
    assert error_of(client.post("/api/v2/bookings", headers=ZH)) == {
        "code": "not_found",
        "message": "未找到。",
    }


def test_wrong_method_answers_json(client):
    response = client.get(f"{API}/bookings", headers=EN)
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]
    assert client.put(f"{API}/schools").status_code == 405


def test_page_errors_stay_pages(client):
    response = client.get("/no-such-page", headers=EN)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Page not found" in response.text
    wrong_method = client.get("/auth/logout", headers=EN)
    assert wrong_method.status_code == 405
    assert wrong_method.mimetype == "text/html"


# Rate limits (off in the other tests)


class TestRateLimits:
    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return {**app_config, "RATELIMIT_ENABLED": True, "RATELIMIT_REGISTER": "2 per minute"}

    def test_registering_too_often_is_refused(self, client):
        statuses = [
            client.post(
                f"{API}/auth/register", json=registration(phone=f"1391234567{n}"), headers=EN
            ).status_code
            for n in range(2)
        ]
        assert statuses == [201, 201]
        response = client.post(
            f"{API}/auth/register", json=registration(phone="13912345679"), headers=EN
        )
        assert response.status_code == 429
        assert error_of(response) == {
            "code": "rate_limited",
            "message": "Too many attempts from your network. Please wait a minute and try again.",
        }
        assert int(response.headers["Retry-After"]) > 0


# The OpenAPI document


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def api_routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(f"{API}/")
        for method in rule.methods or ()
        if method not in {"HEAD", "OPTIONS"}
    }


def test_openapi_describes_every_route(client, app):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.0.")
    assert document["info"]["title"]
    assert document["info"]["version"]
    documented = {
        (path, method)
        for path, operations in document["paths"].items()
        for method in operations
        if method != "parameters"
    }
    routes = api_routes(app)
    assert len(routes) >= 14
    routes.discard((f"{API}/openapi.json", "get"))  # the document itself
    assert routes - documented == set(), "routes missing from the document"
    assert documented - routes == set(), "the document describes routes that do not exist"


def resolve(document: dict[str, Any], pointer: str) -> Any:
    assert pointer.startswith("#/")
    node: Any = document
    for part in pointer[2:].split("/"):
        node = node[part]
    return node


def references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from references(value)
    elif isinstance(node, list):
        for value in node:
            yield from references(value)


def test_openapi_document_is_consistent(client):
    document = client.get(f"{API}/openapi.json").get_json()
    for pointer in references(document):
        assert resolve(document, pointer) is not None, pointer
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["bearerAuth"]["description"],
    }
    schemas = document["components"]["schemas"]
    assert schemas["ErrorBody"]["properties"]["error"]["$ref"].endswith("/ErrorDetail")
    detail = schemas["ErrorDetail"]
    assert detail["required"] == ["code", "message"]
    for code in ("slot_full", "not_released", "overlap", "weak_password", "busy", "validation"):
        assert code in detail["properties"]["code"]["enum"]
    operation_ids = []
    for path, operations in document["paths"].items():
        placeholders = set(re.findall(r"{(\w+)}", path))
        shared = operations.get("parameters", [])
        for method, operation in operations.items():
            if method == "parameters":
                continue
            operation_ids.append(operation["operationId"])
            assert operation["responses"], (path, method)
            assert all(re.fullmatch(r"[1-5]\d\d", status) for status in operation["responses"])
            parameters = [
                resolve(document, p["$ref"]) if "$ref" in p else p
                for p in [*shared, *operation.get("parameters", [])]
            ]
            in_path = {p["name"] for p in parameters if p["in"] == "path"}
            assert in_path == placeholders, (path, method)
            for scheme in operation["security"]:
                assert set(scheme) <= set(schemes)
            if method in {"post", "delete"} and operation["security"] != []:
                errors = {s for s in operation["responses"] if s.startswith("4")}
                assert "401" in errors, (path, method)
            for status in ("400", "500", "503"):  # every operation can answer these
                assert status in operation["responses"], (path, method, status)
    assert len(operation_ids) == len(set(operation_ids))


def test_my_bookings_in_a_fixed_number_of_queries(
    client, app, make_facility, make_slot, as_resident
):
    def selects() -> int:
        with counting_selects(app) as statements:
            response = client.get(f"{API}/me/bookings", headers=as_resident)
        assert response.status_code == 200
        return len(statements)

    counts = []
    for day in (1, 2, 3):
        slot = make_slot(make_facility(), starts_at=at(local_day(day), 18))
        assert book(client, as_resident, slot).status_code == 201
        counts.append(selects())
    assert counts[0] == counts[-1] <= 4  # the token, the bookings joined, the policies


def test_a_client_sees_times_not_yet_published_and_asks_to_be_reminded(
    client, room, make_rule, as_resident
):
    make_rule(room)  # every day 18:30-21:00, nothing generated
    day = local_day(20)
    planned = client.get(
        f"{API}/facilities/{room.id}/planned",
        query_string={"from": day.isoformat(), "to": day.isoformat()},
    )
    assert planned.status_code == 200
    [time_] = planned.get_json()
    assert time_["starts_at"] == f"{day.isoformat()}T18:30:00+08:00"
    assert time_["opens_at"] == f"{(day - timedelta(days=7)).isoformat()}T08:00:00+08:00"
    asked = client.post(
        f"{API}/me/reminders",
        json={"facility_id": room.id, "starts_at": time_["starts_at"]},
        headers=as_resident,
    )
    assert asked.status_code == 201
    assert asked.get_json()["remind_at"] == at(day - timedelta(days=7), 8, 0).isoformat()
    again = client.post(
        f"{API}/me/reminders",
        json={"facility_id": room.id, "starts_at": time_["starts_at"]},
        headers=as_resident,
    )
    assert again.get_json()["id"] == asked.get_json()["id"]  # one reminder
    assert len(client.get(f"{API}/me/reminders", headers=as_resident).get_json()) == 1
    naive = client.post(
        f"{API}/me/reminders",
        json={"facility_id": room.id, "starts_at": "2026-12-25T18:30:00"},
        headers=as_resident,
    )
    assert naive.status_code == 422
    past = client.post(
        f"{API}/me/reminders",
        json={"facility_id": room.id, "starts_at": "2020-01-01T18:30:00+08:00"},
        headers=as_resident,
    )
    assert past.status_code == 400


@pytest.mark.parametrize("starts_at", ["9999-12-31T23:59:00+08:00", "0001-01-01T00:00:00+08:00"])
def test_a_reminder_for_a_time_far_away_is_a_clear_refusal(client, room, as_resident, starts_at):
    answer = client.post(
        f"{API}/me/reminders",
        json={"facility_id": room.id, "starts_at": starts_at},
        headers=as_resident,
    )
    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == "reminder_refused"
