"""The staff area of one school, under /staff: one blueprint, its URL rules
added by the modules that hold the views."""

from __future__ import annotations

from flask import Blueprint

from booking.web.staff import manage, reports, views


def create_blueprint() -> Blueprint:
    """A new staff blueprint for each app, with the URL rules of every staff module:
    added here by name, not by importing a module for its side effects."""
    blueprint = Blueprint("staff", __name__)
    views.register(blueprint)
    manage.register(blueprint)
    reports.register(blueprint)
    return blueprint
