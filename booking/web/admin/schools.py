"""The district's schools: list, add, edit, suspend or reopen the programme,
and each school's visitor terms."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from booking.extensions import db
from booking.models import School, VisitorTerms
from booking.services import schools, terms
from booking.services.clock import utcnow
from booking.services.errors import DomainError, NotFound
from booking.web.admin.access import admin_required
from booking.web.admin.forms import ReasonForm, SchoolForm, SuspendSchoolForm
from booking.web.staff.manage import attach


def school_input(form: SchoolForm) -> schools.SchoolInput:
    return schools.SchoolInput(
        name=form.name.data,
        name_en=form.name_en.data,
        address=form.address.data or "",
        address_en=form.address_en.data,
        area=form.area.data or "",
        area_en=form.area_en.data,
        is_public=form.is_public.data,
        timezone=form.timezone.data,
        contact_name=form.contact_name.data,
        contact_phone=form.contact_phone.data,
    )


@admin_required
def school_list() -> str:
    rows = db.session.scalars(sa.select(School).order_by(School.code)).all()
    return render_template(
        "admin/schools.html", schools=rows, versions=terms.current_versions(db.session)
    )


@admin_required
def new_school() -> Any:
    form = SchoolForm()
    if form.validate_on_submit():
        try:
            school = schools.create_school(
                db.session, form.code.data, school_input(form), actor=current_user, now=utcnow()
            )
        except DomainError as error:
            db.session.rollback()
            attach(form, error)
            return render_template("admin/school_form.html", form=form, school=None), error.status
        db.session.commit()
        flash(_("School %(code)s added.", code=school.code), "success")
        return redirect(url_for("admin.school_list"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/school_form.html", form=form, school=None), status


@admin_required
def edit_school(code: str) -> Any:
    school = schools.school_by_code(db.session, code)
    form = SchoolForm(obj=school)
    del form.code
    if form.validate_on_submit():
        try:
            schools.update_school(
                db.session, school, school_input(form), actor=current_user, now=utcnow()
            )
        except DomainError as error:
            db.session.rollback()
            attach(form, error)
            return render_template("admin/school_form.html", form=form, school=school), error.status
        db.session.commit()
        flash(_("School saved."), "success")
        return redirect(url_for("admin.school_list"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/school_form.html", form=form, school=school), status


@admin_required
def suspend_school(code: str) -> Any:
    """GET lists the bookings the suspension affects; POST suspends, as chosen."""
    school = schools.school_by_code(db.session, code)
    form = SuspendSchoolForm()
    now = utcnow()
    affected = schools.affected_bookings(db.session, school, now)
    context = {"school": school, "form": form, "affected": affected}
    if form.validate_on_submit():
        try:
            done = schools.suspend_school(
                db.session,
                school,
                cancel_bookings=form.bookings.data == "cancel",
                reason=form.reason.data,
                actor=current_user,
                now=now,
            )
        except DomainError as error:
            db.session.rollback()
            attach(form, error)
            return render_template("admin/school_suspend.html", **context), error.status
        db.session.commit()
        flash(
            _(
                "The programme at %(code)s is suspended: %(cancelled)d bookings cancelled and "
                "their residents told, %(kept)d kept.",
                code=school.code,
                cancelled=len(done.cancelled),
                kept=len(done.kept),
            ),
            "success",
        )
        return render_template("admin/school_suspended.html", school=school, done=done)
    status = 400 if form.is_submitted() else 200
    return render_template("admin/school_suspend.html", **context), status


@admin_required
def reopen_school(code: str) -> Any:
    school = schools.school_by_code(db.session, code)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Give a reason."), "error")
        return redirect(url_for("admin.school_list"))
    try:
        schools.reopen_school(
            db.session, school, reason=form.reason.data, actor=current_user, now=utcnow()
        )
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("admin.school_list"))
    db.session.commit()
    flash(_("The programme at %(code)s is open again.", code=school.code), "success")
    return redirect(url_for("admin.school_list"))


@admin_required
def school_terms(code: str) -> str:
    school = schools.school_by_code(db.session, code)
    versions = db.session.scalars(
        sa.select(VisitorTerms)
        .where(VisitorTerms.school_id == school.id)
        .order_by(VisitorTerms.version.desc())
    ).all()
    shown = versions[0] if versions else None
    wanted = request.args.get("version", type=int)
    if wanted is not None:
        shown = next((v for v in versions if v.version == wanted), None)
        if shown is None:
            raise NotFound(_("This school has no such version of its visitor rules."))
    return render_template("admin/terms.html", school=school, versions=versions, shown=shown)


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/schools", view_func=school_list)
    blueprint.add_url_rule("/schools/new", view_func=new_school, methods=["GET", "POST"])
    blueprint.add_url_rule("/schools/<code>/edit", view_func=edit_school, methods=["GET", "POST"])
    blueprint.add_url_rule(
        "/schools/<code>/suspend", view_func=suspend_school, methods=["GET", "POST"]
    )
    blueprint.add_url_rule("/schools/<code>/reopen", view_func=reopen_school, methods=["POST"])
    blueprint.add_url_rule("/schools/<code>/terms", view_func=school_terms)
