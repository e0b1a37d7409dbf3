"""The district's view of residents: finding them, verifying them, and
suspending booking or lifting a suspension, each with a reason and audited."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, joinedload

from booking.models import Booking, Facility, Role, Slot, User
from booking.services import audit
from booking.services.checkin import mark_verified
from booking.services.errors import Conflict, NotFound, ReasonRequired, ValidationFailed

SEARCH_LIMIT = 50
HISTORY_LIMIT = 200


class SearchTooShort(ValidationFailed):
    code = "search_too_short"
    default_message = _l("Type at least 2 characters of a name, or 4 digits of a phone number.")


def find_residents(session: Session, query: str) -> list[User]:
    """Residents whose name contains `query`, or whose phone contains its
    digits (at least 4). Raises SearchTooShort."""
    query = query.strip()[:50]
    digits = "".join(char for char in query if char.isascii() and char.isdigit())
    if digits and len(digits) == len(query.replace(" ", "")):
        if len(digits) < 4:
            raise SearchTooShort(field="q")
        condition = User.phone.contains(digits, autoescape=True)
    else:
        if len(query) < 2:
            raise SearchTooShort(field="q")
        condition = User.real_name.contains(query, autoescape=True)
    return list(
        session.scalars(
            sa.select(User)
            .where(User.role == Role.RESIDENT, User.erased_at.is_(None), condition)
            .order_by(User.real_name, User.id)
            .limit(SEARCH_LIMIT)
        )
    )


def resident_or_404(session: Session, user_id: int) -> User:
    """Raises NotFound when `user_id` is not a resident."""
    user = session.get(User, user_id) if 0 < user_id < 2**31 else None
    if user is None or user.role != Role.RESIDENT:
        raise NotFound(_l("There is no such resident."))
    return user


def booking_history(session: Session, resident: User) -> list[Booking]:
    """The resident's bookings, newest first, with their slot, facility and school."""
    return list(
        session.scalars(
            sa.select(Booking)
            .join(Slot, Booking.slot_id == Slot.id)
            .where(Booking.resident_id == resident.id)
            .options(joinedload(Booking.slot).joinedload(Slot.facility).joinedload(Facility.school))
            .order_by(Slot.starts_at.desc())
            .limit(HISTORY_LIMIT)
        )
    )


def _reason(reason: str, message: object) -> str:
    reason = reason.strip()
    if not reason:
        raise ReasonRequired(message, field="reason")  # type: ignore[arg-type]
    return reason[:500]


def verify_resident(
    session: Session, resident: User, *, reason: str, actor: User, now: datetime
) -> None:
    """The district confirms the resident's identity (as staff do at the gate).
    Raises ReasonRequired, Conflict (already verified)."""
    reason = _reason(reason, _l("Say how the identity was checked."))
    if resident.is_verified:
        raise Conflict(_l("This resident is already verified."))
    mark_verified(session, resident, actor, now=now, reason=reason)


def suspend_resident(
    session: Session, resident: User, *, until: datetime, reason: str, actor: User, now: datetime
) -> None:
    """Suspend booking until `until`. Raises ReasonRequired, ValidationFailed."""
    reason = _reason(reason, _l("Say why the resident is suspended."))
    if until <= now:
        raise ValidationFailed(_l("The suspension must end in the future."), field="until")
    resident.suspended_until = until
    audit.record(
        session,
        actor=actor,
        action="resident.suspended",
        target_type="user",
        target_id=resident.id,
        school_id=None,
        now=now,
        reason=reason,
        details={"until": until.isoformat()},
    )


def lift_suspension(
    session: Session, resident: User, *, reason: str, actor: User, now: datetime
) -> None:
    """End a suspension now. Raises ReasonRequired, Conflict (not suspended)."""
    reason = _reason(reason, _l("Say why the suspension is lifted."))
    if resident.suspended_until is None or resident.suspended_until <= now:
        raise Conflict(_l("This resident is not suspended."))
    resident.suspended_until = None
    audit.record(
        session,
        actor=actor,
        action="resident.suspension_lifted",
        target_type="user",
        target_id=resident.id,
        school_id=None,
        now=now,
        reason=reason,
    )
