"""The gate's camera in Chromium: a fake camera shows the QR code of the
resident's booking page, the page's scanner reads it, and the check-in page of
that booking opens, as if the code had been typed; no policy violation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import qrcode
from flask import Flask
from playwright.sync_api import Browser, Playwright, expect

from booking.ops.demo import STAFF_PASSWORD
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.browser.test_staff_flow import STAFF_PHONE, booking_starting_soon

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 640, 480


def qr_clip(data: str, path: Path, frames: int = 5) -> Path:
    """A Y4M clip (grey 4:2:0) of the QR code of `data`: Chromium's fake camera plays it."""
    code = qrcode.QRCode(border=4)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    scale = min(WIDTH, HEIGHT) * 8 // 10 // len(matrix)
    left, top = (WIDTH - len(matrix) * scale) // 2, (HEIGHT - len(matrix) * scale) // 2
    luma = bytearray([235]) * (WIDTH * HEIGHT)
    for row, cells in enumerate(matrix):
        for column, dark in enumerate(cells):
            if dark:
                for line in range(scale):
                    start = (top + row * scale + line) * WIDTH + left + column * scale
                    luma[start : start + scale] = bytes([16]) * scale
    chroma = bytes([128]) * (WIDTH * HEIGHT // 4)
    with path.open("wb") as clip:
        clip.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            clip.write(b"FRAME\n" + bytes(luma) + chroma + chroma)
    return path


@pytest.fixture
def camera_browser(playwright: Playwright, tmp_path: Path, app: Flask, live_server: str):
    """Chromium whose camera shows the QR code of a booking starting soon."""
    code = booking_starting_soon(app)
    clip = qr_clip(f"{live_server}/staff/checkin/{code}", tmp_path / "qr.y4m")
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={clip}",
        ],
    )
    yield browser, code
    browser.close()


def test_staff_scan_the_qr_code_with_the_camera(camera_browser: tuple[Browser, str], live_server):
    browser, code = camera_browser
    context = browser.new_context(base_url=live_server, locale="en", **PHONE)
    context.grant_permissions(["camera"])
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto("/auth/login")
    main = page.get_by_role("main")
    main.get_by_label("Mobile number").fill(STAFF_PHONE)
    main.get_by_label("Password").fill(STAFF_PASSWORD)
    main.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))

    page.goto("/staff/checkin")
    scan = main.get_by_role("button", name="Scan QR code")
    expect(scan).to_be_visible()  # localhost is a secure context
    expect(page.locator("#qr-scanner-unavailable")).to_be_hidden()
    scan.click()
    expect(page).to_have_url(re.compile(f"/staff/checkin/{code}$"), timeout=15_000)
    expect(main.locator("p.verdict")).to_have_text("Valid now.")
    assert problems == []
    context.close()


def test_without_a_secure_context_the_page_says_why_and_keeps_the_form(
    browser: Browser, live_server: str
) -> None:
    """Over plain HTTP to another host the page is not a secure context (made
    so here before the page's scripts run): no camera button, a note saying
    why, and the code form as ever."""
    context = browser.new_context(base_url=live_server, locale="en", **PHONE)
    page = context.new_page()
    page.add_init_script("Object.defineProperty(window, 'isSecureContext', {value: false})")
    page.goto("/auth/login")
    main = page.get_by_role("main")
    main.get_by_label("Mobile number").fill(STAFF_PHONE)
    main.get_by_label("Password").fill(STAFF_PASSWORD)
    main.get_by_role("button", name="Log in").click()
    page.goto("/staff/checkin")
    expect(page.locator("#qr-scanner-unavailable")).to_be_visible()
    expect(main.get_by_role("button", name="Scan QR code")).to_be_hidden()
    expect(main.get_by_label("Booking code")).to_be_visible()
    context.close()


def test_staff_tables_fit_a_phone(app: Flask, make_page, screenshot) -> None:
    """At 390 px every staff table is a column of labelled cards: nothing is
    cut off or scrolled sideways, and the code and status are on screen."""
    code = booking_starting_soon(app)
    page = make_page("en")
    page.goto("/auth/login")
    main = page.get_by_role("main")
    main.get_by_label("Mobile number").fill(STAFF_PHONE)
    main.get_by_label("Password").fill(STAFF_PASSWORD)
    main.get_by_role("button", name="Log in").click()
    page.goto(f"/staff/checkin/{code}")
    main.get_by_role("button", name="Check in", exact=True).click()
    for path in ("/staff/", "/staff/visitors", "/staff/audit", "/staff/search?q=0002"):
        page.goto(path)
        table = main.locator("table.stack").first
        expect(table).to_be_visible()
        overflow = page.evaluate(
            "() => [...document.querySelectorAll('table')].map("
            "t => t.getBoundingClientRect().right - document.documentElement.clientWidth)"
        )
        assert max(overflow) <= 0, (path, overflow)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        for label in ("Status",) if path == "/staff/" else ("Code", "Status"):
            if path == "/staff/audit":
                break
            cell = table.locator(f'td[data-label="{label}"]').first
            cell.scroll_into_view_if_needed()
            expect(cell).to_be_in_viewport()
            box = cell.bounding_box()
            assert box is not None
            assert box["x"] >= 0
            assert box["x"] + box["width"] <= 390, (path, label, box)
        screenshot(page, path.strip("/").replace("/", "-").replace("?", "-") or "home")
    audit = main.locator("table.stack td[data-label='Record']").filter(has_text=code)
    page.goto("/staff/audit")
    audit.first.scroll_into_view_if_needed()
    expect(audit.first).to_be_in_viewport()
    box = audit.first.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 390
