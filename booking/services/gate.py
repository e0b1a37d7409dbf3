"""What school staff do with bookings: decide on requests, check visitors in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, joinedload

from booking.labels import BOOKING_STATUSES
from booking.models import Booking, BookingStatus, Facility, Slot, User
from booking.services import audit, clock, notices
from booking.services.booking_errors import BookingNotFound
from booking.services.bookings import describe, local_text, normalise_code, transition
from booking.services.errors import Conflict, ValidationFailed
from booking.services.policy import Policy, policies_for, policy_for

S = BookingStatus
CHECK_IN_OPENS = timedelta(minutes=30)  # before the start


class StaleRequest(Conflict):
    code = "stale"
    default_message = _l(
        "This request changed since you opened the page. Look at it again before deciding."
    )


class ReasonRequired(ValidationFailed):
    code = "reason_required"
    default_message = _l("Give the resident a reason.")


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
    _tell(session, booking, now)
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
            transition(
                session,
                other,
                S.REJECTED,
                actor=staff,
                reason="the hall was given to another request",
                now=now,
            )
            _tell(session, other, now)
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
    transition(session, booking, S.REJECTED, actor=staff, reason=reason[:500], now=now)
    _tell(session, booking, now)


def _tell(session: Session, booking: Booking, now: datetime) -> None:
    def render() -> tuple[str, str]:
        facts = describe(booking)
        if booking.status == S.CONFIRMED:
            return (
                _("Request %(code)s approved", code=booking.code),
                _(
                    "The school approved your request %(code)s for %(school)s, %(facility)s on "
                    "%(when)s. Show the code at the gate.",
                    **facts,
                ),
            )
        return (
            _("Request %(code)s declined", code=booking.code),
            _(
                "The school declined your request %(code)s for %(school)s, %(facility)s on "
                "%(when)s: %(reason)s",
                reason=booking.reason or "-",
                **facts,
            ),
        )

    notices.notify(
        session,
        booking.resident,
        kind=f"booking_{booking.status.value}",
        booking_id=booking.id,
        now=now,
        render=render,
    )


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


def mark_no_shows(session: Session, now: datetime) -> dict[str, int]:
    """Confirmed bookings nobody checked in by the end of the slot plus the
    grace become no-shows; a resident who reaches the policy's limit within its
    window is suspended for its period and told until when and why."""
    due = session.scalars(
        sa.select(Booking)
        .join(Slot, Booking.slot_id == Slot.id)
        .where(Booking.status == S.CONFIRMED, Slot.ends_at <= now)
        .options(joinedload(Booking.slot).joinedload(Slot.facility))
        .order_by(Booking.id)
    ).all()
    policies = policies_for(session, {booking.slot.facility_id for booking in due})
    marked, suspended = 0, 0
    for booking in due:
        policy = policies[booking.slot.facility_id]
        if booking.slot.ends_at + timedelta(minutes=policy.no_show_grace_minutes) > now:
            continue
        transition(session, booking, S.NO_SHOW, actor=None, reason="not checked in", now=now)
        marked += 1
        notices.notify(
            session,
            booking.resident,
            kind="booking_no_show",
            booking_id=booking.id,
            now=now,
            render=lambda booking=booking: (
                _("Missed visit %(code)s", code=booking.code),
                _(
                    "You did not come to %(school)s, %(facility)s on %(when)s. Please cancel "
                    "in good time when you cannot come: repeated no-shows suspend booking.",
                    **describe(booking),
                ),
            ),
        )
        suspended += _suspend_if_due(session, booking, policy, now)
    return {"no_shows": marked, "suspended": suspended}


def counted_no_shows(session: Session, resident: User, window_days: int, now: datetime) -> int:
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Booking)
            .join(Slot, Booking.slot_id == Slot.id)
            .where(
                Booking.resident_id == resident.id,
                Booking.status == S.NO_SHOW,
                Booking.no_show_waived_at.is_(None),
                Slot.starts_at >= now - timedelta(days=window_days),
            )
        )
        or 0
    )


def _suspend_if_due(session: Session, booking: Booking, policy: Policy, now: datetime) -> int:
    resident = booking.resident
    session.flush()
    if counted_no_shows(session, resident, policy.no_show_window_days, now) < policy.no_show_limit:
        return 0
    until = now + timedelta(days=policy.suspension_days)
    if resident.suspended_until is not None and resident.suspended_until >= until:
        return 0
    resident.suspended_until = until
    audit.record(
        session,
        actor=None,
        action="resident.suspended",
        target_type="user",
        target_id=resident.id,
        school_id=None,
        now=now,
        reason=f"{policy.no_show_limit} no-shows in {policy.no_show_window_days} days",
        details={"until": until.isoformat()},
    )
    notices.notify(
        session,
        resident,
        kind="suspended",
        now=now,
        render=lambda: (
            _("Booking suspended"),
            _(
                "You missed %(limit)d visits within %(days)d days, so you cannot book until "
                "%(until)s. A school can waive a no-show that was not your fault.",
                limit=policy.no_show_limit,
                days=policy.no_show_window_days,
                until=local_text(until, booking.slot.facility.school),
            ),
        ),
    )
    return 1


def waive_no_show(
    session: Session, booking: Booking, staff: User, *, reason: str, now: datetime
) -> bool:
    """Forgive a no-show, with a reason; lifts a suspension it caused.
    Returns whether a suspension was lifted. Raises ReasonRequired, CheckInRefused."""
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired(field="reason")
    if booking.status != S.NO_SHOW or booking.no_show_waived_at is not None:
        raise CheckInRefused(_("Only a no-show that is not yet waived can be waived."))
    booking.no_show_waived_at = now
    audit.record(
        session,
        actor=staff,
        action="booking.no_show_waived",
        target_type="booking",
        target_id=booking.id,
        school_id=booking.slot.facility.school_id,
        now=now,
        reason=reason[:500],
        details={"code": booking.code},
    )
    resident = booking.resident
    policy = policy_for(session, booking.slot.facility_id)
    session.flush()
    lifted = (
        resident.suspended_until is not None
        and resident.suspended_until > now
        and counted_no_shows(session, resident, policy.no_show_window_days, now)
        < policy.no_show_limit
    )
    if lifted:
        resident.suspended_until = None
        audit.record(
            session,
            actor=staff,
            action="resident.suspension_lifted",
            target_type="user",
            target_id=resident.id,
            school_id=booking.slot.facility.school_id,
            now=now,
            reason=reason[:500],
        )
    notices.notify(
        session,
        resident,
        kind="no_show_waived",
        booking_id=booking.id,
        now=now,
        render=lambda: (
            _("No-show %(code)s waived", code=booking.code),
            _(
                "The school waived the missed visit %(code)s: %(reason)s",
                code=booking.code,
                reason=reason,
            )
            + (" " + _("You can book again.") if lifted else ""),
        ),
    )
    return lifted


def mark_verified(session: Session, resident: User, staff: User, *, now: datetime) -> None:
    """Staff saw the resident's ID card at the gate."""
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
    )


def send_reminders(session: Session, now: datetime) -> int:
    """The evening before: a notice for each confirmed booking of tomorrow (local)."""
    due = session.scalars(
        sa.select(Booking)
        .join(Slot, Booking.slot_id == Slot.id)
        .where(
            Booking.status == S.CONFIRMED,
            Booking.reminded_at.is_(None),
            Slot.starts_at > now,
            Slot.starts_at < now + timedelta(hours=36),
        )
        .options(joinedload(Booking.slot).joinedload(Slot.facility))
    ).all()
    sent = 0
    for booking in due:
        tz = clock.zone(booking.slot.facility.school.timezone)
        if clock.local_date(booking.slot.starts_at, tz) != clock.local_date(now, tz) + timedelta(
            days=1
        ):
            continue
        booking.reminded_at = now
        notices.notify(
            session,
            booking.resident,
            kind="reminder",
            booking_id=booking.id,
            now=now,
            render=lambda booking=booking: (
                _("Tomorrow: %(facility)s", facility=booking.slot.facility.name),
                _(
                    "A reminder of your booking %(code)s at %(school)s, %(facility)s on "
                    "%(when)s. Bring your ID card; cancel in My bookings if you cannot come.",
                    **describe(booking),
                ),
            ),
        )
        sent += 1
    return sent
