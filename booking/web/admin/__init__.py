"""The district area of the education bureau, under /admin: one blueprint,
its URL rules added by the modules that hold the views."""

from __future__ import annotations

from flask import Blueprint

from booking.web.admin import district, people, reports, schools, views


def create_blueprint() -> Blueprint:
    """A new admin blueprint for each app, with the URL rules of every admin module:
    added here by name, not by importing a module for its side effects."""
    blueprint = Blueprint("admin", __name__)
    views.register(blueprint)
    schools.register(blueprint)
    people.register(blueprint)
    district.register(blueprint)
    reports.register(blueprint)
    return blueprint
