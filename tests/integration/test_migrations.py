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
