"""The Alembic migrations give exactly the models' schema, and undo cleanly."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from booking import create_app
from booking.extensions import db


@pytest.fixture
def empty_app(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("BOOKING_INSTANCE_PATH", str(tmp_path / "instance"))
    application = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    yield application
    with application.app_context():
        db.engine.dispose()


def table_names(app):
    return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_gives_the_models_schema_and_downgrade_removes_it(empty_app):
    with empty_app.app_context():
        upgrade()
        assert table_names(empty_app) == set(db.metadata.tables)
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": False}
            )
            assert compare_metadata(context, db.metadata) == []
        downgrade(revision="base")
        assert table_names(empty_app) == set()
        upgrade()  # and up again, from base
        assert table_names(empty_app) == set(db.metadata.tables)


def test_upgrade_runs_from_the_command_line(empty_app):
    result = empty_app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        assert "slots" in table_names(empty_app)


def test_stored_numbers_are_normalised_and_collisions_reported(empty_app, capfd):
    """Revision 0003: numbers written in other digits become ASCII; accounts
    that would then share a number, and ID numbers stored in other digits,
    are reported for an operator, without a whole number in the output."""
    with empty_app.app_context():
        upgrade(revision="0002")
        rows = [
            (1, "13700000001", None),
            (2, "13７0000000１", None),  # the same number as 1, in full-width digits
            (3, "１３９１２３４５６７８", "１１０***********００２Ｘ"),
        ]
        with db.engine.begin() as connection:
            for user_id, phone, masked in rows:
                connection.execute(
                    sa.text(
                        "INSERT INTO users (id, role, real_name, phone, password_hash, "
                        "id_number_masked, is_verified, is_active, no_show_count, created_at, "
                        "session_version) VALUES (:id, 'resident', 'x', :phone, '!', :masked, "
                        "false, true, 0, '2026-01-01 00:00:00+00', 1)"
                    ),
                    {"id": user_id, "phone": phone, "masked": masked},
                )
        capfd.readouterr()
        upgrade()  # alembic logs to stderr (migrations/alembic.ini)
        with db.engine.connect() as connection:
            phones = dict(connection.execute(sa.text("SELECT id, phone FROM users")).all())
    assert phones == {1: "13700000001", 2: "13７0000000１", 3: "13912345678"}
    report = capfd.readouterr().err
    assert "Accounts 1 and 2 share the mobile number 137****0001" in report
    assert "Account 3 registered its ID number in non-ASCII digits" in report
    assert "13700000001" not in report
    assert "13912345678" not in report


SCHOOL_COLUMNS_AT_0010 = (
    "id",
    "code",
    "name",
    "address",
    "is_public",
    "timezone",
    "is_active",
    "created_at",
)


def test_slots_cancelled_under_a_closure_are_marked_as_closed_by_it(empty_app):
    """Revision 0011: a slot cancelled while a closure covered it may reopen
    when the closure is lifted; other cancelled slots keep no cause."""
    from datetime import UTC, datetime, timedelta

    day = datetime(2026, 12, 5, 16, 0, tzinfo=UTC)  # 00:00 on 6 December in Shanghai
    tables = db.metadata.tables
    with empty_app.app_context():
        upgrade(revision="0010")
        with db.engine.begin() as connection:
            schools = sa.table(  # the table as it was at 0010, without later columns
                "schools", *(sa.column(name) for name in SCHOOL_COLUMNS_AT_0010)
            )
            connection.execute(
                schools.insert().values(
                    id=1,
                    code="M9",
                    name="学校",
                    address="路",
                    is_public=True,
                    timezone="Asia/Shanghai",
                    is_active=True,
                    created_at=day,
                )
            )
            connection.execute(
                tables["facilities"]
                .insert()
                .values(id=1, school_id=1, kind="library", name="馆", capacity=5)
            )
            connection.execute(
                tables["closures"]
                .insert()
                .values(
                    school_id=1,
                    starts_at=day,
                    ends_at=day + timedelta(days=1),
                    reason="weather",
                    note="台风",
                    created_at=day - timedelta(hours=6),
                )
            )
            slots = {
                1: (day + timedelta(hours=2), day - timedelta(hours=5)),  # under it, after it
                2: (day + timedelta(hours=3), day - timedelta(hours=7)),  # before it was made
                3: (day + timedelta(days=2), day - timedelta(hours=5)),  # not under it
                4: (day + timedelta(hours=4), None),  # offered
            }
            for slot_id, (starts_at, cancelled_at) in slots.items():
                connection.execute(
                    tables["slots"]
                    .insert()
                    .values(
                        id=slot_id,
                        facility_id=1,
                        starts_at=starts_at,
                        ends_at=starts_at + timedelta(hours=1),
                        opens_at=starts_at - timedelta(days=7),
                        capacity=5,
                        cancelled_at=cancelled_at,
                    )
                )
        upgrade()
        with db.engine.connect() as connection:
            causes = dict(connection.execute(sa.text("SELECT id, cancel_cause FROM slots")).all())
            notes = connection.execute(sa.text("SELECT note, note_en FROM closures")).all()
    assert causes == {1: "closure", 2: None, 3: None, 4: None}
    assert [tuple(row) for row in notes] == [("台风", None)]
