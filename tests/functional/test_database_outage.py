"""A database outage answers 503 with Retry-After, in the visitor's language,
never a 500 or a stack trace, and the site recovers by itself when the
database is back.

PostgreSQL only by nature: its own server is stopped and started under the
app. (SQLite has no server to lose; its locked database is the 503 case of
test_races.py.)
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from booking import create_app
from booking.extensions import db
from booking.models import PLACE_HOLDING_STATUSES, Booking, Slot
from tests.conftest import ENGINES, IN_CI, PASSWORD
from tests.functional.campus import RESIDENT_PHONE, build_campus
from tests.pg_server import PostgresServer, PostgresUnavailable

pytestmark = pytest.mark.skipif(
    "postgresql" not in ENGINES and not IN_CI, reason="BOOKING_TEST_ENGINES leaves out PostgreSQL"
)

RECOVERY_SECONDS = 5


@pytest.fixture
def server() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer(fast=False).start()  # committed data survives the crash
    except PostgresUnavailable as error:
        pytest.fail(f"PostgreSQL could not be started: {error}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def outage_app(
    server: PostgresServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    monkeypatch.setenv("BOOKING_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": server.create_database("outage")})
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a 500 must show as one, not as a raise
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def free_slot(app: Flask, campus: Any) -> int:
    """A released slot of the reading room that the resident does not hold."""
    with app.app_context():
        taken = db.session.get(Slot, campus.open_slot_id)
        slot = Slot(
            facility_id=taken.facility_id,
            starts_at=taken.starts_at + timedelta(days=3),
            ends_at=taken.ends_at + timedelta(days=3),
            opens_at=taken.opens_at,
            capacity=5,
        )
        db.session.add(slot)
        db.session.commit()
        return slot.id


def requests(campus: Any, slot_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    bearer = {"Authorization": f"Bearer {campus.token}"}
    return [
        ("GET", "/", {}),
        ("GET", f"/facilities/{campus.room_id}", {}),
        ("GET", "/me/bookings", {}),
        ("GET", "/api/v1/schools", {}),
        ("GET", "/api/v1/me/bookings", {"headers": bearer}),
        ("POST", "/api/v1/bookings", {"headers": bearer, "json": {"slot_id": slot_id}}),
    ]


# A connection the crash cut is dropped by the pool and closed by psycopg's
# finaliser, which warns; collected inside the test so the warning is this test's.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_outage_answers_503_and_the_site_recovers(outage_app, server):
    campus = build_campus(outage_app)
    slot_id = free_slot(outage_app, campus)
    client = outage_app.test_client()
    assert (
        client.post("/auth/login", data={"phone": RESIDENT_PHONE, "password": PASSWORD}).status_code
        == 302
    )
    assert client.get("/me/bookings").status_code == 200  # the pool holds live connections now

    server.halt()
    for method, path, options in requests(campus, slot_id):
        for language, words in (("en", "cannot reach its database"), ("zh-CN", "数据库")):
            headers = {**options.get("headers", {}), "Accept-Language": language}
            response = client.open(path, method=method, **{**options, "headers": headers})
            assert response.status_code == 503, (method, path, response.data[:300])
            assert response.headers["Retry-After"].isdigit()
            assert response.headers["Cache-Control"] == "no-store"
            text = response.get_data(as_text=True)
            assert "Traceback" not in text
            assert "psycopg" not in text
            if path.startswith("/api/"):
                assert response.json["error"]["code"] == "busy"
                text = response.json["error"]["message"]
            assert words in text, (path, language, text[:300])

    server.resume()
    deadline = time.monotonic() + RECOVERY_SECONDS
    statuses: list[int] = []
    while time.monotonic() < deadline:
        statuses = [
            client.open(path, method=method, **options).status_code
            for method, path, options in requests(campus, slot_id)
        ]
        if 503 not in statuses:
            break
        time.sleep(0.2)
    assert statuses == [200, 200, 200, 200, 200, 201]

    with outage_app.app_context():
        held = dict(db.session.execute(sa.select(Slot.id, Slot.held)).all())
        booked = dict(
            db.session.execute(
                sa.select(Booking.slot_id, sa.func.sum(Booking.places))
                .where(Booking.status.in_(PLACE_HOLDING_STATUSES))
                .group_by(Booking.slot_id)
            ).all()
        )
        offered = {slot_id: held[slot_id] - booked.get(slot_id, 0) for slot_id in held}
        db.engine.dispose()
    assert all(extra >= 0 for extra in offered.values())  # waitlist offers hold places too
    gc.collect()
    assert offered[slot_id] == 0  # the booking made after the outage, and only it
