"""The booking form, built from what the facility's booking asks for
(booking.services.booking_form): the fields, their labels and limits. The
rules themselves are checked by `book`, so this page and the API answer the
same request with the same verdict and the same message."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, IntegerField, StringField

from booking.services.booking_form import BookingForm, BookingRequest, FieldRule
from booking.web.forms import Form, whole_number

TERMS_FIELD = "accept_terms"


class WholeNumberField(IntegerField):
    """A whole number, blank as None; anything else is kept for the rule to refuse."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        raw = (valuelist[0] if valuelist else "") or ""
        raw = raw.strip()
        self.data = whole_number(raw) if raw else None
        if raw and self.data is None:
            self.data = raw  # not a number: `book` says "Enter a whole number."


def html_limits(rule: FieldRule) -> dict[str, Any]:
    """The rule's limits as HTML attributes, so the phone's keyboard and
    the browser's hints match what `book` accepts."""
    limits: dict[str, Any] = {"required": True}
    if rule.type == "integer":
        limits.update(inputmode="numeric", min=rule.minimum, max=rule.maximum)
    if rule.max_length is not None:
        limits["maxlength"] = rule.max_length
    if rule.example:
        limits["placeholder"] = rule.example
    return limits


def booking_page_form(spec: BookingForm) -> Form:
    """A form with a field per rule of `spec`, plus the visitor rules' checkbox."""

    class PageForm(Form):
        pass

    for rule in spec.fields:
        field_class = WholeNumberField if rule.type == "integer" else StringField
        default = 1 if rule.name == "places" else None
        setattr(
            PageForm,
            rule.name,
            field_class(rule.label, default=default, render_kw=html_limits(rule)),
        )
    if spec.terms is not None:
        PageForm.terms_version = HiddenField(default=spec.terms.version)
        setattr(
            PageForm,
            TERMS_FIELD,
            BooleanField(_l("I have read and accept the visitor rules above")),
        )
    form = PageForm()
    form.spec = spec  # type: ignore[attr-defined]
    return form


def booking_request(form: Form) -> BookingRequest:
    """What the resident sent, for `book` to check."""
    values = {name: getattr(form, name).data for name in form.spec.names}  # type: ignore[attr-defined]
    accepted = getattr(form, TERMS_FIELD, None)
    shown_version = getattr(form, "terms_version", None)
    terms_version = (
        whole_number(str(shown_version.data or ""))
        if accepted is not None and accepted.data and shown_version is not None
        else None
    )
    return BookingRequest(terms_version=terms_version, **values)


def page_field(form: Form, name: str) -> Any:
    """The page's field for a rule's (or the booking's) field name."""
    return getattr(form, TERMS_FIELD if name == "terms_version" else name, None)
