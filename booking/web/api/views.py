"""The JSON API's endpoints: parse and check, call one service, commit, answer.

Mounted at /api/v1 and exempt from the pages' form CSRF check: a bearer token
cannot be sent by another site, and requests made with the session cookie
check the CSRF header themselves (booking.web.api.auth).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask import Blueprint, current_app, request, url_for
from flask.wrappers import Response
from sqlalchemy.orm import contains_eager, joinedload

from booking.extensions import db, limiter
from booking.models import (
    Booking,
    Facility,
    Slot,
    User,
    WaitlistEntry,
    WaitlistStatus,
)
from booking.services import accounts, bookings, waitlist
from booking.services.availability import booked_codes, facility_days, open_facility_zone
from booking.services.booking_errors import BookingNotFound, SlotNotFound
from booking.services.clock import local_date, utcnow, zone
from booking.services.directory import open_schools
from booking.services.errors import DomainError, NotFound
from booking.services.policy import policies_for, policy_for
from booking.web.api import auth, errors, openapi, schemas
from booking.web.api.responses import (
    PAST_BOOKINGS_SHOWN,
    booking_json,
    entry_json,
    iso,
    json_response,
    school_json,
    slot_json,
    user_json,
)
from booking.web.auth.sessions import client_address, failure_counter

blueprint = Blueprint("api", __name__)
errors.register(blueprint)


@blueprint.after_request
def no_store(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# Loading, with the pages' rule: what is another resident's, or inactive, is not found.


def bookable_slot(slot_id: int) -> Slot:
    slot = db.session.scalar(
        sa.select(Slot)
        .where(Slot.id == slot_id)
        .options(joinedload(Slot.facility).joinedload(Facility.school))
    )
    if slot is None or not (slot.facility.is_active and slot.facility.school.is_active):
        raise SlotNotFound()
    return slot


def own_booking(code: str) -> Booking:
    booking = bookings.find_for_resident(db.session, code, auth.caller())
    if booking is None:
        raise BookingNotFound()
    return booking


def own_entry(entry_id: int) -> WaitlistEntry:
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None or entry.resident_id != auth.caller().id:
        raise NotFound()
    return entry


def booked_slot_ids(user: User, slot_ids: Iterable[int]) -> set[int]:
    return set(booked_codes(db.session, user.id, list(slot_ids)))


def queue_position(entry: WaitlistEntry) -> int | None:
    if entry.status != WaitlistStatus.WAITING:
        return None
    return waitlist.position(db.session, entry)


# The document


@blueprint.get("/openapi.json")
def openapi_document() -> Response:
    return json_response(openapi.document())


# Accounts and tokens


@blueprint.post("/auth/register")
@limiter.limit(lambda: current_app.config["RATELIMIT_REGISTER"])
def register() -> Response:
    new = schemas.registration(schemas.json_body())
    user = accounts.register_resident(
        db.session, new, id_hash_key=current_app.config["ID_HASH_KEY"], now=utcnow()
    )
    db.session.commit()
    return json_response(user_json(user), 201)


@blueprint.post("/auth/token")
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
def create_token() -> Response:
    phone, password = schemas.credentials(schemas.json_body())
    now = utcnow()
    try:
        user = accounts.sign_in(
            db.session, failure_counter(), phone, password, address=client_address(), now=now
        )
    except DomainError:
        db.session.commit()  # the failure counts, on every worker
        raise
    raw, token = auth.issue_token(db.session, user, now=now)
    shown = {"token": raw, "token_type": "Bearer", "expires_at": iso(token.expires_at, zone("UTC"))}
    db.session.commit()
    return json_response(shown)


@blueprint.delete("/auth/token")
@auth.token_required
def revoke_token() -> Response:
    auth.revoke_token(auth.current_token(), now=utcnow())
    db.session.commit()
    return current_app.response_class(status=204)


# What there is to book


@blueprint.get("/schools")
def list_schools() -> Response:
    return json_response([school_json(school) for school in open_schools(db.session)])


@blueprint.get("/facilities/<int:facility_id>/slots")
def list_slots(facility_id: int) -> Response:
    cache_seconds = current_app.config["AVAILABILITY_CACHE_SECONDS"]
    zone_name = open_facility_zone(db.session, facility_id, cache_seconds)
    if zone_name is None:
        raise NotFound()
    user = auth.authenticate()
    tz = zone(zone_name)
    now = utcnow()
    first, last = schemas.date_range(request.args, today=local_date(now, tz))
    shown = [
        view
        for day in facility_days(
            db.session,
            facility_id,
            tz,
            first,
            last,
            now,
            cache_seconds=cache_seconds,
        )
        for view in day.slots
    ]
    mine = booked_slot_ids(user, (view.slot.id for view in shown)) if user else set()
    return json_response(
        [
            slot_json(
                view.slot,
                view.state,
                tz,
                booked_by_me=(view.slot.id in mine) if user else None,
            )
            for view in shown
        ]
    )


# Bookings


@blueprint.post("/bookings")
@limiter.limit(lambda: current_app.config["RATELIMIT_BOOKING"])
@auth.resident_required
def create_booking() -> Response:
    slot_id, details = schemas.new_booking(schemas.json_body())
    slot = bookable_slot(slot_id)
    policy = policy_for(db.session, slot.facility_id)
    now = utcnow()
    booking = bookings.book(
        db.session,
        slot.id,
        auth.caller(),
        details.for_facility(slot.facility),
        policy=policy,
        now=now,
        take=current_app.extensions["place_taker"],
    )
    # Rendered before the commit, while everything is loaded: no reload after it.
    body = booking_json(booking, policy, now)
    db.session.commit()
    location = url_for(".get_booking", code=booking.code)
    return json_response(body, 201, headers={"Location": location})


@blueprint.get("/bookings/<code>")
@auth.resident_required
def get_booking(code: str) -> Response:
    booking = own_booking(code)
    return json_response(
        booking_json(booking, policy_for(db.session, booking.slot.facility_id), utcnow())
    )


@blueprint.delete("/bookings/<code>")
@auth.resident_required
def cancel_booking(code: str) -> Response:
    booking = own_booking(code)
    policy = policy_for(db.session, booking.slot.facility_id)
    now = utcnow()
    bookings.cancel_by_resident(db.session, booking, auth.caller(), policy=policy, now=now)
    db.session.commit()
    return json_response(booking_json(booking, policy, now))


@blueprint.get("/me/bookings")
@auth.resident_required
def my_bookings() -> Response:
    """Upcoming bookings, soonest first, then the latest past ones, latest first."""
    now = utcnow()
    mine = db.session.scalars(
        sa.select(Booking)
        .join(Booking.slot)
        .join(Slot.facility)
        .join(Facility.school)
        .where(Booking.resident_id == auth.caller().id)
        .options(
            contains_eager(Booking.slot)
            .contains_eager(Slot.facility)
            .contains_eager(Facility.school)
        )
        .order_by(Slot.starts_at, Booking.id)
    ).all()
    upcoming = [booking for booking in mine if booking.slot.ends_at > now]
    past = [booking for booking in reversed(mine) if booking.slot.ends_at <= now]
    shown = upcoming + past[:PAST_BOOKINGS_SHOWN]
    policies = policies_for(db.session, {booking.slot.facility_id for booking in shown})
    return json_response(
        [booking_json(booking, policies[booking.slot.facility_id], now) for booking in shown]
    )


# The waitlist


@blueprint.post("/slots/<int:slot_id>/waitlist")
@limiter.limit(lambda: current_app.config["RATELIMIT_BOOKING"])
@auth.resident_required
def join_waitlist(slot_id: int) -> Response:
    details = schemas.waitlist_request(schemas.json_body(optional=True))
    slot = bookable_slot(slot_id)
    entry = waitlist.join(
        db.session,
        slot.id,
        auth.caller(),
        details.for_facility(slot.facility),
        policy=policy_for(db.session, slot.facility_id),
        now=utcnow(),
    )
    db.session.commit()
    return json_response(entry_json(entry, queue_position(entry)), 201)


@blueprint.delete("/waitlist/<int:entry_id>")
@auth.resident_required
def leave_waitlist(entry_id: int) -> Response:
    entry = own_entry(entry_id)
    waitlist.leave(db.session, entry, auth.caller(), now=utcnow())
    db.session.commit()
    return json_response(entry_json(entry, None))


@blueprint.post("/waitlist/<int:entry_id>/accept")
@auth.resident_required
def accept_offer(entry_id: int) -> Response:
    entry = own_entry(entry_id)
    policy = policy_for(db.session, entry.slot.facility_id)
    now = utcnow()
    booking = waitlist.accept(db.session, entry, auth.caller(), policy=policy, now=now)
    db.session.commit()
    location = url_for(".get_booking", code=booking.code)
    return json_response(booking_json(booking, policy, now), 201, headers={"Location": location})


@blueprint.get("/me/waitlist")
@auth.resident_required
def my_waitlist() -> Response:
    entries = waitlist.my_entries(db.session, auth.caller(), utcnow())
    return json_response([entry_json(entry, queue_position(entry)) for entry in entries])
