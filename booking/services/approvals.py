"""Deciding on requests: the school approves or rejects what needs approval,
and the resident is told the decision."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, joinedload

from booking.models import Booking, BookingStatus, Facility, Slot, User
from booking.services import notices, waitlist
from booking.services.bookings import transition
from booking.services.errors import Conflict, ReasonRequired

S = BookingStatus


class StaleRequest(Conflict):
    code = "stale"
    default_message = _l(
        "This request changed since you opened the page. Look at it again before deciding."
    )


def pending_requests(session: Session, school_id: int, now: datetime) -> list[Booking]:
    """Requests waiting for a decision, oldest first."""
    return list(
        session.scalars(
            sa.select(Booking)
            .join(Slot, Booking.slot_id == Slot.id)
            .join(Facility, Slot.facility_id == Facility.id)
            .where(
                Facility.school_id == school_id, Booking.status == S.PENDING, Slot.starts_at > now
            )
            .options(
                joinedload(Booking.slot).joinedload(Slot.facility), joinedload(Booking.resident)
            )
            .order_by(Booking.created_at, Booking.id)
        )
    )


def check_version(booking: Booking, seen_version: int | None) -> None:
    if seen_version is not None and seen_version != booking.version:
        raise StaleRequest()


def approve(
    session: Session, booking: Booking, staff: User, *, seen_version: int | None, now: datetime
) -> list[Booking]:
    """Confirm a pending request. For a facility booked whole, the other
    requests for the slot are rejected, each with the reason recorded.
    Returns those rejected. Raises StaleRequest, InvalidTransition."""
    check_version(booking, seen_version)
    transition(session, booking, S.CONFIRMED, actor=staff, reason=None, now=now)
    _tell_decision(session, booking, now)
    others: list[Booking] = []
    if booking.slot.facility.is_exclusive:
        others = list(
            session.scalars(
                sa.select(Booking).where(
                    Booking.slot_id == booking.slot_id,
                    Booking.status == S.PENDING,
                    Booking.id != booking.id,
                )
            )
        )
        for other in others:
            released = transition(
                session, other, S.REJECTED, actor=staff, reason="hall_given_to_another", now=now
            )
            _tell_decision(session, other, now)
            if released:
                waitlist.offer_free_places(session, other.slot, now)
    return others


def reject(
    session: Session,
    booking: Booking,
    staff: User,
    *,
    reason: str,
    seen_version: int | None,
    now: datetime,
) -> None:
    """Refuse a pending request, with a reason for the resident. Raises
    ReasonRequired, StaleRequest, InvalidTransition."""
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired(field="reason")
    check_version(booking, seen_version)
    released = transition(session, booking, S.REJECTED, actor=staff, reason=reason[:500], now=now)
    _tell_decision(session, booking, now)
    if released:
        waitlist.offer_free_places(session, booking.slot, now)


def _tell_decision(session: Session, booking: Booking, now: datetime) -> None:
    approved = booking.status == S.CONFIRMED
    notices.notify(
        session,
        booking.resident,
        kind="request_approved" if approved else "request_declined",
        booking_id=booking.id,
        now=now,
        params={} if approved else {"reason": booking.reason or ""},
    )
