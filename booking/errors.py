"""Error pages in the visitor's language; never a bare 500."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> tuple[str, int]:
        message = _(
            "This form has expired or was not sent from this site. "
            "Nothing was saved: please reload the page and send it again."
        )
        return render_template("errors/error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        status = error.code or 500
        return render_template("errors/error.html", status=status, message=None), status

    @app.errorhandler(InternalServerError)
    def unexpected_error(error: InternalServerError) -> tuple[str, int]:
        # Flask has logged the traceback; the visitor gets a page in their language.
        return render_template("errors/error.html", status=500, message=None), 500
