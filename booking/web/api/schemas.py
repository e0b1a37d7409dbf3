"""What the API accepts: JSON bodies and query strings, checked field by field
with the pages' messages before any service sees them.

Types are strict (a number is not a string, true is not 1), so a client's
bug shows up as a 400 naming the field instead of a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from email_validator import EmailNotValidError, validate_email
from flask import request
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from booking.models import Facility, FacilityKind
from booking.services import clock
from booking.services.accounts import MIN_PASSWORD_LENGTH, NewResident
from booking.services.bookings import BookingRequest
from booking.services.errors import ValidationFailed
from booking.services.identity import (
    id_number_problem,
    is_mainland_mobile,
    normalise_id_number,
    normalise_phone,
)
from booking.services.plates import is_mainland_plate, normalise_plate
from booking.services.text import text_problem
from booking.web.auth.forms import ID_NUMBER_MESSAGES, MainlandMobile
from booking.web.urls import MAX_ID, read_date

MAX_NAME = 50
MAX_PASSWORD = 128
MAX_EMAIL = 254
MAX_PLACES = 1000
MAX_ATTENDANCE = 100_000
MAX_PURPOSE = 200
MAX_ORGANISER = 100
MAX_DAYS = 31
DEFAULT_DAYS = 7

Message = str | LazyString


class InvalidInput(ValidationFailed):
    """Fields that failed their checks; `fields` maps each one to its message,
    and the first one is the error's message."""

    def __init__(self, fields: dict[str, str]) -> None:
        first = next(iter(fields))
        super().__init__(fields[first], field=first)
        self.fields = fields


class BodyNotObject(ValidationFailed):
    default_message = _l("Send a JSON object in the request body.")


class BodyTooDeep(ValidationFailed):
    default_message = _l("The JSON body is nested too deeply to be read.")


def json_body(*, optional: bool = False) -> dict[str, Any]:
    """The request's JSON object; an empty body is {} when `optional`.
    Raises BodyNotObject, BodyTooDeep."""
    if optional and not request.get_data(cache=True):
        return {}
    try:
        body = request.get_json(silent=True)
    except RecursionError as error:  # json.loads recurses once per level of nesting
        raise BodyTooDeep() from error
    if not isinstance(body, dict):
        raise BodyNotObject()
    return body


def keep(value: str) -> str:
    return value


class Fields:
    """Reads the fields of a JSON object, collecting every problem before `check` raises."""

    def __init__(self, body: Mapping[str, Any]) -> None:
        self.body = body
        self.problems: dict[str, str] = {}

    def fail(self, name: str, message: Message) -> None:
        self.problems.setdefault(name, str(message))

    def text(
        self,
        name: str,
        *,
        required: Message | None = None,
        normalise: Callable[[str], str] = str.strip,
        min_length: int = 1,
        max_length: int | None = None,
        length_message: Message | None = None,
        any_character: bool = False,
    ) -> str | None:
        """The string, normalised; None when absent or blank (a problem if `required`).
        Control characters are a problem unless `any_character` (passwords);
        an unpaired surrogate always is."""
        value = self.body.get(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.fail(name, _("Enter text."))
            return None
        if problem := text_problem(value, any_character=any_character):
            self.fail(name, problem)
            return None
        value = normalise(value)
        if not value:
            if required is not None:
                self.fail(name, required)
            return None
        if len(value) < min_length or (max_length is not None and len(value) > max_length):
            self.fail(name, length_message or _("Enter text."))
            return None
        return value

    def integer(
        self,
        name: str,
        *,
        required: Message | None = None,
        minimum: int = 1,
        maximum: int = MAX_ID,
        range_message: Message,
    ) -> int | None:
        """The whole number; None when absent (a problem if `required`)."""
        value = self.body.get(name)
        if value is None:
            if required is not None:
                self.fail(name, required)
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, _("Enter a whole number."))
            return None
        if not minimum <= value <= maximum:
            self.fail(name, range_message)
            return None
        return value

    def check(self) -> None:
        """Raises InvalidInput naming every field with a problem."""
        if self.problems:
            raise InvalidInput(self.problems)


def registration(body: Mapping[str, Any]) -> NewResident:
    """The checks of the registration form. Raises InvalidInput."""
    fields = Fields(body)
    real_name = fields.text(
        "real_name",
        required=_l("Enter your real name."),
        max_length=MAX_NAME,
        length_message=_l("A name can be at most %(max)d characters.", max=MAX_NAME),
    )
    phone = fields.text(
        "phone", required=_l("Enter your mobile number."), normalise=normalise_phone
    )
    if phone is not None and not is_mainland_mobile(phone):
        fields.fail("phone", MainlandMobile.message)
    password = fields.text(
        "password",
        required=_l("Choose a password."),
        normalise=keep,
        any_character=True,
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD,
        length_message=_l(
            "A password needs %(min)d to %(max)d characters.",
            min=MIN_PASSWORD_LENGTH,
            max=MAX_PASSWORD,
        ),
    )
    email_message = _l("Enter an e-mail address such as name@example.com.")
    email = fields.text("email", max_length=MAX_EMAIL, length_message=email_message)
    if email is not None:
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            fields.fail("email", email_message)
    id_number = fields.text("id_number", normalise=normalise_id_number)
    if id_number is not None and (problem := id_number_problem(id_number)):
        fields.fail("id_number", ID_NUMBER_MESSAGES[problem])
    fields.check()
    return NewResident(
        real_name=cast(str, real_name),
        phone=cast(str, phone),
        password=cast(str, password),
        email=email,
        id_number=id_number,
    )


def credentials(body: Mapping[str, Any]) -> tuple[str, str]:
    """Mobile number and password. Raises InvalidInput."""
    fields = Fields(body)
    phone = fields.text(
        "phone", required=_l("Enter your mobile number."), normalise=normalise_phone
    )
    password = fields.text(
        "password", required=_l("Enter your password."), normalise=keep, any_character=True
    )
    fields.check()
    return cast(str, phone), cast(str, password)


@dataclass(frozen=True)
class Details:
    """What a booking or a waitlist entry carries, checked for type and size;
    `for_facility` adds what the kind of facility requires."""

    places: int
    purpose: str | None
    organiser: str | None
    attendance: int | None
    plate: str | None
    terms_version: int | None

    def for_facility(self, facility: Facility) -> BookingRequest:
        """Raises InvalidInput when a field the facility's kind needs is missing:
        a hall's purpose and attendance, a car park's plate."""
        missing: dict[str, str] = {}
        if facility.kind == FacilityKind.LECTURE_HALL:
            if self.purpose is None:
                missing["purpose"] = _("Say what the hall is for.")
            if self.attendance is None:
                missing["attendance"] = _("Say how many people you expect.")
        elif facility.kind == FacilityKind.PARKING and self.plate is None:
            missing["plate"] = _("Enter the licence plate of the car.")
        if missing:
            raise InvalidInput(missing)
        return BookingRequest(
            places=self.places,
            purpose=self.purpose,
            organiser=self.organiser,
            attendance=self.attendance,
            plate=self.plate,
            terms_version=self.terms_version,
        )


def read_details(fields: Fields) -> Details:
    places = fields.integer(
        "places",
        maximum=MAX_PLACES,
        range_message=_l("Between %(min)s and %(max)s people.", min=1, max=MAX_PLACES),
    )
    purpose = fields.text(
        "purpose",
        max_length=MAX_PURPOSE,
        length_message=_l("At most %(max)d characters.", max=MAX_PURPOSE),
    )
    organiser = fields.text(
        "organiser",
        max_length=MAX_ORGANISER,
        length_message=_l("At most %(max)d characters.", max=MAX_ORGANISER),
    )
    attendance = fields.integer(
        "attendance",
        maximum=MAX_ATTENDANCE,
        range_message=_l("Between %(min)s and %(max)s people.", min=1, max=MAX_ATTENDANCE),
    )
    plate = fields.text("plate", normalise=normalise_plate)
    if plate is not None and not is_mainland_plate(plate):
        fields.fail(
            "plate", _l("Enter a mainland licence plate such as 粤S12345 (new-energy: 粤SD12345).")
        )
    terms_version = fields.integer(
        "terms_version", range_message=_l("Please read and accept the school's visitor rules.")
    )
    return Details(
        places=places or 1,
        purpose=purpose,
        organiser=organiser,
        attendance=attendance,
        plate=plate,
        terms_version=terms_version,
    )


def new_booking(body: Mapping[str, Any]) -> tuple[int, Details]:
    """The slot to book and the booking's details. Raises InvalidInput."""
    fields = Fields(body)
    slot_id = fields.integer(
        "slot_id", required=_l("Choose a time slot."), range_message=_l("Choose a time slot.")
    )
    details = read_details(fields)
    fields.check()
    return cast(int, slot_id), details


def waitlist_request(body: Mapping[str, Any]) -> Details:
    """The details of a waitlist entry, as for a booking. Raises InvalidInput."""
    fields = Fields(body)
    details = read_details(fields)
    fields.check()
    return details


def date_range(args: Mapping[str, str], *, today: date) -> tuple[date, date]:
    """Local days `from` to `to`, both included: `from` defaults to today and
    `to` to a week from `from`. Raises InvalidInput."""
    problems: dict[str, str] = {}
    first = query_date(args, "from", problems, today)
    last = query_date(args, "to", problems, today)
    if problems:
        raise InvalidInput(problems)
    first = first or today
    last = last or first + timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise InvalidInput({"to": _("The last day cannot be before the first.")})
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInput({"to": _("Ask for at most %(days)d days at a time.", days=MAX_DAYS)})
    return first, last


def query_date(
    args: Mapping[str, str], name: str, problems: dict[str, str], today: date
) -> date | None:
    """The date in `name`, at most clock.NEAR_YEARS years from `today`."""
    value = args.get(name) or None
    if value is None:
        return None
    day = read_date(value)
    if day is None:
        problems[name] = _("Write dates as YYYY-MM-DD, such as 2026-11-25.")
    elif not clock.is_near(day, today):
        problems[name] = _(
            "Choose days at most %(years)d years from today.", years=clock.NEAR_YEARS
        )
        day = None
    return day
