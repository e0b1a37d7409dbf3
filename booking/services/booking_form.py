"""What a booking asks for, by the kind of facility: one description that
the page form, the API schema and document, and `book` all use, so the same
request gets the same verdict and the same message through every door.

- a lecture hall is booked whole: the purpose, the organiser and the expected
  attendance (at most the hall's capacity);
- a parking lot: the licence plate; one space;
- a library, reading room or sports venue: the party size, from 1 to the
  smaller of the places of the slot and the policy's largest party;
- every kind: the school's current visitor rules accepted, when it has rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from booking.models import Facility, FacilityKind, Slot, VisitorTerms
from booking.services.errors import ValidationFailed
from booking.services.plates import is_mainland_plate, normalise_plate
from booking.services.text import text_problem

MAX_PURPOSE = 200
MAX_ORGANISER = 100
MAX_PLATE = 10

PLATE_MESSAGE = _l("Enter a mainland licence plate such as 粤S12345 (new-energy: 粤SD12345).")
TERMS_MESSAGE = _l("Please read and accept the school's visitor rules.")


@dataclass(frozen=True)
class FieldRule:
    """One field a booking asks for, with its limits and its messages."""

    name: str
    type: str  # "integer" or "text"
    label: LazyString
    required: LazyString  # the message when it is missing
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    out_of_range: LazyString | None = None
    example: str | None = None


@dataclass(frozen=True)
class BookingForm:
    """What booking one slot (or any slot of a facility) asks for."""

    kind: FacilityKind
    whole_facility: bool
    fields: tuple[FieldRule, ...]
    terms: VisitorTerms | None = None
    names: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", frozenset(rule.name for rule in self.fields))

    def rule(self, name: str) -> FieldRule | None:
        return next((rule for rule in self.fields if rule.name == name), None)


@dataclass(frozen=True)
class BookingRequest:
    """What a resident sends; `check` turns it into what is booked."""

    places: int | None = 1
    purpose: str | None = None
    organiser: str | None = None
    attendance: int | None = None
    plate: str | None = None
    terms_version: int | None = None


class InvalidBooking(ValidationFailed):
    """Fields the facility's booking form refuses; `fields` maps each to its
    message, and the first one is the error's message."""

    def __init__(self, fields: Mapping[str, str | LazyString]) -> None:
        first = next(iter(fields))
        super().__init__(fields[first], field=first)
        self.fields = dict(fields)


def party_limit(facility: Facility, slot: Slot | None, max_party: int) -> int:
    places = slot.capacity if slot is not None else facility.capacity
    return max(1, min(places, max_party))


def form_for(
    facility: Facility, slot: Slot | None, terms: VisitorTerms | None, *, max_party: int
) -> BookingForm:
    """The form of `facility` (for `slot`, whose capacity may differ from the facility's)."""
    if facility.kind == FacilityKind.LECTURE_HALL or facility.is_exclusive:
        fields: tuple[FieldRule, ...] = (
            FieldRule(
                "purpose",
                "text",
                _l("Purpose of the event"),
                _l("Say what the hall is for."),
                max_length=MAX_PURPOSE,
                out_of_range=_l("At most %(max)d characters.", max=MAX_PURPOSE),
            ),
            FieldRule(
                "organiser",
                "text",
                _l("Organiser"),
                _l("Say who organises it."),
                max_length=MAX_ORGANISER,
                out_of_range=_l("At most %(max)d characters.", max=MAX_ORGANISER),
            ),
            FieldRule(
                "attendance",
                "integer",
                _l("Expected attendance"),
                _l("Say how many people you expect."),
                minimum=1,
                maximum=facility.capacity,
                out_of_range=_l(
                    "Between %(min)s and %(max)s people (the hall's capacity).",
                    min=1,
                    max=facility.capacity,
                ),
            ),
        )
    elif facility.kind == FacilityKind.PARKING:
        fields = (
            FieldRule(
                "plate",
                "text",
                _l("Licence plate"),
                _l("Enter the licence plate of the car."),
                max_length=MAX_PLATE,
                out_of_range=PLATE_MESSAGE,
                example="粤S12345",
            ),
        )
    else:
        most = party_limit(facility, slot, max_party)
        fields = (
            FieldRule(
                "places",
                "integer",
                _l("Number of people"),
                _l("Say how many people come."),
                minimum=1,
                maximum=most,
                out_of_range=_l("Between %(min)s and %(max)s people.", min=1, max=most),
            ),
        )
    return BookingForm(
        kind=facility.kind,
        whole_facility=facility.is_exclusive,
        fields=fields,
        terms=terms,
    )


def check(form: BookingForm, request: BookingRequest) -> BookingRequest:
    """`request` as booked: the fields the form asks for, checked and
    normalised; the others dropped. Raises InvalidBooking naming every field
    in error."""
    problems: dict[str, str | LazyString] = {}
    values: dict[str, Any] = {}
    for rule in form.fields:
        raw = getattr(request, rule.name)
        value, problem = _check_field(rule, raw)
        if problem is not None:
            problems[rule.name] = problem
        values[rule.name] = value
    if form.terms is not None and request.terms_version != form.terms.version:
        problems["terms_version"] = TERMS_MESSAGE
    if problems:
        raise InvalidBooking(problems)
    if "places" not in form.names:
        values["places"] = 1
    return BookingRequest(
        terms_version=form.terms.version if form.terms is not None else None, **values
    )


def _check_field(rule: FieldRule, raw: Any) -> tuple[Any, LazyString | None]:
    if rule.type == "integer":
        if raw is None:
            return None, rule.required
        if isinstance(raw, bool) or not isinstance(raw, int):
            return None, _l("Enter a whole number.")
        if not (rule.minimum or 1) <= raw <= (rule.maximum or raw):
            return None, rule.out_of_range
        return raw, None
    if raw is not None and not isinstance(raw, str):
        return None, _l("Enter text.")
    if raw and (problem := text_problem(raw)):
        return None, problem
    value = normalise_plate(raw) if rule.name == "plate" else (raw or "").strip()
    if not value:
        return None, rule.required
    if rule.max_length is not None and len(value) > rule.max_length:
        return None, rule.out_of_range
    if rule.name == "plate" and not is_mainland_plate(value):
        return None, PLATE_MESSAGE
    return value, None
