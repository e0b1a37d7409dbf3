"""The key pages render in Chromium with the Content-Security-Policy on, and
the browser reports no violation of it: the home page, a facility's week, a
resident's booking with its QR code, and the staff check-in page."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import ConsoleMessage, Page, expect

from booking.extensions import db
from booking.models import FacilityKind
from booking.ops.demo import RESIDENT_PASSWORD, STAFF_PASSWORD
from tests.browser.test_staff_flow import (
    GATE_RESIDENT,
    STAFF_PHONE,
    booking_starting_soon,
    school_facility,
)

pytestmark = pytest.mark.browser


def watch_for_violations(page: Page) -> list[str]:
    """Chromium reports each refused script, style, image or frame on the console."""
    violations: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(f"{page.url}: {message.text}")

    page.on("console", note)
    return violations


def visit(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None, path
    assert response.ok, path
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def log_in(page: Page, phone: str, password: str) -> None:
    visit(page, "/auth/login")
    main = page.get_by_role("main")
    main.get_by_label("手机号码").fill(phone)
    main.get_by_label("密码").fill(password)
    main.get_by_role("button", name="登录").click()
    expect(page.locator("header.site-header").get_by_role("button", name="退出")).to_be_visible()


def test_the_key_pages_render_without_a_policy_violation(app: Flask, make_page):
    code = booking_starting_soon(app)
    with app.app_context():
        reading_room = school_facility(FacilityKind.READING_ROOM).id
        db.session.remove()

    visitor = make_page("zh-CN")
    violations = watch_for_violations(visitor)
    visit(visitor, "/")
    expect(visitor.get_by_role("heading", level=1)).to_be_visible()
    visit(visitor, f"/facilities/{reading_room}")
    expect(visitor.get_by_role("heading", name="开放时间")).to_be_visible()

    resident = make_page("zh-CN")
    violations += watch_for_violations(resident)
    log_in(resident, GATE_RESIDENT, RESIDENT_PASSWORD)
    visit(resident, f"/bookings/{code}")
    qr = resident.locator(".qr svg")
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] > 150  # 12rem from app.css, not its own 29mm

    staff = make_page("zh-CN")
    violations += watch_for_violations(staff)
    log_in(staff, STAFF_PHONE, STAFF_PASSWORD)
    visit(staff, f"/staff/checkin/{code}")
    expect(staff).to_have_url(re.compile(f"/staff/checkin/{code}$"))
    expect(staff.get_by_role("main").get_by_role("button", name="签到", exact=True)).to_be_visible()

    assert violations == []
