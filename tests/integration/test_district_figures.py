"""The opening tracker and the usage report on a hand-made district (tests/district.py),
against figures counted by hand; both engines."""

from datetime import timedelta

import pytest

from booking.models import AuditEvent, FacilityKind
from booking.services import reports, tracker
from booking.services.reports import Grouping, Period
from booking.services.tracker import Gap, Minimums
from tests.conftest import NOW
from tests.district import FIRST_OPENED, THURSDAY, WEDNESDAY, WEEK, build_district

K = FacilityKind


@pytest.fixture
def district(db_session):
    return build_district(db_session)


def by_code(result):
    return {school.code: {kind.kind: kind for kind in school.kinds} for school in result.schools}


def test_a_school_that_opens_enough_meets_the_target(db_session, district):
    result = tracker.build_tracker(db_session, WEEK + timedelta(days=3))  # any day of the week
    assert result.week_start == WEEK
    alpha = by_code(result)["ALPHA"]
    assert list(alpha) == [K.LECTURE_HALL, K.LIBRARY, K.READING_ROOM, K.PARKING]
    assert all(kind.is_open and kind.meets_minimum for kind in alpha.values())
    assert {kind.hours for kind in alpha.values()} == {26}  # 5 x 2 h + 2 x 8 h
    assert alpha[K.LIBRARY].first_opened == FIRST_OPENED
    assert alpha[K.PARKING].first_opened == WEEK


def test_a_missing_day_and_a_closure_are_flagged_with_their_days(db_session, district):
    beta = by_code(tracker.build_tracker(db_session, WEEK))["BETA"]
    assert K.SPORTS_VENUE in beta  # the school has one, so the plan asks for it
    library, room = beta[K.LIBRARY], beta[K.READING_ROOM]
    assert (library.hours, room.hours) == (24, 24)
    assert [day.day for day in library.missed_days] == [WEDNESDAY]
    assert [day.day for day in room.missed_days] == [THURSDAY]  # its slot was cancelled
    assert library.is_open
    assert library.gap is Gap.SHORT_DAYS
    assert beta[K.SPORTS_VENUE].meets_minimum
    assert beta[K.PARKING].meets_minimum


def test_an_inactive_facility_is_not_open_and_totals_count_per_type(db_session, district):
    result = tracker.build_tracker(db_session, WEEK)
    gamma = by_code(result)["GAMMA"]
    assert not gamma[K.PARKING].is_open
    assert gamma[K.PARKING].gap is Gap.NOT_ACTIVE
    assert [school.code for school in result.behind] == ["BETA", "GAMMA"]
    public, private = result.totals
    assert (public.schools, public.meeting, public.target) == (2, 1, 2)
    assert (private.schools, private.meeting, private.target) == (1, 0, 1)
    assert public.open_by_kind[K.SPORTS_VENUE] == 1
    assert private.open_by_kind[K.PARKING] == 0


def test_minimums_are_district_settings_and_their_change_is_audited(db_session, district):
    tracker.update_minimums(db_session, Minimums(60, 9 * 60, None, 3), actor=None, now=NOW)
    result = tracker.build_tracker(db_session, WEEK)
    alpha = by_code(result)["ALPHA"]
    # 8 h at the weekend is now short of 9 h: Saturday and Sunday are missed.
    assert [d.day for d in alpha[K.LIBRARY].missed_days] == [
        WEEK + timedelta(5),
        WEEK + timedelta(6),
    ]
    assert result.totals[1].target == 3
    assert db_session.query(AuditEvent).filter_by(action="settings.tracker").count() == 1
    with pytest.raises(tracker.SettingsRefused):
        tracker.update_minimums(db_session, Minimums(60, 25 * 60, None, None), actor=None, now=NOW)


def test_tracker_csv_has_a_row_per_school_and_kind(db_session, district):
    rows = tracker.csv_rows(tracker.build_tracker(db_session, WEEK))
    assert rows[0][:7] == [
        "school_code",
        "school_type",
        "kind",
        "open",
        "hours",
        "meets_minimum",
        "missed_days",
    ]
    assert len(rows) == 1 + 4 + 5 + 5
    assert ["BETA", "public", "library", "yes", 24.0, "no", WEDNESDAY.isoformat()] in [
        row[:7] for row in rows
    ]


def report(db_session, grouping=Grouping.SCHOOL, school_ids=None):
    period = Period(WEEK, WEEK + timedelta(days=6))
    return reports.usage_report(db_session, period, grouping=grouping, school_ids=school_ids)


def test_usage_figures_by_school_match_the_counted_ones(db_session, district):
    result = report(db_session)
    rows = {row.school_code: row.figures for row in result.rows}
    alpha = rows["ALPHA"]
    assert (alpha.slots, alpha.places_offered, alpha.hours_offered) == (36, 720, 104)
    assert (alpha.bookings, alpha.places_booked) == (10, 65)
    assert (alpha.checked_in, alpha.visitors, alpha.no_shows) == (4, 54, 1)
    assert (alpha.cancelled_by_resident, alpha.cancelled_by_staff) == (1, 1)
    assert alpha.cancelled_by_closure == 0
    assert alpha.rejected == 1
    assert (alpha.approvals, alpha.median_approval_hours) == (3, 3.0)
    assert alpha.waitlist_served == 1
    assert alpha.no_show_rate == pytest.approx(1 / 5)
    assert alpha.use == pytest.approx(65 / 720)
    beta = rows["BETA"]
    assert (beta.slots, beta.cancelled_by_closure, beta.cancelled) == (43, 1, 1)
    assert rows["GAMMA"].slots == 36
    assert rows["GAMMA"].bookings == 0
    assert result.total.slots == 36 + 43 + 36
    assert result.total.median_approval_hours == 3.0


def test_usage_by_facility_and_kind_and_the_busiest_hours(db_session, district):
    result = report(db_session, Grouping.FACILITY, [district.alpha_id])
    library = next(row for row in result.rows if row.facility_id == district.alpha_library_id)
    assert (library.figures.bookings, library.figures.places_booked) == (6, 5)
    assert {row.school_code for row in result.rows} == {"ALPHA"}
    hall = next(row for row in result.by_kind if row.kind is K.LECTURE_HALL)
    assert (hall.figures.approvals, hall.figures.median_approval_hours) == (3, 3.0)
    # Monday 18:00 local: 2 + 1 + 1 library places and the hall's 20.
    assert result.heat[(0, 18)] == 24
    assert sum(result.heat.values()) == 65
    by_kind = report(db_session, Grouping.KIND)
    assert {(row.school_code, row.kind) for row in by_kind.rows} >= {("BETA", K.SPORTS_VENUE)}


def test_an_empty_period_has_no_rows(db_session, district):
    period = Period(WEEK - timedelta(days=30), WEEK - timedelta(days=20))
    result = reports.usage_report(db_session, period)
    assert result.rows == []
    assert result.heat == {}
    assert reports.csv_rows(result) == [list(reports.CSV_COLUMNS)]


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        (WEEK, WEEK - timedelta(days=1), "ends before it starts"),
        (WEEK, WEEK.replace(year=WEEK.year + 3), "at most 3 years"),
        (None, WEEK, "first and the last day"),
    ],
)
def test_bad_periods_are_refused(first, last, message):
    with pytest.raises(reports.PeriodRefused, match=message):
        reports.check_period(first, last)


def test_three_years_less_a_day_is_accepted():
    assert reports.check_period(WEEK, WEEK.replace(year=WEEK.year + 3) - timedelta(days=1))
