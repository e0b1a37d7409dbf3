"""A school's own usage report, under /staff/reports: the district's report
limited to the staff member's school, whatever the address asks for."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from booking.extensions import db
from booking.services import reports
from booking.services.errors import DomainError
from booking.web import report_pages
from booking.web.staff.views import local_today, my_school, staff_required


def read_request() -> tuple[reports.Period, reports.Grouping]:
    """Raises DomainError."""
    school = my_school()
    return report_pages.read_period(local_today(school)), report_pages.read_grouping()


@staff_required
def usage() -> Any:
    school = my_school()
    args = {
        "from": request.args.get("from", ""),
        "to": request.args.get("to", ""),
        "by": request.args.get("by", "kind"),
    }
    try:
        period, grouping = read_request()
    except DomainError as error:
        return render_template(
            "staff/reports.html", school=school, report=None, error=str(error.message), args=args
        ), 400
    report = reports.usage_report(db.session, period, grouping=grouping, school_ids=[school.id])
    args.update({"from": period.first.isoformat(), "to": period.last.isoformat()})
    args["by"] = grouping.value
    return render_template(
        "staff/reports.html",
        school=school,
        report=report,
        error=None,
        args=args,
        pages=report_pages,
    )


@staff_required
def usage_csv() -> Any:
    school = my_school()
    period, grouping = read_request()
    table = report_pages.read_table()
    report = reports.usage_report(db.session, period, grouping=grouping, school_ids=[school.id])
    return report_pages.report_csv(report, table, f"usage-{school.code}")


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/reports", "reports", usage)
    blueprint.add_url_rule("/reports.csv", "reports_csv", usage_csv)
