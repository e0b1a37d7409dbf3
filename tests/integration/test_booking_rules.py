"""Booking rules at their edges, with `now` injected: the server's clock decides."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from booking.models import (
    AuditEvent,
    Booking,
    BookingPolicy,
    BookingStatus,
    FacilityKind,
    Notice,
    Role,
    Slot,
    VisitorTerms,
    WaitlistStatus,
)
from booking.services import booking_errors as errors
from booking.services import waitlist
from booking.services.booking_form import InvalidBooking
from booking.services.bookings import CODE_ALPHABET, BookingRequest, book
from booking.services.cancellations import cancel_by_resident
from booking.services.policy import Policy
from tests.conftest import NOW

POLICY = Policy()
ONE = BookingRequest(places=1)


@pytest.fixture
def make_slot(db_session, make_facility):
    def make(
        facility=None,
        *,
        start=NOW + timedelta(days=2),
        hours=2,
        capacity=None,
        opens=NOW - timedelta(days=1),
        **facility_fields,
    ):
        facility = facility or make_facility(**facility_fields)
        slot = Slot(
            facility_id=facility.id,
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            opens_at=opens,
            capacity=capacity or facility.capacity,
        )
        db_session.add(slot)
        db_session.flush()
        return slot

    return make


def held(db_session, slot):
    return db_session.scalar(sa.select(Slot.held).where(Slot.id == slot.id))


def test_a_booking_takes_its_places_with_a_code_notice_and_audit(db_session, make_slot, make_user):
    slot = make_slot(capacity=5)
    resident = make_user()
    booking = book(db_session, slot.id, resident, BookingRequest(places=2), policy=POLICY, now=NOW)
    assert booking.status == BookingStatus.CONFIRMED
    assert re.fullmatch(f"[{CODE_ALPHABET}]{{6}}", booking.code)
    assert held(db_session, slot) == 2
    assert (
        db_session.scalar(sa.select(Notice.kind).where(Notice.user_id == resident.id))
        == "booking_confirmed"
    )
    assert db_session.scalar(sa.select(AuditEvent.action)) == "booking.confirmed"


def test_a_facility_that_needs_approval_makes_a_pending_request(db_session, make_slot, make_user):
    slot = make_slot(requires_approval=True)
    booking = book(db_session, slot.id, make_user(), ONE, policy=POLICY, now=NOW)
    assert booking.status == BookingStatus.PENDING
    assert held(db_session, slot) == 1


def test_release_time_is_exact(db_session, make_slot, make_user):
    opens = NOW + timedelta(hours=1)
    slot = make_slot(opens=opens)
    with pytest.raises(errors.NotReleased, match="opens at"):
        book(
            db_session,
            slot.id,
            make_user(),
            ONE,
            policy=POLICY,
            now=opens - timedelta(milliseconds=100),
        )
    assert (
        book(db_session, slot.id, make_user(), ONE, policy=POLICY, now=opens).status
        == BookingStatus.CONFIRMED
    )


def test_a_slot_that_started_or_closed_cannot_be_booked(db_session, make_slot, make_user):
    slot = make_slot()
    with pytest.raises(errors.SlotPast):
        book(db_session, slot.id, make_user(), ONE, policy=POLICY, now=slot.starts_at)
    slot.cancelled_at, slot.cancel_reason = NOW, "台风"
    db_session.flush()
    with pytest.raises(errors.SlotClosed, match="台风"):
        book(db_session, slot.id, make_user(), ONE, policy=POLICY, now=NOW)


def test_unknown_slot(db_session, make_user):
    with pytest.raises(errors.SlotNotFound):
        book(db_session, 999999, make_user(), ONE, policy=POLICY, now=NOW)


def test_full_and_not_enough_places(db_session, make_slot, make_user):
    slot = make_slot(capacity=3)
    book(db_session, slot.id, make_user(), BookingRequest(places=2), policy=POLICY, now=NOW)
    with pytest.raises(errors.NotEnoughPlaces, match="Only 1 places"):
        book(db_session, slot.id, make_user(), BookingRequest(places=2), policy=POLICY, now=NOW)
    book(db_session, slot.id, make_user(), ONE, policy=POLICY, now=NOW)
    with pytest.raises(errors.SlotFull):
        book(db_session, slot.id, make_user(), ONE, policy=POLICY, now=NOW)
    assert held(db_session, slot) == 3


@pytest.mark.parametrize("places", [0, -1, 4, 10**9])
def test_impossible_party_sizes(db_session, make_slot, make_user, places):
    slot = make_slot(capacity=3)
    with pytest.raises(InvalidBooking, match="Between 1 and 3 people"):
        book(
            db_session, slot.id, make_user(), BookingRequest(places=places), policy=POLICY, now=NOW
        )
    assert held(db_session, slot) == 0


def test_an_exclusive_hall_is_booked_whole(db_session, make_slot, make_user, make_facility):
    hall = make_facility(kind=FacilityKind.LECTURE_HALL, capacity=300, is_exclusive=True)
    slot = make_slot(hall)
    request = BookingRequest(purpose="社区讲座", organiser="街道", attendance=120)
    booking = book(db_session, slot.id, make_user(), request, policy=POLICY, now=NOW)
    assert booking.places == 300
    with pytest.raises(errors.SlotFull):
        book(db_session, slot.id, make_user(), request, policy=POLICY, now=NOW)
    with pytest.raises(InvalidBooking) as refused:
        book(
            db_session,
            make_slot(slot.facility, start=NOW + timedelta(days=4)).id,
            make_user(),
            BookingRequest(attendance=301),
            policy=POLICY,
            now=NOW,
        )
    assert {name: str(message) for name, message in refused.value.fields.items()} == {
        "purpose": "Say what the hall is for.",
        "organiser": "Say who organises it.",
        "attendance": "Between 1 and 300 people (the hall's capacity).",
    }


def test_one_booking_per_slot_and_none_overlapping(db_session, make_slot, make_user):
    resident = make_user()
    slot = make_slot()
    first = book(db_session, slot.id, resident, ONE, policy=POLICY, now=NOW)
    with pytest.raises(errors.Duplicate, match=first.code):
        book(db_session, slot.id, resident, ONE, policy=POLICY, now=NOW)
    overlapping = make_slot(start=slot.starts_at + timedelta(hours=1))
    with pytest.raises(errors.Overlap, match=first.code):
        book(db_session, overlapping.id, resident, ONE, policy=POLICY, now=NOW)
    right_after = make_slot(start=slot.ends_at)
    assert book(db_session, right_after.id, resident, ONE, policy=POLICY, now=NOW)


def test_active_booking_quota(db_session, make_slot, make_user):
    resident = make_user()
    policy = Policy(max_active_bookings=2, max_weekly_per_kind=10)
    for day in (1, 2):
        book(
            db_session,
            make_slot(start=NOW + timedelta(days=day)).id,
            resident,
            ONE,
            policy=policy,
            now=NOW,
        )
    with pytest.raises(errors.QuotaExceeded, match="2 upcoming bookings"):
        book(
            db_session,
            make_slot(start=NOW + timedelta(days=3)).id,
            resident,
            ONE,
            policy=policy,
            now=NOW,
        )


def test_weekly_quota_per_kind_counts_the_slots_week(
    db_session, make_slot, make_user, make_facility
):
    resident = make_user()
    policy = Policy(max_active_bookings=10, max_weekly_per_kind=1)
    # NOW is Tuesday 24 November; Wednesday 25 and Friday 27 are in the same week
    book(
        db_session,
        make_slot(start=NOW + timedelta(days=1)).id,
        resident,
        ONE,
        policy=policy,
        now=NOW,
    )
    with pytest.raises(errors.QuotaExceeded, match="1 bookings of this kind in that week"):
        book(
            db_session,
            make_slot(start=NOW + timedelta(days=3)).id,
            resident,
            ONE,
            policy=policy,
            now=NOW,
        )
    parking = make_facility(kind=FacilityKind.PARKING)  # another kind is counted apart
    book(
        db_session,
        make_slot(parking, start=NOW + timedelta(days=3)).id,
        resident,
        BookingRequest(plate="粤S12345"),
        policy=policy,
        now=NOW,
    )
    # next week: Monday 30 November
    book(
        db_session,
        make_slot(start=NOW + timedelta(days=6)).id,
        resident,
        ONE,
        policy=policy,
        now=NOW,
    )


def test_suspended_residents_are_told_until_when(db_session, make_slot, make_user):
    resident = make_user(suspended_until=NOW + timedelta(days=3))
    with pytest.raises(errors.Suspended, match="suspended until"):
        book(db_session, make_slot().id, resident, ONE, policy=POLICY, now=NOW)
    assert book(
        db_session,
        make_slot(start=NOW + timedelta(days=5)).id,
        resident,
        ONE,
        policy=POLICY,
        now=NOW + timedelta(days=3),
    )


def test_verified_only(db_session, make_slot, make_user):
    policy = Policy(verified_only=True)
    with pytest.raises(errors.VerificationRequired):
        book(db_session, make_slot().id, make_user(), ONE, policy=policy, now=NOW)
    assert book(
        db_session, make_slot().id, make_user(is_verified=True), ONE, policy=policy, now=NOW
    )


def test_the_current_visitor_terms_must_be_accepted(db_session, make_slot, make_user):
    slot = make_slot()
    db_session.add_all(
        [
            VisitorTerms(school_id=slot.facility.school_id, version=1, body="v1"),
            VisitorTerms(school_id=slot.facility.school_id, version=2, body="v2"),
        ]
    )
    db_session.flush()
    for version in (None, 1):
        with pytest.raises(InvalidBooking, match="accept the school's visitor rules"):
            book(
                db_session,
                slot.id,
                make_user(),
                BookingRequest(terms_version=version),
                policy=POLICY,
                now=NOW,
            )
    booking = book(
        db_session, slot.id, make_user(), BookingRequest(terms_version=2), policy=POLICY, now=NOW
    )
    assert booking.terms.version == 2


def test_cancel_up_to_the_deadline_gives_places_back(db_session, make_slot, make_user):
    slot = make_slot(capacity=4)
    resident = make_user()
    booking = book(db_session, slot.id, resident, BookingRequest(places=3), policy=POLICY, now=NOW)
    deadline = slot.starts_at - timedelta(minutes=POLICY.cancel_deadline_minutes)
    late = book(
        db_session,
        make_slot(start=slot.starts_at + timedelta(days=1)).id,
        resident,
        ONE,
        policy=POLICY,
        now=NOW,
    )
    cancel_by_resident(db_session, booking, resident, policy=POLICY, now=deadline)
    assert booking.status == BookingStatus.CANCELLED
    assert held(db_session, slot) == 0
    with pytest.raises(errors.NotCancellable):
        cancel_by_resident(db_session, booking, resident, policy=POLICY, now=deadline)
    too_late = (
        late.slot.starts_at
        - timedelta(minutes=POLICY.cancel_deadline_minutes)
        + timedelta(seconds=1)
    )
    with pytest.raises(errors.CancelTooLate, match="call the school"):
        cancel_by_resident(db_session, late, resident, policy=POLICY, now=too_late)


def test_waitlist_offers_a_freed_place_to_the_first_in_line(db_session, make_slot, make_user):
    slot = make_slot(capacity=1)
    holder, first, second = make_user(), make_user(), make_user()
    booking = book(db_session, slot.id, holder, ONE, policy=POLICY, now=NOW)
    with pytest.raises(errors.WaitlistRefused, match="already hold"):
        waitlist.join(db_session, slot.id, holder, ONE, policy=POLICY, now=NOW)
    entry_1 = waitlist.join(db_session, slot.id, first, ONE, policy=POLICY, now=NOW)
    entry_2 = waitlist.join(db_session, slot.id, second, ONE, policy=POLICY, now=NOW)
    with pytest.raises(errors.WaitlistRefused, match="already on the waitlist"):
        waitlist.join(db_session, slot.id, first, ONE, policy=POLICY, now=NOW)
    assert (waitlist.position(db_session, entry_1), waitlist.position(db_session, entry_2)) == (
        1,
        2,
    )

    cancel_by_resident(db_session, booking, holder, policy=POLICY, now=NOW)
    assert entry_1.status == WaitlistStatus.OFFERED
    assert entry_1.offer_expires_at == NOW + timedelta(minutes=15)
    assert held(db_session, slot) == 1  # held for the offer
    with pytest.raises(errors.SlotFull):
        book(db_session, slot.id, make_user(), ONE, policy=POLICY, now=NOW)

    # the first declines: the second gets it and accepts
    waitlist.leave(db_session, entry_1, first, now=NOW)
    assert entry_2.status == WaitlistStatus.OFFERED
    accepted = waitlist.accept(
        db_session, entry_2, second, policy=POLICY, now=NOW + timedelta(minutes=5)
    )
    assert accepted.status == BookingStatus.CONFIRMED
    assert entry_2.booking_id == accepted.id
    assert held(db_session, slot) == 1
    kinds = db_session.scalars(sa.select(Notice.kind).where(Notice.user_id == second.id)).all()
    assert kinds == ["waitlist_offer", "booking_confirmed"]


def test_an_offer_lapses_to_the_next_and_ineligible_residents_are_skipped(
    db_session, make_slot, make_user
):
    slot = make_slot(capacity=1)
    holder = make_user()
    booking = book(db_session, slot.id, holder, ONE, policy=POLICY, now=NOW)
    slow, suspended, next_one = make_user(), make_user(), make_user()
    entries = [
        waitlist.join(db_session, slot.id, r, ONE, policy=POLICY, now=NOW)
        for r in (slow, suspended, next_one)
    ]
    cancel_by_resident(db_session, booking, holder, policy=POLICY, now=NOW)
    assert entries[0].status == WaitlistStatus.OFFERED
    suspended.suspended_until = NOW + timedelta(days=10)
    db_session.flush()
    later = NOW + timedelta(minutes=16)
    with pytest.raises(errors.OfferNotOpen):
        waitlist.accept(db_session, entries[0], slow, policy=POLICY, now=later)
    assert waitlist.lapse_offers(db_session, later) == 1
    assert [e.status for e in entries] == [
        WaitlistStatus.LAPSED,
        WaitlistStatus.SKIPPED,
        WaitlistStatus.OFFERED,
    ]
    assert held(db_session, slot) == 1


def test_an_offer_is_cut_short_near_the_start(db_session, make_slot, make_user):
    slot = make_slot(capacity=1, start=NOW + timedelta(minutes=12))
    holder, waiting = make_user(), make_user()
    booking = book(db_session, slot.id, holder, ONE, policy=POLICY, now=NOW)
    entry = waitlist.join(db_session, slot.id, waiting, ONE, policy=POLICY, now=NOW)
    cancel_by_resident(
        db_session, booking, holder, policy=Policy(cancel_deadline_minutes=0), now=NOW
    )
    assert entry.offer_expires_at == slot.starts_at - timedelta(minutes=5)


def test_joining_a_slot_with_room_is_refused(db_session, make_slot, make_user):
    with pytest.raises(errors.WaitlistRefused, match="book this time directly"):
        waitlist.join(db_session, make_slot().id, make_user(), ONE, policy=POLICY, now=NOW)


def test_held_places_always_equal_bookings_and_offers(db_session, make_slot, make_user):
    slot = make_slot(capacity=2)
    people = [make_user() for _ in range(5)]
    bookings = [book(db_session, slot.id, p, ONE, policy=POLICY, now=NOW) for p in people[:2]]
    for person in people[2:]:
        waitlist.join(db_session, slot.id, person, ONE, policy=POLICY, now=NOW)
    for booking, person in zip(bookings, people, strict=False):
        cancel_by_resident(db_session, booking, person, policy=POLICY, now=NOW)
    active = db_session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Booking.places), 0)).where(
            Booking.slot_id == slot.id, Booking.status.in_(("pending", "confirmed"))
        )
    )
    from booking.models import WaitlistEntry

    offered = db_session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(WaitlistEntry.places), 0)).where(
            WaitlistEntry.slot_id == slot.id, WaitlistEntry.status == "offered"
        )
    )
    assert held(db_session, slot) == active + offered == 2


def test_undecided_requests_expire_when_their_slot_starts(db_session, make_slot, make_user):
    from booking.services.bookings import expire_undecided

    slot = make_slot(requires_approval=True)
    resident = make_user()
    booking = book(db_session, slot.id, resident, ONE, policy=POLICY, now=NOW)
    assert expire_undecided(db_session, slot.starts_at - timedelta(seconds=1)) == 0
    assert expire_undecided(db_session, slot.starts_at) == 1
    assert booking.status == BookingStatus.EXPIRED
    assert held(db_session, slot) == 0
    kinds = db_session.scalars(sa.select(Notice.kind).where(Notice.user_id == resident.id)).all()
    assert kinds == ["booking_pending", "booking_expired"]


def test_no_shows_suspend_repeaters_and_a_waiver_lifts_it(
    db_session, make_slot, make_user, make_facility
):
    from booking.services import no_shows
    from booking.services.checkin import CheckInRefused
    from booking.services.errors import ReasonRequired

    resident = make_user()
    facility = make_facility()
    staff = make_user(Role.STAFF, school=facility.school)
    policy = Policy(
        no_show_limit=2, no_show_window_days=30, suspension_days=14, no_show_grace_minutes=30
    )
    db_session.add(BookingPolicy(facility_id=facility.id, no_show_limit=2, suspension_days=14))
    db_session.flush()
    first = book(
        db_session,
        make_slot(facility, start=NOW + timedelta(hours=3)).id,
        resident,
        ONE,
        policy=policy,
        now=NOW,
    )
    second = book(
        db_session,
        make_slot(facility, start=NOW + timedelta(hours=6)).id,
        resident,
        ONE,
        policy=policy,
        now=NOW,
    )
    within_grace = first.slot.ends_at + timedelta(minutes=29)
    assert no_shows.mark_no_shows(db_session, within_grace) == {"no_shows": 0, "suspended": 0}
    after_first = first.slot.ends_at + timedelta(minutes=30)
    assert no_shows.mark_no_shows(db_session, after_first) == {"no_shows": 1, "suspended": 0}
    after_second = second.slot.ends_at + timedelta(hours=1)
    assert no_shows.mark_no_shows(db_session, after_second) == {"no_shows": 1, "suspended": 1}
    assert resident.suspended_until == after_second + timedelta(days=14)
    kinds = db_session.scalars(sa.select(Notice.kind).where(Notice.user_id == resident.id)).all()
    assert kinds.count("booking_no_show") == 2
    assert "suspended" in kinds
    with pytest.raises(ReasonRequired):
        no_shows.waive_no_show(db_session, second, staff, reason=" ", now=after_second)
    assert no_shows.waive_no_show(
        db_session, second, staff, reason="台风天交通中断", now=after_second
    )
    assert resident.suspended_until is None
    with pytest.raises(CheckInRefused):
        no_shows.waive_no_show(db_session, second, staff, reason="again", now=after_second)


def test_reminders_go_the_evening_before_once(db_session, make_slot, make_user):
    from booking.services import reminders

    resident = make_user()
    tomorrow_evening = NOW + timedelta(days=1, hours=9)  # 19:00 tomorrow in Shanghai
    booking = book(
        db_session, make_slot(start=tomorrow_evening).id, resident, ONE, policy=POLICY, now=NOW
    )
    book(
        db_session,
        make_slot(start=NOW + timedelta(days=3)).id,
        resident,
        ONE,
        policy=POLICY,
        now=NOW,
    )
    evening = NOW + timedelta(hours=9)  # 19:00 today
    assert reminders.send_reminders(db_session, evening) == 1
    assert booking.reminded_at == evening
    assert reminders.send_reminders(db_session, evening + timedelta(hours=1)) == 0


def test_the_outbox_mails_notices_and_retries_failures(db_session, make_slot, make_user):
    from booking.models import DeliveryStatus
    from booking.services.notices import deliver_outbox

    with_mail = make_user(email="li@example.com")
    without = make_user()
    book(db_session, make_slot().id, with_mail, ONE, policy=POLICY, now=NOW)
    book(
        db_session,
        make_slot(start=NOW + timedelta(days=3)).id,
        without,
        ONE,
        policy=POLICY,
        now=NOW,
    )
    statuses = dict(db_session.execute(sa.select(Notice.user_id, Notice.delivery_status)).all())
    assert statuses == {with_mail.id: DeliveryStatus.PENDING, without.id: DeliveryStatus.NOT_NEEDED}

    def broken(to, subject, body):
        raise ConnectionRefusedError("smtp down")

    assert deliver_outbox(db_session, NOW, broken)["retry"] == 1
    assert (
        deliver_outbox(db_session, NOW + timedelta(minutes=1), broken)["retry"] == 0
    )  # backing off
    sent = []
    counts = deliver_outbox(db_session, NOW + timedelta(hours=1), lambda *m: sent.append(m))
    assert counts["sent"] == 1
    assert sent[0][0] == "li@example.com"
    assert "confirmed" in sent[0][1] or "已确认" in sent[0][1]
    assert (
        deliver_outbox(db_session, NOW + timedelta(hours=2), lambda *m: sent.append(m))["sent"] == 0
    )


def test_without_mail_the_outbox_is_closed_as_not_needed(db_session, make_slot, make_user):
    from booking.models import DeliveryStatus
    from booking.services.notices import deliver_outbox

    resident = make_user(email="wang@example.com")
    book(db_session, make_slot().id, resident, ONE, policy=POLICY, now=NOW)
    assert deliver_outbox(db_session, NOW, None) == {
        "sent": 0,
        "failed": 0,
        "retry": 0,
        "not_needed": 1,
    }
    assert db_session.scalar(sa.select(Notice.delivery_status)) == DeliveryStatus.NOT_NEEDED


def test_the_waitlist_of_a_closed_school_is_not_found(db_session, make_slot, make_user):
    slot = make_slot(capacity=1)
    book(db_session, slot.id, make_user(), ONE, policy=POLICY, now=NOW)
    slot.facility.school.is_active = False
    db_session.flush()
    with pytest.raises(errors.SlotNotFound):
        waitlist.join(db_session, slot.id, make_user(), ONE, policy=POLICY, now=NOW)


def test_joining_a_waitlist_that_overlaps_ones_booking_is_refused_at_once(
    db_session, make_slot, make_user, make_facility
):
    resident = make_user()
    mine = make_slot(capacity=5)
    book(db_session, mine.id, resident, ONE, policy=POLICY, now=NOW)
    full = make_slot(start=mine.starts_at + timedelta(minutes=30), capacity=1)
    book(db_session, full.id, make_user(), ONE, policy=POLICY, now=NOW)
    with pytest.raises(errors.WaitlistRefused, match="at an overlapping time"):
        waitlist.join(db_session, full.id, resident, ONE, policy=POLICY, now=NOW)
    # the same full time at another place they do not hold: they may wait
    elsewhere = make_slot(start=mine.ends_at, capacity=1)
    book(db_session, elsewhere.id, make_user(), ONE, policy=POLICY, now=NOW)
    entry = waitlist.join(db_session, elsewhere.id, resident, ONE, policy=POLICY, now=NOW)
    assert entry.status == WaitlistStatus.WAITING


def test_parking_may_overlap_ones_own_use_of_the_same_school(
    db_session, make_slot, make_user, make_facility, make_school
):
    resident = make_user()
    school = make_school()
    room = make_facility(school, capacity=5)
    parking = make_facility(school, kind=FacilityKind.PARKING, capacity=5)
    car = BookingRequest(plate="粤S12345")
    seat = make_slot(room)
    space = make_slot(parking, start=seat.starts_at - timedelta(minutes=30), hours=3)
    book(db_session, seat.id, resident, ONE, policy=POLICY, now=NOW)
    assert book(db_session, space.id, resident, car, policy=POLICY, now=NOW).plate == "粤S12345"
    # another school's parking at the same time is another place to be
    away = make_facility(make_school(), kind=FacilityKind.PARKING, capacity=5)
    with pytest.raises(errors.Overlap):
        book(db_session, make_slot(away).id, resident, car, policy=POLICY, now=NOW)
    # and one car at a time
    second_lot = make_facility(school, kind=FacilityKind.PARKING, capacity=5)
    with pytest.raises(errors.Overlap):
        book(db_session, make_slot(second_lot).id, resident, car, policy=POLICY, now=NOW)


def test_a_waitlist_offer_is_texted_once_in_the_residents_language(
    db_session, make_slot, make_user
):
    from booking.models import DeliveryStatus
    from booking.services.notices import text_urgent_notices

    slot = make_slot(capacity=1)
    holder, waiting = make_user(), make_user(phone="13712345678")
    waiting.locale = "en"
    booking = book(db_session, slot.id, holder, ONE, policy=POLICY, now=NOW)
    waitlist.join(db_session, slot.id, waiting, ONE, policy=POLICY, now=NOW)
    cancel_by_resident(db_session, booking, holder, policy=POLICY, now=NOW)
    offer = db_session.scalar(sa.select(Notice).where(Notice.kind == "waitlist_offer"))
    assert offer.sms_status == DeliveryStatus.PENDING
    others = db_session.scalars(sa.select(Notice.sms_status).where(Notice.id != offer.id))
    assert set(others) == {None}  # a confirmation or a cancellation can wait for the app

    texts = []

    class Recorder:
        def send_text(self, phone, text):
            texts.append((phone, text))

    assert text_urgent_notices(db_session, NOW, Recorder())["texted"] == 1
    assert text_urgent_notices(db_session, NOW, Recorder())["texted"] == 0  # once
    assert texts[0][0] == "13712345678"
    assert texts[0][1].startswith("A place came free for you: ")
    assert "held for you until" in texts[0][1]


def test_an_offer_that_lapsed_or_a_site_without_sms_notices_texts_nothing(
    db_session, make_slot, make_user
):
    from booking.models import DeliveryStatus
    from booking.services.notices import text_urgent_notices

    slot = make_slot(capacity=1)
    holder, waiting = make_user(), make_user()
    booking = book(db_session, slot.id, holder, ONE, policy=POLICY, now=NOW)
    waitlist.join(db_session, slot.id, waiting, ONE, policy=POLICY, now=NOW)
    cancel_by_resident(db_session, booking, holder, policy=POLICY, now=NOW)
    sent = []

    class Recorder:
        def send_text(self, phone, text):
            sent.append(text)

    late = NOW + timedelta(minutes=16)
    assert text_urgent_notices(db_session, late, Recorder())["text_not_needed"] == 1
    assert sent == []
    status = db_session.scalar(sa.select(Notice.sms_status).where(Notice.kind == "waitlist_offer"))
    assert status == DeliveryStatus.NOT_NEEDED
