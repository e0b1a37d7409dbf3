"""The statements of booking, in as few round trips as the rules allow.

A booking reads what it needs in one statement (the slot with its facility
and school, the facility's and the district's policies, the school's current
visitor rules), locks the resident and reads their bookings in a second,
and writes in a third: on PostgreSQL one statement takes the places in the
conditional UPDATE (DESIGN rule 1) and inserts the booking, its audit event
and its notice; on SQLite, which has no data-modifying CTE and no round
trips to save, the same as four statements. No ORM unit of work on the way:
the booking comes back as a persistent object built from what was written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSON as PG_JSON
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased, contains_eager
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.session import make_transient_to_detached

from booking.models import (
    AuditEvent,
    Booking,
    BookingPolicy,
    BookingStatus,
    DeliveryStatus,
    Facility,
    Notice,
    School,
    Slot,
    User,
    VisitorTerms,
)
from booking.models.types import UtcDateTime
from booking.services.policy import Policy, overlay


@dataclass(frozen=True)
class TermsRef:
    """The school's current visitor rules, as a booking refers to them."""

    id: int
    version: int


@dataclass(frozen=True)
class SlotContext:
    slot: Slot  # with its facility and school loaded
    policy: Policy
    terms: TermsRef | None


def read_context(session: Session, slot_id: int) -> SlotContext | None:
    """The slot, its facility and school, its policy and the school's current
    visitor rules, in one statement; None when there is no such slot."""
    row = session.execute(_context_statement(), {"slot_id": slot_id}).first()
    if row is None:
        return None
    slot, own_row, district_row, terms_id, terms_version = row
    policy = overlay(overlay(Policy(), district_row), own_row)
    terms = TermsRef(terms_id, terms_version) if terms_id is not None else None
    return SlotContext(slot, policy, terms)


# The hot statements are built once: building a select with aliases and
# subqueries costs more Python than compiling it (which SQLAlchemy caches).
@cache
def _context_statement() -> sa.Select[Any]:
    own = aliased(BookingPolicy)
    district = aliased(BookingPolicy)
    latest = (
        sa.select(VisitorTerms.id, VisitorTerms.version)
        .where(VisitorTerms.school_id == Facility.school_id)
        .order_by(VisitorTerms.version.desc())
        .limit(1)
        .correlate(Facility)
    )
    return (
        sa.select(
            Slot,
            own,
            district,
            latest.with_only_columns(VisitorTerms.id).scalar_subquery(),
            latest.with_only_columns(VisitorTerms.version).scalar_subquery(),
        )
        .select_from(
            sa.join(Slot, Facility, Slot.facility_id == Facility.id)
            .join(School, Facility.school_id == School.id)
            .outerjoin(own, own.facility_id == Facility.id)
            .outerjoin(district, district.is_district_default)
        )
        .options(contains_eager(Slot.facility).contains_eager(Facility.school))
        .where(Slot.id == sa.bindparam("slot_id"))
    )


def read_bookings(
    session: Session,
    resident_id: int,
    statuses: tuple[BookingStatus, ...],
    *,
    ending_after: datetime,
    starting_from: datetime,
    lock: bool,
) -> list[Any]:
    """The resident's bookings in `statuses` that end after `ending_after` or
    start from `starting_from`, in one statement; with `lock`, the same
    statement locks the resident's row first (one booking of theirs at a time;
    SQLite's BEGIN IMMEDIATE already serialises writers)."""
    rows = session.execute(
        _bookings_statement(statuses, lock),
        {"resident_id": resident_id, "ending_after": ending_after, "starting_from": starting_from},
    ).all()
    return [row for row in rows if row.code is not None]


@cache
def _bookings_statement(statuses: tuple[BookingStatus, ...], lock: bool) -> sa.Select[Any]:
    resident_id = sa.bindparam("resident_id")
    me = sa.select(User.id).where(User.id == resident_id)
    if lock:
        me = me.with_for_update()
    me_rows = me.subquery("me")
    mine = (
        sa.select(
            Booking.resident_id,
            Booking.code,
            Booking.slot_id,
            Booking.status,
            Slot.starts_at,
            Slot.ends_at,
            Facility.kind,
            Facility.school_id,
        )
        .join(Slot, Booking.slot_id == Slot.id)
        .join(Facility, Slot.facility_id == Facility.id)
        .where(
            Booking.resident_id == resident_id,
            Booking.status.in_(statuses),
            sa.or_(
                Slot.ends_at > sa.bindparam("ending_after", type_=UtcDateTime()),
                Slot.starts_at >= sa.bindparam("starting_from", type_=UtcDateTime()),
            ),
        )
        .subquery("mine")
    )
    return sa.select(mine).select_from(me_rows.outerjoin(mine, mine.c.resident_id == me_rows.c.id))


@dataclass(frozen=True)
class NewBooking:
    """What is written: the booking, its audit event and its notice."""

    code: str
    slot: Slot
    resident_id: int
    places: int
    status: BookingStatus
    purpose: str | None
    organiser: str | None
    attendance: int | None
    plate: str | None
    terms_id: int | None
    now: datetime
    notice_kind: str
    notice_by_mail: bool

    def booking_values(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "slot_id": self.slot.id,
            "resident_id": self.resident_id,
            "places": self.places,
            "status": self.status.value,
            "purpose": self.purpose,
            "organiser": self.organiser,
            "attendance": self.attendance,
            "plate": self.plate,
            "terms_id": self.terms_id,
            "created_at": self.now,
            "updated_at": self.now,
            "version": 1,
        }

    def audit_values(self) -> dict[str, Any]:
        return {
            "at": self.now,
            "actor_id": self.resident_id,
            "action": f"booking.{self.status.value}",
            "target_type": "booking",
            "school_id": self.slot.facility.school_id,
            "details": {"to": self.status.value, "code": self.code, "places": self.places},
        }

    def notice_values(self) -> dict[str, Any]:
        pending = DeliveryStatus.PENDING if self.notice_by_mail else DeliveryStatus.NOT_NEEDED
        return {
            "user_id": self.resident_id,
            "kind": self.notice_kind,
            "params": {},
            "created_at": self.now,
            "read_at": None,
            "delivery_status": pending.value,
            "attempts": 0,
            "next_attempt_at": self.now if self.notice_by_mail else None,
        }


@dataclass(frozen=True)
class Written:
    """`taken`: the places were free and are now held; `booking_id` is None
    when the insert met a unique key (the code drawn, or the resident's
    active booking of the slot), in which case the places were given back."""

    taken: bool
    booking_id: int | None


_PG_BOOK = sa.text(
    """
    WITH taken AS (
        UPDATE slots SET held = held + :places
        WHERE id = :slot_id AND held + :places <= capacity AND cancelled_at IS NULL
          AND opens_at <= :now AND starts_at > :now
        RETURNING id
    ), booked AS (
        INSERT INTO bookings (code, slot_id, resident_id, places, status, purpose, organiser,
                              attendance, plate, terms_id, created_at, updated_at, version)
        SELECT CAST(:code AS VARCHAR), taken.id, CAST(:resident_id AS INTEGER),
               CAST(:places AS INTEGER), CAST(:status AS VARCHAR), CAST(:purpose AS VARCHAR),
               CAST(:organiser AS VARCHAR), CAST(:attendance AS INTEGER), CAST(:plate AS VARCHAR),
               CAST(:terms_id AS INTEGER), :now, :now, 1
        FROM taken
        ON CONFLICT DO NOTHING
        RETURNING id
    ), audited AS (
        INSERT INTO audit_events (at, actor_id, action, target_type, target_id, school_id,
                                  details)
        SELECT :now, CAST(:resident_id AS INTEGER), CAST(:action AS VARCHAR), 'booking', booked.id,
               CAST(:school_id AS INTEGER), CAST(:details AS JSON)
        FROM booked
    ), noticed AS (
        INSERT INTO notices (user_id, kind, params, booking_id, created_at,
                             delivery_status, attempts, next_attempt_at)
        SELECT CAST(:resident_id AS INTEGER), CAST(:notice_kind AS VARCHAR),
               CAST('{}' AS JSON), booked.id, :now,
               CAST(:delivery_status AS VARCHAR), 0, CAST(:next_attempt_at AS TIMESTAMPTZ)
        FROM booked
    )
    SELECT (SELECT count(*) FROM taken) AS taken, (SELECT id FROM booked) AS booking_id
    """
).bindparams(
    sa.bindparam("now", type_=UtcDateTime()),
    sa.bindparam("next_attempt_at", type_=UtcDateTime()),
    sa.bindparam("details", type_=PG_JSON()),
)


def write_booking(session: Session, new: NewBooking) -> Written:
    """Take the places and write the booking with its audit event and notice."""
    if session.get_bind().dialect.name == "postgresql":
        return _write_in_one_statement(session, new)
    return _write_in_statements(session, new)


def _write_in_one_statement(session: Session, new: NewBooking) -> Written:
    audit, notice = new.audit_values(), new.notice_values()
    row = session.execute(
        _PG_BOOK,
        {
            **new.booking_values(),
            "now": new.now,
            "action": audit["action"],
            "school_id": audit["school_id"],
            "details": audit["details"],
            "notice_kind": notice["kind"],
            "delivery_status": notice["delivery_status"],
            "next_attempt_at": notice["next_attempt_at"],
        },
    ).one()
    written = Written(taken=bool(row.taken), booking_id=row.booking_id)
    if written.taken and written.booking_id is None:
        give_back(session, new.slot.id, new.places)
    return written


def _write_in_statements(session: Session, new: NewBooking) -> Written:
    taken = session.execute(
        sa.update(Slot)
        .where(
            Slot.id == new.slot.id,
            Slot.held + new.places <= Slot.capacity,
            Slot.cancelled_at.is_(None),
            Slot.opens_at <= new.now,
            Slot.starts_at > new.now,
        )
        .values(held=Slot.held + new.places)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return Written(taken=False, booking_id=None)
    booking_id = session.execute(
        sqlite_insert(Booking.__table__)
        .values(new.booking_values())
        .on_conflict_do_nothing()
        .returning(Booking.__table__.c.id)
    ).scalar()
    if booking_id is None:
        give_back(session, new.slot.id, new.places)
        return Written(taken=True, booking_id=None)
    session.execute(
        sa.insert(AuditEvent.__table__).values(target_id=booking_id, **new.audit_values())
    )
    session.execute(
        sa.insert(Notice.__table__).values(booking_id=booking_id, **new.notice_values())
    )
    return Written(taken=True, booking_id=booking_id)


def give_back(session: Session, slot_id: int, places: int) -> None:
    session.execute(
        sa.update(Slot)
        .where(Slot.id == slot_id)
        .values(held=Slot.held - places)
        .execution_options(synchronize_session=False)
    )


UNSET_ON_A_NEW_BOOKING = (
    "decided_at",
    "decided_by_id",
    "reason",
    "checked_in_at",
    "checked_in_by_id",
    "no_show_waived_at",
    "reminded_at",
)


def as_persistent(session: Session, new: NewBooking, booking_id: int) -> Booking:
    """The written booking as an ORM object of the session, without reading it
    back: every column set, as a query would have loaded it."""
    values = new.booking_values()
    values["status"] = new.status
    values.update(dict.fromkeys(UNSET_ON_A_NEW_BOOKING))
    booking = Booking(id=booking_id, **values)
    make_transient_to_detached(booking)
    session.add(booking)
    set_committed_value(booking, "slot", new.slot)
    return booking
