"""The district area's home page."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template

from booking.extensions import db
from booking.models import School
from booking.web.admin.access import admin_required


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/", "home", home)


@admin_required
def home() -> str:
    schools = db.session.scalars(sa.select(School).order_by(School.code)).all()
    return render_template("admin/home.html", schools=schools)
