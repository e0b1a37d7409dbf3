"""Days and times on the pages: one way per language, always on the 24-hour clock."""

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask_babel import Babel

from booking.web.templating import local_datetime, local_time

EVENING = datetime(2026, 12, 5, 11, 30, tzinfo=UTC)  # 19:30 in Shanghai, a Saturday


@pytest.mark.parametrize(
    ("language", "short", "medium"),
    [
        ("en", "Sat, Dec 5 19:30", "Sat, Dec 5, 2026 19:30"),
        ("zh-CN", "12月5日周六 19:30", "2026年12月5日周六 19:30"),
    ],
)
def test_a_day_and_time_in_each_language(language, short, medium):
    app = Flask(__name__)
    app.config["BABEL_DEFAULT_LOCALE"] = "zh_Hans"
    Babel(app, locale_selector=lambda: "en" if language == "en" else "zh_Hans")
    with app.test_request_context():
        assert local_datetime(EVENING, "Asia/Shanghai", "short") == short
        assert local_datetime(EVENING, "Asia/Shanghai", "medium") == medium
        assert local_time(EVENING, "Asia/Shanghai") == "19:30"
        assert "PM" not in local_datetime(EVENING, "America/New_York", "short")
