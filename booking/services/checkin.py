"""At the school's gate: staff find a booking by its code (or search the
day's bookings by plate, name or phone), see whether it is valid now, check
the visitors in (all of the party or some of them; outside the window only
with a reason), and mark a resident verified; the day's visitors and a
resident's record at the school."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, joinedload

from booking.labels import BOOKING_STATUSES
from booking.models import AuditEvent, Booking, BookingStatus, Facility, Slot, User
from booking.services import audit, clock
from booking.services.booking_errors import BookingNotFound
from booking.services.bookings import normalise_code, transition
from booking.services.errors import Conflict, ReasonRequired, ValidationFailed
from booking.services.identity import normalise_phone
from booking.services.plates import normalise_plate
from booking.services.text import text_problem

S = BookingStatus
CHECK_IN_OPENS = timedelta(minutes=30)  # before the start
SEARCH_AHEAD = timedelta(hours=12)  # the search reaches past midnight by this much
SEARCH_LIMIT = 50
MIN_SEARCH = 2  # characters of a name or plate
MIN_PHONE_DIGITS = 4  # the last digits of a mobile number


MAX_REASON = 500


class CheckInRefused(Conflict):
    code = "check_in_refused"


class AttendanceOutOfRange(ValidationFailed):
    code = "attendance_out_of_range"


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
    # Refused only by the time of day (early or late on the booking's own day):
    # staff may check the visitor in anyway, giving a reason.
    can_override: bool = False


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
        message = _("Too early: check-in opens at %(time)s.", time=opens)
        return GateVerdict(False, message, can_override=True)
    if now >= slot.ends_at:
        return GateVerdict(False, _("Too late: this time is over."), can_override=True)
    return GateVerdict(True, _("Valid now."))


def _status(booking: Booking) -> str:
    return str(BOOKING_STATUSES[booking.status])


def check_in(
    session: Session,
    booking: Booking,
    staff: User,
    *,
    now: datetime,
    attended: int | None = None,
    override_reason: str | None = None,
) -> bool:
    """Let the visitors in: `attended` of the booking's party (all of it when
    None), from 1 up to the places the booking holds (a hall's: its capacity).

    Within the window (from 30 minutes before the start to the end, on the
    booking's day) that is all. Outside it, on the booking's own day, staff may
    check in anyway with `override_reason`: the override and its reason go to
    the audit log. Returns whether the window was overridden. Raises
    AttendanceOutOfRange, CheckInRefused with the gate's reason, ReasonRequired
    (an override without a reason), ValidationFailed (a reason that is not text).
    """
    verdict = gate_verdict(booking, now)
    reason = (override_reason or "").strip()
    if not verdict.can_check_in:
        if not verdict.can_override:
            raise CheckInRefused(verdict.message)
        if not reason:
            raise ReasonRequired(
                _(
                    "%(refusal)s To check in anyway, give a reason.",
                    refusal=verdict.message,
                ),
                field="reason",
            )
        problem = text_problem(reason)
        if problem is not None:
            raise ValidationFailed(problem, field="reason")
    count = booking.party if attended is None else attended
    if not 1 <= count <= booking.places:
        raise AttendanceOutOfRange(
            _(
                "Check in from 1 to %(most)d people for this booking.",
                most=booking.places,
            ),
            field="attended",
        )
    # Counted before the change of state, which refreshes the day's figures.
    booking.attended = count
    transition(session, booking, S.CHECKED_IN, actor=staff, reason=None, now=now)
    booking.checked_in_at = now
    booking.checked_in_by_id = staff.id
    if verdict.can_check_in:
        return False
    audit.record(
        session,
        actor=staff,
        action="booking.check_in_override",
        target_type="booking",
        target_id=booking.id,
        school_id=booking.slot.facility.school_id,
        now=now,
        reason=reason[:MAX_REASON],
        details={"code": booking.code, "attended": count},
    )
    return True


def override_reason(session: Session, booking: Booking) -> str | None:
    """Why staff checked this booking in outside the window, if they did."""
    return session.scalar(
        sa.select(AuditEvent.reason)
        .where(
            AuditEvent.action == "booking.check_in_override",
            AuditEvent.target_type == "booking",
            AuditEvent.target_id == booking.id,
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )


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


def search_window(now: datetime, tz_name: str) -> tuple[datetime, datetime]:
    """What the gate's search covers: today (local) and the next hours."""
    tz = clock.zone(tz_name)
    today = clock.local_date(now, tz)
    start = clock.local_instant(today, datetime.min.time(), tz)
    tomorrow = clock.local_instant(today + timedelta(days=1), datetime.min.time(), tz)
    return start, max(tomorrow, now + SEARCH_AHEAD)


def search_bookings(
    session: Session, school_id: int, query: str, *, now: datetime, tz_name: str
) -> list[Booking]:
    """The school's bookings of today and the next hours (`search_window`) that
    match what the visitor tells at the gate, by time:

    - a licence plate or part of it, written as residents type plates
      (粤s·123 finds 粤S12345);
    - the last 4 or more digits of the mobile number (or all of it, +86 or not);
    - part of the real name (one Chinese character is enough: a surname);
    - the booking code.

    Another school's bookings are never found (rule 5). A query shorter than
    2 Latin characters (and without 4 digits) finds nothing. At most SEARCH_LIMIT."""
    text = (query or "").strip()[:50]
    if text_problem(text) is not None:
        return []
    plate = normalise_plate(text)
    digits = normalise_phone(text)
    matches: list[sa.ColumnElement[bool]] = []
    if len(plate) >= MIN_SEARCH:
        matches.append(Booking.plate.contains(plate, autoescape=True))
    if digits.isascii() and digits.isdigit() and len(digits) >= MIN_PHONE_DIGITS:
        matches.append(User.phone.endswith(digits, autoescape=True))
    if len(text) >= MIN_SEARCH or not text.isascii():  # one Chinese character is a surname
        matches.append(User.real_name.icontains(text, autoescape=True))
    code = normalise_code(text)
    if code is not None:
        matches.append(Booking.code == code)
    if not matches:
        return []
    start, end = search_window(now, tz_name)
    return list(
        session.scalars(
            sa.select(Booking)
            .join(Slot, Booking.slot_id == Slot.id)
            .join(Facility, Slot.facility_id == Facility.id)
            .join(User, Booking.resident_id == User.id)
            .where(
                Facility.school_id == school_id,
                Slot.starts_at >= start,
                Slot.starts_at < end,
                sa.or_(*matches),
            )
            .options(
                joinedload(Booking.slot).joinedload(Slot.facility), joinedload(Booking.resident)
            )
            .order_by(Slot.starts_at, Facility.id, Booking.id)
            .limit(SEARCH_LIMIT)
        )
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
