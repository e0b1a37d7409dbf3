"""People in the district area: staff accounts (create, reset a password,
deactivate, move to another school) and residents (find, verify, suspend,
lift a suspension, their booking history)."""

from __future__ import annotations

import secrets
from datetime import time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from booking.extensions import db
from booking.models import Role, School, User
from booking.services import accounts, clock, residents
from booking.services.clock import utcnow
from booking.services.errors import DomainError
from booking.web.admin.access import admin_required
from booking.web.admin.forms import (
    MoveStaffForm,
    ReasonForm,
    ResidentSearchForm,
    StaffForm,
    SuspendResidentForm,
)
from booking.web.errors import refuse_and_return
from booking.web.staff.manage import attach


def school_choices() -> list[SelectChoice]:
    rows = db.session.scalars(sa.select(School).order_by(School.code)).all()
    return [SelectChoice(s.id, f"{s.code} · {s.name}") for s in rows]


def staff_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id) if 0 < user_id < 2**31 else None
    if user is None or user.role != Role.STAFF:
        abort(404)
    return user


def reset_link(user: User) -> str:
    token = accounts.reset_token(user, current_app.config["SECRET_KEY"])
    return url_for("auth.reset_with_link", token=token, _external=True)


@admin_required
def staff_list() -> str:
    rows = db.session.scalars(
        sa.select(User)
        .where(User.role == Role.STAFF)
        .options(joinedload(User.school))
        .order_by(User.school_id, User.real_name)
    ).all()
    return render_template("admin/staff.html", staff=rows)


@admin_required
def new_staff() -> Any:
    form = StaffForm()
    form.school.choices = school_choices()
    if form.validate_on_submit():
        try:
            user = accounts.create_staff_account(
                db.session,
                role=Role.STAFF,
                phone=form.phone.data,
                real_name=form.real_name.data,
                # Nobody knows it: the staff member sets their own with the link below.
                password=secrets.token_urlsafe(24),
                school=db.session.get(School, form.school.data),
                actor=current_user,
                now=utcnow(),
            )
        except DomainError as error:
            db.session.rollback()
            attach(form, error)
            return render_template("admin/staff_form.html", form=form), error.status
        db.session.commit()
        flash(_("Account created. Hand over the link below."), "success")
        return render_template("admin/staff_link.html", user=user, link=reset_link(user))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/staff_form.html", form=form), status


@admin_required
def staff_detail(user_id: int) -> Any:
    user = staff_or_404(user_id)
    form = MoveStaffForm()
    form.school.choices = school_choices()
    if not form.is_submitted():
        form.school.data = user.school_id
    if form.validate_on_submit():
        try:
            accounts.change_role_or_school(
                db.session,
                user,
                role=Role.STAFF,
                school=db.session.get(School, form.school.data),
                actor=current_user,
                now=utcnow(),
                reason=form.reason.data,
            )
        except DomainError as error:
            db.session.rollback()
            attach(form, error)
            return render_template(
                "admin/staff_detail.html", user=user, form=form, reason_form=ReasonForm()
            ), error.status
        db.session.commit()
        flash(_("Moved to %(school)s; their sessions ended.", school=user.school.code), "success")
        return redirect(url_for("admin.staff_detail", user_id=user.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "admin/staff_detail.html", user=user, form=form, reason_form=ReasonForm()
    ), status


@admin_required
def reset_staff_password(user_id: int) -> Any:
    user = staff_or_404(user_id)
    try:
        token = accounts.issue_reset_by_admin(
            db.session,
            user,
            secret=current_app.config["SECRET_KEY"],
            actor=current_user,
            now=utcnow(),
        )
    except DomainError as error:
        return refuse_and_return(error, url_for("admin.staff_detail", user_id=user.id))
    db.session.commit()
    link = url_for("auth.reset_with_link", token=token, _external=True)
    flash(_("The old password no longer works and every session ended."), "success")
    return render_template("admin/staff_link.html", user=user, link=link)


@admin_required
def deactivate_staff(user_id: int) -> Any:
    user = staff_or_404(user_id)
    form = ReasonForm()
    back = url_for("admin.staff_detail", user_id=user.id)
    if not form.validate_on_submit():
        flash(_("Give a reason."), "error")
        return redirect(back)
    try:
        accounts.deactivate(
            db.session, user, actor=current_user, now=utcnow(), reason=form.reason.data
        )
    except DomainError as error:
        return refuse_and_return(error, back)
    db.session.commit()
    flash(_("Account deactivated; its sessions ended."), "success")
    return redirect(back)


@admin_required
def resident_list() -> Any:
    form = ResidentSearchForm(formdata=request.args)
    found: list[User] | None = None
    status = 200
    if form.q.data and not form.validate():
        status = 400
    elif form.q.data:
        try:
            found = residents.find_residents(db.session, form.q.data)
        except DomainError as error:
            attach(form, error)
            status = error.status
    return render_template("admin/residents.html", form=form, found=found, now=utcnow()), status


def render_resident(resident: User, status: int = 200, **forms: Any) -> tuple[str, int]:
    context = {
        "suspend_form": forms.get("suspend_form") or SuspendResidentForm(),
        "lift_form": forms.get("lift_form") or ReasonForm(prefix="lift"),
        "verify_form": forms.get("verify_form") or ReasonForm(prefix="verify"),
    }
    history = residents.booking_history(db.session, resident)
    return render_template(
        "admin/resident.html", resident=resident, history=history, now=utcnow(), **context
    ), status


@admin_required
def resident_detail(user_id: int) -> Any:
    return render_resident(residents.resident_or_404(db.session, user_id))


def act_on_resident(user_id: int, form: Any, form_name: str, action: Any, done: str) -> Any:
    resident = residents.resident_or_404(db.session, user_id)
    if form.validate_on_submit():
        try:
            action(resident)
        except DomainError as error:
            db.session.rollback()
            attach(form, error)
            return render_resident(resident, error.status, **{form_name: form})
        db.session.commit()
        flash(done, "success")
        return redirect(url_for("admin.resident_detail", user_id=resident.id))
    return render_resident(resident, 400, **{form_name: form})


@admin_required
def verify_resident(user_id: int) -> Any:
    form = ReasonForm(prefix="verify")
    return act_on_resident(
        user_id,
        form,
        "verify_form",
        lambda resident: residents.verify_resident(
            db.session, resident, reason=form.reason.data, actor=current_user, now=utcnow()
        ),
        _("Resident verified."),
    )


@admin_required
def suspend_resident(user_id: int) -> Any:
    form = SuspendResidentForm()

    def suspend(resident: User) -> None:
        # To the end of the chosen day, in the district's zone.
        tz = clock.zone(current_app.config["BOOKING_TIMEZONE"])
        until = clock.local_instant(form.until.data + timedelta(days=1), time(0), tz)
        residents.suspend_resident(
            db.session,
            resident,
            until=until,
            reason=form.reason.data,
            actor=current_user,
            now=utcnow(),
        )

    return act_on_resident(user_id, form, "suspend_form", suspend, _("Booking suspended."))


@admin_required
def lift_suspension(user_id: int) -> Any:
    form = ReasonForm(prefix="lift")
    return act_on_resident(
        user_id,
        form,
        "lift_form",
        lambda resident: residents.lift_suspension(
            db.session, resident, reason=form.reason.data, actor=current_user, now=utcnow()
        ),
        _("Suspension lifted."),
    )


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/staff", view_func=staff_list)
    blueprint.add_url_rule("/staff/new", view_func=new_staff, methods=["GET", "POST"])
    blueprint.add_url_rule("/staff/<int:user_id>", view_func=staff_detail, methods=["GET", "POST"])
    blueprint.add_url_rule(
        "/staff/<int:user_id>/reset", view_func=reset_staff_password, methods=["POST"]
    )
    blueprint.add_url_rule(
        "/staff/<int:user_id>/deactivate", view_func=deactivate_staff, methods=["POST"]
    )
    blueprint.add_url_rule("/residents", view_func=resident_list)
    blueprint.add_url_rule("/residents/<int:user_id>", view_func=resident_detail)
    blueprint.add_url_rule(
        "/residents/<int:user_id>/verify", view_func=verify_resident, methods=["POST"]
    )
    blueprint.add_url_rule(
        "/residents/<int:user_id>/suspend", view_func=suspend_resident, methods=["POST"]
    )
    blueprint.add_url_rule(
        "/residents/<int:user_id>/lift", view_func=lift_suspension, methods=["POST"]
    )
