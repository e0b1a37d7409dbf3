"""Why a booking, a cancellation or a waitlist request is refused; each has
a stable code for the API and a message for the resident."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from booking.services.errors import Conflict, DomainError, NotFound, ValidationFailed


class SlotNotFound(NotFound):
    code = "not_found"
    default_message = _l("This time slot does not exist.")


class BookingNotFound(NotFound):
    code = "not_found"
    default_message = _l("This booking does not exist.")


class NotReleased(Conflict):
    code = "not_released"
    default_message = _l("Booking for this time has not opened yet.")


class SlotClosed(Conflict):
    code = "closed"
    default_message = _l("This time is closed.")


class SlotPast(Conflict):
    code = "past"
    default_message = _l("This time has already started or is over.")


class SlotFull(Conflict):
    code = "slot_full"
    default_message = _l("This time is fully booked. You can join the waitlist.")


class NotEnoughPlaces(Conflict):
    code = "not_enough_places"
    default_message = _l("Not enough places are left for your party.")


class Duplicate(Conflict):
    code = "duplicate"
    default_message = _l("You already hold a booking for this time.")


class Overlap(Conflict):
    code = "overlap"
    default_message = _l("You already have a booking at an overlapping time.")


class QuotaExceeded(Conflict):
    code = "quota_exceeded"
    default_message = _l("You have reached your booking quota.")


class VerificationRequired(DomainError):
    code = "verification_required"
    status = 403
    default_message = _l(
        "Only residents verified by a school can book here. Show your ID card at any "
        "school's gate to be verified."
    )


class Suspended(DomainError):
    code = "suspended"
    status = 403
    default_message = _l("Your booking is suspended after repeated no-shows.")


class TermsNotAccepted(ValidationFailed):
    code = "terms"
    default_message = _l("Please read and accept the school's visitor rules.")


class InvalidPlaces(ValidationFailed):
    code = "validation"
    default_message = _l("Choose a valid number of places.")


class CancelTooLate(Conflict):
    code = "cancel_deadline_passed"
    default_message = _l("The cancellation deadline has passed.")


class NotCancellable(Conflict):
    code = "invalid_state"
    default_message = _l("This booking can no longer be cancelled.")


class WaitlistRefused(Conflict):
    code = "waitlist"
    default_message = _l("You cannot join the waitlist for this time.")


class OfferNotOpen(Conflict):
    code = "offer_closed"
    default_message = _l("This offer is no longer open.")
