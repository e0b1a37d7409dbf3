"""Domain errors: each carries a stable code for the API and a translatable message."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    """A rule refused the request. `status` is the HTTP status to answer with."""

    code = "invalid"
    status = 400
    default_message: LazyString = _l("The request could not be carried out.")

    def __init__(self, message: str | LazyString | None = None, *, field: str | None = None):
        self.message = message if message is not None else self.default_message
        self.field = field
        super().__init__(str(self.message))


class ValidationFailed(DomainError):
    code = "validation"
    default_message = _l("Please correct the marked fields.")


class ReasonRequired(ValidationFailed):
    """Staff who decline a request or waive a no-show tell the resident why."""

    code = "reason_required"
    default_message = _l("Give the resident a reason.")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = _l("Not found.")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = _l("This conflicts with the current state; reload and try again.")


class PhoneTaken(Conflict):
    code = "phone_taken"
    default_message = _l("This mobile number is already registered. Log in instead.")


class IdNumberTaken(Conflict):
    code = "id_number_taken"
    default_message = _l("This ID number is already registered to another account.")
