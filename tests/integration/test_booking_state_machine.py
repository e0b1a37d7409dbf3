"""A Hypothesis state machine over booking, cancelling, approving, rejecting,
expiring, waitlist offers and acceptance, and closures. After every step the
places a slot holds equal the places of its active bookings and open offers,
never above capacity, and every booking change has its audit event."""

import itertools
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from booking.models import (
    ACTIVE_STATUSES,
    PLACE_HOLDING_STATUSES,
    AuditEvent,
    Booking,
    BookingStatus,
    ClosureReason,
    DayType,
    Role,
    Slot,
    User,
    WaitlistEntry,
    WaitlistStatus,
)
from booking.services import supply, waitlist
from booking.services.bookings import BookingRequest, book, expire_undecided, transition
from booking.services.cancellations import cancel_by_resident
from booking.services.errors import DomainError
from booking.services.slots import generate_slots
from tests.conftest import NOW


@pytest.fixture
def machine_world(db_session, make_school, make_facility, make_rule):
    """Builds a fresh small world per Hypothesis example."""

    numbers = itertools.count(1)

    def build():
        school = make_school()
        facility = make_facility(school, capacity=3, requires_approval=True)
        make_rule(
            facility,
            day_type=DayType.ALL_DAYS,
            start_time=time(18),
            end_time=time(20),
            slot_minutes=60,
            valid_from=date(2026, 1, 1),
            valid_until=date(2027, 12, 31),
        )
        db_session.refresh(facility)
        generate_slots(db_session, now=NOW, days=2)
        slots = db_session.scalars(
            sa.select(Slot).where(Slot.facility_id == facility.id).order_by(Slot.starts_at)
        ).all()[:3]
        # plain rows: hashing passwords for every example would dominate the run
        people = [
            User(
                role=Role.RESIDENT,
                phone=f"136{next(numbers):08d}",
                real_name="甲",
                password_hash="-",
            )
            for _ in range(5)
        ]
        db_session.add_all(people)
        db_session.flush()
        return facility, slots, people[:4], people[4]

    return build


def test_places_and_audit_hold_through_any_sequence(db_session, machine_world):
    from booking.services.policy import Policy

    policy = Policy(cancel_deadline_minutes=0, max_active_bookings=10, max_weekly_per_kind=10)

    class BookingMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.facility, self.slots, self.residents, self.staff = machine_world()
            self.now = NOW

        def attempt(self, action):
            savepoint = db_session.begin_nested()
            try:
                action()
            except DomainError:
                savepoint.rollback()
            else:
                savepoint.commit()

        def bookings(self, *statuses):
            return db_session.scalars(
                sa.select(Booking)
                .where(
                    Booking.slot_id.in_([s.id for s in self.slots]), Booking.status.in_(statuses)
                )
                .order_by(Booking.id)
            ).all()

        def entries(self, status):
            return db_session.scalars(
                sa.select(WaitlistEntry)
                .where(
                    WaitlistEntry.slot_id.in_([s.id for s in self.slots]),
                    WaitlistEntry.status == status,
                )
                .order_by(WaitlistEntry.id)
            ).all()

        @rule(who=st.integers(0, 3), which=st.integers(0, 2), places=st.integers(1, 3))
        def book(self, who, which, places):
            self.attempt(
                lambda: book(
                    db_session,
                    self.slots[which].id,
                    self.residents[who],
                    BookingRequest(places=places),
                    policy=policy,
                    now=self.now,
                )
            )

        @rule(who=st.integers(0, 3), which=st.integers(0, 2), places=st.integers(1, 3))
        def join_waitlist(self, who, which, places):
            self.attempt(
                lambda: waitlist.join(
                    db_session,
                    self.slots[which].id,
                    self.residents[who],
                    BookingRequest(places=places),
                    policy=policy,
                    now=self.now,
                )
            )

        @rule(pick=st.integers(0, 50))
        def cancel(self, pick):
            active = self.bookings(*ACTIVE_STATUSES)
            if active:
                booking = active[pick % len(active)]
                self.attempt(
                    lambda: cancel_by_resident(
                        db_session, booking, booking.resident, policy=policy, now=self.now
                    )
                )

        @rule(pick=st.integers(0, 50), approve=st.booleans())
        def decide(self, pick, approve):
            pending = self.bookings(BookingStatus.PENDING)
            if pending:
                booking = pending[pick % len(pending)]
                target = BookingStatus.CONFIRMED if approve else BookingStatus.REJECTED
                self.attempt(
                    lambda: transition(
                        db_session,
                        booking,
                        target,
                        actor=self.staff,
                        reason="decided",
                        now=self.now,
                    )
                )

        @rule(pick=st.integers(0, 50), take=st.booleans())
        def answer_offer(self, pick, take):
            offers = self.entries(WaitlistStatus.OFFERED)
            if offers:
                entry = offers[pick % len(offers)]
                if take:
                    self.attempt(
                        lambda: waitlist.accept(
                            db_session, entry, entry.resident, policy=policy, now=self.now
                        )
                    )
                else:
                    self.attempt(
                        lambda: waitlist.leave(db_session, entry, entry.resident, now=self.now)
                    )

        @rule(minutes=st.integers(1, 20))
        def time_passes(self, minutes):
            self.now += timedelta(minutes=minutes)
            waitlist.lapse_offers(db_session, self.now)

        @precondition(lambda self: self.now < self.slots[0].starts_at)
        @rule()
        def first_slot_starts(self):
            self.now = self.slots[0].starts_at
            expire_undecided(db_session, self.now)
            waitlist.lapse_offers(db_session, self.now)

        @rule(which=st.integers(0, 2))
        def close(self, which):
            slot = self.slots[which]
            if slot.cancelled_at is not None or slot.starts_at <= self.now:
                return
            self.attempt(
                lambda: supply.add_closure(
                    db_session,
                    self.facility.school,
                    self.facility,
                    starts_at=slot.starts_at,
                    ends_at=slot.ends_at,
                    reason=ClosureReason.MAINTENANCE,
                    note="",
                    actor=self.staff,
                    now=self.now,
                )
            )
            supply.reconcile(
                db_session,
                [self.facility.id],
                now=self.now,
                reason=lambda: "维修",
                actor=self.staff,
                dry_run=False,
            )

        @invariant()
        def places_held_match_bookings_and_offers(self):
            db_session.flush()
            for slot in self.slots:
                held = db_session.scalar(sa.select(Slot.held).where(Slot.id == slot.id))
                if held is None:  # a closure removed the slot: it held nothing
                    held = 0
                booked = db_session.scalar(
                    sa.select(sa.func.coalesce(sa.func.sum(Booking.places), 0)).where(
                        Booking.slot_id == slot.id, Booking.status.in_(PLACE_HOLDING_STATUSES)
                    )
                )
                offered = db_session.scalar(
                    sa.select(sa.func.coalesce(sa.func.sum(WaitlistEntry.places), 0)).where(
                        WaitlistEntry.slot_id == slot.id,
                        WaitlistEntry.status == WaitlistStatus.OFFERED,
                    )
                )
                assert held == booked + offered
                assert 0 <= held <= slot.capacity

        @invariant()
        def every_booking_state_has_its_audit_event(self):
            for booking in self.bookings(*BookingStatus):
                actions = set(
                    db_session.scalars(
                        sa.select(AuditEvent.action).where(
                            AuditEvent.target_type == "booking", AuditEvent.target_id == booking.id
                        )
                    )
                )
                assert f"booking.{booking.status.value}" in actions

    run_state_machine_as_test(
        BookingMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
