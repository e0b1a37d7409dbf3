"""The district's schools: creating and editing them, and opening or
suspending the programme at one.

A suspended school disappears from residents' lists, slot pages and booking
(every one of them reads `School.is_active`). Its future bookings are never
dropped silently: the administrator sees them first, then either cancels
them (each resident is told why) or keeps them, and the audit event lists
what was kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, joinedload

from booking.models import ACTIVE_STATUSES, Booking, Facility, School, Slot, User
from booking.services import audit, clock, supply, usage_days
from booking.services.errors import Conflict, NotFound, ReasonRequired, ValidationFailed

CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9_-]{1,19}")
SCHOOL_FIELDS = (
    "name",
    "name_en",
    "address",
    "address_en",
    "area",
    "area_en",
    "is_public",
    "timezone",
    "contact_name",
    "contact_phone",
)


class SchoolCodeTaken(Conflict):
    code = "school_code_taken"
    default_message = _l("Another school already has this code.")


class SchoolRefused(ValidationFailed):
    code = "invalid_school"


class UnknownSchool(NotFound):
    code = "unknown_school"
    default_message = _l("There is no school with this code.")


@dataclass(frozen=True)
class SchoolInput:
    name: str
    address: str
    timezone: str = "Asia/Shanghai"
    is_public: bool = True
    name_en: str | None = None
    address_en: str | None = None
    area: str = ""
    area_en: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None


def normalise_code(code: str) -> str:
    return code.strip().upper()


def school_by_code(session: Session, code: str) -> School:
    """The school with this code (any case). Raises UnknownSchool."""
    found = session.scalar(sa.select(School).where(School.code == normalise_code(code)[:20]))
    if found is None:
        raise UnknownSchool(_l("There is no school with the code %(code)s.", code=code[:20]))
    return found


def _check(data: SchoolInput) -> None:
    if not data.name.strip():
        raise SchoolRefused(_l("Give the school a name."), field="name")
    if not clock.is_known_timezone(data.timezone):
        raise SchoolRefused(_l("This is not a known time zone."), field="timezone")


def _values(data: SchoolInput) -> dict[str, object]:
    return {
        "name": data.name.strip(),
        "name_en": (data.name_en or "").strip() or None,
        "address": data.address.strip(),
        "address_en": (data.address_en or "").strip() or None,
        "area": (data.area or "").strip(),
        "area_en": (data.area_en or "").strip() or None,
        "is_public": data.is_public,
        "timezone": data.timezone,
        "contact_name": (data.contact_name or "").strip() or None,
        "contact_phone": (data.contact_phone or "").strip() or None,
    }


def create_school(
    session: Session, code: str, data: SchoolInput, *, actor: User | None, now: datetime
) -> School:
    """Add a school (open to residents once it has facilities).
    Raises SchoolRefused, SchoolCodeTaken."""
    code = normalise_code(code)
    if not CODE_PATTERN.fullmatch(code):
        raise SchoolRefused(
            _l("A code has 2 to 20 letters, digits, - or _, starting with a letter or digit."),
            field="code",
        )
    _check(data)
    if session.scalar(sa.select(School.id).where(School.code == code)) is not None:
        raise SchoolCodeTaken(field="code")
    school = School(code=code, created_at=now, is_active=True, **_values(data))
    session.add(school)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="school.add",
        target_type="school",
        target_id=school.id,
        school_id=school.id,
        now=now,
        details={"code": code},
    )
    return school


def update_school(
    session: Session, school: School, data: SchoolInput, *, actor: User | None, now: datetime
) -> None:
    """Edit a school's names, address, contact, kind and zone (the code stays).
    Raises SchoolRefused."""
    _check(data)
    values = _values(data)
    before = {name: getattr(school, name) for name in SCHOOL_FIELDS}
    for name, value in values.items():
        setattr(school, name, value)
    changed = {
        name: [str(before[name]), str(values[name])]
        for name in values
        if before[name] != values[name]
    }
    session.flush()
    if "timezone" in changed:
        # Its slots now belong to other local days.
        usage_days.rebuild_facilities(
            session,
            session.scalars(sa.select(Facility.id).where(Facility.school_id == school.id)).all(),
        )
    audit.record(
        session,
        actor=actor,
        action="school.change",
        target_type="school",
        target_id=school.id,
        school_id=school.id,
        now=now,
        details={"changed": changed},
    )


def affected_bookings(session: Session, school: School, now: datetime) -> list[Booking]:
    """The school's active bookings that have not ended, soonest first."""
    return list(
        session.scalars(
            sa.select(Booking)
            .join(Slot, Booking.slot_id == Slot.id)
            .join(Facility, Slot.facility_id == Facility.id)
            .where(
                Facility.school_id == school.id,
                Booking.status.in_(ACTIVE_STATUSES),
                Slot.ends_at > now,
            )
            .options(
                joinedload(Booking.slot).joinedload(Slot.facility), joinedload(Booking.resident)
            )
            .order_by(Slot.starts_at, Booking.id)
        )
    )


@dataclass
class Suspension:
    cancelled: list[Booking] = field(default_factory=list)
    kept: list[Booking] = field(default_factory=list)


def suspend_school(
    session: Session,
    school: School,
    *,
    cancel_bookings: bool,
    reason: str,
    actor: User | None,
    now: datetime,
) -> Suspension:
    """Suspend the programme at `school`: it leaves residents' lists and
    booking at once. With `cancel_bookings`, its future slots are withdrawn
    and every active booking on them is cancelled with `reason`, its resident
    told; otherwise the bookings stay valid and are listed in the audit event.
    Raises ReasonRequired, Conflict (already suspended)."""
    reason = reason.strip()
    if not reason:
        raise ReasonRequired(_l("Say why the programme is suspended."), field="reason")
    if not school.is_active:
        raise Conflict(_l("The programme at this school is already suspended."))
    result = Suspension()
    bookings = affected_bookings(session, school, now)
    school.is_active = False
    if cancel_bookings:
        facility_ids = [f.id for f in school.facilities]
        report = supply.withdraw_future_slots(
            session, facility_ids, reason=lambda: reason, actor=actor, now=now
        )
        result.cancelled = [b for item in report.cancelled for b in item.bookings]
    # Bookings under way, or all of them when kept: still valid, and listed.
    result.kept = [b for b in bookings if b not in result.cancelled]
    for facility in school.facilities:
        facility.slots_generated_until = None  # reopening publishes again from today
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="school.suspended",
        target_type="school",
        target_id=school.id,
        school_id=school.id,
        now=now,
        reason=reason[:500],
        details={
            "cancelled": [b.code for b in result.cancelled],
            "kept": [b.code for b in result.kept],
        },
    )
    return result


def reopen_school(
    session: Session, school: School, *, reason: str, actor: User | None, now: datetime
) -> None:
    """Open the programme again; the next slot run publishes its slots.
    Raises Conflict (not suspended)."""
    if school.is_active:
        raise Conflict(_l("The programme at this school is already open."))
    school.is_active = True
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="school.reopened",
        target_type="school",
        target_id=school.id,
        school_id=school.id,
        now=now,
        reason=reason.strip()[:500] or None,
    )
