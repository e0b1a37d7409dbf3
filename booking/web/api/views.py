"""The JSON API's operations: parse with a schema, call one service, commit,
answer with a schema. Mounted at /api/v1; described at /api/v1/openapi.json.

Exempt from the pages' form CSRF check: a bearer token cannot be sent by
another site, and requests made with the session cookie check the CSRF
header themselves (booking.web.api.auth).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, jsonify, url_for
from flask.wrappers import Response
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_smorest import Blueprint
from sqlalchemy.orm import contains_eager, joinedload

from booking.extensions import db, limiter
from booking.labels import reason_text
from booking.models import (
    ApiToken,
    Booking,
    Facility,
    Notice,
    School,
    Slot,
    User,
    VisitorTerms,
    WaitlistEntry,
    WaitlistStatus,
)
from booking.services import (
    accounts,
    booking_form,
    bookings,
    cancellations,
    notice_texts,
    privacy,
    release_reminders,
    verification,
    waitlist,
)
from booking.services.availability import (
    booked_codes,
    facility_days,
    open_facility_zone,
    planned_days,
)
from booking.services.booking_errors import BookingNotFound
from booking.services.booking_form import BookingRequest
from booking.services.clock import NEAR_YEARS, is_near, local_date, utcnow, zone
from booking.services.directory import open_schools
from booking.services.errors import DomainError, NotFound
from booking.services.policy import Policy, policies_for, policy_for
from booking.services.sms import masked
from booking.web.api import auth, errors, schemas, spec
from booking.web.auth import delivery
from booking.web.auth.sessions import client_address, failure_counter
from booking.web.urls import read_date

blueprint = Blueprint(
    "api",
    __name__,
    url_prefix="/api/v1",
    description="Book the facilities that public schools open to residents.",
)
errors.register(blueprint)

PAST_BOOKINGS_SHOWN = 50  # a resident's history grows for years; the latest are enough here
PUBLIC: list[dict[str, list[str]]] = []
SIGNED_IN = [{"bearerAuth": []}, {"cookieAuth": []}]
SIGNED_IN_OR_NOT = [{}, *SIGNED_IN]
TOKEN_ONLY = [{"bearerAuth": []}]


def answers(*statuses: int) -> Callable[[Any], Any]:
    """Document the error answers of an operation (and those every operation
    can give), each with the error body."""

    def decorate(view: Any) -> Any:
        for status in sorted({*statuses, *spec.ALWAYS}, reverse=True):
            view = blueprint.alt_response(
                status,
                schema=spec.ErrorBody,
                description=spec.DESCRIPTIONS[status],
                headers=spec.HEADERS.get(status),
            )(view)
        return view

    return decorate


def secured(security: list[dict[str, list[str]]]) -> Callable[[Any], Any]:
    """Document who may call the operation; its operationId is the view's name."""

    def decorate(view: Any) -> Any:
        return blueprint.doc(security=security, operationId=view.__name__)(view)

    return decorate


class Shown:
    """An object as an answer shows it: its own attributes and a few more."""

    def __init__(self, obj: Any, **extra: Any) -> None:
        self._obj = obj
        self.__dict__.update(extra)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._obj, name)


# Loading, with the pages' rule: another resident's, or what is not open, is not found.


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


def open_school(code: str) -> School:
    school = db.session.scalar(
        sa.select(School)
        .where(School.code == code, School.is_active)
        .options(joinedload(School.facilities))
    )
    if school is None:
        raise NotFound(_("There is no such school."))
    return school


def open_facility(facility_id: int) -> Facility:
    facility = db.session.get(Facility, facility_id)
    if facility is None or not (facility.is_active and facility.school.is_active):
        raise NotFound()
    return facility


def shown_booking(booking: Booking, policy: Policy) -> Shown:
    deadline = bookings.cancel_deadline(booking, policy)
    return Shown(
        booking,
        cancel_until=deadline,
        can_cancel=booking.is_active and utcnow() <= deadline,
        reason_text=reason_text(booking.reason) or None,
    )


def shown_entry(entry: WaitlistEntry) -> Shown:
    waiting = entry.status == WaitlistStatus.WAITING
    return Shown(entry, position=waitlist.position(db.session, entry) if waiting else None)


def shown_facility(facility: Facility, policy: Policy) -> Shown:
    release = {"days_ahead": policy.advance_days, "time": policy.release_time.strftime("%H:%M")}
    return Shown(facility, release=release)


def shown_school(school: School, policies: dict[int, Policy] | None = None) -> Shown:
    active = [facility for facility in school.facilities if facility.is_active]
    if policies is None:
        policies = policies_for(db.session, [facility.id for facility in active])
    return Shown(
        school, facilities=[shown_facility(facility, policies[facility.id]) for facility in active]
    )


def shown_terms(terms: VisitorTerms, school: School) -> Shown:
    english = str(get_locale()) == "en" and bool(terms.body_en)
    return Shown(
        terms,
        school=school.code,
        body=terms.body_en if english else terms.body,
        language="en" if english else "zh_Hans",
        published_at=schemas.utc_instant(terms.published_at),
    )


def committed(
    schema: Any, obj: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """Dump `obj` while everything it shows is loaded, then commit: no reload
    after the commit. The answer is what the operation documents."""
    response = jsonify(schema.dump(obj))
    db.session.commit()
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def commit_then_raise(action: Callable[[], Any]) -> Any:
    """Run `action`; when a rule refuses it, keep what it counted (a failed
    login, a wrong code) before answering."""
    try:
        return action()
    except DomainError:
        db.session.commit()
        raise


# Accounts and tokens


@blueprint.route("/auth/register", methods=["POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_REGISTER"])
@blueprint.arguments(schemas.RegistrationIn)
@blueprint.response(201, schemas.AccountOut, description="The account; ask for a token next.")
@answers(409, 413, 422, 429)
@secured(PUBLIC)
def register(data: dict[str, Any]) -> User:
    """Register a resident account (with the SMS code when the site verifies numbers),
    accepting the current privacy notice by its `privacy_version`."""
    now = utcnow()
    privacy.check_accepted(db.session, data.get("privacy_version"))
    if current_app.config["SMS_VERIFY_REGISTRATION"]:
        commit_then_raise(
            lambda: verification.consume(
                db.session,
                failure_counter(),
                purpose=verification.CodePurpose.REGISTER,
                phone=data["phone"],
                code=data.get("sms_code") or "",
                address=client_address(),
                key=current_app.config["SECRET_KEY"],
                now=now,
            )
        )
    new = accounts.NewResident(
        real_name=data["real_name"],
        phone=data["phone"],
        password=data["password"],
        email=data.get("email") or None,
        id_number=data.get("id_number") or None,
        privacy_version=data.get("privacy_version"),
    )
    user = accounts.register_resident(
        db.session, new, id_hash_key=current_app.config["ID_HASH_KEY"], now=now
    )
    user.locale = str(get_locale())
    db.session.commit()
    return user


@blueprint.route("/auth/register/code", methods=["POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_REGISTER"])
@blueprint.arguments(schemas.PhoneIn)
@blueprint.response(202, schemas.CodeSentOut, description="A code is on its way by SMS.")
@answers(409, 413, 422, 429)
@secured(PUBLIC)
def send_registration_code(data: dict[str, Any]) -> dict[str, Any]:
    """Send a 6-digit code to a mobile number, to register with it."""
    phone = data["phone"]
    if accounts.find_by_phone(db.session, phone) is not None:
        raise accounts.PhoneTaken(field="phone")
    code = verification.issue(
        db.session,
        failure_counter(),
        purpose=verification.CodePurpose.REGISTER,
        phone=phone,
        address=client_address(),
        key=current_app.config["SECRET_KEY"],
        now=utcnow(),
    )
    db.session.commit()
    delivery.send_code(phone, code)
    return code_sent(phone, _("We sent a 6-digit code to %(phone)s.", phone=masked(phone)))


def code_sent(phone: str, message: str) -> dict[str, Any]:
    return {
        "sent_to": masked(phone),
        "valid_minutes": verification.CODE_MINUTES,
        "message": message,
    }


@blueprint.route("/auth/token", methods=["POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
@blueprint.arguments(schemas.CredentialsIn)
@blueprint.response(200, schemas.TokenOut, description="A new token, valid 30 days.")
@answers(401, 413, 422, 429)
@secured(PUBLIC)
def create_token(data: dict[str, Any]) -> dict[str, Any]:
    """Get a bearer token. Failures are counted per account and address."""
    now = utcnow()
    user = commit_then_raise(
        lambda: accounts.sign_in(
            db.session,
            failure_counter(),
            data["phone"],
            data["password"],
            address=client_address(),
            now=now,
        )
    )
    raw, token = auth.issue_token(db.session, user, now=now)
    shown = {"token": raw, "token_type": "Bearer", "expires_at": token.expires_at.isoformat()}
    db.session.commit()
    return shown


@blueprint.route("/auth/token", methods=["DELETE"])
@blueprint.response(204, description="Revoked.")
@answers(401)
@secured(TOKEN_ONLY)
@auth.token_required
def revoke_token() -> None:
    """Revoke the token sent with this request."""
    auth.revoke_token(auth.current_token(), now=utcnow())
    db.session.commit()


@blueprint.route("/auth/reset", methods=["POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_REGISTER"])
@blueprint.arguments(schemas.PhoneIn)
@blueprint.response(
    202, schemas.CodeSentOut, description="The same answer whether the number has an account."
)
@answers(413, 422, 429)
@secured(PUBLIC)
def request_reset(data: dict[str, Any]) -> dict[str, Any]:
    """A forgotten password: send a code by SMS (and a link to the account's e-mail)."""
    phone = data["phone"]
    sent = accounts.request_reset(
        db.session,
        failure_counter(),
        phone,
        address=client_address(),
        key=current_app.config["SECRET_KEY"],
        now=utcnow(),
    )
    db.session.commit()
    if sent.user is not None:
        delivery.send_code(phone, sent.code)
        delivery.send_reset_link(sent.user)
    message = _(
        "If %(phone)s has an account, we sent it a 6-digit code by SMS (and a link to "
        "the account's e-mail address, if it has one).",
        phone=masked(phone),
    )
    return code_sent(phone, message)


@blueprint.route("/auth/reset/confirm", methods=["POST"])
@blueprint.arguments(schemas.ResetIn)
@blueprint.response(204, description="The password is set; every session and token ended.")
@answers(413, 422, 429)
@secured(PUBLIC)
def confirm_reset(data: dict[str, Any]) -> None:
    """Set a new password with the code from the SMS."""
    try:
        accounts.reset_with_code(
            db.session,
            failure_counter(),
            phone=data["phone"],
            code=data["code"],
            password=data["password"],
            address=client_address(),
            key=current_app.config["SECRET_KEY"],
            now=utcnow(),
        )
    except (verification.WrongCode, verification.TooManyWrongCodes):
        db.session.commit()  # a wrong code spends a try
        raise
    db.session.commit()


@blueprint.route("/me", methods=["GET"])
@blueprint.response(200, schemas.AccountOut)
@answers(401)
@secured(SIGNED_IN)
@auth.login_required
def my_account() -> User:
    """My account."""
    return auth.caller()


@blueprint.route("/me", methods=["PATCH"])
@blueprint.arguments(schemas.AccountIn)
@blueprint.response(200, schemas.AccountOut)
@answers(401, 403, 413, 422)
@secured(SIGNED_IN)
@auth.login_required
def change_account(data: dict[str, Any]) -> User:
    """Change my name (unless a school verified it), e-mail or language."""
    user = auth.caller()
    accounts.update_profile(
        user,
        real_name=data.get("real_name"),
        email=data.get("email", user.email),
        locale=data.get("locale"),
    )
    db.session.commit()
    return user


@blueprint.route("/me", methods=["DELETE"])
@blueprint.arguments(schemas.PasswordIn)
@blueprint.response(200, schemas.ErasedOut, description="Deleted; the token no longer works.")
@answers(401, 403, 413, 422)
@secured(SIGNED_IN)
@auth.login_required
def delete_account(data: dict[str, Any]) -> accounts.Erasure:
    """Delete my account: upcoming bookings are cancelled, personal data erased."""
    erased = accounts.delete_resident(db.session, auth.caller(), data["password"], now=utcnow())
    db.session.commit()
    return erased


@blueprint.route("/me/password", methods=["POST"])
@blueprint.arguments(schemas.PasswordChangeIn)
@blueprint.response(
    204, description="Changed. Every session and token ended, this one too: get a new token."
)
@answers(401, 403, 413, 422)
@secured(SIGNED_IN)
@auth.login_required
def change_password(data: dict[str, Any]) -> None:
    """Change my password."""
    accounts.change_password(
        db.session, auth.caller(), data["current_password"], data["password"], now=utcnow()
    )
    db.session.commit()


@blueprint.route("/me/sign-out-everywhere", methods=["POST"])
@blueprint.response(204, description="Every session and token of the account ended.")
@answers(401, 403)
@secured(SIGNED_IN)
@auth.login_required
def sign_out_everywhere() -> None:
    """End every login of my account, and revoke every token (this one too)."""
    accounts.end_sessions(db.session, auth.caller(), now=utcnow())
    db.session.commit()


@blueprint.route("/me/tokens", methods=["GET"])
@blueprint.response(200, schemas.TokenInfoOut(many=True))
@answers(401)
@secured(SIGNED_IN)
@auth.login_required
def my_tokens() -> list[Shown]:
    """My API tokens, newest first: created, last used, expiry."""
    current = auth.current_token_or_none()
    tokens = db.session.scalars(
        sa.select(ApiToken)
        .where(ApiToken.user_id == auth.caller().id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        .limit(100)
    )
    return [
        Shown(token, current=current is not None and token.id == current.id) for token in tokens
    ]


@blueprint.route("/me/tokens", methods=["DELETE"])
@blueprint.response(200, schemas.RevokedOut)
@answers(401, 403)
@secured(SIGNED_IN)
@auth.login_required
def revoke_my_tokens() -> dict[str, int]:
    """Revoke all my tokens (this one too)."""
    count = accounts.revoke_tokens(db.session, auth.caller(), now=utcnow())
    db.session.commit()
    return {"revoked": count}


@blueprint.route("/me/tokens/<int:token_id>", methods=["DELETE"])
@blueprint.response(204, description="Revoked.")
@answers(401, 403, 404)
@secured(SIGNED_IN)
@auth.login_required
def revoke_my_token(token_id: int) -> None:
    """Revoke one of my tokens."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != auth.caller().id:
        raise NotFound()
    auth.revoke_token(token, now=utcnow())
    db.session.commit()


@blueprint.route("/me/notices", methods=["GET"])
@blueprint.response(200, schemas.NoticeOut(many=True))
@answers(401)
@secured(SIGNED_IN)
@auth.login_required
def my_notices() -> list[Shown]:
    """My latest 100 notices, newest first."""
    rows = db.session.scalars(
        sa.select(Notice)
        .where(Notice.user_id == auth.caller().id)
        .order_by(Notice.created_at.desc(), Notice.id.desc())
        .limit(100)
    ).all()
    return [
        Shown(
            shown.notice,
            subject=shown.subject,
            body=shown.body,
            booking_code=shown.booking.code if shown.booking else None,
            slot_id=shown.slot.id if shown.slot else None,
            read=shown.notice.read_at is not None,
        )
        for shown in notice_texts.render_all(db.session, rows)
    ]


@blueprint.route("/me/notices/read", methods=["POST"])
@blueprint.response(204, description="Every notice is marked read.")
@answers(401, 403)
@secured(SIGNED_IN)
@auth.login_required
def read_notices() -> None:
    """Mark all my notices read."""
    db.session.execute(
        sa.update(Notice)
        .where(Notice.user_id == auth.caller().id, Notice.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()


# What there is to book


@blueprint.route("/schools", methods=["GET"])
@blueprint.response(200, schemas.SchoolOut(many=True), description="Public schools first.")
@answers()
@secured(PUBLIC)
def list_schools() -> list[Shown]:
    """Schools and their facilities open to the public."""
    schools = open_schools(db.session)
    facility_ids = [facility.id for school in schools for facility in school.facilities]
    policies = policies_for(db.session, facility_ids)
    return [shown_school(school, policies) for school in schools]


@blueprint.route("/schools/<code>", methods=["GET"])
@blueprint.response(200, schemas.SchoolOut)
@answers(404)
@secured(PUBLIC)
def get_school(code: str) -> Shown:
    """One school and its facilities."""
    return shown_school(open_school(code))


@blueprint.route("/privacy", methods=["GET"])
@blueprint.response(200, schemas.PrivacyNoticeOut)
@answers()
@secured(PUBLIC)
def privacy_notice() -> dict[str, Any]:
    """The privacy notice a resident accepts when registering, in English where it has one."""
    notice = privacy.current(db.session)
    english = str(get_locale()) == "en" and bool(notice.body_en)
    return {
        "version": notice.version,
        "body": notice.body_en if english else notice.body,
        "language": "en" if english else "zh_Hans",
        "published_at": schemas.utc_instant(notice.published_at),
    }


@blueprint.route("/schools/<code>/terms", methods=["GET"])
@blueprint.response(200, schemas.TermsOut)
@answers(404)
@secured(PUBLIC)
def school_terms(code: str) -> Shown:
    """The school's current visitor rules, in English where a translation exists.
    A booking there sends their `version` as `terms_version`."""
    school = open_school(code)
    terms = bookings.current_terms(db.session, school.id)
    if terms is None:
        raise NotFound(_("This school has published no visitor rules."))
    return shown_terms(terms, school)


@blueprint.route("/facilities/<int:facility_id>", methods=["GET"])
@blueprint.response(200, schemas.FacilityDetailOut)
@answers(404)
@secured(PUBLIC)
def get_facility(facility_id: int) -> Shown:
    """One facility: what it is, where, and when its slots open."""
    facility = open_facility(facility_id)
    return shown_facility(facility, policy_for(db.session, facility.id))


@blueprint.route("/facilities/<int:facility_id>/form", methods=["GET"])
@blueprint.response(200, schemas.BookingFormOut)
@answers(404)
@secured(PUBLIC)
def booking_form_of(facility_id: int) -> Shown:
    """What a booking of this facility sends: the fields, their limits, the visitor rules."""
    facility = open_facility(facility_id)
    terms = bookings.current_terms(db.session, facility.school_id)
    policy = policy_for(db.session, facility.id)
    form = booking_form.form_for(facility, None, terms, max_party=policy.max_party)
    return Shown(
        form,
        facility_id=facility.id,
        fields_=[Shown(rule, required=True) for rule in form.fields],
        terms=shown_terms(terms, facility.school) if terms is not None else None,
    )


@blueprint.route("/facilities/<int:facility_id>/slots", methods=["GET"])
@blueprint.arguments(schemas.SlotRangeIn, location="query")
@blueprint.response(200, schemas.SlotOut(many=True), description="Slots, in start order.")
@answers(401, 404, 422)
@secured(SIGNED_IN_OR_NOT)
def list_slots(args: dict[str, Any], facility_id: int) -> list[Shown]:
    """A facility's slots over local days, with availability and release time."""
    cache_seconds = current_app.config["AVAILABILITY_CACHE_SECONDS"]
    zone_name = open_facility_zone(db.session, facility_id, cache_seconds)
    if zone_name is None:
        raise NotFound()
    user = auth.authenticate()
    tz = zone(zone_name)
    now = utcnow()
    first, last = day_range(args, local_date(now, tz))
    views = [
        view
        for day in facility_days(
            db.session, facility_id, tz, first, last, now, cache_seconds=cache_seconds
        )
        for view in day.slots
    ]
    mine = booked_slot_ids(user, (view.slot.id for view in views)) if user else set()
    extra = (lambda view: {"booked_by_me": view.slot.id in mine}) if user else (lambda view: {})
    return [Shown(view, tz=zone_name, **extra(view)) for view in views]


@blueprint.route("/facilities/<int:facility_id>/planned", methods=["GET"])
@blueprint.arguments(schemas.SlotRangeIn, location="query")
@blueprint.response(
    200, schemas.PlannedOut(many=True), description="Times not published yet, in start order."
)
@answers(404, 422)
@secured(PUBLIC)
def list_planned(args: dict[str, Any], facility_id: int) -> list[Shown]:
    """What the facility's opening rules will open on days that have no published
    slots yet (beyond the release horizon), and when each opens for booking."""
    facility = db.session.get(Facility, facility_id)
    if facility is None or not (facility.is_active and facility.school.is_active):
        raise NotFound()
    tz = zone(facility.school.timezone)
    now = utcnow()
    first, last = day_range(args, local_date(now, tz))
    published = {
        day.day for day in facility_days(db.session, facility.id, tz, first, last, now) if day.slots
    }
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    planned = planned_days(db.session, facility, [d for d in days if d not in published], now)
    return [
        Shown(item, tz=facility.school.timezone) for day in sorted(planned) for item in planned[day]
    ]


@blueprint.route("/me/reminders", methods=["POST"])
@blueprint.arguments(schemas.ReminderIn)
@blueprint.response(201, schemas.ReminderOut, description="Told by a notice when it opens.")
@answers(401, 403, 404, 409, 422)
@secured(SIGNED_IN)
@auth.resident_required
def ask_reminder(data: dict[str, Any]) -> Response:
    """Be reminded when a time not yet open for booking opens (a notice, and SMS or
    e-mail where configured). Asking twice is one reminder."""
    facility = db.session.get(Facility, data["facility_id"])
    if facility is None or not (facility.is_active and facility.school.is_active):
        raise NotFound()
    reminder = release_reminders.ask(
        db.session, auth.caller(), facility, data["starts_at"], now=utcnow()
    )
    return committed(schemas.ReminderOut(), reminder, 201)


@blueprint.route("/me/reminders", methods=["GET"])
@blueprint.response(200, schemas.ReminderOut(many=True))
@answers(401, 403)
@secured(SIGNED_IN)
@auth.resident_required
def my_reminders() -> list[Any]:
    """My reminders still waiting for their release."""
    return release_reminders.pending_for(db.session, auth.caller())


def day_range(args: dict[str, Any], today: Any) -> tuple[Any, Any]:
    """`from` (default today) to `to` (default a week on), at most MAX_DAYS,
    near today. Raises InvalidInput naming the parameter."""
    first, last = today, None
    for name in ("from", "to"):
        raw = args.get("from_" if name == "from" else "to")
        if raw is None:
            continue
        day = read_date(raw)
        if day is None:
            raise errors.InvalidInput({name: _("Write dates as YYYY-MM-DD, such as 2026-11-25.")})
        if not is_near(day, today):
            raise errors.InvalidInput(
                {name: _("Choose days at most %(years)d years from today.", years=NEAR_YEARS)}
            )
        if name == "from":
            first = day
        else:
            last = day
    last = last or first + timedelta(days=schemas.DEFAULT_DAYS - 1)
    if last < first:
        raise errors.InvalidInput({"to": _("The last day cannot be before the first.")})
    if (last - first).days + 1 > schemas.MAX_DAYS:
        raise errors.InvalidInput(
            {"to": _("Ask for at most %(days)d days at a time.", days=schemas.MAX_DAYS)}
        )
    return first, last


def booked_slot_ids(user: User, slot_ids: Iterable[int]) -> set[int]:
    return set(booked_codes(db.session, user.id, list(slot_ids)))


# Bookings


# The booking rush's schemas, made once rather than for every request.
NEW_BOOKING_IN = schemas.NewBookingIn()
BOOKING_OUT = schemas.BookingOut()


def booking_request(data: dict[str, Any]) -> BookingRequest:
    return BookingRequest(
        places=data.get("places"),
        purpose=data.get("purpose"),
        organiser=data.get("organiser"),
        attendance=data.get("attendance"),
        plate=data.get("plate"),
        terms_version=data.get("terms_version"),
    )


@blueprint.route("/bookings", methods=["POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_BOOKING"])
@blueprint.arguments(NEW_BOOKING_IN)
@blueprint.response(
    201,
    BOOKING_OUT,
    description="The booking: confirmed, or pending the school's approval.",
    headers={"Location": {"schema": {"type": "string"}}},
)
@answers(401, 403, 404, 409, 413, 422, 429)
@secured(SIGNED_IN)
@auth.resident_required
def create_booking(data: dict[str, Any]) -> Response:
    """Book a slot, with the fields its facility's form asks for."""
    booked = bookings.take_booking(
        db.session, data["slot_id"], auth.caller(), booking_request(data), now=utcnow()
    )
    location = {"Location": url_for(".get_booking", code=booked.booking.code)}
    return committed(BOOKING_OUT, shown_booking(booked.booking, booked.policy), 201, location)


@blueprint.route("/bookings/<code>", methods=["GET"])
@blueprint.response(200, schemas.BookingOut)
@answers(401, 403, 404)
@secured(SIGNED_IN)
@auth.resident_required
def get_booking(code: str) -> Shown:
    """One of my bookings."""
    booking = own_booking(code)
    return shown_booking(booking, policy_for(db.session, booking.slot.facility_id))


@blueprint.route("/bookings/<code>", methods=["DELETE"])
@blueprint.response(200, schemas.BookingOut, description="The cancelled booking.")
@answers(401, 403, 404, 409)
@secured(SIGNED_IN)
@auth.resident_required
def cancel_booking(code: str) -> Response:
    """Cancel one of my bookings, before the cancellation deadline."""
    booking = own_booking(code)
    policy = policy_for(db.session, booking.slot.facility_id)
    cancellations.cancel_by_resident(
        db.session, booking, auth.caller(), policy=policy, now=utcnow()
    )
    return committed(schemas.BookingOut(), shown_booking(booking, policy))


@blueprint.route("/me/bookings", methods=["GET"])
@blueprint.response(
    200,
    schemas.BookingOut(many=True),
    description=f"Upcoming, soonest first, then the latest {PAST_BOOKINGS_SHOWN} past ones.",
)
@answers(401, 403)
@secured(SIGNED_IN)
@auth.resident_required
def my_bookings() -> list[Shown]:
    """My bookings."""
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
    return [shown_booking(booking, policies[booking.slot.facility_id]) for booking in shown]


# The waitlist


@blueprint.route("/slots/<int:slot_id>/waitlist", methods=["POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_BOOKING"])
@blueprint.arguments(schemas.DetailsIn, required=False)
@blueprint.response(201, schemas.EntryOut, description="The entry and its position.")
@answers(401, 403, 404, 409, 413, 422, 429)
@secured(SIGNED_IN)
@auth.resident_required
def join_waitlist(data: dict[str, Any], slot_id: int) -> Response:
    """Join the waitlist of a slot that has no room for the party."""
    slot = bookings.bookable_slot(db.session, slot_id)
    entry = waitlist.join(
        db.session,
        slot.id,
        auth.caller(),
        booking_request(data),
        policy=policy_for(db.session, slot.facility_id),
        now=utcnow(),
    )
    return committed(schemas.EntryOut(), shown_entry(entry), 201)


@blueprint.route("/waitlist/<int:entry_id>", methods=["DELETE"])
@blueprint.response(200, schemas.EntryOut, description="The closed entry.")
@answers(401, 403, 404, 409)
@secured(SIGNED_IN)
@auth.resident_required
def leave_waitlist(entry_id: int) -> Response:
    """Leave the waitlist, or decline an offer."""
    entry = own_entry(entry_id)
    waitlist.leave(db.session, entry, auth.caller(), now=utcnow())
    return committed(schemas.EntryOut(), Shown(entry, position=None))


@blueprint.route("/waitlist/<int:entry_id>/accept", methods=["POST"])
@blueprint.response(
    201,
    schemas.BookingOut,
    description="The new booking.",
    headers={"Location": {"schema": {"type": "string"}}},
)
@answers(401, 403, 404, 409)
@secured(SIGNED_IN)
@auth.resident_required
def accept_offer(entry_id: int) -> Response:
    """Accept the places offered to me."""
    entry = own_entry(entry_id)
    policy = policy_for(db.session, entry.slot.facility_id)
    booking = waitlist.accept(db.session, entry, auth.caller(), policy=policy, now=utcnow())
    location = {"Location": url_for(".get_booking", code=booking.code)}
    return committed(schemas.BookingOut(), shown_booking(booking, policy), 201, location)


@blueprint.route("/me/waitlist", methods=["GET"])
@blueprint.response(200, schemas.EntryOut(many=True), description="Soonest slot first.")
@answers(401, 403)
@secured(SIGNED_IN)
@auth.resident_required
def my_waitlist() -> list[Shown]:
    """My open waitlist entries for upcoming slots."""
    return [
        shown_entry(entry) for entry in waitlist.my_entries(db.session, auth.caller(), utcnow())
    ]


@blueprint.after_request
def ascii_safe(response: Response) -> Response:
    """ "<", ">" and "&" only ever occur inside JSON strings, where their escapes
    mean the same: the body then holds no markup for a browser that sniffs it."""
    if response.mimetype == "application/json" and not response.direct_passthrough:
        data = response.get_data(as_text=True)
        if any(char in data for char in "<>&"):
            response.set_data(data.translate(HTML_ESCAPES))
    return response


HTML_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})
