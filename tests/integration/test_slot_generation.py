"""Generating slots into the database: idempotent, batched, closures respected."""

import re
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from booking.models import BookingPolicy, Closure, ClosureReason, DayType, Slot
from booking.services import clock
from booking.services.slots import InvalidHorizon, UnknownSchool, generate_slots
from tests.conftest import NOW

SHANGHAI = clock.zone("Asia/Shanghai")


def slot_rows(session):
    return session.execute(
        sa.select(
            Slot.facility_id, Slot.starts_at, Slot.ends_at, Slot.opens_at, Slot.capacity
        ).order_by(Slot.facility_id, Slot.starts_at)
    ).all()


@pytest.fixture
def reading_room(db_session, make_school, make_facility, make_rule):
    school = make_school(code="NC-A")
    facility = make_facility(school, capacity=40)
    make_rule(
        facility,
        day_type=DayType.SCHOOL_DAYS,
        start_time=time(18, 30),
        end_time=time(21),
        slot_minutes=150,
    )
    make_rule(
        facility,
        day_type=DayType.NON_SCHOOL_DAYS,
        start_time=time(9),
        end_time=time(12),
        slot_minutes=180,
    )
    make_rule(
        facility,
        day_type=DayType.NON_SCHOOL_DAYS,
        start_time=time(14),
        end_time=time(18),
        slot_minutes=120,
        capacity=10,
    )
    return facility


def test_generates_up_to_advance_days_plus_one_with_release_instants(db_session, reading_room):
    # NOW is Tuesday 24 November 2026, 10:00 in Shanghai; default policy: 7 days at 08:00.
    report = generate_slots(db_session, now=NOW)
    rows = slot_rows(db_session)
    local_days = {clock.local_date(row.starts_at, SHANGHAI) for row in rows}
    assert min(local_days) == date(2026, 11, 24)
    assert max(local_days) == date(2026, 12, 2)
    # weekdays: one evening; Sat 28 and Sun 29: 1 morning + 2 afternoon
    assert len(rows) == 7 * 1 + 2 * 3
    assert report.total.created == len(rows)
    first_saturday_afternoon = next(
        row
        for row in rows
        if row.starts_at == clock.local_instant(date(2026, 11, 28), time(14), SHANGHAI)
    )
    assert first_saturday_afternoon.capacity == 10  # the rule's own capacity
    assert first_saturday_afternoon.opens_at == clock.local_instant(
        date(2026, 11, 21), time(8), SHANGHAI
    )


def test_generating_twice_creates_each_slot_once(db_session, reading_room):
    first = generate_slots(db_session, now=NOW)
    before = slot_rows(db_session)
    second = generate_slots(db_session, now=NOW)
    assert slot_rows(db_session) == before
    assert second.total.created == 0
    assert second.up_to_date == 1  # the watermark says nothing is left to do
    reading_room.slots_generated_until = None  # even without it, the database refuses doubles
    db_session.flush()
    third = generate_slots(db_session, now=NOW)
    assert slot_rows(db_session) == before
    assert (third.total.created, third.total.existing) == (0, first.total.created)


def test_the_next_night_adds_only_the_new_day(db_session, reading_room):
    generate_slots(db_session, now=NOW)
    next_night = generate_slots(db_session, now=NOW + timedelta(days=1))
    assert next_night.total.created == 1  # Thursday 3 December, one evening slot
    assert next_night.total.existing == 0


def test_the_policy_sets_the_horizon_and_release(db_session, reading_room):
    db_session.add(
        BookingPolicy(facility_id=reading_room.id, advance_days=2, release_time=time(20))
    )
    db_session.flush()
    generate_slots(db_session, now=NOW)
    rows = slot_rows(db_session)
    assert max(clock.local_date(r.starts_at, SHANGHAI) for r in rows) == date(2026, 11, 27)
    friday = next(r for r in rows if clock.local_date(r.starts_at, SHANGHAI) == date(2026, 11, 27))
    assert friday.opens_at == clock.local_instant(date(2026, 11, 25), time(20), SHANGHAI)


def test_days_option_overrides_the_horizon(db_session, reading_room):
    generate_slots(db_session, now=NOW, days=30)
    rows = slot_rows(db_session)
    assert max(clock.local_date(r.starts_at, SHANGHAI) for r in rows) == date(2026, 12, 24)


def test_closures_produce_no_slots(db_session, reading_room, make_facility):
    saturday = date(2026, 11, 28)
    db_session.add_all(
        [
            Closure(  # the whole school on Saturday
                school_id=reading_room.school_id,
                starts_at=clock.local_instant(saturday, time(0), SHANGHAI),
                ends_at=clock.local_instant(saturday + timedelta(days=1), time(0), SHANGHAI),
                reason=ClosureReason.EXAM,
            ),
            Closure(  # this facility on Monday evening
                school_id=reading_room.school_id,
                facility_id=reading_room.id,
                starts_at=clock.local_instant(date(2026, 11, 30), time(18), SHANGHAI),
                ends_at=clock.local_instant(date(2026, 11, 30), time(22), SHANGHAI),
                reason=ClosureReason.MAINTENANCE,
            ),
        ]
    )
    db_session.flush()
    report = generate_slots(db_session, now=NOW)
    local_days = [clock.local_date(r.starts_at, SHANGHAI) for r in slot_rows(db_session)]
    assert saturday not in local_days
    assert date(2026, 11, 30) not in local_days
    assert report.total.closed == 4


def test_slots_that_already_started_are_not_created(db_session, make_facility, make_rule):
    facility = make_facility()
    make_rule(facility, start_time=time(8), end_time=time(12), slot_minutes=60)
    generate_slots(db_session, now=NOW, days=1)  # 10:00 local: 08:00 to 10:00 have started
    today = [
        r.starts_at
        for r in slot_rows(db_session)
        if clock.local_date(r.starts_at, SHANGHAI) == date(2026, 11, 24)
    ]
    assert [clock.to_local(s, SHANGHAI).hour for s in today] == [11]


def test_dry_run_stores_nothing(db_session, reading_room):
    report = generate_slots(db_session, now=NOW, dry_run=True)
    assert report.total.created == 13
    assert slot_rows(db_session) == []


def test_one_school_only(db_session, reading_room, make_school, make_facility, make_rule):
    other = make_facility(make_school(code="NC-B"))
    make_rule(other)
    report = generate_slots(db_session, now=NOW, school_code="NC-B")
    assert set(report.per_school) == {"NC-B"}
    assert {r.facility_id for r in slot_rows(db_session)} == {other.id}


def test_inactive_facilities_get_no_slots(db_session, reading_room):
    reading_room.is_active = False
    db_session.flush()
    generate_slots(db_session, now=NOW)
    assert slot_rows(db_session) == []


def test_one_broken_facility_does_not_stop_the_others(
    db_session, reading_room, make_school, make_facility, make_rule
):
    broken = make_facility(make_school(code="NC-X", timezone="Mars/Olympus_Mons"))
    make_rule(broken)
    report = generate_slots(db_session, now=NOW)
    assert [facility_id for facility_id, _ in report.failures] == [broken.id]
    assert {r.facility_id for r in slot_rows(db_session)} == {reading_room.id}


@pytest.mark.parametrize("days", [0, -1, 367, 100000])
def test_bad_horizon_is_refused(db_session, reading_room, days):
    with pytest.raises(InvalidHorizon):
        generate_slots(db_session, now=NOW, days=days)
    assert slot_rows(db_session) == []


def test_unknown_school_is_refused(db_session, reading_room):
    with pytest.raises(UnknownSchool):
        generate_slots(db_session, now=NOW, school_code="NOPE")


def test_many_facilities_are_generated_in_batches(
    db_session, make_school, make_facility, make_rule, monkeypatch
):
    from booking.services import slots as slots_service

    monkeypatch.setattr(slots_service, "FACILITIES_PER_BATCH", 3)
    monkeypatch.setattr(slots_service, "ROWS_PER_INSERT", 4)
    school = make_school()
    facilities = [make_facility(school) for _ in range(7)]
    for facility in facilities:
        make_rule(facility, start_time=time(9), end_time=time(21), slot_minutes=60)
    checkpoints = []
    report = generate_slots(db_session, now=NOW, checkpoint=lambda: checkpoints.append(1))
    assert len(checkpoints) == 3
    assert (
        report.total.created == len(slot_rows(db_session)) == 7 * (12 * 8 + 10)
    )  # today from 11:00


def test_cli_summary_and_bad_input(app, runner, make_school, make_facility, make_rule):
    school = make_school(code="NC-C")
    make_rule(make_facility(school))
    result = runner.invoke(args=["slots", "generate", "--dry-run"])
    assert result.exit_code == 0, result.output
    planned = int(re.search(r"Total: would create (\d+)", result.output).group(1))
    assert planned >= 8  # the command runs on the real clock: today's evening may be over
    result = runner.invoke(args=["slots", "generate"])
    assert f"Total: created {planned}, already there 0" in result.output
    result = runner.invoke(args=["slots", "generate", "--school", "NC-C"])
    assert (
        "Total: created 0, already there 0, skipped by closure 0, in 1 facilities (1 already"
        in result.output
    )
    for args, message in [
        (["--days", "0"], "between 1 and 366"),
        (["--days", "100000"], "between 1 and 366"),
        (["--school", "NOPE"], "no school with this code"),
    ]:
        result = runner.invoke(args=["slots", "generate", *args])
        assert result.exit_code == 2
        assert message in result.output
