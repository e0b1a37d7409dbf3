"""The district's rules on both engines: job health, school suspension,
visitor terms, district defaults, resident search."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from booking.models import Booking, BookingStatus, JobRun, JobRunStatus, Role, Slot
from booking.services import job_health, residents, schools, supply, terms
from booking.services.clock import zone
from booking.services.errors import Conflict, ReasonRequired
from tests.conftest import NOW

SHANGHAI = zone("Asia/Shanghai")


def test_the_ops_jobs_run_on_the_schedules_web_reads():
    from booking.ops.jobs import JOBS

    assert set(JOBS) == set(job_health.SCHEDULES)
    for name, job in JOBS.items():
        schedule = job_health.SCHEDULES[name]
        assert (job.daily_at, job.every_minutes) == (schedule.daily_at, schedule.every_minutes)


def add_run(session, job: str, due_at: datetime, status: JobRunStatus) -> None:
    session.add(
        JobRun(job=job, due_at=due_at, status=status, started_at=due_at, finished_at=due_at)
    )
    session.flush()


def health_of(session, name: str, now: datetime) -> job_health.Health:
    found = job_health.job_health(session, now=now, tz=SHANGHAI)
    return next(item.health for item in found if item.name == name)


def test_a_job_is_ok_failed_or_late(db_session):
    nightly = job_health.SCHEDULES["generate_slots"].latest_due(NOW, SHANGHAI)
    assert health_of(db_session, "generate_slots", NOW) == job_health.Health.LATE  # never ran
    add_run(db_session, "generate_slots", nightly, JobRunStatus.SUCCEEDED)
    assert health_of(db_session, "generate_slots", NOW) == job_health.Health.OK
    # A day and three hours on, tonight's run is missing.
    assert health_of(db_session, "generate_slots", NOW + timedelta(hours=27)) == (
        job_health.Health.LATE
    )
    add_run(db_session, "generate_slots", nightly + timedelta(days=1), JobRunStatus.FAILED)
    assert health_of(db_session, "generate_slots", NOW + timedelta(hours=27)) == (
        job_health.Health.FAILED
    )


def booked_school(session, make_school, make_facility, make_user):
    school = make_school()
    facility = make_facility(school)
    resident = make_user(Role.RESIDENT)
    starts = NOW + timedelta(days=2)
    slot = Slot(
        facility_id=facility.id,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        opens_at=NOW - timedelta(days=1),
        capacity=20,
        held=1,
    )
    session.add(slot)
    session.flush()
    booking = Booking(
        code="SUSP1A",
        slot_id=slot.id,
        resident_id=resident.id,
        places=1,
        status=BookingStatus.CONFIRMED,
    )
    session.add(booking)
    session.flush()
    return school, booking


@pytest.mark.parametrize("cancel", [True, False])
def test_suspending_a_school_cancels_or_keeps_its_bookings(
    db_session, make_school, make_facility, make_user, cancel
):
    school, booking = booked_school(db_session, make_school, make_facility, make_user)
    assert schools.affected_bookings(db_session, school, NOW) == [booking]
    done = schools.suspend_school(
        db_session, school, cancel_bookings=cancel, reason="改造", actor=None, now=NOW
    )
    assert not school.is_active
    if cancel:
        assert done.cancelled == [booking]
        assert booking.status == BookingStatus.CANCELLED
    else:
        assert done.kept == [booking]
        assert booking.status == BookingStatus.CONFIRMED
    with pytest.raises(Conflict):
        schools.suspend_school(
            db_session, school, cancel_bookings=cancel, reason="again", actor=None, now=NOW
        )
    schools.reopen_school(db_session, school, reason="", actor=None, now=NOW)
    assert school.is_active


def test_a_suspension_needs_a_reason(db_session, make_school):
    school = make_school()
    with pytest.raises(ReasonRequired):
        schools.suspend_school(
            db_session, school, cancel_bookings=True, reason=" ", actor=None, now=NOW
        )
    assert school.is_active


def test_school_codes_are_unique_whatever_the_case(db_session, make_school):
    make_school(code="NC01")
    data = schools.SchoolInput(name="南城一中", address="")
    with pytest.raises(schools.SchoolCodeTaken):
        schools.create_school(db_session, "nc01", data, actor=None, now=NOW)
    with pytest.raises(schools.SchoolRefused):
        schools.create_school(db_session, "NC 9", data, actor=None, now=NOW)


def test_visitor_terms_versions_increase(db_session, make_school, make_user):
    school = make_school()
    staff = make_user(Role.STAFF, school=school)
    first = terms.publish_terms(db_session, school, body="一", body_en=None, actor=staff, now=NOW)
    second = terms.publish_terms(db_session, school, body="二", body_en="Two", actor=staff, now=NOW)
    assert (first.version, second.version) == (1, 2)
    assert terms.current_versions(db_session)[school.id] == second
    with pytest.raises(terms.TermsRefused):
        terms.publish_terms(db_session, school, body="二", body_en="Two", actor=staff, now=NOW)


def test_a_new_release_time_moves_only_unreleased_slots_of_inheriting_facilities(
    db_session, make_facility
):
    facility = make_facility()
    day = NOW + timedelta(days=20)
    unreleased = Slot(
        facility_id=facility.id,
        starts_at=day,
        ends_at=day + timedelta(hours=1),
        opens_at=day - timedelta(days=7),
        capacity=20,
        held=0,
    )
    released = Slot(
        facility_id=facility.id,
        starts_at=NOW + timedelta(days=1),
        ends_at=NOW + timedelta(days=1, hours=1),
        opens_at=NOW - timedelta(days=6),
        capacity=20,
        held=0,
    )
    db_session.add_all([unreleased, released])
    db_session.flush()
    old = unreleased.opens_at
    preview = supply.change_district_policy(
        db_session, {"release_time": time(9, 0)}, actor=None, now=NOW, dry_run=True
    )
    assert [move.slot for move in preview.moved] == [unreleased]
    assert unreleased.opens_at == old
    supply.change_district_policy(
        db_session, {"release_time": time(9, 0)}, actor=None, now=NOW, dry_run=False
    )
    assert unreleased.opens_at.astimezone(UTC).time() == time(1, 0)
    assert released.opens_at == NOW - timedelta(days=6)


def test_resident_search_takes_wildcards_literally(db_session, make_user):
    make_user(Role.RESIDENT, phone="13712345678", real_name="张三")
    assert [u.real_name for u in residents.find_residents(db_session, "5678")] == ["张三"]
    assert residents.find_residents(db_session, "张%") == []
    with pytest.raises(residents.SearchTooShort):
        residents.find_residents(db_session, "56")
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0
