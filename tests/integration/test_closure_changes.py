"""Editing and lifting closures, and changing opening hours under booked slots:
what comes back, what stays, what is cancelled, on both engines."""

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from booking.models import (
    AuditEvent,
    Booking,
    BookingStatus,
    Closure,
    ClosureReason,
    DayType,
    Notice,
    Slot,
    SlotCancelCause,
)
from booking.services import clock, schools, supply
from booking.services.slots import generate_slots
from booking.services.supply import RuleInput
from tests.conftest import NOW

SHANGHAI = clock.zone("Asia/Shanghai")
EVERY_DAY = 0b1111111
SATURDAY, SUNDAY, MONDAY = date(2026, 11, 28), date(2026, 11, 29), date(2026, 11, 30)
WEDNESDAY = date(2026, 11, 25)


def at(day, hour, minute=0):
    return clock.local_instant(day, time(hour, minute), SHANGHAI)


def hours(start, end, slot_minutes=60, **changes):
    values = dict(
        valid_from=date(2026, 9, 1),
        valid_until=date(2027, 8, 31),
        weekdays=EVERY_DAY,
        day_type=DayType.ALL_DAYS,
        start_time=start,
        end_time=end,
        slot_minutes=slot_minutes,
    )
    values.update(changes)
    return RuleInput(**values)


@pytest.fixture
def room(db_session, make_facility, make_rule):
    """A reading room open every day 08:30-18:30 in hours, slots published."""
    facility = make_facility(capacity=10)
    make_rule(
        facility,
        start_time=time(8, 30),
        end_time=time(18, 30),
        slot_minutes=60,
        valid_from=date(2026, 9, 1),
        valid_until=date(2027, 8, 31),
    )
    db_session.refresh(facility)
    generate_slots(db_session, now=NOW)
    return facility


def slot_at(db_session, facility, starts_at):
    return db_session.scalar(
        sa.select(Slot).where(Slot.facility_id == facility.id, Slot.starts_at == starts_at)
    )


def live_slots(db_session, facility, day=None):
    query = sa.select(Slot).where(Slot.facility_id == facility.id, Slot.cancelled_at.is_(None))
    if day is not None:
        query = query.where(
            Slot.starts_at >= at(day, 0), Slot.starts_at < at(day, 0) + timedelta(1)
        )
    return db_session.scalars(query.order_by(Slot.starts_at)).all()


def local_starts(slots):
    return [clock.to_local(slot.starts_at, SHANGHAI).strftime("%H:%M") for slot in slots]


def assert_no_overlaps(db_session, facility):
    slots = live_slots(db_session, facility)
    for first, second in zip(slots, slots[1:], strict=False):
        assert first.ends_at <= second.starts_at, (first, second)


def book(db_session, slot, resident, code, status=BookingStatus.CONFIRMED, places=1):
    booking = Booking(code=code, slot=slot, resident=resident, status=status, places=places)
    db_session.add(booking)
    db_session.execute(sa.update(Slot).where(Slot.id == slot.id).values(held=Slot.held + places))
    db_session.flush()
    db_session.refresh(slot)
    return booking


def apply(db_session, facility_ids, dry_run=False, reason=lambda: "台风"):
    return supply.reconcile(
        db_session, facility_ids, now=NOW, reason=reason, actor=None, dry_run=dry_run
    )


def close(db_session, facility, first, last, *, whole_school=True, **times):
    closure = supply.add_closure(
        db_session,
        facility.school,
        None if whole_school else facility,
        starts_at=times.get("starts_at", at(first, 0)),
        ends_at=times.get("ends_at", at(last + timedelta(days=1), 0)),
        reason=ClosureReason.WEATHER,
        note="台风",
        note_en="Typhoon",
        actor=None,
        now=NOW,
    )
    apply(db_session, [facility.id])
    return closure


def change(db_session, closure, first, last, facility=None):
    return supply.change_closure(
        db_session,
        closure,
        facility,
        starts_at=at(first, 0),
        ends_at=at(last + timedelta(days=1), 0),
        reason=closure.reason,
        note=closure.note,
        note_en=closure.note_en,
        actor=None,
        now=NOW,
    )


def test_lifting_a_closure_reopens_its_slots_and_its_bookings_stay_cancelled(
    db_session, room, make_user
):
    resident = make_user(locale="en")
    booked = slot_at(db_session, room, at(SATURDAY, 9, 30))
    booking = book(db_session, booked, resident, "BKLIFT")
    closure = close(db_session, room, SATURDAY, SUNDAY)
    assert booked.cancelled_at == NOW
    assert booked.cancel_cause == SlotCancelCause.CLOSURE
    # whatever the cancelled row still counts, reopening counts the active bookings
    db_session.execute(sa.update(Slot).where(Slot.id == booked.id).values(held=3))
    db_session.refresh(booked)
    assert live_slots(db_session, room, SATURDAY) == []
    notices_before = db_session.scalar(sa.select(sa.func.count()).select_from(Notice))

    touched = supply.lift_closure(db_session, closure, actor=None, now=NOW)
    assert touched == [room.id]
    preview = apply(db_session, touched, dry_run=True)
    assert (preview.reopened, preview.created, preview.bookings_cancelled) == (1, 19, 0)
    assert preview.opened == 20
    assert preview.opened_days == [SATURDAY, SUNDAY]
    db_session.refresh(booked)
    assert booked.cancelled_at == NOW  # a preview changes nothing

    report = apply(db_session, touched)
    assert (report.reopened, report.created) == (1, 19)
    db_session.refresh(booked)
    assert (booked.cancelled_at, booked.cancel_reason, booked.cancel_cause) == (None, None, None)
    assert booked.held == 0
    db_session.refresh(booking)
    assert booking.status == BookingStatus.CANCELLED  # not booked again behind their back
    assert len(live_slots(db_session, room, SATURDAY)) == 10
    assert len(live_slots(db_session, room, SUNDAY)) == 10
    assert db_session.get(Closure, closure.id) is None  # it had not begun: removed
    notices_after = db_session.scalar(sa.select(sa.func.count()).select_from(Notice))
    assert notices_after == notices_before
    actions = db_session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["closure.add", "booking.cancelled", "closure.lift"]

    again = apply(db_session, [room.id])
    assert (again.created, again.reopened, again.removed, again.cancelled) == (0, 0, 0, [])


def test_lifting_a_closure_under_way_ends_it_now_and_reopens_what_is_left(db_session, room):
    today = clock.local_date(NOW, SHANGHAI)
    closure = close(
        db_session, room, today, today, starts_at=NOW - timedelta(hours=3), ends_at=at(today, 23)
    )
    assert live_slots(db_session, room, today) == []
    supply.lift_closure(db_session, closure, actor=None, now=NOW)
    assert closure.ends_at == NOW  # on record for what it closed
    report = apply(db_session, [room.id])
    # NOW is 10:00: the 09:30 slot has begun, the 10:30 one is the first to come back.
    assert local_starts(live_slots(db_session, room, today))[0] == "10:30"
    assert report.opened == 8
    assert supply.upcoming_closures(db_session, room.school_id, now=NOW) == []


def test_an_ended_closure_can_be_neither_changed_nor_lifted(db_session, room):
    closure = close(db_session, room, SATURDAY, SATURDAY)
    later = at(SUNDAY, 9)
    with pytest.raises(supply.ClosureEnded, match="already ended"):
        supply.lift_closure(db_session, closure, actor=None, now=later)
    with pytest.raises(supply.ClosureEnded):
        supply.change_closure(
            db_session,
            closure,
            None,
            starts_at=at(MONDAY, 0),
            ends_at=at(MONDAY, 12),
            reason=closure.reason,
            note="",
            note_en=None,
            actor=None,
            now=later,
        )
    assert closure.ends_at == at(SUNDAY, 0)


def test_a_closure_under_way_keeps_its_start(db_session, room):
    today = clock.local_date(NOW, SHANGHAI)
    closure = close(db_session, room, today, today)
    with pytest.raises(supply.ClosureRefused, match="already begun"):
        change(db_session, closure, today + timedelta(days=1), today + timedelta(days=1))
    # its end may move
    change(db_session, closure, today, today + timedelta(days=1))
    assert closure.ends_at == at(today + timedelta(days=2), 0)


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "message"),
    [
        (at(SUNDAY, 0), at(SATURDAY, 0), "must end after it starts"),
        (NOW - timedelta(days=3), NOW - timedelta(days=2), "entirely in the past"),
    ],
)
def test_a_bad_change_is_refused_and_changes_nothing(db_session, room, starts_at, ends_at, message):
    closure = close(db_session, room, SATURDAY, SATURDAY)
    with pytest.raises(supply.ClosureRefused, match=message):
        supply.change_closure(
            db_session,
            closure,
            None,
            starts_at=starts_at,
            ends_at=ends_at,
            reason=closure.reason,
            note="",
            note_en=None,
            actor=None,
            now=NOW,
        )
    assert (closure.starts_at, closure.ends_at) == (at(SATURDAY, 0), at(SUNDAY, 0))


def test_widening_cancels_what_it_newly_covers_and_narrowing_reopens_it(
    db_session, room, make_user
):
    resident = make_user()
    sunday = book(db_session, slot_at(db_session, room, at(SUNDAY, 10, 30)), resident, "BKSUN1")
    closure = close(db_session, room, SATURDAY, SATURDAY)

    touched = change(db_session, closure, SATURDAY, SUNDAY)
    preview = apply(db_session, touched, dry_run=True)
    assert [item.bookings for item in preview.cancelled] == [[sunday]]
    assert preview.removed == 9
    apply(db_session, touched)
    db_session.refresh(sunday)
    assert sunday.status == BookingStatus.CANCELLED
    assert live_slots(db_session, room, SUNDAY) == []
    events = db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "closure.change"))
    (event,) = events.all()
    assert event.details["before"]["to"] == at(SUNDAY, 0).isoformat()
    assert event.details["after"]["to"] == at(MONDAY, 0).isoformat()

    touched = change(db_session, closure, SUNDAY, SUNDAY)  # Saturday is open again
    report = apply(db_session, touched)
    assert report.opened_days == [SATURDAY]
    assert len(live_slots(db_session, room, SATURDAY)) == 10
    assert live_slots(db_session, room, SUNDAY) == []


def test_moving_a_closure_to_another_facility_reopens_the_first(
    db_session, room, make_facility, make_rule
):
    other = make_facility(room.school, capacity=5)
    make_rule(other, start_time=time(9), end_time=time(12), slot_minutes=60)
    generate_slots(db_session, now=NOW)
    closure = close(db_session, room, SATURDAY, SATURDAY, whole_school=False)
    assert live_slots(db_session, room, SATURDAY) == []
    touched = change(db_session, closure, SATURDAY, SATURDAY, facility=other)
    assert touched == sorted([room.id, other.id])
    apply(db_session, touched)
    assert len(live_slots(db_session, room, SATURDAY)) == 10
    assert live_slots(db_session, other, SATURDAY) == []


def test_another_closure_still_covering_keeps_the_slots_closed(db_session, room, make_user):
    booked = book(db_session, slot_at(db_session, room, at(SATURDAY, 9, 30)), make_user(), "BK2C")
    school_wide = close(db_session, room, SATURDAY, SATURDAY)
    close(db_session, room, SATURDAY, SATURDAY, whole_school=False)
    supply.lift_closure(db_session, school_wide, actor=None, now=NOW)
    report = apply(db_session, [room.id])
    assert report.opened == 0
    assert slot_at(db_session, room, at(SATURDAY, 9, 30)).cancelled_at == NOW
    assert booked.status == BookingStatus.CANCELLED


def test_a_slot_the_hours_no_longer_cover_stays_cancelled(db_session, room, make_user):
    book(db_session, slot_at(db_session, room, at(SATURDAY, 9, 30)), make_user(), "BKHRS")
    closure = close(db_session, room, SATURDAY, SATURDAY)
    supply.update_rule(db_session, room.rules[0], hours(time(13), time(18)), actor=None, now=NOW)
    apply(db_session, [room.id])
    supply.lift_closure(db_session, closure, actor=None, now=NOW)
    report = apply(db_session, [room.id])
    assert report.reopened == 0
    assert slot_at(db_session, room, at(SATURDAY, 9, 30)).cancelled_at == NOW
    assert local_starts(live_slots(db_session, room, SATURDAY)) == [
        "13:00",
        "14:00",
        "15:00",
        "16:00",
        "17:00",
    ]


def test_slots_a_suspension_withdrew_never_come_back_by_themselves(db_session, room, make_user):
    monday_slot = slot_at(db_session, room, at(MONDAY, 9, 30))
    book(db_session, monday_slot, make_user(), "BKSUSP")
    schools.suspend_school(
        db_session, room.school, cancel_bookings=True, reason="整改", actor=None, now=NOW
    )
    db_session.refresh(monday_slot)
    assert monday_slot.cancel_cause == SlotCancelCause.WITHDRAWN
    schools.reopen_school(db_session, room.school, reason="", actor=None, now=NOW)
    closure = close(db_session, room, MONDAY, MONDAY)
    supply.lift_closure(db_session, closure, actor=None, now=NOW)
    report = apply(db_session, [room.id])
    assert report.reopened == 0
    db_session.refresh(monday_slot)
    assert monday_slot.cancelled_at == NOW
    assert monday_slot.cancel_cause == SlotCancelCause.WITHDRAWN
    # the rest of Monday, which held nothing and was removed, is published again
    assert "09:30" not in local_starts(live_slots(db_session, room, MONDAY))
    assert len(live_slots(db_session, room, MONDAY)) == 9


def test_a_suspended_school_gets_nothing_back_when_a_closure_is_lifted(db_session, room, make_user):
    book(db_session, slot_at(db_session, room, at(SATURDAY, 9, 30)), make_user(), "BKSHUT")
    closure = close(db_session, room, SATURDAY, SATURDAY)
    schools.suspend_school(
        db_session, room.school, cancel_bookings=False, reason="整改", actor=None, now=NOW
    )
    supply.lift_closure(db_session, closure, actor=None, now=NOW)
    report = apply(db_session, [room.id])
    assert (report.reopened, report.created) == (0, 0)
    assert live_slots(db_session, room, SATURDAY) == []


def test_a_closure_of_part_of_a_day_reopens_just_that_part(db_session, room, make_user):
    book(db_session, slot_at(db_session, room, at(SATURDAY, 14, 30)), make_user(), "BKPART")
    closure = close(
        db_session,
        room,
        SATURDAY,
        SATURDAY,
        starts_at=at(SATURDAY, 14),
        ends_at=at(SATURDAY, 16),
    )
    # 13:30-14:30, 14:30-15:30 and 15:30-16:30 touch 14:00-16:00
    assert local_starts(live_slots(db_session, room, SATURDAY)) == [
        "08:30",
        "09:30",
        "10:30",
        "11:30",
        "12:30",
        "16:30",
        "17:30",
    ]
    supply.change_closure(
        db_session,
        closure,
        None,
        starts_at=at(SATURDAY, 15, 30),
        ends_at=at(SATURDAY, 16),
        reason=closure.reason,
        note=closure.note,
        note_en=None,
        actor=None,
        now=NOW,
    )
    report = apply(db_session, [room.id])
    assert (report.reopened, report.created) == (1, 1)  # 14:30 (booked once), 13:30
    assert len(live_slots(db_session, room, SATURDAY)) == 9
    assert_no_overlaps(db_session, room)


def test_a_slot_the_hours_now_cut_differently_stays_cancelled(db_session, room, make_user):
    book(db_session, slot_at(db_session, room, at(SATURDAY, 9, 30)), make_user(), "BKCUT")
    closure = close(db_session, room, SATURDAY, SATURDAY)
    supply.update_rule(
        db_session, room.rules[0], hours(time(8, 30), time(18, 30), 30), actor=None, now=NOW
    )
    apply(db_session, [room.id])
    supply.lift_closure(db_session, closure, actor=None, now=NOW)
    report = apply(db_session, [room.id])
    assert report.reopened == 0
    old = slot_at(db_session, room, at(SATURDAY, 9, 30))
    assert (old.ends_at, old.cancelled_at) == (at(SATURDAY, 10, 30), NOW)
    assert "10:00" in local_starts(live_slots(db_session, room, SATURDAY))
    assert_no_overlaps(db_session, room)
