"""What search engines, shared caches and assistive technology read of the pages."""

import re
from datetime import timedelta

import pytest

from booking.extensions import db
from booking.models import FacilityKind, Notice, Role, Slot
from booking.services.clock import local_date, utcnow, zone
from tests.conftest import PASSWORD

EN = {"Accept-Language": "en"}
NOINDEX = '<meta name="robots" content="noindex">'


@pytest.fixture
def reading(make_school, make_facility):
    school = make_school(code="NC-P1", name="南城阳光第五小学", name_en="Sunshine No. 5")
    return make_facility(
        school, kind=FacilityKind.READING_ROOM, name="阅览室", name_en="Reading room", capacity=40
    )


def description(html: str) -> str:
    found = re.search(r'<meta name="description" content="([^"]*)">', html)
    assert found, "no meta description"
    return found.group(1)


def test_public_pages_describe_themselves_and_may_be_indexed(client, reading):
    home = client.get("/", headers=EN).text
    school = client.get("/schools/NC-P1", headers=EN).text
    facility = client.get(f"/facilities/{reading.id}", headers=EN).text
    assert "reading rooms" in description(home)
    assert "Sunshine No. 5" in description(school)
    assert description(facility).startswith("Reading room at Sunshine No. 5")
    assert len({description(home), description(school), description(facility)}) == 3
    for html in (home, school, facility):
        assert NOINDEX not in html


def test_signed_in_and_staff_pages_are_not_indexed(client, auth, make_school, make_user):
    assert NOINDEX in client.get("/auth/login").text
    make_user(Role.STAFF, phone="13900000001", school=make_school(code="NC-P2"))
    auth.login("13900000001")
    assert NOINDEX in client.get("/staff/").text
    assert NOINDEX in client.get("/", headers=EN).text  # signed in: their own view


def test_robots_txt_keeps_crawlers_out_of_accounts_and_staff_pages(client):
    robots = client.get("/robots.txt")
    assert robots.mimetype == "text/plain"
    lines = robots.text.splitlines()
    assert lines[0] == "User-agent: *"
    for path in ("/staff/", "/admin/", "/account", "/me/", "/bookings/", "/api/"):
        assert f"Disallow: {path}" in lines
    assert "Disallow: /schools/" not in lines


def test_pages_vary_by_language_for_shared_caches(client, reading):
    for path in ("/", f"/facilities/{reading.id}", "/auth/login", "/api/v1/schools"):
        vary = client.get(path).headers.get("Vary", "")
        assert "Accept-Language" in vary, path
        assert "Cookie" in vary, path


def test_the_login_phone_field_is_text_with_a_phone_keyboard(client):
    html = client.get("/auth/login").text
    field = re.search(r'<input[^>]*id="phone"[^>]*>', html).group(0)
    assert 'type="text"' in field
    assert 'inputmode="tel"' in field
    assert 'autocomplete="username"' in field


def test_slot_links_are_named_by_day_and_time(app, client, reading, make_user):
    now = utcnow().replace(second=0, microsecond=0)
    with app.app_context():
        slot = Slot(
            facility_id=reading.id,
            starts_at=now + timedelta(hours=30),
            ends_at=now + timedelta(hours=32),
            opens_at=now - timedelta(days=1),
            capacity=40,
        )
        db.session.add(slot)
        db.session.commit()
        slot_id, day = slot.id, local_date(slot.starts_at, zone("Asia/Shanghai"))
    page = client.get(
        f"/facilities/{reading.id}", query_string={"week": day.isoformat()}, headers=EN
    )
    link = re.search(rf'<a href="/slots/{slot_id}/book"[^>]*>', page.text).group(0)
    assert f'aria-labelledby="slot-{slot_id}-time slot-{slot_id}-link"' in link
    time_span = re.search(
        rf'<span class="slot-time" id="slot-{slot_id}-time">(.*?)</span>\d', page.text
    )
    assert time_span, "the time span holds the day"
    assert str(day.day) in time_span.group(1)


def test_no_aria_label_on_plain_elements(app, client, reading, make_user):
    user = make_user(phone="13700000001")
    with app.app_context():  # an unread notice, so the header shows its badge
        db.session.add(Notice(user_id=user.id, kind="reminder", params={}))
        db.session.commit()
    client.post("/auth/login", data={"phone": "13700000001", "password": PASSWORD})
    html = client.get("/", headers=EN).text
    assert 'class="badge"' in html
    assert "1 unread" in html
    assert not re.search(r"<(span|p|div)[^>]*aria-label=", html)


def test_schools_have_a_map_link_and_a_phone_to_tap(app, client, make_school, make_facility):
    school = make_school(
        code="NC-M1", address="南城街道宏远路 18 号", contact_phone="0769-1234 5678"
    )
    facility = make_facility(school)
    for path in ("/schools/NC-M1", f"/facilities/{facility.id}"):
        html = client.get(path, headers=EN).text
        assert 'href="tel:076912345678"' in html, path
        assert "https://uri.amap.com/search?keyword=" in html, path
        assert "%E5%AE%8F%E8%BF%9C%E8%B7%AF" in html, path  # 宏远路, encoded
        assert "Map and directions" in html
    app.config["MAP_URL_TEMPLATE"] = "https://maps.example.org/?q={query}"
    html = client.get("/schools/NC-M1", headers=EN).text
    assert "https://maps.example.org/?q=" in html
    app.config["MAP_URL_TEMPLATE"] = ""
    assert "Map and directions" not in client.get("/schools/NC-M1", headers=EN).text


def test_texts_typed_in_both_languages_follow_the_reader_and_fall_back_visibly(
    app, client, make_school, make_facility
):
    school = make_school(code="NC-B", name="南城双语小学", address="南城路 1 号")
    both = make_facility(
        school,
        kind=FacilityKind.LIBRARY,
        name="图书馆",
        description="开架借阅",
        description_en="Open shelves",
        entrance_notes="北门进入",
    )
    english = client.get(f"/facilities/{both.id}", headers=EN).text
    assert "Open shelves" in english
    assert "开架借阅" not in english
    # no English entrance notes or address: the Chinese, marked as such
    assert (
        '<span lang="zh-Hans">北门进入</span> <small class="fallback">(in Chinese only)</small>'
        in english
    )
    assert '<span lang="zh-Hans">南城路 1 号</span>' in english
    chinese = client.get(f"/facilities/{both.id}", headers={"Accept-Language": "zh-CN"}).text
    assert "开架借阅" in chinese
    assert "北门进入" in chinese
    assert "fallback" not in chinese
