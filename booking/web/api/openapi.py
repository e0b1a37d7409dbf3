"""The OpenAPI 3.0 description of /api/v1, written by hand.

A test walks the app's URL map and fails when a route is missing here, so
this document and the views cannot drift apart unnoticed.
"""

from __future__ import annotations

from typing import Any

from booking.web.api import schemas
from booking.web.api.responses import PAST_BOOKINGS_SHOWN

JSON = "application/json"


def ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def body(schema: str, *, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {JSON: {"schema": ref("schemas", schema)}}}


def answer(description: str, schema: str | None = None, *, many: bool = False) -> dict[str, Any]:
    shown: dict[str, Any] = {"description": description}
    if schema is not None:
        item = ref("schemas", schema)
        shown["content"] = {JSON: {"schema": {"type": "array", "items": item} if many else item}}
    return shown


def errors(*statuses: int) -> dict[str, Any]:
    names = {
        400: "Invalid",
        401: "Unauthenticated",
        403: "Forbidden",
        404: "NotFound",
        409: "Conflict",
        429: "RateLimited",
    }
    return {str(status): ref("responses", names[status]) for status in statuses}


PUBLIC: list[dict[str, list[str]]] = []
SIGNED_IN = [{"bearerAuth": []}, {"cookieAuth": []}]
SIGNED_IN_OR_NOT = [{}, *SIGNED_IN]

DATE_TIME = {"type": "string", "format": "date-time", "example": "2026-11-25T18:30:00+08:00"}
NULLABLE_DATE_TIME = {**DATE_TIME, "nullable": True}
FACILITY_KINDS = ["lecture_hall", "library", "reading_room", "sports_venue", "parking"]
BOOKING_STATUSES = [
    "pending",
    "confirmed",
    "checked_in",
    "no_show",
    "cancelled",
    "rejected",
    "expired",
]
ERROR_CODES = [
    "validation",
    "terms",
    "unauthorized",
    "invalid_token",
    "invalid_credentials",
    "csrf",
    "forbidden",
    "verification_required",
    "suspended",
    "not_found",
    "method_not_allowed",
    "phone_taken",
    "id_number_taken",
    "slot_full",
    "not_released",
    "quota_exceeded",
    "duplicate",
    "overlap",
    "closed",
    "past",
    "not_enough_places",
    "cancel_deadline_passed",
    "invalid_state",
    "waitlist",
    "offer_closed",
    "rate_limited",
]


def details_properties() -> dict[str, Any]:
    return {
        "places": {
            "type": "integer",
            "minimum": 1,
            "maximum": schemas.MAX_PLACES,
            "default": 1,
            "description": "People in the party; a hall (is_exclusive) is booked whole.",
        },
        "purpose": {
            "type": "string",
            "maxLength": schemas.MAX_PURPOSE,
            "description": "Required for a lecture hall.",
        },
        "organiser": {"type": "string", "maxLength": schemas.MAX_ORGANISER},
        "attendance": {
            "type": "integer",
            "minimum": 1,
            "maximum": schemas.MAX_ATTENDANCE,
            "description": "Expected attendance; required for a lecture hall.",
        },
        "plate": {
            "type": "string",
            "example": "粤B12345",
            "description": "Mainland licence plate, required for parking. Spaces and '·' "
            "are dropped and letters upper-cased; regular (粤B12345) or new-energy "
            "(粤BD12345, 粤B12345D).",
        },
        "terms_version": {
            "type": "integer",
            "minimum": 1,
            "description": "The version of the school's visitor rules the resident accepted; "
            "required when the school has rules.",
        },
    }


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {
                        "type": "string",
                        "description": "Stable, for programs. Known codes: "
                        + ", ".join(ERROR_CODES)
                        + ".",
                        "example": "slot_full",
                    },
                    "message": {
                        "type": "string",
                        "description": "For people, in the language of Accept-Language "
                        "(zh_Hans by default, or en).",
                        "example": "This time is fully booked. You can join the waitlist.",
                    },
                    "fields": {
                        "type": "object",
                        "additionalProperties": {"type": "string"},
                        "description": "For input errors: the message of each field in error.",
                        "example": {"phone": "Enter your mobile number."},
                    },
                },
            }
        },
    },
    "Registration": {
        "type": "object",
        "required": ["real_name", "phone", "password"],
        "properties": {
            "real_name": {"type": "string", "minLength": 1, "maxLength": schemas.MAX_NAME},
            "phone": {
                "type": "string",
                "example": "13800138000",
                "description": "Mainland mobile number; spaces, dashes and +86 are dropped.",
            },
            "password": {
                "type": "string",
                "minLength": 10,
                "maxLength": schemas.MAX_PASSWORD,
                "format": "password",
            },
            "email": {"type": "string", "format": "email", "maxLength": schemas.MAX_EMAIL},
            "id_number": {
                "type": "string",
                "description": "18-character resident ID number; kept only hashed and masked.",
            },
        },
    },
    "User": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "role": {"type": "string", "enum": ["resident", "staff", "admin"]},
            "real_name": {"type": "string"},
            "phone": {"type": "string"},
            "email": {"type": "string", "nullable": True},
            "is_verified": {"type": "boolean"},
        },
    },
    "Credentials": {
        "type": "object",
        "required": ["phone", "password"],
        "properties": {
            "phone": {"type": "string", "example": "13800138000"},
            "password": {"type": "string", "format": "password"},
        },
    },
    "Token": {
        "type": "object",
        "required": ["token", "token_type", "expires_at"],
        "properties": {
            "token": {
                "type": "string",
                "description": "Send as `Authorization: Bearer <token>`. Shown only once.",
            },
            "token_type": {"type": "string", "enum": ["Bearer"]},
            "expires_at": DATE_TIME,
        },
    },
    "Facility": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": FACILITY_KINDS},
            "name": {"type": "string"},
            "name_en": {"type": "string", "nullable": True},
            "capacity": {"type": "integer"},
            "requires_approval": {"type": "boolean"},
            "is_exclusive": {"type": "boolean", "description": "Booked whole (a hall)."},
        },
    },
    "School": {
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "name_en": {"type": "string", "nullable": True},
            "address": {"type": "string"},
            "is_public": {"type": "boolean"},
            "timezone": {"type": "string", "example": "Asia/Shanghai"},
            "facilities": {"type": "array", "items": ref("schemas", "Facility")},
        },
    },
    "Slot": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "starts_at": DATE_TIME,
            "ends_at": DATE_TIME,
            "opens_at": {**DATE_TIME, "description": "When booking for the slot opens."},
            "capacity": {"type": "integer"},
            "places_left": {"type": "integer"},
            "state": {
                "type": "string",
                "enum": ["open", "full", "not_released", "closed", "past"],
            },
            "booked_by_me": {
                "type": "boolean",
                "description": "Only for an authenticated caller: holds an active booking.",
            },
        },
    },
    "BookingDetails": {"type": "object", "properties": details_properties()},
    "NewBooking": {
        "type": "object",
        "required": ["slot_id"],
        "properties": {"slot_id": {"type": "integer", "minimum": 1}, **details_properties()},
    },
    "Booking": {
        "type": "object",
        "properties": {
            "code": {"type": "string", "example": "K7MQ3A"},
            "status": {"type": "string", "enum": BOOKING_STATUSES},
            "slot_id": {"type": "integer"},
            "places": {"type": "integer"},
            "starts_at": DATE_TIME,
            "ends_at": DATE_TIME,
            "facility_id": {"type": "integer"},
            "facility": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "kind": {"type": "string", "enum": FACILITY_KINDS},
                    "name": {"type": "string"},
                },
            },
            "school": {
                "type": "object",
                "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
            },
            "purpose": {"type": "string", "nullable": True},
            "organiser": {"type": "string", "nullable": True},
            "attendance": {"type": "integer", "nullable": True},
            "plate": {"type": "string", "nullable": True},
            "created_at": DATE_TIME,
            "cancel_until": DATE_TIME,
            "can_cancel": {"type": "boolean"},
        },
    },
    "WaitlistEntry": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "status": {
                "type": "string",
                "enum": [
                    "waiting",
                    "offered",
                    "accepted",
                    "declined",
                    "lapsed",
                    "left",
                    "skipped",
                ],
            },
            "position": {
                "type": "integer",
                "nullable": True,
                "description": "1 for the first in line; null unless waiting.",
            },
            "places": {"type": "integer"},
            "slot_id": {"type": "integer"},
            "starts_at": DATE_TIME,
            "ends_at": DATE_TIME,
            "facility_id": {"type": "integer"},
            "facility": {"type": "object"},
            "school": {"type": "object"},
            "offer_expires_at": {
                **NULLABLE_DATE_TIME,
                "description": "While offered: accept before this instant.",
            },
        },
    },
}


def error_response(description: str, code: str, message: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            JSON: {
                "schema": ref("schemas", "Error"),
                "example": {"error": {"code": code, "message": message}},
            }
        },
    }


RESPONSES = {
    "Invalid": error_response(
        "The body or a parameter is invalid (`validation`, with `fields`).",
        "validation",
        "Enter your mobile number.",
    ),
    "Unauthenticated": {
        **error_response(
            "No credentials, or a token that is unknown, expired or revoked, or whose user "
            "is deactivated.",
            "unauthorized",
            "Log in, or send an API token in the Authorization header.",
        ),
        "headers": {"WWW-Authenticate": {"schema": {"type": "string", "example": "Bearer"}}},
    },
    "Forbidden": error_response(
        "Not allowed: not a resident, a missing CSRF header with the session cookie, "
        "suspended, or not verified where the facility requires it.",
        "forbidden",
        "Only resident accounts can book, cancel or join a waitlist.",
    ),
    "NotFound": error_response(
        "Unknown, inactive, or another resident's.", "not_found", "Not found."
    ),
    "Conflict": error_response(
        "A rule refused the request; `code` says which.",
        "slot_full",
        "This time is fully booked. You can join the waitlist.",
    ),
    "RateLimited": {
        **error_response(
            "Too many requests from this address.",
            "rate_limited",
            "Too many attempts from your network. Please wait a minute and try again.",
        ),
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}

PARAMETERS = {
    "facility_id": {
        "name": "facility_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer"},
    },
    "slot_id": {"name": "slot_id", "in": "path", "required": True, "schema": {"type": "integer"}},
    "entry_id": {"name": "entry_id", "in": "path", "required": True, "schema": {"type": "integer"}},
    "code": {
        "name": "code",
        "in": "path",
        "required": True,
        "description": "The booking code shown to the resident.",
        "schema": {"type": "string", "example": "K7MQ3A"},
    },
    "from": {
        "name": "from",
        "in": "query",
        "description": "First local day (school's zone), included; default today.",
        "schema": {"type": "string", "format": "date"},
    },
    "to": {
        "name": "to",
        "in": "query",
        "description": f"Last local day, included; default `from` + {schemas.DEFAULT_DAYS - 1}. "
        f"At most {schemas.MAX_DAYS} days.",
        "schema": {"type": "string", "format": "date"},
    },
}


def operation(
    operation_id: str,
    summary: str,
    responses: dict[str, Any],
    *,
    security: list[dict[str, list[str]]],
    tags: list[str],
    parameters: list[str] | None = None,
    request_body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "tags": tags,
        "security": security,
        "responses": responses,
    }
    if parameters:
        shown["parameters"] = [ref("parameters", name) for name in parameters]
    if request_body is not None:
        shown["requestBody"] = request_body
    return shown


PATHS: dict[str, Any] = {
    "/openapi.json": {
        "get": operation(
            "openapi",
            "This document",
            {"200": {"description": "OpenAPI 3.0 document", "content": {JSON: {}}}},
            security=PUBLIC,
            tags=["meta"],
        )
    },
    "/auth/register": {
        "post": operation(
            "register",
            "Register a resident account",
            {
                "201": answer("The account; ask for a token next.", "User"),
                **errors(400, 409, 429),
            },
            security=PUBLIC,
            tags=["accounts"],
            request_body=body("Registration"),
        )
    },
    "/auth/token": {
        "post": operation(
            "create_token",
            "Get a bearer token (valid 30 days)",
            {
                "200": answer("A new token.", "Token"),
                "401": error_response(
                    "Wrong mobile number or password (the same for an unknown number).",
                    "invalid_credentials",
                    "Wrong mobile number or password.",
                ),
                **errors(400, 429),
            },
            security=PUBLIC,
            tags=["accounts"],
            request_body=body("Credentials"),
        ),
        "delete": operation(
            "revoke_token",
            "Revoke the token sent with this request",
            {"204": answer("Revoked."), **errors(401)},
            security=[{"bearerAuth": []}],
            tags=["accounts"],
        ),
    },
    "/schools": {
        "get": operation(
            "list_schools",
            "Schools and their active facilities",
            {"200": answer("Active schools, public ones first.", "School", many=True)},
            security=PUBLIC,
            tags=["facilities"],
        )
    },
    "/facilities/{facility_id}/slots": {
        "get": operation(
            "list_slots",
            "A facility's slots over local days, with availability and release time",
            {
                "200": answer("Slots, in start order.", "Slot", many=True),
                **errors(400, 401, 404),
            },
            security=SIGNED_IN_OR_NOT,
            tags=["facilities"],
            parameters=["facility_id", "from", "to"],
        )
    },
    "/bookings": {
        "post": operation(
            "create_booking",
            "Book a slot",
            {
                "201": {
                    **answer(
                        "The booking: confirmed, or pending the school's approval.", "Booking"
                    ),
                    "headers": {"Location": {"schema": {"type": "string"}}},
                },
                **errors(400, 401, 403, 404, 409, 429),
            },
            security=SIGNED_IN,
            tags=["bookings"],
            request_body=body("NewBooking"),
        )
    },
    "/bookings/{code}": {
        "get": operation(
            "get_booking",
            "One of my bookings",
            {"200": answer("The booking.", "Booking"), **errors(401, 403, 404)},
            security=SIGNED_IN,
            tags=["bookings"],
            parameters=["code"],
        ),
        "delete": operation(
            "cancel_booking",
            "Cancel one of my bookings, before the cancellation deadline",
            {"200": answer("The cancelled booking.", "Booking"), **errors(401, 403, 404, 409)},
            security=SIGNED_IN,
            tags=["bookings"],
            parameters=["code"],
        ),
    },
    "/me/bookings": {
        "get": operation(
            "my_bookings",
            "My bookings",
            {
                "200": answer(
                    f"Upcoming, soonest first, then the latest {PAST_BOOKINGS_SHOWN} past ones.",
                    "Booking",
                    many=True,
                ),
                **errors(401, 403),
            },
            security=SIGNED_IN,
            tags=["bookings"],
        )
    },
    "/slots/{slot_id}/waitlist": {
        "post": operation(
            "join_waitlist",
            "Join the waitlist of a slot that has no room for the party",
            {
                "201": answer("The entry and its position.", "WaitlistEntry"),
                **errors(400, 401, 403, 404, 409, 429),
            },
            security=SIGNED_IN,
            tags=["waitlist"],
            parameters=["slot_id"],
            request_body=body("BookingDetails", required=False),
        )
    },
    "/waitlist/{entry_id}": {
        "delete": operation(
            "leave_waitlist",
            "Leave the waitlist, or decline an offer",
            {"200": answer("The closed entry.", "WaitlistEntry"), **errors(401, 403, 404, 409)},
            security=SIGNED_IN,
            tags=["waitlist"],
            parameters=["entry_id"],
        )
    },
    "/waitlist/{entry_id}/accept": {
        "post": operation(
            "accept_offer",
            "Accept the places offered to me",
            {"201": answer("The new booking.", "Booking"), **errors(401, 403, 404, 409)},
            security=SIGNED_IN,
            tags=["waitlist"],
            parameters=["entry_id"],
        )
    },
    "/me/waitlist": {
        "get": operation(
            "my_waitlist",
            "My open waitlist entries for upcoming slots",
            {
                "200": answer("Entries, soonest slot first.", "WaitlistEntry", many=True),
                **errors(401, 403),
            },
            security=SIGNED_IN,
            tags=["waitlist"],
        )
    },
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "campus-share API",
            "version": "1.0.0",
            "description": "Book the facilities that public schools open to residents. "
            "Messages follow Accept-Language (zh_Hans by default, or en). Every error is "
            '{"error": {"code", "message"}} with a 4xx status.',
        },
        "servers": [{"url": "/api/v1"}],
        "tags": [
            {"name": "accounts"},
            {"name": "facilities"},
            {"name": "bookings"},
            {"name": "waitlist"},
            {"name": "meta"},
        ],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "responses": RESPONSES,
            "parameters": PARAMETERS,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from POST /auth/token.",
                },
                "cookieAuth": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "The pages' login session. POST and DELETE made with it "
                    "must also send the page's CSRF token in the X-CSRFToken header (403 "
                    "`csrf` otherwise).",
                },
            },
        },
    }
