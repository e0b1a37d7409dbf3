"""The district area through the test client: who may enter, and each
section's happy path and bad input (a clear message, nothing changed)."""

from __future__ import annotations

import re
from datetime import UTC, date, time, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from booking.extensions import db
from booking.models import (
    AuditEvent,
    Booking,
    BookingStatus,
    CalendarPeriod,
    DayKind,
    JobRun,
    JobRunStatus,
    Notice,
    Role,
    School,
    Slot,
    User,
    VisitorTerms,
)
from booking.services.clock import utcnow
from tests.conftest import PASSWORD, AuthActions
from tests.functional.campus import (
    OTHER_PHONE,
    RESIDENT_PHONE,
    STAFF_PHONE,
    build_campus,
    local_day,
    snapshot,
)

ADMIN_PHONE = "13800000000"
ROUTE_ARGS = {"code": "ODD", "user_id": 1, "period_id": 1}


@pytest.fixture
def campus(app: Flask) -> Any:
    return build_campus(app)


@pytest.fixture
def admin(app: Flask, make_user: Any) -> User:
    return make_user(Role.ADMIN, phone=ADMIN_PHONE, real_name="教育局")


@pytest.fixture
def as_admin(client: FlaskClient, auth: AuthActions, admin: User) -> FlaskClient:
    auth.login(ADMIN_PHONE)
    return client


def admin_rules(app: Flask) -> list[Any]:
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("admin.")]


def rule_url(app: Flask, rule: Any) -> str:
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{arg: ROUTE_ARGS[arg] for arg in rule.arguments})


def user_id(app: Flask, phone: str) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(User.id).where(User.phone == phone)))


def audit_actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def csrf_free(app: Flask) -> None:
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.mark.parametrize("phone", [STAFF_PHONE, RESIDENT_PHONE])
def test_every_admin_route_refuses_staff_and_residents(app, client, auth, campus, phone):
    csrf_free(app)
    auth.login(phone)
    rules = admin_rules(app)
    assert len(rules) > 15
    before = snapshot(app)
    for rule in rules:
        url = rule_url(app, rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"reason": "x", "confirm": "1"})
            assert response.status_code == 403, (method, url)
    assert snapshot(app) == before


def test_admin_routes_send_anonymous_visitors_to_log_in(app, client, campus):
    for rule in admin_rules(app):
        if "GET" in rule.methods:
            response = client.get(rule_url(app, rule))
            assert response.status_code == 302
            assert "/auth/login" in response.headers["Location"]


def test_the_admin_lands_on_the_district_home(app, client, auth, admin):
    response = auth.login(ADMIN_PHONE)
    assert response.headers["Location"] == "/admin/"
    page = client.get("/admin/", headers={"Accept-Language": "en"})
    assert "Opening tracker" in page.text


def test_every_admin_page_opens_in_both_languages(app, as_admin, campus):
    csrf_free(app)
    with app.app_context():
        db.session.add(
            CalendarPeriod(
                kind=DayKind.VACATION,
                first_day=date(2027, 1, 20),
                last_day=date(2027, 2, 20),
                name="寒假",
            )
        )
        db.session.commit()
        period_id = db.session.scalar(sa.select(CalendarPeriod.id))
    args = {"code": "ODD", "user_id": user_id(app, STAFF_PHONE), "period_id": period_id}
    resident_id = user_id(app, RESIDENT_PHONE)
    for lang in ("zh_Hans", "en"):
        as_admin.set_cookie("lang", lang)
        for rule in admin_rules(app):
            if "GET" not in rule.methods:
                continue
            values = {arg: args[arg] for arg in rule.arguments}
            if rule.endpoint == "admin.resident_detail":
                values["user_id"] = resident_id
            with app.test_request_context():
                from flask import url_for

                url = url_for(rule.endpoint, **values)
            response = as_admin.get(url)
            assert response.status_code == 200, (url, lang)
            assert response.headers["Cache-Control"] == "no-store"


# Schools


def school_form(**changes: Any) -> dict[str, Any]:
    form = {
        "code": "NC07",
        "name": "南城第七中学",
        "name_en": "Nancheng No. 7 Middle School",
        "address": "南城路 7 号",
        "is_public": "y",
        "timezone": "Asia/Shanghai",
        "contact_name": "李老师",
        "contact_phone": "0769-22220007",
    }
    form.update(changes)
    return form


def test_an_admin_adds_and_edits_a_school(app, as_admin):
    csrf_free(app)
    response = as_admin.post("/admin/schools/new", data=school_form(code="nc07"))
    assert response.status_code == 302
    response = as_admin.post(
        "/admin/schools/NC07/edit", data=school_form(name="南城七中", is_public="")
    )
    assert response.status_code == 302
    with app.app_context():
        school = db.session.scalar(sa.select(School).where(School.code == "NC07"))
        assert (school.name, school.is_public, school.name_en) == (
            "南城七中",
            False,
            "Nancheng No. 7 Middle School",
        )
    assert audit_actions(app)[-2:] == ["school.add", "school.change"]


@pytest.mark.parametrize(
    ("lang", "message"),
    [("en", "Another school already has this code."), ("zh_Hans", "其他学校已使用此代码。")],
)
def test_a_school_code_already_taken_is_refused(app, as_admin, make_school, lang, message):
    csrf_free(app)
    make_school(code="NC07")
    as_admin.set_cookie("lang", lang)
    before = snapshot(app)
    response = as_admin.post("/admin/schools/new", data=school_form())
    assert response.status_code == 409
    assert message in response.text
    assert snapshot(app) == before


def test_an_unknown_school_code_is_a_clear_404(app, as_admin):
    as_admin.set_cookie("lang", "en")
    for url in ("/admin/schools/NOPE/edit", "/admin/schools/NOPE/suspend"):
        response = as_admin.get(url)
        assert response.status_code == 404
        assert "There is no school with the code NOPE." in response.text


def test_suspending_lists_the_bookings_then_cancels_them_and_hides_the_school(
    app, as_admin, campus, client
):
    csrf_free(app)
    page = as_admin.get("/admin/schools/ODD/suspend")
    assert campus.confirmed_code in page.text
    assert campus.pending_code in page.text
    response = as_admin.post(
        "/admin/schools/ODD/suspend", data={"bookings": "cancel", "reason": "校舍改造"}
    )
    assert response.status_code == 200
    assert campus.confirmed_code in response.text
    with app.app_context():
        booking = db.session.scalar(sa.select(Booking).where(Booking.code == campus.confirmed_code))
        assert booking.status == BookingStatus.CANCELLED
        assert booking.reason == "校舍改造"
        assert db.session.scalar(
            sa.select(Notice.id).where(
                Notice.booking_id == booking.id, Notice.kind == "booking_cancelled"
            )
        )
    assert "school.suspended" in audit_actions(app)
    as_admin.post("/auth/logout")
    assert "ODD" not in client.get("/").text
    assert client.get("/schools/ODD").status_code == 404
    assert client.get(f"/facilities/{campus.room_id}").status_code == 404
    assert "ODD" not in client.get("/api/v1/schools").text


def test_suspending_may_keep_the_bookings_and_reopening_brings_the_school_back(
    app, as_admin, campus
):
    csrf_free(app)
    response = as_admin.post(
        "/admin/schools/ODD/suspend", data={"bookings": "keep", "reason": "暂停一周"}
    )
    assert campus.confirmed_code in response.text
    with app.app_context():
        booking = db.session.scalar(sa.select(Booking).where(Booking.code == campus.confirmed_code))
        assert booking.status == BookingStatus.CONFIRMED
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "school.suspended")
        )
        assert campus.confirmed_code in event.details["kept"]
    assert as_admin.post("/admin/schools/ODD/reopen", data={"reason": "恢复"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(School.is_active).where(School.code == "ODD"))
    assert as_admin.get("/schools/ODD").status_code == 200


def test_a_suspension_without_a_reason_changes_nothing(app, as_admin, campus):
    csrf_free(app)
    before = snapshot(app)
    response = as_admin.post("/admin/schools/ODD/suspend", data={"bookings": "cancel"})
    assert response.status_code == 400
    assert snapshot(app) == before


# Staff accounts


def test_an_admin_creates_a_staff_account_with_a_one_time_link(app, as_admin, campus):
    csrf_free(app)
    as_admin.set_cookie("lang", "en")
    response = as_admin.post(
        "/admin/staff/new",
        data={"real_name": "赵老师", "phone": "13900000099", "school": campus.school_id},
    )
    assert response.status_code == 200
    link = re.search(r"http://[^<\s]*/auth/reset/[^<\s]+", response.text).group(0)
    path = link.split("localhost", 1)[-1]
    new_password = "a brand new password"  # noqa: S105
    staff = app.test_client()
    staff.set_cookie("lang", "en")
    form = {"password": new_password, "confirm": new_password}
    assert staff.post(path, data=form).status_code == 302
    again = staff.post(path, data=form)
    assert again.status_code == 400
    assert "expired or was already used" in again.text
    assert AuthActions(staff).login("13900000099", new_password).status_code == 302
    assert "account.created" in audit_actions(app)


def test_a_moved_staff_members_old_session_ends(app, as_admin, campus, make_school):
    csrf_free(app)
    target = make_school(code="NEW")
    staff_client = app.test_client()
    AuthActions(staff_client).login(STAFF_PHONE)
    assert staff_client.get("/staff/").status_code == 200
    staff_id = user_id(app, STAFF_PHONE)
    response = as_admin.post(
        f"/admin/staff/{staff_id}", data={"school": target.id, "reason": "调任"}
    )
    assert response.status_code == 302
    assert staff_client.get("/staff/").status_code == 302  # back to the login page
    with app.app_context():
        assert db.session.get(User, staff_id).school_id == target.id
    assert "account.moved" in audit_actions(app)


def test_moving_staff_to_a_school_that_does_not_exist_changes_nothing(app, as_admin, campus):
    csrf_free(app)
    as_admin.set_cookie("lang", "en")
    before = snapshot(app)
    response = as_admin.post(
        f"/admin/staff/{user_id(app, STAFF_PHONE)}", data={"school": 99999, "reason": "调任"}
    )
    assert response.status_code == 400
    assert "Not a valid choice" in response.text
    assert snapshot(app) == before


def test_a_password_reset_ends_sessions_and_the_old_password(app, as_admin, campus):
    csrf_free(app)
    staff_client = app.test_client()
    AuthActions(staff_client).login(STAFF_PHONE)
    response = as_admin.post(f"/admin/staff/{user_id(app, STAFF_PHONE)}/reset")
    assert response.status_code == 200
    assert "/auth/reset/" in response.text
    assert staff_client.get("/staff/").status_code == 302
    assert AuthActions(app.test_client()).login(STAFF_PHONE, PASSWORD).status_code != 302
    assert "account.reset_issued" in audit_actions(app)


def test_deactivating_staff_needs_a_reason_and_ends_sessions(app, as_admin, campus):
    csrf_free(app)
    staff_id = user_id(app, STAFF_PHONE)
    before = snapshot(app)
    as_admin.post(f"/admin/staff/{staff_id}/deactivate", data={"reason": ""})
    assert snapshot(app) == before
    staff_client = app.test_client()
    AuthActions(staff_client).login(STAFF_PHONE)
    as_admin.post(f"/admin/staff/{staff_id}/deactivate", data={"reason": "离职"})
    assert staff_client.get("/staff/").status_code == 302
    with app.app_context():
        assert not db.session.get(User, staff_id).is_active


# Residents


def test_residents_are_found_by_a_phone_fragment_with_masked_phones(app, as_admin, campus):
    response = as_admin.get("/admin/residents", query_string={"q": "00001"})
    assert response.status_code == 200
    assert "137****0001" in response.text
    assert RESIDENT_PHONE not in response.text
    assert "137****0002" not in response.text
    by_name = as_admin.get("/admin/residents", query_string={"q": "安"})
    assert by_name.status_code == 400  # one character is too little
    assert as_admin.get("/admin/residents", query_string={"q": "0"}).status_code == 400


def test_a_residents_history_verify_suspend_and_lift(app, as_admin, campus):
    csrf_free(app)
    resident = user_id(app, RESIDENT_PHONE)
    with app.app_context():
        db.session.get(User, resident).is_verified = False
        db.session.commit()
    page = as_admin.get(f"/admin/residents/{resident}")
    assert campus.confirmed_code in page.text
    assert campus.no_show_code in page.text
    assert page.headers["Cache-Control"] == "no-store"
    url = f"/admin/residents/{resident}"
    assert as_admin.post(f"{url}/verify", data={"verify-reason": "查验身份证"}).status_code == 302
    until = (local_day(10)).isoformat()
    assert (
        as_admin.post(f"{url}/suspend", data={"until": until, "reason": "多次爽约"}).status_code
        == 302
    )
    with app.app_context():
        user = db.session.get(User, resident)
        assert user.is_verified
        assert user.suspended_until > utcnow()
    assert as_admin.post(f"{url}/lift", data={"lift-reason": "申诉成立"}).status_code == 302
    with app.app_context():
        assert db.session.get(User, resident).suspended_until is None
        events = db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.target_id == resident, AuditEvent.target_type == "user"
            )
        ).all()
        assert [(e.action, e.reason) for e in events] == [
            ("resident.verified", "查验身份证"),
            ("resident.suspended", "多次爽约"),
            ("resident.suspension_lifted", "申诉成立"),
        ]


def test_resident_actions_without_a_reason_or_on_staff_change_nothing(app, as_admin, campus):
    csrf_free(app)
    resident = user_id(app, RESIDENT_PHONE)
    before = snapshot(app)
    response = as_admin.post(
        f"/admin/residents/{resident}/suspend", data={"until": local_day(3).isoformat()}
    )
    assert response.status_code == 400
    past = local_day(-3).isoformat()
    response = as_admin.post(
        f"/admin/residents/{resident}/suspend", data={"until": past, "reason": "x"}
    )
    assert response.status_code == 400
    assert (
        as_admin.post(f"/admin/residents/{resident}/lift", data={"lift-reason": "x"}).status_code
        == 409
    )
    staff = user_id(app, STAFF_PHONE)
    assert as_admin.get(f"/admin/residents/{staff}").status_code == 404
    assert snapshot(app) == before


# District defaults


def test_changing_the_release_time_previews_the_slots_it_moves(app, as_admin, campus):
    csrf_free(app)
    later = utcnow() + timedelta(days=20)
    with app.app_context():
        db.session.add(
            Slot(
                facility_id=campus.room_id,
                starts_at=later,
                ends_at=later + timedelta(hours=1),
                opens_at=later - timedelta(days=7),
                capacity=4,
                held=0,
            )
        )
        db.session.commit()
    form = {
        "advance_days": 7,
        "release_time": "09:30",
        "cancel_deadline_minutes": 120,
        "max_active_bookings": 5,
        "max_weekly_per_kind": 3,
        "no_show_limit": 3,
        "no_show_window_days": 30,
        "suspension_days": 14,
        "no_show_grace_minutes": 30,
        "waitlist_offer_minutes": 15,
        "max_party": 20,
    }
    before = snapshot(app)
    preview = as_admin.post("/admin/defaults", data=form)
    assert preview.status_code == 200
    assert (
        "1 slot not yet released will open at a new time." in preview.text or "1 个" in preview.text
    )
    assert snapshot(app) == before
    done = as_admin.post("/admin/defaults", data={**form, "confirm": "1"})
    assert done.status_code == 302
    with app.app_context():
        slot = db.session.scalar(sa.select(Slot).where(Slot.starts_at == later))
        assert slot.opens_at.astimezone(UTC).time() == time(1, 30)  # 09:30 in Shanghai
    assert "district_policy.change" in audit_actions(app)
    bad = as_admin.post("/admin/defaults", data={**form, "advance_days": 400})
    assert bad.status_code == 400


# Calendar


def test_a_vacation_previews_the_bookings_it_cancels_then_cancels_them(app, as_admin, campus):
    csrf_free(app)
    tomorrow = local_day(1).isoformat()
    form = {"kind": "vacation", "first_day": tomorrow, "last_day": tomorrow, "name": "停课"}
    with app.app_context():
        from booking.models import OpeningRule

        rule = db.session.get(OpeningRule, campus.rule_id)
        rule.day_type = "school_days"
        db.session.commit()
    before = snapshot(app)
    preview = as_admin.post("/admin/calendar", data=form)
    assert preview.status_code == 200
    if local_day(1).weekday() < 5:
        assert campus.confirmed_code in preview.text
    assert snapshot(app) == before
    done = as_admin.post("/admin/calendar", data={**form, "confirm": "1"})
    assert done.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(CalendarPeriod.name)) == "停课"
        if local_day(1).weekday() < 5:
            status = db.session.scalar(
                sa.select(Booking.status).where(Booking.code == campus.confirmed_code)
            )
            assert status == BookingStatus.CANCELLED
    assert "calendar.add" in audit_actions(app)


def test_calendar_bad_input_changes_nothing(app, as_admin):
    csrf_free(app)
    as_admin.set_cookie("lang", "en")
    before = snapshot(app)
    response = as_admin.post(
        "/admin/calendar",
        data={"kind": "vacation", "first_day": "2027-02-01", "last_day": "2027-01-01"},
    )
    assert response.status_code == 400
    assert "The last day of a period cannot be before its first day." in response.text
    assert as_admin.post("/admin/calendar/999/remove").status_code == 404
    assert snapshot(app) == before


def test_calendar_import_edit_and_remove(app, as_admin):
    csrf_free(app)
    assert as_admin.post("/admin/calendar/import", data={"year": 2026}).status_code == 302
    with app.app_context():
        periods = db.session.scalars(sa.select(CalendarPeriod)).all()
        assert any(p.kind == DayKind.PUBLIC_HOLIDAY for p in periods)
        period = periods[0]
        period_id, kind, first = period.id, period.kind.value, period.first_day
    response = as_admin.post(
        f"/admin/calendar/{period_id}/edit",
        data={"kind": kind, "first_day": first, "last_day": first, "name": "改", "confirm": "1"},
    )
    assert response.status_code == 302
    assert as_admin.post(f"/admin/calendar/{period_id}/remove").status_code == 200  # preview
    with app.app_context():
        assert db.session.get(CalendarPeriod, period_id).name == "改"
    assert (
        as_admin.post(f"/admin/calendar/{period_id}/remove", data={"confirm": "1"}).status_code
        == 302
    )
    with app.app_context():
        assert db.session.get(CalendarPeriod, period_id) is None
    assert audit_actions(app)[-3:] == ["calendar.import", "calendar.change", "calendar.remove"]


# Jobs


def test_a_failed_run_is_flagged_on_the_admin_home(app, as_admin):
    now = utcnow()
    with app.app_context():
        db.session.add(
            JobRun(
                job="expire_pending",
                due_at=now - timedelta(minutes=1),
                status=JobRunStatus.FAILED,
                started_at=now,
                finished_at=now,
                error="Traceback: boom",
            )
        )
        db.session.commit()
    as_admin.set_cookie("lang", "en")
    home = as_admin.get("/admin/")
    assert "expire_pending" in home.text
    assert "the last run failed" in home.text
    jobs = as_admin.get("/admin/jobs")
    assert "Traceback: boom" in jobs.text


# Visitor terms


def test_staff_publish_visitor_terms_and_the_admin_sees_the_version(app, as_admin, campus):
    csrf_free(app)
    staff_client = app.test_client()
    AuthActions(staff_client).login(STAFF_PHONE)
    before = snapshot(app)
    assert (
        staff_client.post("/staff/terms", data={"body": "", "body_en": "Rules"}).status_code == 400
    )
    assert snapshot(app) == before
    for text in ("第一版规则", "第二版：请带身份证"):
        assert staff_client.post("/staff/terms", data={"body": text}).status_code == 302
    with app.app_context():
        versions = db.session.scalars(sa.select(VisitorTerms.version)).all()
        assert sorted(versions) == [1, 2]
    listing = as_admin.get("/admin/schools")
    assert "/admin/schools/ODD/terms" in listing.text
    as_admin.set_cookie("lang", "en")
    assert "Version 2" in as_admin.get("/admin/schools").text
    assert "第二版：请带身份证" in as_admin.get("/admin/schools/ODD/terms").text
    resident = app.test_client()
    AuthActions(resident).login(OTHER_PHONE)
    page = resident.get(f"/slots/{campus.open_slot_id}/book")
    assert "第二版：请带身份证" in page.text
    assert "terms.published" in audit_actions(app)


def test_calendar_add_on_the_command_line_shares_the_rule(app, runner):
    args = ["calendar", "add", "vacation", "2027-01-23", "2027-02-20", "寒假"]
    dry = runner.invoke(args=[*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Dry run: nothing was stored." in dry.output
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code != 0
    assert "already starts on that day" in again.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarPeriod)) == 1
    assert "calendar.add" in audit_actions(app)


def test_users_create_staff_is_audited_like_the_page(app, runner, make_school):
    make_school(code="NC01")
    result = runner.invoke(
        args=[
            "users",
            "create-staff",
            "--school",
            "NC01",
            "--phone",
            "13900000088",
            "--name",
            "钱老师",
            "--password",
            PASSWORD,
        ]
    )
    assert result.exit_code == 0, result.output
    assert audit_actions(app) == ["account.created"]
    unknown = runner.invoke(
        args=[
            "users",
            "create-staff",
            "--school",
            "NOPE",
            "--phone",
            "13900000087",
            "--name",
            "钱老师",
            "--password",
            PASSWORD,
        ]
    )
    assert unknown.exit_code != 0
    assert "no school has the code 'NOPE'" in unknown.output
