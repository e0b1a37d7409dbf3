"""Audit events: who did what to which record, when and why."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.extensions import db
from booking.models.types import UtcDateTime
from booking.models.user import User, utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_school_at", "school_id", "at"),
        sa.Index("ix_audit_events_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # None: the system
    action: Mapped[str] = mapped_column(sa.String(40))
    target_type: Mapped[str] = mapped_column(sa.String(40))
    target_id: Mapped[int]
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("schools.id"))
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    details: Mapped[dict[str, object]] = mapped_column(sa.JSON, default=dict)

    actor: Mapped[User | None] = relationship()
