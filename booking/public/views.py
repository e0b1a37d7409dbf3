"""Public pages: the programme, schools, facilities, the language switch."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from booking.auth.views import safe_next
from booking.extensions import db
from booking.i18n import LOCALE_COOKIE
from booking.models import Facility, FacilityKind, School
from booking.services.availability import facility_days
from booking.services.clock import local_date, utcnow, zone
from booking.services.opening import summarise_rules

blueprint = Blueprint("public", __name__)

ONE_YEAR = 365 * 24 * 3600
UPCOMING_DAYS = 9  # a week ahead, and the day after it that opens tomorrow morning


def kinds_open(school: School) -> list[FacilityKind]:
    present = {facility.kind for facility in school.facilities if facility.is_active}
    return [kind for kind in FacilityKind if kind in present]


@blueprint.route("/")
def home() -> str:
    schools = db.session.scalars(
        sa.select(School)
        .where(School.is_active)
        .options(selectinload(School.facilities))
        .order_by(School.is_public.desc(), School.code)
    ).all()
    return render_template("public/home.html", schools=schools, kinds_open=kinds_open)


@blueprint.route("/schools/<code>")
def school(code: str) -> str:
    found = db.session.scalar(
        sa.select(School)
        .where(School.code == code, School.is_active)
        .options(selectinload(School.facilities).selectinload(Facility.rules))
    )
    if found is None:
        abort(404)
    today = local_date(utcnow(), zone(found.timezone))
    facilities = [facility for facility in found.facilities if facility.is_active]
    hours = {facility.id: summarise_rules(facility.rules, today) for facility in facilities}
    return render_template(
        "public/school.html", school=found, facilities=facilities, hours=hours, today=today
    )


@blueprint.route("/facilities/<int:facility_id>")
def facility(facility_id: int) -> str:
    found = db.get_or_404(Facility, facility_id)
    if not (found.is_active and found.school.is_active):
        abort(404)
    now = utcnow()
    today = local_date(now, zone(found.school.timezone))
    days = facility_days(db.session, found, today, today + timedelta(days=UPCOMING_DAYS - 1), now)
    return render_template(
        "public/facility.html",
        facility=found,
        school=found.school,
        hours=summarise_rules(found.rules, today),
        today=today,
        days=days,
    )


@blueprint.route("/favicon.ico")
def favicon() -> Response:
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@blueprint.route("/language/<locale>")
def switch_language(locale: str) -> Response:
    back = safe_next(request.args.get("next")) or url_for("public.home")
    response = make_response(redirect(back))
    if locale in current_app.config["LANGUAGES"]:
        response.set_cookie(LOCALE_COOKIE, locale, max_age=ONE_YEAR, samesite="Lax", httponly=True)
    return response
