"""An account a resident can trust, on a phone: register with an SMS code,
change the password and see the other browser signed out, forget it and
reset it by code, sign out everywhere, and delete the account, after which
its booking is cancelled and its name is gone from the school's pages."""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Locator, Page, expect

from booking.extensions import db
from booking.models import Booking, Facility, School, Slot
from booking.ops.demo import SCHOOLS, STAFF_PASSWORD, staff_phone
from booking.services.clock import local_date, utcnow, zone

pytestmark = pytest.mark.browser

NAME = "欧阳晓岚"
PHONE = "13987650001"
FIRST = "tide-lantern-2026"
SECOND = "quiet-harbour-bells"
THIRD = "seventeen-paper-cranes"

TEXT = {
    "zh-CN": {
        "real_name": "真实姓名",
        "phone": "手机号码",
        "send_code": "获取短信验证码",
        "sms_code": "短信验证码",
        "password": "密码",
        "confirm": "再次输入密码",
        "create": "创建账号",
        "privacy": "我已阅读并接受隐私声明",
        "log_in": "登录",
        "log_out": "退出",
        "account": "我的账户",
        "change": "修改密码",
        "current": "当前密码",
        "new": "新密码",
        "forgot": "忘记密码？",
        "send": "发送验证码",
        "set": "设置新密码",
        "everywhere": "在所有设备上退出登录",
        "delete": "注销账户",
        "your_password": "您的密码",
        "understood": "我知道注销后无法恢复",
        "delete_for_good": "永久注销我的账户",
        "people": "人数",
        "book": "预约",
        "terms": "我已阅读并同意以上入校须知",
        "deleted": "已注销的账户",
    },
    "en-US": {
        "real_name": "Real name",
        "phone": "Mobile number",
        "send_code": "Send me a code by SMS",
        "sms_code": "Code from the SMS",
        "password": "Password",
        "confirm": "Password again",
        "create": "Create my account",
        "privacy": "I have read the privacy notice and accept it",
        "log_in": "Log in",
        "log_out": "Log out",
        "account": "My account",
        "change": "Change my password",
        "current": "Current password",
        "new": "New password",
        "forgot": "Forgot your password?",
        "send": "Send me a code",
        "set": "Set the new password",
        "everywhere": "Sign out everywhere",
        "delete": "Delete my account",
        "your_password": "Your password",
        "understood": "I understand that this cannot be undone",
        "delete_for_good": "Delete my account for good",
        "people": "Number of people",
        "book": "Book",
        "terms": "I have read and accept the visitor rules above",
        "deleted": "Deleted account",
    },
}


def main(page: Page) -> Locator:
    return page.get_by_role("main")


def header(page: Page) -> Locator:
    return page.locator("header.site-header")


def last_code(caplog: pytest.LogCaptureFixture, page: Page, sent_before: int) -> str:
    """The code of the SMS sent after `sent_before` others: the server thread may
    log it a moment after the click returns."""
    for _ in range(50):
        codes = re.findall(r"code is (\d{6})", caplog.text)
        if len(codes) > sent_before:
            return codes[-1]
        page.wait_for_timeout(100)
    raise AssertionError("no new SMS code was written to the log")


def log_in(page: Page, text: dict[str, str], password: str, phone: str = PHONE) -> None:
    page.goto("/auth/login")
    main(page).get_by_label(text["phone"]).fill(phone)
    main(page).get_by_label(text["password"], exact=True).fill(password)
    main(page).get_by_role("button", name=text["log_in"]).click()


def tomorrow() -> date:
    return local_date(utcnow(), zone("Asia/Shanghai")) + timedelta(days=1)


def school_of(app: Flask, code: str) -> int:
    """The demo index of the school of booking `code` (its staff log in with staff_phone)."""
    with app.app_context():
        school_code = db.session.scalar(
            sa.select(School.code)
            .join(Facility, Facility.school_id == School.id)
            .join(Slot, Slot.facility_id == Facility.id)
            .join(Booking, Booking.slot_id == Slot.id)
            .where(Booking.code == code)
        )
        db.session.remove()
    return [school.code for school in SCHOOLS].index(school_code)


def is_signed_in(page: Page, text: dict[str, str]) -> bool:
    page.goto("/")
    return header(page).get_by_role("button", name=text["log_out"]).count() == 1


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_an_account_from_registration_to_deletion(app, make_page, screenshot, caplog, locale):
    caplog.set_level(logging.WARNING, logger="booking.sms")
    app.config["SMS_VERIFY_REGISTRATION"] = True
    text = TEXT[locale]
    page = make_page(locale)

    # Register, proving the number with the code from the SMS (the console log here).
    page.goto("/auth/register")
    form = main(page)
    form.get_by_label(text["real_name"]).fill(NAME)
    form.get_by_label(text["phone"]).fill(PHONE)
    form.get_by_role("button", name=text["send_code"]).click()
    form.get_by_label(text["sms_code"]).fill(last_code(caplog, page, sent_before=0))
    form.get_by_label(text["password"], exact=True).fill(FIRST)
    form.get_by_label(text["confirm"]).fill(FIRST)
    form.get_by_label(text["privacy"]).check()
    screenshot(page, f"{locale}-1-register")
    form.get_by_role("button", name=text["create"]).click()
    expect(header(page).get_by_text(NAME)).to_be_visible()

    # Book a reading-room seat, so that deleting the account has something to cancel.
    page.goto(f"/find?kind=reading_room&date={tomorrow().isoformat()}")
    main(page).locator("ul.slots li.slot-open a").first.click()
    main(page).get_by_label(text["people"]).fill("1")
    main(page).get_by_label(text["terms"]).check()
    main(page).get_by_role("button", name=text["book"], exact=True).click()
    code = main(page).locator("p.code").inner_text()
    school_index = school_of(app, code)

    # A second browser signs in too; changing the password here signs it out.
    other = make_page(locale)
    log_in(other, text, FIRST)
    assert is_signed_in(other, text)
    header(page).get_by_role("link", name=NAME).click()
    main(page).get_by_role("link", name=text["change"]).click()
    main(page).get_by_label(text["current"]).fill(FIRST)
    main(page).get_by_label(text["new"]).fill(SECOND)
    main(page).get_by_label(text["confirm"]).fill(SECOND)
    main(page).get_by_role("button", name=text["change"]).click()
    screenshot(page, f"{locale}-2-password-changed")
    assert is_signed_in(page, text)
    assert not is_signed_in(other, text)

    # Forgotten: reset with the code sent by SMS.
    header(page).get_by_role("button", name=text["log_out"]).click()
    page.goto("/auth/login")
    main(page).get_by_role("link", name=text["forgot"]).click()
    main(page).get_by_label(text["phone"]).fill(PHONE)
    main(page).get_by_role("button", name=text["send"]).click()
    main(page).get_by_label(text["sms_code"]).fill(last_code(caplog, page, sent_before=1))
    main(page).get_by_label(text["new"]).fill(THIRD)
    main(page).get_by_label(text["confirm"]).fill(THIRD)
    screenshot(page, f"{locale}-3-reset")
    main(page).get_by_role("button", name=text["set"]).click()
    log_in(page, text, SECOND)
    assert not is_signed_in(page, text)
    log_in(page, text, THIRD)
    assert is_signed_in(page, text)

    # Sign out everywhere: this browser and the other one.
    log_in(other, text, THIRD)
    page.goto("/account")
    main(page).get_by_role("button", name=text["everywhere"]).click()
    assert not is_signed_in(page, text)
    assert not is_signed_in(other, text)

    # Delete the account: the booking is cancelled and the name gone.
    log_in(page, text, THIRD)
    page.goto("/account")
    main(page).get_by_role("link", name=text["delete"]).click()
    expect(main(page).get_by_text(code)).to_be_visible()  # listed as what will be cancelled
    main(page).get_by_label(text["your_password"]).fill(THIRD)
    main(page).get_by_label(text["understood"]).check()
    screenshot(page, f"{locale}-4-delete")
    main(page).get_by_role("button", name=text["delete_for_good"]).click()
    assert not is_signed_in(page, text)
    log_in(page, text, THIRD)
    assert not is_signed_in(page, text)

    # The school's staff see the cancellation, without the name.
    staff = make_page(locale)
    log_in(staff, text, STAFF_PASSWORD, phone=staff_phone(school_index))
    staff.goto(f"/staff/requests/{code}")
    body = main(staff)
    expect(body).to_contain_text(text["deleted"])
    expect(body).not_to_contain_text(NAME)
    screenshot(staff, f"{locale}-5-staff-sees-it")
