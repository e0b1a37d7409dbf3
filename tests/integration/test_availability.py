"""What residents see of slots, and the short reuse of reads at the rush."""

from datetime import date, timedelta

import sqlalchemy as sa

from booking.models import Slot
from booking.services.availability import SlotState, facility_days, recent_rows
from booking.services.clock import local_date, zone
from tests.conftest import NOW

SHANGHAI = zone("Asia/Shanghai")


def add_slot(db_session, facility, start, opens_at, capacity=2):
    slot = Slot(
        facility_id=facility.id,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        opens_at=opens_at,
        capacity=capacity,
    )
    db_session.add(slot)
    db_session.flush()
    return slot


def states(days):
    return [(view.state, view.places_left) for day in days for view in day.slots]


def test_states_of_a_week(db_session, make_facility):
    facility = make_facility()
    today = local_date(NOW, SHANGHAI)
    add_slot(db_session, facility, NOW - timedelta(hours=1), NOW - timedelta(days=7))
    add_slot(db_session, facility, NOW + timedelta(hours=2), NOW - timedelta(days=1))
    full = add_slot(db_session, facility, NOW + timedelta(hours=4), NOW - timedelta(days=1))
    full.held = 2
    closed = add_slot(db_session, facility, NOW + timedelta(hours=6), NOW - timedelta(days=1))
    closed.cancelled_at = NOW
    add_slot(db_session, facility, NOW + timedelta(days=3), NOW + timedelta(hours=22))
    db_session.flush()
    days = facility_days(db_session, facility.id, SHANGHAI, today, today + timedelta(days=6), NOW)
    assert [day.day for day in days][:2] == [today, today + timedelta(days=1)]
    assert states(days) == [
        (SlotState.PAST, 2),
        (SlotState.OPEN, 2),
        (SlotState.FULL, 0),
        (SlotState.CLOSED, 2),
        (SlotState.NOT_RELEASED, 2),
    ]


def test_a_reused_read_still_opens_at_the_release_instant(db_session, make_facility):
    recent_rows.entries.clear()
    facility = make_facility()
    release = NOW + timedelta(seconds=30)
    slot = add_slot(db_session, facility, NOW + timedelta(days=7), release)
    day = date(2026, 12, 1)
    before = facility_days(db_session, facility.id, SHANGHAI, day, day, NOW, cache_seconds=60)
    db_session.execute(sa.update(Slot).where(Slot.id == slot.id).values(held=1))
    at_release = facility_days(
        db_session, facility.id, SHANGHAI, day, day, release, cache_seconds=60
    )
    assert states(before) == [(SlotState.NOT_RELEASED, 2)]
    assert states(at_release) == [
        (SlotState.OPEN, 2)
    ]  # the held count may lag, the release does not
    fresh = facility_days(db_session, facility.id, SHANGHAI, day, day, release, cache_seconds=0)
    assert states(fresh) == [(SlotState.OPEN, 1)]
