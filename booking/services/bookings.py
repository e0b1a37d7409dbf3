"""Booking: the state machine, the rules a booking must pass, and the places
it holds in its slot.

Capacity is taken in one conditional UPDATE (DESIGN rule 1): two residents
racing for the last place cannot both win, on SQLite or on PostgreSQL.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from booking import labels, metrics
from booking.models import (
    ACTIVE_STATUSES,
    PLACE_HOLDING_STATUSES,
    Booking,
    BookingStatus,
    Facility,
    FacilityKind,
    School,
    Slot,
    User,
    VisitorTerms,
)
from booking.services import audit, booking_form, booking_statements, clock, notices, usage_days
from booking.services.booking_errors import (
    Duplicate,
    NotEnoughPlaces,
    NotReleased,
    Overlap,
    QuotaExceeded,
    SlotClosed,
    SlotFull,
    SlotNotFound,
    SlotPast,
    Suspended,
    VerificationRequired,
)
from booking.services.booking_form import BookingRequest
from booking.services.errors import Conflict, DomainError
from booking.services.policy import Policy

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
# Statuses that count towards quotas: what the resident holds or has used.
COUNTED_STATUSES = (S.PENDING, S.CONFIRMED, S.CHECKED_IN)
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"  # no 0/O, 1/I/L, 2/Z, 5/S, 8/B
CODE_LENGTH = 6
# What the codes column may hold: new_code()'s, and the longer letters-and-digits
# codes of imports and tests. Anything else is no booking's, so no query is made for it.
CODE_SHAPE = re.compile(r"[0-9A-Z]{1,12}")


class InvalidTransition(Conflict):
    code = "invalid_state"
    default_message = _l("This booking can no longer be changed that way.")


def release_places(session: Session, slot_id: int, places: int) -> None:
    """Give `places` back to the slot, in one statement."""
    session.execute(
        sa.update(Slot)
        .where(Slot.id == slot_id)
        .values(held=Slot.held - places)
        .execution_options(synchronize_session=False)
    )


def can_transition(current: BookingStatus, target: BookingStatus) -> bool:
    return target in TRANSITIONS[current]


def transition(
    session: Session,
    booking: Booking,
    target: BookingStatus,
    *,
    actor: User | None,
    reason: str | None,
    now: datetime,
) -> bool:
    """Move `booking` to `target`, releasing its places when it stops holding
    them, and record the change. Returns whether places were released: the
    caller then offers them to the waitlist (booking.services.waitlist).
    Raises InvalidTransition."""
    if not can_transition(booking.status, target):
        raise InvalidTransition()
    previous = booking.status
    booking.status = target
    booking.decided_at = now
    booking.decided_by_id = actor.id if actor else None
    booking.reason = reason
    released = previous in PLACE_HOLDING_STATUSES and target not in PLACE_HOLDING_STATUSES
    if released:
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
    usage_days.refresh_if_settled(session, booking.slot, now)
    return released


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def local_text(instant: datetime, school: School) -> str:
    """An instant as the resident reads it: the school's zone, their language."""
    return labels.local_datetime(instant, school.timezone)


def current_terms(session: Session, school_id: int) -> VisitorTerms | None:
    return session.scalar(
        sa.select(VisitorTerms)
        .where(VisitorTerms.school_id == school_id)
        .order_by(VisitorTerms.version.desc())
        .limit(1)
    )


def check_slot(slot: Slot, now: datetime) -> None:
    """Refuse a slot that cannot be booked now, saying why."""
    school = slot.facility.school
    if slot.starts_at <= now:
        raise SlotPast()
    if slot.cancelled_at is not None:
        raise SlotClosed(
            _("This time is closed: %(reason)s", reason=slot.cancel_reason)
            if slot.cancel_reason
            else None
        )
    if slot.opens_at > now:
        raise NotReleased(
            _("Booking for this time opens at %(when)s.", when=local_text(slot.opens_at, school))
        )


def check_resident(resident: User, policy: Policy, school: School, now: datetime) -> None:
    if resident.suspended_until is not None and resident.suspended_until > now:
        raise Suspended(
            _(
                "Your booking is suspended until %(until)s after repeated no-shows.",
                until=local_text(resident.suspended_until, school),
            )
        )
    if policy.verified_only and not resident.is_verified:
        raise VerificationRequired()


def places_taken(facility: Facility, slot: Slot, request: BookingRequest) -> int:
    """The places a checked request takes: the whole slot for a hall."""
    return slot.capacity if facility.is_exclusive else request.places or 1


def form_of(session: Session, slot: Slot, policy: Policy) -> booking_form.BookingForm:
    facility = slot.facility
    terms = current_terms(session, facility.school_id)
    return booking_form.form_for(facility, slot, terms, max_party=policy.max_party)


def may_overlap(new_kind: FacilityKind, other_kind: FacilityKind, same_school: bool) -> bool:
    """A resident may park while using a hall, a room or a venue of the same
    school; every other overlap of their own bookings is refused."""
    parking = FacilityKind.PARKING
    return same_school and (new_kind == parking) != (other_kind == parking)


def week_of(slot: Slot) -> tuple[datetime, datetime]:
    """The local week (Monday to Monday) of the slot's start, as instants."""
    tz = clock.zone(slot.facility.school.timezone)
    monday = clock.week_start(clock.local_date(slot.starts_at, tz))
    week_from = clock.local_instant(monday, datetime.min.time(), tz)
    return week_from, week_from + timedelta(days=7)


def check_overlap_and_quota(
    session: Session, resident: User, slot: Slot, policy: Policy, now: datetime, *, lock: bool
) -> None:
    """No second booking of the slot, none overlapping it, and the quotas:
    upcoming active bookings, and bookings of the kind in the slot's week.
    One statement reads the resident's relevant bookings (a handful), and
    with `lock` first locks the resident, so that two bookings of theirs at
    once cannot both pass."""
    week_from, _ = week_of(slot)
    rows = booking_statements.read_bookings(
        session,
        resident.id,
        COUNTED_STATUSES,
        ending_after=now,
        starting_from=week_from,
        lock=lock,
    )
    check_rows(rows, slot, policy, now)


def check_rows(rows: Sequence[Any], slot: Slot, policy: Policy, now: datetime) -> None:
    """The overlap and quota rules, over the resident's bookings as read."""
    week_from, week_to = week_of(slot)
    active = [row for row in rows if row.status in ACTIVE_STATUSES]
    check_overlap(slot, active)
    upcoming = sum(1 for row in active if row.ends_at > now)
    if upcoming >= policy.max_active_bookings:
        raise QuotaExceeded(
            _(
                "You already hold %(count)d upcoming bookings, the most allowed. Cancel one "
                "you no longer need first.",
                count=upcoming,
            )
        )
    in_week = sum(
        1 for row in rows if row.kind == slot.facility.kind and week_from <= row.starts_at < week_to
    )
    if in_week >= policy.max_weekly_per_kind:
        raise QuotaExceeded(
            _(
                "You already have %(count)d bookings of this kind in that week, the most allowed.",
                count=in_week,
            )
        )


def check_overlap(slot: Slot, active: Sequence[Any]) -> None:
    """Refuse a second booking of the slot, and one overlapping another active
    booking of the resident (rows with code, slot_id, starts_at, ends_at,
    kind, school_id), but parking beside the use of the same school."""
    for row in active:
        if row.slot_id == slot.id:
            raise Duplicate(_("You already hold booking %(code)s for this time.", code=row.code))
    facility = slot.facility
    for row in active:
        overlapping = row.starts_at < slot.ends_at and row.ends_at > slot.starts_at
        same_school = row.school_id == facility.school_id
        if overlapping and not may_overlap(facility.kind, row.kind, same_school):
            raise Overlap(
                _("You already have booking %(code)s at an overlapping time.", code=row.code)
            )


def active_bookings_around(session: Session, resident: User, slot: Slot) -> list[Any]:
    """The resident's active bookings that overlap `slot`, for check_overlap."""
    return list(
        session.execute(
            sa.select(
                Booking.code,
                Booking.slot_id,
                Slot.starts_at,
                Slot.ends_at,
                Facility.kind,
                Facility.school_id,
            )
            .join(Slot, Booking.slot_id == Slot.id)
            .join(Facility, Slot.facility_id == Facility.id)
            .where(
                Booking.resident_id == resident.id,
                Booking.status.in_(ACTIVE_STATUSES),
                Slot.starts_at < slot.ends_at,
                Slot.ends_at > slot.starts_at,
            )
        ).all()
    )


def check_room(slot: Slot, places: int) -> None:
    """Refuse at once when the slot, as read, has no room: most requests in a
    rush are for a slot already full. Only a hint: the conditional UPDATE
    decides, since the slot may fill between this read and the write."""
    left = slot.capacity - slot.held
    if left >= places:
        return
    if left <= 0 or slot.facility.is_exclusive:
        raise SlotFull()
    raise NotEnoughPlaces(_("Only %(left)d places are left for this time.", left=left))


def lock_resident(session: Session, resident: User) -> None:
    """Serialise one resident's bookings, so two at once cannot both pass the
    overlap and quota checks. (SQLite: BEGIN IMMEDIATE already serialises.)"""
    session.execute(sa.select(User.id).where(User.id == resident.id).with_for_update())


def book(
    session: Session,
    slot_id: int,
    resident: User,
    request: BookingRequest,
    *,
    policy: Policy | None = None,
    now: datetime,
) -> Booking:
    """Hold places in a slot for a resident: see take_booking."""
    return take_booking(session, slot_id, resident, request, policy=policy, now=now).booking


@dataclass(frozen=True)
class Booked:
    booking: Booking
    policy: Policy  # the facility's, as the booking was judged by it


def take_booking(
    session: Session,
    slot_id: int,
    resident: User,
    request: BookingRequest,
    *,
    policy: Policy | None = None,
    now: datetime,
) -> Booked:
    """Hold places in a slot for a resident; the only way a booking is made.

    Checks, each with its own message: the slot exists, has not started, is
    not closed and is released; the resident is not suspended and is verified
    where required; what the facility's booking form asks (party, hall,
    plate, visitor rules); the places fit; no booking of theirs is for this
    slot or overlaps it; quotas. The database then takes the places in the
    statement that writes the booking (booking_statements). `policy` (the
    facility's by default) may be given. Raises the errors of booking_errors
    and InvalidBooking.
    """
    try:
        booked = _take_booking(session, slot_id, resident, request, policy=policy, now=now)
    except DomainError as error:
        metrics.BOOKINGS.labels(outcome=error.code).inc()
        raise
    metrics.BOOKINGS.labels(outcome="made").inc()
    return booked


def _take_booking(
    session: Session,
    slot_id: int,
    resident: User,
    request: BookingRequest,
    *,
    policy: Policy | None,
    now: datetime,
) -> Booked:
    context = booking_statements.read_context(session, slot_id)
    if context is None:
        raise SlotNotFound()
    slot = context.slot
    facility = slot.facility
    if not (facility.is_active and facility.school.is_active):
        raise SlotNotFound()
    policy = policy or context.policy
    check_slot(slot, now)
    check_resident(resident, policy, facility.school, now)
    form = booking_form.form_for(facility, slot, context.terms, max_party=policy.max_party)
    checked = booking_form.check(form, request)
    places = places_taken(facility, slot, checked)
    check_room(slot, places)
    check_overlap_and_quota(session, resident, slot, policy, now, lock=True)
    booking = _write(session, slot, resident, checked, places, context.terms, now)
    return Booked(booking, policy)


def bookable_slot(session: Session, slot_id: int) -> Slot:
    """The slot, if its facility and school are open to residents. Raises SlotNotFound."""
    slot = session.get(Slot, slot_id)
    if slot is None or not (slot.facility.is_active and slot.facility.school.is_active):
        raise SlotNotFound()
    return slot


def _write(
    session: Session,
    slot: Slot,
    resident: User,
    request: BookingRequest,
    places: int,
    terms: booking_statements.TermsRef | None,
    now: datetime,
) -> Booking:
    status = S.PENDING if slot.facility.requires_approval else S.CONFIRMED
    for _attempt in range(5):
        code = new_code()
        new = booking_statements.NewBooking(
            code=code,
            slot=slot,
            resident_id=resident.id,
            places=places,
            status=status,
            purpose=request.purpose,
            organiser=request.organiser,
            attendance=request.attendance,
            plate=request.plate,
            terms_id=terms.id if terms else None,
            now=now,
            notice_kind=f"booking_{status.value}",
            notice_by_mail=bool(resident.email),
        )
        written = booking_statements.write_booking(session, new)
        session.expire(slot, ["held"])  # the statement changed it; read again if asked
        if not written.taken:
            raise _why_not_taken(session, slot, places, now)
        if written.booking_id is not None:
            return booking_statements.as_persistent(session, new, written.booking_id)
        if holds(session, resident.id, slot.id):
            raise Duplicate()
        # the code drawn was taken: draw another
    raise RuntimeError("could not draw a free booking code in 5 attempts")


def holds(session: Session, resident_id: int, slot_id: int) -> bool:
    """Whether the resident holds an active booking of the slot."""
    return bool(
        session.scalar(
            sa.select(
                sa.exists().where(
                    Booking.slot_id == slot_id,
                    Booking.resident_id == resident_id,
                    Booking.status.in_(ACTIVE_STATUSES),
                )
            )
        )
    )


def _why_not_taken(session: Session, slot: Slot, places: int, now: datetime) -> Exception:
    session.expire(slot)
    if slot.starts_at <= now:
        return SlotPast()
    if slot.cancelled_at is not None:
        return SlotClosed()
    if slot.opens_at > now:
        return NotReleased()
    try:
        check_room(slot, places)
    except DomainError as error:
        return error
    return SlotFull()  # the room went between the read and the write


def cancel_deadline(booking: Booking, policy: Policy) -> datetime:
    return booking.slot.starts_at - timedelta(minutes=policy.cancel_deadline_minutes)


def expire_undecided(session: Session, now: datetime) -> int:
    """Requests still pending when their slot starts expire; their places go back."""
    due = session.scalars(
        sa.select(Booking)
        .join(Slot, Booking.slot_id == Slot.id)
        .where(Booking.status == S.PENDING, Slot.starts_at <= now)
        .order_by(Booking.id)
    ).all()
    for booking in due:
        transition(session, booking, S.EXPIRED, actor=None, reason="not_decided", now=now)
        notices.notify(
            session,
            booking.resident,
            kind="booking_expired",
            booking_id=booking.id,
            now=now,
        )
    return len(due)


def normalise_code(code: str) -> str | None:
    """The code as stored (trimmed, upper case), or None when it cannot be one."""
    code = code.strip().upper()
    return code if code.isascii() and CODE_SHAPE.fullmatch(code) else None


def find_for_resident(session: Session, code: str, resident: User) -> Booking | None:
    """A resident's booking by code; another resident's is not found (rule 5)."""
    normalised = normalise_code(code)
    if normalised is None:
        return None
    return session.scalar(
        sa.select(Booking).where(Booking.code == normalised, Booking.resident_id == resident.id)
    )
