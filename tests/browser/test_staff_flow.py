"""The staff of a school at work, on a phone and on a laptop: deciding a hall
request, checking a visitor in at the gate, closing a facility for a day."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from booking.extensions import db
from booking.models import (
    AuditEvent,
    Booking,
    BookingStatus,
    Closure,
    Facility,
    FacilityKind,
    School,
    Slot,
)
from booking.ops.demo import STAFF_PASSWORD, staff_phone
from booking.services import accounts, bookings
from booking.services.clock import local_date, local_instant, utcnow, zone
from booking.services.policy import policies_for
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser

TZ = zone("Asia/Shanghai")
SCHOOL = "NC-YG05"
STAFF_PHONE = staff_phone(0)  # 13900000001, staff of NC-YG05
HALL_RESIDENT = "13700000001"
GATE_RESIDENT = "13700000002"
CLOSURE_RESIDENT = "13700000003"
PURPOSE = "社区家长讲座：青少年睡眠与学习"
ORGANISER = "南城街道家长互助会"
ATTENDANCE = 120
LAPTOP = {"viewport": {"width": 1280, "height": 800}}
DEVICES = {"phone": PHONE, "laptop": LAPTOP}

TEXT = {
    "zh-CN": {
        "phone": "手机号码",
        "password": "密码",
        "log_in": "登录",
        "requests": "待审核的申请",
        "nothing_to_decide": "没有待审核的申请。",
        "who_asks": "申请人",
        "what_for": "用途",
        "awaiting": "待审核",
        "approve": "批准",
        "decline_reason": "拒绝理由（居民可见）",
        "approved_flash": "申请 {code} 已批准，已通知居民。",
        "audit": "操作日志",
        "booking_confirmed": "申请已批准",
        "check_in": "签到",
        "booking_code": "预约码",
        "look_up": "查询",
        "valid_now": "有效，可以入校。",
        "already_in": re.compile(r"^已于 \d{2}:\d{2} 签到。$"),
        "checked_in": "已签到",
        "checked_in_flash": "{name} 已签到。",
        "closures": "闭馆安排",
        "what_closes": "闭馆范围",
        "first_day": "开始日期",
        "last_day": "结束日期",
        "reason": "原因",
        # The Chinese of the new label comes with zh-new.json; until it is in the catalogue,
        # the page shows the English.
        "note": re.compile(r"^(给居民的说明（中文|Note for residents, in Chinese)"),
        "preview": "预览",
        "before_confirm": "确认前请查看",
        "confirm": "确认并取消 1 个预约",
        "closure_added": "添加闭馆",
        "booking_cancelled": "预约取消",
    },
    "en-US": {
        "phone": "Mobile number",
        "password": "Password",
        "log_in": "Log in",
        "requests": "Requests to decide",
        "nothing_to_decide": "Nothing to decide.",
        "who_asks": "Who asks",
        "what_for": "What for",
        "awaiting": "Awaiting approval",
        "approve": "Approve",
        "decline_reason": "Reason for declining (the resident sees it)",
        "approved_flash": "Request {code} approved; the resident is told.",
        "audit": "Audit log",
        "booking_confirmed": "Request approved",
        "check_in": "Check in",
        "booking_code": "Booking code",
        "look_up": "Look up",
        "valid_now": "Valid now.",
        "already_in": re.compile(r"^Already checked in at \d{2}:\d{2}\.$"),
        "checked_in": "Checked in",
        "checked_in_flash": "{name} is checked in.",
        "closures": "Closures",
        "what_closes": "What closes",
        "first_day": "First day",
        "last_day": "Last day",
        "reason": "Reason",
        "note": re.compile(r"^Note for residents, in Chinese"),
        "preview": "Preview",
        "before_confirm": "Before you confirm",
        "confirm": "Confirm and cancel 1 booking",
        "closure_added": "Closure added",
        "booking_cancelled": "Booking cancelled",
    },
}
VIEWS = pytest.mark.parametrize(
    ("locale", "device"),
    [("zh-CN", "phone"), ("zh-CN", "laptop"), ("en-US", "phone"), ("en-US", "laptop")],
)


@pytest.fixture
def open_page(browser: Browser, live_server: str) -> Iterator[Callable[[str, str], Page]]:
    """A page on the live server, on a phone or a 1280x800 laptop, speaking `locale`."""
    contexts: list[BrowserContext] = []

    def open_(locale: str, device: str) -> Page:
        context = browser.new_context(base_url=live_server, locale=locale, **DEVICES[device])
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()


# --- The data, set up through the services ---------------------------------


def school_facility(kind: FacilityKind) -> Facility:
    facility = db.session.scalar(
        sa.select(Facility)
        .join(School, Facility.school_id == School.id)
        .where(School.code == SCHOOL, Facility.kind == kind)
    )
    assert facility is not None, f"{SCHOOL} has no {kind}"
    return facility


def first_open_slot(kind: FacilityKind, now: datetime, *, days: tuple[int, int] | None = None):
    """The earliest bookable, empty slot of the school's facility of `kind`,
    optionally starting on a local day `days` (first, last) days from today."""
    query = (
        sa.select(Slot)
        .join(Facility, Slot.facility_id == Facility.id)
        .join(School, Facility.school_id == School.id)
        .where(
            School.code == SCHOOL,
            Facility.kind == kind,
            Slot.opens_at <= now,
            Slot.starts_at > now,
            Slot.cancelled_at.is_(None),
            Slot.held == 0,
        )
        .order_by(Slot.starts_at, Slot.id)
        .limit(1)
    )
    if days is not None:
        today = local_date(now, TZ)
        query = query.where(
            Slot.starts_at >= local_instant(today + timedelta(days=days[0]), time(0), TZ),
            Slot.starts_at < local_instant(today + timedelta(days=days[1] + 1), time(0), TZ),
        )
    slot = db.session.scalar(query)
    assert slot is not None, f"no open {kind} slot at {SCHOOL}"
    return slot


def book(app: Flask, slot: Slot, phone: str, now: datetime, **request: object) -> tuple[str, int]:
    """Book `slot` for the resident through the booking service; (code, id)."""
    resident = accounts.find_by_phone(db.session, phone)
    assert resident is not None
    facility = slot.facility
    terms = bookings.current_terms(db.session, facility.school_id)
    booking = bookings.book(
        db.session,
        slot.id,
        resident,
        bookings.BookingRequest(terms_version=terms.version if terms else None, **request),
        policy=policies_for(db.session, [facility.id])[facility.id],
        now=now,
    )
    return booking.code, booking.id


def pending_hall_request(app: Flask) -> str:
    with app.app_context():
        now = utcnow()
        slot = first_open_slot(FacilityKind.LECTURE_HALL, now)
        code, _ = book(
            app,
            slot,
            HALL_RESIDENT,
            now,
            purpose=PURPOSE,
            organiser=ORGANISER,
            attendance=ATTENDANCE,
        )
        db.session.commit()
        db.session.remove()
    assert status_of(app, code) is BookingStatus.PENDING
    return code


def booking_starting_soon(app: Flask) -> str:
    """A confirmed reading-room booking whose slot starts in about ten minutes,
    on today's local date (the gate only lets in today's bookings)."""
    with app.app_context():
        now = utcnow()
        midnight = local_instant(local_date(now, TZ) + timedelta(days=1), time(0), TZ)
        starts = now + min(timedelta(minutes=10), (midnight - now) / 2)
        slot = Slot(
            facility_id=school_facility(FacilityKind.READING_ROOM).id,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            opens_at=now - timedelta(days=1),
            capacity=40,
            held=0,
            created_at=now,
        )
        db.session.add(slot)
        db.session.flush()
        code, _ = book(app, slot, GATE_RESIDENT, now, places=1)
        db.session.commit()
        db.session.remove()
    assert status_of(app, code) is BookingStatus.CONFIRMED
    return code


def booking_days_ahead(app: Flask) -> tuple[str, int, date]:
    """A confirmed reading-room booking 3-6 days ahead: (code, facility id, local day)."""
    with app.app_context():
        now = utcnow()
        slot = first_open_slot(FacilityKind.READING_ROOM, now, days=(3, 6))
        facility_id, day = slot.facility_id, local_date(slot.starts_at, TZ)
        code, _ = book(app, slot, CLOSURE_RESIDENT, now, places=2)
        db.session.commit()
        db.session.remove()
    assert status_of(app, code) is BookingStatus.CONFIRMED
    return code, facility_id, day


def status_of(app: Flask, code: str) -> BookingStatus:
    with app.app_context():
        status = db.session.scalar(sa.select(Booking.status).where(Booking.code == code))
        db.session.remove()
    assert status is not None, f"no booking {code}"
    return BookingStatus(status)


def closures_of(app: Flask, facility_id: int) -> int:
    with app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Closure)
            .where(Closure.facility_id == facility_id)
        )
        db.session.remove()
    return int(count or 0)


def audit_actions(app: Flask, code: str) -> list[str]:
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.target_type == "booking").order_by(AuditEvent.id)
        ).all()
        actions = [e.action for e in events if (e.details or {}).get("code") == code]
        db.session.remove()
    return actions


# --- The pages ---------------------------------------------------------------


def main(page: Page) -> Locator:
    return page.get_by_role("main")


def flash(page: Page) -> Locator:
    return main(page).locator("p.flash")


def staff_nav(page: Page) -> Locator:
    return main(page).locator("nav.staff-nav")


def log_in_as_staff(page: Page, text: dict[str, object]) -> None:
    page.goto("/auth/login")
    main(page).get_by_label(str(text["phone"])).fill(STAFF_PHONE)
    main(page).get_by_label(str(text["password"])).fill(STAFF_PASSWORD)
    main(page).get_by_role("button", name=str(text["log_in"])).click()
    expect(page).to_have_url(re.compile(r"/staff/$"))


def audit_row(page: Page, code: str, action: str) -> Locator:
    return main(page).locator("tbody tr").filter(has_text=code).filter(has_text=action)


# --- The tests ---------------------------------------------------------------


@VIEWS
def test_staff_approves_a_hall_request(app, open_page, screenshot, locale, device):
    text = TEXT[locale]
    code = pending_hall_request(app)
    page = open_page(locale, device)

    # Logging in lands on the staff home, which lists the request.
    log_in_as_staff(page, text)
    requests = (
        main(page)
        .locator("section")
        .filter(has=page.get_by_role("heading", name=str(text["requests"]), exact=True))
    )
    item = requests.locator("ul.booking-list li").filter(has_text=PURPOSE)
    expect(item).to_have_count(1)
    expect(item).to_contain_text("李明")
    screenshot(page, f"{locale}-{device}-1-home")

    # The request: who asks, and what for.
    item.get_by_role("link").click()
    expect(page).to_have_url(re.compile(f"/staff/requests/{code}$"))
    article = main(page).locator("article")
    expect(article.locator(".status-tag")).to_have_text(str(text["awaiting"]))
    expect(article.locator("code")).to_have_text(code)
    expect(page.get_by_role("heading", name=str(text["who_asks"]))).to_be_visible()
    expect(article.locator("dl.facts").first).to_contain_text("李明")
    expect(article.locator("dl.facts").first).to_contain_text("137****0001")
    expect(article).not_to_contain_text(HALL_RESIDENT)  # the number stays masked
    expect(page.get_by_role("heading", name=str(text["what_for"]))).to_be_visible()
    what_for = article.locator("dl.facts").nth(1)
    expect(what_for).to_contain_text(PURPOSE)
    expect(what_for).to_contain_text(ORGANISER)
    expect(what_for).to_contain_text(str(ATTENDANCE))
    # Declining needs a reason, asked for beside the decline button.
    decline = article.locator(f'form[action$="/staff/requests/{code}/reject"]')
    expect(decline.get_by_label(str(text["decline_reason"]))).to_be_visible()
    expect(decline.get_by_role("button")).to_be_visible()
    screenshot(page, f"{locale}-{device}-2-request")

    main(page).get_by_role("button", name=str(text["approve"]), exact=True).click()

    # Back home: told so, and the request is decided.
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(flash(page)).to_have_text(str(text["approved_flash"]).format(code=code))
    expect(requests.locator("ul.booking-list li")).to_have_count(0)
    expect(requests).to_contain_text(str(text["nothing_to_decide"]))
    assert status_of(app, code) is BookingStatus.CONFIRMED
    screenshot(page, f"{locale}-{device}-3-approved")

    # The audit log shows the approval, in the page's language.
    staff_nav(page).get_by_role("link", name=str(text["audit"])).click()
    expect(page).to_have_url(re.compile(r"/staff/audit$"))
    expect(audit_row(page, code, str(text["booking_confirmed"]))).to_have_count(1)
    assert audit_actions(app, code) == ["booking.pending", "booking.confirmed"]
    screenshot(page, f"{locale}-{device}-4-audit")


@VIEWS
def test_staff_checks_a_visitor_in(app, open_page, screenshot, locale, device):
    text = TEXT[locale]
    code = booking_starting_soon(app)
    page = open_page(locale, device)
    log_in_as_staff(page, text)

    staff_nav(page).get_by_role("link", name=str(text["check_in"]), exact=True).click()
    expect(page).to_have_url(re.compile(r"/staff/checkin$"))
    # The guard types what the visitor shows; lower case is fine.
    main(page).get_by_label(str(text["booking_code"])).fill(code.lower())
    screenshot(page, f"{locale}-{device}-1-code")
    main(page).get_by_role("button", name=str(text["look_up"])).click()

    expect(page).to_have_url(re.compile(f"/staff/checkin/{code}$"))
    verdict = main(page).locator("p.verdict")
    expect(verdict).to_have_text(str(text["valid_now"]))
    expect(main(page).locator("article.gate-ok")).to_be_visible()
    expect(main(page).locator("dl.facts")).to_contain_text("王芳")
    expect(main(page).locator("dl.facts")).to_contain_text("137****0002")
    check_in = main(page).get_by_role("button", name=str(text["check_in"]), exact=True)
    screenshot(page, f"{locale}-{device}-2-valid")
    check_in.click()

    expect(page).to_have_url(re.compile(f"/staff/checkin/{code}$"))
    expect(flash(page)).to_have_text(str(text["checked_in_flash"]).format(name="王芳"))
    expect(verdict).to_have_text(text["already_in"])
    expect(main(page).locator("article.gate-done")).to_be_visible()
    expect(main(page).locator(".status-tag")).to_have_text(str(text["checked_in"]))
    expect(check_in).to_have_count(0)
    assert status_of(app, code) is BookingStatus.CHECKED_IN
    screenshot(page, f"{locale}-{device}-3-checked-in")


@VIEWS
def test_staff_closes_a_facility_for_a_day(app, open_page, screenshot, locale, device):
    text = TEXT[locale]
    code, facility_id, day = booking_days_ahead(app)
    page = open_page(locale, device)
    log_in_as_staff(page, text)

    staff_nav(page).get_by_role("link", name=str(text["closures"])).click()
    expect(page).to_have_url(re.compile(r"/staff/closures$"))
    form = main(page)
    form.get_by_label(str(text["what_closes"])).select_option(str(facility_id))
    form.get_by_label(str(text["first_day"])).fill(day.isoformat())
    form.get_by_label(str(text["last_day"])).fill(day.isoformat())
    form.get_by_label(str(text["reason"]), exact=True).select_option("maintenance")
    form.get_by_label(text["note"]).fill("阅览室空调检修")
    screenshot(page, f"{locale}-{device}-1-form")
    form.get_by_role("button", name=str(text["preview"])).click()

    # The preview lists the booking it would cancel, and changes nothing yet.
    preview = main(page).locator("article.preview")
    expect(preview.get_by_role("heading", name=str(text["before_confirm"]))).to_be_visible()
    expect(preview.locator("tbody tr").filter(has_text=code)).to_have_count(1)
    expect(preview.locator("tbody tr")).to_have_count(1)
    expect(preview.locator("tbody tr")).to_contain_text("张伟")
    assert status_of(app, code) is BookingStatus.CONFIRMED
    assert closures_of(app, facility_id) == 0
    screenshot(page, f"{locale}-{device}-2-preview")

    preview.get_by_role("button", name=str(text["confirm"]), exact=True).click()

    expect(page).to_have_url(re.compile(r"/staff/closures$"))
    expect(flash(page)).to_be_visible()
    expect(main(page).locator("article.preview")).to_have_count(0)
    expect(main(page).locator("tbody tr")).to_have_count(1)  # the closure, now ahead
    assert status_of(app, code) is BookingStatus.CANCELLED
    assert closures_of(app, facility_id) == 1
    screenshot(page, f"{locale}-{device}-3-confirmed")

    # The audit log: the closure, and the booking it cancelled.
    staff_nav(page).get_by_role("link", name=str(text["audit"])).click()
    expect(page).to_have_url(re.compile(r"/staff/audit$"))
    expect(
        main(page).locator("tbody tr").filter(has_text=str(text["closure_added"]))
    ).to_have_count(1)
    expect(audit_row(page, code, str(text["booking_cancelled"]))).to_have_count(1)
    screenshot(page, f"{locale}-{device}-4-audit")
