"""The tracker and the usage reports through the pages and the commands, on the
hand-made district of tests/district.py; both engines."""

import csv
import io

import pytest
import sqlalchemy as sa

from booking.extensions import db
from booking.models import AuditEvent, DistrictSettings
from tests.district import (
    ADMIN_PHONE,
    ALPHA_STAFF,
    BETA_STAFF,
    EVIL_NAME,
    RESIDENT_PHONE,
    WEDNESDAY,
    WEEK,
    build_district,
)

PERIOD = {"from": WEEK.isoformat(), "to": "2026-11-29"}
BOM = "\ufeff"


@pytest.fixture(autouse=True)
def english(client):
    """Pages in English, where a test reads a message (one test reads Chinese)."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def district(app):
    with app.app_context():
        built = build_district(db.session)
        db.session.commit()
    return built


def read_csv(response):
    text = response.get_data(as_text=True)
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_tracker_highlights_the_schools_behind_and_why(client, auth, district):
    auth.login(ADMIN_PHONE)
    page = client.get("/admin/tracker", query_string={"week": WEEK.isoformat()})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('class="behind"') == 2  # BETA and GAMMA
    assert "not open yet" in html or "尚未开放" in html
    home = client.get("/admin/", query_string={"week": WEEK.isoformat()}).get_data(as_text=True)
    assert "BETA" in home
    assert "GAMMA" in home
    assert 'class="behind"' in home


def test_the_tracker_csv_has_its_columns_and_a_bom(client, auth, district):
    auth.login(ADMIN_PHONE)
    response = client.get("/admin/tracker.csv", query_string={"week": WEEK.isoformat()})
    assert response.mimetype == "text/csv"
    rows = read_csv(response)
    header = rows[0]
    for column in ("school_code", "kind", "open", "hours", "meets_minimum", "missed_days"):
        assert column in header
    beta_library = next(row for row in rows if row[0] == "BETA" and row[2] == "library")
    assert beta_library[header.index("missed_days")] == WEDNESDAY.isoformat()
    assert beta_library[header.index("meets_minimum")] == "no"
    totals = read_csv(
        client.get("/admin/tracker.csv", query_string={"week": WEEK.isoformat(), "table": "totals"})
    )
    assert totals[1][:4] == ["public", "2", "1", "2"]
    assert totals[2][:4] == ["private", "1", "0", "1"]
    bad = client.get("/admin/tracker.csv", query_string={"table": "nope"})
    assert bad.status_code == 400


def test_the_report_page_has_charts_and_tables(client, auth, district):
    auth.login(ADMIN_PHONE)
    page = client.get("/admin/reports", query_string=PERIOD)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("<svg") >= 3  # use by kind, use by school, busiest hours
    assert "<table" in html
    assert "style=" not in html  # the CSP refuses inline style
    assert "<script" not in html


def test_the_report_csv_is_formula_safe_with_the_counted_figures(client, auth, district):
    auth.login(ADMIN_PHONE)
    response = client.get(
        "/admin/reports.csv", query_string={**PERIOD, "by": "facility", "school": "ALPHA"}
    )
    rows = read_csv(response)
    header = rows[0]
    for column in (
        "school_code",
        "kind",
        "facility_id",
        "places_offered",
        "places_booked",
        "checked_in",
        "no_shows",
        "cancelled",
    ):
        assert column in header
    names = [row[header.index("facility")] for row in rows[1:]]
    assert "'" + EVIL_NAME in names  # never a live formula
    library = next(row for row in rows[1:] if row[header.index("kind")] == "library")
    figures = {name: library[header.index(name)] for name in header}
    assert (figures["places_booked"], figures["checked_in"], figures["no_shows"]) == ("5", "3", "1")
    assert figures["cancelled"] == "2"
    assert {row[0] for row in rows[1:]} == {"ALPHA"}
    for table in ("kinds", "hours"):
        response = client.get("/admin/reports.csv", query_string={**PERIOD, "table": table})
        assert len(read_csv(response)) > 1


def test_an_empty_period_downloads_its_header_row(client, auth, district):
    auth.login(ADMIN_PHONE)
    response = client.get(
        "/admin/reports.csv", query_string={"from": "2026-10-01", "to": "2026-10-07"}
    )
    assert response.status_code == 200
    assert len(read_csv(response)) == 1


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2026-11-29", "to": "2026-11-23"}, "ends before it starts"),
        ({"from": "2024-01-01", "to": "2027-01-01"}, "at most 3 years"),
        ({**PERIOD, "school": "NOPE"}, "No school has the code NOPE"),
        ({**PERIOD, "by": "planet"}, "Group the report by"),
        ({"from": "2026-13-01", "to": "2026-11-29"}, "YYYY-MM-DD"),
        ({"from": "2026-11-01"}, "first and the last day"),
    ],
)
def test_bad_report_requests_get_a_clear_400(client, auth, district, query, message):
    auth.login(ADMIN_PHONE)
    page = client.get("/admin/reports", query_string=query)
    assert page.status_code == 400
    assert message in page.get_data(as_text=True)
    assert client.get("/admin/reports.csv", query_string=query).status_code == 400


def test_a_bad_period_is_explained_in_the_readers_language(client, auth, district):
    auth.login(ADMIN_PHONE)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    page = client.get("/admin/reports", query_string={"from": "2026-11-29", "to": "2026-11-23"})
    assert page.status_code == 400
    assert "统计期的结束日期早于开始日期" in page.get_data(as_text=True)


def test_a_bad_week_gets_a_clear_400(client, auth, district):
    auth.login(ADMIN_PHONE)
    page = client.get("/admin/tracker", query_string={"week": "1900-01-01"})
    assert page.status_code == 400
    assert "YYYY-MM-DD" in page.get_data(as_text=True)


@pytest.mark.parametrize("phone", [ALPHA_STAFF, RESIDENT_PHONE])
@pytest.mark.parametrize(
    "path",
    ["/admin/", "/admin/tracker", "/admin/tracker.csv", "/admin/reports", "/admin/reports.csv"],
)
def test_staff_and_residents_may_not_open_the_district_pages(client, auth, district, phone, path):
    auth.login(phone)
    assert client.get(path, query_string=PERIOD).status_code == 403
    assert client.post("/admin/tracker/settings", data={}).status_code == 403


def test_the_admin_changes_the_minimum_hours_audited(app, client, auth, district):
    auth.login(ADMIN_PHONE)
    client.get("/admin/tracker")
    response = client.post(
        "/admin/tracker/settings",
        data={"school_day_hours": "1.5", "other_day_hours": "8", "target_private": "2"},
    )
    assert response.status_code == 302
    with app.app_context():
        row = db.session.get(DistrictSettings, 1)
        assert (row.min_school_day_minutes, row.target_private_schools) == (90, 2)
        assert row.target_public_schools is None
        audit = db.session.scalar(sa.select(AuditEvent).filter_by(action="settings.tracker"))
        assert audit is not None


def test_bad_minimum_hours_change_nothing(app, client, auth, district):
    auth.login(ADMIN_PHONE)
    response = client.post(
        "/admin/tracker/settings", data={"school_day_hours": "25", "other_day_hours": "x"}
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(DistrictSettings, 1) is None


def test_staff_see_their_own_school_only(client, auth, district):
    auth.login(BETA_STAFF)
    page = client.get("/staff/reports", query_string={**PERIOD, "by": "facility"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "BETA" in html
    assert "ALPHA" not in html
    assert "GAMMA" not in html
    rows = read_csv(
        client.get(
            "/staff/reports.csv", query_string={**PERIOD, "school": "ALPHA", "by": "facility"}
        )
    )
    assert {row[0] for row in rows[1:]} == {"BETA"}
    assert (
        client.get(
            "/staff/reports", query_string={"from": "2026-11-30", "to": "2026-11-01"}
        ).status_code
        == 400
    )


def test_residents_may_not_open_staff_reports(client, auth, district):
    auth.login(RESIDENT_PHONE)
    assert client.get("/staff/reports").status_code == 403


def test_tracker_command_prints_csv(runner, district):
    result = runner.invoke(args=["tracker", "--week", WEEK.isoformat(), "--csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
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
    summary = runner.invoke(args=["tracker", "--week", WEEK.isoformat()])
    assert "behind: BETA" in summary.output


def test_report_command_prints_csv(runner, district):
    result = runner.invoke(
        args=["report", "--from", PERIOD["from"], "--to", PERIOD["to"], "--by", "kind", "--csv"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0][:3] == ["school_code", "kind", "facility_id"]
    assert ("BETA", "sports_venue") in {(row[0], row[1]) for row in rows[1:]}
    empty = runner.invoke(args=["report", "--from", "2026-10-01", "--to", "2026-10-02", "--csv"])
    assert empty.output.strip().count("\n") == 0  # the header row alone


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-11-29", "--to", "2026-11-01"], "ends before it starts"),
        (["--from", "2026-11-01", "--to", "2026-11-29", "--school", "NOPE"], "NOPE"),
        (["--from", "2026-11-31", "--to", "2026-12-01"], "YYYY-MM-DD"),
    ],
)
def test_report_command_refuses_bad_input(runner, district, args, message):
    result = runner.invoke(args=["report", *args, "--csv"])
    assert result.exit_code != 0
    assert message in result.output


def test_the_demo_district_has_a_realistic_tracker_and_last_month_in_figures(app, runner):
    from booking.ops.demo import LATE_PARKING_SCHOOL, SHORT_LIBRARY_SCHOOL
    from booking.services import reports, tracker
    from booking.services.clock import local_date, utcnow, zone

    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        today = local_date(utcnow(), zone("Asia/Shanghai"))
        behind = tracker.build_tracker(db.session, today).behind
        assert [school.code for school in behind] == [LATE_PARKING_SCHOOL, SHORT_LIBRARY_SCHOOL]
        total = reports.usage_report(db.session, reports.last_month(today)).total
        for name in (
            "checked_in",
            "no_shows",
            "cancelled_by_resident",
            "cancelled_by_staff",
            "cancelled_by_closure",
            "approvals",
            "rejected",
            "waitlist_served",
        ):
            assert getattr(total, name) > 0, name
        assert total.median_approval_hours is not None
        bookings = total.bookings
    assert runner.invoke(args=["demo"]).exit_code == 0  # idempotent: no second history
    with app.app_context():
        again = reports.usage_report(db.session, reports.last_month(today)).total
        assert again.bookings == bookings
