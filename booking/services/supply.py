"""Changing what a facility offers: opening rules and closures, and bringing
the stored slots in line afterwards.

Regeneration touches only what it must: new slots are added, slots no longer
offered that hold nothing are removed, and a slot that holds bookings is
cancelled together with its bookings, each with the reason and a notice.
`reconcile(..., dry_run=True)` lists all of it first, for staff to confirm.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, selectinload

from booking import labels
from booking.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingPolicy,
    BookingStatus,
    Closure,
    ClosureReason,
    DayType,
    Facility,
    OpeningRule,
    School,
    Slot,
    SlotCancelCause,
    User,
    WaitlistEntry,
)
from booking.services import audit, clock, notices, usage_days, waitlist
from booking.services.bookings import transition
from booking.services.calendar import load_calendar
from booking.services.errors import Conflict, ValidationFailed
from booking.services.opening import SlotCandidate, expand, is_within, merge_windows, overlaps
from booking.services.policy import Policy, policies_for, policy_for
from booking.services.slots import insert_slots, release_at

DEFAULT_LOCALE = "zh_Hans"


class RuleRefused(ValidationFailed):
    code = "invalid_rule"


class ClosureRefused(ValidationFailed):
    code = "invalid_closure"


@dataclass(frozen=True)
class RuleInput:
    valid_from: date
    valid_until: date
    weekdays: int
    day_type: DayType
    start_time: time
    end_time: time
    slot_minutes: int
    capacity: int | None = None
    label: str = ""


def minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def rules_overlap(a: RuleInput | OpeningRule, b: RuleInput | OpeningRule) -> bool:
    """Could the two rules open the facility at the same moment of the same day?"""
    if a.valid_from > b.valid_until or b.valid_from > a.valid_until:
        return False
    if not a.weekdays & b.weekdays:
        return False
    if DayType.ALL_DAYS not in (a.day_type, b.day_type) and a.day_type != b.day_type:
        return False
    return a.start_time < b.end_time and b.start_time < a.end_time


def check_rule(data: RuleInput, others: Sequence[OpeningRule]) -> int:
    """Refuse a rule that cannot work; return the minutes left over at the
    end of its window (not an error: that last partial piece is not offered)."""
    if data.end_time <= data.start_time:
        raise RuleRefused(_l("The closing time must be after the opening time."), field="end_time")
    if data.valid_until < data.valid_from:
        raise RuleRefused(_l("The last day cannot be before the first day."), field="valid_until")
    if not 1 <= data.weekdays <= 127:
        raise RuleRefused(_l("Choose at least one weekday."), field="weekdays")
    window = minutes(data.end_time) - minutes(data.start_time)
    if not 5 <= data.slot_minutes <= window:
        raise RuleRefused(
            _l("A slot lasts at least 5 minutes and fits in the opening window."),
            field="slot_minutes",
        )
    if data.capacity is not None and data.capacity < 1:
        raise RuleRefused(_l("The capacity must be at least 1."), field="capacity")
    for other in others:
        if rules_overlap(data, other):
            raise RuleRefused(
                _l(
                    "This overlaps the rule %(start)s–%(end)s on the same days.",
                    start=other.start_time.strftime("%H:%M"),
                    end=other.end_time.strftime("%H:%M"),
                ),
                field="start_time",
            )
    return window % data.slot_minutes


def add_rule(
    session: Session, facility: Facility, data: RuleInput, *, actor: User | None, now: datetime
) -> OpeningRule:
    """Add an opening rule. Raises RuleRefused. Call reconcile() to publish it."""
    check_rule(data, facility.rules)
    rule = OpeningRule(facility=facility, created_at=now, **data.__dict__)
    session.add(rule)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="rule.add",
        target_type="opening_rule",
        target_id=rule.id,
        school_id=facility.school_id,
        now=now,
        details=rule_details(rule),
    )
    return rule


def update_rule(
    session: Session, rule: OpeningRule, data: RuleInput, *, actor: User | None, now: datetime
) -> None:
    """Change a rule. Raises RuleRefused. Call reconcile() to apply it to slots."""
    check_rule(data, [other for other in rule.facility.rules if other.id != rule.id])
    before = rule_details(rule)
    for name, value in data.__dict__.items():
        setattr(rule, name, value)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="rule.change",
        target_type="opening_rule",
        target_id=rule.id,
        school_id=rule.facility.school_id,
        now=now,
        details={"before": before, "after": rule_details(rule)},
    )


def remove_rule(session: Session, rule: OpeningRule, *, actor: User | None, now: datetime) -> None:
    audit.record(
        session,
        actor=actor,
        action="rule.remove",
        target_type="opening_rule",
        target_id=rule.id,
        school_id=rule.facility.school_id,
        now=now,
        details=rule_details(rule),
    )
    session.delete(rule)
    session.flush()


def rule_details(rule: OpeningRule) -> dict[str, object]:
    return {
        "valid_from": rule.valid_from.isoformat(),
        "valid_until": rule.valid_until.isoformat(),
        "weekdays": rule.weekdays,
        "day_type": str(rule.day_type),
        "start": rule.start_time.strftime("%H:%M"),
        "end": rule.end_time.strftime("%H:%M"),
        "slot_minutes": rule.slot_minutes,
        "capacity": rule.capacity,
    }


class ClosureEnded(Conflict):
    code = "closure_ended"
    default_message = _l("This closure has already ended: it can no longer be changed or lifted.")


def check_closure_window(
    starts_at: datetime, ends_at: datetime, *, now: datetime, field: str = "ends_at"
) -> None:
    """The interval a closure may cover: forwards, not entirely past, and near
    enough to now to be meant. Raises ClosureRefused."""
    if ends_at <= starts_at:
        raise ClosureRefused(_l("A closure must end after it starts."), field=field)
    if ends_at <= now:
        raise ClosureRefused(_l("A closure cannot lie entirely in the past."), field=field)
    if not (
        clock.is_near(starts_at.date(), now.date()) and clock.is_near(ends_at.date(), now.date())
    ):
        raise ClosureRefused(
            _l(
                "A closure starts and ends at most %(years)d years from now.",
                years=clock.NEAR_YEARS,
            ),
            field=field,
        )


def check_closure_open(closure: Closure, now: datetime) -> None:
    """A closure can be changed or lifted until it ends. Raises ClosureEnded."""
    if closure.ends_at <= now:
        raise ClosureEnded()


def closure_facility_ids(session: Session, school_id: int, facility_id: int | None) -> list[int]:
    """The facilities whose slots a closure touches: one, or the school's active ones."""
    if facility_id is not None:
        return [facility_id]
    return list(
        session.scalars(
            sa.select(Facility.id)
            .where(Facility.school_id == school_id, Facility.is_active)
            .order_by(Facility.id)
        )
    )


def closure_reason(reason: ClosureReason, note: str, note_en: str | None) -> Callable[[], str]:
    """Why a closure cancels bookings, stored as its kind and the note in each
    language staff wrote it in, and worded in the reader's language when read."""

    return lambda: labels.closure_reason(reason, note, note_en)


def _closure_details(closure: Closure) -> dict[str, object]:
    return {
        "facility_id": closure.facility_id,
        "from": closure.starts_at.isoformat(),
        "to": closure.ends_at.isoformat(),
        "reason": str(closure.reason),
        "note": closure.note,
        "note_en": closure.note_en,
    }


def add_closure(
    session: Session,
    school: School,
    facility: Facility | None,
    *,
    starts_at: datetime,
    ends_at: datetime,
    reason: ClosureReason,
    note: str,
    note_en: str | None = None,
    actor: User | None,
    now: datetime,
) -> Closure:
    """Close a school or one of its facilities. Raises ClosureRefused.
    Call reconcile() to cancel what it covers."""
    check_closure_window(starts_at, ends_at, now=now)
    if facility is not None and facility.school_id != school.id:
        raise ClosureRefused(_l("This facility belongs to another school."), field="facility")
    closure = Closure(
        school_id=school.id,
        facility_id=facility.id if facility else None,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason,
        note=note,
        note_en=note_en or None,
        created_by_id=actor.id if actor else None,
        created_at=now,
    )
    session.add(closure)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="closure.add",
        target_type="closure",
        target_id=closure.id,
        school_id=school.id,
        now=now,
        reason=note or note_en or str(reason),
        details=_closure_details(closure),
    )
    return closure


def change_closure(
    session: Session,
    closure: Closure,
    facility: Facility | None,
    *,
    starts_at: datetime,
    ends_at: datetime,
    reason: ClosureReason,
    note: str,
    note_en: str | None,
    actor: User | None,
    now: datetime,
) -> list[int]:
    """Change what a closure covers, why, or its notes. A closure that has
    ended cannot be changed; one that has begun keeps its start (its past is
    what happened). Returns the facilities whose slots to reconcile(): what it
    covered and what it covers now, so a wider closure cancels what it newly
    covers and a narrower one reopens what it leaves.
    Raises ClosureEnded, ClosureRefused."""
    check_closure_open(closure, now)
    if closure.starts_at <= now and starts_at != closure.starts_at:
        raise ClosureRefused(
            _l(
                "This closure has already begun, so its start stays as it was: "
                "change its end, or lift it."
            ),
            field="first_day",
        )
    check_closure_window(starts_at, ends_at, now=now)
    if facility is not None and facility.school_id != closure.school_id:
        raise ClosureRefused(_l("This facility belongs to another school."), field="facility")
    touched = closure_facility_ids(session, closure.school_id, closure.facility_id)
    before = _closure_details(closure)
    closure.facility_id = facility.id if facility else None
    closure.starts_at, closure.ends_at = starts_at, ends_at
    closure.reason, closure.note, closure.note_en = reason, note, note_en or None
    session.flush()
    after = _closure_details(closure)
    if after != before:
        audit.record(
            session,
            actor=actor,
            action="closure.change",
            target_type="closure",
            target_id=closure.id,
            school_id=closure.school_id,
            now=now,
            reason=note or note_en or str(reason),
            details={"before": before, "after": after},
        )
    now_touched = closure_facility_ids(session, closure.school_id, closure.facility_id)
    return sorted(set(touched) | set(now_touched))


def lift_closure(
    session: Session, closure: Closure, *, actor: User | None, now: datetime
) -> list[int]:
    """Lift a closure now (the warning is over): one that has begun ends now,
    and stays on record for what it closed; one that has not begun is removed.
    Returns the facilities whose slots to reconcile(), which reopens what it
    closed wherever the opening rules apply. Raises ClosureEnded."""
    check_closure_open(closure, now)
    touched = closure_facility_ids(session, closure.school_id, closure.facility_id)
    begun = closure.starts_at < now
    audit.record(
        session,
        actor=actor,
        action="closure.lift",
        target_type="closure",
        target_id=closure.id,
        school_id=closure.school_id,
        now=now,
        reason=closure.note or closure.note_en or str(closure.reason),
        details={**_closure_details(closure), "lifted_at": now.isoformat(), "removed": not begun},
    )
    if begun:
        closure.ends_at = now
    else:
        session.delete(closure)
    session.flush()
    return touched


def upcoming_closures(
    session: Session, school_id: int, *, now: datetime, facility_id: int | None = None
) -> list[Closure]:
    """The school's closures not yet over, in order; with `facility_id`, those
    that close that facility (the whole school's included)."""
    query = (
        sa.select(Closure)
        .where(Closure.school_id == school_id, Closure.ends_at > now)
        .options(selectinload(Closure.facility))
        .order_by(Closure.starts_at, Closure.id)
    )
    if facility_id is not None:
        query = query.where(
            sa.or_(Closure.facility_id.is_(None), Closure.facility_id == facility_id)
        )
    return list(session.scalars(query))


@dataclass
class AffectedSlot:
    slot: Slot
    bookings: list[Booking]


@dataclass
class ReconcileReport:
    created: int = 0
    removed: int = 0  # slots no longer offered that held nothing
    cancelled: list[AffectedSlot] = field(default_factory=list)  # slots that held bookings
    reopened: int = 0  # cancelled slots offered again; their cancelled bookings stay cancelled
    kept_booked: int = 0  # booked slots off the new grid kept as they are: the hours cover them
    opened_on: list[date] = field(default_factory=list)  # the local day of each added or reopened

    @property
    def bookings_cancelled(self) -> int:
        return sum(len(item.bookings) for item in self.cancelled)

    @property
    def opened(self) -> int:
        """Slots residents can book again or for the first time: created and reopened."""
        return self.created + self.reopened

    @property
    def opened_days(self) -> list[date]:
        return sorted(set(self.opened_on))


# A slot with bookings in these states is booked: a change of the opening hours
# keeps it as it is while the hours still cover its time.
BOOKED_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN)
# Slots cancelled for these causes come back once the rules offer them again and
# no closure covers them; a slot withdrawn with its school's programme never does.
REOPENABLE = (SlotCancelCause.CLOSURE, SlotCancelCause.HOURS)


def reconcile(
    session: Session,
    facility_ids: Sequence[int],
    *,
    now: datetime,
    reason: Callable[[], str],
    actor: User | None,
    dry_run: bool,
) -> ReconcileReport:
    """Bring the future slots of the facilities in line with their rules and
    closures. `reason` renders, in the current language, why bookings are
    cancelled. With dry_run, nothing is changed: the report says what would be.

    A booked slot the rules no longer produce exactly is kept as it is while
    the opening hours still cover its time (and no closure does); the new
    grid's slots fit around it. Slots a closure or the hours took away reopen
    where the rules offer them again (never at a suspended school): held
    places start from the active bookings, so cancelled bookings stay cancelled."""
    report = ReconcileReport()
    facilities = session.scalars(
        sa.select(Facility)
        .where(Facility.id.in_(facility_ids))
        .options(selectinload(Facility.rules), selectinload(Facility.school))
    ).all()
    policies = policies_for(session, facility_ids)
    for facility in facilities:
        _reconcile_facility(
            session, facility, policies[facility.id], now, reason, actor, dry_run, report
        )
    return report


def _reconcile_facility(
    session: Session,
    facility: Facility,
    policy: Policy,
    now: datetime,
    reason: Callable[[], str],
    actor: User | None,
    dry_run: bool,
    report: ReconcileReport,
) -> None:
    tz = clock.zone(facility.school.timezone)
    today = clock.local_date(now, tz)
    stored = session.scalars(
        sa.select(Slot)
        .where(Slot.facility_id == facility.id, Slot.starts_at > now)
        .order_by(Slot.starts_at)
    ).all()
    live = [slot for slot in stored if slot.cancelled_at is None]
    dormant = [slot for slot in stored if slot.cancel_cause in REOPENABLE]
    horizon_end = today + timedelta(days=policy.advance_days + 1)
    last_day = max([horizon_end, *(clock.local_date(s.starts_at, tz) for s in live + dormant)])
    closures = _closure_windows(session, facility, now)
    expansion = expand(
        facility.rules,
        first=today,
        last=last_day,
        tz=tz,
        calendar=load_calendar(session, today, last_day),
        closures=closures,
        facility_capacity=facility.capacity,
    )
    wanted = {c.starts_at: c for c in expansion.candidates if c.starts_at > now}
    hours = merge_windows(expansion.windows)
    booked = _booked(session, live)

    def is_closed(slot: Slot) -> bool:
        return any(overlaps(slot.starts_at, slot.ends_at, start, end) for start, end in closures)

    matched: list[tuple[Slot, SlotCandidate]] = []
    fitted: list[Slot] = []  # booked, off the new grid, still within the hours: kept as it is
    dropped: list[Slot] = []
    for slot in live:
        candidate = wanted.get(slot.starts_at)
        if candidate is not None and candidate.ends_at == slot.ends_at:
            matched.append((slot, candidate))
        elif slot.id in booked and is_within(slot.starts_at, slot.ends_at, hours):
            if is_closed(slot):
                dropped.append(slot)
            else:
                fitted.append(slot)
        else:
            dropped.append(slot)

    def is_crowded(start: datetime, end: datetime) -> bool:
        """Would a slot at [start, end) overlap a kept booked slot of the earlier grid?"""
        return any(overlaps(start, end, kept.starts_at, kept.ends_at) for kept in fitted)

    for slot, candidate in matched:
        if slot.id not in booked and is_crowded(slot.starts_at, slot.ends_at):
            dropped.append(slot)
            continue
        if slot.held == 0 and slot.capacity != candidate.capacity and not dry_run:
            slot.capacity = candidate.capacity
    report.kept_booked += len(fitted)
    # Where a new slot would start at a dropped one's start, the dropped row must
    # be gone for the new one to be stored (one slot per facility and start):
    # only an unbooked one without history is deleted.
    contested = [s for s in dropped if s.starts_at in wanted and s.held == 0 and s.id not in booked]
    freed = {s.starts_at for s in contested if s.id not in _with_history(session, contested)}
    for slot in sorted(dropped, key=lambda s: s.starts_at):
        cause = SlotCancelCause.CLOSURE if is_closed(slot) else SlotCancelCause.HOURS
        _drop_slot(session, slot, reason, actor, now, dry_run, report, cause=cause)
    if not facility.school.is_active:
        return  # a suspended school publishes nothing until it reopens
    occupied = {slot.starts_at for slot in stored} - freed
    reopening = [
        (slot, candidate)
        for slot in dormant
        if (candidate := wanted.get(slot.starts_at)) is not None
        and candidate.ends_at == slot.ends_at
        and not is_crowded(slot.starts_at, slot.ends_at)
    ]
    _reopen_slots(session, reopening, policy, tz, dry_run, report)
    new_rows = [
        {
            "facility_id": facility.id,
            "rule_id": c.rule_id,
            "starts_at": c.starts_at,
            "ends_at": c.ends_at,
            "opens_at": release_at(c.day, policy, tz),
            "capacity": c.capacity,
            "held": 0,
            "created_at": now,
        }
        for start, c in wanted.items()
        if start not in occupied and c.day <= horizon_end and not is_crowded(start, c.ends_at)
    ]
    report.opened_on.extend(wanted[row["starts_at"]].day for row in new_rows)
    if dry_run:
        report.created += len(new_rows)
        return
    session.flush()  # the deleted rows go first: the insert reads the table, not the session
    report.created += sum(insert_slots(session, new_rows).values())


def _booked(session: Session, slots: Sequence[Slot]) -> set[int]:
    """The ids of `slots` that hold places or have bookings in BOOKED_STATUSES."""
    held = {slot.id for slot in slots if slot.held > 0}
    rest = [slot.id for slot in slots if slot.held == 0]
    if rest:
        held.update(
            session.scalars(
                sa.select(Booking.slot_id)
                .where(Booking.slot_id.in_(rest), Booking.status.in_(BOOKED_STATUSES))
                .distinct()
            )
        )
    return held


def _with_history(session: Session, slots: Sequence[Slot]) -> set[int]:
    """The ids of `slots` that bookings or waitlist entries point at."""
    ids = [slot.id for slot in slots]
    if not ids:
        return set()
    return set(
        session.scalars(sa.select(Booking.slot_id).where(Booking.slot_id.in_(ids)).distinct())
    ) | set(
        session.scalars(
            sa.select(WaitlistEntry.slot_id).where(WaitlistEntry.slot_id.in_(ids)).distinct()
        )
    )


def _reopen_slots(
    session: Session,
    reopening: Sequence[tuple[Slot, SlotCandidate]],
    policy: Policy,
    tz: ZoneInfo,
    dry_run: bool,
    report: ReconcileReport,
) -> None:
    """Offer cancelled slots again, as the rules now ask for them. Their
    held places are what active bookings hold (none, in practice: cancelling
    the slot cancelled them), so nobody is booked again behind their back."""
    report.reopened += len(reopening)
    report.opened_on.extend(candidate.day for _, candidate in reopening)
    if dry_run or not reopening:
        return
    held = dict(
        session.execute(
            sa.select(Booking.slot_id, sa.func.sum(Booking.places))
            .where(
                Booking.slot_id.in_([slot.id for slot, _ in reopening]),
                Booking.status.in_(ACTIVE_STATUSES),
            )
            .group_by(Booking.slot_id)
        ).all()
    )
    for slot, candidate in reopening:
        places = int(held.get(slot.id, 0))
        slot.cancelled_at = slot.cancel_reason = slot.cancel_cause = None
        slot.rule_id = candidate.rule_id
        slot.capacity = max(candidate.capacity, places)
        slot.held = places
        slot.opens_at = release_at(candidate.day, policy, tz)
    session.flush()


def _closure_windows(
    session: Session, facility: Facility, now: datetime
) -> list[tuple[datetime, datetime]]:
    rows = session.execute(
        sa.select(Closure.starts_at, Closure.ends_at).where(
            Closure.ends_at > now,
            Closure.school_id == facility.school_id,
            sa.or_(Closure.facility_id.is_(None), Closure.facility_id == facility.id),
        )
    )
    return [(start, end) for start, end in rows]


def _drop_slot(
    session: Session,
    slot: Slot,
    reason: Callable[[], str],
    actor: User | None,
    now: datetime,
    dry_run: bool,
    report: ReconcileReport,
    *,
    cause: SlotCancelCause,
) -> None:
    active = session.scalars(
        sa.select(Booking).where(Booking.slot_id == slot.id, Booking.status.in_(ACTIVE_STATUSES))
    ).all()
    if not active and slot.held == 0:
        report.removed += 1
        if dry_run:
            return
        if _has_history(session, slot):
            slot.cancelled_at, slot.cancel_reason = now, _in_default_language(reason)
            slot.cancel_cause = cause
        else:
            session.delete(slot)
        return
    report.cancelled.append(AffectedSlot(slot, list(active)))
    if dry_run:
        return
    stored_reason = _in_default_language(reason)
    slot.cancelled_at, slot.cancel_reason = now, stored_reason
    slot.cancel_cause = cause
    for booking in active:
        transition(
            session, booking, BookingStatus.CANCELLED, actor=actor, reason=stored_reason, now=now
        )
        notices.notify(
            session,
            booking.resident,
            kind="booking_cancelled",
            booking_id=booking.id,
            now=now,
            params={"reason": stored_reason},
        )
    waitlist.close_for_cancelled_slot(session, slot, stored_reason, now)
    session.flush()


def _has_history(session: Session, slot: Slot) -> bool:
    """Bookings or waitlist entries point at the slot: keep it, marked cancelled."""
    return bool(
        session.scalar(sa.select(sa.exists().where(Booking.slot_id == slot.id)))
        or session.scalar(sa.select(sa.exists().where(WaitlistEntry.slot_id == slot.id)))
    )


def _in_default_language(reason: Callable[[], str]) -> str:
    with force_locale(DEFAULT_LOCALE):
        return reason()[:200]


class FacilityNameTaken(Conflict):
    code = "facility_name_taken"
    default_message = _l("This school already has a facility of that name.")


class CapacityBelowHeld(ValidationFailed):
    code = "capacity_below_held"


def change_facility(
    session: Session, facility: Facility, changes: dict[str, object], *, actor: User, now: datetime
) -> None:
    """Edit a facility. A capacity below the places already held in a future
    slot is refused, naming those slots; otherwise future slots that follow
    the facility's capacity take the new one. Another facility's name at the
    school is refused. Raises CapacityBelowHeld, FacilityNameTaken."""
    name = changes.get("name", facility.name)
    if name != facility.name and session.scalar(
        sa.select(Facility.id).where(
            Facility.school_id == facility.school_id,
            Facility.name == name,
            Facility.id != facility.id,
        )
    ):
        raise FacilityNameTaken(field="name")
    capacity = int(changes.get("capacity", facility.capacity))  # type: ignore[call-overload]
    if capacity != facility.capacity:
        crowded = session.scalars(
            sa.select(Slot)
            .where(
                Slot.facility_id == facility.id,
                Slot.starts_at > now,
                Slot.held > capacity,
                Slot.cancelled_at.is_(None),
            )
            .order_by(Slot.starts_at)
        ).all()
        if crowded:
            tz = clock.zone(facility.school.timezone)
            listed = ", ".join(
                f"{clock.to_local(slot.starts_at, tz):%Y-%m-%d %H:%M} ({slot.held})"
                for slot in crowded[:10]
            )
            raise CapacityBelowHeld(
                _(
                    "Future slots already hold more than %(capacity)d places: %(slots)s",
                    capacity=capacity,
                    slots=listed,
                ),
                field="capacity",
            )
        session.execute(
            sa.update(Slot)
            .where(
                Slot.facility_id == facility.id,
                Slot.starts_at > now,
                Slot.capacity == facility.capacity,
            )
            .values(capacity=capacity)
            .execution_options(synchronize_session=False)
        )
    before = {name: getattr(facility, name) for name in changes}
    for name, value in changes.items():
        setattr(facility, name, value)
    session.flush()
    if before.get("is_exclusive", facility.is_exclusive) != facility.is_exclusive:
        # A hall's visitors are its expected attendance: every settled day changes.
        usage_days.rebuild_facilities(session, [facility.id])
    audit.record(
        session,
        actor=actor,
        action="facility.change",
        target_type="facility",
        target_id=facility.id,
        school_id=facility.school_id,
        now=now,
        details={
            "before": {k: str(v) for k, v in before.items()},
            "after": {k: str(v) for k, v in changes.items()},
        },
    )


def apply_release_policy(session: Session, facility: Facility, now: datetime) -> int:
    """After the facility's booking policy changed: slots not yet released
    take the new release instant (released ones stay open). Returns how many moved."""
    policy = policy_for(session, facility.id)
    tz = clock.zone(facility.school.timezone)
    moved = 0
    for slot in session.scalars(
        sa.select(Slot).where(Slot.facility_id == facility.id, Slot.opens_at > now)
    ):
        opens_at = release_at(clock.local_date(slot.starts_at, tz), policy, tz)
        if opens_at != slot.opens_at:
            slot.opens_at = opens_at
            moved += 1
    facility.slots_generated_until = None  # the horizon may have grown: the next run fills it
    session.flush()
    return moved


def withdraw_future_slots(
    session: Session,
    facility_ids: Sequence[int],
    *,
    reason: Callable[[], str],
    actor: User | None,
    now: datetime,
    dry_run: bool = False,
) -> ReconcileReport:
    """Withdraw every future slot of the facilities (a school leaves the
    programme): unbooked ones are removed, booked ones cancelled with their
    bookings, each resident told `reason`."""
    report = ReconcileReport()
    future = session.scalars(
        sa.select(Slot)
        .where(
            Slot.facility_id.in_(facility_ids), Slot.starts_at > now, Slot.cancelled_at.is_(None)
        )
        .order_by(Slot.starts_at)
    ).all()
    for slot in future:
        _drop_slot(
            session, slot, reason, actor, now, dry_run, report, cause=SlotCancelCause.WITHDRAWN
        )
    return report


@dataclass
class ReleaseMove:
    slot: Slot
    opens_at: datetime  # the new release instant


@dataclass
class DefaultsChange:
    moved: list[ReleaseMove] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.moved)


def change_district_policy(
    session: Session,
    values: dict[str, object],
    *,
    actor: User | None,
    now: datetime,
    dry_run: bool,
) -> DefaultsChange:
    """Set the district's booking defaults, which every facility inherits
    unless its own policy overrides a value. Slots not yet released whose
    release instant moves are listed; without dry_run they take the new one
    (released slots stay open). With dry_run, the caller rolls back."""
    row = session.scalar(sa.select(BookingPolicy).where(BookingPolicy.is_district_default))
    if row is None:
        row = BookingPolicy(is_district_default=True, facility_id=None)
        session.add(row)
    before = {name: getattr(row, name) for name in values}
    for name, value in values.items():
        setattr(row, name, value)
    session.flush()
    change = DefaultsChange()
    facilities = session.scalars(
        sa.select(Facility)
        .join(School, Facility.school_id == School.id)
        .where(Facility.is_active, School.is_active)
        .options(selectinload(Facility.school))
        .order_by(Facility.id)
    ).all()
    policies = policies_for(session, [f.id for f in facilities])
    for facility in facilities:
        tz = clock.zone(facility.school.timezone)
        for slot in session.scalars(
            sa.select(Slot)
            .where(Slot.facility_id == facility.id, Slot.opens_at > now)
            .order_by(Slot.starts_at)
        ):
            opens_at = release_at(clock.local_date(slot.starts_at, tz), policies[facility.id], tz)
            if opens_at != slot.opens_at:
                change.moved.append(ReleaseMove(slot, opens_at))
                if not dry_run:
                    slot.opens_at = opens_at
        if not dry_run:
            facility.slots_generated_until = None  # the horizon may have grown
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="district_policy.change",
        target_type="booking_policy",
        target_id=row.id,
        school_id=None,
        now=now,
        details={
            "before": {k: str(v) for k, v in before.items()},
            "after": {k: str(v) for k, v in values.items()},
            "slots_rescheduled": change.count,
        },
    )
    return change
