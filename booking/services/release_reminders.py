"""Reminders at release: a resident asks to be told when a time not yet
released opens for booking; a job tells them at that moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from booking.models import Facility, ReleaseReminder, Slot, User
from booking.services import clock, notices
from booking.services.errors import Conflict, ValidationFailed
from booking.services.policy import policy_for
from booking.services.slots import release_at

MAX_PENDING = 50  # per resident: enough for a fortnight of evenings
MAX_DAYS_AHEAD = 366


class ReminderRefused(ValidationFailed):
    code = "reminder_refused"


class AlreadyReleased(Conflict):
    code = "already_released"
    default_message = _l("This time is already open for booking.")


def ask(
    session: Session, resident: User, facility: Facility, starts_at: datetime, *, now: datetime
) -> ReleaseReminder:
    """Remember to tell `resident` when the facility's time at `starts_at` opens.
    Asking twice is one reminder. Raises AlreadyReleased, ReminderRefused."""
    if starts_at <= now:
        raise ReminderRefused(_l("This time has passed."))
    if starts_at > now + timedelta(days=MAX_DAYS_AHEAD):
        raise ReminderRefused(_l("Choose a time within a year."))
    starts_at = starts_at.astimezone(UTC)
    tz = clock.zone(facility.school.timezone)
    opens = release_at(clock.local_date(starts_at, tz), policy_for(session, facility.id), tz)
    if opens <= now:
        raise AlreadyReleased()
    existing = session.scalar(
        sa.select(ReleaseReminder).where(
            ReleaseReminder.user_id == resident.id,
            ReleaseReminder.facility_id == facility.id,
            ReleaseReminder.starts_at == starts_at,
        )
    )
    if existing is not None:
        return existing
    if len(pending_for(session, resident)) >= MAX_PENDING:
        raise ReminderRefused(
            _l("You have %(count)d reminders waiting; that is the most.", count=MAX_PENDING)
        )
    reminder = ReleaseReminder(
        user_id=resident.id,
        facility_id=facility.id,
        starts_at=starts_at,
        remind_at=opens,
        created_at=now,
    )
    session.add(reminder)
    session.flush()
    return reminder


def pending_for(session: Session, resident: User) -> list[ReleaseReminder]:
    return list(
        session.scalars(
            sa.select(ReleaseReminder).where(
                ReleaseReminder.user_id == resident.id, ReleaseReminder.sent_at.is_(None)
            )
        )
    )


def send_due(session: Session, now: datetime) -> int:
    """Tell each resident whose time opened now. A time that is no longer
    offered (a closure, new hours) is dropped without a notice."""
    due = session.scalars(
        sa.select(ReleaseReminder)
        .where(ReleaseReminder.sent_at.is_(None), ReleaseReminder.remind_at <= now)
        .order_by(ReleaseReminder.id)
        .limit(1000)
    ).all()
    sent = 0
    for reminder in due:
        reminder.sent_at = now
        slot = session.scalar(
            sa.select(Slot).where(
                Slot.facility_id == reminder.facility_id,
                Slot.starts_at == reminder.starts_at,
                Slot.cancelled_at.is_(None),
            )
        )
        user = session.get(User, reminder.user_id)
        if slot is None or slot.starts_at <= now or user is None or not user.is_active:
            continue
        notices.notify(session, user, kind="release_reminder", now=now, params={"slot_id": slot.id})
        sent += 1
    return sent
