"""The district area's home page."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template

from booking.extensions import db
from booking.models import School
from booking.services import clock, job_health, tracker
from booking.services.clock import utcnow
from booking.web.admin.access import admin_required
from booking.web.admin.reports import chosen_week


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/", "home", home)


@admin_required
def home() -> str:
    schools = db.session.scalars(sa.select(School).order_by(School.code)).all()
    tz = clock.zone(current_app.config["BOOKING_TIMEZONE"])
    unhealthy = [
        job
        for job in job_health.job_health(db.session, now=utcnow(), tz=tz)
        if job.health != job_health.Health.OK
    ]
    summary = tracker.build_tracker(db.session, chosen_week())
    return render_template(
        "admin/home.html", schools=schools, unhealthy_jobs=unhealthy, tracker=summary
    )
