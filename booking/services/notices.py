"""Notices to users: written in the recipient's language, kept in the outbox
until e-mail delivery (when mail is configured) is done."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask_babel import force_locale
from sqlalchemy.orm import Session

from booking.models import DeliveryStatus, Notice, User

DEFAULT_LOCALE = "zh_Hans"


def notify(
    session: Session,
    user: User,
    *,
    kind: str,
    render: Callable[[], tuple[str, str]],
    now: datetime,
    booking_id: int | None = None,
    mail_enabled: bool = False,
) -> Notice:
    """Create a notice; `render` returns (subject, body) and runs in the user's language."""
    with force_locale(user.locale or DEFAULT_LOCALE):
        subject, body = render()
    notice = Notice(
        user_id=user.id,
        kind=kind,
        subject=subject[:200],
        body=body,
        booking_id=booking_id,
        created_at=now,
        delivery_status=(
            DeliveryStatus.PENDING if mail_enabled and user.email else DeliveryStatus.NOT_NEEDED
        ),
        next_attempt_at=now if mail_enabled and user.email else None,
    )
    session.add(notice)
    return notice
