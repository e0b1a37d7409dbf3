"""The public pages, in Chinese and in English."""

from datetime import date, time

import pytest

from booking.models import DayType, FacilityKind

EN = {"Accept-Language": "en-GB,en;q=0.9"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}


@pytest.fixture
def school(make_school, make_facility, make_rule):
    school = make_school(code="NC-T1", name="南城阳光第五小学", name_en="Sunshine No. 5")
    hall = make_facility(
        school,
        kind=FacilityKind.LECTURE_HALL,
        name="报告厅",
        capacity=300,
        is_exclusive=True,
        requires_approval=True,
    )
    reading = make_facility(school, kind=FacilityKind.READING_ROOM, name="阅览室", capacity=40)
    make_rule(reading, day_type=DayType.SCHOOL_DAYS, start_time=time(18, 30), end_time=time(21, 0))
    make_rule(reading, day_type=DayType.NON_SCHOOL_DAYS, start_time=time(9), end_time=time(12))
    make_rule(
        reading,
        day_type=DayType.NON_SCHOOL_DAYS,
        start_time=time(14),
        end_time=time(18),
        slot_minutes=240,
    )
    make_facility(school, kind=FacilityKind.PARKING, name="旧停车场", capacity=10, is_active=False)
    return {"school": school, "hall": hall, "reading": reading}


def test_home_lists_schools_with_the_kinds_they_open(client, school):
    page = client.get("/", headers=EN)
    assert page.status_code == 200
    assert "Sunshine No. 5" in page.text
    assert "Lecture hall" in page.text
    assert "Reading room" in page.text
    assert "Parking" not in page.text  # the only parking lot is inactive


def test_chinese_browser_gets_chinese(client, school):
    page = client.get("/", headers=ZH)
    assert '<html lang="zh-Hans">' in page.text
    assert "南城阳光第五小学" in page.text
    assert "报告厅" in page.text
    assert "学校场馆向居民开放" in page.text


def test_no_language_header_gets_chinese(client, school):
    assert '<html lang="zh-Hans">' in client.get("/").text


def test_the_language_switch_overrides_the_browser(client, school):
    response = client.get("/language/en", query_string={"next": "/schools/NC-T1"}, headers=ZH)
    assert response.status_code == 302
    assert response.headers["Location"] == "/schools/NC-T1"
    page = client.get("/schools/NC-T1", headers=ZH)
    assert '<html lang="en">' in page.text
    assert "Opening hours" in page.text or "Facilities" in page.text
    client.get("/language/zh_Hans")
    assert '<html lang="zh-Hans">' in client.get("/", headers=EN).text


def test_an_unknown_language_changes_nothing(client, school):
    client.get("/language/xx")
    assert '<html lang="en">' in client.get("/", headers=EN).text


def test_school_page_shows_facilities_capacity_and_hours(client, school):
    page = client.get("/schools/NC-T1", headers=EN)
    assert page.status_code == 200
    text = page.text
    assert "300 people" in text
    assert "booked as a whole" in text
    assert "needs the school's approval" in text
    assert "40 seats" in text
    assert "School days" in text
    assert "18:30–21:00" in text
    assert "Weekends, holidays and vacations" in text
    assert '09:00–12:00</span>, <span class="nowrap">14:00–18:00' in text
    assert "旧停车场" not in text


def test_school_page_in_chinese(client, school):
    text = client.get("/schools/NC-T1", headers=ZH).text
    assert "容量" in text
    assert "上学日" in text
    assert "周末、节假日及假期" in text


def test_facility_page(client, school):
    page = client.get(f"/facilities/{school['reading'].id}", headers=EN)
    assert page.status_code == 200
    assert "Opening hours" in page.text
    assert "18:30–21:00" in page.text


def test_rules_that_ended_are_not_shown(client, make_facility, make_rule):
    facility = make_facility()
    make_rule(facility, valid_from=date(2020, 1, 1), valid_until=date(2020, 12, 31))
    page = client.get(f"/facilities/{facility.id}", headers=EN)
    assert "No opening hours are published yet." in page.text


@pytest.mark.parametrize(
    "path", ["/schools/NOPE", "/facilities/999999", "/facilities/abc", "/nowhere"]
)
def test_unknown_pages_are_404_in_the_visitors_language(client, path):
    page = client.get(path, headers=EN)
    assert page.status_code == 404
    assert "Page not found" in page.text
    assert "页面不存在" in client.get(path, headers=ZH).text


def test_inactive_facility_is_not_found(client, school, make_facility):
    inactive = make_facility(school["school"], name="维修中", is_active=False)
    assert client.get(f"/facilities/{inactive.id}").status_code == 404


def test_pages_link_the_vendored_stylesheet(client, school):
    text = client.get("/").text
    assert "/static/vendor/pico/pico.min.css" in text
    assert "http://" not in text.split("<body>")[0]
    assert "https://" not in text.split("<body>")[0]
    stylesheet = client.get("/static/vendor/pico/pico.min.css")
    assert stylesheet.status_code == 200
    stylesheet.close()
