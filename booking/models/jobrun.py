"""Runs of scheduled jobs, claimed before they start."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from booking.extensions import db
from booking.models.types import UtcDateTime, str_enum


class JobRunStatus(enum.StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class JobRun(db.Model):
    """One run of one job for one due time. The unique (job, due_at) is the
    claim: a second scheduler inserting the same run gets a conflict and
    does nothing."""

    __tablename__ = "job_runs"
    __table_args__ = (
        sa.UniqueConstraint("job", "due_at"),
        sa.Index("ix_job_runs_job_started", "job", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(40))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[JobRunStatus] = mapped_column(str_enum(JobRunStatus))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    worker: Mapped[str] = mapped_column(sa.String(100), default="")
    attempts: Mapped[int] = mapped_column(default=1)
    counts: Mapped[dict[str, object]] = mapped_column(sa.JSON, default=dict)
    error: Mapped[str | None] = mapped_column(sa.Text)
