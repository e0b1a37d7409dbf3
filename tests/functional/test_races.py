"""Races against a real server: many residents at once, through the JSON API,
on SQLite and on PostgreSQL. Rule 1 of DESIGN.md: never more places than the
capacity, whatever arrives in the same second."""

import itertools
import time
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from booking.extensions import db
from booking.models import (
    PLACE_HOLDING_STATUSES,
    Booking,
    BookingPolicy,
    FacilityKind,
    Role,
    Slot,
    User,
    WaitlistEntry,
    WaitlistStatus,
)
from booking.services.clock import utcnow
from booking.web.api.auth import issue_token
from tests.servers import at_once, call, serve

_phones = itertools.count(1)


@pytest.fixture
def generous_policy(app):
    """Quotas out of the way: these tests are about places."""
    with app.app_context():
        db.session.add(
            BookingPolicy(is_district_default=True, max_active_bookings=50, max_weekly_per_kind=50)
        )
        db.session.commit()


def residents_with_tokens(app, count):
    """Plain resident rows (no password hashing) with API tokens."""
    with app.app_context():
        users = [
            User(
                role=Role.RESIDENT,
                phone=f"138{next(_phones):08d}",
                real_name="居民",
                password_hash="-",
            )
            for _ in range(count)
        ]
        db.session.add_all(users)
        db.session.flush()
        tokens = [issue_token(db.session, user, now=utcnow())[0] for user in users]
        db.session.commit()
        return tokens


def open_slot(app, facility, *, capacity=None, days=2):
    with app.app_context():
        now = utcnow().replace(microsecond=0)
        slot = Slot(
            facility_id=facility.id,
            starts_at=now + timedelta(days=days),
            ends_at=now + timedelta(days=days, hours=2),
            opens_at=now - timedelta(hours=1),
            capacity=capacity or facility.capacity,
        )
        db.session.add(slot)
        db.session.commit()
        return slot.id


def slot_state(app, slot_id):
    with app.app_context():
        held = db.session.scalar(sa.select(Slot.held).where(Slot.id == slot_id))
        places = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Booking.places), 0)).where(
                Booking.slot_id == slot_id, Booking.status.in_(PLACE_HOLDING_STATUSES)
            )
        )
        count = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Booking)
            .where(Booking.slot_id == slot_id, Booking.status.in_(PLACE_HOLDING_STATUSES))
        )
        offered = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(WaitlistEntry.places), 0)).where(
                WaitlistEntry.slot_id == slot_id, WaitlistEntry.status == WaitlistStatus.OFFERED
            )
        )
        return held, places, count, offered


def outcomes(results):
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == [], errors[:3]
    return Counter(
        "created" if status == 201 else body["error"]["code"] for status, body, _ in results
    )


def booking_calls(base_url, tokens, slot_id, places=1):
    return [
        (
            lambda token=token: call(
                "POST",
                f"{base_url}/api/v1/bookings",
                token=token,
                body={"slot_id": slot_id, "places": places},
            )
        )
        for token in tokens
    ]


def test_100_residents_at_once_on_5_places(app, make_facility, generous_policy):
    slot_id = open_slot(app, make_facility(capacity=5))
    tokens = residents_with_tokens(app, 100)
    with serve(app) as base_url:
        results = at_once(booking_calls(base_url, tokens, slot_id))
    assert outcomes(results) == {"created": 5, "slot_full": 95}
    assert slot_state(app, slot_id) == (5, 5, 5, 0)


def test_50_at_once_on_an_exclusive_hall(app, make_facility, generous_policy):
    hall = make_facility(kind=FacilityKind.LECTURE_HALL, capacity=200, is_exclusive=True)
    slot_id = open_slot(app, hall)
    tokens = residents_with_tokens(app, 50)
    with serve(app) as base_url:
        results = at_once(
            [
                (
                    lambda token=token: call(
                        "POST",
                        f"{base_url}/api/v1/bookings",
                        token=token,
                        body={
                            "slot_id": slot_id,
                            "purpose": "讲座",
                            "organiser": "社区",
                            "attendance": 50,
                        },
                    )
                )
                for token in tokens
            ]
        )
    assert outcomes(results) == {"created": 1, "slot_full": 49}
    assert slot_state(app, slot_id) == (200, 200, 1, 0)


def test_one_resident_sending_the_same_booking_10_times(app, make_facility, generous_policy):
    slot_id = open_slot(app, make_facility(capacity=5))
    token = residents_with_tokens(app, 1)[0]
    with serve(app) as base_url:
        results = at_once(booking_calls(base_url, [token] * 10, slot_id))
    assert outcomes(results) == {"created": 1, "duplicate": 9}
    assert slot_state(app, slot_id) == (1, 1, 1, 0)


def test_100_requests_for_2_places_on_9(app, make_facility, generous_policy):
    slot_id = open_slot(app, make_facility(capacity=9))
    tokens = residents_with_tokens(app, 100)
    with serve(app) as base_url:
        results = at_once(booking_calls(base_url, tokens, slot_id, places=2))
    counts = outcomes(results)
    assert counts["created"] == 4
    assert set(counts) <= {"created", "slot_full", "not_enough_places"}
    assert slot_state(app, slot_id) == (8, 8, 4, 0)


def test_cancellations_racing_with_the_waitlist_never_give_a_place_twice(
    app, make_facility, generous_policy
):
    slot_id = open_slot(app, make_facility(capacity=3))
    holders = residents_with_tokens(app, 3)
    waiting = residents_with_tokens(app, 6)
    late = residents_with_tokens(app, 20)
    with serve(app) as base_url:
        codes = [
            call("POST", f"{base_url}/api/v1/bookings", token=t, body={"slot_id": slot_id})[1][
                "code"
            ]
            for t in holders
        ]
        for token in waiting:
            status, body, _ = call(
                "POST", f"{base_url}/api/v1/slots/{slot_id}/waitlist", token=token, body={}
            )
            assert status == 201, body
        cancels = [
            (
                lambda token=token, code=code: call(
                    "DELETE", f"{base_url}/api/v1/bookings/{code}", token=token
                )
            )
            for token, code in zip(holders, codes, strict=True)
        ]
        grabs = booking_calls(base_url, late, slot_id)
        results = at_once(cancels + grabs)
        assert [status for status, _, _ in results[:3]] == [200, 200, 200]
        late_outcomes = outcomes(results[3:])
        held, booked, _, offered = slot_state(app, slot_id)
        assert held == booked + offered <= 3
        # the freed places went to the waitlist first or to someone who booked in between, once
        assert late_outcomes["created"] + offered + (booked - late_outcomes["created"]) == held


def write_unsafely(session, new):
    """Read, wait, then write, as naive code would: what the control test puts
    in place of the statement that takes the places as it writes."""
    from booking.services.booking_statements import Written

    held = session.scalar(sa.select(Slot.held).where(Slot.id == new.slot.id))
    if held is None or held + new.places > new.slot.capacity:
        return Written(taken=False, booking_id=None)
    time.sleep(0.05)
    session.execute(
        sa.text("UPDATE slots SET held = :held WHERE id = :id"),
        {"held": held + new.places, "id": new.slot.id},
    )
    values = new.booking_values()
    booking_id = session.execute(
        sa.insert(Booking.__table__).values(values).returning(Booking.__table__.c.id)
    ).scalar()
    return Written(taken=True, booking_id=booking_id)


class TestControl:
    """Proof that the race tests can fail: the same burst with a read-then-write
    place taker (and a short sleep between) overbooks on PostgreSQL. On SQLite,
    BEGIN IMMEDIATE serialises the writers, so even that code holds."""

    def test_read_then_write_overbooks_where_only_the_database_can_stop_it(
        self, app, make_facility, generous_policy, engine_name, monkeypatch
    ):
        monkeypatch.setattr("booking.services.booking_statements.write_booking", write_unsafely)
        slot_id = open_slot(app, make_facility(capacity=5))
        tokens = residents_with_tokens(app, 60)
        with serve(app) as base_url:
            results = at_once(booking_calls(base_url, tokens, slot_id))
        created = outcomes(results)["created"]
        _, _, bookings, _ = slot_state(app, slot_id)
        if engine_name == "postgresql":
            assert bookings > 5, (
                "the control no longer reproduces the race: the race tests prove nothing"
            )
        else:
            assert bookings == created == 5


def test_a_sqlite_write_that_cannot_get_the_lock_answers_503(tmp_path, monkeypatch):
    """SQLite only by nature: another writer holds the database past the busy timeout."""
    import sqlite3

    from booking import create_app
    from booking.models import Facility, School

    path = tmp_path / "busy.sqlite"
    monkeypatch.setenv("BOOKING_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"timeout": 0.2}},
        }
    )
    with app.app_context():
        db.create_all()
        school = School(code="B1", name="忙碌学校")
        facility = Facility(
            school=school, kind=FacilityKind.READING_ROOM, name="阅览室", capacity=5
        )
        db.session.add(facility)
        db.session.commit()
        db.session.refresh(facility)
        db.session.expunge(facility)
    slot_id = open_slot(app, facility)
    token = residents_with_tokens(app, 1)[0]
    client = app.test_client()
    other_writer = sqlite3.connect(path, isolation_level=None)
    try:
        other_writer.execute("BEGIN IMMEDIATE")
        response = client.post(
            "/api/v1/bookings",
            json={"slot_id": slot_id},
            headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
        )
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "2"
        assert response.json["error"]["code"] == "busy"
        assert "Nothing was saved" in response.json["error"]["message"]
    finally:
        other_writer.execute("ROLLBACK")
        other_writer.close()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0
        db.engine.dispose()
