"""What the district's and a school's usage report pages share: reading the
period from the address, the tables as CSV, and the figures the charts draw."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import request
from flask.wrappers import Response
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from booking import labels
from booking.services import reports
from booking.services.errors import ValidationFailed
from booking.services.reports import Grouping, Period, UsageReport
from booking.web.downloads import csv_download
from booking.web.urls import query_day

TABLES = ("rows", "kinds", "hours")


class ChoiceRefused(ValidationFailed):
    code = "invalid_choice"


def read_period(today: date) -> Period:
    """?from=&to= (YYYY-MM-DD), last month by default.
    Raises DayRefused, PeriodRefused."""
    first, last = query_day("from", today), query_day("to", today)
    if first is None and last is None:
        return reports.last_month(today)
    return reports.check_period(first, last)


def read_grouping() -> Grouping:
    """?by=school|kind|facility. Raises ChoiceRefused."""
    raw = request.args.get("by") or Grouping.SCHOOL.value
    try:
        return Grouping(raw)
    except ValueError:
        raise ChoiceRefused(
            _l("Group the report by school, kind of facility or facility."), field="by"
        ) from None


def read_table() -> str:
    raw = request.args.get("table") or "rows"
    if raw not in TABLES:
        raise ChoiceRefused(_l("There is no such table in this report."), field="table")
    return raw


def report_csv(report: UsageReport, table: str, name: str) -> Response:
    """One of the report's tables as a CSV download (UTF-8 with BOM, formula-safe)."""
    period = f"{report.period.first.isoformat()}_{report.period.last.isoformat()}"
    if table == "kinds":
        rows = reports.csv_rows(
            UsageReport(report.period, report.grouping, report.by_kind, [], report.total, {})
        )
        rows = [row[1:2] + row[4:] for row in rows]  # the district's rows have no school
    elif table == "hours":
        rows = [["weekday", "hour", "places_booked"]]
        for weekday in range(7):
            for hour in range(24):
                value = report.heat.get((weekday, hour), 0)
                if value:
                    rows.append([weekday + 1, hour, value])
    else:
        rows = reports.csv_rows(report)
    return csv_download(rows, f"{name}-{table}-{period}.csv")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # 0..1
    text: str


def use_bars(rows: list[reports.UsageRow], label_of: Any) -> list[Bar]:
    """Use (booked / offered) of each row, for a horizontal bar chart."""
    bars = []
    for row in rows:
        use = row.figures.use
        if use is None:
            continue
        bars.append(Bar(label_of(row), min(use, 1.0), f"{use:.0%}"))
    return bars


CHART_ROWS = 30


def _name(name: str, name_en: str | None) -> str:
    return name_en if name_en and str(get_locale() or "zh_Hans") != "zh_Hans" else name


def row_label(row: reports.UsageRow) -> str:
    """A row's name in the page's language: school, school and kind, or facility."""
    parts = [row.school_code]
    if row.facility_id is not None:
        parts += [kind_label(row), _name(row.facility_name, row.facility_name_en)]
    elif row.kind is not None:
        parts.append(kind_label(row))
    else:
        parts.append(_name(row.school_name, row.school_name_en))
    return " · ".join(parts)


def row_bars(report: UsageReport) -> list[Bar]:
    """The least used rows first, at most CHART_ROWS of them."""
    rows = sorted(
        (row for row in report.rows if row.figures.use is not None),
        key=lambda row: (row.figures.use or 0, row.school_code),
    )
    return use_bars(rows[:CHART_ROWS], row_label)


def kind_label(row: reports.UsageRow) -> str:
    return str(labels.FACILITY_KINDS[row.kind]) if row.kind else ""


def heat_level(value: int, top: int) -> int:
    """0 for nothing, then 1-5 by the share of the busiest hour."""
    if not value or not top:
        return 0
    return min(5, 1 + (value * 5 - 1) // top)


def weekday_names() -> list[str]:
    return [str(name) for name in labels.WEEKDAYS]
