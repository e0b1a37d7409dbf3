"""What the API reads and writes, as marshmallow schemas: webargs parses
requests with them, they dump the answers, and flask-smorest writes the
OpenAPI document (/api/v1/openapi.json) from them. Nothing is described twice.

Types are strict (a number is not a string, true is not 1), unknown fields
are refused, and every message is translatable. What a booking asks for by
the kind of facility is not repeated here: `book` checks it with
booking.services.booking_form, for the pages and the API alike.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import marshmallow as ma
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from booking.models import BookingStatus, FacilityKind, Role, WaitlistStatus
from booking.services import passwords
from booking.services.availability import SlotState
from booking.services.booking_form import MAX_ORGANISER, MAX_PLATE, MAX_PURPOSE
from booking.services.clock import to_local, zone
from booking.services.identity import (
    id_number_problem,
    is_mainland_mobile,
    normalise_id_number,
    normalise_phone,
)
from booking.services.text import text_problem
from booking.web.auth.forms import ID_NUMBER_MESSAGES, MainlandMobile
from booking.web.i18n import LANGUAGE_NAMES
from booking.web.urls import MAX_ID

MAX_NAME = 50
MAX_EMAIL = 254
MAX_DAYS = 31
DEFAULT_DAYS = 7

REQUIRED = _l("This field is required.")
NOT_NULL = _l("This field cannot be empty.")
ENTER_TEXT = _l("Enter text.")
ENTER_NUMBER = _l("Enter a whole number.")


class Text(fields.String):
    """Text without control characters (`any_character` for passwords: only
    what cannot be encoded is refused), trimmed unless `keep`. `missing` is
    the message when a required field is absent, null or blank, as the
    pages say it."""

    default_error_messages = {"required": REQUIRED, "null": NOT_NULL, "invalid": ENTER_TEXT}

    def __init__(
        self,
        *,
        any_character: bool = False,
        keep: bool = False,
        missing: LazyString | None = None,
        **kwargs: Any,
    ):
        if missing is not None:
            kwargs["required"] = True
            kwargs["error_messages"] = {"required": missing, "null": missing}
        super().__init__(**kwargs)
        self.any_character = any_character
        self.keep = keep

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        problem = text_problem(text, any_character=self.any_character)
        if problem is not None:
            raise ma.ValidationError(str(problem))
        if not (self.keep or self.any_character):
            text = text.strip()
        if self.required and not text:
            raise self.make_error("required")
        return text


class WholeNumber(fields.Integer):
    """A JSON integer: not a string, not a float, not true or false."""

    default_error_messages = {
        "required": REQUIRED,
        "null": NOT_NULL,
        "invalid": ENTER_NUMBER,
        "too_large": ENTER_NUMBER,
    }

    def __init__(self, **kwargs: Any):
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return int(super()._deserialize(value, attr, data, **kwargs))


class Id(WholeNumber):
    def __init__(self, **kwargs: Any):
        kwargs.setdefault("validate", validate.Range(1, MAX_ID, error=_l("Not found.")))
        super().__init__(**kwargs)


class Instant(fields.DateTime):
    """An instant, written in the zone named by the object's `zone_path`
    attribute path (the school's), with its UTC offset: 2026-11-25T18:30:00+08:00."""

    def __init__(self, zone_path: str, **kwargs: Any):
        kwargs.setdefault("metadata", {}).setdefault("example", "2026-11-25T18:30:00+08:00")
        super().__init__(format="iso", **kwargs)
        self.zone_path = zone_path

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        zone_name = obj
        for part in self.zone_path.split("."):
            zone_name = getattr(zone_name, part)
        return to_local(value, zone(str(zone_name))).isoformat(timespec="seconds")


def utc_instant(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


class Schema(ma.Schema):
    """Refuses unknown fields and a body that is not an object, in the reader's language."""

    class Meta:
        unknown = ma.RAISE
        ordered = True

    error_messages = {  # noqa: RUF012 (marshmallow's own class attribute)
        "unknown": _l("This field is not part of the request."),
        "type": _l("Send a JSON object in the request body."),
    }


def phone_field(**kwargs: Any) -> Text:
    return Text(
        missing=_l("Enter your mobile number."),
        validate=validate.Length(max=40, error=MainlandMobile.message),
        metadata={
            "example": "13800138000",
            "description": "Mainland mobile number; spaces, dashes, +86 and full-width digits "
            "are normalised.",
        },
        **kwargs,
    )


def checked_phone(raw: str) -> str:
    phone = normalise_phone(raw)
    if not is_mainland_mobile(phone):
        raise ma.ValidationError(str(MainlandMobile.message), field_name="phone")
    return phone


ENTER_PASSWORD = _l("Enter your password.")


def password_field(description: str | None = None, missing: LazyString = ENTER_PASSWORD) -> Text:
    """A password: any character. Its rule (length, common passwords) is the
    service's, for every door; the schema only refuses the absurdly long."""
    metadata = {"format": "password"}
    if description:
        metadata["description"] = description
    return Text(
        any_character=True,
        missing=missing,
        validate=validate.Length(max=8 * passwords.MAX_LENGTH, error=passwords.LENGTH_MESSAGE),
        metadata=metadata,
    )


# Accounts


class RegistrationIn(Schema):
    real_name = Text(
        missing=_l("Enter your real name."),
        validate=validate.Length(
            1, MAX_NAME, error=_l("A name can be at most %(max)d characters.", max=MAX_NAME)
        ),
    )
    phone = phone_field()
    password = password_field(str(passwords.RULE_TEXT), _l("Choose a password."))
    email = Text(
        validate=[
            validate.Length(max=MAX_EMAIL),
            validate.Email(error=_l("Enter an e-mail address such as name@example.com.")),
        ]
    )
    id_number = Text(
        metadata={
            "description": "18-character resident ID number; kept only "
            "as a keyed hash and a masked form."
        }
    )
    privacy_version = WholeNumber(
        metadata={
            "description": "The version of the privacy notice (GET /privacy) the resident read "
            "and accepts; registering needs the current one."
        }
    )
    sms_code = Text(
        validate=validate.Length(max=12),
        metadata={
            "description": "The code sent by POST /auth/register/code; required when the "
            "site verifies mobile numbers."
        },
    )

    @ma.validates_schema
    def check_numbers(self, data: dict[str, Any], **kwargs: Any) -> None:
        data["phone"] = checked_phone(data["phone"])
        if data.get("id_number"):
            data["id_number"] = normalise_id_number(data["id_number"])
            problem = id_number_problem(data["id_number"])
            if problem:
                raise ma.ValidationError(str(ID_NUMBER_MESSAGES[problem]), field_name="id_number")


class PhoneIn(Schema):
    phone = phone_field()

    @ma.validates_schema
    def check_phone(self, data: dict[str, Any], **kwargs: Any) -> None:
        data["phone"] = checked_phone(data["phone"])


class CodeSentOut(Schema):
    sent_to = fields.String(
        metadata={"description": "The number, masked.", "example": "138****8000"}
    )
    valid_minutes = fields.Integer()
    message = fields.String()


class CredentialsIn(Schema):
    phone = phone_field()
    password = password_field()


class ResetIn(Schema):
    phone = phone_field()
    code = Text(
        missing=_l("Enter the 6-digit code from the SMS."), validate=validate.Length(max=12)
    )
    password = password_field(str(passwords.RULE_TEXT), _l("Choose a password."))

    @ma.validates_schema
    def check_phone(self, data: dict[str, Any], **kwargs: Any) -> None:
        data["phone"] = checked_phone(data["phone"])


class PasswordChangeIn(Schema):
    current_password = password_field(missing=_l("Enter your current password."))
    password = password_field(str(passwords.RULE_TEXT), _l("Choose a password."))


class PasswordIn(Schema):
    password = password_field()


class AccountIn(Schema):
    real_name = Text(validate=validate.Length(1, MAX_NAME))
    email = Text(
        allow_none=True,
        validate=validate.Length(max=MAX_EMAIL),
        metadata={"description": 'An address, or null or "" to remove it.'},
    )
    locale = fields.String(
        validate=validate.OneOf(list(LANGUAGE_NAMES)),
        metadata={"description": "The language of notices and e-mails."},
    )

    @ma.validates("email")
    def check_email(self, value: str | None, **kwargs: Any) -> None:
        if value:
            validate.Email(error=_l("Enter an e-mail address such as name@example.com."))(value)


class AccountOut(Schema):
    id = fields.Integer()
    role = fields.Enum(Role, by_value=True)
    real_name = fields.String()
    phone = fields.String()
    email = fields.String(allow_none=True)
    locale = fields.String(allow_none=True)
    is_verified = fields.Boolean()
    id_number_masked = fields.String(allow_none=True)
    created_at = fields.Function(lambda user: utc_instant(user.created_at))


class TokenOut(Schema):
    token = fields.String(
        metadata={"description": "Send as `Authorization: Bearer <token>`. Shown only once."}
    )
    token_type = fields.String(validate=validate.OneOf(["Bearer"]))
    expires_at = fields.String(metadata={"format": "date-time"})


class TokenInfoOut(Schema):
    id = fields.Integer()
    created_at = fields.Function(lambda token: utc_instant(token.created_at))
    last_used_at = fields.Function(lambda token: utc_instant(token.last_used_at), allow_none=True)
    expires_at = fields.Function(lambda token: utc_instant(token.expires_at))
    revoked_at = fields.Function(lambda token: utc_instant(token.revoked_at), allow_none=True)
    current = fields.Boolean(metadata={"description": "The token of this request."})


class RevokedOut(Schema):
    revoked = fields.Integer()


class ErasedOut(Schema):
    bookings_cancelled = fields.Integer()
    waitlist_left = fields.Integer()


class NoticeOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    subject = fields.String(metadata={"description": "In the language of the request."})
    body = fields.String(metadata={"description": "In the language of the request."})
    booking_code = fields.String(allow_none=True, metadata={"description": "Its booking."})
    slot_id = fields.Integer(allow_none=True, metadata={"description": "The time it is about."})
    created_at = fields.Function(lambda notice: utc_instant(notice.created_at))
    read = fields.Boolean()


# Schools, facilities, slots


class ReleaseOut(Schema):
    days_ahead = fields.Integer(metadata={"description": "A slot opens this many days before."})
    time = fields.String(metadata={"description": "At this local time.", "example": "08:00"})


class FacilityOut(Schema):
    id = fields.Integer()
    kind = fields.Enum(FacilityKind, by_value=True)
    name = fields.String()
    name_en = fields.String(allow_none=True)
    capacity = fields.Integer()
    requires_approval = fields.Boolean()
    is_exclusive = fields.Boolean(metadata={"description": "Booked whole (a hall)."})
    release = fields.Nested(ReleaseOut, metadata={"description": "When its slots open."})


class FacilityDetailOut(FacilityOut):
    school = fields.Nested(lambda: SchoolRefOut())
    description = fields.String(metadata={"description": "In Chinese."})
    description_en = fields.String(allow_none=True, metadata={"description": "In English."})
    entrance_notes = fields.String(metadata={"description": "In Chinese."})
    entrance_notes_en = fields.String(allow_none=True, metadata={"description": "In English."})


class SchoolOut(Schema):
    code = fields.String()
    name = fields.String()
    name_en = fields.String(allow_none=True)
    address = fields.String(metadata={"description": "In Chinese."})
    address_en = fields.String(allow_none=True, metadata={"description": "In English."})
    area = fields.String(metadata={"description": "The neighbourhood, in Chinese."})
    area_en = fields.String(allow_none=True, metadata={"description": "In English."})
    is_public = fields.Boolean()
    timezone = fields.String(metadata={"example": "Asia/Shanghai"})
    contact_phone = fields.String(allow_none=True)
    facilities = fields.List(fields.Nested(FacilityOut))


class PrivacyNoticeOut(Schema):
    version = fields.Integer(
        metadata={"description": "Send it as `privacy_version` when registering, to accept it."}
    )
    body = fields.String(metadata={"description": "What is kept, why, who sees it, how long."})
    language = fields.String(
        metadata={"description": "The language of `body`: en where a translation exists."}
    )
    published_at = fields.String(allow_none=True, metadata={"format": "date-time"})


class TermsOut(Schema):
    school = fields.String(metadata={"description": "The school's code."})
    version = fields.Integer(
        metadata={"description": "Send it as `terms_version` to accept these rules."}
    )
    body = fields.String()
    language = fields.String(
        metadata={"description": "The language of `body`: en where a translation exists."}
    )
    published_at = fields.String(metadata={"format": "date-time"})


class FieldOut(Schema):
    name = fields.String()
    type = fields.String(validate=validate.OneOf(["integer", "text"]))
    label = fields.String()
    required = fields.Boolean()
    minimum = fields.Integer(allow_none=True)
    maximum = fields.Integer(allow_none=True)
    max_length = fields.Integer(allow_none=True)
    example = fields.String(allow_none=True)


class BookingFormOut(Schema):
    facility_id = fields.Integer()
    kind = fields.Enum(FacilityKind, by_value=True)
    whole_facility = fields.Boolean(metadata={"description": "A booking takes every place."})
    fields_ = fields.List(fields.Nested(FieldOut), data_key="fields")
    terms = fields.Nested(TermsOut, allow_none=True)


class SlotRangeIn(Schema):
    from_ = fields.String(
        data_key="from",
        metadata={"format": "date", "description": "First local day, included; default today."},
    )
    to = fields.String(
        metadata={
            "format": "date",
            "description": f"Last local day, included; default `from` + {DEFAULT_DAYS - 1}. "
            f"At most {MAX_DAYS} days.",
        },
    )


class SlotOut(Schema):
    id = fields.Integer(attribute="slot.id")
    starts_at = Instant("tz", attribute="slot.starts_at")
    ends_at = Instant("tz", attribute="slot.ends_at")
    opens_at = Instant(
        "tz", attribute="slot.opens_at", metadata={"description": "When booking opens."}
    )
    capacity = fields.Integer(attribute="slot.capacity")
    places_left = fields.Integer()
    state = fields.Enum(SlotState, by_value=True)
    booked_by_me = fields.Boolean(
        metadata={"description": "Only for an authenticated caller: holds an active booking."}
    )


class PlannedOut(Schema):
    starts_at = Instant("tz")
    ends_at = Instant("tz")
    opens_at = Instant("tz", metadata={"description": "When booking opens."})


class ReminderIn(Schema):
    facility_id = Id(required=True)
    starts_at = fields.AwareDateTime(
        required=True,
        metadata={
            "description": "The start of a time not open yet (a slot's or a planned one's), "
            "with its offset."
        },
    )


class ReminderOut(Schema):
    id = fields.Integer()
    facility_id = fields.Integer()
    starts_at = fields.Function(lambda reminder: utc_instant(reminder.starts_at))
    remind_at = fields.Function(
        lambda reminder: utc_instant(reminder.remind_at),
        metadata={"description": "When booking opens and the notice is sent."},
    )


# Bookings and the waitlist


class DetailsIn(Schema):
    """What a booking carries; which fields a facility asks for, and their
    limits, are in GET /facilities/{facility_id}/form."""

    places = WholeNumber(
        load_default=1,
        metadata={"description": "People in the party (library, reading room, sports venue)."},
    )
    purpose = Text(validate=validate.Length(max=MAX_PURPOSE * 4), metadata={"description": "Hall"})
    organiser = Text(
        validate=validate.Length(max=MAX_ORGANISER * 4), metadata={"description": "Hall"}
    )
    attendance = WholeNumber(metadata={"description": "Hall: expected attendance."})
    plate = Text(
        validate=validate.Length(max=MAX_PLATE * 4),
        metadata={"description": "Parking: the licence plate.", "example": "粤S12345"},
    )
    terms_version = WholeNumber(
        metadata={"description": "The version of the school's visitor rules accepted."}
    )


CHOOSE_SLOT = _l("Choose a time slot.")


class NewBookingIn(DetailsIn):
    slot_id = Id(
        required=True,
        validate=validate.Range(1, MAX_ID, error=CHOOSE_SLOT),
        error_messages={"required": CHOOSE_SLOT, "null": CHOOSE_SLOT},
    )


class FacilityRefOut(Schema):
    id = fields.Integer()
    kind = fields.Enum(FacilityKind, by_value=True)
    name = fields.String()
    name_en = fields.String(allow_none=True)


class SchoolRefOut(Schema):
    code = fields.String()
    name = fields.String()
    name_en = fields.String(allow_none=True)


class BookingOut(Schema):
    code = fields.String(metadata={"example": "K7MQ3A"})
    status = fields.Enum(BookingStatus, by_value=True)
    slot_id = fields.Integer()
    places = fields.Integer()
    starts_at = Instant("slot.facility.school.timezone", attribute="slot.starts_at")
    ends_at = Instant("slot.facility.school.timezone", attribute="slot.ends_at")
    facility_id = fields.Integer(attribute="slot.facility_id")
    facility = fields.Nested(FacilityRefOut, attribute="slot.facility")
    school = fields.Nested(SchoolRefOut, attribute="slot.facility.school")
    purpose = fields.String(allow_none=True)
    organiser = fields.String(allow_none=True)
    attendance = fields.Integer(allow_none=True)
    attended = fields.Integer(
        allow_none=True,
        metadata={"description": "How many of the party were checked in at the gate."},
    )
    plate = fields.String(allow_none=True)
    reason = fields.String(allow_none=True, attribute="reason_text")
    created_at = Instant("slot.facility.school.timezone")
    cancel_until = Instant("slot.facility.school.timezone")
    can_cancel = fields.Boolean()


class EntryOut(Schema):
    id = fields.Integer()
    status = fields.Enum(WaitlistStatus, by_value=True)
    position = fields.Integer(
        allow_none=True, metadata={"description": "1 for the first in line; null unless waiting."}
    )
    places = fields.Integer()
    slot_id = fields.Integer()
    starts_at = Instant("slot.facility.school.timezone", attribute="slot.starts_at")
    ends_at = Instant("slot.facility.school.timezone", attribute="slot.ends_at")
    facility_id = fields.Integer(attribute="slot.facility_id")
    facility = fields.Nested(FacilityRefOut, attribute="slot.facility")
    school = fields.Nested(SchoolRefOut, attribute="slot.facility.school")
    offer_expires_at = Instant(
        "slot.facility.school.timezone",
        allow_none=True,
        metadata={"description": "While offered: accept before this instant."},
    )
