"""Booking policy: the district defaults, overridden per facility."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from booking.models import BookingPolicy


@dataclass(frozen=True)
class Policy:
    advance_days: int = 7
    release_time: time = time(8, 0)
    cancel_deadline_minutes: int = 120
    max_active_bookings: int = 5
    max_weekly_per_kind: int = 3
    verified_only: bool = False
    no_show_limit: int = 3
    no_show_window_days: int = 30
    suspension_days: int = 14
    waitlist_offer_minutes: int = 15
    no_show_grace_minutes: int = 30
    max_party: int = 20  # a party books together; larger groups book a hall


SETTING_NAMES = tuple(f.name for f in fields(Policy))


def overlay(base: Policy, row: BookingPolicy | None) -> Policy:
    """`base` with the values `row` sets (None leaves the base value)."""
    if row is None:
        return base
    changes = {name: getattr(row, name) for name in SETTING_NAMES if getattr(row, name) is not None}
    return replace(base, **changes)


def district_policy(session: Session) -> Policy:
    row = session.scalar(sa.select(BookingPolicy).where(BookingPolicy.is_district_default))
    return overlay(Policy(), row)


def policy_for(session: Session, facility_id: int) -> Policy:
    return policies_for(session, [facility_id])[facility_id]


def policies_for(session: Session, facility_ids: Iterable[int]) -> dict[int, Policy]:
    """The effective policy of each facility, in one query."""
    ids = list(facility_ids)
    rows = session.scalars(
        sa.select(BookingPolicy).where(
            sa.or_(BookingPolicy.is_district_default, BookingPolicy.facility_id.in_(ids))
        )
    ).all()
    district = overlay(Policy(), next((row for row in rows if row.is_district_default), None))
    overrides = {row.facility_id: row for row in rows if not row.is_district_default}
    return {facility_id: overlay(district, overrides.get(facility_id)) for facility_id in ids}
