"""Closures on the pages: edited and lifted with a preview, shown by their
last day, their notes in the reader's language; and opening hours changed
under a booked slot. Through the test client, on the real clock."""

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from booking.extensions import db
from booking.models import (
    AuditEvent,
    Booking,
    BookingStatus,
    Closure,
    ClosureReason,
    FacilityKind,
    Slot,
)
from booking.services import clock
from booking.services.clock import utcnow
from booking.services.slots import generate_slots
from tests.functional import test_staff
from tests.functional.test_staff import EN, local_day, login, status_of

world = test_staff.world  # two schools, staff at each, two residents

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
TZ = clock.zone("Asia/Shanghai")


def label(day: date) -> str:
    """A day as the English pages write it (Sat, Dec 5), worked out here by hand."""
    text = f"{day:%a}, {day:%b} {day.day}"
    return text if day.year == local_day(0).year else f"{text}, {day.year}"


@pytest.fixture
def room(app, world, make_facility, make_rule):
    """A reading room at the staff's school, open 09:00-12:00 in hours, published."""
    facility = make_facility(
        world["here"], kind=FacilityKind.READING_ROOM, name="阅览室", capacity=10
    )
    make_rule(facility, start_time=time(9), end_time=time(12), slot_minutes=60)
    with app.app_context():
        generate_slots(db.session, now=utcnow())
        db.session.commit()
    return facility


def at(day: date, hour: int, minute: int = 0):
    return clock.local_instant(day, time(hour, minute), TZ)


def book(app, facility, resident, code, starts_at, status=BookingStatus.CONFIRMED):
    with app.app_context():
        slot = db.session.scalar(
            sa.select(Slot).where(Slot.facility_id == facility.id, Slot.starts_at == starts_at)
        )
        db.session.add(
            Booking(code=code, slot_id=slot.id, resident_id=resident.id, places=1, status=status)
        )
        slot.held += 1
        db.session.commit()


def live_starts(app, facility, day):
    with app.app_context():
        return [
            clock.to_local(start, TZ).strftime("%H:%M")
            for start in db.session.scalars(
                sa.select(Slot.starts_at)
                .where(
                    Slot.facility_id == facility.id,
                    Slot.cancelled_at.is_(None),
                    Slot.starts_at >= at(day, 0),
                    Slot.starts_at < at(day + timedelta(days=1), 0),
                )
                .order_by(Slot.starts_at)
            )
        ]


def closure_form(first, last, **changes):
    return {
        "facility": "0",
        "first_day": first.isoformat(),
        "last_day": last.isoformat(),
        "reason": "weather",
        "note": "台风停课",
        "note_en": "Closed for the typhoon",
        **changes,
    }


def add_closure(client, first, last, **changes):
    response = client.post(
        "/staff/closures", data={**closure_form(first, last, **changes), "confirm": "1"}
    )
    assert response.status_code == 302, response.text
    return response


def the_closure(app):
    with app.app_context():
        closure = db.session.scalar(sa.select(Closure))
        db.session.expunge_all()
        return closure


def actions(app):
    with app.app_context():
        return db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()


def test_a_closure_widened_cancels_with_a_preview_and_narrowed_reopens(app, client, world, room):
    first, second = local_day(3), local_day(4)
    login(client, "13900000001")
    add_closure(client, first, first)
    closure = the_closure(app)
    book(app, room, world["ann"], "WIDE01", at(second, 10))

    page = client.get(f"/staff/closures/{closure.id}/edit", headers=EN)
    assert page.status_code == 200
    assert f"Now: {label(first)}, all day" in page.text
    assert f'name="last_day" required type="date" value="{first.isoformat()}"' in page.text
    assert 'value="Closed for the typhoon"' in page.text

    wider = closure_form(first, second)
    preview = client.post(f"/staff/closures/{closure.id}/edit", data=wider, headers=EN)
    assert preview.status_code == 200
    assert "Before you confirm" in preview.text
    assert "1 booking will be cancelled, and its resident told why." in preview.text
    assert '<button type="submit" class="danger">Confirm and cancel 1 booking</button>' in (
        preview.text
    )
    assert "WIDE01" in preview.text
    assert status_of(app, "WIDE01") == BookingStatus.CONFIRMED  # a preview changes nothing
    assert the_closure(app).ends_at == at(first + timedelta(days=1), 0)

    done = client.post(
        f"/staff/closures/{closure.id}/edit",
        data={**wider, "confirm": "1"},
        headers=EN,
        follow_redirects=True,
    )
    assert "1 bookings cancelled" in done.text
    assert f"{label(first)} – {label(second)}" in done.text
    assert status_of(app, "WIDE01") == BookingStatus.CANCELLED
    assert live_starts(app, room, second) == []

    narrower = closure_form(second, second)
    preview = client.post(f"/staff/closures/{closure.id}/edit", data=narrower, headers=EN)
    assert f"This change reopens 3 slots on {label(first)}." in preview.text
    assert "No booking will be cancelled." in preview.text
    assert "danger" not in preview.text.split("Before you confirm")[1].split("</form>")[0]
    assert live_starts(app, room, first) == []
    client.post(f"/staff/closures/{closure.id}/edit", data={**narrower, "confirm": "1"})
    assert live_starts(app, room, first) == ["09:00", "10:00", "11:00"]
    assert status_of(app, "WIDE01") == BookingStatus.CANCELLED  # not booked again
    assert actions(app).count("closure.change") == 2
    log = client.get("/staff/audit", query_string={"action": "closure"}, headers=EN).text
    assert "Closure changed" in log


def test_lifting_a_closure_says_what_it_reopens_then_reopens_it(app, client, world, room):
    first, second = local_day(3), local_day(4)
    book(app, room, world["ann"], "LIFT01", at(first, 10))
    login(client, "13900000001")
    add_closure(client, first, second)
    closure = the_closure(app)
    assert status_of(app, "LIFT01") == BookingStatus.CANCELLED

    listing = client.get("/staff/closures", headers=EN)
    assert f'action="/staff/closures/{closure.id}/lift"' in listing.text
    preview = client.post(f"/staff/closures/{closure.id}/lift", headers=EN)
    assert preview.status_code == 200
    assert (
        f"Lifting this closure reopens 6 slots on {label(first)} and {label(second)}."
        in preview.text
    )
    assert "No booking will be cancelled." in preview.text
    assert "Closed for the typhoon" in preview.text
    assert the_closure(app) is not None  # a preview changes nothing
    assert live_starts(app, room, first) == []

    done = client.post(
        f"/staff/closures/{closure.id}/lift",
        data={"confirm": "1"},
        headers=EN,
        follow_redirects=True,
    )
    assert "Closure lifted: 6 slots reopened." in done.text
    assert "No closures ahead." in done.text
    assert live_starts(app, room, first) == ["09:00", "10:00", "11:00"]
    assert live_starts(app, room, second) == ["09:00", "10:00", "11:00"]
    assert status_of(app, "LIFT01") == BookingStatus.CANCELLED  # residents are not rebooked
    with app.app_context():
        slot = db.session.scalar(sa.select(Slot).where(Slot.starts_at == at(first, 10)))
        assert (slot.cancelled_at, slot.held) == (None, 0)
    assert actions(app)[-1] == "closure.lift"
    assert "Closure lifted" in client.get("/staff/audit", headers=EN).text


def test_another_schools_closure_is_not_found(app, client, world, room):
    with app.app_context():
        there = Closure(
            school_id=world["there"].id,
            starts_at=at(local_day(3), 0),
            ends_at=at(local_day(4), 0),
            reason=ClosureReason.EXAM,
            note="考试",
        )
        db.session.add(there)
        db.session.commit()
        closure_id = there.id
    login(client, "13900000001")
    assert client.get(f"/staff/closures/{closure_id}/edit").status_code == 404
    day = local_day(5)
    form = {**closure_form(day, day), "confirm": "1"}
    assert client.post(f"/staff/closures/{closure_id}/edit", data=form).status_code == 404
    assert client.post(f"/staff/closures/{closure_id}/lift", data=form).status_code == 404
    assert client.get("/staff/closures/999999/edit").status_code == 404
    assert client.get("/staff/closures/abc/edit").status_code == 404
    with app.app_context():
        kept = db.session.get(Closure, closure_id)
        assert (kept.starts_at, kept.ends_at) == (at(local_day(3), 0), at(local_day(4), 0))
    assert "closure.change" not in actions(app)
    assert "closure.lift" not in actions(app)


def test_an_ended_closure_cannot_be_edited_or_lifted(app, client, world, room):
    ended = at(local_day(-1), 0)
    with app.app_context():
        closure = Closure(
            school_id=world["here"].id,
            starts_at=ended - timedelta(days=1),
            ends_at=ended,
            reason=ClosureReason.WEATHER,
            note="台风",
        )
        db.session.add(closure)
        db.session.commit()
        closure_id = closure.id
    login(client, "13900000001")
    message = "This closure has already ended: it can no longer be changed or lifted."
    page = client.get(f"/staff/closures/{closure_id}/edit", headers=EN, follow_redirects=True)
    assert message in page.text
    day = local_day(3)
    refused = client.post(
        f"/staff/closures/{closure_id}/edit",
        data={**closure_form(day, day), "confirm": "1"},
        headers=EN,
    )
    assert refused.status_code == 409
    assert message in refused.text
    lifted = client.post(f"/staff/closures/{closure_id}/lift", data={"confirm": "1"}, headers=EN)
    assert lifted.status_code == 302
    assert message in client.get(lifted.headers["Location"], headers=EN).text
    with app.app_context():
        kept = db.session.get(Closure, closure_id)
        assert (kept.starts_at, kept.ends_at) == (ended - timedelta(days=1), ended)
    assert "closure.change" not in actions(app)
    assert "closure.lift" not in actions(app)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"first_day": local_day(6).isoformat(), "last_day": local_day(4).isoformat()},
            "A closure must end after it starts.",
        ),
        (
            {"first_day": local_day(-5).isoformat(), "last_day": local_day(-4).isoformat()},
            "A closure cannot lie entirely in the past.",
        ),
        ({"last_day": "2026-13-45"}, "Not a valid date value."),
        ({"first_day": ""}, "Choose the first day."),
        ({"last_day": "9999-12-31"}, "Choose a date at most 5 years from today."),
        ({"from_time": "25:00"}, "Not a valid time value."),
        ({"reason": "boredom"}, "Not a valid choice."),
        ({"facility": "abc"}, "Invalid Choice: could not coerce."),
        ({"note_en": "x" * 201}, "Field cannot be longer than 200 characters."),
        ({"note_en": "bad\x07text"}, "control characters"),
    ],
)
def test_a_bad_edit_gets_a_clear_message_and_changes_nothing(
    app, client, world, room, changes, message
):
    first = local_day(3)
    login(client, "13900000001")
    add_closure(client, first, first)
    closure = the_closure(app)
    form = {**closure_form(first, first), **changes, "confirm": "1"}
    response = client.post(f"/staff/closures/{closure.id}/edit", data=form, headers=EN)
    assert response.status_code == 400, response.text
    assert message in response.text
    kept = the_closure(app)
    assert (kept.starts_at, kept.ends_at, kept.note_en) == (
        closure.starts_at,
        closure.ends_at,
        "Closed for the typhoon",
    )
    assert "closure.change" not in actions(app)


def test_a_closure_under_way_keeps_its_start(app, client, world, room):
    today = local_day(0)
    login(client, "13900000001")
    add_closure(client, today, today)
    closure = the_closure(app)
    moved = client.post(
        f"/staff/closures/{closure.id}/edit",
        data={**closure_form(local_day(1), local_day(1)), "confirm": "1"},
        headers=EN,
    )
    assert moved.status_code == 400
    assert "This closure has already begun" in moved.text
    longer = client.post(
        f"/staff/closures/{closure.id}/edit",
        data={**closure_form(today, local_day(1)), "confirm": "1"},
    )
    assert longer.status_code == 302
    assert the_closure(app).ends_at == at(local_day(2), 0)


def test_closures_are_shown_by_their_last_day_and_times(app, client, world, room):
    day = local_day(3)
    login(client, "13900000001")
    add_closure(client, day, day)
    add_closure(client, local_day(5), local_day(6), facility=str(room.id), note_en="")
    add_closure(
        client,
        local_day(8),
        local_day(8),
        from_time="14:00",
        to_time="18:00",
        note="",
        note_en="Fire drill",
    )
    add_closure(client, local_day(9), local_day(9), from_time="19:00", note="", note_en="")
    staff = client.get("/staff/closures", headers=EN).text
    assert f"{label(day)}, all day" in staff
    assert label(day + timedelta(days=1)) not in staff  # not the midnight after it
    assert f"{label(local_day(5))} – {label(local_day(6))}" in staff
    assert f"{label(local_day(8))}, 14:00–18:00" in staff
    assert f"{label(local_day(9))}, 19:00–24:00" in staff

    school = client.get("/schools/HERE", headers=EN).text
    assert f"{label(day)}, all day" in school
    assert "Closed for the typhoon" in school
    assert "the whole school" in school
    # a note written only in Chinese is shown, marked as such
    assert (
        '<span lang="zh-Hans">台风停课</span> <small class="fallback">(in Chinese only)' in school
    )
    assert "Fire drill" in school
    chinese = client.get("/schools/HERE", headers=ZH).text
    assert "台风停课" in chinese
    assert "Closed for the typhoon" not in chinese
    assert '<span lang="en">Fire drill</span>' in chinese

    facility = client.get(f"/facilities/{room.id}", headers=EN).text
    assert f"{label(local_day(5))} – {label(local_day(6))}" in facility
    other = client.get(f"/facilities/{world['hall'].id}", headers=EN)
    assert other.status_code in (200, 404)
    if other.status_code == 200:  # the whole school's closures, not the reading room's
        assert f"{label(day)}, all day" in other.text
        assert f"{label(local_day(5))} – {label(local_day(6))}" not in other.text


def test_both_notes_are_kept_and_the_form_asks_for_both(app, client, world, room):
    login(client, "13900000001")
    page = client.get("/staff/closures", headers=EN).text
    assert "Note for residents, in Chinese (optional)" in page
    assert "Note for residents, in English (optional)" in page
    add_closure(client, local_day(3), local_day(3))
    closure = the_closure(app)
    assert (closure.note, closure.note_en) == ("台风停课", "Closed for the typhoon")
    add_closure(client, local_day(5), local_day(5), note="", note_en="")
    with app.app_context():
        notes = db.session.execute(
            sa.select(Closure.note, Closure.note_en).order_by(Closure.id)
        ).all()
    assert [tuple(row) for row in notes] == [
        ("台风停课", "Closed for the typhoon"),
        ("", None),
    ]


def test_new_hours_keep_a_booked_slot_they_still_cover(
    app, client, world, make_facility, make_rule
):
    room = make_facility(world["here"], name="自习室", capacity=10)
    make_rule(
        room,
        start_time=time(8, 30),
        end_time=time(18, 30),
        slot_minutes=60,
        valid_from=local_day(0),
        valid_until=local_day(60),
    )
    with app.app_context():
        generate_slots(db.session, now=utcnow())
        db.session.commit()
        from booking.models import OpeningRule

        rule_id = db.session.scalar(
            sa.select(OpeningRule.id).where(OpeningRule.facility_id == room.id)
        )
    day = local_day(2)
    book(app, room, world["ann"], "KEEP01", at(day, 8, 30))
    form = {
        "valid_from": local_day(0).isoformat(),
        "valid_until": local_day(60).isoformat(),
        "weekdays": [str(bit) for bit in range(7)],
        "day_type": "all_days",
        "start_time": "08:00",
        "end_time": "18:00",
        "slot_minutes": "60",
    }
    login(client, "13900000001")
    preview = client.post(f"/staff/rules/{rule_id}/edit", data=form, headers=EN)
    assert preview.status_code == 200
    assert "No booking will be cancelled." in preview.text
    assert (
        "1 booked slot stays as it is, since the new hours still cover it; "
        "the new slots fit around it." in preview.text
    )
    assert "Confirm and cancel" not in preview.text
    client.post(f"/staff/rules/{rule_id}/edit", data={**form, "confirm": "1"})
    assert status_of(app, "KEEP01") == BookingStatus.CONFIRMED
    starts = live_starts(app, room, day)
    assert starts[:2] == ["08:30", "10:00"]
