"""The demo district's past month: slots from the opening rules and bookings
with every outcome (checked in, no-shows, cancelled by residents, by staff
and by a closure, requests approved after a delay or rejected, places served
from the waitlist), so that last month's usage report has figures.

Written once: when the demo schools already have slots before today, nothing
is added. Draws come from a seeded generator, so every load looks alike.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from booking.models import (
    AuditEvent,
    Booking,
    BookingStatus,
    Closure,
    ClosureReason,
    Facility,
    FacilityKind,
    Role,
    School,
    Slot,
    SlotCancelCause,
    User,
    WaitlistEntry,
    WaitlistStatus,
)
from booking.services import clock, passwords
from booking.services.calendar import load_calendar
from booking.services.opening import expand
from booking.services.slots import insert_slots

DAYS = 35  # at least; and always the whole of last month
EXTRA_RESIDENTS = 30
HISTORY_PASSWORD = "resident-demo-2026"  # noqa: S105 (the documented demo password)
CLOSURE_SCHOOL = "NC-YG03"  # a typhoon closed it one Saturday
S = BookingStatus
K = FacilityKind
# The most bookings a slot draws, on school days and on other days.
DEMAND = {
    K.LIBRARY: (6, 14),
    K.READING_ROOM: (4, 10),
    K.SPORTS_VENUE: (4, 8),
    K.PARKING: (3, 12),
}


def load_history(session: Session, *, codes: list[str], now: datetime, today: date) -> int:
    """Add the past `DAYS` days (and today until `now`) of the schools `codes`;
    returns the bookings added."""
    tz = clock.zone("Asia/Shanghai")
    first = min(
        today - timedelta(days=DAYS), (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    )
    start = clock.local_instant(first, time(0), tz)
    end = clock.local_instant(today, time(0), tz)
    schools = session.scalars(
        sa.select(School)
        .where(School.code.in_(codes))
        .options(selectinload(School.facilities).selectinload(Facility.rules))
    ).all()
    facility_ids = [f.id for school in schools for f in school.facilities]
    if not facility_ids or session.scalar(
        sa.select(sa.exists().where(Slot.facility_id.in_(facility_ids), Slot.starts_at < end))
    ):
        return 0
    rng = random.Random(2026)  # noqa: S311 (demo data, seeded on purpose)
    calendar = load_calendar(session, first, today)
    rows: list[dict[str, Any]] = []
    for school in schools:
        for facility in school.facilities:
            if not facility.is_active:
                continue
            expansion = expand(
                facility.rules,
                first=first,
                last=today,
                tz=tz,
                calendar=calendar,
                closures=[],
                facility_capacity=facility.capacity,
            )
            rows += [
                {
                    "facility_id": facility.id,
                    "rule_id": c.rule_id,
                    "starts_at": c.starts_at,
                    "ends_at": c.ends_at,
                    "opens_at": c.starts_at - timedelta(days=7),
                    "capacity": c.capacity,
                    "held": 0,
                    "created_at": c.starts_at - timedelta(days=8),
                }
                for c in expansion.candidates
                if c.starts_at < now  # the rest of today is the slot job's
            ]
    insert_slots(session, rows)
    residents = _residents(session, now)
    staff = {
        user.school_id: user
        for user in session.scalars(sa.select(User).where(User.role == Role.STAFF))
    }
    by_id = {f.id: f for school in schools for f in school.facilities}
    slots = session.execute(
        sa.select(Slot.id, Slot.facility_id, Slot.starts_at, Slot.capacity)
        .where(Slot.facility_id.in_(facility_ids), Slot.starts_at >= start, Slot.starts_at < now)
        .order_by(Slot.starts_at, Slot.id)
    ).all()
    closure_school = next((s for s in schools if s.code == CLOSURE_SCHOOL), None)
    closure_day = _last_saturday(today.replace(day=1) - timedelta(days=1))  # in last month
    return _bookings(
        session, rng, slots, by_id, residents, staff, closure_school, closure_day, tz, calendar
    )


def _last_saturday(day: date) -> date:
    return day - timedelta(days=(day.weekday() - 5) % 7)


def _residents(session: Session, now: datetime) -> list[User]:
    """Residents of the past only, so that busy slots have different visitors;
    the documented demo logins keep an empty week and their whole quota."""
    phones = [f"1370000{n + 100:04d}" for n in range(EXTRA_RESIDENTS)]
    existing = {
        user.phone: user
        for user in session.scalars(
            sa.select(User).where(User.role == Role.RESIDENT, User.phone.in_(phones))
        )
    }
    hashed = passwords.hash_password(HISTORY_PASSWORD)
    for n, phone in enumerate(phones):
        if phone not in existing:
            user = User(
                role=Role.RESIDENT,
                real_name=f"演示居民{n + 1:02d}",
                phone=phone,
                password_hash=hashed,
                is_verified=True,
                created_at=now - timedelta(days=90),
            )
            session.add(user)
            existing[phone] = user
    session.flush()
    return sorted(existing.values(), key=lambda user: user.phone)


def _bookings(
    session: Session,
    rng: random.Random,
    slots: list[Any],
    facilities: dict[int, Facility],
    residents: list[User],
    staff: dict[int | None, User],
    closure_school: School | None,
    closure_day: date,
    tz: Any,
    calendar: Any,
) -> int:
    rows: list[dict[str, Any]] = []
    approvals: list[tuple[int, datetime, int, int]] = []  # row index, at, staff, school
    served: list[int] = []  # row indexes of bookings made from the waitlist
    closed_slots: list[int] = []
    for slot_id, facility_id, starts_at, capacity in slots:
        facility = facilities[facility_id]
        school_id = facility.school_id
        day = clock.local_date(starts_at, tz)
        school_day = calendar.is_school_day(day)
        closed = closure_school is not None and school_id == closure_school.id
        closed = closed and day == closure_day
        if closed:
            closed_slots.append(slot_id)
        keeper = staff[school_id]

        def add(
            resident: User,
            status: S,
            places: int,
            slot_id: int = slot_id,
            starts_at: datetime = starts_at,
            **extra: Any,
        ) -> int:
            made = extra.pop("created_at", None) or starts_at - timedelta(hours=rng.randint(3, 120))
            row = {
                "code": f"H{len(rows) + 1:07d}",
                "slot_id": slot_id,
                "resident_id": resident.id,
                "places": places,
                "status": status,
                "created_at": made,
                "updated_at": made,
                "decided_at": None,
                "decided_by_id": None,
                "reason": None,
                "checked_in_at": None,
                "checked_in_by_id": None,
                "purpose": None,
                "attendance": None,
                "plate": None,
                "version": 2,
            }
            row.update(extra)
            rows.append(row)
            return len(rows) - 1

        if facility.kind == K.LECTURE_HALL:
            if rng.random() > (0.25 if school_day else 0.45):
                continue
            resident = rng.choice(residents)
            made = starts_at - timedelta(days=rng.randint(3, 10))
            delay = timedelta(hours=rng.randint(1, 40))
            if closed:
                add(
                    resident,
                    S.CANCELLED,
                    capacity,
                    created_at=made,
                    decided_at=made + delay,
                    decided_by_id=keeper.id,
                    reason="台风停课",
                    purpose="社区讲座",
                    attendance=rng.randint(30, 250),
                )
            elif rng.random() < 0.15:
                add(
                    resident,
                    S.REJECTED,
                    capacity,
                    created_at=made,
                    decided_at=made + delay,
                    decided_by_id=keeper.id,
                    reason="与学校活动时间冲突",
                    purpose="社区讲座",
                    attendance=rng.randint(30, 250),
                )
            else:
                attended = rng.random() < 0.9
                index = add(
                    resident,
                    S.CHECKED_IN if attended else S.NO_SHOW,
                    capacity,
                    created_at=made,
                    decided_at=starts_at + timedelta(minutes=10 if attended else 60),
                    checked_in_at=starts_at + timedelta(minutes=10) if attended else None,
                    checked_in_by_id=keeper.id if attended else None,
                    purpose=rng.choice(["社区讲座", "居民议事会", "少儿合唱排练"]),
                    organiser="社区居委会",
                    attendance=rng.randint(30, 250),
                )
                approvals.append((index, made + delay, keeper.id, school_id))
            continue
        low, high = DEMAND[facility.kind]
        wanted = rng.randint(0, low if school_day else high)
        left = capacity
        for resident in rng.sample(residents, min(wanted, len(residents))):
            places = 1 if facility.kind == K.PARKING else rng.choice([1, 1, 1, 2])
            if places > left:
                break
            left -= places
            plate = f"粤S{rng.randint(10000, 99999)}" if facility.kind == K.PARKING else None
            if closed:
                add(
                    resident,
                    S.CANCELLED,
                    places,
                    decided_by_id=keeper.id,
                    reason="台风停课",
                    decided_at=starts_at - timedelta(hours=20),
                    plate=plate,
                )
                continue
            draw = rng.random()
            if draw < 0.78:
                index = add(
                    resident,
                    S.CHECKED_IN,
                    places,
                    plate=plate,
                    decided_at=starts_at + timedelta(minutes=5),
                    checked_in_at=starts_at + timedelta(minutes=5),
                    checked_in_by_id=keeper.id,
                )
                if not school_day and rng.random() < 0.06:
                    served.append(index)
            elif draw < 0.87:
                add(
                    resident,
                    S.NO_SHOW,
                    places,
                    plate=plate,
                    decided_at=starts_at + timedelta(minutes=40),
                )
            elif draw < 0.96:
                add(
                    resident,
                    S.CANCELLED,
                    places,
                    plate=plate,
                    decided_by_id=resident.id,
                    decided_at=starts_at - timedelta(hours=rng.randint(3, 30)),
                )
            else:
                add(
                    resident,
                    S.CANCELLED,
                    places,
                    plate=plate,
                    decided_by_id=keeper.id,
                    reason="场地临时检修",
                    decided_at=starts_at - timedelta(hours=6),
                )
    if not rows:
        return 0
    ids = list(
        session.scalars(
            sa.insert(Booking).returning(Booking.id, sort_by_parameter_order=True), rows
        )
    )
    for index, at, actor_id, school_id in approvals:
        session.add(
            AuditEvent(
                at=at,
                actor_id=actor_id,
                action="booking.confirmed",
                target_type="booking",
                target_id=ids[index],
                school_id=school_id,
                details={"from": "pending", "to": "confirmed", "code": rows[index]["code"]},
            )
        )
    for index in served:
        row = rows[index]
        session.add(
            WaitlistEntry(
                slot_id=row["slot_id"],
                resident_id=row["resident_id"],
                places=row["places"],
                status=WaitlistStatus.ACCEPTED,
                created_at=row["created_at"] - timedelta(hours=5),
                offered_at=row["created_at"] - timedelta(minutes=10),
                closed_at=row["created_at"],
                booking_id=ids[index],
            )
        )
    if closure_school is not None and closed_slots:
        keeper = staff[closure_school.id]
        session.execute(
            sa.update(Slot)
            .where(Slot.id.in_(closed_slots))
            .values(
                cancelled_at=clock.local_instant(closure_day, time(0), tz) - timedelta(hours=20),
                cancel_reason="台风停课",
                cancel_cause=SlotCancelCause.CLOSURE,
            )
        )
        session.add(
            Closure(
                school_id=closure_school.id,
                starts_at=clock.local_instant(closure_day, time(0), tz),
                ends_at=clock.local_instant(closure_day + timedelta(days=1), time(0), tz),
                reason=ClosureReason.WEATHER,
                note="台风停课",
                note_en="Classes suspended for a typhoon",
                created_by_id=keeper.id,
                created_at=clock.local_instant(closure_day, time(0), tz) - timedelta(hours=20),
            )
        )
    session.flush()
    return len(rows)
