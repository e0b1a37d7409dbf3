"""Every API error as {"error": {"code", "message"}} in the caller's language.

The blueprint's handlers cover what its views raise, and what webargs
raises when a body or a query does not fit its schema (422, with the
message of each field). A URL under /api/ that matches no route (404) or not
with this method (405) never reaches the blueprint, so the app-wide 404 and
405 answer JSON there and hand every other path to the pages' handler.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import current_app, request
from flask.typing import ResponseReturnValue
from flask.wrappers import Response
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from webargs import core
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError

from booking.extensions import db
from booking.services.booking_form import InvalidBooking
from booking.services.errors import DomainError, ValidationFailed

API_PATH_PREFIX = "/api/"

# Codes and messages for what Flask raises. (429, 413 and a refused host have
# app-wide handlers in booking.web.errors, which answer JSON under /api/ too.)
HTTP_ERRORS: dict[int, tuple[str, LazyString]] = {
    400: ("bad_request", _l("The request could not be carried out.")),
    404: ("not_found", _l("Not found.")),
    405: ("method_not_allowed", _l("This address does not accept this method.")),
    422: ("validation", _l("Please correct the marked fields.")),
}
UNREADABLE_JSON = _l("The body is not JSON that can be read.")


class InvalidInput(ValidationFailed):
    """Fields that failed their checks; `fields` maps each one to its message,
    and the first one is the error's message."""

    def __init__(self, fields: Mapping[str, str | LazyString]) -> None:
        first = next(iter(fields))
        super().__init__(fields[first], field=first)
        self.fields = {name: str(message) for name, message in fields.items()}


class Parser(FlaskParser):
    """webargs' parser, refusing JSON it cannot read (malformed, nested too
    deep for Python) with a 400 instead of an error of the server."""

    def _raw_load_json(self, req: Any) -> Any:
        if not req.get_data(cache=True):
            return core.missing  # no body: every required field is missing (422)
        try:
            return super()._raw_load_json(req)
        except RecursionError as error:
            raise BadRequest(str(_("The JSON body is nested too deeply to be read."))) from error

    def _handle_invalid_json_error(self, error: Any, req: Any, *args: Any, **kwargs: Any) -> Any:
        raise BadRequest(str(UNREADABLE_JSON))


def error_body(code: str, message: str, fields: Mapping[str, str] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = dict(fields)
    return {"error": error}


def json_error(
    code: str,
    message: str,
    status: int,
    fields: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    response = current_app.response_class(
        json.dumps(error_body(code, message, fields), ensure_ascii=False) + "\n",
        status=status,
        mimetype="application/json",
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


# Services name a few fields as the pages do; the API names them as its bodies do.
FIELD_NAMES = {"terms": "terms_version"}


def domain_error(error: DomainError) -> ResponseReturnValue:
    """A rule refused the request: nothing it did is kept."""
    db.session.rollback()
    if isinstance(error, InvalidInput | InvalidBooking):
        fields: dict[str, str] | None = {name: str(text) for name, text in error.fields.items()}
    elif error.field:
        fields = {FIELD_NAMES.get(error.field, error.field): str(error.message)}
    else:
        fields = None
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    if error.status == 429:
        headers = {"Retry-After": "60"}
    return json_error(error.code, str(error.message), error.status, fields, headers)


def schema_message(messages: Any) -> str | None:
    """What a schema says of the body as a whole (not an object, for one)."""
    for location in (messages or {}).values():
        if isinstance(location, Mapping) and location.get("_schema"):
            return str(location["_schema"][0])
    return None


def field_messages(messages: Any) -> dict[str, str]:
    """webargs' {"json": {"field": ["message", ...]}} as {"field": "message"}."""
    flat: dict[str, str] = {}
    for location in (messages or {}).values():
        if not isinstance(location, Mapping):
            continue
        for name, problems in location.items():
            if isinstance(problems, Mapping):  # a nested field: its first message
                problems = next(iter(problems.values()), [])
            texts = problems if isinstance(problems, list) else [problems]
            flat[str(name)] = str(texts[0]) if texts else str(HTTP_ERRORS[422][1])
    flat.pop("_schema", None)
    return flat


def http_error(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    code, message = HTTP_ERRORS.get(
        status, (f"http_{status}", _l("The request could not be carried out."))
    )
    data = getattr(error, "data", None) or {}
    fields = field_messages(data.get("messages")) if status == 422 else None
    whole = schema_message(data.get("messages")) if status == 422 else None
    text = whole or (next(iter(fields.values())) if fields else str(message))
    if status == 400 and error.description and error.description != BadRequest.description:
        text = error.description
    # Keep what the exception adds, such as Allow on a 405.
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    return json_error(code, text, status, fields, headers)


def internal_error(error: InternalServerError) -> ResponseReturnValue:
    # Flask has logged the traceback.
    db.session.rollback()
    message = _(
        "The error has been logged. Nothing you sent was half-saved: please try again in a moment."
    )
    return json_error("internal_error", message, 500)


def routing_error(error: HTTPException) -> ResponseReturnValue:
    """404 and 405 everywhere: JSON under /api/, the pages' own handler elsewhere."""
    if request.path.startswith(API_PATH_PREFIX):
        return http_error(error)
    pages_handler = current_app.error_handler_spec[None][None].get(HTTPException)
    if pages_handler is None:
        return error
    return pages_handler(error)  # type: ignore[no-any-return]


def register(blueprint: Blueprint) -> None:
    blueprint.ARGUMENTS_PARSER = Parser()
    blueprint.register_error_handler(DomainError, domain_error)
    blueprint.register_error_handler(HTTPException, http_error)
    blueprint.register_error_handler(InternalServerError, internal_error)
    blueprint.app_errorhandler(404)(routing_error)
    blueprint.app_errorhandler(405)(routing_error)
