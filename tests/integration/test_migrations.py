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
