"""The scheduler process: fires the jobs of booking.ops.jobs on time.

Built only by `flask --app booking scheduler`, never inside create_app or a
web worker. Several schedulers may run: each run is claimed in the database.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask

from booking.extensions import db
from booking.models import JobRunStatus
from booking.ops.jobs import JOBS, Job, run_job
from booking.services.clock import utcnow

log = logging.getLogger("booking.ops.scheduler")


def trigger_for(job: Job, tz: ZoneInfo) -> CronTrigger:
    if job.daily_at is not None:
        return CronTrigger(hour=job.daily_at.hour, minute=job.daily_at.minute, timezone=tz)
    # Aligned to the clock, so every scheduler computes the same due times.
    return CronTrigger(minute=f"*/{job.every_minutes}", timezone=tz)


def fire(app: Flask, name: str) -> None:
    job = JOBS[name]
    tz = ZoneInfo(app.config["BOOKING_TIMEZONE"])
    with app.app_context():
        due_at = job.latest_due(utcnow(), tz)
        run = run_job(db.session, job, due_at=due_at)
        if run is None:
            log.info("%s due %s: already run or running elsewhere", name, due_at.isoformat())
        else:
            log.info("%s due %s: %s %s", name, due_at.isoformat(), run.status, run.counts)
            if run.status == JobRunStatus.FAILED:
                log.error("%s failed: %s", name, run.error)
        db.session.remove()


def build_scheduler(app: Flask) -> BlockingScheduler:
    tz = ZoneInfo(app.config["BOOKING_TIMEZONE"])
    scheduler = BlockingScheduler(timezone=tz)
    for job in JOBS.values():
        scheduler.add_job(
            fire,
            trigger_for(job, tz),
            args=[app, job.name],
            id=job.name,
            name=job.description,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=3600,
        )
    return scheduler


def catch_up(app: Flask) -> None:
    """Run each job's latest due run if no scheduler has yet (a down scheduler missed it)."""
    for name in JOBS:
        fire(app, name)
