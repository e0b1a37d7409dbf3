"""The waitlist of a full slot: first come, first served.

Places that come back are offered to the first eligible resident in line and
held for them (they count in Slot.held) until the offer expires: the policy's
offer time, cut short by the slot's start. Accepted, the offer becomes a
booking; declined or lapsed, the next in line gets it. Someone no longer
eligible is skipped, never left blocking the line.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager

from booking.models import (
    Booking,
    Facility,
    Slot,
    User,
    WaitlistEntry,
)
from booking.models import WaitlistStatus as W
from booking.services import audit, booking_form, notice_texts, notices
from booking.services.booking_errors import OfferNotOpen, WaitlistRefused
from booking.services.booking_form import BookingRequest
from booking.services.bookings import (
    active_bookings_around,
    book,
    bookable_slot,
    check_overlap,
    check_overlap_and_quota,
    check_resident,
    check_slot,
    form_of,
    places_taken,
    release_places,
)
from booking.services.errors import DomainError
from booking.services.policy import Policy, policy_for

LAST_MINUTE = timedelta(minutes=5)  # no offer this close to the start


def join(
    session: Session,
    slot_id: int,
    resident: User,
    request: BookingRequest,
    *,
    policy: Policy,
    now: datetime,
) -> WaitlistEntry:
    """Queue for a slot that has no room for the party, with what the booking
    would carry (checked as a booking is). Refused at once, with the reason,
    when the resident already holds the slot or a booking overlapping it.
    Raises WaitlistRefused, InvalidBooking and the slot and resident checks
    of booking."""
    slot = bookable_slot(session, slot_id)
    check_slot(slot, now)
    check_resident(resident, policy, slot.facility.school, now)
    checked = booking_form.check(form_of(session, slot, policy), request)
    places = places_taken(slot.facility, slot, checked)
    if slot.capacity - slot.held >= places:
        raise WaitlistRefused(_("There is room for you: book this time directly."))
    try:
        check_overlap(slot, active_bookings_around(session, resident, slot))
    except DomainError as error:
        raise WaitlistRefused(error.message) from error
    entry = WaitlistEntry(
        slot_id=slot.id,
        resident_id=resident.id,
        places=places,
        status=W.WAITING,
        created_at=now,
        details=_details(checked),
    )
    savepoint = session.begin_nested()
    session.add(entry)
    try:
        savepoint.commit()
    except IntegrityError as error:
        savepoint.rollback()
        raise WaitlistRefused(_("You are already on the waitlist for this time.")) from error
    audit.record(
        session,
        actor=resident,
        action="waitlist.join",
        target_type="waitlist_entry",
        target_id=entry.id,
        school_id=slot.facility.school_id,
        now=now,
    )
    return entry


def _details(request: BookingRequest) -> dict[str, object]:
    return {
        key: value
        for key, value in {
            "purpose": request.purpose,
            "organiser": request.organiser,
            "attendance": request.attendance,
            "plate": request.plate,
            "terms_version": request.terms_version,
        }.items()
        if value is not None
    }


def position(session: Session, entry: WaitlistEntry) -> int:
    """1 for the first in line."""
    ahead = session.scalar(
        sa.select(sa.func.count())
        .select_from(WaitlistEntry)
        .where(
            WaitlistEntry.slot_id == entry.slot_id,
            WaitlistEntry.status == W.WAITING,
            WaitlistEntry.id < entry.id,
        )
    )
    return int(ahead or 0) + 1


def leave(session: Session, entry: WaitlistEntry, resident: User, *, now: datetime) -> None:
    """Leave the line, or decline an offer (its places go to the next in line)."""
    if entry.status == W.WAITING:
        _close(session, entry, W.LEFT, resident, now)
    elif entry.status == W.OFFERED:
        _close(session, entry, W.DECLINED, resident, now)
        release_places(session, entry.slot_id, entry.places)
        offer_free_places(session, entry.slot, now)
    else:
        raise OfferNotOpen(_("You are no longer on this waitlist."))


def _close(
    session: Session, entry: WaitlistEntry, status: W, actor: User | None, now: datetime
) -> None:
    entry.status = status
    entry.closed_at = now
    audit.record(
        session,
        actor=actor,
        action=f"waitlist.{status.value}",
        target_type="waitlist_entry",
        target_id=entry.id,
        school_id=entry.slot.facility.school_id,
        now=now,
    )


def accept(
    session: Session, entry: WaitlistEntry, resident: User, *, policy: Policy, now: datetime
) -> Booking:
    """Turn an open offer into a booking, through `book` and all its rules.

    The offer's places are handed back and taken again in the same
    transaction, whose lock on the slot's row (held since the hand-back)
    keeps anyone else from taking them in between."""
    if entry.status != W.OFFERED or entry.offer_expires_at is None or entry.offer_expires_at <= now:
        raise OfferNotOpen()
    release_places(session, entry.slot_id, entry.places)
    session.expire(entry.slot, ["held"])
    booking = book(session, entry.slot_id, resident, request_of(entry), policy=policy, now=now)
    entry.booking_id = booking.id
    _close(session, entry, W.ACCEPTED, resident, now)
    return booking


def request_of(entry: WaitlistEntry) -> BookingRequest:
    """What the resident asked for when joining the line."""
    details = entry.details or {}
    return BookingRequest(
        places=entry.places,
        purpose=details.get("purpose"),  # type: ignore[arg-type]
        organiser=details.get("organiser"),  # type: ignore[arg-type]
        attendance=details.get("attendance"),  # type: ignore[arg-type]
        plate=details.get("plate"),  # type: ignore[arg-type]
        terms_version=details.get("terms_version"),  # type: ignore[arg-type]
    )


def offer_free_places(session: Session, slot: Slot, now: datetime) -> list[WaitlistEntry]:
    """Offer the slot's free places to the first eligible residents in line."""
    session.refresh(slot, ["held", "capacity", "cancelled_at", "starts_at"])
    if slot.cancelled_at is not None or slot.starts_at - LAST_MINUTE <= now:
        return []
    policy = policy_for(session, slot.facility_id)
    offered = []
    waiting = session.scalars(
        sa.select(WaitlistEntry)
        .where(WaitlistEntry.slot_id == slot.id, WaitlistEntry.status == W.WAITING)
        .order_by(WaitlistEntry.id)
    ).all()
    for entry in waiting:
        free = slot.capacity - slot.held
        if free <= 0:
            break
        if entry.places > free:
            continue  # a party that does not fit waits; the next may fit
        refusal = _ineligible(session, entry, policy, now)
        if refusal is not None:
            _skip(session, entry, refusal, now)
            continue
        if not _hold(session, slot, entry.places):
            break
        _offer(session, entry, policy, now)
        offered.append(entry)
    return offered


def _ineligible(
    session: Session, entry: WaitlistEntry, policy: Policy, now: datetime
) -> DomainError | None:
    try:
        check_resident(entry.resident, policy, entry.slot.facility.school, now)
        check_overlap_and_quota(session, entry.resident, entry.slot, policy, now, lock=False)
    except DomainError as error:
        return error
    return None


def _hold(session: Session, slot: Slot, places: int) -> bool:
    result = session.execute(
        sa.update(Slot)
        .where(Slot.id == slot.id, Slot.held + places <= Slot.capacity)
        .values(held=Slot.held + places)
        .execution_options(synchronize_session=False)
    )
    session.refresh(slot, ["held"])
    return result.rowcount == 1


def _offer(session: Session, entry: WaitlistEntry, policy: Policy, now: datetime) -> None:
    entry.status = W.OFFERED
    entry.offered_at = now
    entry.offer_expires_at = min(
        now + timedelta(minutes=policy.waitlist_offer_minutes), entry.slot.starts_at - LAST_MINUTE
    )
    audit.record(
        session,
        actor=None,
        action="waitlist.offer",
        target_type="waitlist_entry",
        target_id=entry.id,
        school_id=entry.slot.facility.school_id,
        now=now,
    )
    notices.notify(
        session,
        entry.resident,
        kind="waitlist_offer",
        now=now,
        params={"slot_id": entry.slot_id, "until": entry.offer_expires_at.isoformat()},
    )


def _skip(session: Session, entry: WaitlistEntry, refusal: DomainError, now: datetime) -> None:
    _close(session, entry, W.SKIPPED, None, now)
    notices.notify(
        session,
        entry.resident,
        kind="waitlist_skipped",
        now=now,
        params={"slot_id": entry.slot_id, **notice_texts.refusal_params(refusal)},
    )


def close_for_cancelled_slot(session: Session, slot: Slot, reason: str, now: datetime) -> int:
    """The slot was cancelled: everyone waiting is told, and offers give their places back."""
    entries = session.scalars(
        sa.select(WaitlistEntry)
        .where(WaitlistEntry.slot_id == slot.id, WaitlistEntry.status.in_((W.WAITING, W.OFFERED)))
        .order_by(WaitlistEntry.id)
    ).all()
    for entry in entries:
        if entry.status == W.OFFERED:
            release_places(session, slot.id, entry.places)
        _close(session, entry, W.CANCELLED, None, now)
        notices.notify(
            session,
            entry.resident,
            kind="waitlist_cancelled",
            now=now,
            params={"slot_id": slot.id, "reason": reason},
        )
    return len(entries)


def lapse_offers(session: Session, now: datetime) -> int:
    """Close the offers that expired, giving their places to the next in line."""
    expired = session.scalars(
        sa.select(WaitlistEntry)
        .where(WaitlistEntry.status == W.OFFERED, WaitlistEntry.offer_expires_at <= now)
        .order_by(WaitlistEntry.id)
    ).all()
    for entry in expired:
        _close(session, entry, W.LAPSED, None, now)
        release_places(session, entry.slot_id, entry.places)
        notices.notify(
            session,
            entry.resident,
            kind="waitlist_lapsed",
            now=now,
            params={"slot_id": entry.slot_id},
        )
        offer_free_places(session, entry.slot, now)
    return len(expired)


def my_entries(session: Session, resident: User, now: datetime) -> list[WaitlistEntry]:
    return list(
        session.scalars(
            sa.select(WaitlistEntry)
            .join(Slot, WaitlistEntry.slot_id == Slot.id)
            .where(
                WaitlistEntry.resident_id == resident.id,
                WaitlistEntry.status.in_((W.WAITING, W.OFFERED)),
                Slot.starts_at > now,
            )
            .options(
                contains_eager(WaitlistEntry.slot)
                .joinedload(Slot.facility)
                .joinedload(Facility.school)
            )
            .order_by(Slot.starts_at)
        )
    )
