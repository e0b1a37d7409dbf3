"""Flask commands: users, demo (and, with later issues, slots, jobs, scheduler)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from booking.extensions import db
from booking.models import CalendarPeriod, DayKind, JobRun, JobRunStatus, Role, School
from booking.services import accounts
from booking.services.clock import local_date, utcnow, zone
from booking.services.errors import DomainError
from booking.services.identity import is_mainland_mobile, normalise_phone
from booking.services.passwords import password_problem
from booking.services.slots import generate_slots

users = AppGroup("users", help="Create staff and administrator accounts; deactivate accounts.")


def checked_phone(phone: str) -> str:
    phone = normalise_phone(phone)
    if not is_mainland_mobile(phone):
        raise click.BadParameter(
            "expected an 11-digit mainland mobile number", param_hint="--phone"
        )
    return phone


def checked_password(password: str, phone: str) -> str:
    problem = password_problem(password, phone=phone)
    if problem is not None:
        raise click.BadParameter(str(problem), param_hint="--password")
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
            password=checked_password(password, checked_phone(phone)),
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


@users.command("deactivate")
@click.option("--phone", required=True, help="The account's mobile number.")
def deactivate(phone: str) -> None:
    """Close an account: it can no longer log in, and every session and token ends."""
    user = accounts.find_by_phone(db.session, checked_phone(phone))
    if user is None:
        raise click.BadParameter("no account has this mobile number", param_hint="--phone")
    accounts.deactivate(db.session, user, actor=None, now=utcnow())
    db.session.commit()
    click.echo(f"Deactivated {user.role.value} {user.masked_phone}; its sessions and tokens ended.")


@click.command("demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when the database holds any data.")
def demo(if_empty: bool) -> None:
    """Load the Nancheng demo district (idempotent)."""
    from booking.ops import demo as demo_data

    if if_empty and demo_data.has_data(db.session):
        click.echo("The database already holds data; the demo district was not loaded.")
        return
    click.echo("Loading the Nancheng demo district...")
    now = utcnow()
    created = demo_data.load_demo(
        db.session, now=now, today=local_date(now, zone("Asia/Shanghai")), progress=click.echo
    )
    db.session.commit()
    report = generate_slots(db.session, now=now, checkpoint=db.session.commit)
    db.session.commit()
    click.echo(f"Published {report.total.created} slots for the coming days.")
    click.echo(
        "Done: {schools} schools, {facilities} facilities, {users} accounts, "
        "{calendar_periods} calendar periods created "
        "(what existed was left alone).".format(**created)
    )


slots = AppGroup("slots", help="Publish bookable slots from the opening rules.")


@slots.command("generate")
@click.option("--days", type=int, help="Days ahead (1-366); default: each facility's policy.")
@click.option("--school", "school_code", help="Only this school (its code).")
@click.option("--dry-run", is_flag=True, help="Count what would be created; store nothing.")
def generate(days: int | None, school_code: str | None, dry_run: bool) -> None:
    """Create the slots the opening rules ask for (idempotent)."""

    from booking.ops.jobs import claim, finish

    def progress(done: int, total: int) -> None:
        click.echo(f"  {done}/{total} facilities", err=True)

    now = utcnow()
    # A real run is recorded like the scheduler's (jobs list shows it); a dry run changes nothing.
    run = None if dry_run else claim(db.session, "generate_slots", now, now)
    if run is None and not dry_run:
        raise click.ClickException("generate_slots is already running for this instant; try again.")
    run_id = run.id if run is not None else None

    def checkpoint() -> None:
        if run_id is not None:
            db.session.execute(
                sa.update(JobRun).where(JobRun.id == run_id).values(heartbeat_at=utcnow())
            )
        db.session.commit()

    try:
        report = generate_slots(
            db.session,
            now=now,
            days=days,
            school_code=school_code,
            dry_run=dry_run,
            checkpoint=checkpoint,
            progress=progress,
        )
    except DomainError as error:
        db.session.rollback()
        if run_id is not None:
            finish(db.session, run_id, JobRunStatus.FAILED, {}, str(error.message), utcnow())
        raise click.UsageError(str(error.message)) from error
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
        status = JobRunStatus.FAILED if report.failures else JobRunStatus.SUCCEEDED
        failed = f"{len(report.failures)} facilities failed" if report.failures else None
        finish(db.session, run_id, status, report.counts(), failed, utcnow())  # type: ignore[arg-type]
    print_generation(report, dry_run)
    if report.failures:
        raise click.ClickException(f"{len(report.failures)} facilities failed (listed above).")


def print_generation(report: Any, dry_run: bool) -> None:
    verb = "would create" if dry_run else "created"
    for code, tally in sorted(report.per_school.items()):
        click.echo(
            f"{code:<12} {verb} {tally.created:>6}, already there {tally.existing:>6}, "
            f"skipped by closure {tally.closed:>5}"
        )
    total = report.total
    click.echo(
        f"Total: {verb} {total.created}, already there {total.existing}, "
        f"skipped by closure {total.closed}, in {report.facilities} facilities "
        f"({report.up_to_date} already published to their horizon)."
    )
    if total.partial_dropped:
        click.echo(
            f"Note: {total.partial_dropped} windows end with a piece shorter than their slot "
            "length; that piece is not offered."
        )
    for facility_id, error in report.failures:
        click.echo(f"FAILED facility {facility_id}: {error}", err=True)


jobs = AppGroup("jobs", help="Run scheduled jobs by hand and see their last runs.")


@jobs.command("run")
@click.argument("name")
def run_job_now(name: str) -> None:
    """Run job NAME once now."""
    from booking.ops.jobs import JOBS, run_job

    if name not in JOBS:
        raise click.UsageError(f"no job {name!r}; the jobs are: {', '.join(JOBS)}")
    click.echo(f"Running {name}...")
    run = run_job(db.session, JOBS[name], due_at=utcnow().replace(microsecond=0))
    if run is None:
        raise click.ClickException(f"{name} is already running for this second; try again.")
    click.echo(f"{run.status}: {format_counts(run.counts)}")
    if run.error:
        raise click.ClickException(run.error)


@jobs.command("list")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500))
def list_jobs(limit: int) -> None:
    """The jobs and their last runs."""
    from booking.ops.jobs import JOBS, fail_abandoned, last_runs

    if fail_abandoned(db.session, utcnow()):
        db.session.commit()
    for job in JOBS.values():
        when = (
            f"daily at {job.daily_at:%H:%M}" if job.daily_at else f"every {job.every_minutes} min"
        )
        click.echo(f"{job.name:<16} {when:<18} {job.description}")
    click.echo("")
    runs = last_runs(db.session, limit)
    if not runs:
        click.echo("No runs yet.")
    for run in runs:
        took = (
            f"{(run.finished_at - run.started_at).total_seconds():.1f}s" if run.finished_at else "-"
        )
        tries = f" (attempt {run.attempts})" if run.attempts > 1 else ""
        click.echo(
            f"{run.job:<16} due {run.due_at:%Y-%m-%d %H:%M}Z  {run.status:<9} {took:>7}  "
            f"{format_counts(run.counts)}{tries}"
        )
        if run.error:
            click.echo(f"{'':<16} {run.error.strip().splitlines()[-1][:300]}")


def format_counts(counts: dict[str, Any]) -> str:
    return ", ".join(f"{key} {value}" for key, value in counts.items()) or "-"


@click.command("scheduler")
@with_appcontext
def scheduler() -> None:
    """Run the job scheduler in the foreground (its own process)."""
    import logging

    from flask import current_app

    from booking.ops.scheduler import build_scheduler, catch_up

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config["BOOKING_SCHEDULER"]:
        click.echo("The scheduler is off (BOOKING_SCHEDULER=off).")
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    built = build_scheduler(app)
    click.echo("Scheduler: catching up on missed runs...")
    catch_up(app)
    for job in built.get_jobs():
        click.echo(f"  {job.id}: next run {job.trigger.get_next_fire_time(None, utcnow())}")
    try:
        built.start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("Scheduler stopped.")


calendar = AppGroup("calendar", help="The district's holidays, make-up working days, vacations.")


@calendar.command("list")
@click.option("--year", type=click.IntRange(2000, 2100), help="Only periods touching this year.")
def list_calendar(year: int | None) -> None:
    """The calendar's periods, in order."""
    query = sa.select(CalendarPeriod).order_by(CalendarPeriod.first_day, CalendarPeriod.kind)
    if year:
        query = query.where(
            CalendarPeriod.last_day >= date(year, 1, 1),
            CalendarPeriod.first_day <= date(year, 12, 31),
        )
    periods = db.session.scalars(query).all()
    for period in periods:
        click.echo(
            f"{period.id:>5}  {period.kind:<15} {period.first_day} .. {period.last_day}  "
            f"{period.name} ({period.source})"
        )
    click.echo(f"{len(periods)} periods.")


@calendar.command("import")
@click.option("--year", "years", type=click.IntRange(2000, 2100), multiple=True, required=True)
def import_calendar(years: tuple[int, ...]) -> None:
    """Add China's official holidays and make-up working days for YEAR (repeatable)."""
    from booking.services.calendar import import_official_holidays

    added = import_official_holidays(db.session, years)
    db.session.commit()
    click.echo(f"Added {added} periods from the chinesecalendar package.")
    if added == 0:
        click.echo("Nothing new: already imported, or the package does not know these years yet.")


@calendar.command("add")
@click.argument("kind", type=click.Choice([kind.value for kind in DayKind]))
@click.argument("first", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.argument("last", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.argument("name")
@click.option("--dry-run", is_flag=True, help="Show what it would change; store nothing.")
def add_calendar_period(
    kind: str, first: datetime, last: datetime, name: str, dry_run: bool
) -> None:
    """Add a period (e.g. vacation 2027-01-23 2027-02-20 寒假) and apply it to published slots."""
    from booking.services.calendar_changes import add_calendar_period as add_and_apply

    try:
        report = add_and_apply(
            db.session,
            DayKind(kind),
            first.date(),
            last.date(),
            name,
            actor=None,
            now=utcnow(),
            dry_run=dry_run,
        )
    except DomainError as error:
        db.session.rollback()
        raise click.UsageError(str(error.message)) from error
    verb = "would" if dry_run else "did"
    click.echo(
        f"Published slots: {verb} add {report.created}, remove {report.removed} unbooked, "
        f"cancel {len(report.cancelled)} booked ({report.bookings_cancelled} bookings)."
    )
    for item in report.cancelled:
        click.echo(
            f"  slot {item.slot.id} at {item.slot.starts_at:%Y-%m-%d %H:%M}Z: "
            + ", ".join(booking.code for booking in item.bookings)
        )
    if dry_run:
        db.session.rollback()
        click.echo("Dry run: nothing was stored.")
    else:
        db.session.commit()


def read_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    from booking.services.clock import NEAR_YEARS, is_near

    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("expected a date written YYYY-MM-DD", param_hint=option) from None
    if not is_near(day, utcnow().date()):
        raise click.BadParameter(f"at most {NEAR_YEARS} years from today", param_hint=option)
    return day


@click.command("tracker")
@with_appcontext
@click.option("--week", help="A day of the week to show (YYYY-MM-DD); default: this week.")
@click.option("--csv", "as_csv", is_flag=True, help="One CSV row per school and required kind.")
def tracker_command(week: str | None, as_csv: bool) -> None:
    """The opening tracker: which schools open what the plan asks, for long enough."""
    from booking.services import tracker
    from booking.services.exports import write_csv

    day = read_day(week, "--week") or local_date(utcnow(), zone(current_timezone()))
    result = tracker.build_tracker(db.session, day)
    if as_csv:
        click.echo(write_csv(tracker.csv_rows(result)), nl=False)
        return
    last = result.days[-1]
    click.echo(f"Week {result.week_start.isoformat()} to {last.isoformat()}")
    for total in result.totals:
        kind = "public" if total.is_public else "private"
        click.echo(
            f"  {kind}: {total.meeting} of {total.schools} schools meet the minimum "
            f"(target {total.target})"
        )
    for school in result.behind:
        gaps = ", ".join(
            f"{k.kind.value}: {k.gap.value}"
            + (
                f" ({';'.join(d.day.isoformat() for d in k.missed_days)})"
                if k.gap == "short_days"
                else ""
            )
            for k in school.behind
        )
        click.echo(f"  behind: {school.code} {school.name}: {gaps}")


def current_timezone() -> str:
    from flask import current_app

    return str(current_app.config.get("BOOKING_TIMEZONE") or "Asia/Shanghai")


@click.command("report")
@with_appcontext
@click.option("--from", "first", required=True, help="First day (YYYY-MM-DD).")
@click.option("--to", "last", required=True, help="Last day (YYYY-MM-DD), included.")
@click.option("--school", "school_code", help="Only this school (its code).")
@click.option(
    "--by",
    "grouping",
    type=click.Choice(["school", "kind", "facility"]),
    default="school",
    show_default=True,
)
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (UTF-8, with its header row).")
def report_command(
    first: str, last: str, school_code: str | None, grouping: str, as_csv: bool
) -> None:
    """Usage of the facilities over a period: offered, booked, checked in, no-shows."""
    from booking.services import reports
    from booking.services.exports import write_csv

    try:
        period = reports.check_period(read_day(first, "--from"), read_day(last, "--to"))
        school_ids = None
        if school_code is not None:
            school_ids = [reports.school_by_code(db.session, school_code).id]
    except DomainError as error:
        raise click.UsageError(str(error.message)) from error
    result = reports.usage_report(
        db.session, period, grouping=reports.Grouping(grouping), school_ids=school_ids
    )
    rows = reports.csv_rows(result)
    if as_csv:
        click.echo(write_csv(rows), nl=False)
        return
    total = result.total
    click.echo(
        f"{period.first.isoformat()} to {period.last.isoformat()}: "
        f"{total.places_booked} of {total.places_offered} places booked, "
        f"{total.checked_in} checked in, {total.no_shows} no-shows, {total.cancelled} cancelled"
    )
    for row in rows[1:]:
        label = " ".join(str(cell) for cell in row[:4] if cell != "")
        click.echo(f"  {label}: {row[7]} of {row[6]} places booked, {row[9]} checked in")


def register(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(demo)
    app.cli.add_command(slots)
    app.cli.add_command(jobs)
    app.cli.add_command(scheduler)
    app.cli.add_command(calendar)
    app.cli.add_command(tracker_command)
    app.cli.add_command(report_command)
