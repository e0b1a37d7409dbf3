"""Fixtures: the demo district served on a real port, and Debian's Chromium on a phone.

`live_server` depends on `app`, so every browser test runs once per engine.
Chromium is started once per session; a missing or broken browser fails the
run instead of skipping it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Error,
    Page,
    Playwright,
    sync_playwright,
)

from booking.extensions import db
from booking.ops import demo
from booking.services.clock import local_date, utcnow, zone
from booking.services.slots import generate_slots
from tests.servers import serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
LAPTOP = {"viewport": {"width": 1280, "height": 800}}


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    # A real browser posts the token, so check it as production does.
    return {**app_config, "WTF_CSRF_ENABLED": True}


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The demo district on 127.0.0.1, on a free port; yields the base URL."""
    with app.app_context():
        now = utcnow()
        demo.load_demo(
            db.session,
            now=now,
            today=local_date(now, zone("Asia/Shanghai")),
            progress=lambda _: None,
            with_history=False,  # no flow here reads last month; it costs seconds a test
        )
        generate_slots(db.session, now=now)
        db.session.commit()
        db.session.remove()
    with serve(app) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"The browser tests need Debian's Chromium at {CHROMIUM}.", pytrace=False)
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
    except Error as error:
        pytest.fail(f"Chromium at {CHROMIUM} could not be launched: {error}", pytrace=False)
    yield chromium
    chromium.close()


@pytest.fixture
def make_page(browser: Browser, live_server: str) -> Iterator[Callable[..., Page]]:
    """Open a page on the live server whose browser speaks `locale`, on a phone
    unless `device` says otherwise (LAPTOP)."""
    contexts: list[BrowserContext] = []

    def make(locale: str = "zh-CN", device: dict[str, Any] | None = None) -> Page:
        context = browser.new_context(base_url=live_server, locale=locale, **(device or PHONE))
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest, engine_name: str) -> Callable[[Page, str], Path]:
    """Save a full-page screenshot as test-artifacts/screenshots/<test>-<step>-<engine>.png."""
    folder = request.config.rootpath / "test-artifacts" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    test = request.node.originalname

    def take(page: Page, step: str) -> Path:
        path = folder / f"{test}-{step}-{engine_name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def pytest_collection_modifyitems(items):
    """A browser that drops a connection mid-download (it navigated on, or had the
    file cached) leaves the live server's static file to the garbage collector:
    that ResourceWarning is the browser's doing, not a leak of ours."""
    dropped = pytest.mark.filterwarnings(
        r"ignore:Exception ignored in. <_io.FileIO name='[^']*/static/"
        ":pytest.PytestUnraisableExceptionWarning"
    )
    for item in items:
        if "/tests/browser/" in str(item.fspath):
            item.add_marker(dropped)
