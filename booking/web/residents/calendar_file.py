"""A booking as an iCalendar event, in the school's timezone."""

from __future__ import annotations

from icalendar import Calendar, Event

from booking.models import Booking
from booking.services import clock


def booking_ics(booking: Booking) -> bytes:
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
    event.add("summary", f"{facility.name} · {school.name}")
    event.add("location", school.address)
    event.add("description", f"{booking.code}\n{facility.entrance_notes}".strip())
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
