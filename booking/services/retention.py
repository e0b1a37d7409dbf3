"""Retention: visits older than the retention period (RETENTION_DAYS, 180 by
default) lose who made them. Plates, organisers and purposes are erased and
the bookings and waitlist entries move to one anonymous account, so the
counts the reports need stay while the resident's trail does not."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from booking.models import ACTIVE_STATUSES, Booking, Role, Slot, User, WaitlistEntry

ANONYMOUS_PHONE = "x0000000000"  # never a mobile number; erased accounts use x<id>
BATCH = 2000


def anonymous_account(session: Session, now: datetime) -> User:
    """The one account old visits belong to: no name, no number, no login."""
    found = session.scalar(sa.select(User).where(User.phone == ANONYMOUS_PHONE))
    if found is not None:
        return found
    account = User(
        role=Role.RESIDENT,
        real_name="",
        phone=ANONYMOUS_PHONE,
        password_hash="!",  # noqa: S106 (matches no password)
        is_active_account=False,
        created_at=now,
        erased_at=now,
    )
    session.add(account)
    session.flush()
    return account


def anonymise_old_visits(session: Session, now: datetime, *, days: int) -> dict[str, int]:
    """Detach visits that ended more than `days` ago from their residents,
    in batches (the caller commits). Returns how many bookings and waitlist
    entries were anonymised."""
    before = now - timedelta(days=days)
    anonymous = anonymous_account(session, now)
    old_slots = sa.select(Slot.id).where(Slot.ends_at < before)
    counts = {"bookings": 0, "waitlist_entries": 0}
    while True:
        ids = list(
            session.scalars(
                sa.select(Booking.id)
                .where(
                    Booking.slot_id.in_(old_slots),
                    Booking.resident_id != anonymous.id,
                    Booking.status.not_in(ACTIVE_STATUSES),  # none should be left, but never two
                )
                .limit(BATCH)
            )
        )
        if not ids:
            break
        session.execute(
            sa.update(Booking)
            .where(Booking.id.in_(ids))
            .values(resident_id=anonymous.id, plate=None, organiser=None, purpose=None)
            .execution_options(synchronize_session=False)
        )
        counts["bookings"] += len(ids)
    counts["waitlist_entries"] = session.execute(
        sa.update(WaitlistEntry)
        .where(WaitlistEntry.slot_id.in_(old_slots), WaitlistEntry.resident_id != anonymous.id)
        .values(resident_id=anonymous.id, details={})
        .execution_options(synchronize_session=False)
    ).rowcount
    session.flush()
    return counts
