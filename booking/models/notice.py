"""Notices to users, kept in an outbox until delivered."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.extensions import db
from booking.models.types import UtcDateTime, str_enum
from booking.models.user import User, utcnow


class DeliveryStatus(enum.StrEnum):
    """E-mail delivery; the in-app notice is there from the start."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    NOT_NEEDED = "not_needed"  # no mail configured, or the user has no address


class Notice(db.Model):
    __tablename__ = "notices"
    __table_args__ = (
        sa.Index("ix_notices_user_unread", "user_id", "read_at"),
        sa.Index("ix_notices_delivery", "delivery_status", "next_attempt_at"),
        sa.Index("ix_notices_sms", "sms_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    # What the words of its kind are made of; rendered in the reader's language when read.
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    booking_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bookings.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivery_status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    # A text message too, for the kinds that cannot wait (sms.TEXTED_KINDS); None: not texted.
    sms_status: Mapped[DeliveryStatus | None] = mapped_column(
        str_enum(DeliveryStatus, name="smsstatus")
    )

    user: Mapped[User] = relationship()
