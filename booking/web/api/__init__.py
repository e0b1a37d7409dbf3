"""The JSON API under /api/v1, and its OpenAPI document at /api/v1/openapi.json."""

from __future__ import annotations

from flask import Flask

from booking.extensions import csrf


def register(app: Flask) -> None:
    from booking.web.api.spec import CampusApi, spec_options
    from booking.web.api.views import blueprint

    app.config.setdefault("API_TITLE", "campus-share API")
    app.config.setdefault("API_VERSION", "1.0.0")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", spec_options())
    api = CampusApi(app)
    # Bearer tokens need no CSRF token; cookie requests are checked in booking.web.api.auth.
    csrf.exempt(blueprint)
    api.register_blueprint(blueprint)
    app.extensions["campus_api"] = api
