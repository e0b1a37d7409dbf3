"""Register, log in, log out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from booking.extensions import db, limiter, login_manager
from booking.models import User
from booking.services import accounts
from booking.services.clock import utcnow
from booking.services.errors import DomainError
from booking.web.auth.forms import LoginForm, RegisterForm

blueprint = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    return db.session.get(User, int(user_id))


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (no open redirects)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def home_for(user: User) -> str:
    return url_for("staff.home") if user.is_staff else url_for("public.home")


@blueprint.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_REGISTER"], methods=["POST"])
def register() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("public.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        new = accounts.NewResident(
            real_name=form.real_name.data,
            phone=form.phone.data,
            password=form.password.data,
            email=form.email.data or None,
            id_number=form.id_number.data or None,
        )
        try:
            user = accounts.register_resident(
                db.session, new, id_hash_key=current_app.config["ID_HASH_KEY"], now=utcnow()
            )
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field or "phone").errors.append(str(error.message))
            return render_template("auth/register.html", form=form), error.status
        user.locale = str(get_locale())  # notices are written in it
        db.session.commit()
        login_user(user)
        flash(_("Welcome, %(name)s. Your account is ready.", name=user.real_name), "success")
        return redirect(url_for("public.home"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/register.html", form=form), status


@blueprint.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def login() -> str | Response:
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(db.session, form.phone.data, form.password.data, now=utcnow())
        if user is not None:
            user.locale = str(get_locale())
            db.session.commit()
            login_user(user, remember=form.remember.data)
            flash(_("You are logged in."), "success")
            return redirect(safe_next(request.args.get("next")) or home_for(user))
        form.form_errors.append(_("Wrong mobile number or password."))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@blueprint.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("public.home"))
