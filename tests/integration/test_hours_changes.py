"""Changing opening hours under booked slots: a booked slot the new hours still
cover stays as it is and the new grid fits around it; one they leave is
cancelled, with a preview. On both engines."""

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from booking.models import Booking, BookingStatus, ClosureReason, DayType, Slot, SlotCancelCause
from booking.services import clock, supply
from booking.services.slots import generate_slots
from booking.services.supply import RuleInput
from tests.conftest import NOW

SHANGHAI = clock.zone("Asia/Shanghai")
EVERY_DAY = 0b1111111
WEDNESDAY, SATURDAY = date(2026, 11, 25), date(2026, 11, 28)


def at(day, hour, minute=0):
    return clock.local_instant(day, time(hour, minute), SHANGHAI)


def hours(start, end, slot_minutes=60):
    return RuleInput(
        valid_from=date(2026, 9, 1),
        valid_until=date(2027, 8, 31),
        weekdays=EVERY_DAY,
        day_type=DayType.ALL_DAYS,
        start_time=start,
        end_time=end,
        slot_minutes=slot_minutes,
    )


def open_room(db_session, make_facility, make_rule, start, end):
    facility = make_facility(capacity=10)
    make_rule(
        facility,
        start_time=start,
        end_time=end,
        slot_minutes=60,
        valid_from=date(2026, 9, 1),
        valid_until=date(2027, 8, 31),
    )
    db_session.refresh(facility)
    generate_slots(db_session, now=NOW)
    return facility


@pytest.fixture
def room(db_session, make_facility, make_rule):
    """A reading room open every day 08:30-18:30 in hours, slots published."""
    return open_room(db_session, make_facility, make_rule, time(8, 30), time(18, 30))


def slot_at(db_session, facility, starts_at):
    return db_session.scalar(
        sa.select(Slot).where(Slot.facility_id == facility.id, Slot.starts_at == starts_at)
    )


def live_starts(db_session, facility, day):
    return [
        clock.to_local(start, SHANGHAI).strftime("%H:%M")
        for start in db_session.scalars(
            sa.select(Slot.starts_at)
            .where(
                Slot.facility_id == facility.id,
                Slot.cancelled_at.is_(None),
                Slot.starts_at >= at(day, 0),
                Slot.starts_at < at(day + timedelta(days=1), 0),
            )
            .order_by(Slot.starts_at)
        )
    ]


def assert_no_overlaps(db_session, facility):
    slots = db_session.execute(
        sa.select(Slot.starts_at, Slot.ends_at)
        .where(Slot.facility_id == facility.id, Slot.cancelled_at.is_(None))
        .order_by(Slot.starts_at)
    ).all()
    assert slots
    for first, second in zip(slots, slots[1:], strict=False):
        assert first.ends_at <= second.starts_at, (first, second)


def book(db_session, slot, resident, code, status=BookingStatus.CONFIRMED, places=1):
    booking = Booking(code=code, slot=slot, resident=resident, status=status, places=places)
    db_session.add(booking)
    db_session.execute(sa.update(Slot).where(Slot.id == slot.id).values(held=Slot.held + places))
    db_session.flush()
    db_session.refresh(slot)
    return booking


def apply(db_session, facility_ids, dry_run=False, reason=lambda: "开放时间调整"):
    return supply.reconcile(
        db_session, facility_ids, now=NOW, reason=reason, actor=None, dry_run=dry_run
    )


def change_hours(db_session, facility, data):
    supply.update_rule(db_session, facility.rules[0], data, actor=None, now=NOW)


def test_a_new_grid_keeps_a_booked_slot_it_still_covers_and_fits_around_it(
    db_session, room, make_user
):
    """The issue's case: hours 08:30-18:30 become 08:00-18:00 on the hour; the
    booked 08:30-09:30 slot lies within the new hours, so it stays as it is."""
    booked = slot_at(db_session, room, at(WEDNESDAY, 8, 30))
    booking = book(db_session, booked, make_user(), "BK0830", places=2)
    pending = book(
        db_session,
        slot_at(db_session, room, at(WEDNESDAY, 12, 30)),
        make_user(),
        "BK1230",
        status=BookingStatus.PENDING,
    )
    change_hours(db_session, room, hours(time(8), time(18)))

    preview = apply(db_session, [room.id], dry_run=True)
    assert preview.bookings_cancelled == 0
    assert preview.cancelled == []
    # Wednesday keeps both; the other 7 days each have the 10 new slots
    assert preview.kept_booked == 2

    report = apply(db_session, [room.id])
    assert report.bookings_cancelled == 0
    db_session.refresh(booking)
    db_session.refresh(pending)
    assert (booking.status, pending.status) == (BookingStatus.CONFIRMED, BookingStatus.PENDING)
    db_session.refresh(booked)
    assert (booked.starts_at, booked.ends_at) == (at(WEDNESDAY, 8, 30), at(WEDNESDAY, 9, 30))
    assert (booked.held, booked.capacity, booked.cancelled_at) == (2, 10, None)
    assert live_starts(db_session, room, WEDNESDAY) == [
        "08:30",  # kept
        "10:00",
        "11:00",
        "12:30",  # kept
        "14:00",
        "15:00",
        "16:00",
        "17:00",
    ]
    assert live_starts(db_session, room, SATURDAY) == [f"{hour:02d}:00" for hour in range(8, 18)]
    assert_no_overlaps(db_session, room)
    assert apply(db_session, [room.id], dry_run=True).created == 0  # stable


def test_widening_the_evening_to_18_00_keeps_the_booked_18_30(
    db_session, make_facility, make_rule, make_user
):
    """The issue's other case: the evening 18:30-20:30 opens at 18:00 instead."""
    room = open_room(db_session, make_facility, make_rule, time(18, 30), time(20, 30))
    booking = book(
        db_session, slot_at(db_session, room, at(WEDNESDAY, 18, 30)), make_user(), "BK1830"
    )
    change_hours(db_session, room, hours(time(18), time(21)))
    report = apply(db_session, [room.id])
    assert report.bookings_cancelled == 0
    db_session.refresh(booking)
    assert booking.status == BookingStatus.CONFIRMED
    assert live_starts(db_session, room, WEDNESDAY) == ["18:30", "20:00"]
    assert live_starts(db_session, room, SATURDAY) == ["18:00", "19:00", "20:00"]
    assert_no_overlaps(db_session, room)


def test_a_booked_slot_the_new_hours_leave_is_cancelled_with_a_preview(db_session, room, make_user):
    booked = slot_at(db_session, room, at(WEDNESDAY, 17, 30))
    booking = book(db_session, booked, make_user(), "BK1730")
    kept = book(db_session, slot_at(db_session, room, at(WEDNESDAY, 16, 30)), make_user(), "BK1630")
    change_hours(db_session, room, hours(time(8, 30), time(18)))
    preview = apply(db_session, [room.id], dry_run=True)
    assert [item.slot.id for item in preview.cancelled] == [booked.id]
    assert preview.bookings_cancelled == 1
    report = apply(db_session, [room.id], reason=lambda: "开放时间调整")
    assert report.bookings_cancelled == 1
    db_session.refresh(booking)
    db_session.refresh(kept)
    assert (booking.status, kept.status) == (BookingStatus.CANCELLED, BookingStatus.CONFIRMED)
    db_session.refresh(booked)
    assert booked.cancel_cause == SlotCancelCause.HOURS


def test_shorter_slots_fit_around_a_booked_longer_one(db_session, room, make_user):
    book(db_session, slot_at(db_session, room, at(WEDNESDAY, 9, 30)), make_user(), "BK0930")
    change_hours(db_session, room, hours(time(8, 30), time(12), 30))
    report = apply(db_session, [room.id])
    assert report.bookings_cancelled == 0
    assert live_starts(db_session, room, WEDNESDAY) == [
        "08:30",
        "09:00",
        "09:30",  # the booked hour, kept
        "10:30",
        "11:00",
        "11:30",
    ]
    assert_no_overlaps(db_session, room)


def test_a_booked_slot_under_a_closure_is_not_kept_by_the_hours(db_session, room, make_user):
    booking = book(db_session, slot_at(db_session, room, at(SATURDAY, 9, 30)), make_user(), "BKC")
    change_hours(db_session, room, hours(time(8), time(18)))
    supply.add_closure(
        db_session,
        room.school,
        room,
        starts_at=at(SATURDAY, 0),
        ends_at=at(SATURDAY + timedelta(days=1), 0),
        reason=ClosureReason.MAINTENANCE,
        note="",
        actor=None,
        now=NOW,
    )
    apply(db_session, [room.id])
    db_session.refresh(booking)
    assert booking.status == BookingStatus.CANCELLED
