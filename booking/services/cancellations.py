"""Cancelling: a resident gives back a booking before the deadline, and the
places go to the first in line on the waitlist."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from booking.models import ACTIVE_STATUSES, Booking, BookingStatus, User
from booking.services import notices, waitlist
from booking.services.booking_errors import CancelTooLate, NotCancellable
from booking.services.bookings import cancel_deadline, local_text, transition
from booking.services.policy import Policy


def cancel_by_resident(
    session: Session, booking: Booking, resident: User, *, policy: Policy, now: datetime
) -> None:
    """The resident cancels their own booking, before the policy's deadline.
    Raises NotCancellable, CancelTooLate."""
    if booking.status not in ACTIVE_STATUSES:
        raise NotCancellable()
    deadline = cancel_deadline(booking, policy)
    if now > deadline:
        school = booking.slot.facility.school
        raise CancelTooLate(
            _(
                "Bookings here can be cancelled until %(deadline)s. To cancel now, please "
                "call the school: %(phone)s.",
                deadline=local_text(deadline, school),
                phone=school.contact_phone or "-",
            )
        )
    if transition(session, booking, BookingStatus.CANCELLED, actor=resident, reason=None, now=now):
        waitlist.offer_free_places(session, booking.slot, now)
    notices.notify(
        session,
        resident,
        kind="booking_cancelled",
        booking_id=booking.id,
        now=now,
    )
