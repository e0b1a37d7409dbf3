"""What a URL may carry: ids our tables can hold, text without control
characters, and dates written as YYYY-MM-DD near today.

Checked once for every route, before any view or query sees the values.
"""

from __future__ import annotations

import re
from datetime import date

from flask import Flask, abort, request
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter, Map

from booking.services import clock
from booking.services.errors import ValidationFailed
from booking.services.text import UnreadableText, text_problem

MAX_ID = 2**31 - 1  # the largest key our tables hold (INTEGER on PostgreSQL)
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
UNREADABLE_QUERY = _l(
    "This address holds invisible control characters. Check the link and try again."
)


class IdConverter(IntegerConverter):
    """Werkzeug's int, for ASCII digits up to MAX_ID: a larger id or another
    script's digits (١٢, １２) match no route, so the page is not found."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map: Map, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)  # type: ignore[arg-type]


def refuse_unreadable_url() -> None:
    """Before every view: a path value with a control character names nothing
    (404); a query value with one, or with an unpaired surrogate, is refused
    (400, UnreadableText naming the parameter). An address that matches no
    route is left to its 404 or 405."""
    if request.routing_exception is not None:
        return
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and text_problem(value):
            abort(404)
    for name, value in request.args.items(multi=True):
        if text_problem(name) or text_problem(value):
            raise UnreadableText(UNREADABLE_QUERY, field=name)


class DayRefused(ValidationFailed):
    default_message = _l(
        "Choose a date written as YYYY-MM-DD, at most %(years)d years from today.",
        years=clock.NEAR_YEARS,
    )


def read_date(raw: str | None) -> date | None:
    """A real date written YYYY-MM-DD in ASCII digits; None otherwise
    (date.fromisoformat alone also takes 20261125 and other ISO forms)."""
    if raw is None or not DATE_PATTERN.fullmatch(raw):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def parse_day(raw: str | None, today: date, *, years: int = clock.NEAR_YEARS) -> date | None:
    """A date written YYYY-MM-DD at most `years` years from `today`; None otherwise."""
    day = read_date(raw)
    return day if day is not None and clock.is_near(day, today, years) else None


def query_day(name: str, today: date) -> date | None:
    """The date in query parameter `name`; None when it is absent or empty.
    Raises DayRefused naming the parameter."""
    raw = request.args.get(name)
    if not raw:
        return None
    day = parse_day(raw, today)
    if day is None:
        raise DayRefused(field=name)
    return day


def register(app: Flask) -> None:
    """Replace Werkzeug's int for every route (call before the blueprints)."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_unreadable_url)
