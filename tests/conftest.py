"""Fixtures: the app on a fresh database per test, on SQLite and on PostgreSQL.

Every test that asks for `app` (or `client`, `db_session`, `make_*`) runs
once per engine. `BOOKING_TEST_ENGINES=sqlite` narrows a local run; CI always
runs both, and a PostgreSQL that cannot start fails the run.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, has_app_context
from flask.testing import FlaskClient, FlaskCliRunner

from booking import create_app
from booking.extensions import db
from booking.models import (
    Facility,
    FacilityKind,
    OpeningRule,
    Role,
    School,
    User,
)
from booking.services import accounts
from tests.pg_server import PostgresServer, PostgresUnavailable
from tests.redis_server import RedisServer, RedisUnavailable

ENGINES = [e for e in os.environ.get("BOOKING_TEST_ENGINES", "sqlite,postgresql").split(",") if e]
IN_CI = os.environ.get("CI", "").lower() == "true"
if IN_CI and set(ENGINES) != {"sqlite", "postgresql"}:
    raise pytest.UsageError("CI runs every database test on both SQLite and PostgreSQL.")

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
PASSWORD = "correct horse battery"  # noqa: S105


def pytest_report_header() -> str:
    return f"database engines: {', '.join(ENGINES)}"


_database_names = itertools.count(1)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer().start()
    except PostgresUnavailable as error:
        pytest.fail(f"PostgreSQL could not be started for the tests: {error}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A throwaway Redis server; a Redis that cannot start fails the test."""
    try:
        server = RedisServer().start()
    except RedisUnavailable as error:
        pytest.fail(f"Redis could not be started for the tests: {error}", pytrace=False)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(params=ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(engine_name: str, request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """An empty database of the engine under test."""
    if engine_name == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    name = f"test_{os.getpid()}_{next(_database_names)}"
    url = server.create_database(name)
    try:
        yield url
    finally:
        server.drop_database(name)


@pytest.fixture
def app_config(database_url: str, tmp_path: Any) -> dict[str, Any]:
    return {"SQLALCHEMY_DATABASE_URI": database_url}


@pytest.fixture
def app(
    app_config: dict[str, Any], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    monkeypatch.setenv("BOOKING_INSTANCE_PATH", str(tmp_path / "instance"))
    application = create_app(app_config)
    with application.app_context():
        db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def db_session(app: Flask) -> Iterator[sa.orm.Session]:
    with app.app_context():
        yield db.session


@pytest.fixture
def make_school(app: Flask) -> Callable[..., School]:
    counter = itertools.count(1)

    def make(**fields: Any) -> School:
        n = next(counter)
        values: dict[str, Any] = {
            "code": f"S{n:03d}",
            "name": f"测试学校{n}",
            "address": "南城路 1 号",
        }
        values.update(fields)
        with factory_session(app) as session:
            school = School(**values)
            session.add(school)
        return school

    return make


@pytest.fixture
def make_facility(app: Flask, make_school: Callable[..., School]) -> Callable[..., Facility]:
    counter = itertools.count(1)

    def make(school: School | None = None, **fields: Any) -> Facility:
        school = school or make_school()
        values: dict[str, Any] = {
            "kind": FacilityKind.READING_ROOM,
            "name": f"阅览室{next(counter)}",
            "capacity": 20,
        }
        values.update(fields)
        with factory_session(app) as session:
            facility = Facility(school_id=school.id, **values)
            session.add(facility)
        return facility

    return make


@pytest.fixture
def make_rule(app: Flask) -> Callable[..., OpeningRule]:
    def make(facility: Facility, **fields: Any) -> OpeningRule:
        values: dict[str, Any] = {
            # wide, so tests on the real clock keep working in years to come
            "valid_from": date(2020, 1, 1),
            "valid_until": date(2099, 12, 31),
            "start_time": time(18, 30),
            "end_time": time(21, 0),
            "slot_minutes": 150,
        }
        values.update(fields)
        with factory_session(app) as session:
            rule = OpeningRule(facility_id=facility.id, **values)
            session.add(rule)
        return rule

    return make


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    counter = itertools.count(1)

    def make(role: Role = Role.RESIDENT, school: School | None = None, **fields: Any) -> User:
        phone = fields.pop("phone", f"1350000{next(counter):04d}")
        with factory_session(app) as session:
            user = accounts.create_staff_account(
                session,
                role=role,
                phone=phone,
                real_name=fields.pop("real_name", "测试用户"),
                password=fields.pop("password", PASSWORD),
                school=session.get(School, school.id) if school else None,
                now=NOW,
            )
            user.is_verified = role != Role.RESIDENT
            for key, value in fields.items():
                setattr(user, key, value)
        return user

    return make


@contextmanager
def factory_session(app: Flask) -> Iterator[sa.orm.Session]:
    """Inside a test's app context: flush into the test's session. Outside one
    (tests that go through HTTP): commit in a short context of its own, and
    hand back detached objects with their columns loaded, so that no app
    context stays pushed across the test client's requests."""
    if has_app_context():
        yield db.session
        db.session.flush()
        return
    with app.app_context():
        yield db.session
        db.session.commit()
        for obj in list(db.session.identity_map.values()):
            db.session.refresh(obj)
        db.session.expunge_all()


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, phone: str, password: str = PASSWORD) -> Any:
        return self.client.post("/auth/login", data={"phone": phone, "password": password})

    def logout(self) -> Any:
        return self.client.post("/auth/logout")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)
