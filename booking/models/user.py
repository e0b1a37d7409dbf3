"""Accounts: residents, school staff and district administrators; API tokens."""

from __future__ import annotations

import enum
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
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
    privacy_version: Mapped[int | None]  # the privacy notice accepted at registration
    privacy_accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Carried by every session and remember-me cookie; bumping it ends them all.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    password_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Set when the resident deleted the account: personal data is erased, counts stay.
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    school: Mapped[School | None] = relationship(back_populates="staff")
    # When this object signed in, for its session token; not a column.
    signed_in_at = None

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
        if self.erased_at is not None:
            return "-"
        return f"{self.phone[:3]}****{self.phone[-4:]}"

    @property
    def display_name(self) -> str:
        """The real name, or a note that the account was deleted."""
        if self.erased_at is not None:
            return str(_l("Deleted account"))
        return self.real_name

    def session_token(self) -> str:
        """What the session and remember-me cookies carry (Flask-Login's user id):
        the account, its session counter, when it signed in, and a nonce so
        that no two logins carry the same value."""
        issued: datetime = self.signed_in_at or datetime.now(UTC)
        nonce = secrets.token_hex(4)
        return f"{self.id}:{self.session_version}:{int(issued.timestamp())}:{nonce}"

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


class AuthFailure(db.Model):
    """A failed attempt (a wrong password, a wrong code, a code sent), counted
    per subject ("account:7", "address:203.0.113.9", "phone:137...") over a
    sliding window; all workers count in the same table."""

    __tablename__ = "auth_failures"
    __table_args__ = (sa.Index("ix_auth_failures_scope_subject_at", "scope", "subject", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(20))
    subject: Mapped[str] = mapped_column(sa.String(80))
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class VerificationCode(db.Model):
    """A 6-digit code sent by SMS to prove a mobile number, for registration
    or a password reset. Only a keyed hash of the code is kept; it is valid
    for a few minutes, for a few tries, once."""

    __tablename__ = "verification_codes"
    __table_args__ = (
        sa.Index("ix_verification_codes_phone_purpose", "phone", "purpose", "created_at"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(sa.String(20))
    phone: Mapped[str] = mapped_column(sa.String(11))
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
