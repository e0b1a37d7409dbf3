"""Filters and globals the templates use: local times, labels, the language switch."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote

from babel.dates import format_date, format_skeleton, format_time
from babel.lists import format_list
from flask import Flask, current_app, request
from flask_babel import get_locale, gettext
from markupsafe import Markup, escape

from booking import labels
from booking.services.clock import utcnow, zone
from booking.web import i18n


def _locale() -> str:
    return str(get_locale() or "zh_Hans")


def html_lang() -> str:
    """The page's `lang` attribute (BCP 47) for the current language."""
    return "zh-Hans" if _locale() == "zh_Hans" else _locale()


local_datetime = labels.local_datetime


def local_time(instant: datetime | None, timezone: str) -> str:
    if instant is None:
        return ""
    return format_time(instant, "HH:mm", tzinfo=zone(timezone), locale=_locale())


def local_date(instant: datetime | None, timezone: str, style: str = "medium") -> str:
    if instant is None:
        return ""
    return format_date(instant.astimezone(zone(timezone)).date(), style, locale=_locale())


def local_date_iso(instant: datetime | None, timezone: str) -> str:
    if instant is None:
        return ""
    return instant.astimezone(zone(timezone)).date().isoformat()


def day_label(day: date, timezone: str | None = None) -> str:
    """A day as the other day labels read (Sat, Dec 5; 12月5日周六), with its
    year when that is not this year's (in `timezone`, else UTC)."""
    this_year = utcnow().astimezone(zone(timezone)).year if timezone else utcnow().year
    skeleton = labels.DATETIME_SKELETONS["short" if day.year == this_year else "medium"]
    return format_skeleton(skeleton, day, locale=_locale())


def date_skeleton(day: date, skeleton: str) -> str:
    """A day in the reader's language from a CLDR skeleton ("MMMd": Dec 14, 12月14日)."""
    return format_skeleton(skeleton, day, locale=_locale())


def day_list(days: Iterable[date], timezone: str | None = None) -> str:
    """Days in order as one phrase: three or more in a row as a range
    (Sat, Dec 5 and Sun, Dec 6; Mon, Dec 7 – Fri, Dec 11)."""
    runs: list[list[date]] = []
    for day in sorted(set(days)):
        if runs and day - runs[-1][-1] == timedelta(days=1):
            runs[-1].append(day)
        else:
            runs.append([day])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(
                gettext(
                    "%(first)s – %(last)s",
                    first=day_label(run[0], timezone),
                    last=day_label(run[-1], timezone),
                )
            )
        else:
            parts.extend(day_label(day, timezone) for day in run)
    return format_list(parts, locale=_locale()) if parts else ""


def closure_when(closure: Any, timezone: str) -> str:
    """When a closure closes, as people say it: stored as [start, end), a
    closure of whole days ends at the midnight after its last day, which is
    shown as that last day (Sat, Dec 5, all day; Sat, Dec 5 – Sun, Dec 6),
    and a part of a day as its times (Sat, Dec 5, 14:00–18:00)."""
    tz = zone(timezone)
    start = closure.starts_at.astimezone(tz)
    end = closure.ends_at.astimezone(tz)
    ends_at_midnight = end.time() == time(0)
    last_day = end.date() - timedelta(days=1) if ends_at_midnight else end.date()
    first = day_label(start.date(), timezone)
    last = day_label(last_day, timezone)
    if start.time() == time(0) and ends_at_midnight:
        if start.date() == last_day:
            return gettext("%(day)s, all day", day=first)
        return gettext("%(first)s – %(last)s", first=first, last=last)
    start_clock = format_time(start, "HH:mm", locale=_locale())
    end_clock = "24:00" if ends_at_midnight else format_time(end, "HH:mm", locale=_locale())
    if start.date() == last_day:
        return gettext("%(day)s, %(start)s–%(end)s", day=first, start=start_clock, end=end_clock)
    begins, ends = f"{first} {start_clock}", f"{last} {end_clock}"
    return gettext("%(first)s – %(last)s", first=begins, last=ends)


localized_name = labels.localized_name


def localized_text(record: Any, field: str) -> Markup:
    """A text field typed in both languages (`field` in Chinese, `field`_en in English),
    in the reader's language. When that language is missing the other one is shown,
    marked with its `lang` and a visible note, never silently."""
    chinese = str(getattr(record, field, None) or "").strip()
    english = str(getattr(record, f"{field}_en", None) or "").strip()
    wants_english = _locale() != "zh_Hans"
    if wants_english and english or not wants_english and chinese:
        return escape(english if wants_english else chinese)
    if wants_english and chinese:
        return _marked(chinese, "zh-Hans", gettext("(in Chinese only)"))
    if english:
        return _marked(english, "en", gettext("(in English only)"))
    return Markup("")


def _marked(text: str, lang: str, note: str) -> Markup:
    return Markup('<span lang="{}">{}</span> <small class="fallback">{}</small>').format(
        lang, text, note
    )


def map_url(school: Any) -> str:
    """The map provider's page for the school (MAP_URL_TEMPLATE), or "" when unset."""
    template = current_app.config.get("MAP_URL_TEMPLATE") or ""
    if not template:
        return ""
    return template.replace("{query}", quote(f"{school.name} {school.address or ''}".strip()))


def tel_url(phone: str) -> str:
    """A tel: link for a phone number as staff wrote it (0769-12345678, 138 0000 0000)."""
    return "tel:" + "".join(ch for ch in phone if ch.isdigit() or ch == "+")


def register(app: Flask) -> None:
    app.add_template_filter(local_datetime)
    app.add_template_filter(local_time)
    app.add_template_filter(local_date)
    app.add_template_filter(local_date_iso)
    app.add_template_filter(localized_name)
    app.add_template_filter(localized_text)
    app.add_template_filter(day_label)
    app.add_template_filter(date_skeleton)
    app.add_template_filter(day_list)
    app.add_template_filter(closure_when)
    app.add_template_filter(map_url)
    app.add_template_filter(tel_url)
    app.add_template_filter(labels.reason_text)

    from booking.web.residents.views import unread_notices

    @app.context_processor
    def inject() -> dict[str, Any]:
        return {
            "labels": labels,
            "current_locale": _locale(),
            "language_names": i18n.LANGUAGE_NAMES,
            "html_lang": html_lang(),
            "current_path": request.full_path.rstrip("?") if request else "/",
            "unread_count": unread_notices(),
        }
