"""The privacy notice residents accept at registration: the current version,
publishing a new one, and the check every door (page, API) goes through."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from booking.models import PrivacyNotice, User
from booking.services import audit
from booking.services.errors import ValidationFailed

MAX_LENGTH = 20000

DATA = Path(__file__).parent / "data"
BUILTIN_BODY = (DATA / "privacy_notice.zh.txt").read_text(encoding="utf-8").strip()
BUILTIN_BODY_EN = (DATA / "privacy_notice.en.txt").read_text(encoding="utf-8").strip()


@dataclass(frozen=True)
class Notice:
    version: int
    body: str
    body_en: str | None
    published_at: datetime | None  # None: the text the code ships with


BUILTIN = Notice(version=1, body=BUILTIN_BODY, body_en=BUILTIN_BODY_EN, published_at=None)


class PrivacyNotAccepted(ValidationFailed):
    code = "privacy_not_accepted"
    default_message = _l("Read and accept the privacy notice to register.")


class PrivacyNoticeChanged(ValidationFailed):
    code = "privacy_notice_changed"
    default_message = _l("The privacy notice has changed since you opened the page: read it again.")


class PrivacyNoticeRefused(ValidationFailed):
    code = "invalid_privacy_notice"


def current(session: Session) -> Notice:
    latest = session.scalar(
        sa.select(PrivacyNotice).order_by(PrivacyNotice.version.desc()).limit(1)
    )
    if latest is None:
        return BUILTIN
    return Notice(latest.version, latest.body, latest.body_en, latest.published_at)


def check_accepted(session: Session, accepted_version: int | None) -> int:
    """The version a registering resident accepted, which must be the current one.
    Raises PrivacyNotAccepted, PrivacyNoticeChanged."""
    if accepted_version is None:
        raise PrivacyNotAccepted(field="accept_privacy")
    if accepted_version != current(session).version:
        raise PrivacyNoticeChanged(field="accept_privacy")
    return accepted_version


def publish(
    session: Session, *, body: str, body_en: str | None, actor: User, now: datetime
) -> Notice:
    """Publish a new version; residents registering from now on accept it.
    Raises PrivacyNoticeRefused."""
    body, body_en = body.strip(), (body_en or "").strip() or None
    if not body:
        raise PrivacyNoticeRefused(_l("Write the notice in Chinese."), field="body")
    if len(body) > MAX_LENGTH or (body_en and len(body_en) > MAX_LENGTH):
        raise PrivacyNoticeRefused(
            _l("A notice can be at most %(max)d characters.", max=MAX_LENGTH), field="body"
        )
    previous = current(session)
    if previous.body == body and previous.body_en == body_en:
        raise PrivacyNoticeRefused(_l("This is the notice already published."), field="body")
    row = PrivacyNotice(
        version=previous.version + 1,
        body=body,
        body_en=body_en,
        published_at=now,
        published_by_id=actor.id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="privacy.publish",
        target_type="privacy_notice",
        target_id=row.id,
        school_id=None,
        now=now,
        details={"version": row.version},
    )
    return Notice(row.version, row.body, row.body_en, row.published_at)
