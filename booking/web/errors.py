"""Error pages in the visitor's language; never a bare 500."""

from __future__ import annotations

from flask import Flask, flash, jsonify, make_response, redirect, render_template, request
from flask.wrappers import Response
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from booking.extensions import db
from booking.services.errors import DomainError

RETRY_AFTER_SECONDS = 2


def refuse_and_return(error: DomainError, location: str) -> Response:
    """A page's action was refused: undo, say why, and go back (POST, redirect, GET)."""
    db.session.rollback()
    flash(str(error.message), "error")
    return redirect(location)


def is_database_busy(error: OperationalError) -> bool:
    """SQLite could not get its write lock within the busy timeout."""
    return "database is locked" in str(error.orig) or "database is busy" in str(error.orig)


def register(app: Flask) -> None:
    @app.errorhandler(OperationalError)
    def database_busy(error: OperationalError) -> Response | tuple[str, int]:
        if not is_database_busy(error):
            raise error
        db.session.rollback()
        message = _("The site is very busy right now. Nothing was saved: please try again.")
        if request.path.startswith("/api/"):
            response = jsonify({"error": {"code": "busy", "message": message}})
            response.status_code = 503
        else:
            response = make_response(
                render_template("errors/error.html", status=503, message=message), 503
            )
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(DomainError)
    def refused(error: DomainError) -> tuple[str, int]:
        """A rule refused what a page asked; views that re-render their form catch it first."""
        db.session.rollback()
        return render_template(
            "errors/error.html", status=error.status, message=str(error.message)
        ), error.status

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> tuple[str, int]:
        message = _(
            "This form has expired or was not sent from this site. "
            "Nothing was saved: please reload the page and send it again."
        )
        return render_template("errors/error.html", status=400, message=message), 400

    @app.errorhandler(429)
    def too_many(error: HTTPException) -> Response:
        message = _("Too many attempts from your network. Please wait a minute and try again.")
        if request.path.startswith("/api/"):
            response = jsonify({"error": {"code": "rate_limited", "message": message}})
        else:
            response = make_response(
                render_template("errors/error.html", status=429, message=message)
            )
        response.status_code = 429
        response.headers["Retry-After"] = "60"
        return response

    @app.errorhandler(SecurityError)
    def untrusted_host(error: SecurityError) -> Response:
        """The Host header is not one of TRUSTED_HOSTS. Flask then has no URL map bound
        for the request, so no page that builds links can be rendered: a short answer."""
        message = _("This site does not answer to this address.")
        if request.path.startswith("/api/"):
            response = jsonify({"error": {"code": "bad_host", "message": message}})
        else:
            response = make_response(message + "\n")
            response.mimetype = "text/plain"
        response.status_code = 400
        return response

    @app.errorhandler(413)
    def too_large(error: HTTPException) -> Response:
        """A body over MAX_CONTENT_LENGTH, or a form over Flask's form limits."""
        message = _("What you sent is too large for this site. Nothing was saved.")
        if request.path.startswith("/api/"):
            response = jsonify({"error": {"code": "too_large", "message": message}})
        else:
            response = make_response(
                render_template("errors/error.html", status=413, message=message)
            )
        response.status_code = 413
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        status = error.code or 500
        return render_template("errors/error.html", status=status, message=None), status

    @app.errorhandler(InternalServerError)
    def unexpected_error(error: InternalServerError) -> tuple[str, int]:
        # Flask has logged the traceback; the visitor gets a page in their language.
        # A failed statement leaves PostgreSQL's transaction aborted: end it, or
        # the page's own queries (the signed-in user, unread notices) fail too.
        db.session.rollback()
        return render_template("errors/error.html", status=500, message=None), 500
