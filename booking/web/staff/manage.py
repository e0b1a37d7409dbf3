"""Running the school's facilities: facilities, opening rules, closures and
booking policy. Changes to rules and closures are previewed (what they would
add, remove and cancel) before staff confirm them."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from booking import labels
from booking.extensions import db
from booking.models import (
    BookingPolicy,
    Closure,
    ClosureReason,
    DayType,
    Facility,
    FacilityKind,
    OpeningRule,
)
from booking.services import clock, occupancy, supply, terms
from booking.services.bookings import current_terms
from booking.services.clock import utcnow
from booking.services.errors import DomainError
from booking.web.errors import refuse_and_return
from booking.web.forms import whole_number
from booking.web.staff.forms import ClosureForm, FacilityForm, PolicyForm, RuleForm, TermsForm
from booking.web.staff.views import my_school, staff_required
from booking.web.templating import closure_when, localized_name, localized_text
from booking.web.urls import query_day

FACILITY_FIELDS = (
    "kind",
    "name",
    "name_en",
    "capacity",
    "is_exclusive",
    "requires_approval",
    "description",
    "description_en",
    "entrance_notes",
    "entrance_notes_en",
    "is_active",
)


def facility_here_or_404(facility_id: int) -> Facility:
    facility = db.session.get(Facility, facility_id)
    if facility is None or facility.school_id != current_user.school_id:
        abort(404)
    return facility


def attach(form: Any, error: DomainError) -> None:
    field = getattr(form, error.field or "", None)
    if field is not None:
        field.errors = [*field.errors, str(error.message)]
    else:
        form.form_errors.append(str(error.message))


@staff_required
def facilities() -> str:
    school = my_school()
    rows = db.session.scalars(
        sa.select(Facility).where(Facility.school_id == school.id).order_by(Facility.id)
    ).all()
    return render_template("staff/facilities.html", school=school, facilities=rows)


@staff_required
def new_facility() -> Any:
    form = FacilityForm()
    if form.validate_on_submit():
        facility = Facility(school_id=current_user.school_id, created_at=utcnow())
        for name in FACILITY_FIELDS:
            setattr(
                facility,
                name,
                FacilityKind(form.kind.data) if name == "kind" else getattr(form, name).data,
            )
        for optional in ("name_en", "description_en", "entrance_notes_en"):
            setattr(facility, optional, getattr(facility, optional) or None)
        db.session.add(facility)
        try:
            db.session.flush()
        except sa.exc.IntegrityError:
            db.session.rollback()
            form.name.errors = [_("This school already has a facility of that name.")]
            return render_template("staff/facility_form.html", form=form, facility=None), 409
        supply.audit.record(
            db.session,
            actor=current_user,
            action="facility.add",
            target_type="facility",
            target_id=facility.id,
            school_id=facility.school_id,
            now=utcnow(),
        )
        db.session.commit()
        flash(_("Facility added. Now give it opening hours."), "success")
        return redirect(url_for("staff.rules", facility_id=facility.id))
    status = 400 if form.is_submitted() else 200
    return render_template("staff/facility_form.html", form=form, facility=None), status


@staff_required
def edit_facility(facility_id: int) -> Any:
    facility = facility_here_or_404(facility_id)
    form = FacilityForm(obj=facility)
    if request.method == "GET":
        form.kind.data = facility.kind.value
    if form.validate_on_submit():
        changes = {name: getattr(form, name).data for name in FACILITY_FIELDS}
        changes["kind"] = FacilityKind(changes["kind"])
        for optional in ("name_en", "description_en", "entrance_notes_en"):
            changes[optional] = changes[optional] or None
        try:
            supply.change_facility(db.session, facility, changes, actor=current_user, now=utcnow())
        except DomainError as error:
            db.session.rollback()
            attach(form, error)
            return render_template("staff/facility_form.html", form=form, facility=facility), 409
        db.session.commit()
        flash(_("Facility saved."), "success")
        return redirect(url_for("staff.facilities"))
    status = 400 if form.is_submitted() else 200
    return render_template("staff/facility_form.html", form=form, facility=facility), status


def preview_or_apply(
    change: Any,
    facility_ids: list[int] | None,
    reason: Any,
    template: str,
    *,
    done_message: Any = None,
    **context: Any,
) -> Any:
    """Run `change`, then bring slots in line: a preview rolls everything back
    and shows what would happen; `confirm` keeps it. Without `facility_ids`,
    the change returns the facilities it touches. `done_message(report)` says
    what was done, after the commit."""
    now = utcnow()
    confirm = request.form.get("confirm") == "1"
    touched = change(now)
    report = supply.reconcile(
        db.session,
        touched if facility_ids is None else facility_ids,
        now=now,
        reason=reason,
        actor=current_user,
        dry_run=not confirm,
    )
    if not confirm:
        affected = [(item.slot, item.bookings) for item in report.cancelled]
        page = render_template(template, report=report, affected=affected, preview=True, **context)
        db.session.rollback()
        return page
    db.session.commit()
    if done_message is not None:
        flash(done_message(report), "success")
        return None
    flash(
        _(
            "Saved: %(created)d slots added, %(removed)d removed, %(cancelled)d bookings cancelled "
            "and their residents told.",
            created=report.opened,
            removed=report.removed,
            cancelled=report.bookings_cancelled,
        ),
        "success",
    )
    return None


@staff_required
def rules(facility_id: int) -> Any:
    facility = facility_here_or_404(facility_id)
    form = RuleForm()
    context = {"facility": facility, "school": facility.school, "form": form}
    if form.validate_on_submit():
        return save_rule(
            form,
            facility.rules,
            lambda data, now: supply.add_rule(
                db.session, facility, data, actor=current_user, now=now
            ),
            "staff/rules.html",
            context,
        )
    status = 400 if form.is_submitted() else 200
    return render_template("staff/rules.html", **context), status


def rule_input(form: RuleForm) -> supply.RuleInput:
    return supply.RuleInput(
        valid_from=form.valid_from.data,
        valid_until=form.valid_until.data,
        weekdays=form.weekday_mask(),
        day_type=DayType(form.day_type.data),
        start_time=form.start_time.data,
        end_time=form.end_time.data,
        slot_minutes=form.slot_minutes.data,
        capacity=form.capacity.data,
    )


def save_rule(
    form: RuleForm, others: list[OpeningRule], apply: Any, template: str, context: dict[str, Any]
) -> Any:
    """Check the rule against the facility's `others`, then preview or apply it."""
    facility = context["facility"]
    data = rule_input(form)
    try:
        leftover = supply.check_rule(data, others)
        done = preview_or_apply(
            lambda now: apply(data, now),
            [facility.id],
            lambda: "opening_hours_changed",
            template,
            leftover=leftover,
            **context,
        )
    except DomainError as error:
        db.session.rollback()
        attach(form, error)
        return render_template(template, **context), 400
    if done is not None:
        return done
    return redirect(url_for("staff.rules", facility_id=facility.id))


def rule_here_or_404(rule_id: int) -> OpeningRule:
    rule = db.session.get(OpeningRule, rule_id)
    if rule is None or rule.facility.school_id != current_user.school_id:
        abort(404)
    return rule


@staff_required
def edit_rule(rule_id: int) -> Any:
    rule = rule_here_or_404(rule_id)
    facility = rule.facility
    form = RuleForm(obj=rule)
    if request.method == "GET":
        form.weekdays.data = [str(bit) for bit in range(7) if rule.weekdays & (1 << bit)]
        form.day_type.data = rule.day_type.value
    context = {"facility": facility, "school": facility.school, "form": form, "rule": rule}
    if form.validate_on_submit():
        return save_rule(
            form,
            [other for other in facility.rules if other.id != rule.id],
            lambda data, now: supply.update_rule(
                db.session, rule, data, actor=current_user, now=now
            ),
            "staff/rule_edit.html",
            context,
        )
    status = 400 if form.is_submitted() else 200
    return render_template("staff/rule_edit.html", **context), status


@staff_required
def remove_rule(rule_id: int) -> Any:
    rule = rule_here_or_404(rule_id)
    facility = rule.facility
    done = preview_or_apply(
        lambda now: supply.remove_rule(db.session, rule, actor=current_user, now=now),
        [facility.id],
        lambda: "opening_hours_changed",
        "staff/rule_remove.html",
        facility=facility,
        school=facility.school,
        rule=rule,
    )
    if done is not None:
        return done
    return redirect(url_for("staff.rules", facility_id=facility.id))


def closure_window(form: ClosureForm, tz: Any) -> tuple[datetime, datetime]:
    starts = clock.local_instant(form.first_day.data, form.from_time.data or time(0), tz)
    if form.to_time.data:
        ends = clock.local_instant(form.last_day.data, form.to_time.data, tz)
    else:
        ends = clock.local_instant(form.last_day.data + timedelta(days=1), time(0), tz)
    return starts, ends


def fill_closure_form(form: ClosureForm, closure: Closure, tz: Any) -> None:
    """The form as closure_window() reads it back: whole days without times,
    the last day being the one before the midnight a closure of days ends at."""
    start = clock.to_local(closure.starts_at, tz)
    end = clock.to_local(closure.ends_at, tz)
    form.facility.data = closure.facility_id or 0
    form.first_day.data = start.date()
    form.from_time.data = start.time() if start.time() != time(0) else None
    if end.time() == time(0):
        form.last_day.data, form.to_time.data = end.date() - timedelta(days=1), None
    else:
        form.last_day.data, form.to_time.data = end.date(), end.time().replace(second=0)
    form.reason.data = closure.reason.value
    form.note.data = closure.note
    form.note_en.data = closure.note_en or ""


def closure_choices(form: ClosureForm, school_id: int) -> None:
    options = db.session.scalars(
        sa.select(Facility).where(Facility.school_id == school_id).order_by(Facility.id)
    ).all()
    form.facility.choices = [SelectChoice("0", _("The whole school"))] + [
        SelectChoice(str(f.id), localized_name(f)) for f in options
    ]


def closure_here_or_404(closure_id: int) -> Closure:
    closure = db.session.get(Closure, closure_id)
    if closure is None or closure.school_id != current_user.school_id:
        abort(404)
    return closure


@staff_required
def closures() -> Any:
    school = my_school()
    form = ClosureForm()
    closure_choices(form, school.id)
    upcoming = supply.upcoming_closures(db.session, school.id, now=utcnow())
    context = {"school": school, "form": form, "upcoming": upcoming}
    if form.validate_on_submit():
        facility, fields = closure_input(form, clock.zone(school.timezone))
        try:
            done = preview_or_apply(
                lambda now: supply.add_closure(
                    db.session, school, facility, **fields, actor=current_user, now=now
                ),
                supply.closure_facility_ids(
                    db.session, school.id, facility.id if facility else None
                ),
                supply.closure_reason(fields["reason"], fields["note"], fields["note_en"]),
                "staff/closures.html",
                **context,
            )
        except DomainError as error:
            db.session.rollback()
            attach(form, error)
            return render_template("staff/closures.html", **context), error.status
        if done is not None:
            return done
        return redirect(url_for("staff.closures"))
    status = 400 if form.is_submitted() else 200
    return render_template("staff/closures.html", **context), status


def closure_input(form: ClosureForm, tz: Any) -> tuple[Facility | None, dict[str, Any]]:
    """What a closure form asks for: the facility (None: the whole school) and the
    fields supply.add_closure and supply.change_closure take."""
    facility = facility_here_or_404(form.facility.data) if form.facility.data else None
    starts, ends = closure_window(form, tz)
    return facility, {
        "starts_at": starts,
        "ends_at": ends,
        "reason": ClosureReason(form.reason.data),
        "note": form.note.data or "",
        "note_en": form.note_en.data or None,
    }


@staff_required
def edit_closure(closure_id: int) -> Any:
    """Change a closure's dates, times, reason or notes: previewed like a new
    one, since a wider closure cancels bookings and a narrower one reopens slots."""
    closure = closure_here_or_404(closure_id)
    school = my_school()
    tz = clock.zone(school.timezone)
    form = ClosureForm()
    closure_choices(form, school.id)
    context = {
        "school": school,
        "form": form,
        "closure_text": closure_when(closure, school.timezone),
    }
    if request.method == "GET":
        try:
            supply.check_closure_open(closure, utcnow())
        except DomainError as error:
            return refuse_and_return(error, url_for("staff.closures"))
        fill_closure_form(form, closure, tz)
        return render_template("staff/closure_edit.html", **context)
    if form.validate_on_submit():
        facility, fields = closure_input(form, tz)
        try:
            done = preview_or_apply(
                lambda now: supply.change_closure(
                    db.session, closure, facility, **fields, actor=current_user, now=now
                ),
                None,
                supply.closure_reason(fields["reason"], fields["note"], fields["note_en"]),
                "staff/closure_edit.html",
                **context,
            )
        except DomainError as error:
            db.session.rollback()
            attach(form, error)
            return render_template("staff/closure_edit.html", **context), error.status
        if done is not None:
            return done
        return redirect(url_for("staff.closures"))
    return render_template("staff/closure_edit.html", **context), 400


@staff_required
def lift_closure(closure_id: int) -> Any:
    """End a closure now: previewed with the slots it reopens, then confirmed."""
    closure = closure_here_or_404(closure_id)
    school = my_school()
    context = {
        "school": school,
        "closure_id": closure.id,
        "closure_text": closure_when(closure, school.timezone),
        "closure_note": localized_text(closure, "note"),
        "closure_scope": localized_name(closure.facility)
        if closure.facility
        else _("The whole school"),
        "closure_reason": labels.CLOSURE_REASONS[closure.reason],
    }
    try:
        done = preview_or_apply(
            lambda now: supply.lift_closure(db.session, closure, actor=current_user, now=now),
            None,
            supply.closure_reason(closure.reason, closure.note, closure.note_en),
            "staff/closure_lift.html",
            done_message=lambda report: ngettext(
                "Closure lifted: %(num)d slot reopened.",
                "Closure lifted: %(num)d slots reopened.",
                report.opened,
            ),
            **context,
        )
    except DomainError as error:
        return refuse_and_return(error, url_for("staff.closures"))
    if done is not None:
        return done
    return redirect(url_for("staff.closures"))


@staff_required
def policy(facility_id: int) -> Any:
    facility = facility_here_or_404(facility_id)
    row = facility.policy or BookingPolicy(facility_id=facility.id)
    form = PolicyForm(obj=row)
    if request.method == "GET":
        form.verified_only.data = {None: "", True: "yes", False: "no"}[row.verified_only]
    if form.validate_on_submit():
        for name in (
            "advance_days",
            "release_time",
            "cancel_deadline_minutes",
            "max_active_bookings",
            "max_weekly_per_kind",
            "waitlist_offer_minutes",
            "max_party",
        ):
            setattr(row, name, getattr(form, name).data)
        row.verified_only = {"": None, "yes": True, "no": False}[form.verified_only.data]
        db.session.add(row)
        db.session.flush()
        moved = supply.apply_release_policy(db.session, facility, utcnow())
        supply.audit.record(
            db.session,
            actor=current_user,
            action="policy.change",
            target_type="facility",
            target_id=facility.id,
            school_id=facility.school_id,
            now=utcnow(),
            details={"slots_rescheduled": moved},
        )
        db.session.commit()
        flash(_("Booking rules saved."), "success")
        return redirect(url_for("staff.facilities"))
    status = 400 if form.is_submitted() else 200
    return render_template("staff/policy.html", form=form, facility=facility), status


def chosen_facility() -> Facility | None:
    """?facility=ID of the calendar: one of the school's own facilities, or all
    (blank). Anything else, another school's included, is not found (rule 5)."""
    raw = request.args.get("facility", "").strip()
    if not raw:
        return None
    facility_id = whole_number(raw)
    if facility_id is None:
        abort(404)
    return facility_here_or_404(facility_id)


@staff_required
def calendar() -> Any:
    """The school's week: per day how full each facility is, with its bookings;
    filtered to one facility, every slot's places booked of its capacity."""
    school = my_school()
    facility = chosen_facility()
    tz = clock.zone(school.timezone)
    today = clock.local_date(utcnow(), tz)
    chosen = query_day("week", today) or today
    monday = clock.week_start(chosen)
    days = occupancy.week_occupancy(
        db.session,
        school.id,
        monday,
        school.timezone,
        facility_id=facility.id if facility else None,
    )
    facilities = db.session.scalars(
        sa.select(Facility).where(Facility.school_id == school.id).order_by(Facility.id)
    ).all()
    return render_template(
        "staff/calendar.html",
        school=school,
        days=days,
        facility=facility,
        facilities=facilities,
        monday=monday,
        today=today,
        previous_week=monday - timedelta(days=7),
        next_week=monday + timedelta(days=7),
    )


@staff_required
def visitor_terms() -> Any:
    """The school's visitor rules: the current version, and a new one to publish."""
    school = my_school()
    current = current_terms(db.session, school.id)
    form = TermsForm(obj=current)
    if form.validate_on_submit():
        try:
            published = terms.publish_terms(
                db.session,
                school,
                body=form.body.data,
                body_en=form.body_en.data,
                actor=current_user,
                now=utcnow(),
            )
        except DomainError as error:
            db.session.rollback()
            attach(form, error)
            return render_template(
                "staff/terms.html", school=school, current=current, form=form
            ), error.status
        db.session.commit()
        flash(
            _(
                "Version %(version)d published; residents accept it at their next booking.",
                version=published.version,
            ),
            "success",
        )
        return redirect(url_for("staff.visitor_terms"))
    status = 400 if form.is_submitted() else 200
    return render_template("staff/terms.html", school=school, current=current, form=form), status


def register(blueprint: Blueprint) -> None:
    """Running the school's facilities: facilities, opening rules, closures, policy, calendar."""
    blueprint.add_url_rule("/facilities", view_func=facilities)
    blueprint.add_url_rule("/facilities/new", view_func=new_facility, methods=["GET", "POST"])
    blueprint.add_url_rule(
        "/facilities/<int:facility_id>/edit", view_func=edit_facility, methods=["GET", "POST"]
    )
    blueprint.add_url_rule(
        "/facilities/<int:facility_id>/rules", view_func=rules, methods=["GET", "POST"]
    )
    blueprint.add_url_rule(
        "/rules/<int:rule_id>/edit", view_func=edit_rule, methods=["GET", "POST"]
    )
    blueprint.add_url_rule("/rules/<int:rule_id>/remove", view_func=remove_rule, methods=["POST"])
    blueprint.add_url_rule("/closures", view_func=closures, methods=["GET", "POST"])
    blueprint.add_url_rule(
        "/closures/<int:closure_id>/edit", view_func=edit_closure, methods=["GET", "POST"]
    )
    blueprint.add_url_rule(
        "/closures/<int:closure_id>/lift", view_func=lift_closure, methods=["POST"]
    )
    blueprint.add_url_rule(
        "/facilities/<int:facility_id>/policy", view_func=policy, methods=["GET", "POST"]
    )
    blueprint.add_url_rule("/calendar", view_func=calendar)
    blueprint.add_url_rule("/terms", view_func=visitor_terms, methods=["GET", "POST"])
