"""Forms of the district area: schools, staff accounts, residents, district
defaults, the calendar, and the reasons its actions ask for."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from booking import labels
from booking.web.auth.forms import MainlandMobile
from booking.web.forms import Form, NearDate
from booking.web.staff.forms import strip

TIMEZONES = ("Asia/Shanghai", "Asia/Urumqi", "Asia/Hong_Kong", "Asia/Macau", "Asia/Taipei")


class SchoolForm(Form):
    code = StringField(
        _l("Code"),
        filters=[strip],
        validators=[DataRequired(_l("Give the school a code.")), Length(max=20)],
        description=_l("2 to 20 letters, digits, - or _; it cannot change later."),
    )
    name = StringField(
        _l("Name (Chinese)"),
        filters=[strip],
        validators=[DataRequired(_l("Give the school a name.")), Length(max=100)],
    )
    name_en = StringField(
        _l("Name in English (optional)"), filters=[strip], validators=[Length(max=150)]
    )
    address = StringField(_l("Address (Chinese)"), filters=[strip], validators=[Length(max=200)])
    address_en = StringField(
        _l("Address in English (optional)"), filters=[strip], validators=[Length(max=300)]
    )
    area = StringField(
        _l("Area (Chinese)"),
        filters=[strip],
        validators=[Length(max=60)],
        description=_l("The community or neighbourhood residents search by, e.g. 蛤地社区."),
    )
    area_en = StringField(
        _l("Area in English (optional)"), filters=[strip], validators=[Length(max=100)]
    )
    is_public = BooleanField(_l("Public school"), default=True)
    timezone = SelectField(_l("Time zone"), choices=[SelectChoice(z, z) for z in TIMEZONES])
    contact_name = StringField(_l("Contact person"), filters=[strip], validators=[Length(max=50)])
    contact_phone = StringField(_l("Contact phone"), filters=[strip], validators=[Length(max=20)])


class ReasonForm(Form):
    reason = StringField(
        _l("Reason"),
        filters=[strip],
        validators=[DataRequired(_l("Give a reason.")), Length(max=500)],
    )


class SuspendSchoolForm(ReasonForm):
    bookings = SelectField(
        _l("The future bookings"),
        choices=[
            SelectChoice("cancel", _l("Cancel them and tell each resident why")),
            SelectChoice("keep", _l("Keep them: they stay valid")),
        ],
    )


class StaffForm(Form):
    real_name = StringField(
        _l("Real name"),
        filters=[strip],
        validators=[DataRequired(_l("Enter the name.")), Length(max=50)],
    )
    phone = StringField(
        _l("Mobile number"),
        filters=[strip],
        validators=[DataRequired(_l("Enter the mobile number.")), MainlandMobile()],
    )
    school = SelectField(_l("School"), coerce=int)


class MoveStaffForm(ReasonForm):
    school = SelectField(_l("Move to school"), coerce=int)


class ResidentSearchForm(Form):
    class Meta:
        csrf = False

    q = StringField(
        _l("Name or part of the phone number"), filters=[strip], validators=[Length(max=50)]
    )


class SuspendResidentForm(ReasonForm):
    until = DateField(
        _l("Suspended until (last day)"),
        validators=[InputRequired(_l("Choose the last day.")), NearDate()],
    )


class DefaultsForm(Form):
    """Every district default has a value: facilities fall back on them."""

    advance_days = IntegerField(
        _l("Days ahead slots open"), validators=[InputRequired(), NumberRange(0, 90)]
    )
    release_time = TimeField(_l("Release time"), validators=[InputRequired()])
    cancel_deadline_minutes = IntegerField(
        _l("Cancel until (minutes before the start)"),
        validators=[InputRequired(), NumberRange(0, 10080)],
    )
    max_active_bookings = IntegerField(
        _l("Upcoming bookings per resident"), validators=[InputRequired(), NumberRange(1, 100)]
    )
    max_weekly_per_kind = IntegerField(
        _l("Bookings per week of one kind"), validators=[InputRequired(), NumberRange(1, 100)]
    )
    verified_only = BooleanField(_l("Only verified residents may book"))
    no_show_limit = IntegerField(
        _l("No-shows that suspend booking"), validators=[InputRequired(), NumberRange(1, 100)]
    )
    no_show_window_days = IntegerField(
        _l("Counted over (days)"), validators=[InputRequired(), NumberRange(1, 365)]
    )
    suspension_days = IntegerField(
        _l("Suspension (days)"), validators=[InputRequired(), NumberRange(1, 365)]
    )
    no_show_grace_minutes = IntegerField(
        _l("Check-in grace after the end (minutes)"),
        validators=[InputRequired(), NumberRange(0, 1440)],
    )
    waitlist_offer_minutes = IntegerField(
        _l("Waitlist offer held (minutes)"), validators=[InputRequired(), NumberRange(1, 1440)]
    )
    max_party = IntegerField(
        _l("Largest party per booking (people)"),
        validators=[InputRequired(), NumberRange(1, 1000)],
    )


class PeriodForm(Form):
    kind = SelectField(
        _l("Kind"), choices=[SelectChoice(k.value, label) for k, label in labels.DAY_KINDS.items()]
    )
    first_day = DateField(
        _l("First day"), validators=[InputRequired(_l("Choose the first day.")), NearDate()]
    )
    last_day = DateField(
        _l("Last day"), validators=[InputRequired(_l("Choose the last day.")), NearDate()]
    )
    name = StringField(_l("Name"), filters=[strip], validators=[Length(max=100)])


class ImportYearForm(Form):
    year = IntegerField(
        _l("Year"), validators=[InputRequired(_l("Choose a year.")), NumberRange(2000, 2100)]
    )


class PrivacyNoticeForm(Form):
    body = TextAreaField(
        _l("Privacy notice (Chinese)"),
        filters=[strip],
        validators=[DataRequired(_l("Write the notice in Chinese.")), Length(max=20000)],
    )
    body_en = TextAreaField(
        _l("Privacy notice in English"), filters=[strip], validators=[Length(max=20000)]
    )
