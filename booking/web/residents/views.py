"""The resident's journey: book, see the code, cancel, wait, read notices."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any

import qrcode
import qrcode.image.svg
import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from booking.extensions import db, limiter
from booking.models import (
    Booking,
    BookingStatus,
    Facility,
    Notice,
    ReleaseReminder,
    Role,
    Slot,
    WaitlistEntry,
)
from booking.services import bookings, cancellations, notice_texts, release_reminders, waitlist
from booking.services.availability import booked_codes, slot_state
from booking.services.booking_form import InvalidBooking
from booking.services.clock import local_date, utcnow, zone
from booking.services.errors import DomainError
from booking.services.policy import policy_for
from booking.web.downloads import download
from booking.web.errors import refuse_and_return
from booking.web.forms import Form
from booking.web.residents.calendar_file import booking_ics
from booking.web.residents.forms import booking_page_form, booking_request, page_field
from booking.web.templating import local_datetime

blueprint = Blueprint("residents", __name__)
LIVE = (BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN)


def resident_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Logged-in residents only: staff and administrators book nothing."""

    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_resident:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def bookable_slot_or_404(slot_id: int) -> Slot:
    slot = db.session.scalar(
        sa.select(Slot)
        .where(Slot.id == slot_id)
        .options(joinedload(Slot.facility).joinedload(Facility.school))
    )
    if slot is None or not (slot.facility.is_active and slot.facility.school.is_active):
        abort(404)
    return slot


def own_booking_or_404(code: str) -> Booking:
    booking = bookings.find_for_resident(db.session, code, current_user)
    if booking is None:
        abort(404)
    return booking


def own_entry_or_404(entry_id: int) -> WaitlistEntry:
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None or entry.resident_id != current_user.id:
        abort(404)
    return entry


def show_refusal(form: Form, error: DomainError) -> None:
    """Each field in error gets its message; a refusal of the whole request goes on top."""
    problems = (
        error.fields if isinstance(error, InvalidBooking) else {error.field or "": error.message}
    )
    for name, message in problems.items():
        field = page_field(form, name)
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


@blueprint.route("/slots/<int:slot_id>/book", methods=["GET", "POST"])
@resident_required
@limiter.limit(lambda: current_app.config["RATELIMIT_BOOKING"], methods=["POST"])
def book_slot(slot_id: int) -> str | Response | tuple[str, int]:
    slot = bookable_slot_or_404(slot_id)
    facility = slot.facility
    policy = policy_for(db.session, facility.id)
    spec = bookings.form_of(db.session, slot, policy)
    form = booking_page_form(spec)
    now = utcnow()
    join_waitlist = request.form.get("action") == "waitlist"
    if form.validate_on_submit():
        try:
            if join_waitlist:
                entry = waitlist.join(
                    db.session, slot.id, current_user, booking_request(form), policy=policy, now=now
                )
            else:
                booking = bookings.book(
                    db.session, slot.id, current_user, booking_request(form), policy=policy, now=now
                )
        except DomainError as error:
            db.session.rollback()
            show_refusal(form, error)
            return render_book(slot, form, spec.terms), error.status
        db.session.commit()
        if join_waitlist:
            flash(
                _(
                    "You are number %(position)d on the waitlist.",
                    position=waitlist.position(db.session, entry),
                ),
                "success",
            )
            return redirect(url_for("residents.my_bookings"))
        flash(
            _("Request sent: the school will decide.")
            if booking.status == "pending"
            else _("Booked. Show this code at the gate."),
            "success",
        )
        return redirect(url_for("residents.booking_detail", code=booking.code))
    status = 400 if form.is_submitted() else 200
    return render_book(slot, form, spec.terms), status


def render_book(slot: Slot, form: Form, terms: Any) -> str:
    now = utcnow()
    return render_template(
        "residents/book.html",
        slot=slot,
        facility=slot.facility,
        school=slot.facility.school,
        form=form,
        terms=terms,
        state=slot_state(slot, now),
        places_left=max(slot.capacity - slot.held, 0),
    )


def checkin_url(booking: Booking) -> str:
    """What the QR code holds: the staff check-in page for this code."""
    return url_for("staff.checkin", code=booking.code, _external=True)


def qr_svg(data: str) -> Markup:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    return Markup(image.to_string(encoding="unicode"))  # noqa: S704 (generated by qrcode)


@blueprint.route("/bookings/<code>")
@resident_required
def booking_detail(code: str) -> str:
    booking = own_booking_or_404(code)
    policy = policy_for(db.session, booking.slot.facility_id)
    now = utcnow()
    gate_pass = booking.status in (BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN)
    return render_template(
        "residents/booking.html",
        booking=booking,
        slot=booking.slot,
        facility=booking.slot.facility,
        school=booking.slot.facility.school,
        qr=qr_svg(checkin_url(booking)) if gate_pass else None,
        can_cancel=booking.is_active and now <= bookings.cancel_deadline(booking, policy),
        deadline=bookings.cancel_deadline(booking, policy),
    )


@blueprint.route("/bookings/<code>/calendar.ics")
@resident_required
def booking_calendar(code: str) -> Response:
    booking = own_booking_or_404(code)
    return download(booking_ics(booking), "text/calendar", f"booking-{booking.code}.ics")


@blueprint.route("/bookings/<code>/cancel", methods=["GET", "POST"])
@resident_required
def cancel_booking(code: str) -> Response | str | tuple[str, int]:
    """GET asks for confirmation; POST cancels."""
    booking = own_booking_or_404(code)
    if request.method == "GET":
        if not booking.is_active:
            return redirect(url_for("residents.booking_detail", code=code))
        return render_template(
            "residents/cancel.html",
            booking=booking,
            slot=booking.slot,
            facility=booking.slot.facility,
            school=booking.slot.facility.school,
        )
    try:
        cancellations.cancel_by_resident(
            db.session,
            booking,
            current_user,
            policy=policy_for(db.session, booking.slot.facility_id),
            now=utcnow(),
        )
    except DomainError as error:
        return refuse_and_return(error, url_for("residents.booking_detail", code=code))
    db.session.commit()
    flash(_("Booking %(code)s is cancelled; its places went back.", code=code), "success")
    return redirect(url_for("residents.my_bookings"))


@blueprint.route("/me/bookings")
@resident_required
def my_bookings() -> str:
    now = utcnow()
    mine = db.session.scalars(
        sa.select(Booking)
        .join(Slot, Booking.slot_id == Slot.id)
        .where(Booking.resident_id == current_user.id)
        .options(joinedload(Booking.slot).joinedload(Slot.facility).joinedload(Facility.school))
        .order_by(Slot.starts_at)
    ).all()
    upcoming = [b for b in mine if b.slot.ends_at > now]
    past = sorted(
        (b for b in mine if b.slot.ends_at <= now), key=lambda b: b.slot.starts_at, reverse=True
    )
    entries = waitlist.my_entries(db.session, current_user, now)
    positions = {entry.id: waitlist.position(db.session, entry) for entry in entries}
    return render_template(
        "residents/my_bookings.html",
        upcoming=upcoming,
        past=past[:50],
        entries=entries,
        positions=positions,
        now=now,
    )


@blueprint.route("/waitlist/<int:entry_id>/accept", methods=["POST"])
@resident_required
def accept_offer(entry_id: int) -> Response:
    entry = own_entry_or_404(entry_id)
    try:
        booking = waitlist.accept(
            db.session,
            entry,
            current_user,
            policy=policy_for(db.session, entry.slot.facility_id),
            now=utcnow(),
        )
    except DomainError as error:
        return refuse_and_return(error, url_for("residents.my_bookings"))
    db.session.commit()
    flash(_("The places are yours."), "success")
    return redirect(url_for("residents.booking_detail", code=booking.code))


@blueprint.route("/waitlist/<int:entry_id>/leave", methods=["POST"])
@resident_required
def leave_waitlist(entry_id: int) -> Response:
    entry = own_entry_or_404(entry_id)
    try:
        waitlist.leave(db.session, entry, current_user, now=utcnow())
    except DomainError as error:
        return refuse_and_return(error, url_for("residents.my_bookings"))
    db.session.commit()
    flash(_("You left the waitlist."), "success")
    return redirect(url_for("residents.my_bookings"))


@blueprint.route("/notices")
@login_required
def notices() -> str:
    rows = db.session.scalars(
        sa.select(Notice)
        .where(Notice.user_id == current_user.id)
        .order_by(Notice.created_at.desc(), Notice.id.desc())
        .limit(100)
    ).all()
    shown = [(item, notice_link(item)) for item in notice_texts.render_all(db.session, rows)]
    return render_template("residents/notices.html", notices=shown)


def notice_link(shown: notice_texts.Rendered) -> tuple[str, str]:
    """Where a notice leads, and what the link says: its booking, else the
    week of the time it is about, else My bookings."""
    if shown.booking is not None:
        return (
            url_for("residents.booking_detail", code=shown.booking.code),
            _("See booking %(code)s", code=shown.booking.code),
        )
    if shown.slot is not None:
        day = local_date(shown.slot.starts_at, zone(shown.slot.facility.school.timezone))
        if shown.notice.kind == "waitlist_offer":
            return url_for("residents.my_bookings"), _("Accept in My bookings")
        if shown.notice.kind == "release_reminder":
            return url_for("residents.book_slot", slot_id=shown.slot.id), _("Book it now")
        return (
            url_for("public.facility", facility_id=shown.slot.facility_id, week=day.isoformat()),
            _("See the week of this time"),
        )
    return url_for("residents.my_bookings"), _("See My bookings")


@blueprint.route("/notices/read", methods=["POST"])
@login_required
def mark_notices_read() -> Response:
    db.session.execute(
        sa.update(Notice)
        .where(Notice.user_id == current_user.id, Notice.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    return redirect(url_for("residents.notices"))


def unread_notices() -> int:
    if g.get("database_unavailable") or not current_user.is_authenticated:
        return 0
    return int(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notice)
            .where(Notice.user_id == current_user.id, Notice.read_at.is_(None))
        )
        or 0
    )


def my_reminders(facility_id: int) -> set[datetime]:
    """The times of the facility the signed-in resident asked to be reminded of."""
    if not current_user.is_authenticated or current_user.role != Role.RESIDENT:
        return set()
    return set(
        db.session.scalars(
            sa.select(ReleaseReminder.starts_at).where(
                ReleaseReminder.user_id == current_user.id,
                ReleaseReminder.facility_id == facility_id,
                ReleaseReminder.sent_at.is_(None),
            )
        )
    )


@blueprint.route("/facilities/<int:facility_id>/remind", methods=["POST"])
@resident_required
def remind_at_release(facility_id: int) -> Response:
    """Tell me when this time opens for booking (a notice, and e-mail where configured)."""
    facility = db.get_or_404(Facility, facility_id)
    if not (facility.is_active and facility.school.is_active):
        abort(404)
    tz = zone(facility.school.timezone)
    starts_at = parse_instant(request.form.get("starts_at"))
    back = url_for("public.facility", facility_id=facility.id)
    if starts_at is None:
        flash(_("Choose a time from the week."), "error")
        return redirect(back)
    back = url_for(
        "public.facility", facility_id=facility.id, week=local_date(starts_at, tz).isoformat()
    )
    try:
        reminder = release_reminders.ask(
            db.session, current_user, facility, starts_at, now=utcnow()
        )
    except DomainError as error:
        return refuse_and_return(error, back)
    db.session.commit()
    flash(
        _(
            "We will remind you when booking opens, on %(when)s.",
            when=local_datetime(reminder.remind_at, facility.school.timezone, "short"),
        ),
        "success",
    )
    return redirect(back + "#week")


def parse_instant(raw: str | None) -> datetime | None:
    """An aware ISO 8601 instant as the week's forms send it, in UTC; None when it is not one."""
    try:
        value = datetime.fromisoformat((raw or "").strip()[:40])
    except ValueError:
        return None
    if value.tzinfo is None or not 2000 <= value.year <= 2999:
        return None
    return value.astimezone(UTC)


def my_slot_marks(slot_ids: list[int]) -> tuple[dict[int, str], set[int]]:
    """For the week view: my active bookings' codes by slot, and the slots I wait for."""
    if not current_user.is_authenticated or not slot_ids:
        return {}, set()
    booked = booked_codes(db.session, current_user.id, slot_ids)
    waiting = set(
        db.session.scalars(
            sa.select(WaitlistEntry.slot_id).where(
                WaitlistEntry.resident_id == current_user.id,
                WaitlistEntry.slot_id.in_(slot_ids),
                WaitlistEntry.status.in_(("waiting", "offered")),
            )
        )
    )
    return booked, waiting
