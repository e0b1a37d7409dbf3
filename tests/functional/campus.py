"""A small school with something of everything, for the odd-input tests and the
fuzzers: facilities of each kind with rules and released slots, a staff member,
residents with pending, confirmed and missed bookings, a waitlist entry, an
offer, a closure, audit events and a bearer token. Built through the test
client's own database, on the real clock (the pages read it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from booking.extensions import db
from booking.models import (
    AuditEvent,
    Booking,
    BookingStatus,
    Closure,
    ClosureReason,
    Facility,
    FacilityKind,
    OpeningRule,
    Role,
    School,
    Slot,
    WaitlistEntry,
    WaitlistStatus,
)
from booking.services import accounts
from booking.services.clock import local_date, local_instant, utcnow, zone
from booking.web.api.auth import issue_token
from tests.conftest import NOW, PASSWORD

TZ = zone("Asia/Shanghai")
STAFF_PHONE = "13900000001"
RESIDENT_PHONE = "13700000001"
OTHER_PHONE = "13700000002"


@dataclass(frozen=True)
class Campus:
    school_id: int
    hall_id: int
    room_id: int
    parking_id: int
    rule_id: int
    open_slot_id: int  # the room, tomorrow evening: places left
    full_slot_id: int  # the room, the day after: full, with a waitlist
    hall_slot_id: int
    parking_slot_id: int
    pending_code: str  # a hall request awaiting the staff's decision
    confirmed_code: str  # the resident's room booking
    no_show_code: str  # missed yesterday
    entry_id: int  # the other resident waits for the full slot
    offer_id: int  # the resident has been offered places
    token: str  # the resident's bearer token


def local_day(offset: int = 0) -> date:
    return local_date(utcnow(), TZ) + timedelta(days=offset)


def evening(offset: int) -> Any:
    return local_instant(local_day(offset), time(18, 30), TZ)


def build_campus(app: Flask) -> Campus:
    with app.app_context():
        session = db.session
        now = utcnow().replace(microsecond=0)
        school = School(
            code="ODD", name="南城中学", name_en="Nancheng School", address="南城路 1 号"
        )
        session.add(school)
        session.flush()
        hall = Facility(
            school_id=school.id,
            kind=FacilityKind.LECTURE_HALL,
            name="报告厅",
            capacity=100,
            is_exclusive=True,
            requires_approval=True,
        )
        room = Facility(
            school_id=school.id, kind=FacilityKind.READING_ROOM, name="阅览室", capacity=4
        )
        parking = Facility(
            school_id=school.id, kind=FacilityKind.PARKING, name="停车场", capacity=5
        )
        session.add_all([hall, room, parking])
        session.flush()
        rules = [
            OpeningRule(
                facility_id=facility.id,
                valid_from=date(2020, 1, 1),
                valid_until=date(2099, 12, 31),
                start_time=time(18, 30),
                end_time=time(21, 0),
                slot_minutes=150,
            )
            for facility in (hall, room, parking)
        ]
        session.add_all(rules)
        staff = accounts.create_staff_account(
            session,
            role=Role.STAFF,
            phone=STAFF_PHONE,
            real_name="王老师",
            password=PASSWORD,
            school=school,
            now=NOW,
        )
        resident = accounts.create_staff_account(
            session,
            role=Role.RESIDENT,
            phone=RESIDENT_PHONE,
            real_name="安",
            password=PASSWORD,
            school=None,
            now=NOW,
        )
        other = accounts.create_staff_account(
            session,
            role=Role.RESIDENT,
            phone=OTHER_PHONE,
            real_name="博",
            password=PASSWORD,
            school=None,
            now=NOW,
        )
        session.flush()

        def slot(facility: Facility, offset: int, held: int = 0) -> Slot:
            starts = evening(offset)
            row = Slot(
                facility_id=facility.id,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=150),
                opens_at=now - timedelta(days=10),
                capacity=facility.capacity,
                held=held,
            )
            session.add(row)
            session.flush()
            return row

        open_slot = slot(room, 1, held=1)
        full_slot = slot(room, 2, held=4)
        offered_slot = slot(room, 3, held=1)  # the offer holds its place
        hall_slot = slot(hall, 1, held=100)
        parking_slot = slot(parking, 1)
        missed_slot = slot(room, -1, held=0)

        def booking(code: str, row: Slot, who: Any, status: BookingStatus, **extra: Any) -> None:
            session.add(
                Booking(
                    code=code,
                    slot_id=row.id,
                    resident_id=who.id,
                    places=extra.pop("places", 1),
                    status=status,
                    **extra,
                )
            )

        booking(
            "HCPQ3A",
            hall_slot,
            resident,
            BookingStatus.PENDING,
            places=100,
            purpose="社区讲座",
            organiser="居委会",
            attendance=60,
        )
        booking("RMCK7A", open_slot, resident, BookingStatus.CONFIRMED)
        booking("FULL4A", full_slot, other, BookingStatus.CONFIRMED, places=4)
        booking("NSHW9A", missed_slot, resident, BookingStatus.NO_SHOW)
        entry = WaitlistEntry(slot_id=full_slot.id, resident_id=resident.id, places=1)
        offer = WaitlistEntry(
            slot_id=offered_slot.id,
            resident_id=other.id,
            places=1,
            status=WaitlistStatus.OFFERED,
            offered_at=now,
            offer_expires_at=now + timedelta(hours=2),
        )
        session.add_all([entry, offer])
        session.add(
            Closure(
                school_id=school.id,
                facility_id=parking.id,
                starts_at=evening(10),
                ends_at=evening(11),
                reason=ClosureReason.MAINTENANCE,
                note="地面维修",
                created_by_id=staff.id,
            )
        )
        session.add(
            AuditEvent(
                actor_id=staff.id,
                action="facility.add",
                target_type="facility",
                target_id=room.id,
                school_id=school.id,
            )
        )
        session.flush()
        token, _row = issue_token(session, resident, now=utcnow())
        session.commit()
        return Campus(
            school_id=school.id,
            hall_id=hall.id,
            room_id=room.id,
            parking_id=parking.id,
            rule_id=rules[1].id,
            open_slot_id=open_slot.id,
            full_slot_id=full_slot.id,
            hall_slot_id=hall_slot.id,
            parking_slot_id=parking_slot.id,
            pending_code="HCPQ3A",
            confirmed_code="RMCK7A",
            no_show_code="NSHW9A",
            entry_id=entry.id,
            offer_id=offer.id,
            token=token,
        )


# What signing in itself records; a test signs in as different users between requests.
SIGN_IN_COLUMNS = {"last_login_at", "locale", "last_used_at", "session_version"}


def snapshot(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (but the sign-in bookkeeping), to show that a
    refused request changed nothing."""
    with app.app_context():
        shown = {}
        for table in db.metadata.sorted_tables:
            columns = [column for column in table.columns if column.name not in SIGN_IN_COLUMNS]
            query = sa.select(*columns).order_by(*table.primary_key.columns)
            shown[table.name] = [tuple(row) for row in db.session.execute(query)]
        return shown
