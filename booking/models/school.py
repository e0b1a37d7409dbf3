"""Schools and their versioned visitor terms."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.extensions import db
from booking.models.types import UtcDateTime
from booking.models.user import utcnow

if TYPE_CHECKING:
    from booking.models.facility import Facility
    from booking.models.user import User


class School(db.Model):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    name_en: Mapped[str | None] = mapped_column(sa.String(150))
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    address_en: Mapped[str | None] = mapped_column(sa.String(300))
    # The neighbourhood residents look for (a community, a district), in both languages.
    area: Mapped[str] = mapped_column(sa.String(60), default="")
    area_en: Mapped[str | None] = mapped_column(sa.String(100))
    is_public: Mapped[bool] = mapped_column(default=True)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Shanghai")
    contact_name: Mapped[str | None] = mapped_column(sa.String(50))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(20))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    facilities: Mapped[list[Facility]] = relationship(
        back_populates="school", order_by="Facility.id"
    )
    staff: Mapped[list[User]] = relationship(back_populates="school")

    def __repr__(self) -> str:
        return f"<School {self.code}>"


class VisitorTerms(db.Model):
    """A school's rules for visitors; a booking records the version accepted."""

    __tablename__ = "visitor_terms"
    __table_args__ = (
        sa.UniqueConstraint("school_id", "version"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id", ondelete="CASCADE"))
    version: Mapped[int]
    body: Mapped[str] = mapped_column(sa.Text)
    body_en: Mapped[str | None] = mapped_column(sa.Text)  # the English translation, if any
    published_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    school: Mapped[School] = relationship()
