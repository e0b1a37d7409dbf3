"""Every API error as {"error": {"code", "message"}} in the caller's language.

The blueprint's handlers cover what its views raise. A URL under /api/ that
matches no route (404) or not with this method (405) never reaches the
blueprint, so the app-wide 404 and 405 answer JSON there and hand every
other path to the pages' handler unchanged.
"""

from __future__ import annotations

from flask import Blueprint, current_app, request
from flask.typing import ResponseReturnValue
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError

from booking.extensions import db
from booking.services.errors import DomainError
from booking.web.api.responses import error_body, json_response
from booking.web.api.schemas import InvalidInput

API_PATH_PREFIX = "/api/"

# Codes and messages for what Flask raises. (429 has an app-wide handler of its
# own in booking.web.errors, which answers JSON under /api/ too.)
HTTP_ERRORS: dict[int, tuple[str, LazyString]] = {
    400: ("bad_request", _l("The request could not be carried out.")),
    404: ("not_found", _l("Not found.")),
    405: ("method_not_allowed", _l("This address does not accept this method.")),
}


# Services name a few fields as the pages do; the API names them as its bodies do.
FIELD_NAMES = {"terms": "terms_version"}


def domain_error(error: DomainError) -> ResponseReturnValue:
    """A rule refused the request: nothing it did is kept."""
    db.session.rollback()
    if isinstance(error, InvalidInput):
        fields = error.fields
    elif error.field:
        fields = {FIELD_NAMES.get(error.field, error.field): str(error.message)}
    else:
        fields = None
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    return json_response(
        error_body(error.code, str(error.message), fields), error.status, headers=headers
    )


def http_error(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    code, message = HTTP_ERRORS.get(
        status, (f"http_{status}", _l("The request could not be carried out."))
    )
    # Keep what the exception adds, such as Allow on a 405.
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    return json_response(error_body(code, str(message)), status, headers=headers)


def internal_error(error: InternalServerError) -> ResponseReturnValue:
    # Flask has logged the traceback.
    db.session.rollback()
    message = _(
        "The error has been logged. Nothing you sent was half-saved: please try again in a moment."
    )
    return json_response(error_body("internal_error", message), 500)


def routing_error(error: HTTPException) -> ResponseReturnValue:
    """404 and 405 everywhere: JSON under /api/, the pages' own handler elsewhere."""
    if request.path.startswith(API_PATH_PREFIX):
        return http_error(error)
    pages_handler = current_app.error_handler_spec[None][None].get(HTTPException)
    if pages_handler is None:
        return error
    return pages_handler(error)  # type: ignore[no-any-return]


def register(blueprint: Blueprint) -> None:
    blueprint.register_error_handler(DomainError, domain_error)
    blueprint.register_error_handler(HTTPException, http_error)
    blueprint.register_error_handler(InternalServerError, internal_error)
    blueprint.app_errorhandler(404)(routing_error)
    blueprint.app_errorhandler(405)(routing_error)
