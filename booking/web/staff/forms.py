"""Forms of the staff area: facilities, opening rules, closures, booking policy."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from booking import labels
from booking.models import ClosureReason, DayType, FacilityKind
from booking.web.forms import Form, NearDate


def strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class DeclineForm(Form):
    """The reason sent with a declined request (the page writes its own markup)."""

    reason = TextAreaField(_l("Reason for declining (the resident sees it)"), filters=[strip])


class WaiveForm(Form):
    reason = StringField(_l("Waive this no-show: the reason"), filters=[strip])


class CheckInForm(Form):
    """At the gate: how many of the party came, and why a check-in outside the
    window is let through (the page writes its own markup; the service decides)."""

    attended = StringField(_l("People checked in"), filters=[strip])
    reason = StringField(_l("Reason for checking in outside the window"), filters=[strip])


class FacilityForm(Form):
    kind = SelectField(
        _l("Kind"), choices=[SelectChoice(k.value, labels.FACILITY_KINDS[k]) for k in FacilityKind]
    )
    name = StringField(
        _l("Name"),
        filters=[strip],
        validators=[DataRequired(_l("Give the facility a name.")), Length(max=100)],
    )
    name_en = StringField(
        _l("Name in English (optional)"), filters=[strip], validators=[Length(max=150)]
    )
    capacity = IntegerField(
        _l("Capacity"),
        validators=[InputRequired(_l("Say how many it holds.")), NumberRange(1, 100000)],
    )
    is_exclusive = BooleanField(_l("Booked as a whole (a hall)"))
    requires_approval = BooleanField(_l("Each booking needs the school's approval"))
    description = TextAreaField(
        _l("Description (Chinese)"), filters=[strip], validators=[Length(max=2000)]
    )
    description_en = TextAreaField(
        _l("Description in English"), filters=[strip], validators=[Length(max=2000)]
    )
    entrance_notes = TextAreaField(
        _l("How visitors get in (Chinese)"), filters=[strip], validators=[Length(max=1000)]
    )
    entrance_notes_en = TextAreaField(
        _l("How visitors get in, in English"), filters=[strip], validators=[Length(max=1000)]
    )
    is_active = BooleanField(_l("Open for booking"), default=True)


WEEKDAY_CHOICES = [SelectChoice(str(bit), labels.WEEKDAYS[bit]) for bit in range(7)]


class RuleForm(Form):
    valid_from = DateField(_l("From"), validators=[InputRequired(_l("Choose the first day."))])
    valid_until = DateField(_l("Until"), validators=[InputRequired(_l("Choose the last day."))])
    weekdays = SelectMultipleField(
        _l("Weekdays"),
        choices=WEEKDAY_CHOICES,
        validators=[DataRequired(_l("Choose at least one weekday."))],
    )
    day_type = SelectField(
        _l("On which days"), choices=[SelectChoice(d.value, labels.DAY_TYPES[d]) for d in DayType]
    )
    start_time = TimeField(_l("Opens at"), validators=[InputRequired(_l("Choose a time."))])
    end_time = TimeField(_l("Closes at"), validators=[InputRequired(_l("Choose a time."))])
    slot_minutes = IntegerField(
        _l("Slot length (minutes)"),
        validators=[InputRequired(_l("Choose a slot length.")), NumberRange(5, 1440)],
    )
    capacity = IntegerField(
        _l("Capacity (optional, else the facility's)"),
        validators=[Optional(), NumberRange(1, 100000)],
    )

    def weekday_mask(self) -> int:
        return sum(1 << int(bit) for bit in self.weekdays.data or [])


class ClosureForm(Form):
    facility = SelectField(_l("What closes"), coerce=int)
    first_day = DateField(
        _l("First day"), validators=[InputRequired(_l("Choose the first day.")), NearDate()]
    )
    last_day = DateField(
        _l("Last day"), validators=[InputRequired(_l("Choose the last day.")), NearDate()]
    )
    from_time = TimeField(_l("From (optional: whole days)"), validators=[Optional()])
    to_time = TimeField(_l("To (optional)"), validators=[Optional()])
    reason = SelectField(
        _l("Reason"),
        choices=[SelectChoice(r.value, labels.CLOSURE_REASONS[r]) for r in ClosureReason],
    )
    note = StringField(
        _l("Note for residents, in Chinese (optional)"),
        filters=[strip],
        validators=[Length(max=200)],
    )
    note_en = StringField(
        _l("Note for residents, in English (optional)"),
        filters=[strip],
        validators=[Length(max=200)],
    )


class PolicyForm(Form):
    """Empty fields follow the district's defaults."""

    advance_days = IntegerField(
        _l("Days ahead slots open"), validators=[Optional(), NumberRange(0, 90)]
    )
    release_time = TimeField(_l("Release time"), validators=[Optional()])
    cancel_deadline_minutes = IntegerField(
        _l("Cancel until (minutes before the start)"),
        validators=[Optional(), NumberRange(0, 10080)],
    )
    max_active_bookings = IntegerField(
        _l("Upcoming bookings per resident"), validators=[Optional(), NumberRange(1, 100)]
    )
    max_weekly_per_kind = IntegerField(
        _l("Bookings per week of this kind"), validators=[Optional(), NumberRange(1, 100)]
    )
    verified_only = SelectField(
        _l("Who may book"),
        choices=[
            SelectChoice("", _l("As the district")),
            SelectChoice("no", _l("Every resident")),
            SelectChoice("yes", _l("Verified residents only")),
        ],
    )
    waitlist_offer_minutes = IntegerField(
        _l("Waitlist offer held (minutes)"), validators=[Optional(), NumberRange(1, 1440)]
    )
    max_party = IntegerField(
        _l("Largest party per booking (people)"), validators=[Optional(), NumberRange(1, 1000)]
    )


class TermsForm(Form):
    body = TextAreaField(
        _l("Visitor rules (Chinese)"),
        filters=[strip],
        validators=[DataRequired(_l("Write the rules in Chinese.")), Length(max=20000)],
    )
    body_en = TextAreaField(
        _l("Visitor rules in English (optional)"), filters=[strip], validators=[Optional()]
    )
