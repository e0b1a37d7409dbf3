"""District settings: the one row of values the bureau sets for the whole district."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from booking.extensions import db
from booking.models.types import UtcDateTime

# Common policy (DESIGN, "Opening tracker"): 2 h on school days, 8 h on other days.
DEFAULT_SCHOOL_DAY_MINUTES = 120
DEFAULT_OTHER_DAY_MINUTES = 480


class DistrictSettings(db.Model):
    """The opening tracker's minimum hours and the plan's targets, and the last
    local day the daily usage figures cover (None: not built yet).

    There is one row (id 1); while it does not exist, the defaults apply.
    A target of None means every school of that type.
    """

    __tablename__ = "district_settings"
    __table_args__ = (
        sa.CheckConstraint("id = 1", name="single_row"),
        sa.CheckConstraint(
            "min_school_day_minutes BETWEEN 0 AND 1440", name="school_day_minutes_range"
        ),
        sa.CheckConstraint(
            "min_other_day_minutes BETWEEN 0 AND 1440", name="other_day_minutes_range"
        ),
        sa.CheckConstraint(
            "target_public_schools IS NULL OR target_public_schools >= 0",
            name="target_public_not_negative",
        ),
        sa.CheckConstraint(
            "target_private_schools IS NULL OR target_private_schools >= 0",
            name="target_private_not_negative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    min_school_day_minutes: Mapped[int] = mapped_column(default=DEFAULT_SCHOOL_DAY_MINUTES)
    min_other_day_minutes: Mapped[int] = mapped_column(default=DEFAULT_OTHER_DAY_MINUTES)
    target_public_schools: Mapped[int | None]
    target_private_schools: Mapped[int | None]
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    usage_days_through: Mapped[date | None]
