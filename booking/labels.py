"""Translatable display names of the domain's enumerations."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from booking.models import BookingStatus, ClosureReason, DayKind, DayType, FacilityKind, Role

FACILITY_KINDS = {
    FacilityKind.LECTURE_HALL: _l("Lecture hall"),
    FacilityKind.LIBRARY: _l("Library"),
    FacilityKind.READING_ROOM: _l("Reading room"),
    FacilityKind.SPORTS_VENUE: _l("Sports venue"),
    FacilityKind.PARKING: _l("Parking lot"),
}

# What the capacity of each kind counts.
CAPACITY_UNITS = {
    FacilityKind.LECTURE_HALL: _l("people"),
    FacilityKind.LIBRARY: _l("seats"),
    FacilityKind.READING_ROOM: _l("seats"),
    FacilityKind.SPORTS_VENUE: _l("people"),
    FacilityKind.PARKING: _l("parking spaces"),
}

DAY_TYPES = {
    DayType.SCHOOL_DAYS: _l("School days"),
    DayType.NON_SCHOOL_DAYS: _l("Weekends, holidays and vacations"),
    DayType.ALL_DAYS: _l("Every day"),
}

DAY_KINDS = {
    DayKind.PUBLIC_HOLIDAY: _l("Public holiday"),
    DayKind.MAKEUP_WORKDAY: _l("Make-up working day"),
    DayKind.VACATION: _l("School vacation"),
    DayKind.EXAM_WEEK: _l("Exam week"),
}

CLOSURE_REASONS = {
    ClosureReason.EXAM: _l("Exams"),
    ClosureReason.HOLIDAY: _l("Holiday"),
    ClosureReason.MAINTENANCE: _l("Maintenance"),
    ClosureReason.WEATHER: _l("Severe weather"),
    ClosureReason.EVENT: _l("School event"),
    ClosureReason.OTHER: _l("Other"),
}

DAY_PARTS = {
    "morning": _l("Morning (before 12:00)"),
    "afternoon": _l("Afternoon (12:00-18:00)"),
    "evening": _l("Evening (from 18:00)"),
}

BOOKING_STATUSES = {
    BookingStatus.PENDING: _l("Awaiting approval"),
    BookingStatus.CONFIRMED: _l("Confirmed"),
    BookingStatus.CHECKED_IN: _l("Checked in"),
    BookingStatus.NO_SHOW: _l("No-show"),
    BookingStatus.CANCELLED: _l("Cancelled"),
    BookingStatus.REJECTED: _l("Rejected"),
    BookingStatus.EXPIRED: _l("Expired"),
}

WEEKDAYS = (
    _l("Mon"),
    _l("Tue"),
    _l("Wed"),
    _l("Thu"),
    _l("Fri"),
    _l("Sat"),
    _l("Sun"),
)

AUDIT_ACTIONS = {
    "booking.pending": _l("Request made"),
    "booking.confirmed": _l("Booking confirmed"),
    "booking.rejected": _l("Request declined"),
    "booking.cancelled": _l("Booking cancelled"),
    "booking.expired": _l("Request expired"),
    "booking.checked_in": _l("Checked in"),
    "booking.check_in_override": _l("Checked in outside the check-in window"),
    "booking.no_show": _l("No-show"),
    "booking.no_show_waived": _l("No-show waived"),
    "waitlist.join": _l("Joined the waitlist"),
    "waitlist.offer": _l("Waitlist offer"),
    "waitlist.accepted": _l("Offer accepted"),
    "waitlist.declined": _l("Offer declined"),
    "waitlist.lapsed": _l("Offer lapsed"),
    "waitlist.left": _l("Left the waitlist"),
    "waitlist.skipped": _l("Skipped on the waitlist"),
    "waitlist.cancelled": _l("Waitlist closed"),
    "rule.add": _l("Opening hours added"),
    "rule.change": _l("Opening hours changed"),
    "rule.remove": _l("Opening hours removed"),
    "closure.add": _l("Closure added"),
    "closure.change": _l("Closure changed"),
    "closure.lift": _l("Closure lifted"),
    "facility.add": _l("Facility added"),
    "facility.change": _l("Facility changed"),
    "policy.change": _l("Booking rules changed"),
    "resident.verified": _l("Resident verified"),
    "resident.suspended": _l("Resident suspended"),
    "resident.suspension_lifted": _l("Suspension lifted"),
    "terms.published": _l("Visitor rules published"),
    "school.add": _l("School added"),
    "school.change": _l("School changed"),
    "school.suspended": _l("Programme suspended"),
    "school.reopened": _l("Programme reopened"),
    "privacy.publish": _l("Privacy notice published"),
    "account.created": _l("Account created"),
    "account.moved": _l("Account moved"),
    "account.deactivated": _l("Account deactivated"),
    "account.reset_issued": _l("Password reset issued"),
    "district_policy.change": _l("District defaults changed"),
    "calendar.add": _l("Calendar period added"),
    "calendar.change": _l("Calendar period changed"),
    "calendar.remove": _l("Calendar period removed"),
    "calendar.import": _l("Official holidays imported"),
}

AUDIT_GROUPS = {
    "booking": _l("Bookings"),
    "waitlist": _l("Waitlist"),
    "rule": _l("Opening hours"),
    "closure": _l("Closures"),
    "facility": _l("Facilities"),
    "resident": _l("Residents"),
}


# Reasons the system records as a kind; shown in the reader's language.
SYSTEM_REASONS = {
    "account_deleted": _l("The resident deleted their account."),
    "hall_given_to_another": _l("The hall was given to another request for the same time."),
    "not_decided": _l("The school did not decide before the time began."),
    "not_checked_in": _l("Not checked in by the end of the time and its grace period."),
    "opening_hours_changed": _l("Opening hours changed"),
    "calendar_changed": _l("District calendar changed"),
}

# A stored reason is a system kind ("not_decided"), a kind with words people typed
# ("calendar_changed:国庆节", "closure.weather:台风红色预警"), or words alone.
# Words typed in both languages keep both, Chinese first, split by BOTH_LANGUAGES.
BOTH_LANGUAGES = "\x1f"


def stored_reason(kind: str, chinese: str = "", english: str | None = None) -> str:
    """A reason to store: its kind, and what staff typed in each language."""
    words = chinese.strip()
    if english and english.strip():
        words = f"{words}{BOTH_LANGUAGES}{english.strip()}"
    return f"{kind}:{words}" if words else kind


def closure_reason(reason: ClosureReason, note: str = "", note_en: str | None = None) -> str:
    return stored_reason(f"closure.{reason.value}", note, note_en)


def _kind_label(kind: str) -> str | None:
    if kind in SYSTEM_REASONS:
        return str(SYSTEM_REASONS[kind])
    if kind.startswith("closure."):
        try:
            return str(CLOSURE_REASONS[ClosureReason(kind.removeprefix("closure."))])
        except ValueError:
            return None
    return None


def _in_reader_language(words: str) -> str:
    chinese, _sep, english = words.partition(BOTH_LANGUAGES)
    if str(get_locale() or "zh_Hans") != "zh_Hans" and english:
        return english
    return chinese or english


def reason_text(reason: str | None) -> str:
    """A stored reason as the reader reads it: a system kind translated,
    words typed by staff as they were typed."""
    if not reason:
        return ""
    kind, sep, words = reason.partition(":")
    label = _kind_label(kind)
    if label is None:
        return _in_reader_language(reason)
    if not sep or not words:
        return label
    return f"{label}: {_in_reader_language(words)}"


def localized_name(record: Any) -> str:
    """A school's or facility's name in the reader's language, where it has one."""
    if str(get_locale() or "zh_Hans") != "zh_Hans" and getattr(record, "name_en", None):
        return str(record.name_en)
    return str(record.name)


def audit_action(action: str, actor_role: Role | None) -> str:
    """An audit entry's action by name: a booking staff confirm is a request they
    approved, one a resident's booking confirmed at once."""
    if action == "booking.confirmed" and actor_role in (Role.STAFF, Role.ADMIN):
        return str(_l("Request approved"))
    return str(AUDIT_ACTIONS.get(action, action))


# One way to write a day and a time in each language, always on the 24-hour clock:
# "short" with the weekday and no year (Sat, Dec 5 08:30; 12月5日周六 08:30),
# "medium" with the year (Sat, Dec 5, 2026 08:30).
DATETIME_SKELETONS = {"short": "MMMEd", "medium": "yMMMEd"}


def local_datetime(instant: datetime | None, timezone: str, style: str = "medium") -> str:
    """An instant as the reader reads it: in `timezone`, in their language."""
    if instant is None:
        return ""
    locale = str(get_locale() or "zh_Hans")
    local = instant.astimezone(ZoneInfo(timezone))
    day = format_skeleton(DATETIME_SKELETONS[style], local, locale=locale)
    return f"{day} {format_time(local, 'HH:mm', locale=locale)}"
