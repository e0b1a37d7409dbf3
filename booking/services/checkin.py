"""At the school's gate: staff find a booking by its code, see whether it is
valid now, check the visitor in, and mark a resident verified; the day's
visitors and a resident's record at the school."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, joinedload

from booking.labels import BOOKING_STATUSES
from booking.models import Booking, BookingStatus, Facility, Slot, User
from booking.services import audit, clock
from booking.services.booking_errors import BookingNotFound
from booking.services.bookings import normalise_code, transition
from booking.services.errors import Conflict

S = BookingStatus
CHECK_IN_OPENS = timedelta(minutes=30)  # before the start


class CheckInRefused(Conflict):
    code = "check_in_refused"


def find_at_school(session: Session, code: str, school_id: int) -> Booking:
    """A booking of this school by code; another school's is not found (rule 5)."""
    normalised = normalise_code(code)
    if normalised is None:
        raise BookingNotFound()
    booking = session.scalar(
        sa.select(Booking)
        .join(Slot, Booking.slot_id == Slot.id)
        .join(Facility, Slot.facility_id == Facility.id)
        .where(Booking.code == normalised, Facility.school_id == school_id)
        .options(joinedload(Booking.slot).joinedload(Slot.facility), joinedload(Booking.resident))
    )
    if booking is None:
        raise BookingNotFound()
    return booking


@dataclass(frozen=True)
class GateVerdict:
    """What the gate page says about a code right now."""

    can_check_in: bool
    message: str
    done: bool = False  # already checked in: not an error at the gate


def gate_verdict(booking: Booking, now: datetime) -> GateVerdict:
    slot = booking.slot
    school = slot.facility.school
    tz = clock.zone(school.timezone)
    if booking.status == S.CHECKED_IN:
        when = clock.to_local(booking.checked_in_at or now, tz).strftime("%H:%M")
        return GateVerdict(False, _("Already checked in at %(time)s.", time=when), done=True)
    if booking.status == S.PENDING:
        return GateVerdict(False, _("Not valid: the request has not been approved."))
    if booking.status != S.CONFIRMED:
        return GateVerdict(
            False, _("Not valid: this booking is %(status)s.", status=_status(booking))
        )
    day = clock.local_date(slot.starts_at, tz)
    today = clock.local_date(now, tz)
    if day != today:
        return GateVerdict(
            False,
            _("Not valid today: this booking is for %(day)s.", day=day.isoformat()),
        )
    if now < slot.starts_at - CHECK_IN_OPENS:
        opens = clock.to_local(slot.starts_at - CHECK_IN_OPENS, tz).strftime("%H:%M")
        return GateVerdict(False, _("Too early: check-in opens at %(time)s.", time=opens))
    if now >= slot.ends_at:
        return GateVerdict(False, _("Too late: this time is over."))
    return GateVerdict(True, _("Valid now."))


def _status(booking: Booking) -> str:
    return str(BOOKING_STATUSES[booking.status])


def check_in(session: Session, booking: Booking, staff: User, *, now: datetime) -> None:
    """Let the visitor in. Raises CheckInRefused with the gate's reason."""
    verdict = gate_verdict(booking, now)
    if not verdict.can_check_in:
        raise CheckInRefused(verdict.message)
    transition(session, booking, S.CHECKED_IN, actor=staff, reason=None, now=now)
    booking.checked_in_at = now
    booking.checked_in_by_id = staff.id


def mark_verified(
    session: Session, resident: User, staff: User, *, now: datetime, reason: str | None = None
) -> None:
    """Staff saw the resident's ID card at the gate (or the district checked it)."""
    if resident.is_verified:
        return
    resident.is_verified = True
    resident.verified_at = now
    resident.verified_by_id = staff.id
    audit.record(
        session,
        actor=staff,
        action="resident.verified",
        target_type="user",
        target_id=resident.id,
        school_id=staff.school_id,
        now=now,
        reason=reason,
    )


def visitors_on(session: Session, school_id: int, day: date, tz_name: str) -> list[Booking]:
    """Confirmed and checked-in bookings of the school on a local day, by time."""
    tz = clock.zone(tz_name)
    start = clock.local_instant(day, datetime.min.time(), tz)
    return list(
        session.scalars(
            sa.select(Booking)
            .join(Slot, Booking.slot_id == Slot.id)
            .join(Facility, Slot.facility_id == Facility.id)
            .where(
                Facility.school_id == school_id,
                Booking.status.in_((S.CONFIRMED, S.CHECKED_IN)),
                Slot.starts_at >= start,
                Slot.starts_at < start + timedelta(days=1),
            )
            .options(
                joinedload(Booking.slot).joinedload(Slot.facility), joinedload(Booking.resident)
            )
            .order_by(Slot.starts_at, Facility.id, Booking.id)
        )
    )


def resident_record(session: Session, resident_id: int, school_id: int) -> dict[str, int]:
    """How a resident has used this school: bookings, check-ins, no-shows."""
    rows = session.execute(
        sa.select(Booking.status, sa.func.count())
        .join(Slot, Booking.slot_id == Slot.id)
        .join(Facility, Slot.facility_id == Facility.id)
        .where(Booking.resident_id == resident_id, Facility.school_id == school_id)
        .group_by(Booking.status)
    ).all()
    counts = {str(status): int(count) for status, count in rows}
    return {
        "bookings": sum(counts.values()),
        "checked_in": counts.get("checked_in", 0),
        "no_shows": counts.get("no_show", 0),
    }
