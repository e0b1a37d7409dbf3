"""Error pages in the visitor's language; never a bare 500."""

from __future__ import annotations

import psycopg
from flask import (
    Flask,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
)
from flask.wrappers import Response
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from booking.extensions import db
from booking.services.errors import DomainError
from booking.web.templating import html_lang

RETRY_AFTER_SECONDS = 2


def refuse_and_return(error: DomainError, location: str) -> Response:
    """A page's action was refused: undo, say why, and go back (POST, redirect, GET)."""
    db.session.rollback()
    flash(str(error.message), "error")
    return redirect(location)


SQLITE_UNAVAILABLE = (
    "database is locked",
    "database is busy",
    "unable to open database",
    "disk i/o",
)


def is_database_busy(error: DBAPIError) -> bool:
    """SQLite could not get its write lock within the busy timeout."""
    text = str(error.orig).lower()
    return "database is locked" in text or "database is busy" in text


def is_database_unavailable(error: DBAPIError) -> bool:
    """The database cannot answer now, and may soon: SQLite busy or its file out
    of reach; PostgreSQL unreachable, restarting, or a transaction it had to
    stop (serialisation, deadlock, timeout). A programming error is none of these."""
    if error.connection_invalidated or isinstance(error.orig, psycopg.OperationalError):
        return True
    return isinstance(error, OperationalError) and any(
        words in str(error.orig).lower() for words in SQLITE_UNAVAILABLE
    )


def database_unavailable_response(error: DBAPIError) -> Response:
    """503 with Retry-After, in the visitor's language, without touching the
    database again: the page is drawn without the signed-in header."""
    g.database_unavailable = True
    try:
        db.session.rollback()
    except DBAPIError:
        db.session.invalidate()
    if is_database_busy(error):
        message = _("The site is very busy right now. Nothing was saved: please try again.")
    else:
        message = _(
            "The site cannot reach its database for a moment. Nothing was saved: "
            "please try again shortly."
        )
    if request.path.startswith("/api/"):
        response = jsonify({"error": {"code": "busy", "message": message}})
    else:
        # Drawn without the context processors: they ask who is signed in, which
        # needs the database.
        page = current_app.jinja_env.get_template("errors/unavailable.html")
        response = make_response(
            page.render(message=message, html_lang=html_lang(), current_path=request.full_path)
        )
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def register(app: Flask) -> None:
    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError) -> Response:
        if not is_database_unavailable(error):
            raise error
        app.logger.warning("database unavailable: %s", type(error.orig).__name__)
        return database_unavailable_response(error)

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
