"""Forms of the account page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from booking.web.auth.forms import confirm_field, new_password_field, strip
from booking.web.forms import Form
from booking.web.i18n import LANGUAGE_NAMES


class ProfileForm(Form):
    real_name = StringField(
        _l("Real name"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter your real name.")),
            Length(max=50, message=_l("A name can be at most %(max)d characters.")),
        ],
    )
    email = EmailField(
        _l("E-mail (optional)"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=254),
            Email(
                _l("Enter an e-mail address such as name@example.com."), check_deliverability=False
            ),
        ],
        description=_l("Notices are e-mailed to it, and a password reset link if you need one."),
    )
    locale = SelectField(
        _l("Language of notices and e-mails"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
        validate_choice=True,
    )


class PasswordForm(Form):
    current_password = PasswordField(
        _l("Current password"), validators=[InputRequired(_l("Enter your current password."))]
    )
    password = new_password_field(_l("New password"))
    confirm = confirm_field()


class DeleteForm(Form):
    password = PasswordField(
        _l("Your password"), validators=[InputRequired(_l("Enter your password."))]
    )
    understood = BooleanField(
        _l("I understand that this cannot be undone"),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )
