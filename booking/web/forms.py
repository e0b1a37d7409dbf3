"""The pages' base form: every text field refuses what is not plain text, and
dates stay near today, whichever form they are in.

Forms derive from `Form` instead of FlaskForm, so a field added tomorrow is
checked without anyone remembering to.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, PasswordField, StringField, TextAreaField
from wtforms.validators import ValidationError

from booking.services import clock
from booking.services.text import text_problem

WHOLE_NUMBER_DIGITS = 10  # no key, count or version of ours is longer


class Form(FlaskForm):
    """A FlaskForm whose text fields take plain text only: a single-line field
    refuses control characters, tabs and line breaks; a text area allows tabs
    and line breaks; a password field takes anything (it is only hashed).
    The check looks at what was sent, before any filter trims it."""

    def validate(self, extra_validators: Any = None) -> bool:
        refused = {field.name: problem for field in self if (problem := sent_text_problem(field))}
        valid = super().validate(extra_validators)
        for field in self:
            if field.name in refused:
                field.errors = [str(refused[field.name])]
        return valid and not refused


def sent_text_problem(field: Field) -> LazyString | None:
    """Why what was sent in `field` is not text it takes, or None."""
    if not isinstance(field, StringField) or isinstance(field, PasswordField):
        return None
    multiline = isinstance(field, TextAreaField)
    for value in field.raw_data or ():
        if isinstance(value, str) and (problem := text_problem(value, multiline=multiline)):
            return problem
    return None


class NearDate:
    """A date at most clock.NEAR_YEARS years from today (in UTC: a day's
    difference does not matter at this scale)."""

    message = _l("Choose a date at most %(years)d years from today.", years=clock.NEAR_YEARS)

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if isinstance(field.data, date) and not clock.is_near(field.data, clock.utcnow().date()):
            raise ValidationError(str(self.message))


def whole_number(raw: str | None, *, digits: int = WHOLE_NUMBER_DIGITS) -> int | None:
    """ASCII digits as a number, or None. str.isdigit() alone lets "²" through,
    which int() refuses, and a number longer than `digits` is nothing of ours."""
    if raw is None or not (0 < len(raw) <= digits) or not raw.isascii() or not raw.isdigit():
        return None
    return int(raw)
