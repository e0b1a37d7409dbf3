"""The staff area: decisions, the gate, visitors, the log, and one school's walls."""

from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from booking.extensions import db
from booking.models import (
    AuditEvent,
    Booking,
    BookingStatus,
    Closure,
    ClosureReason,
    FacilityKind,
    Notice,
    Role,
    Slot,
)
from booking.services import notice_texts
from booking.services.clock import utcnow
from tests.conftest import PASSWORD

EN = {"Accept-Language": "en"}


@pytest.fixture
def world(app, make_school, make_facility, make_user):
    """Two schools, a hall at each, staff at each, two residents."""
    here, there = make_school(code="HERE"), make_school(code="THERE")
    hall = make_facility(
        here,
        kind=FacilityKind.LECTURE_HALL,
        name="报告厅",
        capacity=100,
        is_exclusive=True,
        requires_approval=True,
    )
    parking = make_facility(here, kind=FacilityKind.PARKING, name="停车场", capacity=10)
    other_hall = make_facility(
        there,
        kind=FacilityKind.LECTURE_HALL,
        name="报告厅",
        capacity=100,
        is_exclusive=True,
        requires_approval=True,
    )
    return {
        "here": here,
        "there": there,
        "hall": hall,
        "parking": parking,
        "other_hall": other_hall,
        "staff": make_user(Role.STAFF, school=here, phone="13900000001"),
        "other_staff": make_user(Role.STAFF, school=there, phone="13900000002"),
        "ann": make_user(phone="13700000001", real_name="安"),
        "bo": make_user(phone="13700000002", real_name="博"),
    }


def add_booking(
    app,
    facility,
    resident,
    code,
    *,
    status=BookingStatus.PENDING,
    start_in=timedelta(days=2),
    places=None,
    plate=None,
):
    with app.app_context():
        now = utcnow().replace(microsecond=0)
        slot = db.session.scalar(
            sa.select(Slot).where(Slot.facility_id == facility.id, Slot.starts_at == now + start_in)
        )
        if slot is None:
            slot = Slot(
                facility_id=facility.id,
                starts_at=now + start_in,
                ends_at=now + start_in + timedelta(hours=3),
                opens_at=now - timedelta(days=1),
                capacity=facility.capacity,
            )
            db.session.add(slot)
            db.session.flush()
        places = places or facility.capacity
        booking = Booking(
            code=code,
            slot_id=slot.id,
            resident_id=resident.id,
            places=places,
            status=status,
            purpose="社区讲座",
            organiser="居委会",
            attendance=60,
            plate=plate,
        )
        db.session.add(booking)
        if status in (BookingStatus.PENDING, BookingStatus.CONFIRMED):
            slot.held = min(slot.capacity, slot.held + places)
        db.session.commit()
        return slot.id


def login(client, phone):
    return client.post("/auth/login", data={"phone": phone, "password": PASSWORD}, headers=EN)


def status_of(app, code):
    with app.app_context():
        return db.session.scalar(sa.select(Booking.status).where(Booking.code == code))


def test_staff_land_on_their_home_with_the_pending_requests(app, client, world):
    add_booking(app, world["hall"], world["ann"], "PEND01")
    add_booking(app, world["other_hall"], world["bo"], "ELSE01")
    response = login(client, "13900000001")
    assert response.headers["Location"] == "/staff/"
    page = client.get("/staff/", headers=EN)
    assert "PEND01" in page.text or "安" in page.text
    assert "/staff/requests/PEND01" in page.text
    assert "ELSE01" not in page.text
    assert "/staff/requests/ELSE01" not in page.text


def test_approve_an_exclusive_hall_declines_the_competing_requests(app, client, world):
    add_booking(app, world["hall"], world["ann"], "HALL01")
    add_booking(app, world["hall"], world["bo"], "HALL02", places=1)
    login(client, "13900000001")
    page = client.get("/staff/requests/HALL01", headers=EN)
    assert "社区讲座" in page.text
    assert "HALL02" in page.text  # what else competes for the time
    assert "137****0001" in page.text
    response = client.post(
        "/staff/requests/HALL01/approve", data={"version": 1}, headers=EN, follow_redirects=True
    )
    assert "Request HALL01 approved" in response.text
    assert "1 other requests for the same time were declined." in response.text
    assert status_of(app, "HALL01") == BookingStatus.CONFIRMED
    assert status_of(app, "HALL02") == BookingStatus.REJECTED
    with app.app_context():
        kinds = set(db.session.scalars(sa.select(Notice.kind)))
        assert {"request_approved", "request_declined"} <= kinds
        actions = db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.action.like("booking.%"))
            .order_by(AuditEvent.id)
        ).all()
        assert actions == ["booking.confirmed", "booking.rejected"]


def test_declining_needs_a_reason(app, client, world):
    add_booking(app, world["hall"], world["ann"], "HALL03")
    login(client, "13900000001")
    page = client.post(
        "/staff/requests/HALL03/reject", data={"reason": "  ", "version": 1}, headers=EN
    )
    assert page.status_code == 400
    assert "Give the resident a reason." in page.text
    assert status_of(app, "HALL03") == BookingStatus.PENDING
    client.post("/staff/requests/HALL03/reject", data={"reason": "当天有校内活动", "version": 1})
    assert status_of(app, "HALL03") == BookingStatus.REJECTED
    with app.app_context():
        notice = db.session.scalar(sa.select(Notice).where(Notice.kind == "request_declined"))
        assert "当天有校内活动" in notice_texts.render_all(db.session, [notice])[0].body


def test_a_stale_page_or_a_decided_request_changes_nothing(app, client, world):
    add_booking(app, world["hall"], world["ann"], "HALL04")
    add_booking(
        app,
        world["hall"],
        world["bo"],
        "GONE01",
        status=BookingStatus.CANCELLED,
        start_in=timedelta(days=3),
    )
    login(client, "13900000001")
    stale = client.post(
        "/staff/requests/HALL04/approve", data={"version": 7}, headers=EN, follow_redirects=True
    )
    assert "changed since you opened the page" in stale.text
    assert status_of(app, "HALL04") == BookingStatus.PENDING
    late = client.post(
        "/staff/requests/GONE01/approve", data={"version": 1}, headers=EN, follow_redirects=True
    )
    assert "can no longer be changed" in late.text
    assert status_of(app, "GONE01") == BookingStatus.CANCELLED


def test_check_in_at_the_gate(app, client, world):
    add_booking(
        app,
        world["parking"],
        world["ann"],
        "CAR001",
        status=BookingStatus.CONFIRMED,
        start_in=timedelta(minutes=10),
        places=1,
        plate="粤S12345",
    )
    add_booking(
        app,
        world["parking"],
        world["bo"],
        "CAR002",
        status=BookingStatus.CONFIRMED,
        start_in=timedelta(days=2),
        places=1,
        plate="粤SD12345",
    )
    login(client, "13900000001")
    assert (
        client.get("/staff/checkin", query_string={"code": " car001 "}).headers["Location"]
        == "/staff/checkin/CAR001"
    )
    page = client.get("/staff/checkin/CAR001", headers=EN)
    assert "Valid now." in page.text
    assert "粤S12345" in page.text
    done = client.post("/staff/checkin/CAR001", headers=EN, follow_redirects=True)
    assert "is checked in" in done.text
    assert "Already checked in at" in done.text
    twice = client.post("/staff/checkin/CAR001", headers=EN, follow_redirects=True)
    assert "Already checked in" in twice.text
    assert status_of(app, "CAR001") == BookingStatus.CHECKED_IN
    other_day = client.get("/staff/checkin/CAR002", headers=EN)
    assert "Not valid today" in other_day.text
    refused = client.post("/staff/checkin/CAR002", headers=EN, follow_redirects=True)
    assert "Not valid today" in refused.text
    assert status_of(app, "CAR002") == BookingStatus.CONFIRMED


def test_visitor_list_and_csv(app, client, world):
    add_booking(
        app,
        world["parking"],
        world["ann"],
        "CAR003",
        status=BookingStatus.CONFIRMED,
        start_in=timedelta(minutes=30),
        places=1,
        plate="粤S54321",
    )
    login(client, "13900000001")
    page = client.get("/staff/visitors", headers=EN)
    assert "粤S54321" in page.text or "CAR003" in page.text
    csv_file = client.get("/staff/visitors.csv")
    assert csv_file.mimetype == "text/csv"
    assert "CAR003" in csv_file.get_data(as_text=True)
    assert (
        client.get("/staff/visitors", query_string={"day": "31/12"}, headers=EN).status_code == 400
    )


def test_audit_log_shows_decisions_filterable(app, client, world):
    add_booking(app, world["hall"], world["ann"], "HALL05")
    login(client, "13900000001")
    client.post("/staff/requests/HALL05/reject", data={"reason": "维修", "version": 1})
    log = client.get("/staff/audit", query_string={"action": "booking"}, headers=EN)
    assert "Request declined" in log.text
    assert "HALL05" in log.text
    assert "维修" in log.text
    closures_only = client.get("/staff/audit", query_string={"action": "closure"}, headers=EN)
    assert "Request declined" not in closures_only.text
    assert "申请被拒绝" in client.get("/staff/audit", headers={"Accept-Language": "zh-CN"}).text


def test_audit_entries_name_approvals_and_link_to_their_booking(app, client, world):
    add_booking(app, world["hall"], world["ann"], "HALL06")
    login(client, "13900000001")
    client.post("/staff/requests/HALL06/approve", data={"version": 1})
    log = client.get("/staff/audit", query_string={"action": "booking"}, headers=EN).text
    assert "Request approved" in log
    assert "Booking confirmed" not in log
    assert '<a href="/staff/requests/HALL06"><code>HALL06</code></a>' in log


def test_every_staff_route_answers_404_for_another_schools_records(app, client, world):
    add_booking(app, world["other_hall"], world["bo"], "THERE1")
    login(client, "13900000001")
    for method, path in [
        ("GET", "/staff/requests/THERE1"),
        ("POST", "/staff/requests/THERE1/approve"),
        ("POST", "/staff/requests/THERE1/reject"),
        ("POST", "/staff/checkin/THERE1"),
    ]:
        response = client.open(path, method=method, data={"reason": "x", "version": 1})
        assert response.status_code == 404, (method, path)
    assert client.get("/staff/checkin/THERE1").status_code == 404
    assert status_of(app, "THERE1") == BookingStatus.PENDING
    # and the other school's decisions never show in this school's log
    client.post("/auth/logout")
    login(client, "13900000002")
    client.post("/staff/requests/THERE1/reject", data={"reason": "另有安排", "version": 1})
    client.post("/auth/logout")
    login(client, "13900000001")
    assert "另有安排" not in client.get("/staff/audit").text


def test_residents_get_403_and_strangers_the_login_page(app, client, world):
    for path in ["/staff/", "/staff/checkin", "/staff/visitors", "/staff/audit"]:
        assert client.get(path).status_code == 302
    login(client, "13700000001")
    for path in [
        "/staff/",
        "/staff/checkin",
        "/staff/visitors",
        "/staff/audit",
        "/staff/requests/ANY",
    ]:
        assert client.get(path).status_code == 403


def test_the_qr_code_opens_the_staff_check_in_page(app, client, world):
    add_booking(
        app,
        world["parking"],
        world["ann"],
        "CAR004",
        status=BookingStatus.CONFIRMED,
        start_in=timedelta(days=1),
        places=1,
        plate="粤S11111",
    )
    login(client, "13700000001")
    from booking.web.residents.views import checkin_url

    with app.test_request_context(), app.app_context():
        booking = db.session.scalar(sa.select(Booking).where(Booking.code == "CAR004"))
        assert checkin_url(booking).endswith("/staff/checkin/CAR004")


def test_staff_waive_a_no_show_and_verify_a_resident(app, client, world):
    add_booking(
        app,
        world["parking"],
        world["ann"],
        "MISS01",
        status=BookingStatus.NO_SHOW,
        start_in=timedelta(days=-1),
        places=1,
        plate="粤S22222",
    )
    with app.app_context():
        from booking.models import User

        ann = db.session.get(User, world["ann"].id)
        ann.suspended_until = utcnow() + timedelta(days=10)
        db.session.commit()
    login(client, "13900000001")
    page = client.get("/staff/checkin/MISS01", headers=EN)
    assert "Waive this no-show" in page.text
    refused = client.post(
        "/staff/bookings/MISS01/waive", data={"reason": ""}, headers=EN, follow_redirects=True
    )
    assert "Give the resident a reason." in refused.text
    done = client.post(
        "/staff/bookings/MISS01/waive",
        data={"reason": "交通管制"},
        headers=EN,
        follow_redirects=True,
    )
    assert "The no-show is waived." in done.text
    assert "Their suspension is lifted." in done.text
    verified = client.post("/staff/bookings/MISS01/verify", headers=EN, follow_redirects=True)
    assert "is marked as verified" in verified.text
    with app.app_context():
        from booking.models import User

        ann = db.session.get(User, world["ann"].id)
        assert ann.is_verified
        assert ann.suspended_until is None
    assert client.post("/staff/bookings/THERE9/waive", data={"reason": "x"}).status_code == 404


def local_day(days):
    from booking.services.clock import local_date, zone

    return local_date(utcnow() + timedelta(days=days), zone("Asia/Shanghai"))


def local_midnight(days):
    from booking.services.clock import local_instant, zone

    return local_instant(local_day(days), time(0), zone("Asia/Shanghai"))


def test_a_closure_is_previewed_with_the_bookings_it_cancels_then_confirmed(app, client, world):
    add_booking(
        app,
        world["parking"],
        world["ann"],
        "CAR010",
        status=BookingStatus.CONFIRMED,
        start_in=timedelta(days=2),
        places=1,
        plate="粤S10101",
    )
    day = local_day(2)
    form = {
        "facility": world["parking"].id,
        "first_day": day.isoformat(),
        "last_day": day.isoformat(),
        "reason": "maintenance",
        "note": "地面维修",
    }
    login(client, "13900000001")
    preview = client.post("/staff/closures", data=form, headers=EN)
    assert preview.status_code == 200
    assert "Before you confirm" in preview.text
    assert "1 booking will be cancelled, and its resident told why." in preview.text
    assert (
        '<button type="submit" class="danger">Confirm and cancel 1 booking</button>' in preview.text
    )
    assert "CAR010" in preview.text
    assert status_of(app, "CAR010") == BookingStatus.CONFIRMED  # a preview changes nothing
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Closure)) == 0
    done = client.post(
        "/staff/closures", data={**form, "confirm": "1"}, headers=EN, follow_redirects=True
    )
    assert "1 bookings cancelled" in done.text
    assert status_of(app, "CAR010") == BookingStatus.CANCELLED
    assert "地面维修" in done.text
    log = client.get("/staff/audit", headers=EN).text
    assert "Closure added" in log
    assert "Booking cancelled" in log


def test_closure_bad_input(app, client, world):
    login(client, "13900000001")
    past = local_day(-3).isoformat()
    response = client.post(
        "/staff/closures",
        data={"facility": 0, "first_day": past, "last_day": past, "reason": "exam"},
        headers=EN,
    )
    assert response.status_code == 400
    assert "entirely in the past" in response.text
    backwards = client.post(
        "/staff/closures",
        data={
            "facility": 0,
            "first_day": local_day(5).isoformat(),
            "last_day": local_day(3).isoformat(),
            "reason": "exam",
        },
        headers=EN,
    )
    assert backwards.status_code == 400
    assert "must end after it starts" in backwards.text
    foreign = client.post(
        "/staff/closures",
        data={
            "facility": world["other_hall"].id,
            "first_day": local_day(3).isoformat(),
            "last_day": local_day(3).isoformat(),
            "reason": "exam",
        },
        headers=EN,
    )
    assert foreign.status_code in (400, 404)


def test_opening_hours_are_previewed_and_overlaps_refused(app, client, world):
    login(client, "13900000001")
    hall = world["hall"]
    form = {
        "valid_from": local_day(0).isoformat(),
        "valid_until": local_day(60).isoformat(),
        "weekdays": ["5", "6"],
        "day_type": "all_days",
        "start_time": "09:00",
        "end_time": "12:00",
        "slot_minutes": "180",
    }
    preview = client.post(f"/staff/facilities/{hall.id}/rules", data=form, headers=EN)
    assert "Before you confirm" in preview.text
    assert "new slots will be published" in preview.text
    client.post(f"/staff/facilities/{hall.id}/rules", data={**form, "confirm": "1"}, headers=EN)
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(Slot).where(Slot.facility_id == hall.id)
            )
            > 0
        )
    overlap = client.post(
        f"/staff/facilities/{hall.id}/rules",
        data={**form, "start_time": "11:00", "end_time": "13:00", "slot_minutes": "60"},
        headers=EN,
    )
    assert overlap.status_code == 400
    assert "overlaps the rule 09:00–12:00" in overlap.text
    bad = client.post(
        f"/staff/facilities/{hall.id}/rules", data={**form, "end_time": "08:00"}, headers=EN
    )
    assert bad.status_code == 400
    assert "closing time must be after" in bad.text
    assert (
        client.post(f"/staff/facilities/{world['other_hall'].id}/rules", data=form).status_code
        == 404
    )


def test_capacity_below_what_future_slots_hold_is_refused(app, client, world):
    add_booking(
        app,
        world["parking"],
        world["ann"],
        "CAR011",
        status=BookingStatus.CONFIRMED,
        start_in=timedelta(days=2),
        places=4,
        plate="粤S30303",
    )
    login(client, "13900000001")
    parking = world["parking"]
    form = {"kind": "parking", "name": "停车场", "capacity": 3, "is_active": "y"}
    refused = client.post(f"/staff/facilities/{parking.id}/edit", data=form, headers=EN)
    assert refused.status_code == 409
    assert "Future slots already hold more than 3 places" in refused.text
    saved = client.post(
        f"/staff/facilities/{parking.id}/edit", data={**form, "capacity": 8}, headers=EN
    )
    assert saved.status_code == 302
    with app.app_context():
        from booking.models import Facility

        assert db.session.get(Facility, parking.id).capacity == 8
    assert client.get(f"/staff/facilities/{world['other_hall'].id}/edit").status_code == 404
    assert client.get(f"/staff/facilities/{world['other_hall'].id}/policy").status_code == 404


def test_new_facility_policy_and_calendar(app, client, world):
    login(client, "13900000001")
    created = client.post(
        "/staff/facilities/new",
        data={"kind": "sports_venue", "name": "体育馆", "capacity": 30, "is_active": "y"},
        headers=EN,
    )
    assert created.status_code == 302
    duplicate = client.post(
        "/staff/facilities/new",
        data={"kind": "sports_venue", "name": "体育馆", "capacity": 30},
        headers=EN,
    )
    assert duplicate.status_code == 409
    policy = client.post(
        f"/staff/facilities/{world['hall'].id}/policy",
        data={"advance_days": 14, "verified_only": "yes"},
        headers=EN,
    )
    assert policy.status_code == 302
    with app.app_context():
        from booking.models import BookingPolicy

        row = db.session.scalar(
            sa.select(BookingPolicy).where(BookingPolicy.facility_id == world["hall"].id)
        )
        assert (row.advance_days, row.verified_only, row.cancel_deadline_minutes) == (
            14,
            True,
            None,
        )
    add_booking(app, world["hall"], world["ann"], "HALL09", status=BookingStatus.CONFIRMED)
    calendar = client.get(
        "/staff/calendar", query_string={"week": local_day(2).isoformat()}, headers=EN
    )
    assert "安" in calendar.text
    assert client.get("/staff/calendar", query_string={"week": "soon"}).status_code == 400


def test_the_authorization_walk_every_staff_route_with_another_schools_ids(app, client, world):
    """Every /staff route naming a record, given the other school's: 404, nothing changed."""
    add_booking(app, world["other_hall"], world["bo"], "THERE2")
    with app.app_context():
        from booking.models import OpeningRule

        rule = OpeningRule(
            facility_id=world["other_hall"].id,
            valid_from=local_day(0),
            valid_until=local_day(30),
            weekdays=127,
            start_time=time(9),
            end_time=time(12),
            slot_minutes=60,
        )
        closure = Closure(
            school_id=world["there"].id,
            facility_id=world["other_hall"].id,
            starts_at=local_midnight(3),
            ends_at=local_midnight(4),
            reason=ClosureReason.MAINTENANCE,
            note="维修",
        )
        db.session.add_all([rule, closure])
        db.session.commit()
        foreign = {
            "code": "THERE2",
            "facility_id": world["other_hall"].id,
            "rule_id": rule.id,
            "closure_id": closure.id,
        }
    login(client, "13900000001")
    walked = 0
    for url_rule in app.url_map.iter_rules():
        if not url_rule.rule.startswith("/staff/") or not url_rule.arguments:
            continue
        path = url_rule.rule
        for name in url_rule.arguments:
            path = path.replace(f"<{name}>", str(foreign[name])).replace(
                f"<int:{name}>", str(foreign[name])
            )
        for method in sorted(url_rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(
                path, method=method, data={"reason": "x", "version": 1, "confirm": "1"}
            )
            assert response.status_code == 404, (method, path, response.status_code)
            walked += 1
    assert walked >= 17
    assert status_of(app, "THERE2") == BookingStatus.PENDING
    with app.app_context():
        from booking.models import OpeningRule

        assert db.session.get(OpeningRule, foreign["rule_id"]) is not None
        kept = db.session.get(Closure, foreign["closure_id"])
        assert (kept.note, kept.starts_at, kept.ends_at) == (
            "维修",
            local_midnight(3),
            local_midnight(4),
        )
    # a form naming another school's facility
    day = local_day(3).isoformat()
    response = client.post(
        "/staff/closures",
        data={
            "facility": world["other_hall"].id,
            "first_day": day,
            "last_day": day,
            "reason": "exam",
            "confirm": "1",
        },
    )
    assert response.status_code in (400, 404)
    with app.app_context():
        assert db.session.scalars(sa.select(Closure.school_id)).all() == [world["there"].id]


def test_opening_hours_can_be_changed_with_a_preview(app, client, world):
    login(client, "13900000001")
    hall = world["hall"]
    form = {
        "valid_from": local_day(0).isoformat(),
        "valid_until": local_day(60).isoformat(),
        "weekdays": ["0", "1", "2", "3", "4", "5", "6"],
        "day_type": "all_days",
        "start_time": "09:00",
        "end_time": "12:00",
        "slot_minutes": "180",
    }
    client.post(f"/staff/facilities/{hall.id}/rules", data={**form, "confirm": "1"})
    with app.app_context():
        from booking.models import OpeningRule

        rule_id = db.session.scalar(
            sa.select(OpeningRule.id).where(OpeningRule.facility_id == hall.id)
        )
    page = client.get(f"/staff/rules/{rule_id}/edit", headers=EN)
    assert 'value="09:00"' in page.text
    preview = client.post(
        f"/staff/rules/{rule_id}/edit",
        data={**form, "start_time": "14:00", "end_time": "17:00"},
        headers=EN,
    )
    assert "Before you confirm" in preview.text
    client.post(
        f"/staff/rules/{rule_id}/edit",
        data={**form, "start_time": "14:00", "end_time": "17:00", "confirm": "1"},
    )
    with app.app_context():
        from booking.models import OpeningRule

        assert db.session.get(OpeningRule, rule_id).start_time == time(14)


STAFF_ROUTES = {
    "staff.home": ("/staff/", {"GET"}),
    "staff.request_detail": ("/staff/requests/<code>", {"GET"}),
    "staff.approve": ("/staff/requests/<code>/approve", {"POST"}),
    "staff.reject": ("/staff/requests/<code>/reject", {"POST"}),
    "staff.checkin_form": ("/staff/checkin", {"GET", "POST"}),
    "staff.checkin": ("/staff/checkin/<code>", {"GET", "POST"}),
    "staff.search": ("/staff/search", {"GET"}),
    "staff.waive": ("/staff/bookings/<code>/waive", {"POST"}),
    "staff.verify": ("/staff/bookings/<code>/verify", {"POST"}),
    "staff.visitors": ("/staff/visitors", {"GET"}),
    "staff.visitors_csv": ("/staff/visitors.csv", {"GET"}),
    "staff.audit_log": ("/staff/audit", {"GET"}),
    "staff.facilities": ("/staff/facilities", {"GET"}),
    "staff.new_facility": ("/staff/facilities/new", {"GET", "POST"}),
    "staff.edit_facility": ("/staff/facilities/<int:facility_id>/edit", {"GET", "POST"}),
    "staff.rules": ("/staff/facilities/<int:facility_id>/rules", {"GET", "POST"}),
    "staff.policy": ("/staff/facilities/<int:facility_id>/policy", {"GET", "POST"}),
    "staff.edit_rule": ("/staff/rules/<int:rule_id>/edit", {"GET", "POST"}),
    "staff.remove_rule": ("/staff/rules/<int:rule_id>/remove", {"POST"}),
    "staff.closures": ("/staff/closures", {"GET", "POST"}),
    "staff.edit_closure": ("/staff/closures/<int:closure_id>/edit", {"GET", "POST"}),
    "staff.lift_closure": ("/staff/closures/<int:closure_id>/lift", {"POST"}),
    "staff.calendar": ("/staff/calendar", {"GET"}),
    "staff.visitor_terms": ("/staff/terms", {"GET", "POST"}),
    "staff.reports": ("/staff/reports", {"GET"}),
    "staff.reports_csv": ("/staff/reports.csv", {"GET"}),
}


def test_every_staff_page_keeps_its_url_and_endpoint(app):
    """Templates link by endpoint name; each staff module adds its rules to the blueprint."""
    routes = {
        rule.endpoint: (rule.rule, set(rule.methods) - {"HEAD", "OPTIONS"})
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("staff.")
    }
    assert routes == STAFF_ROUTES
