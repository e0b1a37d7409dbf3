"""The staff area of one school: requests, the gate, visitors, the audit log.

Every record is looked up within the staff member's own school: another
school's booking, slot or log answers 404, never 403 (DESIGN rule 5).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta
from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from booking.extensions import db
from booking.models import AuditEvent, Booking, BookingStatus, School
from booking.services import approvals, clock, no_shows
from booking.services.booking_errors import BookingNotFound
from booking.services.checkin import (
    check_in,
    find_at_school,
    gate_verdict,
    mark_verified,
    override_reason,
    resident_record,
    search_bookings,
    visitors_on,
)
from booking.services.clock import utcnow
from booking.services.errors import DomainError, ReasonRequired
from booking.web.downloads import csv_download
from booking.web.errors import refuse_and_return
from booking.web.forms import Form, whole_number
from booking.web.staff.forms import CheckInForm, DeclineForm, WaiveForm
from booking.web.urls import query_day

AUDIT_PAGE = 100


def staff_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_staff or current_user.school_id is None:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def my_school() -> School:
    return db.session.get(School, current_user.school_id)  # type: ignore[return-value]


def booking_here_or_404(code: str) -> Booking:
    try:
        return find_at_school(db.session, code, current_user.school_id)
    except BookingNotFound:
        abort(404)


def local_today(school: School) -> date:
    return clock.local_date(utcnow(), clock.zone(school.timezone))


def seen_version() -> int:
    """The version of the request the page showed; a missing or malformed one
    (such as "²") is stale, so staff look again."""
    version = whole_number(request.form.get("version"))
    return -1 if version is None else version


def first_error(form: Form) -> str:
    return next(str(errors[0]) for errors in form.errors.values() if errors)


@staff_required
def home() -> str:
    school = my_school()
    now = utcnow()
    today = local_today(school)
    days = [
        (day, visitors_on(db.session, school.id, day, school.timezone))
        for day in (today, today + timedelta(days=1))
    ]
    return render_template(
        "staff/home.html",
        school=school,
        days=days,
        pending=approvals.pending_requests(db.session, school.id, now),
        now=now,
    )


@staff_required
def request_detail(code: str) -> str:
    booking = booking_here_or_404(code)
    return render_request(booking)


def render_request(booking: Booking, status: int = 200, reason_error: str | None = None) -> Any:
    competing = db.session.scalars(
        sa.select(Booking)
        .where(
            Booking.slot_id == booking.slot_id,
            Booking.id != booking.id,
            Booking.status.in_(("pending", "confirmed")),
        )
        .order_by(Booking.created_at)
    ).all()
    return render_template(
        "staff/request.html",
        booking=booking,
        slot=booking.slot,
        facility=booking.slot.facility,
        school=booking.slot.facility.school,
        resident=booking.resident,
        record=resident_record(db.session, booking.resident_id, current_user.school_id),
        competing=competing,
        reason_error=reason_error,
    ), status


@staff_required
def approve(code: str) -> Any:
    booking = booking_here_or_404(code)
    try:
        rejected = approvals.approve(
            db.session, booking, current_user, seen_version=seen_version(), now=utcnow()
        )
    except DomainError as error:
        return refuse_and_return(error, url_for("staff.request_detail", code=code))
    db.session.commit()
    flash(_("Request %(code)s approved; the resident is told.", code=code), "success")
    if rejected:
        flash(
            _("%(count)d other requests for the same time were declined.", count=len(rejected)),
            "info",
        )
    return redirect(url_for("staff.home"))


@staff_required
def reject(code: str) -> Any:
    booking = booking_here_or_404(code)
    form = DeclineForm()
    if not form.validate():
        return render_request(booking, 400, first_error(form))
    try:
        approvals.reject(
            db.session,
            booking,
            current_user,
            reason=form.reason.data or "",
            seen_version=seen_version(),
            now=utcnow(),
        )
    except ReasonRequired as error:
        db.session.rollback()
        return render_request(booking_here_or_404(code), 400, str(error.message))
    except DomainError as error:
        return refuse_and_return(error, url_for("staff.request_detail", code=code))
    db.session.commit()
    flash(_("Request %(code)s declined; the resident is told why.", code=code), "success")
    return redirect(url_for("staff.home"))


@staff_required
def checkin_form() -> Any:
    code = (request.values.get("code") or "").strip().upper()
    if code:
        return redirect(url_for("staff.checkin", code=code))
    return render_template("staff/checkin_form.html", school=my_school())


def attended_count(form: CheckInForm) -> int | None:
    """The number of people typed at the gate; None (blank) is the whole party.
    What is not a whole number is 0, which the service refuses with its range."""
    raw = form.attended.data or ""
    if not raw:
        return None
    number = whole_number(raw)
    return 0 if number is None else number


@staff_required
def checkin(code: str) -> Any:
    try:
        booking = find_at_school(db.session, code, current_user.school_id)
    except BookingNotFound:
        message = _(
            "No booking %(code)s at this school. Check the code with the visitor.",
            code=code.upper(),
        )
        return render_template("staff/checkin_form.html", school=my_school(), message=message), 404
    now = utcnow()
    back = url_for("staff.checkin", code=booking.code)
    if request.method == "POST":
        form = CheckInForm()
        if not form.validate():
            flash(first_error(form), "error")
            return redirect(back)
        try:
            overridden = check_in(
                db.session,
                booking,
                current_user,
                now=now,
                attended=attended_count(form),
                override_reason=form.reason.data,
            )
        except DomainError as error:
            return refuse_and_return(error, back)
        db.session.commit()
        flash(_("%(name)s is checked in.", name=booking.resident.display_name), "success")
        if overridden:
            flash(
                _("Checked in outside the check-in window; the reason is in the audit log."), "info"
            )
        return redirect(back)
    checked_in = booking.status == BookingStatus.CHECKED_IN
    return render_template(
        "staff/checkin.html",
        booking=booking,
        slot=booking.slot,
        facility=booking.slot.facility,
        school=booking.slot.facility.school,
        verdict=gate_verdict(booking, now),
        override=override_reason(db.session, booking) if checked_in else None,
    )


@staff_required
def search() -> Any:
    """Today's (and the next hours') bookings by plate, name, phone or code."""
    school = my_school()
    query = (request.args.get("q") or "").strip()
    now = utcnow()
    found = (
        search_bookings(db.session, school.id, query, now=now, tz_name=school.timezone)
        if query
        else []
    )
    return render_template(
        "staff/search.html",
        school=school,
        query=query,
        rows=[(booking, gate_verdict(booking, now)) for booking in found],
    )


@staff_required
def waive(code: str) -> Any:
    booking = booking_here_or_404(code)
    form = WaiveForm()
    if not form.validate():
        flash(first_error(form), "error")
        return redirect(url_for("staff.checkin", code=booking.code))
    try:
        lifted = no_shows.waive_no_show(
            db.session, booking, current_user, reason=form.reason.data or "", now=utcnow()
        )
    except DomainError as error:
        return refuse_and_return(error, url_for("staff.checkin", code=booking.code))
    db.session.commit()
    flash(
        _("The no-show is waived.") + (" " + _("Their suspension is lifted.") if lifted else ""),
        "success",
    )
    return redirect(url_for("staff.checkin", code=booking.code))


@staff_required
def verify(code: str) -> Any:
    booking = booking_here_or_404(code)
    mark_verified(db.session, booking.resident, current_user, now=utcnow())
    db.session.commit()
    flash(_("%(name)s is marked as verified.", name=booking.resident.display_name), "success")
    return redirect(url_for("staff.checkin", code=booking.code))


def chosen_day(school: School) -> date:
    """?day=YYYY-MM-DD, today by default. Raises DayRefused."""
    today = local_today(school)
    return query_day("day", today) or today


@staff_required
def visitors() -> Any:
    school = my_school()
    day = chosen_day(school)
    rows = visitors_on(db.session, school.id, day, school.timezone)
    return render_template("staff/visitors.html", school=school, day=day, rows=rows)


@staff_required
def visitors_csv() -> Any:
    school = my_school()
    day = chosen_day(school)
    tz = clock.zone(school.timezone)
    rows: list[list[object]] = [
        [
            _("Time"),
            _("Facility"),
            _("Name"),
            _("Mobile number"),
            _("Places"),
            _("Licence plate"),
            _("Code"),
            _("Status"),
        ]
    ]
    for booking in visitors_on(db.session, school.id, day, school.timezone):
        slot = booking.slot
        rows.append(
            [
                f"{slot.starts_at.astimezone(tz):%H:%M}-{slot.ends_at.astimezone(tz):%H:%M}",
                slot.facility.name,
                booking.resident.display_name,
                booking.resident.masked_phone,
                booking.attendance if slot.facility.is_exclusive else booking.places,
                booking.plate or "",
                booking.code,
                booking.status.value,
            ]
        )
    return csv_download(rows, f"visitors-{day.isoformat()}.csv")


@staff_required
def audit_log() -> Any:
    """The school's log, newest first, filtered by kind of action and day."""
    school = my_school()
    action = request.args.get("action", "").strip()
    query = (
        sa.select(AuditEvent)
        .where(AuditEvent.school_id == school.id)
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(AUDIT_PAGE)
    )
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    day = query_day("day", local_today(school))
    if day is not None:
        start = clock.local_instant(day, time(0), clock.zone(school.timezone))
        query = query.where(AuditEvent.at >= start, AuditEvent.at < start + timedelta(days=1))
    return render_template(
        "staff/audit.html",
        school=school,
        events=db.session.scalars(query).all(),
        action=action,
        day=day.isoformat() if day else "",
    )


def register(blueprint: Blueprint) -> None:
    """The day's work at the school: requests, the gate, visitors and the log."""
    blueprint.add_url_rule("/", view_func=home)
    blueprint.add_url_rule("/requests/<code>", view_func=request_detail)
    blueprint.add_url_rule("/requests/<code>/approve", view_func=approve, methods=["POST"])
    blueprint.add_url_rule("/requests/<code>/reject", view_func=reject, methods=["POST"])
    blueprint.add_url_rule("/checkin", view_func=checkin_form, methods=["GET", "POST"])
    blueprint.add_url_rule("/checkin/<code>", view_func=checkin, methods=["GET", "POST"])
    blueprint.add_url_rule("/search", view_func=search)
    blueprint.add_url_rule("/bookings/<code>/waive", view_func=waive, methods=["POST"])
    blueprint.add_url_rule("/bookings/<code>/verify", view_func=verify, methods=["POST"])
    blueprint.add_url_rule("/visitors", view_func=visitors)
    blueprint.add_url_rule("/visitors.csv", view_func=visitors_csv)
    blueprint.add_url_rule("/audit", view_func=audit_log)
