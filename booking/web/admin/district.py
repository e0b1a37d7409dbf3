"""District-wide settings: the booking defaults facilities inherit, the day
calendar, and the scheduler's runs. Changes that move or cancel slots are
previewed before the administrator confirms them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from booking import labels
from booking.extensions import db
from booking.models import AuditEvent, BookingPolicy, CalendarPeriod, DayKind
from booking.services import calendar_changes, clock, job_health, policy, supply
from booking.services.clock import utcnow
from booking.services.errors import DomainError
from booking.web.admin.access import admin_required
from booking.web.admin.forms import DefaultsForm, ImportYearForm, PeriodForm
from booking.web.staff.manage import attach

PREVIEW_ROWS = 100
AUDIT_PAGE = 200


def confirmed() -> bool:
    return request.form.get("confirm") == "1"


@admin_required
def defaults() -> Any:
    current = policy.district_policy(db.session)
    form = DefaultsForm(obj=current)
    context: dict[str, Any] = {"form": form, "preview": None}
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in policy.SETTING_NAMES}
        change = supply.change_district_policy(
            db.session, values, actor=current_user, now=utcnow(), dry_run=not confirmed()
        )
        if not confirmed():
            page = render_template(
                "admin/defaults.html",
                form=form,
                preview=change,
                moved=change.moved[:PREVIEW_ROWS],
            )
            db.session.rollback()
            return page
        db.session.commit()
        flash(
            _(
                "District defaults saved; %(num)d slots not yet released take the new "
                "release time.",
                num=change.count,
            ),
            "success",
        )
        return redirect(url_for("admin.defaults"))
    status = 400 if form.is_submitted() else 200
    overridden = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(BookingPolicy)
        .where(sa.not_(BookingPolicy.is_district_default))
    )
    return render_template("admin/defaults.html", overridden=overridden, **context), status


def chosen_year() -> int:
    year = request.args.get("year", type=int)
    if year is None or not 2000 <= year <= 2100:
        return clock.local_date(utcnow(), clock.zone(current_app.config["BOOKING_TIMEZONE"])).year
    return year


def periods_of(year: int) -> list[CalendarPeriod]:
    return list(
        db.session.scalars(
            sa.select(CalendarPeriod)
            .where(
                CalendarPeriod.last_day >= date(year, 1, 1),
                CalendarPeriod.first_day <= date(year, 12, 31),
            )
            .order_by(CalendarPeriod.first_day, CalendarPeriod.kind)
        )
    )


def render_calendar(year: int, form: PeriodForm, status: int = 200, **extra: Any) -> Any:
    return render_template(
        "admin/calendar.html",
        year=year,
        periods=periods_of(year),
        form=form,
        import_form=ImportYearForm(year=year),
        kinds=labels.DAY_KINDS,
        **extra,
    ), status


def preview_or_apply(
    change: Callable[[bool], supply.ReconcileReport], template: str, context: dict[str, Any]
) -> Any:
    """Run `change`: as a preview (rolled back, the affected bookings shown)
    or, confirmed, for good. None when confirmed."""
    report = change(not confirmed())
    if not confirmed():
        affected = [(item.slot, item.bookings) for item in report.cancelled]
        page = render_template(template, report=report, affected=affected, preview=True, **context)
        db.session.rollback()
        return page
    db.session.commit()
    flash(
        _(
            "Saved: %(created)d slots added, %(removed)d removed, %(cancelled)d bookings "
            "cancelled and their residents told.",
            created=report.created,
            removed=report.removed,
            cancelled=report.bookings_cancelled,
        ),
        "success",
    )
    return None


@admin_required
def calendar() -> Any:
    year = chosen_year()
    form = PeriodForm()
    if form.validate_on_submit():
        context = {
            "year": year,
            "periods": periods_of(year),
            "form": form,
            "import_form": ImportYearForm(year=year),
            "kinds": labels.DAY_KINDS,
        }
        try:
            done = preview_or_apply(
                lambda dry_run: calendar_changes.add_calendar_period(
                    db.session,
                    DayKind(form.kind.data),
                    form.first_day.data,
                    form.last_day.data,
                    form.name.data or "",
                    actor=current_user,
                    now=utcnow(),
                    dry_run=dry_run,
                ),
                "admin/calendar.html",
                context,
            )
        except DomainError as error:
            db.session.rollback()
            attach(form, error)
            return render_calendar(year, form, error.status)
        if done is not None:
            return done
        return redirect(url_for("admin.calendar", year=form.first_day.data.year))
    return render_calendar(year, form, 400 if form.is_submitted() else 200)


def period_or_404(period_id: int) -> CalendarPeriod:
    period = db.session.get(CalendarPeriod, period_id) if 0 < period_id < 2**31 else None
    if period is None:
        abort(404)
    return period


@admin_required
def edit_period(period_id: int) -> Any:
    period = period_or_404(period_id)
    form = PeriodForm(obj=period)
    if not form.is_submitted():
        form.kind.data = period.kind.value
    context = {"form": form, "period": period}
    if form.validate_on_submit():
        try:
            done = preview_or_apply(
                lambda dry_run: calendar_changes.change_calendar_period(
                    db.session,
                    period,
                    DayKind(form.kind.data),
                    form.first_day.data,
                    form.last_day.data,
                    form.name.data or "",
                    actor=current_user,
                    now=utcnow(),
                    dry_run=dry_run,
                ),
                "admin/period_edit.html",
                context,
            )
        except DomainError as error:
            db.session.rollback()
            attach(form, error)
            return render_template("admin/period_edit.html", **context), error.status
        if done is not None:
            return done
        return redirect(url_for("admin.calendar", year=form.first_day.data.year))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/period_edit.html", **context), status


@admin_required
def remove_period(period_id: int) -> Any:
    period = period_or_404(period_id)
    year = period.first_day.year
    context = {"period": period, "form": None}
    done = preview_or_apply(
        lambda dry_run: calendar_changes.remove_calendar_period(
            db.session, period, actor=current_user, now=utcnow(), dry_run=dry_run
        ),
        "admin/period_remove.html",
        context,
    )
    if done is not None:
        return done
    return redirect(url_for("admin.calendar", year=year))


@admin_required
def import_year() -> Any:
    form = ImportYearForm()
    if not form.validate_on_submit():
        flash(_("Choose a year between 2000 and 2100."), "error")
        return redirect(url_for("admin.calendar"))
    added = calendar_changes.import_year(
        db.session, form.year.data, actor=current_user, now=utcnow()
    )
    db.session.commit()
    if added:
        flash(_("%(num)d official periods added.", num=added), "success")
    else:
        flash(
            _("Nothing new: already imported, or the package does not know this year yet."),
            "success",
        )
    return redirect(url_for("admin.calendar", year=form.year.data))


@admin_required
def jobs() -> str:
    tz = clock.zone(current_app.config["BOOKING_TIMEZONE"])
    return render_template(
        "admin/jobs.html",
        health=job_health.job_health(db.session, now=utcnow(), tz=tz),
        runs=job_health.recent_runs(db.session),
        tz=current_app.config["BOOKING_TIMEZONE"],
    )


@admin_required
def audit_log() -> str:
    events = db.session.scalars(
        sa.select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(AUDIT_PAGE)
    ).all()
    return render_template("admin/audit.html", events=events)


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/defaults", view_func=defaults, methods=["GET", "POST"])
    blueprint.add_url_rule("/calendar", view_func=calendar, methods=["GET", "POST"])
    blueprint.add_url_rule(
        "/calendar/<int:period_id>/edit", view_func=edit_period, methods=["GET", "POST"]
    )
    blueprint.add_url_rule(
        "/calendar/<int:period_id>/remove", view_func=remove_period, methods=["POST"]
    )
    blueprint.add_url_rule("/calendar/import", view_func=import_year, methods=["POST"])
    blueprint.add_url_rule("/jobs", view_func=jobs)
    blueprint.add_url_rule("/audit", view_func=audit_log)
