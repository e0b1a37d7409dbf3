"""Booking on a phone: a newcomer books and cancels; a regular joins a waitlist."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Locator, Page, expect

from booking.extensions import db
from booking.models import Facility, FacilityKind, Slot
from booking.ops.demo import RESIDENT_PASSWORD
from booking.services import accounts, bookings
from booking.services.clock import local_date, local_instant, utcnow, zone
from booking.services.policy import policies_for

pytestmark = pytest.mark.browser

TZ = zone("Asia/Shanghai")
NEWCOMER_NAME = "林晓风"
NEWCOMER_PHONE = "13987654321"  # not a demo staff login (13900000001..17)
NEWCOMER_PASSWORD = "harbour-kite-2026"
WAITER_PHONE = "13700000001"
FILLERS = ("13700000002", "13700000003", "13700000004")

TEXT = {
    "zh-CN": {
        "register": "注册",
        "real_name": "真实姓名",
        "phone": "手机号码",
        "password": "密码",
        "confirm": "再次输入密码",
        "create": "创建账号",
        "privacy": "我已阅读并接受隐私声明",
        "log_in": "登录",
        "find": "查找",
        "kind": "类型",
        "date": "日期",
        "search": "搜索",
        "seats_left": re.compile(r"剩余 \d+/\d+ 个座位"),
        "people": "人数",
        "book": "预约",
        "terms": "我已阅读并同意以上入校须知",
        "booked": "预约成功。入校时请出示此预约码。",
        "confirmed": "已确认",
        "cancel": "取消预约",
        "cancel_yes": "是的，取消此预约",
        "calendar": "加入日历（.ics）",
        "my_bookings": "我的预约",
        "cancelled": "已取消",
        "cancelled_flash": "预约 {code} 已取消，名额已释放。",
        "full_row": "已满 · 加入候补",
        "full": "已满",
        "join": "加入候补",
        "on_waitlist": "已满 · 您已在候补中",
        "waitlist_flash": "您是候补第 1 位。",
        "waitlist": "候补",
        "first_in_line": "候补第 1 位",
    },
    "en-US": {
        "register": "Register",
        "real_name": "Real name",
        "phone": "Mobile number",
        "password": "Password",
        "confirm": "Password again",
        "create": "Create my account",
        "privacy": "I have read the privacy notice and accept it",
        "log_in": "Log in",
        "find": "Find",
        "kind": "Kind",
        "date": "Date",
        "search": "Search",
        "seats_left": re.compile(r"\d+ of \d+ seats left"),
        "people": "Number of people",
        "book": "Book",
        "terms": "I have read and accept the visitor rules above",
        "booked": "Booked. Show this code at the gate.",
        "confirmed": "Confirmed",
        "cancel": "Cancel this booking",
        "cancel_yes": "Yes, cancel this booking",
        "calendar": "Add to calendar (.ics)",
        "my_bookings": "My bookings",
        "cancelled": "Cancelled",
        "cancelled_flash": "Booking {code} is cancelled; its places went back.",
        "full_row": "Full · join the waitlist",
        "full": "Full",
        "join": "Join the waitlist",
        "on_waitlist": "Full · you are on the waitlist",
        "waitlist_flash": "You are number 1 on the waitlist.",
        "waitlist": "Waitlist",
        "first_in_line": "Number 1 in line",
    },
}
LOCALES = pytest.mark.parametrize("locale", ["zh-CN", "en-US"])


def tomorrow() -> date:
    return local_date(utcnow(), TZ) + timedelta(days=1)


def header(page: Page) -> Locator:
    return page.locator("header.site-header")


def main(page: Page) -> Locator:
    return page.get_by_role("main")


def booking_row(page: Page, code: str) -> Locator:
    return main(page).locator("li.booking-row").filter(has_text=code)


def log_in(page: Page, text: dict[str, object], phone: str, password: str) -> None:
    page.goto("/auth/login")
    main(page).get_by_label(str(text["phone"])).fill(phone)
    main(page).get_by_label(str(text["password"])).fill(password)
    main(page).get_by_role("button", name=str(text["log_in"])).click()
    expect(header(page).get_by_role("link", name=str(text["my_bookings"]))).to_be_visible()


@LOCALES
def test_newcomer_registers_books_and_cancels(make_page, screenshot, locale):
    text = TEXT[locale]
    page = make_page(locale)

    # Register: the new account is logged in at once.
    page.goto("/")
    header(page).get_by_role("link", name=text["register"]).click()
    form = main(page)
    form.get_by_label(text["real_name"]).fill(NEWCOMER_NAME)
    form.get_by_label(text["phone"]).fill(NEWCOMER_PHONE)
    form.get_by_label(text["password"], exact=True).fill(NEWCOMER_PASSWORD)
    form.get_by_label(text["confirm"]).fill(NEWCOMER_PASSWORD)
    form.get_by_label(text["privacy"]).check()
    screenshot(page, f"{locale}-1-register")
    form.get_by_role("button", name=text["create"]).click()
    expect(header(page).get_by_text(NEWCOMER_NAME)).to_be_visible()

    # Find a reading room free tomorrow, with the search form.
    header(page).get_by_role("link", name=text["find"], exact=True).click()
    expect(page).to_have_url(re.compile(r"/find$"))
    main(page).get_by_label(text["kind"]).select_option("reading_room")
    main(page).get_by_label(text["date"]).fill(tomorrow().isoformat())
    main(page).get_by_role("button", name=text["search"]).click()
    # the search's own fields, in whatever order the form lists them (area, part, ...)
    expect(page).to_have_url(
        re.compile(rf"(?=.*[?&]kind=reading_room&)(?=.*[?&]date={tomorrow().isoformat()}&)")
    )
    open_slot = main(page).locator("ul.slots li.slot-open a").first
    expect(open_slot).to_have_text(text["seats_left"])
    screenshot(page, f"{locale}-2-find")

    # Book one person.
    open_slot.click()
    expect(page).to_have_url(re.compile(r"/slots/\d+/book$"))
    main(page).get_by_label(text["people"]).fill("1")
    main(page).get_by_label(text["terms"]).check()  # the school's visitor rules
    screenshot(page, f"{locale}-3-book")
    main(page).get_by_role("button", name=text["book"], exact=True).click()

    # The gate pass: status, code, QR code.
    expect(page).to_have_url(re.compile(r"/bookings/[A-Z0-9]{6}$"))
    expect(main(page).get_by_role("status")).to_have_text(text["booked"])
    expect(main(page).locator(".status-tag")).to_have_text(text["confirmed"])
    code_text = main(page).locator("p.code")
    expect(code_text).to_have_text(re.compile(r"^[A-Z0-9]{6}$"))
    code = code_text.inner_text()
    assert page.url.endswith(f"/bookings/{code}")
    expect(main(page).locator(".qr svg")).to_be_visible()
    expect(main(page).get_by_role("button", name=text["cancel"])).to_be_visible()
    # An <a role="button">: a download link styled as a button.
    calendar = main(page).get_by_role("button", name=text["calendar"])
    expect(calendar).to_have_attribute("href", f"/bookings/{code}/calendar.ics")
    screenshot(page, f"{locale}-4-booked")

    # My bookings lists it.
    header(page).get_by_role("link", name=text["my_bookings"]).click()
    expect(page).to_have_url(re.compile(r"/me/bookings$"))
    row = booking_row(page, code)
    expect(row).to_have_count(1)
    expect(row.locator(".status-tag")).to_have_text(text["confirmed"])
    screenshot(page, f"{locale}-5-my-bookings")

    # Back to the booking, and cancel it.
    row.get_by_role("link").click()
    expect(page).to_have_url(re.compile(f"/bookings/{code}$"))
    main(page).get_by_role("button", name=text["cancel"]).click()
    expect(page).to_have_url(re.compile(f"/bookings/{code}/cancel$"))
    main(page).get_by_role("button", name=text["cancel_yes"]).click()

    expect(page).to_have_url(re.compile(r"/me/bookings$"))
    expect(main(page).get_by_role("status")).to_have_text(
        str(text["cancelled_flash"]).format(code=code)
    )
    expect(booking_row(page, code).locator(".status-tag")).to_have_text(text["cancelled"])
    screenshot(page, f"{locale}-6-cancelled")

    # The cancelled booking is no gate pass any more.
    booking_row(page, code).get_by_role("link").click()
    expect(main(page).locator(".status-tag")).to_have_text(text["cancelled"])
    expect(main(page).locator(".qr")).to_have_count(0)
    expect(main(page).get_by_role("button", name=text["cancel"])).to_have_count(0)


def fill_first_reading_room_slot(app: Flask, day: date) -> int:
    """Book every place of the first open reading-room slot of `day`, through the
    booking service (so `held` matches the bookings); returns the slot id."""
    with app.app_context():
        now = utcnow()
        start = local_instant(day, datetime.min.time(), TZ)
        slot = db.session.scalar(
            sa.select(Slot)
            .join(Facility, Slot.facility_id == Facility.id)
            .where(
                Facility.kind == FacilityKind.READING_ROOM,
                Facility.is_active,
                Slot.starts_at >= start,
                Slot.starts_at < start + timedelta(days=1),
                Slot.starts_at > now,
                Slot.opens_at <= now,
                Slot.cancelled_at.is_(None),
                Slot.held == 0,
            )
            .order_by(Slot.starts_at, Slot.id)
            .limit(1)
        )
        assert slot is not None, f"no open reading-room slot on {day}"
        slot_id, capacity = slot.id, slot.capacity
        share, rest = divmod(capacity, len(FILLERS))
        parties = [share + (1 if i < rest else 0) for i in range(len(FILLERS))]
        policy = policies_for(db.session, [slot.facility_id])[slot.facility_id]
        facility = db.session.get(Slot, slot_id).facility
        terms = bookings.current_terms(db.session, facility.school_id)
        for phone, places in zip(FILLERS, parties, strict=True):
            resident = accounts.find_by_phone(db.session, phone)
            assert resident is not None
            bookings.book(
                db.session,
                slot_id,
                resident,
                bookings.BookingRequest(places=places, terms_version=terms.version),
                policy=policy,
                now=now,
            )
        db.session.commit()
        filled = db.session.get(Slot, slot_id)
        db.session.refresh(filled)
        assert filled.held == filled.capacity == capacity
        db.session.remove()
    return slot_id


@LOCALES
def test_resident_joins_the_waitlist_of_a_full_slot(app, make_page, screenshot, locale):
    text = TEXT[locale]
    day = tomorrow()
    slot_id = fill_first_reading_room_slot(app, day)
    page = make_page(locale)
    log_in(page, text, WAITER_PHONE, RESIDENT_PASSWORD)

    # The search shows the slot as full, with the way onto its waitlist.
    page.goto(f"/find?kind=reading_room&date={day.isoformat()}")
    full = main(page).locator(f'a[href="/slots/{slot_id}/book"]')
    expect(full).to_have_text(text["full_row"])
    screenshot(page, f"{locale}-1-find-full")

    full.click()
    expect(page).to_have_url(re.compile(f"/slots/{slot_id}/book$"))
    expect(main(page).locator("article header")).to_contain_text(text["full"])
    expect(main(page).get_by_role("button", name=text["book"], exact=True)).to_have_count(0)
    join = main(page).get_by_role("button", name=text["join"])
    expect(join).to_be_visible()
    screenshot(page, f"{locale}-2-slot-full")
    main(page).get_by_label(text["terms"]).check()
    join.click()

    expect(page).to_have_url(re.compile(r"/me/bookings$"))
    expect(main(page).get_by_role("status")).to_have_text(text["waitlist_flash"])
    waitlist = (
        main(page)
        .locator("section")
        .filter(has=page.get_by_role("heading", name=text["waitlist"], exact=True))
    )
    expect(waitlist.locator("li.booking-row")).to_have_count(1)
    expect(waitlist.locator("li.booking-row")).to_contain_text(text["first_in_line"])
    screenshot(page, f"{locale}-3-waitlisted")

    # Back on the search, the row says so instead of offering the waitlist again.
    page.goto(f"/find?kind=reading_room&date={day.isoformat()}")
    expect(main(page).locator(f'a[href="/slots/{slot_id}/book"]')).to_have_count(0)
    expect(main(page).locator("li.slot").filter(has_text=text["on_waitlist"])).to_have_count(1)
