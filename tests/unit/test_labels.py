"""Reasons stored as a kind and the words people typed, worded when read."""

import pytest
from flask import Flask
from flask_babel import force_locale

from booking import labels
from booking.extensions import babel
from booking.models import ClosureReason


@pytest.fixture(autouse=True)
def babel_app():
    app = Flask(__name__)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = "translations"
    app.root_path = labels.__file__.rsplit("/", 1)[0]
    babel.init_app(app)
    with app.app_context():
        yield


@pytest.mark.parametrize(
    ("stored", "english", "chinese"),
    [
        ("not_decided", "The school did not decide before the time began.", "学校"),
        ("opening_hours_changed", "Opening hours changed", "开放时间"),
        (
            labels.stored_reason("calendar_changed", "国庆节"),
            "District calendar changed: 国庆节",
            "国庆节",
        ),
        (
            labels.closure_reason(ClosureReason.WEATHER, "台风红色预警", "Typhoon red warning"),
            "Severe weather: Typhoon red warning",
            "台风红色预警",
        ),
        (labels.closure_reason(ClosureReason.EXAM), "Exams", "考试"),
        ("设备检修", "设备检修", "设备检修"),
        ("Note: a colon typed by staff", "Note: a colon typed by staff", "Note: a colon"),
    ],
)
def test_a_stored_reason_reads_in_the_readers_language(stored, english, chinese):
    with force_locale("en"):
        assert labels.reason_text(stored) == english
    with force_locale("zh_Hans"):
        assert chinese in labels.reason_text(stored)
        if stored.startswith("closure.weather"):
            assert "Typhoon" not in labels.reason_text(stored)
