"""Notices to users: stored as a kind and its parameters, rendered in the
reader's language when read (notice_texts), kept in the outbox until e-mail
delivery (when mail is configured) is done."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy.orm import Session, joinedload

from booking.models import DeliveryStatus, Notice, User
from booking.services import notice_texts
from booking.services.sms import TEXTED_KINDS, SmsSender

DEFAULT_LOCALE = "zh_Hans"


def notify(
    session: Session,
    user: User,
    *,
    kind: str,
    now: datetime,
    booking_id: int | None = None,
    params: dict[str, Any] | None = None,
) -> Notice:
    """Create a notice of `kind` (a key of notice_texts.TEXTS) with its parameters.
    One for a user with an e-mail address waits in the outbox for deliver_outbox."""
    notice = Notice(
        user_id=user.id,
        kind=kind,
        params=params or {},
        booking_id=booking_id,
        created_at=now,
        delivery_status=DeliveryStatus.PENDING if user.email else DeliveryStatus.NOT_NEEDED,
        sms_status=DeliveryStatus.PENDING if kind in TEXTED_KINDS else None,
        next_attempt_at=now if user.email else None,
    )
    session.add(notice)
    return notice


Sender = Callable[[str, str, str], None]  # (to, subject, body); raises on failure
MAX_ATTEMPTS = 5
BATCH = 200


def deliver_outbox(session: Session, now: datetime, send: Sender | None) -> dict[str, int]:
    """E-mail the notices waiting in the outbox. Without mail configured
    (`send` None) they are marked as not needed: the in-app notice stands.
    A failed sending is tried again later, backing off, up to MAX_ATTEMPTS."""
    due = session.scalars(
        sa.select(Notice)
        .where(Notice.delivery_status == DeliveryStatus.PENDING, Notice.next_attempt_at <= now)
        .options(joinedload(Notice.user))
        .order_by(Notice.id)
        .limit(BATCH)
    ).all()
    counts = {"sent": 0, "failed": 0, "retry": 0, "not_needed": 0}
    for notice in due:
        if send is None or not notice.user.email:
            notice.delivery_status = DeliveryStatus.NOT_NEEDED
            counts["not_needed"] += 1
            continue
        notice.attempts += 1
        with force_locale(notice.user.locale or DEFAULT_LOCALE):
            shown = notice_texts.render_all(session, [notice])[0]
        subject, body = shown.subject, shown.body
        try:
            send(notice.user.email, subject, body)
        except Exception as error:  # noqa: BLE001 (any transport failure: try again later)
            notice.last_error = f"{type(error).__name__}: {error}"[:500]
            if notice.attempts >= MAX_ATTEMPTS:
                notice.delivery_status = DeliveryStatus.FAILED
                counts["failed"] += 1
            else:
                notice.next_attempt_at = now + timedelta(minutes=5 * 2**notice.attempts)
                counts["retry"] += 1
            continue
        notice.delivery_status = DeliveryStatus.SENT
        notice.delivered_at = now
        counts["sent"] += 1
    return counts


def text_urgent_notices(
    session: Session, now: datetime, sender: SmsSender | None
) -> dict[str, int]:
    """Text the notices that cannot wait (a waitlist offer held for minutes, a
    release asked for), once, in the resident's language. Without SMS for
    notices (`sender` None), or once the offer has lapsed, there is nothing to send."""
    due = session.scalars(
        sa.select(Notice)
        .where(Notice.sms_status == DeliveryStatus.PENDING)
        .options(joinedload(Notice.user))
        .order_by(Notice.id)
        .limit(BATCH)
    ).all()
    counts = {"texted": 0, "text_failed": 0, "text_not_needed": 0}
    for notice in due:
        until = (notice.params or {}).get("until")
        lapsed = until is not None and datetime.fromisoformat(until) <= now
        if sender is None or not notice.user.phone or lapsed:
            notice.sms_status = DeliveryStatus.NOT_NEEDED
            counts["text_not_needed"] += 1
            continue
        with force_locale(notice.user.locale or DEFAULT_LOCALE):
            shown = notice_texts.render_all(session, [notice])[0]
        try:
            sender.send_text(notice.user.phone, f"{shown.subject}: {shown.body}")
        except Exception as error:  # noqa: BLE001 (a provider failure must not stop the others)
            notice.sms_status = DeliveryStatus.FAILED
            notice.last_error = f"SMS {type(error).__name__}: {error}"[:500]
            counts["text_failed"] += 1
            continue
        notice.sms_status = DeliveryStatus.SENT
        counts["texted"] += 1
    return counts


def smtp_sender(
    host: str, port: int, sender: str, *, username: str | None, password: str | None, tls: bool
) -> Sender:
    """A Sender that opens an SMTP connection per message (the outbox is small)."""

    def send(to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = sender, to, subject
        message.set_content(body)
        with smtplib.SMTP(host, port, timeout=30) as connection:
            if tls:
                connection.starttls()
            if username:
                connection.login(username, password or "")
            connection.send_message(message)

    return send
