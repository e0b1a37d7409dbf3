"""A resident's wish to be told when a time not yet released opens for booking."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from booking.extensions import db
from booking.models.types import UtcDateTime
from booking.models.user import utcnow


class ReleaseReminder(db.Model):
    __tablename__ = "release_reminders"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "facility_id", "starts_at"),
        sa.Index("ix_release_reminders_due", "sent_at", "remind_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    facility_id: Mapped[int] = mapped_column(sa.ForeignKey("facilities.id", ondelete="CASCADE"))
    # The time the resident wants (its slot may not be generated yet) and its release.
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    remind_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
