"""The scheduled jobs, as data, and the claim-then-run wrapper.

Each run of a job is identified by its due time. Before it starts, a run is
claimed by inserting its (job, due_at) row: the unique constraint lets only
one process win, however many schedulers fire it. A claim whose worker died
(no heartbeat for LEASE) may be taken over, so a killed run is finished by
the next scheduler that starts.
"""

from __future__ import annotations

import os
import socket
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from booking import metrics
from booking.models import JobRun, JobRunStatus
from booking.services import (
    accounts,
    clock,
    no_shows,
    notices,
    release_reminders,
    reminders,
    retention,
    sms,
    throttle,
    usage_days,
    verification,
)
from booking.services.bookings import expire_undecided
from booking.services.calendar import import_official_holidays
from booking.services.job_health import SCHEDULES, Schedule
from booking.services.slots import generate_slots
from booking.services.waitlist import lapse_offers

LEASE = timedelta(minutes=10)

Checkpoint = Callable[[], None]
JobBody = Callable[[Session, datetime, Checkpoint], dict[str, Any]]


@dataclass(frozen=True)
class Job:
    name: str
    description: str
    body: JobBody
    daily_at: time | None = None  # local time in BOOKING_TIMEZONE
    every_minutes: int | None = None  # a divisor of 60, aligned to the clock

    def __post_init__(self) -> None:
        if (self.daily_at is None) == (self.every_minutes is None):
            raise ValueError(f"job {self.name}: give daily_at or every_minutes, not both")
        if self.every_minutes is not None and 60 % self.every_minutes:
            raise ValueError(f"job {self.name}: every_minutes must divide an hour")

    def latest_due(self, now: datetime, tz: ZoneInfo) -> datetime:
        """The most recent due time at or before `now`."""
        return Schedule(self.daily_at, self.every_minutes).latest_due(now, tz)


def run_generate_slots(session: Session, now: datetime, checkpoint: Checkpoint) -> dict[str, Any]:
    # Official holidays for this year and next, as soon as the package knows them.
    holidays_added = import_official_holidays(session, [now.year, now.year + 1])
    report = generate_slots(session, now=now, checkpoint=checkpoint)
    counts = {**report.counts(), "holiday_periods_added": holidays_added}
    if report.failures:
        raise PartialFailure(counts, report.failures)
    return counts


def run_expire_pending(session: Session, now: datetime, checkpoint: Checkpoint) -> dict[str, Any]:
    return {"expired": expire_undecided(session, now)}


def run_lapse_offers(session: Session, now: datetime, checkpoint: Checkpoint) -> dict[str, Any]:
    return {"lapsed": lapse_offers(session, now)}


def run_mark_no_shows(session: Session, now: datetime, checkpoint: Checkpoint) -> dict[str, Any]:
    return no_shows.mark_no_shows(session, now)


def run_send_reminders(session: Session, now: datetime, checkpoint: Checkpoint) -> dict[str, Any]:
    return {"reminded": reminders.send_reminders(session, now)}


def run_remind_at_release(
    session: Session, now: datetime, checkpoint: Checkpoint
) -> dict[str, Any]:
    return {"reminded": release_reminders.send_due(session, now)}


def run_deliver_outbox(session: Session, now: datetime, checkpoint: Checkpoint) -> dict[str, Any]:
    config = current_app.config
    send = None
    if config.get("MAIL_SERVER"):
        send = notices.smtp_sender(
            config["MAIL_SERVER"],
            config["MAIL_PORT"],
            config["MAIL_SENDER"],
            username=config.get("MAIL_USERNAME"),
            password=config.get("MAIL_PASSWORD"),
            tls=config.get("MAIL_USE_TLS", False),
        )
    texts = sms.sender_from_config(config) if config.get("SMS_NOTICES") else None
    return {
        **notices.deliver_outbox(session, now, send),
        **notices.text_urgent_notices(session, now, texts),
    }


def run_forget_expired(session: Session, now: datetime, checkpoint: Checkpoint) -> dict[str, Any]:
    return {
        "failures_forgotten": throttle.purge_database_counts(session, now),
        "codes_forgotten": verification.purge(session, now),
        "tokens_forgotten": accounts.purge_dead_tokens(session, now),
    }


def run_aggregate_usage(session: Session, now: datetime, checkpoint: Checkpoint) -> dict[str, Any]:
    tz = clock.zone(current_app.config.get("BOOKING_TIMEZONE") or "Asia/Shanghai")
    return usage_days.rebuild_settled(session, now, tz, checkpoint)


def run_anonymise_old_visits(
    session: Session, now: datetime, checkpoint: Checkpoint
) -> dict[str, Any]:
    days = int(current_app.config.get("RETENTION_DAYS") or 180)
    return {**retention.anonymise_old_visits(session, now, days=days), "older_than_days": days}


class PartialFailure(Exception):
    """Some items failed while the others were done; the counts are kept."""

    def __init__(self, counts: dict[str, Any], failures: list[tuple[int, str]]):
        self.counts = counts
        lines = [f"facility {facility_id}: {error}" for facility_id, error in failures[:50]]
        super().__init__(f"{len(failures)} failed:\n" + "\n".join(lines))


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job(
            "generate_slots",
            "Publish slots from the opening rules, up to each facility's horizon.",
            run_generate_slots,
            **SCHEDULES["generate_slots"].fields(),  # type: ignore[arg-type]
        ),
        Job(
            "expire_pending",
            "Expire requests nobody decided on before their slot started.",
            run_expire_pending,
            **SCHEDULES["expire_pending"].fields(),  # type: ignore[arg-type]
        ),
        Job(
            "lapse_offers",
            "Close waitlist offers not accepted in time; offer the places to the next in line.",
            run_lapse_offers,
            **SCHEDULES["lapse_offers"].fields(),  # type: ignore[arg-type]
        ),
        Job(
            "mark_no_shows",
            "Mark confirmed bookings not checked in by the end plus the grace; suspend repeaters.",
            run_mark_no_shows,
            **SCHEDULES["mark_no_shows"].fields(),  # type: ignore[arg-type]
        ),
        Job(
            "send_reminders",
            "The evening before, remind residents of tomorrow's confirmed bookings.",
            run_send_reminders,
            **SCHEDULES["send_reminders"].fields(),  # type: ignore[arg-type]
        ),
        Job(
            "remind_at_release",
            "Tell residents who asked that the time they wait for opens for booking now.",
            run_remind_at_release,
            **SCHEDULES["remind_at_release"].fields(),  # type: ignore[arg-type]
        ),
        Job(
            "deliver_outbox",
            "E-mail the notices waiting in the outbox, and text waitlist offers and release "
            "reminders, when mail and SMS notices are configured.",
            run_deliver_outbox,
            **SCHEDULES["deliver_outbox"].fields(),  # type: ignore[arg-type]
        ),
        Job(
            "forget_expired",
            "Forget what has expired: failed-login counts, SMS codes, API tokens a month dead.",
            run_forget_expired,
            **SCHEDULES["forget_expired"].fields(),  # type: ignore[arg-type]
        ),
        Job(
            "aggregate_usage",
            "Rebuild the daily usage figures of settled days for the district reports.",
            run_aggregate_usage,
            **SCHEDULES["aggregate_usage"].fields(),  # type: ignore[arg-type]
        ),
        Job(
            "anonymise_old_visits",
            "Detach visits older than RETENTION_DAYS from their residents, keeping the counts.",
            run_anonymise_old_visits,
            **SCHEDULES["anonymise_old_visits"].fields(),  # type: ignore[arg-type]
        ),
    )
}


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# How a run whose process died is recorded; such a run may be taken over.
ABANDONED = "Abandoned: "


def fail_abandoned(session: Session, now: datetime) -> int:
    """Mark failed every run whose worker stopped beating for longer than the
    lease (its process was killed, its machine lost): otherwise it would say
    "running" forever. A scheduled run still due is taken over by `claim`."""
    stale = session.execute(
        sa.select(JobRun.id, JobRun.worker, JobRun.heartbeat_at).where(
            JobRun.status == JobRunStatus.RUNNING, JobRun.heartbeat_at < now - LEASE
        )
    ).all()
    for run_id, worker, heartbeat_at in stale:
        session.execute(
            sa.update(JobRun)
            .where(JobRun.id == run_id, JobRun.status == JobRunStatus.RUNNING)
            .values(
                status=JobRunStatus.FAILED,
                finished_at=now,
                error=f"{ABANDONED}the worker {worker} stopped beating at "
                f"{heartbeat_at:%Y-%m-%d %H:%M:%S}Z (its process died or was killed).",
            )
        )
    return len(stale)


def claim(session: Session, job: str, due_at: datetime, now: datetime) -> JobRun | None:
    """Claim the run of `job` due at `due_at`, or take over one whose worker
    died; None when another process holds it or it has finished.
    Commits, so the claim is visible to every other scheduler at once."""
    fail_abandoned(session, now)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(JobRun)
        .values(
            job=job,
            due_at=due_at,
            status=JobRunStatus.RUNNING,
            started_at=now,
            heartbeat_at=now,
            worker=worker_name(),
            attempts=1,
            counts={},
        )
        .on_conflict_do_nothing(index_elements=["job", "due_at"])
        .returning(JobRun.id)
    )
    run_id = session.execute(statement).scalar()
    if run_id is None:
        run_id = _take_over(session, job, due_at, now)
    session.commit()
    return session.get(JobRun, run_id) if run_id is not None else None


def _take_over(session: Session, job: str, due_at: datetime, now: datetime) -> int | None:
    statement = (
        sa.update(JobRun)
        .where(
            JobRun.job == job,
            JobRun.due_at == due_at,
            JobRun.status == JobRunStatus.FAILED,
            JobRun.error.startswith(ABANDONED),
        )
        .values(
            status=JobRunStatus.RUNNING,
            worker=worker_name(),
            heartbeat_at=now,
            started_at=now,
            finished_at=None,
            attempts=JobRun.attempts + 1,
            # the story stays: the attempt before died, this one took over
            error=JobRun.error + " Taken over.",
        )
        .returning(JobRun.id)
    )
    return session.execute(statement).scalar()


def run_job(
    session: Session,
    job: Job,
    *,
    due_at: datetime,
    clock_now: Callable[[], datetime] = clock.utcnow,
) -> JobRun | None:
    """Claim and run one due run of `job`; None when it was not ours to run."""
    run = claim(session, job.name, due_at, clock_now())
    if run is None:
        return None
    run_id = run.id

    def checkpoint() -> None:
        session.execute(
            sa.update(JobRun).where(JobRun.id == run_id).values(heartbeat_at=clock_now())
        )
        session.commit()

    try:
        counts = job.body(session, clock_now(), checkpoint)
    except Exception as error:  # noqa: BLE001 (recorded on the run, then reported)
        session.rollback()
        counts = getattr(error, "counts", {})
        finish(session, run_id, JobRunStatus.FAILED, counts, traceback.format_exc(), clock_now())
    else:
        finish(session, run_id, JobRunStatus.SUCCEEDED, counts, None, clock_now())
    return session.get(JobRun, run_id)


def finish(
    session: Session,
    run_id: int,
    status: JobRunStatus,
    counts: dict[str, Any],
    error: str | None,
    now: datetime,
) -> None:
    session.execute(
        sa.update(JobRun)
        .where(JobRun.id == run_id)
        .values(
            status=status,
            counts=counts,
            error=error if error is not None else JobRun.error,
            finished_at=now,
            heartbeat_at=now,
        )
    )
    session.commit()
    session.expire_all()
    job = session.scalar(sa.select(JobRun.job).where(JobRun.id == run_id))
    metrics.JOB_RUNS.labels(job=job or "?", status=status.value).inc()


def last_runs(session: Session, limit: int = 20) -> list[JobRun]:
    return list(session.scalars(sa.select(JobRun).order_by(JobRun.started_at.desc()).limit(limit)))
