"""Registration, login and password-reset forms."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from booking.services import passwords
from booking.services.identity import (
    id_number_problem,
    is_mainland_mobile,
    normalise_id_number,
    normalise_phone,
)
from booking.web.forms import Form

ID_NUMBER_MESSAGES = {
    "format": _l("An ID number has 18 characters: 17 digits, then a digit or X."),
    "birth_date": _l("The birth date in this ID number is not a real date."),
    "check_digit": _l("This ID number's last character does not match: please check it."),
}


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class MainlandMobile:
    message = _l("Enter an 11-digit mainland mobile number, such as 13800138000.")

    def __call__(self, form: FlaskForm, field: StringField) -> None:
        if field.data and not is_mainland_mobile(field.data):
            raise ValidationError(self.message)


class ResidentIdNumber:
    def __call__(self, form: FlaskForm, field: StringField) -> None:
        if field.data:
            problem = id_number_problem(field.data)
            if problem:
                raise ValidationError(ID_NUMBER_MESSAGES[problem])


class NewPassword:
    """The password rule of booking.services.passwords, with the form's phone
    (or the account's, `phone` given) as context."""

    def __init__(self, phone: str | None = None) -> None:
        self.phone = phone

    def __call__(self, form: FlaskForm, field: PasswordField) -> None:
        phone_field = getattr(form, "phone", None)
        phone = self.phone or (phone_field.data if phone_field is not None else None)
        problem = passwords.password_problem(field.data or "", phone=phone)
        if problem is not None:
            raise ValidationError(str(problem))


def phone_field(label: Any = None) -> TelField:
    return TelField(
        label or _l("Mobile number"),
        filters=[normalise_phone],
        validators=[DataRequired(_l("Enter your mobile number.")), MainlandMobile()],
    )


def new_password_field(label: Any = None, phone: str | None = None) -> PasswordField:
    return PasswordField(
        label or _l("Password"),
        validators=[InputRequired(_l("Choose a password.")), NewPassword(phone)],
        description=passwords.RULE_TEXT,
    )


def confirm_field() -> PasswordField:
    return PasswordField(
        _l("Password again"),
        validators=[
            InputRequired(_l("Type the password again.")),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
    )


def code_field() -> StringField:
    return StringField(
        _l("Code from the SMS"),
        filters=[strip],
        validators=[Optional(), Length(max=12)],
        description=_l("6 digits, valid for 10 minutes."),
    )


class TelField(StringField):
    """A phone number typed as text with a numeric keyboard: type="tel" lets
    some browsers refuse full-width digits before the server can normalise them."""

    input_type = "text"


class RegisterForm(Form):
    real_name = StringField(
        _l("Real name"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter your real name.")),
            Length(max=50, message=_l("A name can be at most %(max)d characters.")),
        ],
    )
    phone = phone_field()
    sms_code = code_field()
    password = new_password_field()
    confirm = confirm_field()
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
    )
    id_number = StringField(
        _l("Resident ID number (optional)"),
        filters=[normalise_id_number],
        validators=[Optional(), ResidentIdNumber()],
        description=_l("Stored only in a masked form; it lets the school verify you faster."),
    )
    accept_privacy = BooleanField(_l("I have read the privacy notice and accept it"))
    privacy_version = HiddenField()

    def accepted_privacy_version(self) -> int | None:
        """The version of the notice the page showed, when its box is ticked."""
        if not self.accept_privacy.data:
            return None
        raw = (self.privacy_version.data or "").strip()
        return int(raw) if raw.isdigit() and len(raw) < 9 else 0


class LoginForm(Form):
    phone = TelField(
        _l("Mobile number"),
        filters=[normalise_phone],
        validators=[DataRequired(_l("Enter your mobile number."))],
    )
    password = PasswordField(_l("Password"), validators=[InputRequired(_l("Enter your password."))])
    remember = BooleanField(_l("Keep me logged in on this device (30 days)"))


class ResetRequestForm(Form):
    phone = phone_field()


class ResetCodeForm(Form):
    code = StringField(
        _l("Code from the SMS"),
        filters=[strip],
        validators=[DataRequired(_l("Enter the 6-digit code from the SMS.")), Length(max=12)],
    )
    password = new_password_field(_l("New password"))
    confirm = confirm_field()


class ResetLinkForm(Form):
    password = new_password_field(_l("New password"))
    confirm = confirm_field()
