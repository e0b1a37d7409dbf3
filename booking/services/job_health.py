"""When each scheduled job is due, and whether its runs keep up.

The schedules live here, not beside the job bodies in ops, so that the
district's pages (which must not import ops) can tell a late job from one
that simply has not been due yet. ops/jobs.py builds its jobs from them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from booking.models import JobRun, JobRunStatus
from booking.services import clock


@dataclass(frozen=True)
class Schedule:
    daily_at: time | None = None  # local time in BOOKING_TIMEZONE
    every_minutes: int | None = None  # a divisor of 60, aligned to the clock

    def fields(self) -> dict[str, object]:
        return {"daily_at": self.daily_at, "every_minutes": self.every_minutes}

    def latest_due(self, now: datetime, tz: ZoneInfo) -> datetime:
        """The most recent due time at or before `now`."""
        if self.daily_at is not None:
            today = clock.local_date(now, tz)
            due = clock.local_instant(today, self.daily_at, tz)
            if due > now:
                due = clock.local_instant(today - timedelta(days=1), self.daily_at, tz)
            return due
        period = (self.every_minutes or 60) * 60
        epoch_seconds = int(now.timestamp()) // period * period
        return datetime.fromtimestamp(epoch_seconds, tz=now.tzinfo)

    @property
    def grace(self) -> timedelta:
        """How long after a due time its run may still be missing before it is late."""
        if self.daily_at is not None:
            return timedelta(hours=2)
        return max(timedelta(minutes=3 * (self.every_minutes or 60)), timedelta(minutes=10))


SCHEDULES: dict[str, Schedule] = {
    "generate_slots": Schedule(daily_at=time(1, 0)),
    "expire_pending": Schedule(every_minutes=5),
    "lapse_offers": Schedule(every_minutes=1),
    "mark_no_shows": Schedule(every_minutes=15),
    "send_reminders": Schedule(daily_at=time(19, 0)),
    "remind_at_release": Schedule(every_minutes=1),
    "deliver_outbox": Schedule(every_minutes=1),
    "forget_expired": Schedule(daily_at=time(3, 30)),
    # After midnight, when mark_no_shows has settled the day before yesterday.
    "aggregate_usage": Schedule(daily_at=time(2, 30)),
    "anonymise_old_visits": Schedule(daily_at=time(3, 45)),
}


class Health(enum.StrEnum):
    OK = "ok"
    FAILED = "failed"  # the last finished run failed
    LATE = "late"  # no successful run for a due time that should have run by now


@dataclass(frozen=True)
class JobHealth:
    name: str
    schedule: Schedule
    health: Health
    last_run: JobRun | None
    last_success: JobRun | None


def job_health(session: Session, *, now: datetime, tz: ZoneInfo) -> list[JobHealth]:
    """Each job's state: its last run, its last success, and a flag (two queries)."""
    latest = (
        sa.select(JobRun.job, sa.func.max(JobRun.id).label("id"))
        .where(JobRun.status != JobRunStatus.RUNNING)
        .group_by(JobRun.job)
        .subquery()
    )
    succeeded = (
        sa.select(JobRun.job, sa.func.max(JobRun.id).label("id"))
        .where(JobRun.status == JobRunStatus.SUCCEEDED)
        .group_by(JobRun.job)
        .subquery()
    )
    last = {
        run.job: run
        for run in session.scalars(sa.select(JobRun).join(latest, JobRun.id == latest.c.id))
    }
    good = {
        run.job: run
        for run in session.scalars(sa.select(JobRun).join(succeeded, JobRun.id == succeeded.c.id))
    }
    result = []
    for name, schedule in SCHEDULES.items():
        last_run, last_success = last.get(name), good.get(name)
        expected = schedule.latest_due(now - schedule.grace, tz)
        if last_run is not None and last_run.status == JobRunStatus.FAILED:
            health = Health.FAILED
        elif last_success is None or last_success.due_at < expected:
            health = Health.LATE
        else:
            health = Health.OK
        result.append(JobHealth(name, schedule, health, last_run, last_success))
    return result


def recent_runs(session: Session, limit: int = 50) -> list[JobRun]:
    return list(
        session.scalars(
            sa.select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
        )
    )
