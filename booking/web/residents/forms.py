"""The booking form, shaped by the kind of facility."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from booking.models import Facility, FacilityKind, Slot, VisitorTerms
from booking.services.plates import is_mainland_plate, normalise_plate
from booking.web.forms import Form

MAX_PARTY = 20  # a party books together; larger groups use a hall


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class MainlandPlate:
    message = _l("Enter a mainland licence plate such as 粤S12345 (new-energy: 粤SD12345).")

    def __call__(self, form: FlaskForm, field: StringField) -> None:
        if field.data and not is_mainland_plate(field.data):
            raise ValidationError(self.message)


class BookingForm(Form):
    """Every field a booking may carry; `for_facility` keeps the ones its kind asks."""

    places = IntegerField(_l("Number of people"), default=1)
    purpose = StringField(_l("Purpose of the event"), filters=[strip])
    organiser = StringField(_l("Organiser"), filters=[strip])
    attendance = IntegerField(_l("Expected attendance"))
    plate = StringField(_l("Licence plate"), filters=[normalise_plate])
    accept_terms = BooleanField(_l("I have read and accept the visitor rules above"))

    @classmethod
    def for_facility(
        cls, facility: Facility, slot: Slot, terms: VisitorTerms | None
    ) -> BookingForm:
        form = cls()
        kind = facility.kind
        if kind == FacilityKind.LECTURE_HALL:
            del form.places, form.plate
            form.purpose.validators = [
                DataRequired(_l("Say what the hall is for.")),
                Length(max=200, message=_l("At most %(max)d characters.")),
            ]
            form.organiser.validators = [
                DataRequired(_l("Say who organises it.")),
                Length(max=100, message=_l("At most %(max)d characters.")),
            ]
            form.attendance.validators = [
                InputRequired(_l("Say how many people you expect.")),
                NumberRange(
                    1,
                    facility.capacity,
                    _l("Between %(min)s and %(max)s people (the hall's capacity)."),
                ),
            ]
        elif kind == FacilityKind.PARKING:
            del form.places, form.purpose, form.organiser, form.attendance
            form.plate.validators = [
                DataRequired(_l("Enter the licence plate of the car.")),
                Length(max=10),
                MainlandPlate(),
            ]
        else:
            del form.purpose, form.organiser, form.attendance, form.plate
            most = min(slot.capacity, MAX_PARTY)
            form.places.validators = [
                InputRequired(_l("Say how many people come.")),
                NumberRange(1, most, _l("Between %(min)s and %(max)s people.")),
            ]
        if terms is None:
            del form.accept_terms
        else:
            form.accept_terms.validators = [
                DataRequired(_l("Please read and accept the school's visitor rules."))
            ]
        return form

    def value(self, name: str) -> Any:
        field = getattr(self, name, None)
        return field.data if field is not None else None
