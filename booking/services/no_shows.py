"""No-shows: confirmed bookings nobody checked in become no-shows, enough of
them within the policy's window suspend booking, and a school can waive one
that was not the resident's fault."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, joinedload

from booking.models import Booking, BookingStatus, Slot, User
from booking.services import audit, notices
from booking.services.bookings import transition
from booking.services.checkin import CheckInRefused
from booking.services.errors import ReasonRequired
from booking.services.policy import Policy, policies_for, policy_for

S = BookingStatus


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
        transition(session, booking, S.NO_SHOW, actor=None, reason="not_checked_in", now=now)
        marked += 1
        notices.notify(
            session,
            booking.resident,
            kind="booking_no_show",
            booking_id=booking.id,
            now=now,
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
        params={
            "limit": policy.no_show_limit,
            "days": policy.no_show_window_days,
            "until": until.isoformat(),
            "timezone": booking.slot.facility.school.timezone,
        },
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
        params={"reason": reason, "lifted": lifted},
    )
    return lifted
