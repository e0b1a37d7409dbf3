"""Registering residents, creating staff and administrators, logging in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from booking.models import Role, School, User
from booking.services.errors import IdNumberTaken, PhoneTaken
from booking.services.identity import hash_id_number, mask_id_number

MIN_PASSWORD_LENGTH = 10
# A hash to check against when the number is unknown, so both answers take as long.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


@dataclass(frozen=True)
class NewResident:
    real_name: str
    phone: str
    password: str
    email: str | None = None
    id_number: str | None = None


def find_by_phone(session: Session, phone: str) -> User | None:
    return session.scalar(sa.select(User).where(User.phone == phone))


def register_resident(
    session: Session, new: NewResident, *, id_hash_key: str, now: datetime
) -> User:
    """Create a resident account. Raises PhoneTaken, IdNumberTaken.

    Input is validated by the form or API schema before it gets here; this
    checks what only the database knows.
    """
    if find_by_phone(session, new.phone) is not None:
        raise PhoneTaken(field="phone")
    user = User(
        role=Role.RESIDENT,
        real_name=new.real_name,
        phone=new.phone,
        email=new.email or None,
        password_hash=generate_password_hash(new.password),
        created_at=now,
    )
    if new.id_number:
        id_hash = hash_id_number(new.id_number, id_hash_key)
        if session.scalar(sa.select(User.id).where(User.id_number_hash == id_hash)):
            raise IdNumberTaken(field="id_number")
        user.id_number_hash = id_hash
        user.id_number_masked = mask_id_number(new.id_number)
    session.add(user)
    session.flush()
    return user


def create_staff_account(
    session: Session,
    *,
    role: Role,
    phone: str,
    real_name: str,
    password: str,
    school: School | None,
    now: datetime,
) -> User:
    """Create a staff member (of `school`) or a district administrator. Raises PhoneTaken."""
    if find_by_phone(session, phone) is not None:
        raise PhoneTaken(field="phone")
    user = User(
        role=role,
        real_name=real_name,
        phone=phone,
        password_hash=generate_password_hash(password),
        school=school,
        is_verified=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, phone: str, password: str, *, now: datetime) -> User | None:
    """The active user with this phone and password, or None; the caller
    cannot tell an unknown number from a wrong password."""
    user = find_by_phone(session, phone)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.is_active:
        return None
    user.last_login_at = now
    return user
