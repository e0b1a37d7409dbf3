"""Recording who did what to which record, when and why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from booking.models import AuditEvent, User


def record(
    session: Session,
    *,
    actor: User | None,
    action: str,
    target_type: str,
    target_id: int,
    school_id: int | None,
    now: datetime,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event; `actor` None means the system (a job)."""
    event = AuditEvent(
        at=now,
        actor_id=actor.id if actor else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        school_id=school_id,
        reason=reason,
        details=details or {},
    )
    session.add(event)
    return event
