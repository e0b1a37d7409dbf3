"""Flask commands: users, demo (and, with later issues, slots, jobs, scheduler)."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from booking.extensions import db
from booking.models import Role, School
from booking.services import accounts
from booking.services.clock import local_date, utcnow, zone
from booking.services.errors import DomainError
from booking.services.identity import is_mainland_mobile, normalise_phone

users = AppGroup("users", help="Create staff and administrator accounts.")


def checked_phone(phone: str) -> str:
    phone = normalise_phone(phone)
    if not is_mainland_mobile(phone):
        raise click.BadParameter(
            "expected an 11-digit mainland mobile number", param_hint="--phone"
        )
    return phone


def checked_password(password: str) -> str:
    if len(password) < accounts.MIN_PASSWORD_LENGTH:
        raise click.BadParameter(
            f"a password needs at least {accounts.MIN_PASSWORD_LENGTH} characters",
            param_hint="--password",
        )
    return password


def checked_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 50:
        raise click.BadParameter("a name has 1 to 50 characters", param_hint="--name")
    return name


def password_option() -> click.Option:
    return click.option(
        "--password",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="Prompted for when absent.",
    )


def create_account(role: Role, phone: str, name: str, password: str, school: School | None) -> None:
    try:
        user = accounts.create_staff_account(
            db.session,
            role=role,
            phone=checked_phone(phone),
            real_name=checked_name(name),
            password=checked_password(password),
            school=school,
            now=utcnow(),
        )
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    where = f" of {school.code}" if school else ""
    click.echo(f"Created {role.value}{where}: {user.real_name} ({user.masked_phone}).")


@users.command("create-admin")
@click.option("--phone", required=True, help="Mainland mobile number, used to log in.")
@click.option("--name", required=True, help="Real name.")
@password_option()
def create_admin(phone: str, name: str, password: str) -> None:
    """Create a district administrator."""
    create_account(Role.ADMIN, phone, name, password, None)


@users.command("create-staff")
@click.option("--school", "school_code", required=True, help="The school's code.")
@click.option("--phone", required=True, help="Mainland mobile number, used to log in.")
@click.option("--name", required=True, help="Real name.")
@password_option()
def create_staff(school_code: str, phone: str, name: str, password: str) -> None:
    """Create a staff account for one school."""
    school = db.session.scalar(sa.select(School).where(School.code == school_code))
    if school is None:
        raise click.BadParameter(f"no school has the code {school_code!r}", param_hint="--school")
    create_account(Role.STAFF, phone, name, password, school)


@click.command("demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when the database holds any data.")
def demo(if_empty: bool) -> None:
    """Load the Nancheng demo district (idempotent)."""
    from booking import demo as demo_data

    if if_empty and demo_data.has_data(db.session):
        click.echo("The database already holds data; the demo district was not loaded.")
        return
    click.echo("Loading the Nancheng demo district...")
    now = utcnow()
    created = demo_data.load_demo(
        db.session, now=now, today=local_date(now, zone("Asia/Shanghai")), progress=click.echo
    )
    db.session.commit()
    click.echo(
        "Done: {schools} schools, {facilities} facilities, {users} accounts created "
        "(what existed was left alone).".format(**created)
    )


def register(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(demo)
