"""Odd input gets 400 or 404 with a clear message in the page's language and
changes nothing (DESIGN rule 8): NUL and other control characters, ids past
the tables' range, years 1 and 9999, deeply nested JSON, lone surrogates,
digits that are not ASCII. Each row was a 500 on PostgreSQL, SQLite or both.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from booking.models import BookingStatus
from tests.conftest import PASSWORD
from tests.functional.campus import (
    OTHER_PHONE,
    RESIDENT_PHONE,
    STAFF_PHONE,
    Campus,
    build_campus,
    local_day,
    snapshot,
)

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
CONTROL_EN = "Remove the invisible control characters from this text."
CONTROL_ZH = "请删除文字中看不见的控制字符。"
URL_EN = "This address holds invisible control characters. Check the link and try again."
URL_ZH = "此网址含有看不见的控制字符，请检查链接后重试。"
DAY_EN = "Choose a date written as YYYY-MM-DD, at most 5 years from today."
DAY_ZH = "请按 YYYY-MM-DD 格式选择距今 5 年以内的日期。"
NEAR_EN = "Choose a date at most 5 years from today."
NEAR_ZH = "请选择距今 5 年以内的日期。"
SURROGATE_EN = "This text is not valid Unicode (it holds a lone surrogate)."
STALE_EN = "This request changed since you opened the page. Look at it again before deciding."


@pytest.fixture
def campus(app: Flask) -> Campus:
    return build_campus(app)


def log_in(client: FlaskClient, phone: str) -> None:
    response = client.post("/auth/login", data={"phone": phone, "password": PASSWORD})
    assert response.status_code == 302


def fill(template: str, campus: Campus) -> str:
    return template.format(**vars(campus))


def assert_unchanged(app: Flask, before: dict[str, Any]) -> None:
    after = snapshot(app)
    changed = [name for name in before if before[name] != after[name]]
    assert changed == [], f"tables changed by a refused request: {changed}"


def html_text(response: Any) -> str:
    """The page's text with HTML escapes undone, for comparing messages."""
    return response.get_data(as_text=True).replace("&#39;", "'").replace("&#34;", '"')


# Ids past 2**31-1 (the tables' INTEGER), negative, or in digits that are not ASCII

TOO_BIG = [str(2**31), str(2**63), str(2**64 + 1), "9" * 40]
ID_ROUTES = [
    ("resident", "GET", "/facilities/{id}"),
    ("resident", "GET", "/slots/{id}/book"),
    ("resident", "POST", "/slots/{id}/book"),
    ("resident", "POST", "/waitlist/{id}/accept"),
    ("resident", "POST", "/waitlist/{id}/leave"),
    ("staff", "GET", "/staff/facilities/{id}/edit"),
    ("staff", "POST", "/staff/facilities/{id}/edit"),
    ("staff", "GET", "/staff/facilities/{id}/rules"),
    ("staff", "GET", "/staff/facilities/{id}/policy"),
    ("staff", "GET", "/staff/rules/{id}/edit"),
    ("staff", "POST", "/staff/rules/{id}/remove"),
    ("resident", "GET", "/api/v1/facilities/{id}/slots"),
    ("resident", "POST", "/api/v1/slots/{id}/waitlist"),
    ("resident", "DELETE", "/api/v1/waitlist/{id}"),
    ("resident", "POST", "/api/v1/waitlist/{id}/accept"),
]


def test_ids_out_of_range_are_not_found(app, client, campus):
    before = snapshot(app)
    wrong = []
    for who in ("resident", "staff"):
        log_in(client, STAFF_PHONE if who == "staff" else RESIDENT_PHONE)
        headers = {**EN, "Authorization": f"Bearer {campus.token}"}
        for route_who, method, route in ID_ROUTES:
            if route_who != who:
                continue
            for raw_id in [*TOO_BIG, "-1", "１", "١"]:
                response = client.open(route.format(id=raw_id), method=method, headers=headers)
                if response.status_code != 404 or (
                    "/api/" in route and response.get_json()["error"]["code"] != "not_found"
                ):
                    wrong.append((method, route, raw_id, response.status_code))
        client.post("/auth/logout")
    assert wrong == []
    assert_unchanged(app, before)


def test_the_largest_id_is_simply_not_found(client, campus):
    assert client.get(f"/facilities/{2**31 - 1}").status_code == 404
    assert client.get(f"/facilities/{campus.room_id}").status_code == 200


# Control characters in paths (404) and query values (400)

PATHS_WITH_NUL = [
    ("resident", "/bookings/{confirmed_code}%00"),
    ("resident", "/bookings/%00"),
    ("staff", "/staff/checkin/{pending_code}%00"),
    ("staff", "/staff/requests/{pending_code}%00"),
    ("staff", "/staff/requests/A%01B"),
    ("resident", "/schools/ODD%00"),
    ("resident", "/api/v1/bookings/{confirmed_code}%00"),
    ("resident", "/api/v1/bookings/%1F"),
]


def test_control_characters_in_a_path_are_not_found(app, client, campus):
    wrong = []
    for who in ("resident", "staff"):
        log_in(client, STAFF_PHONE if who == "staff" else RESIDENT_PHONE)
        headers = {**EN, "Authorization": f"Bearer {campus.token}"}
        for path_who, path in PATHS_WITH_NUL:
            response = client.get(fill(path, campus), headers=headers)
            if path_who == who and response.status_code != 404:
                wrong.append((path, response.status_code))
        client.post("/auth/logout")
    assert wrong == []


QUERIES_WITH_CONTROLS = [
    ("staff", "/staff/audit?action=%00"),
    ("staff", "/staff/audit?action=booking%0A"),
    ("staff", "/staff/checkin?code=AB%00"),
    ("staff", "/staff/visitors?day=%00"),
    ("resident", "/find?kind=%00"),
    ("resident", "/find?date=2026-01-01%00"),
    ("resident", "/facilities/{room_id}?week=%7F"),
    ("resident", "/language/en?next=/%00"),
    ("resident", "/auth/login?next=/%00"),
    ("resident", "/?%00=1"),
]


@pytest.mark.parametrize(("language", "message"), [(EN, URL_EN), (ZH, URL_ZH)])
def test_control_characters_in_a_query_are_refused(app, client, campus, language, message):
    before = snapshot(app)
    wrong = []
    for who in ("resident", "staff"):
        log_in(client, STAFF_PHONE if who == "staff" else RESIDENT_PHONE)
        for query_who, query in QUERIES_WITH_CONTROLS:
            if query_who != who:
                continue
            response = client.get(fill(query, campus), headers=language)
            if response.status_code != 400 or message not in html_text(response):
                wrong.append((query, response.status_code))
        client.post("/auth/logout")
    assert wrong == []
    assert_unchanged(app, before)


def test_control_characters_in_an_api_query_are_refused_as_json(client, campus):
    response = client.get(f"/api/v1/facilities/{campus.room_id}/slots?from=%00", headers=EN)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "validation"
    assert error["fields"] == {"from": URL_EN}


# Text fields of the pages' forms: NUL and other control characters

BAD_TEXT = ["报告\x00厅", "\x00", "a\x01b", "a\x1bb", "a\x7fb", "a\x85b", "ab\x08"]


def hall_booking(**changes: str) -> dict[str, str]:
    return {"purpose": "社区讲座", "organiser": "居委会", "attendance": "50", **changes}


def facility_form(**changes: str) -> dict[str, str]:
    return {"kind": "library", "name": "新图书馆", "capacity": "30", **changes}


def closure_form(**changes: str) -> dict[str, str]:
    day = local_day(20).isoformat()
    return {
        "facility": "0",
        "first_day": day,
        "last_day": day,
        "reason": "exam",
        "note": "考试",
        "confirm": "1",
        **changes,
    }


TEXT_FIELDS = [
    ("resident", "/slots/{hall_slot_id}/book", hall_booking, "purpose"),
    ("resident", "/slots/{hall_slot_id}/book", hall_booking, "organiser"),
    ("resident", "/slots/{parking_slot_id}/book", lambda **c: {"plate": "粤S12345", **c}, "plate"),
    ("staff", "/staff/facilities/new", facility_form, "name"),
    ("staff", "/staff/facilities/new", facility_form, "name_en"),
    ("staff", "/staff/facilities/{room_id}/edit", facility_form, "name"),
    ("staff", "/staff/facilities/{room_id}/edit", facility_form, "description"),
    ("staff", "/staff/closures", closure_form, "note"),
    ("staff", "/staff/requests/{pending_code}/reject", lambda **c: {"version": "1", **c}, "reason"),
]


def test_text_fields_refuse_control_characters(app, client, campus):
    before = snapshot(app)
    wrong = []
    for who in ("resident", "staff"):
        log_in(client, STAFF_PHONE if who == "staff" else RESIDENT_PHONE)
        for field_who, url, form, field in TEXT_FIELDS:
            if field_who != who:
                continue
            for bad in BAD_TEXT:
                response = client.post(fill(url, campus), data=form(**{field: bad}), headers=EN)
                if response.status_code != 400 or CONTROL_EN not in html_text(response):
                    wrong.append((url, field, bad, response.status_code))
        client.post("/auth/logout")
    assert wrong == []
    assert_unchanged(app, before)


def test_the_message_is_in_chinese_too(app, client, campus):
    log_in(client, STAFF_PHONE)
    response = client.post("/staff/facilities/new", data=facility_form(name="a\x00"), headers=ZH)
    assert response.status_code == 400
    assert CONTROL_ZH in html_text(response)


def test_single_line_fields_refuse_line_breaks_and_text_areas_take_them(app, client, campus):
    log_in(client, STAFF_PHONE)
    for n, bad in enumerate(["第一行\n第二行", "a\tb", "a\rb"]):
        before = snapshot(app)
        refused = client.post("/staff/facilities/new", data=facility_form(name=bad), headers=EN)
        assert refused.status_code == 400
        assert "Write this on one line, without tabs or line breaks." in html_text(refused)
        assert_unchanged(app, before)
        taken = client.post(
            "/staff/facilities/new", data=facility_form(name=f"馆{n}", description=bad)
        )
        assert taken.status_code == 302


def test_the_waive_reason_refuses_control_characters(app, client, campus):
    log_in(client, STAFF_PHONE)
    before = snapshot(app)
    response = client.post(
        f"/staff/bookings/{campus.no_show_code}/waive",
        data={"reason": "病假\x00"},
        headers=EN,
        follow_redirects=True,
    )
    assert CONTROL_EN in html_text(response)
    assert_unchanged(app, before)


# version=² on approve and reject: a stale form, not a 500


def test_a_malformed_version_reads_as_stale(app, client, campus):
    log_in(client, STAFF_PHONE)
    before = snapshot(app)
    wrong = []
    for action in ("approve", "reject"):
        for version in ["²", "¹", "１", "٣", "9" * 5000, "-1", "", "1.0"]:
            response = client.post(
                f"/staff/requests/{campus.pending_code}/{action}",
                data={"version": version, "reason": "场地维修"},
                headers=EN,
                follow_redirects=True,
            )
            if response.status_code != 200 or STALE_EN not in html_text(response):
                wrong.append((action, version[:10], response.status_code))
    assert wrong == []
    assert_unchanged(app, before)


def test_the_right_version_still_approves(app, client, campus):
    log_in(client, STAFF_PHONE)
    response = client.post(f"/staff/requests/{campus.pending_code}/approve", data={"version": "1"})
    assert response.status_code == 302
    from booking.extensions import db
    from booking.models import Booking

    with app.app_context():
        booking = db.session.query(Booking).filter_by(code=campus.pending_code).one()
        assert booking.status == BookingStatus.CONFIRMED


# Years 1 and 9999 (no UTC instant exists for some of their local days)

FAR_DAYS = [
    "0001-01-01",
    "9999-12-31",
    f"{local_day().year - 6}-06-01",
    f"{local_day().year + 6}-06-01",
    "2026-1-1",
    "20261201",
    "２０２６-１２-０１",
    "2026-02-30",
]
DAY_QUERIES = [
    "/staff/visitors?day={day}",
    "/staff/visitors.csv?day={day}",
    "/staff/calendar?week={day}",
    "/staff/audit?day={day}",
]


@pytest.mark.parametrize(("language", "message"), [(EN, DAY_EN), (ZH, DAY_ZH)])
def test_staff_pages_refuse_far_or_malformed_dates(app, client, campus, language, message):
    log_in(client, STAFF_PHONE)
    wrong = []
    for query in DAY_QUERIES:
        for day in FAR_DAYS:
            response = client.get(query.format(day=day), headers=language)
            if response.status_code != 400 or message not in html_text(response):
                wrong.append((query, day, response.status_code))
    assert wrong == []


def test_staff_pages_take_dates_near_today(client, campus):
    log_in(client, STAFF_PHONE)
    for query in DAY_QUERIES:
        for offset in (-400, 400):
            day = local_day(offset).isoformat()
            assert client.get(query.format(day=day)).status_code == 200, (query, day)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("from=0001-01-01", "from", "Choose days at most 5 years from today."),
        ("from=9999-12-31&to=9999-12-31", "from", "Choose days at most 5 years from today."),
        ("to=9999-12-31", "to", "Choose days at most 5 years from today."),
        ("from=9999-99-99", "from", "Write dates as YYYY-MM-DD, such as 2026-11-25."),
    ],
)
def test_api_slots_refuse_far_dates(client, campus, query, field, message):
    response = client.get(f"/api/v1/facilities/{campus.room_id}/slots?{query}", headers=EN)
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"][field] == message


@pytest.mark.parametrize(("language", "message"), [(EN, NEAR_EN), (ZH, NEAR_ZH)])
def test_a_closure_of_absurd_length_is_refused(app, client, campus, language, message):
    log_in(client, STAFF_PHONE)
    before = snapshot(app)
    for changes in [
        {"last_day": "9999-12-31"},
        {"first_day": "0001-01-01"},
        {"first_day": "9999-12-31", "last_day": "9999-12-31"},
    ]:
        response = client.post("/staff/closures", data=closure_form(**changes), headers=language)
        assert response.status_code == 400, changes
        assert message in html_text(response), changes
    assert_unchanged(app, before)


def test_the_closure_service_refuses_absurd_ranges_itself(app, campus):
    from datetime import UTC, datetime

    from booking.extensions import db
    from booking.models import School
    from booking.services import supply

    with app.app_context():
        school = db.session.get(School, campus.school_id)
        now = datetime.now(UTC)
        with pytest.raises(supply.ClosureRefused) as refused:
            supply.add_closure(
                db.session,
                school,
                None,
                starts_at=now,
                ends_at=datetime(9999, 12, 30, tzinfo=UTC),
                reason="exam",
                note="",
                actor=None,
                now=now,
            )
        assert "at most 5 years" in str(refused.value.message)


# The JSON API: nesting, surrogates, control characters

API = "/api/v1"


def raw_json(client: FlaskClient, path: str, text: str, **headers: str) -> Any:
    return client.post(
        f"{API}{path}", data=text, content_type="application/json", headers={**EN, **headers}
    )


def test_deeply_nested_json_is_a_400(app, client, campus):
    before = snapshot(app)
    for path in [
        "/auth/token",
        "/auth/register",
        "/bookings",
        f"/slots/{campus.full_slot_id}/waitlist",
    ]:
        for depth in (10_000, 100_000):
            response = raw_json(
                client, path, "[" * depth + "]" * depth, Authorization=f"Bearer {campus.token}"
            )
            assert response.status_code == 400, (path, depth)
            assert response.get_json()["error"] == {
                "code": "bad_request",
                "message": "The JSON body is nested too deeply to be read.",
            }
    assert_unchanged(app, before)


REGISTRATION = {
    "real_name": "李明",
    "phone": "13912345678",
    "password": PASSWORD,
    "privacy_version": 1,
}


def body_with(base: dict[str, Any], field: str, escaped: str) -> str:
    """JSON text with `escaped` (JSON escapes, not Python's) as the field's value."""
    text = json.dumps({**base, field: "@@"})
    return text.replace('"@@"', f'"{escaped}"')


SURROGATE_FIELDS = [
    ("/auth/register", REGISTRATION, "real_name"),
    ("/auth/register", REGISTRATION, "phone"),
    ("/auth/register", REGISTRATION, "email"),
    ("/auth/register", REGISTRATION, "id_number"),
    ("/auth/register", REGISTRATION, "password"),
    ("/auth/token", {"phone": RESIDENT_PHONE, "password": PASSWORD}, "phone"),
    ("/auth/token", {"phone": RESIDENT_PHONE, "password": PASSWORD}, "password"),
]


def test_lone_surrogates_in_api_text_do_not_fit_the_schema(app, client, campus):
    before = snapshot(app)
    wrong = []
    for path, base, field in SURROGATE_FIELDS:
        for escaped in ["\\ud800", "a\\udfffb", "\\udc00\\ud800x" * 3]:
            if field == "password":
                escaped = escaped + "x" * 12  # long enough that only the surrogate is wrong
            response = raw_json(client, path, body_with(base, field, escaped))
            fields = (response.get_json() or {}).get("error", {}).get("fields", {})
            if response.status_code != 422 or fields.get(field) != SURROGATE_EN:
                wrong.append((path, field, escaped, response.status_code))
    assert wrong == []
    assert_unchanged(app, before)


def test_booking_text_refuses_surrogates_and_control_characters(app, client, campus):
    before = snapshot(app)
    base = {"slot_id": campus.hall_slot_id, "purpose": "讲座", "attendance": 10}
    for field in ("purpose", "organiser"):
        for escaped in ("\\ud800", "\\u0000", "a\\u001bb"):
            response = raw_json(
                client,
                "/bookings",
                body_with(base, field, escaped),
                Authorization=f"Bearer {campus.token}",
            )
            assert response.status_code == 422, (field, escaped)
            assert field in response.get_json()["error"]["fields"], (field, escaped)
    assert_unchanged(app, before)


@pytest.mark.parametrize(("field", "escaped"), [("real_name", "\\u0000"), ("phone", "1\\u0000")])
def test_api_registration_refuses_control_characters(app, client, field, escaped):
    before = snapshot(app)
    response = raw_json(client, "/auth/register", body_with(REGISTRATION, field, escaped))
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"][field] == CONTROL_EN
    assert_unchanged(app, before)


def test_an_api_token_for_a_phone_with_nul_is_refused(app, client, campus):
    response = raw_json(
        client,
        "/auth/token",
        body_with({"password": PASSWORD}, "phone", RESIDENT_PHONE + "\\u0000"),
    )
    assert response.status_code == 422


def test_passwords_may_hold_control_characters(client):
    password = "\\u0000\\u0001\\t correct horse"
    response = raw_json(client, "/auth/register", body_with(REGISTRATION, "password", password))
    assert response.status_code == 201
    token = raw_json(
        client,
        "/auth/token",
        body_with({"phone": REGISTRATION["phone"]}, "password", password),
    )
    assert token.status_code == 200


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/auth/login", {"phone": RESIDENT_PHONE + "\x00", "password": PASSWORD}),
        (
            "/auth/register",
            {
                "real_name": "李\x00明",
                "phone": "13912345678",
                "password": PASSWORD,
                "confirm": PASSWORD,
            },
        ),
        (
            "/auth/register",
            {
                "real_name": "李明",
                "phone": "13912345678",
                "password": PASSWORD,
                "confirm": PASSWORD,
                "email": "a\x00@example.com",
            },
        ),
    ],
)
def test_auth_forms_refuse_control_characters(app, client, campus, path, form):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a 500 is this test's failure, not an error
    before = snapshot(app)
    response = client.post(path, data=form, headers=EN)
    assert response.status_code == 400
    assert CONTROL_EN in html_text(response)
    assert_unchanged(app, before)


def test_other_residents_records_stay_not_found(client, campus):
    """The checks come before authorisation answers: still 404, never 403 or 500."""
    log_in(client, OTHER_PHONE)
    assert client.get(f"/bookings/{campus.confirmed_code}").status_code == 404
    assert client.post(f"/waitlist/{campus.entry_id}/leave").status_code == 404


# Found by the form fuzz: renaming a facility to another's name was an IntegrityError.


@pytest.mark.parametrize(
    ("language", "message"),
    [(EN, "This school already has a facility of that name."), (ZH, "本校已有同名场馆。")],
)
def test_renaming_a_facility_to_a_taken_name_is_refused(app, client, campus, language, message):
    log_in(client, STAFF_PHONE)
    before = snapshot(app)
    response = client.post(
        f"/staff/facilities/{campus.room_id}/edit",
        data={"kind": "reading_room", "name": "报告厅", "capacity": "4", "is_active": "y"},
        headers=language,
    )
    assert response.status_code == 409
    assert message in html_text(response)
    assert_unchanged(app, before)
