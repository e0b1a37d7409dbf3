"""Booking codes are checked for their shape before any query: on PostgreSQL
a NUL in a query parameter is an error, not a miss."""

import pytest

from booking.extensions import db
from booking.services import bookings, checkin
from booking.services.booking_errors import BookingNotFound


@pytest.mark.parametrize("code", ["K7MQ3A\x00", "\x00", "A" * 200, "Ｋ７ＭＱ３Ａ", "K7MQ3A\ud800"])
def test_malformed_codes_are_simply_not_found(app, make_school, make_user, code):
    school = make_school()
    resident = make_user()
    with app.app_context():
        assert bookings.find_for_resident(db.session, code, resident) is None
        with pytest.raises(BookingNotFound):
            checkin.find_at_school(db.session, code, school.id)
