"""The OpenAPI document, written by flask-smorest from the schemas the API
parses and dumps with, and the error answers every operation documents.

flask-smorest rather than apiflask: it works with the plain Flask app the
pages run in (apiflask wants its own app class and answers every error of
the site as JSON), documents exactly the blueprints registered with it, and
builds on marshmallow and webargs, as Indico's room booking does.
"""

from __future__ import annotations

from typing import Any

import flask
import marshmallow as ma
from flask_smorest import Api
from marshmallow import fields

from booking.services.errors import DomainError

# Codes that do not come from a DomainError: what Flask, the rate limiter, the
# database and the request guards answer with.
WEB_ERROR_CODES = (
    "bad_request",
    "validation",
    "not_found",
    "method_not_allowed",
    "too_large",
    "bad_host",
    "rate_limited",
    "busy",
    "internal_error",
)


def domain_error_codes() -> list[str]:
    """Every code a DomainError subclass answers with, found in the classes themselves."""
    from booking.services import (  # noqa: F401 (their errors join the list)
        accounts,
        booking_errors,
        booking_form,
        bookings,
        supply,
        verification,
    )
    from booking.web.api import auth  # noqa: F401

    seen: set[str] = set()
    pending: list[type[DomainError]] = [DomainError]
    while pending:
        cls = pending.pop()
        seen.add(cls.code)
        pending.extend(cls.__subclasses__())
    return sorted(seen)


def error_codes() -> list[str]:
    return sorted({*domain_error_codes(), *WEB_ERROR_CODES})


class ErrorDetail(ma.Schema):
    code = fields.String(
        required=True,
        metadata={"description": "Stable, for programs.", "example": "slot_full"},
    )
    message = fields.String(
        required=True,
        metadata={
            "description": "For people, in the language of Accept-Language (zh_Hans, or en).",
            "example": "This time is fully booked. You can join the waitlist.",
        },
    )
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "For input errors: the message of each field in error."},
    )


class ErrorBody(ma.Schema):
    error = fields.Nested(ErrorDetail, required=True)


class CampusApi(Api):
    """flask-smorest's Api with our error body, and without its app-wide error
    handler: the pages keep their own, and the API blueprint has its own."""

    ERROR_SCHEMA = ErrorBody
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self) -> None:
        pass

    def document(self) -> dict[str, Any]:
        """The spec, with the error codes listed from the errors themselves."""
        document: dict[str, Any] = self.spec.to_dict()
        detail = document["components"]["schemas"]["ErrorDetail"]
        detail["properties"]["code"]["enum"] = error_codes()
        return document

    def _openapi_json(self) -> Any:
        return flask.current_app.response_class(
            flask.json.dumps(self.document(), sort_keys=False), mimetype="application/json"
        )


DESCRIPTIONS = {
    400: "The request could not be read (`bad_request`), or a rule refused a field "
    "(`validation` with `fields`).",
    401: "No credentials, or a token that is unknown, expired or revoked "
    "(`unauthorized`, `invalid_token`, `invalid_credentials`).",
    403: "Not allowed: not a resident, a missing CSRF header with the session cookie, "
    "suspended, or not verified where required.",
    404: "Unknown, not open to the public, or another resident's (`not_found`).",
    409: "A rule refused the request; `code` says which (e.g. `slot_full`, `not_released`).",
    413: "The body is too large (`too_large`).",
    422: "The body or a query parameter does not fit the schema (`validation`, with `fields`).",
    429: "Too many requests or failed attempts (`rate_limited`, `too_many_attempts`, "
    "`too_many_codes`); wait the seconds of Retry-After.",
    500: "A fault of the server (`internal_error`); nothing was half-saved.",
    503: "The database is busy or unreachable (`busy`); nothing was saved. Try again after "
    "the seconds of Retry-After.",
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}}
HEADERS = {
    401: {"WWW-Authenticate": {"schema": {"type": "string", "example": "Bearer"}}},
    429: RETRY_AFTER,
    503: RETRY_AFTER,
}
# Every operation can meet these: an unreadable request, a fault, a busy database.
ALWAYS = (400, 500, 503)


def spec_options() -> dict[str, Any]:
    return {
        "info": {
            "description": "Book the facilities that public schools open to residents: find "
            "a school and a facility, read its visitor rules and booking form, book a slot, "
            "cancel, wait on a waitlist, read notices, manage the account. Messages follow "
            'Accept-Language (zh_Hans by default, or en). Every error is {"error": '
            '{"code", "message"}} with a 4xx or 5xx status. Error codes: '
            + ", ".join(error_codes())
            + ".",
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from POST /api/v1/auth/token.",
                },
                "cookieAuth": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "The pages' login session. Requests that change something "
                    "must also send the page's CSRF token in the X-CSRFToken header.",
                },
            }
        },
    }
