"""Visits older than the retention period lose who made them; counts stay."""

from datetime import timedelta

import sqlalchemy as sa

from booking.models import Booking, BookingStatus, FacilityKind, Slot, User
from booking.services.retention import ANONYMOUS_PHONE, anonymise_old_visits
from tests.conftest import NOW


def visit(session, facility, resident, code, *, days_ago):
    start = NOW - timedelta(days=days_ago)
    slot = Slot(
        facility_id=facility.id,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        opens_at=start - timedelta(days=7),
        capacity=10,
    )
    session.add(slot)
    session.flush()
    booking = Booking(
        code=code,
        slot_id=slot.id,
        resident_id=resident.id,
        places=1,
        status=BookingStatus.CHECKED_IN,
        plate="粤S12345",
    )
    session.add(booking)
    session.flush()
    return booking


def test_old_visits_are_detached_and_their_plates_erased(db_session, make_facility, make_user):
    parking = make_facility(kind=FacilityKind.PARKING, capacity=10)
    resident = make_user(phone="13712345678")
    old = visit(db_session, parking, resident, "OLD001", days_ago=200)
    recent = visit(db_session, parking, resident, "NEW001", days_ago=10)
    counts = anonymise_old_visits(db_session, NOW, days=180)
    assert counts == {"bookings": 1, "waitlist_entries": 0}
    db_session.expire_all()
    anonymous = db_session.scalar(sa.select(User).where(User.phone == ANONYMOUS_PHONE))
    assert (old.resident_id, old.plate) == (anonymous.id, None)
    assert (recent.resident_id, recent.plate) == (resident.id, "粤S12345")
    assert not anonymous.is_active  # nobody can sign in as it
    # the counts a report needs are still there
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 2
    assert anonymise_old_visits(db_session, NOW, days=180)["bookings"] == 0  # once
