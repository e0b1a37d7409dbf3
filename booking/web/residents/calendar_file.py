"""A booking as an iCalendar event, in the school's timezone."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from icalendar import Calendar, Event

from booking.models import Booking, BookingStatus
from booking.services import clock
from booking.web.templating import localized_name

S = BookingStatus
# RFC 5545 STATUS: a request awaiting approval is tentative; what no longer
# takes place is cancelled, so a calendar that imported it marks it so.
EVENT_STATUS = {
    S.PENDING: "TENTATIVE",
    S.CONFIRMED: "CONFIRMED",
    S.CHECKED_IN: "CONFIRMED",
    S.NO_SHOW: "CONFIRMED",
}


def booking_ics(booking: Booking) -> bytes:
    """The booking as an event, in the reader's language; SEQUENCE follows the
    booking's version so a re-download replaces the earlier copy."""
    slot = booking.slot
    facility = slot.facility
    school = facility.school
    tz = clock.zone(school.timezone)
    calendar = Calendar()
    calendar.add("prodid", "-//campus-share//booking//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"{booking.code}@campus-share")
    event.add("dtstamp", booking.created_at)
    event.add("dtstart", slot.starts_at.astimezone(tz))
    event.add("dtend", slot.ends_at.astimezone(tz))
    event.add("sequence", booking.version)
    event.add("status", EVENT_STATUS.get(booking.status, "CANCELLED"))
    event.add("url", url_for("residents.booking_detail", code=booking.code, _external=True))
    event.add("summary", f"{localized_name(facility)} · {localized_name(school)}")
    event.add("location", school.address)
    lines = [_("Booking code: %(code)s", code=booking.code)]
    if booking.status == S.PENDING:
        lines.append(_("Awaiting the school's approval."))
    if facility.entrance_notes:
        lines.append(facility.entrance_notes)
    event.add("description", "\n".join(lines))
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
