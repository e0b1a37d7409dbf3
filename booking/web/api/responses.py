"""What the API answers: JSON documents, instants in the school's zone with
their UTC offset (2026-11-25T18:30:00+08:00), and the error body."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask.wrappers import Response

from booking.models import Booking, Facility, School, Slot, User, WaitlistEntry
from booking.services import bookings
from booking.services.availability import SlotState
from booking.services.clock import to_local, zone
from booking.services.policy import Policy

# "<", ">" and "&" only ever occur inside JSON strings, where these escapes mean
# the same; the body then holds no markup for a browser that sniffs it as HTML.
_HTML_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})
PAST_BOOKINGS_SHOWN = 50  # a resident's history grows for years; the latest are enough here


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    body = current_app.json.dumps(data).translate(_HTML_ESCAPES)
    return current_app.response_class(
        body + "\n", status=status, headers=headers, mimetype="application/json"
    )


def error_body(code: str, message: str, fields: Mapping[str, str] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = dict(fields)
    return {"error": error}


def iso(instant: datetime | None, tz: ZoneInfo) -> str | None:
    """ISO 8601 in `tz`, with its offset."""
    if instant is None:
        return None
    return to_local(instant, tz).isoformat(timespec="seconds")


def school_zone(school: School) -> ZoneInfo:
    return zone(school.timezone)


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "role": user.role.value,
        "real_name": user.real_name,
        "phone": user.phone,
        "email": user.email,
        "is_verified": user.is_verified,
    }


def facility_json(facility: Facility) -> dict[str, Any]:
    return {
        "id": facility.id,
        "kind": facility.kind.value,
        "name": facility.name,
        "name_en": facility.name_en,
        "capacity": facility.capacity,
        "requires_approval": facility.requires_approval,
        "is_exclusive": facility.is_exclusive,
    }


def school_json(school: School) -> dict[str, Any]:
    return {
        "code": school.code,
        "name": school.name,
        "name_en": school.name_en,
        "address": school.address,
        "is_public": school.is_public,
        "timezone": school.timezone,
        "facilities": [facility_json(f) for f in school.facilities if f.is_active],
    }


def slot_json(
    slot: Slot, state: SlotState, tz: ZoneInfo, *, booked_by_me: bool | None = None
) -> dict[str, Any]:
    """`booked_by_me` only for an authenticated caller."""
    shown: dict[str, Any] = {
        "id": slot.id,
        "starts_at": iso(slot.starts_at, tz),
        "ends_at": iso(slot.ends_at, tz),
        "opens_at": iso(slot.opens_at, tz),
        "capacity": slot.capacity,
        "places_left": max(slot.capacity - slot.held, 0),
        "state": state.value,
    }
    if booked_by_me is not None:
        shown["booked_by_me"] = booked_by_me
    return shown


def booking_json(booking: Booking, policy: Policy, now: datetime) -> dict[str, Any]:
    slot = booking.slot
    facility = slot.facility
    school = facility.school
    tz = school_zone(school)
    deadline = bookings.cancel_deadline(booking, policy)
    return {
        "code": booking.code,
        "status": booking.status.value,
        "slot_id": slot.id,
        "places": booking.places,
        "starts_at": iso(slot.starts_at, tz),
        "ends_at": iso(slot.ends_at, tz),
        "facility_id": facility.id,
        "facility": {"id": facility.id, "kind": facility.kind.value, "name": facility.name},
        "school": {"code": school.code, "name": school.name},
        "purpose": booking.purpose,
        "organiser": booking.organiser,
        "attendance": booking.attendance,
        "plate": booking.plate,
        "created_at": iso(booking.created_at, tz),
        "cancel_until": iso(deadline, tz),
        "can_cancel": booking.is_active and now <= deadline,
    }


def entry_json(entry: WaitlistEntry, position: int | None) -> dict[str, Any]:
    """`position` in the line: 1 for the first waiting; None once offered or closed."""
    slot = entry.slot
    facility = slot.facility
    school = facility.school
    tz = school_zone(school)
    return {
        "id": entry.id,
        "status": entry.status.value,
        "position": position,
        "places": entry.places,
        "slot_id": slot.id,
        "starts_at": iso(slot.starts_at, tz),
        "ends_at": iso(slot.ends_at, tz),
        "facility_id": facility.id,
        "facility": {"id": facility.id, "kind": facility.kind.value, "name": facility.name},
        "school": {"code": school.code, "name": school.name},
        "offer_expires_at": iso(entry.offer_expires_at, tz),
    }
