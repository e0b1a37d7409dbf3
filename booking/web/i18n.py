"""Language choice: the switch (a cookie), then the browser, then Chinese."""

from __future__ import annotations

from flask import current_app, has_request_context, request
from flask_babel import lazy_gettext as _l

LOCALE_COOKIE = "lang"
LOGIN_REQUIRED = _l("Please log in to see this page.")

LANGUAGE_NAMES = {"zh_Hans": "中文", "en": "English"}


def supported() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def normalise(tag: str) -> str | None:
    """Map a browser language tag (zh-CN, zh-Hans-CN, en-GB, ...) to a catalogue."""
    primary = tag.replace("_", "-").split("-")[0].lower()
    if primary == "zh":
        return "zh_Hans"
    if primary in supported():
        return primary
    return None


def select_locale() -> str:
    if not has_request_context():
        # Commands and jobs: operators read English; notices choose their
        # recipient's language explicitly with force_locale.
        return "en"
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in supported():
        return chosen
    for tag, _quality in request.accept_languages:
        locale = normalise(tag)
        if locale:
            return locale
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])
