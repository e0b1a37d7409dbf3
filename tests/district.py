"""A small hand-made district for the tracker and the usage reports, with
figures counted by hand in the tests.

The week of Monday 2026-11-23 (no holidays: Monday to Friday are school days).
Every facility opens 18:00-20:00 on school days (2 h) and 09:00-13:00 plus
13:00-17:00 at the weekend (8 h), except:

- ALPHA (public) meets the minimum everywhere; its library also offered a slot
  on 2026-09-01, the day it first opened.
- BETA (public): its library offers nothing on Wednesday; its reading room's
  Thursday slot was cancelled by a closure. Its sports venue is fine.
- GAMMA (private): its parking lot is not active (not open yet).

Bookings, all on ALPHA's library (capacity 20) and hall unless said:
- Monday: checked in (2 places), checked in (1), no-show (1), cancelled by the
  resident, cancelled by staff.
- Tuesday: checked in (1 place) through the waitlist (an accepted entry).
- BETA's reading room, Thursday: cancelled by the closure.
- ALPHA's hall: three requests confirmed by staff 1 h, 3 h and 5 h after they
  were made (median 3 h), one of them checked in since; one rejected.
- 2026-09-01: a checked-in booking outside the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from booking.models import (
    AuditEvent,
    Booking,
    BookingStatus,
    Facility,
    FacilityKind,
    Role,
    School,
    Slot,
    User,
    WaitlistEntry,
    WaitlistStatus,
)
from booking.services import accounts
from booking.services.clock import local_instant, zone
from tests.conftest import NOW, PASSWORD

TZ = zone("Asia/Shanghai")
WEEK = date(2026, 11, 23)
WEDNESDAY = date(2026, 11, 25)
THURSDAY = date(2026, 11, 26)
FIRST_OPENED = date(2026, 9, 1)
ADMIN_PHONE = "13800000009"
ALPHA_STAFF = "13900000011"
BETA_STAFF = "13900000012"
RESIDENT_PHONE = "13700000011"
EVIL_NAME = '=HYPERLINK("http://evil.example","x")'

PLAN = (
    FacilityKind.LECTURE_HALL,
    FacilityKind.LIBRARY,
    FacilityKind.READING_ROOM,
    FacilityKind.PARKING,
)


@dataclass(frozen=True)
class District:
    alpha_id: int
    beta_id: int
    gamma_id: int
    alpha_library_id: int
    alpha_hall_id: int


def at(day: date, wall: str) -> datetime:
    return local_instant(day, time.fromisoformat(wall), TZ)


def build_district(session: Session) -> District:
    def user(role: Role, phone: str, school: School | None, name: str) -> User:
        return accounts.create_staff_account(
            session,
            role=role,
            phone=phone,
            real_name=name,
            password=PASSWORD,
            school=school,
            now=NOW,
        )

    schools = {}
    facilities: dict[tuple[str, FacilityKind], Facility] = {}
    for code, is_public, sports in (
        ("ALPHA", True, False),
        ("BETA", True, True),
        ("GAMMA", False, True),
    ):
        school = School(code=code, name=f"{code} 学校", is_public=is_public, address="")
        session.add(school)
        session.flush()
        schools[code] = school
        kinds = [*PLAN, FacilityKind.SPORTS_VENUE] if sports else list(PLAN)
        for kind in kinds:
            name = EVIL_NAME if (code, kind) == ("ALPHA", FacilityKind.READING_ROOM) else kind.value
            facility = Facility(
                school_id=school.id,
                kind=kind,
                name=name,
                capacity=20,
                is_exclusive=kind == FacilityKind.LECTURE_HALL,
                requires_approval=kind == FacilityKind.LECTURE_HALL,
                is_active=(code, kind) != ("GAMMA", FacilityKind.PARKING),
            )
            session.add(facility)
            session.flush()
            facilities[(code, kind)] = facility

    slots: dict[tuple[str, FacilityKind, date, str], Slot] = {}

    def slot(code: str, kind: FacilityKind, day: date, start: str, end: str) -> Slot:
        row = Slot(
            facility_id=facilities[(code, kind)].id,
            starts_at=at(day, start),
            ends_at=at(day, end),
            opens_at=at(day, start) - timedelta(days=7),
            capacity=20,
        )
        session.add(row)
        slots[(code, kind, day, start)] = row
        return row

    for (code, kind), facility in facilities.items():
        if not facility.is_active:
            continue
        for offset in range(7):
            day = WEEK + timedelta(days=offset)
            if (code, kind, day) == ("BETA", FacilityKind.LIBRARY, WEDNESDAY):
                continue
            if offset < 5:
                slot(code, kind, day, "18:00", "20:00")
            else:
                slot(code, kind, day, "09:00", "13:00")
                slot(code, kind, day, "13:00", "17:00")
    slot("ALPHA", FacilityKind.LIBRARY, FIRST_OPENED, "18:00", "20:00")
    session.flush()
    closed = slots[("BETA", FacilityKind.READING_ROOM, THURSDAY, "18:00")]
    closed.cancelled_at = NOW
    closed.cancel_reason = "维修"

    user(Role.ADMIN, ADMIN_PHONE, None, "教育局")
    alpha_staff = user(Role.STAFF, ALPHA_STAFF, schools["ALPHA"], "甲校管理员")
    beta_staff = user(Role.STAFF, BETA_STAFF, schools["BETA"], "乙校管理员")
    residents = [user(Role.RESIDENT, RESIDENT_PHONE, None, "居民甲")] + [
        user(Role.RESIDENT, f"1370000002{n}", None, f"居民{n}") for n in range(6)
    ]
    session.flush()

    codes = iter(f"T{n:05d}" for n in range(1, 100))

    def booking(row: Slot, who: User, status: BookingStatus, **extra: Any) -> Booking:
        made = extra.pop("created_at", row.starts_at - timedelta(days=2))
        item = Booking(
            code=next(codes),
            slot_id=row.id,
            resident_id=who.id,
            places=extra.pop("places", 1),
            status=status,
            created_at=made,
            updated_at=made,
            **extra,
        )
        session.add(item)
        session.flush()
        return item

    library = FacilityKind.LIBRARY
    monday = slots[("ALPHA", library, WEEK, "18:00")]
    tuesday = slots[("ALPHA", library, WEEK + timedelta(days=1), "18:00")]
    booking(monday, residents[0], BookingStatus.CHECKED_IN, places=2)
    booking(monday, residents[1], BookingStatus.CHECKED_IN)
    booking(monday, residents[2], BookingStatus.NO_SHOW)
    booking(monday, residents[3], BookingStatus.CANCELLED, decided_by_id=residents[3].id)
    booking(monday, residents[4], BookingStatus.CANCELLED, decided_by_id=alpha_staff.id)
    served = booking(tuesday, residents[5], BookingStatus.CHECKED_IN)
    session.add(
        WaitlistEntry(
            slot_id=tuesday.id,
            resident_id=residents[5].id,
            places=1,
            status=WaitlistStatus.ACCEPTED,
            booking_id=served.id,
        )
    )
    booking(closed, residents[0], BookingStatus.CANCELLED, decided_by_id=beta_staff.id)
    booking(
        slots[("ALPHA", library, FIRST_OPENED, "18:00")], residents[0], BookingStatus.CHECKED_IN
    )

    hall = FacilityKind.LECTURE_HALL
    for offset, delay, status in (
        (0, 1, BookingStatus.CHECKED_IN),
        (1, 3, BookingStatus.CONFIRMED),
        (2, 5, BookingStatus.CONFIRMED),
    ):
        row = slots[("ALPHA", hall, WEEK + timedelta(days=offset), "18:00")]
        request = booking(row, residents[offset], status, places=20, attendance=50)
        session.add(
            AuditEvent(
                at=request.created_at + timedelta(hours=delay),
                actor_id=alpha_staff.id,
                action="booking.confirmed",
                target_type="booking",
                target_id=request.id,
                school_id=schools["ALPHA"].id,
            )
        )
    booking(
        slots[("ALPHA", hall, WEEK + timedelta(days=3), "18:00")],
        residents[4],
        BookingStatus.REJECTED,
        places=20,
        decided_by_id=alpha_staff.id,
    )
    session.flush()
    return District(
        alpha_id=schools["ALPHA"].id,
        beta_id=schools["BETA"].id,
        gamma_id=schools["GAMMA"].id,
        alpha_library_id=facilities[("ALPHA", library)].id,
        alpha_hall_id=facilities[("ALPHA", hall)].id,
    )
