"""The schema itself keeps the invariants, whatever the code does."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from booking.models import Booking, BookingStatus, Slot
from tests.conftest import NOW


@pytest.fixture
def slot(db_session, make_facility):
    facility = make_facility(capacity=5)
    slot = Slot(
        facility=facility,
        starts_at=NOW + timedelta(days=1),
        ends_at=NOW + timedelta(days=1, hours=2),
        opens_at=NOW,
        capacity=5,
    )
    db_session.add(slot)
    db_session.commit()
    return slot


def test_slot_never_holds_more_than_capacity(db_session, slot):
    db_session.execute(sa.update(Slot).where(Slot.id == slot.id).values(held=5))
    db_session.commit()
    with pytest.raises(IntegrityError):
        db_session.execute(sa.update(Slot).where(Slot.id == slot.id).values(held=Slot.held + 1))
    db_session.rollback()
    assert db_session.get(Slot, slot.id).held == 5


def test_one_slot_per_facility_and_start(db_session, slot):
    db_session.add(
        Slot(
            facility_id=slot.facility_id,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            opens_at=slot.opens_at,
            capacity=3,
        )
    )
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_slot_must_end_after_it_starts(db_session, make_facility):
    db_session.add(
        Slot(facility=make_facility(), starts_at=NOW, ends_at=NOW, opens_at=NOW, capacity=1)
    )
    with pytest.raises(IntegrityError):
        db_session.flush()


def booking(slot, resident, code, status=BookingStatus.CONFIRMED):
    return Booking(code=code, slot=slot, resident=resident, status=status, places=1)


def test_one_active_booking_per_resident_and_slot(db_session, slot, make_user):
    resident = make_user()
    db_session.add(booking(slot, resident, "AAAA1111", BookingStatus.CANCELLED))
    db_session.add(booking(slot, resident, "AAAA2222"))
    db_session.flush()  # a cancelled booking does not count
    db_session.add(booking(slot, resident, "AAAA3333", BookingStatus.PENDING))
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_instants_must_be_aware(db_session, make_facility):
    naive = datetime(2026, 12, 1, 10, 0)  # noqa: DTZ001 (the point of the test)
    db_session.add(
        Slot(facility=make_facility(), starts_at=naive, ends_at=NOW, opens_at=NOW, capacity=1)
    )
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        db_session.flush()


def test_instants_come_back_as_utc(db_session, slot):
    db_session.expire_all()
    loaded = db_session.get(Slot, slot.id)
    assert loaded.starts_at == NOW + timedelta(days=1)
    assert loaded.starts_at.tzinfo == UTC
