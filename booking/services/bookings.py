"""The booking state machine and the places a booking holds in its slot."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from booking.models import ACTIVE_STATUSES, Booking, BookingStatus, Slot, User
from booking.services import audit
from booking.services.errors import Conflict

S = BookingStatus
TRANSITIONS: dict[BookingStatus, frozenset[BookingStatus]] = {
    S.PENDING: frozenset({S.CONFIRMED, S.REJECTED, S.CANCELLED, S.EXPIRED}),
    S.CONFIRMED: frozenset({S.CHECKED_IN, S.NO_SHOW, S.CANCELLED}),
    S.CHECKED_IN: frozenset(),
    S.NO_SHOW: frozenset(),
    S.CANCELLED: frozenset(),
    S.REJECTED: frozenset(),
    S.EXPIRED: frozenset(),
}


class InvalidTransition(Conflict):
    code = "invalid_state"
    default_message = _l("This booking can no longer be changed that way.")


def can_transition(current: BookingStatus, target: BookingStatus) -> bool:
    return target in TRANSITIONS[current]


def release_places(session: Session, slot_id: int, places: int) -> None:
    """Give `places` back to the slot, in one statement."""
    session.execute(sa.update(Slot).where(Slot.id == slot_id).values(held=Slot.held - places))


def transition(
    session: Session,
    booking: Booking,
    target: BookingStatus,
    *,
    actor: User | None,
    reason: str | None,
    now: datetime,
) -> None:
    """Move `booking` to `target`, releasing its places when it stops holding
    them, and record the change. Raises InvalidTransition."""
    if not can_transition(booking.status, target):
        raise InvalidTransition()
    previous = booking.status
    booking.status = target
    booking.decided_at = now
    booking.decided_by_id = actor.id if actor else None
    booking.reason = reason
    if previous in ACTIVE_STATUSES and target not in ACTIVE_STATUSES:
        release_places(session, booking.slot_id, booking.places)
    audit.record(
        session,
        actor=actor,
        action=f"booking.{target.value}",
        target_type="booking",
        target_id=booking.id,
        school_id=booking.slot.facility.school_id,
        now=now,
        reason=reason,
        details={"from": previous.value, "to": target.value, "code": booking.code},
    )
