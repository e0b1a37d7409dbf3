"""The key flows of a resident, in Chromium on a phone, against the demo district."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from booking.ops.demo import SCHOOLS

pytestmark = pytest.mark.browser

NAME = "周小雨"
PHONE = "13912345678"
PASSWORD = "lantern-river-2026"


def header(page: Page) -> Locator:
    return page.locator("header.site-header")


@pytest.mark.parametrize(
    ("locale", "lang", "title"),
    [
        ("zh-CN", "zh-Hans", "学校场馆向居民开放"),
        ("en-US", "en", "School facilities open to residents"),
    ],
    ids=["zh-CN", "en-US"],
)
def test_home_speaks_the_browser_language(make_page, screenshot, locale, lang, title):
    page = make_page(locale)
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    screenshot(page, f"home-{locale}")


def test_language_switch_sticks_to_the_next_page(make_page, screenshot):
    page = make_page("zh-CN")
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("学校场馆向居民开放")

    header(page).get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("School facilities open to residents")

    page.get_by_role("link", name=SCHOOLS[0].name_en, exact=True).click()
    expect(page).to_have_url(re.compile(f"/schools/{SCHOOLS[0].code}$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Facilities")).to_be_visible()
    screenshot(page, "school-en")


def test_resident_registers_logs_out_and_logs_back_in(make_page, screenshot):
    page = make_page("zh-CN")
    page.goto("/")
    header(page).get_by_role("link", name="注册").click()
    page.get_by_label("真实姓名").fill(NAME)
    page.get_by_label("手机号码").fill(PHONE)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("再次输入密码").fill(PASSWORD)
    page.get_by_label("我已阅读并接受隐私声明").check()
    screenshot(page, "register")
    page.get_by_role("button", name="创建账号").click()

    expect(header(page).get_by_text(NAME)).to_be_visible()
    logout = header(page).get_by_role("button", name="退出")
    expect(logout).to_be_visible()
    screenshot(page, "registered")

    logout.click()
    expect(header(page).get_by_text(NAME)).to_have_count(0)
    header(page).get_by_role("link", name="登录").click()
    page.get_by_label("手机号码").fill(PHONE)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="登录").click()

    expect(header(page).get_by_text(NAME)).to_be_visible()
    expect(header(page).get_by_role("button", name="退出")).to_be_visible()
    screenshot(page, "logged-in")


def test_malformed_phone_is_explained_beside_the_field(make_page, screenshot):
    page = make_page("zh-CN")
    page.goto("/auth/register")
    page.get_by_label("真实姓名").fill(NAME)
    page.get_by_label("手机号码").fill("1391234")
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("再次输入密码").fill(PASSWORD)
    page.get_by_role("button", name="创建账号").click()

    phone = page.get_by_label("手机号码")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_have_accessible_description("请输入 11 位大陆手机号码，例如 13800138000。")
    expect(page.locator("#phone + .field-error")).to_be_visible()
    screenshot(page, "register-error")


def test_home_to_school_to_facility_shows_opening_hours(make_page, screenshot):
    page = make_page("zh-CN")
    page.goto("/")
    page.get_by_role("link", name=SCHOOLS[0].name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SCHOOLS[0].name)
    screenshot(page, "school")

    page.get_by_role("link", name="阅览室").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("阅览室")
    expect(page.get_by_role("heading", name="开放时间")).to_be_visible()
    expect(page.locator("ul.hours")).to_contain_text("18:30–21:00")
    screenshot(page, "facility")
