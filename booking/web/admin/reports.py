"""The district's figures: the opening tracker (with the minimum hours it
checks against) and the usage reports of every school."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DecimalField, IntegerField
from wtforms.validators import InputRequired, NumberRange, Optional

from booking.extensions import db
from booking.models import School
from booking.services import clock, reports, tracker
from booking.services.clock import utcnow
from booking.services.errors import DomainError
from booking.services.tracker import Minimums
from booking.web import report_pages
from booking.web.admin.access import admin_required
from booking.web.downloads import csv_download
from booking.web.forms import Form
from booking.web.urls import query_day


class MinimumsForm(Form):
    school_day_hours = DecimalField(
        _l("Minimum hours on a school day"),
        places=1,
        validators=[InputRequired(), NumberRange(0, 24)],
    )
    other_day_hours = DecimalField(
        _l("Minimum hours on weekends, holidays and vacations"),
        places=1,
        validators=[InputRequired(), NumberRange(0, 24)],
    )
    target_public = IntegerField(
        _l("Target: public schools (empty: all)"), validators=[Optional(), NumberRange(0, 100000)]
    )
    target_private = IntegerField(
        _l("Target: private schools (empty: all)"),
        validators=[Optional(), NumberRange(0, 100000)],
    )


def district_today() -> date:
    """Today in the district's zone (BOOKING_TIMEZONE)."""
    return clock.local_date(utcnow(), clock.zone(current_app.config["BOOKING_TIMEZONE"]))


def chosen_week() -> date:
    """?week=YYYY-MM-DD (any day of it), this week by default. Raises DayRefused."""
    today = district_today()
    return clock.week_start(query_day("week", today) or today)


def minutes(hours: Decimal | None) -> int:
    return int((hours or Decimal(0)) * 60)


def settings_form(minimums: Minimums) -> MinimumsForm:
    form = MinimumsForm()
    if request.method == "GET":
        form.school_day_hours.data = Decimal(minimums.school_day_minutes) / 60
        form.other_day_hours.data = Decimal(minimums.other_day_minutes) / 60
        form.target_public.data = minimums.target_public
        form.target_private.data = minimums.target_private
    return form


def render_tracker(form: MinimumsForm | None = None, status: int = 200) -> Any:
    week = chosen_week()
    result = tracker.build_tracker(db.session, week)
    return render_template(
        "admin/tracker.html",
        tracker=result,
        form=form or settings_form(result.minimums),
        week=week,
        previous_week=week - timedelta(days=7),
        next_week=week + timedelta(days=7),
    ), status


@admin_required
def tracker_page() -> Any:
    return render_tracker()


@admin_required
def tracker_csv() -> Any:
    week = chosen_week()
    result = tracker.build_tracker(db.session, week)
    table = request.args.get("table") or "schools"
    if table == "totals":
        return csv_download(
            tracker.totals_csv_rows(result), f"tracker-totals-{week.isoformat()}.csv"
        )
    if table != "schools":
        raise report_pages.ChoiceRefused(
            _l("There is no such table in this report."), field="table"
        )
    return csv_download(tracker.csv_rows(result), f"tracker-{week.isoformat()}.csv")


@admin_required
def tracker_settings() -> Any:
    form = MinimumsForm()
    if not form.validate_on_submit():
        return render_tracker(form, 400)
    try:
        tracker.update_minimums(
            db.session,
            Minimums(
                minutes(form.school_day_hours.data),
                minutes(form.other_day_hours.data),
                form.target_public.data,
                form.target_private.data,
            ),
            actor=current_user,
            now=utcnow(),
        )
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return render_tracker(form, 400)
    db.session.commit()
    flash(_("The minimum hours and targets are saved."), "success")
    return redirect(url_for("admin.tracker", week=request.args.get("week") or None))


def school_choices() -> list[tuple[str, str]]:
    return [
        (code, f"{code} {name}")
        for code, name in db.session.execute(
            sa.select(School.code, School.name).order_by(School.code)
        )
    ]


def read_request() -> tuple[reports.Period, reports.Grouping, str, list[int] | None]:
    """The period, grouping and school the address asks for. Raises DomainError."""
    period = report_pages.read_period(district_today())
    grouping = report_pages.read_grouping()
    code = (request.args.get("school") or "").strip()
    school_ids = [reports.school_by_code(db.session, code).id] if code else None
    return period, grouping, code, school_ids


@admin_required
def usage() -> Any:
    args = {
        "from": request.args.get("from", ""),
        "to": request.args.get("to", ""),
        "by": request.args.get("by", "school"),
        "school": request.args.get("school", ""),
    }
    try:
        period, grouping, code, school_ids = read_request()
    except DomainError as error:
        return render_template(
            "admin/reports.html",
            report=None,
            error=str(error.message),
            args=args,
            schools=school_choices(),
        ), 400
    report = reports.usage_report(db.session, period, grouping=grouping, school_ids=school_ids)
    args.update({"from": period.first.isoformat(), "to": period.last.isoformat()})
    args.update({"by": grouping.value, "school": code})
    return render_template(
        "admin/reports.html",
        report=report,
        error=None,
        args=args,
        schools=school_choices(),
        pages=report_pages,
    )


@admin_required
def usage_csv() -> Any:
    period, grouping, code, school_ids = read_request()
    table = report_pages.read_table()
    report = reports.usage_report(db.session, period, grouping=grouping, school_ids=school_ids)
    return report_pages.report_csv(report, table, f"usage-{code or 'district'}")


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/tracker", "tracker", tracker_page)
    blueprint.add_url_rule("/tracker.csv", "tracker_csv", tracker_csv)
    blueprint.add_url_rule(
        "/tracker/settings", "tracker_settings", tracker_settings, methods=["POST"]
    )
    blueprint.add_url_rule("/reports", "reports", usage)
    blueprint.add_url_rule("/reports.csv", "reports_csv", usage_csv)
