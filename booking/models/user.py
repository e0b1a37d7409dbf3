"""Accounts: residents, school staff and district administrators; API tokens."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.extensions import db
from booking.models.types import UtcDateTime, str_enum

if TYPE_CHECKING:
    from booking.models.school import School


def utcnow() -> datetime:
    return datetime.now(UTC)


class Role(enum.StrEnum):
    RESIDENT = "resident"
    STAFF = "staff"
    ADMIN = "admin"


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("role != 'staff' OR school_id IS NOT NULL", name="staff_has_school"),
        sa.CheckConstraint("no_show_count >= 0", name="no_show_count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[Role] = mapped_column(str_enum(Role), default=Role.RESIDENT)
    real_name: Mapped[str] = mapped_column(sa.String(50))
    phone: Mapped[str] = mapped_column(sa.String(11), unique=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    # The ID number itself is never stored: a keyed hash for uniqueness, a masked form to show.
    id_number_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    id_number_masked: Mapped[str | None] = mapped_column(sa.String(18))
    is_verified: Mapped[bool] = mapped_column(default=False)
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    is_active_account: Mapped[bool] = mapped_column("is_active", default=True)
    suspended_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    no_show_count: Mapped[int] = mapped_column(default=0)
    locale: Mapped[str | None] = mapped_column(sa.String(10))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    school: Mapped[School | None] = relationship(back_populates="staff")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.is_active_account

    @property
    def is_resident(self) -> bool:
        return self.role == Role.RESIDENT

    @property
    def is_staff(self) -> bool:
        return self.role == Role.STAFF

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def masked_phone(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role} {self.masked_phone}>"


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    user: Mapped[User] = relationship()
