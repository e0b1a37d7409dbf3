"""The privacy notice: what personal data is kept, why and for how long; versioned."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from booking.extensions import db
from booking.models.types import UtcDateTime
from booking.models.user import utcnow


class PrivacyNotice(db.Model):
    """A published version; a resident's account records the version accepted.
    Version 1 is the text the code ships with until the bureau publishes its own."""

    __tablename__ = "privacy_notices"
    __table_args__ = (sa.CheckConstraint("version >= 2", name="version_after_builtin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    body: Mapped[str] = mapped_column(sa.Text)
    body_en: Mapped[str | None] = mapped_column(sa.Text)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
