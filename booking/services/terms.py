"""Schools' visitor terms: staff publish a new version; every booking
records the version its resident accepted, and the booking form asks for the
current one, so a new version is accepted at the resident's next booking."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from booking.models import School, User, VisitorTerms
from booking.services import audit
from booking.services.bookings import current_terms
from booking.services.errors import ValidationFailed

MAX_LENGTH = 20000


class TermsRefused(ValidationFailed):
    code = "invalid_terms"


def publish_terms(
    session: Session,
    school: School,
    *,
    body: str,
    body_en: str | None,
    actor: User,
    now: datetime,
) -> VisitorTerms:
    """Publish the next version of the school's visitor terms (Chinese text
    required, English optional). Raises TermsRefused."""
    body, body_en = body.strip(), (body_en or "").strip() or None
    if not body:
        raise TermsRefused(_l("Write the rules in Chinese."), field="body")
    if len(body) > MAX_LENGTH or (body_en and len(body_en) > MAX_LENGTH):
        raise TermsRefused(_l("The rules are too long."), field="body")
    current = current_terms(session, school.id)
    if current is not None and current.body == body and current.body_en == body_en:
        raise TermsRefused(_l("This is the version already published."), field="body")
    terms = VisitorTerms(
        school_id=school.id,
        version=(current.version if current else 0) + 1,
        body=body,
        body_en=body_en,
        published_at=now,
        published_by_id=actor.id,
    )
    session.add(terms)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="terms.published",
        target_type="visitor_terms",
        target_id=terms.id,
        school_id=school.id,
        now=now,
        details={"version": terms.version},
    )
    return terms


def current_versions(session: Session) -> dict[int, VisitorTerms]:
    """Each school's current terms, by school id (one query)."""
    newest = (
        sa.select(VisitorTerms.school_id, sa.func.max(VisitorTerms.version).label("version"))
        .group_by(VisitorTerms.school_id)
        .subquery()
    )
    rows = session.scalars(
        sa.select(VisitorTerms).join(
            newest,
            sa.and_(
                VisitorTerms.school_id == newest.c.school_id,
                VisitorTerms.version == newest.c.version,
            ),
        )
    )
    return {terms.school_id: terms for terms in rows}
