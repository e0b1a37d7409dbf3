"""The daily usage figures equal the raw tables: a seeded random district of
every outcome over four zones (one with daylight saving, two a fraction of an
hour off UTC) and three weeks around New York's change of clocks; the report
through the table equals the report from the raw tables alone, for every
grouping and for periods before, across and after the watermark. Both engines."""

import random
import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from booking.models import (
    AuditEvent,
    Booking,
    BookingStatus,
    DistrictSettings,
    Facility,
    FacilityKind,
    Role,
    School,
    Slot,
    UsageDay,
    User,
    WaitlistEntry,
    WaitlistStatus,
)
from booking.services import clock, no_shows, reports, schools, supply, usage_days
from booking.services.bookings import transition
from booking.services.reports import Grouping, Period

S = BookingStatus
ZONES = ("Asia/Shanghai", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu")
FIRST = date(2026, 10, 20)  # New York turns its clocks back on 1 November
LAST = date(2026, 11, 9)
SHANGHAI = clock.zone("Asia/Shanghai")
# Local start times, two of them near midnight so that zones' days differ from UTC's.
STARTS = (time(0, 15), time(8, 0), time(13, 30), time(18, 45), time(23, 30))
OUTCOMES = (
    S.PENDING,
    S.CONFIRMED,
    S.CHECKED_IN,
    S.NO_SHOW,
    S.CANCELLED,
    S.REJECTED,
    S.EXPIRED,
)


def _watermark_now(through: date) -> datetime:
    """The instant at which the nightly job covers days up to `through`."""
    return clock.local_instant(through + usage_days.SETTLED_AFTER, time(3), SHANGHAI)


def fill(session, seed: int = 7) -> dict[str, object]:
    """Schools in four zones, a facility of each kind, slots of every local
    start over three weeks, bookings of every outcome and cause, approvals
    with random delays, waitlist entries served and not."""
    rng = random.Random(seed)  # noqa: S311 (test data)
    staff, residents = [], []
    now = datetime(2026, 10, 1, tzinfo=UTC)
    facilities = []
    for z, zone in enumerate(ZONES):
        school = School(code=f"Z{z}", name=f"学校{z}", address="", timezone=zone, created_at=now)
        session.add(school)
        session.flush()
        for k, kind in enumerate(FacilityKind):
            exclusive = kind is FacilityKind.LECTURE_HALL
            facility = Facility(
                school_id=school.id,
                kind=kind,
                name=f"{kind.value}{z}",
                capacity=10 + k,
                is_exclusive=exclusive,
                requires_approval=exclusive or k % 2 == 0,
            )
            session.add(facility)
            facilities.append(facility)
    session.flush()
    for n in range(8):
        user = User(
            role=Role.RESIDENT if n else Role.STAFF,
            real_name=f"用户{n}",
            phone=f"1370000{n:04d}",
            password_hash="x",
            created_at=now,
            school_id=None if n else facilities[0].school_id,
        )
        session.add(user)
        (residents if n else staff).append(user)
    session.flush()
    booking_number = 0
    for facility in facilities:
        tz = clock.zone(session.get(School, facility.school_id).timezone)
        for day in clock.days(FIRST, LAST):
            for start in STARTS:
                if rng.random() < 0.3:
                    continue
                starts_at = clock.local_instant(day, start, tz)
                slot = Slot(
                    facility_id=facility.id,
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(minutes=rng.choice((45, 60, 150))),
                    opens_at=starts_at - timedelta(days=7),
                    capacity=facility.capacity,
                    cancelled_at=starts_at - timedelta(days=1) if rng.random() < 0.05 else None,
                    created_at=starts_at - timedelta(days=8),
                    held=0,
                )
                session.add(slot)
                session.flush()
                for resident in rng.sample(residents, rng.randint(0, 3)):
                    booking_number += 1
                    booking = _book(
                        session, rng, slot, facility, staff[0], resident, booking_number
                    )
                    if booking.is_active:
                        slot.held += booking.places
    session.flush()
    return {"facilities": [f.id for f in facilities]}


def _book(session, rng, slot, facility, keeper, resident, number) -> Booking:
    status = rng.choice(OUTCOMES)
    if slot.cancelled_at is not None:
        status = S.CANCELLED
    decided_by = None
    if status is S.CANCELLED:
        decided_by = rng.choice((resident, keeper)).id
    made = slot.starts_at - timedelta(hours=rng.randint(2, 200))
    booking = Booking(
        code=f"T{number:05d}",
        slot_id=slot.id,
        resident_id=resident.id,
        places=rng.randint(1, 3),
        attendance=rng.choice((None, 10, 40)) if facility.is_exclusive else None,
        status=status,
        created_at=made,
        updated_at=made,
        decided_by_id=decided_by,
    )
    session.add(booking)
    session.flush()
    if status in (S.CONFIRMED, S.CHECKED_IN, S.NO_SHOW) and facility.requires_approval:
        session.add(
            AuditEvent(
                at=made + timedelta(seconds=rng.randint(60, 90_000)),
                # now and then the resident confirms (an automatic one): not an approval
                actor_id=keeper.id if rng.random() < 0.9 else resident.id,
                action="booking.confirmed",
                target_type="booking",
                target_id=booking.id,
                school_id=facility.school_id,
                details={},
            )
        )
    if rng.random() < 0.2:
        session.add(
            WaitlistEntry(
                slot_id=slot.id,
                resident_id=resident.id,
                places=booking.places,
                status=rng.choice((WaitlistStatus.ACCEPTED, WaitlistStatus.LAPSED)),
                details={},
                created_at=made,
                booking_id=booking.id,
            )
        )
    return booking


def covered_through(session, through: date | None) -> None:
    """Rebuild as the job does, from nothing, so that it covers up to `through`."""
    session.execute(sa.delete(UsageDay))
    settings = session.get(DistrictSettings, 1)
    if settings is not None:
        settings.usage_days_through = None
    session.flush()
    if through is not None:
        usage_days.rebuild_settled(session, _watermark_now(through), SHANGHAI)
        assert reports.covered_through(session) == through


def raw_report(session, period, grouping, school_ids=None):
    """The report from the raw tables alone: with the watermark lifted."""
    settings = session.get(DistrictSettings, 1)
    through, settings.usage_days_through = settings.usage_days_through, None
    session.flush()
    try:
        return reports.usage_report(session, period, grouping=grouping, school_ids=school_ids)
    finally:
        settings.usage_days_through = through
        session.flush()


def assert_equal_reports(session, period, school_ids=None) -> None:
    for grouping in Grouping:
        mixed = reports.usage_report(session, period, grouping=grouping, school_ids=school_ids)
        raw = raw_report(session, period, grouping, school_ids)
        assert mixed.rows == raw.rows, (grouping, period)
        assert mixed.by_kind == raw.by_kind
        assert mixed.total == raw.total
        assert mixed.heat == raw.heat
        assert raw.total.slots > 0


@pytest.fixture
def district(db_session):
    return fill(db_session)


WATERMARK = date(2026, 10, 31)  # the day before New York changes its clocks
PERIODS = (
    Period(FIRST, date(2026, 10, 27)),  # before the watermark
    Period(date(2026, 10, 25), date(2026, 11, 5)),  # across it
    Period(date(2026, 11, 1), LAST),  # after it
    Period(FIRST - timedelta(days=3), LAST + timedelta(days=3)),  # all of it
    Period(WATERMARK, WATERMARK),  # its last day alone
)


@pytest.mark.parametrize("period", PERIODS, ids=["before", "across", "after", "all", "edge"])
def test_the_daily_figures_equal_the_raw_tables(db_session, district, period):
    covered_through(db_session, WATERMARK)
    assert_equal_reports(db_session, period)
    assert_equal_reports(db_session, period, school_ids=[1, 3])


def test_the_whole_range_covered_and_every_outcome_present(db_session, district):
    covered_through(db_session, LAST + timedelta(days=2))
    period = Period(FIRST, LAST)
    assert_equal_reports(db_session, period)
    total = reports.usage_report(db_session, period).total
    for name in (
        "checked_in",
        "no_shows",
        "cancelled_by_resident",
        "cancelled_by_staff",
        "cancelled_by_closure",
        "rejected",
        "expired",
        "approvals",
        "waitlist_served",
    ):
        assert getattr(total, name) > 0, name
    assert total.median_approval_seconds is not None


def test_the_medians_are_the_middle_delays(db_session, district):
    """The mean of the two middle delays when their count is even: PostgreSQL's
    percentile_cont and SQLite's windows alike, stored and raw days mixed."""
    covered_through(db_session, WATERMARK)
    delays = defaultdict(list)
    query = (
        sa.select(Facility.school_id, Facility.kind, Facility.id, AuditEvent.at, Booking.created_at)
        .join(Booking, AuditEvent.target_id == Booking.id)
        .join(Slot, Booking.slot_id == Slot.id)
        .join(Facility, Slot.facility_id == Facility.id)
        .where(AuditEvent.action == "booking.confirmed", AuditEvent.actor_id != Booking.resident_id)
    )
    for school_id, kind, facility_id, at, made in db_session.execute(query):
        seconds = (at - made).total_seconds()
        for key in (
            (school_id,),
            (school_id, kind),
            (school_id, kind, facility_id),
            ("kind", kind),
            ("total",),
        ):
            delays[key].append(seconds)
    assert any(len(values) % 2 == 0 and len(values) > 2 for values in delays.values())

    def expected(key):
        return statistics.median(delays[key]) if key in delays else None

    period = PERIODS[3]  # all of it
    for grouping in Grouping:
        report = reports.usage_report(db_session, period, grouping=grouping)
        for row in report.rows:
            key = tuple(k for k in (row.school_id, row.kind, row.facility_id) if k is not None)
            assert row.figures.median_approval_seconds == expected(key), (grouping, key)
            assert row.figures.approvals == len(delays.get(key, []))
        for row in report.by_kind:
            assert row.figures.median_approval_seconds == expected(("kind", row.kind))
        assert report.total.median_approval_seconds == expected(("total",))


def test_a_change_in_the_raw_tail_shows_up(db_session, district):
    covered_through(db_session, WATERMARK)
    period = Period(FIRST, LAST)
    before = reports.usage_report(db_session, period).total
    tail = clock.local_instant(LAST, time(0), SHANGHAI)  # after the watermark in every zone
    booking = db_session.scalars(
        sa.select(Booking)
        .join(Slot, Booking.slot_id == Slot.id)
        .where(Booking.status == S.CONFIRMED, Slot.starts_at >= tail)
    ).first()
    booking.status = S.CHECKED_IN
    db_session.flush()
    after = reports.usage_report(db_session, period).total
    assert after.checked_in == before.checked_in + 1
    assert_equal_reports(db_session, period)


def settled_booking(session, status):
    return session.scalars(
        sa.select(Booking)
        .join(Slot, Booking.slot_id == Slot.id)
        .where(
            Booking.status == status,
            Slot.starts_at < clock.local_instant(FIRST + timedelta(3), time(0), SHANGHAI),
        )
        .order_by(Booking.id)
    ).first()


def test_a_late_change_of_a_settled_day_rebuilds_it(db_session, district):
    covered_through(db_session, WATERMARK)
    now = _watermark_now(WATERMARK) + timedelta(hours=5)
    period = Period(FIRST, LAST)
    before = reports.usage_report(db_session, period).total
    # The scheduler was down for days: a request expires and a visit becomes a no-show late.
    transition(
        db_session,
        settled_booking(db_session, S.PENDING),
        S.EXPIRED,
        actor=None,
        reason="not_decided",
        now=now,
    )
    transition(
        db_session,
        settled_booking(db_session, S.CONFIRMED),
        S.NO_SHOW,
        actor=None,
        reason="not_checked_in",
        now=now,
    )
    after = reports.usage_report(db_session, period).total
    assert (after.expired, after.no_shows) == (before.expired + 1, before.no_shows + 1)
    assert_equal_reports(db_session, period)


def test_waiving_a_no_show_changes_no_figure(db_session, district):
    covered_through(db_session, WATERMARK)
    period = Period(FIRST, LAST)
    before = reports.usage_report(db_session, period)
    booking = settled_booking(db_session, S.NO_SHOW)
    staff = db_session.scalars(sa.select(User).where(User.role == Role.STAFF)).first()
    no_shows.waive_no_show(db_session, booking, staff, reason="台风", now=_watermark_now(WATERMARK))
    assert reports.usage_report(db_session, period) == before
    assert_equal_reports(db_session, period)


def test_a_hall_flag_and_a_school_zone_change_rebuild_their_days(db_session, district):
    covered_through(db_session, WATERMARK)
    period = Period(FIRST, LAST)
    staff = db_session.scalars(sa.select(User).where(User.role == Role.STAFF)).first()
    hall = db_session.scalars(
        sa.select(Facility).where(Facility.kind == FacilityKind.LECTURE_HALL)
    ).first()
    now = _watermark_now(WATERMARK)
    supply.change_facility(db_session, hall, {"is_exclusive": False}, actor=staff, now=now)
    assert_equal_reports(db_session, period)
    school = db_session.get(School, hall.school_id)
    schools.update_school(
        db_session,
        school,
        schools.SchoolInput(name=school.name, address="", timezone="America/Los_Angeles"),
        actor=None,
        now=now,
    )
    assert_equal_reports(db_session, period)


def test_the_job_runs_from_the_command_line(app, runner, db_session, district):
    db_session.commit()
    result = runner.invoke(args=["jobs", "run", "aggregate_usage"])
    assert result.exit_code == 0, result.output
    assert "succeeded" in result.output
    today = clock.local_date(clock.utcnow(), SHANGHAI)
    db_session.expire_all()
    assert reports.covered_through(db_session) == today - usage_days.SETTLED_AFTER
    assert db_session.scalar(sa.select(sa.func.count()).select_from(UsageDay)) > 0
    assert_equal_reports(db_session, Period(FIRST, LAST))
