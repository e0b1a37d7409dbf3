"""What there is to book: the active schools and their facilities."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from booking.models import School


def open_schools(session: Session) -> list[School]:
    """Active schools, public ones first, with their facilities loaded (two queries)."""
    return list(
        session.scalars(
            sa.select(School)
            .where(School.is_active)
            .options(selectinload(School.facilities))
            .order_by(School.is_public.desc(), School.code)
        )
    )
