"""The facility week and the header in Chromium, on a laptop and on a phone,
against the demo district: a grid on one, a day strip on the other, 44 px
targets and a header of at most two rows on the phone."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Locator, Page, expect

from booking.extensions import db
from booking.models import Facility, FacilityKind, School
from booking.ops.demo import RESIDENT_PASSWORD, STAFF_PASSWORD
from tests.browser.conftest import LAPTOP

pytestmark = pytest.mark.browser

LOCALES = pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
TOUCH = 44  # px, the least height of anything to tap on a phone
LOGIN = {"zh-CN": ("手机号码", "密码", "登录"), "en-US": ("Mobile number", "Password", "Log in")}


def reading_room(app: Flask) -> int:
    """The reading room of school NC-YG05."""
    with app.app_context():
        found = db.session.scalar(
            sa.select(Facility.id)
            .join(School, Facility.school_id == School.id)
            .where(School.code == "NC-YG05", Facility.kind == FacilityKind.READING_ROOM)
        )
        db.session.remove()
    assert found is not None
    return found


def log_in(page: Page, locale: str, phone: str, password: str) -> None:
    phone_label, password_label, button = LOGIN[locale]
    page.goto("/auth/login")
    main = page.get_by_role("main")
    main.get_by_label(phone_label).fill(phone)
    main.get_by_label(password_label).fill(password)
    main.get_by_role("button", name=button).click()
    expect(page).not_to_have_url(re.compile(r"/auth/login"))


def visible_boxes(locator: Locator) -> list[dict[str, float]]:
    boxes = []
    for index in range(locator.count()):
        element = locator.nth(index)
        if element.is_visible():
            box = element.bounding_box()
            assert box is not None
            boxes.append(box)
    return boxes


def assert_tall_enough(page: Page, selector: str) -> None:
    boxes = visible_boxes(page.locator(selector))
    assert boxes, f"nothing visible matches {selector}"
    short = [round(box["height"], 1) for box in boxes if box["height"] < TOUCH - 0.5]
    assert not short, f"{selector}: {len(short)} of {len(boxes)} under {TOUCH} px: {short}"


def rows_of(boxes: list[dict[str, float]]) -> int:
    """How many rows the boxes sit in (by their middles, a few px either way)."""
    middles = sorted(box["y"] + box["height"] / 2 for box in boxes)
    rows = 1
    for before, after in zip(middles, middles[1:], strict=False):
        if after - before > 8:
            rows += 1
    return rows


@LOCALES
def test_the_week_is_a_grid_on_a_laptop_and_a_day_strip_on_a_phone(
    app, make_page, screenshot, locale
):
    room = reading_room(app)
    laptop = make_page(locale, device=LAPTOP)
    laptop.goto(f"/facilities/{room}")
    grid = laptop.locator("table.week-grid")
    expect(grid).to_be_visible()
    expect(grid.locator("thead th.grid-day")).to_have_count(7)
    expect(grid.locator("thead th.today")).to_have_count(1)
    expect(grid.locator("td.slot").first).to_be_visible()
    expect(laptop.locator("nav.day-strip")).to_be_hidden()
    expect(laptop.locator("section.day-list")).to_be_hidden()
    screenshot(laptop, f"{locale}-1-laptop")

    phone = make_page(locale)
    phone.goto(f"/facilities/{room}")
    expect(phone.locator("table.week-grid")).to_be_hidden()
    chips = phone.locator("nav.day-strip a")
    expect(chips).to_have_count(7)
    for index in range(7):
        expect(chips.nth(index)).to_be_visible()
    expect(phone.locator("section.day-list")).to_be_visible()
    expect(phone.locator("nav.day-strip a[aria-current]")).to_have_count(1)
    screenshot(phone, f"{locale}-2-phone")
    # a chip shows its day's list, with the strip still in view
    last = chips.nth(6)
    last.click()
    expect(phone).to_have_url(re.compile(r"[?&]day=\d{4}-\d{2}-\d{2}#day$"))
    expect(phone.locator("nav.day-strip a").nth(6)).to_have_attribute("aria-current", "true")
    expect(phone.locator("nav.day-strip")).to_be_in_viewport()
    # and the next week too, from its link
    phone.locator("nav.week-nav a[rel=next]").click()
    expect(phone.locator("section.day-list li.slot").first).to_be_visible()
    for selector in (
        "nav.day-strip a",
        "nav.week-nav a",
        "section.day-list .slot-state a",
        "section.day-list .slot-state button",
    ):
        if selector.endswith("button") and not phone.locator(selector).count():
            continue  # nobody is signed in: no Remind me
        assert_tall_enough(phone, selector)
    screenshot(phone, f"{locale}-3-phone-next-week")


@LOCALES
@pytest.mark.parametrize(
    ("who", "phone_number", "password"),
    [
        ("visitor", None, None),
        ("resident", "13700000001", RESIDENT_PASSWORD),
        ("staff", "13900000001", STAFF_PASSWORD),
    ],
)
def test_the_phone_header_is_two_rows_of_44_px_targets(
    app, make_page, screenshot, locale, who, phone_number, password
):
    page = make_page(locale)
    if phone_number:
        log_in(page, locale, phone_number, password)
    page.goto(f"/facilities/{reading_room(app)}")
    header = page.locator("header.site-header")
    targets = header.locator("a, button")
    boxes = visible_boxes(targets)
    assert len(boxes) >= 4
    assert rows_of(boxes) <= 2, f"the {who}'s header takes {rows_of(boxes)} rows"
    assert_tall_enough(page, "header.site-header a, header.site-header button")
    height = header.bounding_box()["height"]
    assert height < 3 * TOUCH, f"the {who}'s header is {height} px tall"
    # nothing of it is cut off at the side
    width = page.viewport_size["width"]
    assert all(box["x"] >= 0 and box["x"] + box["width"] <= width for box in boxes)
    screenshot(page, f"{locale}-{who}")
