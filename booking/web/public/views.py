"""Public pages: the programme, schools, facilities, the language switch."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from booking.extensions import db
from booking.models import Facility, FacilityKind, School
from booking.services import privacy
from booking.services.availability import (
    FACILITIES_PER_PAGE,
    DayPart,
    FindQuery,
    areas,
    facility_days,
    find_slots,
    planned_days,
)
from booking.services.clock import local_date, utcnow, week_start, zone
from booking.services.directory import open_schools
from booking.services.opening import summarise_rules
from booking.services.policy import Policy, policy_for
from booking.services.slots import release_at
from booking.services.supply import upcoming_closures
from booking.web import urls
from booking.web.auth.views import safe_next
from booking.web.i18n import LOCALE_COOKIE
from booking.web.public.week import chosen_day, week_grid
from booking.web.residents.views import my_reminders, my_slot_marks

blueprint = Blueprint("public", __name__)

ONE_YEAR = 365 * 24 * 3600
MAX_DAYS_AWAY = 366


def kinds_open(school: School) -> list[FacilityKind]:
    present = {facility.kind for facility in school.facilities if facility.is_active}
    return [kind for kind in FacilityKind if kind in present]


@blueprint.route("/")
def home() -> str:
    return render_template(
        "public/home.html", schools=open_schools(db.session), kinds_open=kinds_open
    )


# Crawlers may read the schools, facilities and free times; nothing behind a login.
ROBOTS = (
    "User-agent: *",
    "Disallow: /account",
    "Disallow: /admin/",
    "Disallow: /api/",
    "Disallow: /auth/",
    "Disallow: /bookings/",
    "Disallow: /me/",
    "Disallow: /notices",
    "Disallow: /slots/",
    "Disallow: /staff/",
    "Disallow: /waitlist/",
)


@blueprint.route("/robots.txt")
def robots() -> Response:
    response = make_response("\n".join(ROBOTS) + "\n")
    response.mimetype = "text/plain"
    return response


@blueprint.route("/privacy")
def privacy_notice() -> str:
    """The privacy notice residents accept when they register."""
    return render_template("public/privacy.html", notice=privacy.current(db.session))


@blueprint.route("/schools/<code>")
def school(code: str) -> str:
    found = db.session.scalar(
        sa.select(School)
        .where(School.code == code, School.is_active)
        .options(selectinload(School.facilities).selectinload(Facility.rules))
    )
    if found is None:
        abort(404)
    now = utcnow()
    today = local_date(now, zone(found.timezone))
    facilities = [facility for facility in found.facilities if facility.is_active]
    hours = {facility.id: summarise_rules(facility.rules, today) for facility in facilities}
    return render_template(
        "public/school.html",
        school=found,
        facilities=facilities,
        hours=hours,
        today=today,
        closures=[
            closure
            for closure in upcoming_closures(db.session, found.id, now=now)
            if closure.facility is None or closure.facility.is_active
        ],
    )


@blueprint.route("/facilities/<int:facility_id>")
def facility(facility_id: int) -> str | tuple[str, int]:
    """The facility and a week of its slots (?week=any date of the week), laid
    out as a grid for laptops and as a strip of days with one day's list
    (?day=, by default today or the first day with a free time) for phones."""
    found = db.get_or_404(Facility, facility_id)
    if not (found.is_active and found.school.is_active):
        abort(404)
    tz = zone(found.school.timezone)
    now = utcnow()
    today = local_date(now, tz)
    # ?day= is the day a phone lists, and the week's when ?week= is absent.
    asked_day = parse_day(request.args.get("day"), today)
    chosen = parse_day(request.args.get("week"), today) if request.args.get("week") else asked_day
    if chosen is None or asked_day is None:
        return bad_request(_("Choose a date written as YYYY-MM-DD within a year from today."))
    monday = week_start(chosen)
    days = facility_days(
        db.session,
        found.id,
        tz,
        monday,
        monday + timedelta(days=6),
        now,
        cache_seconds=current_app.config["AVAILABILITY_CACHE_SECONDS"],
    )
    booked, waiting = my_slot_marks([view.slot.id for day in days for view in day.slots])
    unpublished = [day.day for day in days if not day.slots and day.day >= today]
    planned = planned_days(db.session, found, unpublished, now)
    grid = week_grid(days, planned, tz, booked=booked.keys())
    policy = policy_for(db.session, found.id)
    return render_template(
        "public/facility.html",
        facility=found,
        school=found.school,
        hours=summarise_rules(found.rules, today),
        closures=upcoming_closures(db.session, found.school_id, now=now, facility_id=found.id),
        today=today,
        days=days,
        grid=grid,
        selected_day=chosen_day(grid, asked_day, today),
        policy=policy,
        next_release=next_release(policy, tz, now),
        reminded=my_reminders(found.id),
        now=now,
        booked=booked,
        waiting=waiting,
        previous_week=(monday - timedelta(days=7)) if monday > week_start(today) else None,
        next_week=monday + timedelta(days=7),
    )


def next_release(policy: Policy, tz: ZoneInfo, now: datetime) -> tuple[date, datetime]:
    """The next day whose times open for booking, and when they open."""
    day = local_date(now, tz) + timedelta(days=policy.advance_days)
    opens = release_at(day, policy, tz)
    if opens <= now:
        day += timedelta(days=1)
        opens = release_at(day, policy, tz)
    return day, opens


def parse_day(raw: str | None, today: date) -> date | None:
    """A YYYY-MM-DD within a year of today; `today` when absent, None when wrong."""
    if not raw:
        return today
    day = urls.parse_day(raw, today, years=1)
    return day if day is not None and abs((day - today).days) <= MAX_DAYS_AWAY else None


def bad_request(message: str) -> tuple[str, int]:
    return render_template("errors/error.html", status=400, message=message), 400


@blueprint.route("/find")
def find() -> str | tuple[str, int]:
    """Free times across the district: by kind, day (or today, or open now),
    time or part of the day, and area; a page of facilities at a time. A day
    not yet published shows what its rules will open, and when."""
    tz = zone(current_app.config["BOOKING_TIMEZONE"])
    now = utcnow()
    today = local_date(now, tz)
    try:
        query = find_query(request.args, today, now, tz)
    except ValueError as error:
        return bad_request(str(error))
    page = request.args.get("page", "1")
    found = find_slots(
        db.session, query, tz=tz, now=now, page=int(page) if page.isdigit() and len(page) < 6 else 1
    )
    planned = [] if found.results or query.day <= today else planned_for_find(query, now)
    slot_ids = [view.slot.id for _, views in found.results for view in views]
    booked, waiting = my_slot_marks(slot_ids)
    return render_template(
        "public/find.html",
        found=found,
        results=found.results,
        planned=planned,
        query=query,
        kinds=list(FacilityKind),
        areas=areas(db.session),
        parts=list(DayPart),
        today=today,
        tomorrow=today + timedelta(days=1),
        open_now=request.args.get("now") == "1",
        at=request.args.get("time") or "",
        booked=booked,
        waiting=waiting,
    )


def find_query(args: Any, today: date, now: datetime, tz: ZoneInfo) -> FindQuery:
    """The search the address asks for. Raises ValueError with the message to show."""
    kind_value = args.get("kind") or ""
    if kind_value and kind_value not in {kind.value for kind in FacilityKind}:
        raise ValueError(_("Unknown kind of facility."))
    part_value = args.get("part") or ""
    if part_value and part_value not in {part.value for part in DayPart}:
        raise ValueError(_("Choose morning, afternoon or evening."))
    area = (args.get("area") or "").strip()[:60]
    if args.get("now") == "1":  # open now: under way at this moment, today
        moment = now.astimezone(tz)
        return FindQuery(
            day=today,
            at=moment.time().replace(second=0, microsecond=0),
            kind=FacilityKind(kind_value) if kind_value else None,
            area=area or None,
            free_only=True,
        )
    day = parse_day(args.get("date"), today)
    if day is None:
        raise ValueError(_("Choose a date written as YYYY-MM-DD within a year from today."))
    at = parse_time(args.get("time"))
    if at is False:
        raise ValueError(_("Choose a time written as HH:MM."))
    return FindQuery(
        day=day,
        at=at or None,
        part=DayPart(part_value) if part_value else None,
        kind=FacilityKind(kind_value) if kind_value else None,
        area=area or None,
        free_only=args.get("free") == "1",
    )


def planned_for_find(query: FindQuery, now: datetime) -> list[tuple[Facility, list[Any]]]:
    """For a day beyond what is published: the times the rules will open there."""
    facilities = db.session.scalars(
        sa.select(Facility)
        .join(School, Facility.school_id == School.id)
        .where(Facility.is_active, School.is_active)
        .where(*([Facility.kind == query.kind] if query.kind else []))
        .where(*([School.area == query.area] if query.area else []))
        .options(selectinload(Facility.rules), selectinload(Facility.school))
        .order_by(School.is_public.desc(), School.code, Facility.id)
        .limit(FACILITIES_PER_PAGE)
    ).all()
    shown = []
    for facility in facilities:
        tz = zone(facility.school.timezone)
        times = [
            planned
            for planned in planned_days(db.session, facility, [query.day], now).get(query.day, [])
            if wanted_time(planned, query, tz)
        ]
        if times:
            shown.append((facility, times))
    return shown


def wanted_time(planned: Any, query: FindQuery, tz: ZoneInfo) -> bool:
    start = planned.starts_at.astimezone(tz).time()
    if query.at is not None:
        end = planned.ends_at.astimezone(tz)
        return start <= query.at and (end.time() > query.at or end.date() > query.day)
    if query.part is not None:
        first, until = query.part.bounds()
        return start >= first and (until is None or start < until)
    return True


def parse_time(raw: str | None) -> time | None | bool:
    if not raw:
        return None
    try:
        return time.fromisoformat(raw)
    except ValueError:
        return False


@blueprint.route("/health")
def health() -> Response:
    """For load balancers: the process answers (the database is not touched)."""
    return jsonify(status="ok")


@blueprint.route("/favicon.ico")
def favicon() -> Response:
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@blueprint.route("/language/<locale>")
def switch_language(locale: str) -> Response:
    """The pages' language, in a cookie. A GET changes nothing stored: the account's
    language (which notices are written in) is set on the account page."""
    back = safe_next(request.args.get("next")) or url_for("public.home")
    response = make_response(redirect(back))
    if locale in current_app.config["LANGUAGES"]:
        response.set_cookie(LOCALE_COOKIE, locale, max_age=ONE_YEAR, samesite="Lax", httponly=True)
    return response
