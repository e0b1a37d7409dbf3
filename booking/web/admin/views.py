"""The district area's home page."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from booking.extensions import db
from booking.models import School
from booking.services import clock, job_health, privacy, tracker
from booking.services.clock import utcnow
from booking.services.errors import DomainError
from booking.web.admin.access import admin_required
from booking.web.admin.forms import PrivacyNoticeForm
from booking.web.admin.reports import chosen_week
from booking.web.staff.manage import attach


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/", "home", home)
    blueprint.add_url_rule("/privacy", "privacy", privacy_notice, methods=["GET", "POST"])


@admin_required
def privacy_notice() -> Any:
    """The privacy notice residents accept at registration; a new version for new residents."""
    current = privacy.current(db.session)
    form = PrivacyNoticeForm(data={"body": current.body, "body_en": current.body_en})
    if form.validate_on_submit():
        try:
            published = privacy.publish(
                db.session,
                body=form.body.data,
                body_en=form.body_en.data,
                actor=current_user,
                now=utcnow(),
            )
        except DomainError as error:
            db.session.rollback()
            attach(form, error)
            return render_template("admin/privacy.html", form=form, current=current), 400
        db.session.commit()
        flash(
            _("Version %(version)d of the privacy notice is published.", version=published.version),
            "success",
        )
        return redirect(url_for("admin.privacy"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/privacy.html", form=form, current=current), status


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
