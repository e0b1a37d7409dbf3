"""/healthz answers while the process lives; /readyz only when it can serve."""

import pytest
from flask_migrate import downgrade, upgrade

from booking import create_app
from booking.extensions import db


@pytest.fixture
def migrated_app(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("BOOKING_INSTANCE_PATH", str(tmp_path / "instance"))
    application = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()


def test_ready_when_the_database_answers_and_its_migrations_are_current(migrated_app):
    client = migrated_app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "redis": "not used"},
    }


def test_not_ready_while_migrations_are_behind_the_code(migrated_app):
    with migrated_app.app_context():
        downgrade(revision="-1")
    answer = migrated_app.test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    assert answer.get_json()["checks"]["migrations"].startswith("behind: database at ")


def test_not_ready_without_a_database_but_alive(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOKING_INSTANCE_PATH", str(tmp_path / "instance"))
    nowhere = "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2"
    client = create_app({"SQLALCHEMY_DATABASE_URI": nowhere}).test_client()
    assert client.get("/healthz").status_code == 200
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["checks"]["database"].startswith("unreachable: ")
    assert "Traceback" not in answer.get_data(as_text=True)


def test_not_ready_when_the_rate_limit_store_is_gone(migrated_app):
    migrated_app.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:9/0"
    answer = migrated_app.test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["checks"]["redis"].startswith("unreachable: ")


def test_ready_with_the_shared_rate_limit_store(migrated_app, redis_url):
    migrated_app.config["RATELIMIT_STORAGE_URI"] = redis_url
    answer = migrated_app.test_client().get("/readyz")
    assert answer.status_code == 200
    assert answer.get_json()["checks"]["redis"] == "ok"
