"""One booking path: the same request, sent through the page and through the
JSON API, gets the same verdict and the same message.

Each case is played twice on the same kind of state, once per door, by two
residents of their own: the page's form (as a browser posts it) and the
API's body (as a client sends it) carry the same values.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from booking.extensions import db
from booking.models import Booking, FacilityKind, Slot, User, VisitorTerms
from booking.services.clock import utcnow
from booking.web.api.auth import issue_token
from tests.conftest import PASSWORD, factory_session

EN = {"Accept-Language": "en"}
CODE = re.compile(r"\b[A-Z0-9]{6}\b")


@dataclass
class Case:
    name: str
    kind: str
    fields: dict[str, Any]
    booked: bool
    message: str | None = None
    accept_terms: bool = True
    holding: list[str] = field(default_factory=list)  # kinds the resident already holds at the time


CASES = [
    Case("a party that fits", "reading_room", {"places": 2}, True),
    Case("a party of 60", "reading_room", {"places": 60}, False, "Between 1 and 20 people."),
    Case("a party of 21", "reading_room", {"places": 21}, False, "Between 1 and 20 people."),
    Case("a party of 0", "reading_room", {"places": 0}, False, "Between 1 and 20 people."),
    Case(
        "visitor rules not accepted",
        "reading_room",
        {"places": 1},
        False,
        "Please read and accept the school's visitor rules.",
        accept_terms=False,
    ),
    Case(
        "a hall without an organiser",
        "lecture_hall",
        {"purpose": "社区讲座", "attendance": 50},
        False,
        "Say who organises it.",
    ),
    Case(
        "a hall without a purpose",
        "lecture_hall",
        {"organiser": "街道", "attendance": 50},
        False,
        "Say what the hall is for.",
    ),
    Case(
        "a hall over its capacity",
        "lecture_hall",
        {"purpose": "社区讲座", "organiser": "街道", "attendance": 201},
        False,
        "Between 1 and 200 people (the hall's capacity).",
    ),
    Case(
        "a purpose too long",
        "lecture_hall",
        {"purpose": "讲" * 201, "organiser": "街道", "attendance": 50},
        False,
        "At most 200 characters.",
    ),
    Case(
        "a hall request",
        "lecture_hall",
        {"purpose": "社区讲座", "organiser": "街道", "attendance": 50},
        True,
    ),
    Case("a car without a plate", "parking", {}, False, "Enter the licence plate of the car."),
    Case(
        "a plate that is not one",
        "parking",
        {"plate": "粤I12345"},
        False,
        "Enter a mainland licence plate such as 粤S12345 (new-energy: 粤SD12345).",
    ),
    Case("a car", "parking", {"plate": "粤S12345"}, True),
    Case(
        "a seat while holding another seat then",
        "reading_room",
        {"places": 1},
        False,
        "You already have booking CODE at an overlapping time.",
        holding=["library"],
    ),
    Case(
        "parking while using the hall",
        "parking",
        {"plate": "粤S12345"},
        True,
        holding=["lecture_hall"],
    ),
    Case(
        "a seat while parking",
        "reading_room",
        {"places": 1},
        True,
        holding=["parking"],
    ),
]

FACILITIES = {
    "reading_room": {"kind": FacilityKind.READING_ROOM, "capacity": 40},
    "library": {"kind": FacilityKind.LIBRARY, "capacity": 40},
    "lecture_hall": {
        "kind": FacilityKind.LECTURE_HALL,
        "capacity": 200,
        "is_exclusive": True,
        "requires_approval": True,
    },
    "parking": {"kind": FacilityKind.PARKING, "capacity": 30},
}
HELD = {
    "library": {"places": 1},
    "lecture_hall": {"purpose": "讲座", "organiser": "街道", "attendance": 10},
    "parking": {"plate": "粤S54321"},
}


@pytest.fixture
def school(make_school, make_facility, app):
    school = make_school(code="ONE")
    with factory_session(app) as session:
        session.add(VisitorTerms(school_id=school.id, version=1, body="请遵守入校须知。"))
    return school


def facility_of(make_facility, school, kind: str, n: int) -> Any:
    return make_facility(school, name=f"{kind}-{n}", **FACILITIES[kind])


def slot_for(app, facility) -> int:
    start = utcnow().replace(second=0, microsecond=0) + timedelta(days=2)
    with factory_session(app) as session:
        slot = Slot(
            facility_id=facility.id,
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            opens_at=start - timedelta(days=7),
            capacity=facility.capacity,
        )
        session.add(slot)
    return slot.id


def as_form(fields: dict[str, Any], accept_terms: bool) -> dict[str, Any]:
    form = {"action": "book", "terms_version": "1", **{k: str(v) for k, v in fields.items()}}
    if accept_terms:
        form["accept_terms"] = "y"
    return form


def as_body(slot_id: int, fields: dict[str, Any], accept_terms: bool) -> dict[str, Any]:
    body = {"slot_id": slot_id, **fields}
    if accept_terms:
        body["terms_version"] = 1
    return body


def page_verdict(response) -> tuple[bool, str]:
    if response.status_code == 302:
        return True, ""
    text = html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
    return False, " ".join(text.split())


def api_verdict(response) -> tuple[bool, str]:
    if response.status_code == 201:
        return True, ""
    error = response.get_json()["error"]
    messages = [error["message"], *(error.get("fields") or {}).values()]
    return False, " | ".join(messages)


def hold(app, resident: User, facility, slot_id: int, kind: str) -> None:
    """Give `resident` a booking of `kind` at the case's time (through the service)."""
    from booking.services.bookings import BookingRequest, book
    from booking.services.policy import policy_for

    with app.app_context():
        user = db.session.get(User, resident.id)
        fields = HELD[kind]
        book(
            db.session,
            slot_id,
            user,
            BookingRequest(terms_version=1, **fields),
            policy=policy_for(db.session, facility.id),
            now=utcnow(),
        )
        db.session.commit()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_page_and_the_api_give_the_same_verdict(
    app, client, school, make_facility, make_user, case
):
    verdicts = {}
    for door, phone in (("page", "13700000001"), ("api", "13700000002")):
        resident = make_user(phone=phone)
        for n, kind in enumerate(case.holding):
            held = facility_of(make_facility, school, kind, 100 + n + (10 if door == "api" else 0))
            hold(app, resident, held, slot_for(app, held), kind)
        facility = facility_of(make_facility, school, case.kind, 1 if door == "page" else 2)
        slot_id = slot_for(app, facility)
        if door == "page":
            browser = app.test_client()
            browser.post("/auth/login", data={"phone": phone, "password": PASSWORD})
            response = browser.post(
                f"/slots/{slot_id}/book", data=as_form(case.fields, case.accept_terms), headers=EN
            )
            verdicts[door] = page_verdict(response)
        else:
            with factory_session(app) as session:
                token = issue_token(session, session.get(User, resident.id), now=utcnow())[0]
            response = client.post(
                "/api/v1/bookings",
                json=as_body(slot_id, case.fields, case.accept_terms),
                headers={**EN, "Authorization": f"Bearer {token}"},
            )
            verdicts[door] = api_verdict(response)
    page_booked, page_text = verdicts["page"]
    api_booked, api_text = verdicts["api"]
    assert page_booked == api_booked == case.booked, verdicts
    if not case.booked:
        expected = CODE.sub("CODE", case.message or "")
        assert expected in CODE.sub("CODE", api_text), api_text
        assert expected in CODE.sub("CODE", page_text), page_text
    with app.app_context():
        made = db.session.scalar(sa.select(sa.func.count()).select_from(Booking))
    assert made == len(case.holding) * 2 + (2 if case.booked else 0)
