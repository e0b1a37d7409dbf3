"""What each kind of notice says. A notice is stored as its kind and
parameters; its words are rendered here in the reader's language each time
it is read or e-mailed (DESIGN rule 10)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, joinedload

from booking import labels
from booking.models import Booking, Facility, Notice, Slot
from booking.services.errors import DomainError


@dataclass(frozen=True)
class Facts:
    """What a notice's words are made of: its parameters and the records they name."""

    params: dict[str, Any]
    booking: Booking | None
    slot: Slot | None

    def where(self) -> dict[str, str]:
        slot = self.slot
        if slot is None:
            return {"school": "-", "facility": "-", "when": "-"}
        return {
            "school": labels.localized_name(slot.facility.school),
            "facility": labels.localized_name(slot.facility),
            "when": labels.local_datetime(slot.starts_at, slot.facility.school.timezone),
        }

    def code(self) -> str:
        return self.booking.code if self.booking else str(self.params.get("code", "-"))

    def facts(self) -> dict[str, str]:
        return {"code": self.code(), **self.where()}

    def instant(self, name: str) -> str:
        value = self.params.get(name)
        if not value:
            return "-"
        timezone = self.slot.facility.school.timezone if self.slot else self.params.get("timezone")
        return labels.local_datetime(datetime.fromisoformat(value), timezone or "Asia/Shanghai")

    def reason(self) -> str:
        return labels.reason_text(self.params.get("reason")) or "-"


Text = Callable[[Facts], tuple[str, str]]


def _pending(f: Facts) -> tuple[str, str]:
    return (
        _("Request %(code)s received", code=f.code()),
        _(
            "Your request %(code)s for %(school)s, %(facility)s on %(when)s is waiting for "
            "the school's approval. We will tell you the decision.",
            **f.facts(),
        ),
    )


def _confirmed(f: Facts) -> tuple[str, str]:
    return (
        _("Booking %(code)s confirmed", code=f.code()),
        _(
            "Your booking %(code)s for %(school)s, %(facility)s on %(when)s is confirmed. "
            "Show the code or its QR code at the gate.",
            **f.facts(),
        ),
    )


def _approved(f: Facts) -> tuple[str, str]:
    return (
        _("Request %(code)s approved", code=f.code()),
        _(
            "The school approved your request %(code)s for %(school)s, %(facility)s on "
            "%(when)s. Show the code at the gate.",
            **f.facts(),
        ),
    )


def _declined(f: Facts) -> tuple[str, str]:
    return (
        _("Request %(code)s declined", code=f.code()),
        _(
            "The school declined your request %(code)s for %(school)s, %(facility)s on "
            "%(when)s: %(reason)s",
            reason=f.reason(),
            **f.facts(),
        ),
    )


def _cancelled(f: Facts) -> tuple[str, str]:
    subject = _("Booking %(code)s cancelled", code=f.code())
    if "reason" not in f.params:
        return subject, _(
            "You cancelled your booking %(code)s for %(school)s, %(facility)s on %(when)s.",
            **f.facts(),
        )
    return subject, _(
        "Your booking %(code)s at %(school)s, %(facility)s on %(when)s is cancelled: %(reason)s. "
        "We are sorry for the trouble.",
        reason=f.reason(),
        **f.facts(),
    )


def _expired(f: Facts) -> tuple[str, str]:
    return (
        _("Request %(code)s expired", code=f.code()),
        _(
            "The school did not decide on your request %(code)s for %(school)s, "
            "%(facility)s on %(when)s before it started, so it has expired.",
            **f.facts(),
        ),
    )


def _no_show(f: Facts) -> tuple[str, str]:
    return (
        _("Missed visit %(code)s", code=f.code()),
        _(
            "You did not come to %(school)s, %(facility)s on %(when)s. Please cancel "
            "in good time when you cannot come: repeated no-shows suspend booking.",
            **f.facts(),
        ),
    )


def _suspended(f: Facts) -> tuple[str, str]:
    return (
        _("Booking suspended"),
        _(
            "You missed %(limit)d visits within %(days)d days, so you cannot book until "
            "%(until)s. A school can waive a no-show that was not your fault.",
            limit=int(f.params.get("limit", 0)),
            days=int(f.params.get("days", 0)),
            until=f.instant("until"),
        ),
    )


def _waived(f: Facts) -> tuple[str, str]:
    body = _(
        "The school waived the missed visit %(code)s: %(reason)s",
        code=f.code(),
        reason=f.reason(),
    )
    if f.params.get("lifted"):
        body += " " + _("You can book again.")
    return _("No-show %(code)s waived", code=f.code()), body


def _reminder(f: Facts) -> tuple[str, str]:
    return (
        _("Tomorrow: %(facility)s", facility=f.where()["facility"]),
        _(
            "A reminder of your booking %(code)s at %(school)s, %(facility)s on "
            "%(when)s. Bring your ID card; cancel in My bookings if you cannot come.",
            **f.facts(),
        ),
    )


def _offer(f: Facts) -> tuple[str, str]:
    return (
        _("A place came free for you"),
        _(
            "Places came free at %(school)s, %(facility)s on %(when)s. They are held for "
            "you until %(until)s: accept them in My bookings before then.",
            until=f.instant("until"),
            **f.where(),
        ),
    )


def _skipped(f: Facts) -> tuple[str, str]:
    return (
        _("Waitlist: your turn was skipped"),
        _(
            "Places came free at %(school)s, %(facility)s on %(when)s, but you could not "
            "take them: %(reason)s",
            reason=refusal_text(f.params.get("refusal"), f.params.get("refusal_text")),
            **f.where(),
        ),
    )


def _waited_cancelled(f: Facts) -> tuple[str, str]:
    return (
        _("A time you waited for is cancelled"),
        _(
            "%(school)s, %(facility)s on %(when)s is cancelled: %(reason)s",
            reason=f.reason(),
            **f.where(),
        ),
    )


def _lapsed(f: Facts) -> tuple[str, str]:
    return (
        _("Your waitlist offer lapsed"),
        _(
            "The places held for you at %(school)s, %(facility)s on %(when)s were not "
            "accepted in time and went to the next in line.",
            **f.where(),
        ),
    )


def _release(f: Facts) -> tuple[str, str]:
    return (
        _("Booking opens now: %(facility)s", facility=f.where()["facility"]),
        _(
            "%(school)s, %(facility)s on %(when)s can be booked from now on. You asked to "
            "be reminded.",
            **f.where(),
        ),
    )


def refusal_text(code: str | None, as_written: str | None) -> str:
    """Why a rule refused, in the reader's language: a refusal that said only
    its kind's standard words is translated again; one with particulars
    (a date, a number) is shown as it was written for the resident."""
    error = _error_class(code)
    if error is not None and (as_written is None or as_written == "default"):
        return str(error.default_message)
    return as_written or "-"


def refusal_params(error: DomainError) -> dict[str, str]:
    standard = error.message is error.default_message
    return {"refusal": error.code, "refusal_text": "default" if standard else str(error.message)}


def _error_class(code: str | None) -> type[DomainError] | None:
    pending: list[type[DomainError]] = [DomainError]
    while pending:
        cls = pending.pop()
        if cls.code == code:
            return cls
        pending.extend(cls.__subclasses__())
    return None


TEXTS: dict[str, Text] = {
    "booking_pending": _pending,
    "booking_confirmed": _confirmed,
    "request_approved": _approved,
    "request_declined": _declined,
    "booking_cancelled": _cancelled,
    "booking_expired": _expired,
    "booking_no_show": _no_show,
    "suspended": _suspended,
    "no_show_waived": _waived,
    "reminder": _reminder,
    "waitlist_offer": _offer,
    "waitlist_skipped": _skipped,
    "waitlist_cancelled": _waited_cancelled,
    "waitlist_lapsed": _lapsed,
    "release_reminder": _release,
}


@dataclass(frozen=True)
class Rendered:
    notice: Notice
    subject: str
    body: str
    booking: Booking | None
    slot: Slot | None


def render(notice: Notice, booking: Booking | None, slot: Slot | None) -> tuple[str, str]:
    """The notice's subject and body in the current language."""
    text = TEXTS.get(notice.kind)
    params = notice.params or {}
    if text is None or params.get("legacy"):  # written before notices kept parameters
        return str(params.get("subject", notice.kind)), str(params.get("body", ""))
    return text(Facts(params, booking, slot or (booking.slot if booking else None)))


def render_all(session: Session, notices: Sequence[Notice]) -> list[Rendered]:
    """Render a list of notices, loading the bookings and slots they name in two queries."""
    bookings = _by_id(
        session,
        Booking,
        {n.booking_id for n in notices if n.booking_id},
        joinedload(Booking.slot).joinedload(Slot.facility).joinedload(Facility.school),
    )
    slot_ids = {int(n.params["slot_id"]) for n in notices if (n.params or {}).get("slot_id")}
    slots = _by_id(session, Slot, slot_ids, joinedload(Slot.facility).joinedload(Facility.school))
    shown = []
    for notice in notices:
        booking = bookings.get(notice.booking_id) if notice.booking_id else None
        slot = slots.get(int((notice.params or {}).get("slot_id") or 0))
        subject, body = render(notice, booking, slot)
        shown.append(Rendered(notice, subject, body, booking, slot or (booking and booking.slot)))
    return shown


def _by_id(session: Session, model: Any, ids: set[int], option: Any) -> dict[int, Any]:
    if not ids:
        return {}
    rows = session.scalars(sa.select(model).where(model.id.in_(ids)).options(option))
    return {row.id: row for row in rows}
