"""A closure as people say it: whole days end on their last day, not at the
midnight after it; part of a day shows its times."""

from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

import pytest
from flask import Flask
from flask_babel import Babel

from booking.services import clock
from booking.web import templating
from booking.web.templating import closure_when, day_list

SHANGHAI = "Asia/Shanghai"
SATURDAY = date(2026, 12, 5)


def local(day, hour=0, minute=0, zone=SHANGHAI):
    return clock.local_instant(day, time(hour, minute), clock.zone(zone))


def closure(starts_at, ends_at):
    return SimpleNamespace(starts_at=starts_at, ends_at=ends_at)


@pytest.fixture(autouse=True)
def english(monkeypatch):
    monkeypatch.setattr(templating, "utcnow", lambda: datetime(2026, 11, 24, 2, tzinfo=UTC))
    app = Flask(__name__)
    app.config["BABEL_DEFAULT_LOCALE"] = "zh_Hans"
    Babel(app, locale_selector=lambda: "en")
    with app.test_request_context():
        yield


def day_after(day, days=1):
    return day + timedelta(days=days)


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "text"),
    [
        (local(SATURDAY), local(day_after(SATURDAY)), "Sat, Dec 5, all day"),
        (local(SATURDAY), local(day_after(SATURDAY, 2)), "Sat, Dec 5 – Sun, Dec 6"),
        (local(SATURDAY, 14), local(SATURDAY, 18), "Sat, Dec 5, 14:00–18:00"),
        (local(SATURDAY, 14), local(day_after(SATURDAY)), "Sat, Dec 5, 14:00–24:00"),
        (local(SATURDAY), local(SATURDAY, 12, 30), "Sat, Dec 5, 00:00–12:30"),
        (
            local(SATURDAY, 14),
            local(day_after(SATURDAY, 2), 10),
            "Sat, Dec 5 14:00 – Mon, Dec 7 10:00",
        ),
        (
            local(SATURDAY, 18),
            local(day_after(SATURDAY, 3)),
            "Sat, Dec 5 18:00 – Mon, Dec 7 24:00",
        ),
        (
            local(date(2027, 1, 2)),
            local(date(2027, 1, 4)),
            "Sat, Jan 2, 2027 – Sun, Jan 3, 2027",
        ),
    ],
)
def test_a_closure_in_words(starts_at, ends_at, text):
    assert closure_when(closure(starts_at, ends_at), SHANGHAI) == text


def test_the_days_are_the_schools_own():
    new_york = "America/New_York"
    whole_day = closure(local(SATURDAY, zone=new_york), local(day_after(SATURDAY), zone=new_york))
    assert closure_when(whole_day, new_york) == "Sat, Dec 5, all day"
    assert closure_when(whole_day, SHANGHAI) == "Sat, Dec 5 13:00 – Sun, Dec 6 13:00"


@pytest.mark.parametrize(
    ("days", "text"),
    [
        ([SATURDAY], "Sat, Dec 5"),
        ([day_after(SATURDAY), SATURDAY], "Sat, Dec 5 and Sun, Dec 6"),
        ([day_after(SATURDAY, n) for n in range(2, 7)], "Mon, Dec 7 – Fri, Dec 11"),
        (
            [SATURDAY, day_after(SATURDAY), day_after(SATURDAY, 4)],
            "Sat, Dec 5, Sun, Dec 6, and Wed, Dec 9",
        ),
        ([], ""),
    ],
)
def test_days_in_a_sentence(days, text):
    assert day_list(days, SHANGHAI) == text
