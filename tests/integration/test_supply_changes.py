"""Changing rules and closures: refused when wrong, previewed, then applied to slots."""

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from booking.extensions import db
from booking.models import (
    AuditEvent,
    Booking,
    BookingStatus,
    ClosureReason,
    DayType,
    Notice,
    Slot,
)
from booking.services import clock, notice_texts, supply
from booking.services.slots import generate_slots
from booking.services.supply import RuleInput, RuleRefused
from tests.conftest import NOW

SHANGHAI = clock.zone("Asia/Shanghai")
EVERY_DAY = 0b1111111


def rule_input(**changes):
    values = dict(
        valid_from=date(2026, 9, 1),
        valid_until=date(2027, 8, 31),
        weekdays=EVERY_DAY,
        day_type=DayType.ALL_DAYS,
        start_time=time(18),
        end_time=time(21),
        slot_minutes=60,
    )
    values.update(changes)
    return RuleInput(**values)


@pytest.fixture
def facility(db_session, make_facility, make_rule):
    facility = make_facility(capacity=10)
    make_rule(
        facility,
        day_type=DayType.SCHOOL_DAYS,
        start_time=time(18),
        end_time=time(21),
        slot_minutes=60,
        valid_from=date(2026, 9, 1),
        valid_until=date(2027, 8, 31),
    )
    db_session.refresh(facility)
    return facility


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"start_time": time(18), "end_time": time(18)}, "closing time must be after"),
        ({"start_time": time(19), "end_time": time(18)}, "closing time must be after"),
        (
            {"valid_from": date(2027, 1, 1), "valid_until": date(2026, 12, 31)},
            "last day cannot be before",
        ),
        ({"weekdays": 0}, "at least one weekday"),
        (
            {"start_time": time(22), "end_time": time(23), "slot_minutes": 90},
            "fits in the opening window",
        ),
        ({"start_time": time(22), "end_time": time(23), "capacity": 0}, "at least 1"),
        (
            {"day_type": DayType.SCHOOL_DAYS, "start_time": time(20), "end_time": time(22)},
            "overlaps the rule 18:00–21:00",
        ),
        (
            {"day_type": DayType.ALL_DAYS, "start_time": time(17), "end_time": time(19)},
            "overlaps the rule 18:00–21:00",
        ),
    ],
)
def test_bad_rules_are_refused_and_nothing_changes(db_session, facility, changes, message):
    with pytest.raises(RuleRefused, match=message):
        supply.add_rule(db_session, facility, rule_input(**changes), actor=None, now=NOW)
    assert len(facility.rules) == 1


def test_rules_on_other_kinds_of_day_or_dates_do_not_overlap(db_session, facility):
    supply.add_rule(
        db_session, facility, rule_input(day_type=DayType.NON_SCHOOL_DAYS), actor=None, now=NOW
    )
    supply.add_rule(
        db_session,
        facility,
        rule_input(
            day_type=DayType.SCHOOL_DAYS, valid_from=date(2027, 9, 1), valid_until=date(2028, 6, 30)
        ),
        actor=None,
        now=NOW,
    )
    assert len(facility.rules) == 3


def test_a_window_that_slots_do_not_fill_is_accepted_with_the_leftover(db_session, facility):
    leftover = supply.check_rule(
        rule_input(start_time=time(9), end_time=time(12), slot_minutes=120), []
    )
    assert leftover == 60


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (NOW + timedelta(hours=5), NOW + timedelta(hours=4), "must end after it starts"),
        (NOW - timedelta(days=2), NOW - timedelta(days=1), "entirely in the past"),
    ],
)
def test_bad_closures_are_refused(db_session, facility, start, end, message):
    with pytest.raises(supply.ClosureRefused, match=message):
        supply.add_closure(
            db_session,
            facility.school,
            facility,
            starts_at=start,
            ends_at=end,
            reason=ClosureReason.MAINTENANCE,
            note="",
            actor=None,
            now=NOW,
        )


def test_a_closure_cannot_name_another_schools_facility(db_session, facility, make_school):
    with pytest.raises(supply.ClosureRefused, match="another school"):
        supply.add_closure(
            db_session,
            make_school(),
            facility,
            starts_at=NOW,
            ends_at=NOW + timedelta(hours=1),
            reason=ClosureReason.MAINTENANCE,
            note="",
            actor=None,
            now=NOW,
        )


def book(db_session, slot, resident, code, places=1):
    booking = Booking(
        code=code, slot=slot, resident=resident, status=BookingStatus.CONFIRMED, places=places
    )
    db_session.add(booking)
    db_session.execute(sa.update(Slot).where(Slot.id == slot.id).values(held=Slot.held + places))
    db_session.flush()
    db_session.refresh(slot)
    return booking


def slot_at(db_session, facility, day, hour):
    starts_at = clock.local_instant(day, time(hour), SHANGHAI)
    return db_session.scalar(
        sa.select(Slot).where(Slot.facility_id == facility.id, Slot.starts_at == starts_at)
    )


def monday_closure(db_session, facility):
    monday = date(2026, 11, 30)
    return supply.add_closure(
        db_session,
        facility.school,
        None,
        starts_at=clock.local_instant(monday, time(0), SHANGHAI),
        ends_at=clock.local_instant(monday + timedelta(days=1), time(0), SHANGHAI),
        reason=ClosureReason.WEATHER,
        note="台风",
        actor=None,
        now=NOW,
    )


def typhoon():
    return "台风停课"


def test_a_closure_is_previewed_then_cancels_bookings_with_reason_and_notice(
    db_session, facility, make_user
):
    generate_slots(db_session, now=NOW)
    resident = make_user(locale="en")
    booked = slot_at(db_session, facility, date(2026, 11, 30), 18)
    booking = book(db_session, booked, resident, "BK7Q2M", places=2)
    monday_closure(db_session, facility)

    preview = supply.reconcile(
        db_session, [facility.id], now=NOW, reason=typhoon, actor=None, dry_run=True
    )
    assert [item.slot.id for item in preview.cancelled] == [booked.id]
    assert preview.bookings_cancelled == 1
    assert preview.removed == 2  # the 19:00 and 20:00 slots held nothing
    db_session.refresh(booking)
    assert booking.status == BookingStatus.CONFIRMED  # a preview changes nothing
    assert slot_at(db_session, facility, date(2026, 11, 30), 19) is not None

    report = supply.reconcile(
        db_session, [facility.id], now=NOW, reason=typhoon, actor=None, dry_run=False
    )
    assert report.bookings_cancelled == 1
    db_session.refresh(booking)
    db_session.refresh(booked)
    assert booking.status == BookingStatus.CANCELLED
    assert booking.reason == "台风停课"
    assert booked.held == 0
    assert booked.cancelled_at == NOW
    assert slot_at(db_session, facility, date(2026, 11, 30), 19) is None
    notice = db_session.scalar(sa.select(Notice).where(Notice.user_id == resident.id))
    with force_locale("en"):
        shown = notice_texts.render_all(db_session, [notice])[0]
    assert shown.subject == "Booking BK7Q2M cancelled"
    assert "台风停课" in shown.body
    events = db_session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert events == ["closure.add", "booking.cancelled"]

    again = supply.reconcile(
        db_session, [facility.id], now=NOW, reason=typhoon, actor=None, dry_run=False
    )
    assert (again.created, again.removed, again.cancelled) == (0, 0, [])


def test_a_new_rule_adds_its_slots(db_session, facility):
    generate_slots(db_session, now=NOW)
    supply.add_rule(
        db_session,
        facility,
        rule_input(day_type=DayType.NON_SCHOOL_DAYS, start_time=time(9), end_time=time(12)),
        actor=None,
        now=NOW,
    )
    preview = supply.reconcile(
        db_session, [facility.id], now=NOW, reason=typhoon, actor=None, dry_run=True
    )
    assert preview.created == 6  # Saturday and Sunday, 3 slots each
    report = supply.reconcile(
        db_session, [facility.id], now=NOW, reason=typhoon, actor=None, dry_run=False
    )
    assert report.created == 6
    assert slot_at(db_session, facility, date(2026, 11, 28), 9) is not None


def test_removing_a_rule_cancels_booked_slots_and_removes_the_rest(db_session, facility, make_user):
    generate_slots(db_session, now=NOW)
    booking = book(
        db_session, slot_at(db_session, facility, date(2026, 11, 25), 20), make_user(), "BK2345"
    )
    before = db_session.scalar(sa.select(sa.func.count()).select_from(Slot))
    supply.remove_rule(db_session, facility.rules[0], actor=None, now=NOW)
    db_session.refresh(facility)
    report = supply.reconcile(
        db_session, [facility.id], now=NOW, reason=lambda: "开放时间调整", actor=None, dry_run=False
    )
    assert report.bookings_cancelled == 1
    assert report.removed == before - 1
    db_session.refresh(booking)
    assert booking.status == BookingStatus.CANCELLED
    remaining = db_session.scalars(sa.select(Slot)).all()
    assert [slot.cancelled_at is not None for slot in remaining] == [True]


def test_calendar_commands_apply_a_new_holiday_to_published_slots(
    app, runner, make_facility, make_rule
):
    # The commands run on the real clock: pick an ordinary weekday ten days ahead.
    facility = make_facility()
    make_rule(
        facility,
        day_type=DayType.SCHOOL_DAYS,
        start_time=time(18),
        end_time=time(21),
        slot_minutes=60,
        valid_from=date(2020, 1, 1),
        valid_until=date(2099, 12, 31),
    )
    day = clock.local_date(clock.utcnow(), SHANGHAI) + timedelta(days=10)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    assert runner.invoke(args=["calendar", "import", "--year", "2026"]).exit_code == 0
    assert "National Day" in runner.invoke(args=["calendar", "list", "--year", "2026"]).output
    runner.invoke(args=["slots", "generate", "--days", "20"])
    add = ["calendar", "add", "public_holiday", day.isoformat(), day.isoformat(), "台风假"]

    preview = runner.invoke(args=[*add, "--dry-run"])
    assert preview.exit_code == 0, preview.output
    assert "would add 0, remove 3 unbooked, cancel 0 booked" in preview.output
    applied = runner.invoke(args=add)
    assert "did add 0, remove 3 unbooked" in applied.output
    with app.app_context():
        starts = db.session.scalars(sa.select(Slot.starts_at)).all()
        assert day not in {clock.local_date(start, SHANGHAI) for start in starts}

    bad = runner.invoke(args=["calendar", "add", "vacation", "2027-02-01", "2027-01-01", "寒假"])
    assert bad.exit_code == 2
    assert "cannot be before its first day" in bad.output


def test_a_new_release_policy_moves_only_unreleased_slots(db_session, facility):
    from booking.models import BookingPolicy

    generate_slots(db_session, now=NOW)
    released = db_session.scalars(sa.select(Slot).where(Slot.opens_at <= NOW)).all()
    before = {slot.id: slot.opens_at for slot in released}
    db_session.add(BookingPolicy(facility_id=facility.id, advance_days=2, release_time=time(20)))
    db_session.flush()
    moved = supply.apply_release_policy(db_session, facility, NOW)
    assert moved > 0
    for slot in db_session.scalars(sa.select(Slot)).all():
        if slot.id in before:
            assert slot.opens_at == before[slot.id]  # already open: stays open
        else:
            day = clock.local_date(slot.starts_at, SHANGHAI)
            assert slot.opens_at == clock.local_instant(day - timedelta(days=2), time(20), SHANGHAI)
    assert facility.slots_generated_until is None
