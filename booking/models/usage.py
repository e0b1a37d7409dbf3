"""Daily usage: the additive figures of the usage report per facility and local
day, and the approval delays its medians are taken from (README, "Reports").

Both are sums of the raw tables (slots, bookings, waitlist entries, the audit
log), rebuilt by booking.services.usage_days for the days up to the watermark
`DistrictSettings.usage_days_through`; reports read the raw tables after it.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from booking.extensions import db

HOURS = tuple(f"places_at_{hour:02d}" for hour in range(24))


class UsageDay(db.Model):
    """One facility's figures on one local day (the school's zone); a slot
    belongs to the day it starts on. `places_at_HH`: places booked in slots
    starting in local hour HH, for the busiest-hours heat map."""

    __tablename__ = "usage_days"
    __table_args__ = (sa.Index("ix_usage_days_day", "day"),)

    facility_id: Mapped[int] = mapped_column(
        sa.ForeignKey("facilities.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    slots: Mapped[int] = mapped_column(default=0)
    seconds_offered: Mapped[int] = mapped_column(default=0)
    places_offered: Mapped[int] = mapped_column(default=0)
    bookings: Mapped[int] = mapped_column(default=0)
    places_booked: Mapped[int] = mapped_column(default=0)
    checked_in: Mapped[int] = mapped_column(default=0)
    visitors: Mapped[int] = mapped_column(default=0)
    no_shows: Mapped[int] = mapped_column(default=0)
    cancelled_by_resident: Mapped[int] = mapped_column(default=0)
    cancelled_by_staff: Mapped[int] = mapped_column(default=0)
    cancelled_by_closure: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    expired: Mapped[int] = mapped_column(default=0)
    waitlist_served: Mapped[int] = mapped_column(default=0)
    places_at_00: Mapped[int] = mapped_column(default=0)
    places_at_01: Mapped[int] = mapped_column(default=0)
    places_at_02: Mapped[int] = mapped_column(default=0)
    places_at_03: Mapped[int] = mapped_column(default=0)
    places_at_04: Mapped[int] = mapped_column(default=0)
    places_at_05: Mapped[int] = mapped_column(default=0)
    places_at_06: Mapped[int] = mapped_column(default=0)
    places_at_07: Mapped[int] = mapped_column(default=0)
    places_at_08: Mapped[int] = mapped_column(default=0)
    places_at_09: Mapped[int] = mapped_column(default=0)
    places_at_10: Mapped[int] = mapped_column(default=0)
    places_at_11: Mapped[int] = mapped_column(default=0)
    places_at_12: Mapped[int] = mapped_column(default=0)
    places_at_13: Mapped[int] = mapped_column(default=0)
    places_at_14: Mapped[int] = mapped_column(default=0)
    places_at_15: Mapped[int] = mapped_column(default=0)
    places_at_16: Mapped[int] = mapped_column(default=0)
    places_at_17: Mapped[int] = mapped_column(default=0)
    places_at_18: Mapped[int] = mapped_column(default=0)
    places_at_19: Mapped[int] = mapped_column(default=0)
    places_at_20: Mapped[int] = mapped_column(default=0)
    places_at_21: Mapped[int] = mapped_column(default=0)
    places_at_22: Mapped[int] = mapped_column(default=0)
    places_at_23: Mapped[int] = mapped_column(default=0)


class ApprovalDelay(db.Model):
    """One staff confirmation of a request (its audit event), with the seconds
    from the request to the decision: medians do not add up, so the delays
    themselves are kept, one narrow row each, and their count is the approvals."""

    __tablename__ = "approval_delays"
    __table_args__ = (sa.Index("ix_approval_delays_day_facility", "day", "facility_id"),)

    audit_event_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    facility_id: Mapped[int] = mapped_column(sa.ForeignKey("facilities.id", ondelete="CASCADE"))
    day: Mapped[date]
    seconds: Mapped[int]
