"""Register, log in, log out, and recover a forgotten password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from booking.extensions import db, limiter
from booking.models import User
from booking.services import accounts, privacy, verification
from booking.services.clock import utcnow
from booking.services.errors import DomainError
from booking.services.sms import masked
from booking.web.auth import delivery
from booking.web.auth.forms import (
    LoginForm,
    RegisterForm,
    ResetCodeForm,
    ResetLinkForm,
    ResetRequestForm,
)
from booking.web.auth.sessions import client_address, end_session, failure_counter, start_session

blueprint = Blueprint("auth", __name__)
RESET_PHONE = "reset_phone"
# Refusals that must be committed: a wrong code spends one of its tries.
CODE_REFUSALS = (verification.WrongCode, verification.TooManyWrongCodes)


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (no open redirects)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or not target.isprintable():
        return None
    return target


def home_for(user: User) -> str:
    if user.is_admin:
        return url_for("admin.home")
    return url_for("staff.home") if user.is_staff else url_for("public.home")


def show_refusal(form: object, error: DomainError) -> None:
    field = getattr(form, error.field or "", None)
    if field is not None:
        field.errors = [*field.errors, str(error.message)]
    else:
        form.form_errors.append(str(error.message))  # type: ignore[attr-defined]


@blueprint.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_REGISTER"], methods=["POST"])
def register() -> str | Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("public.home"))
    form = RegisterForm()
    verify_phone = current_app.config["SMS_VERIFY_REGISTRATION"]
    if not verify_phone:
        del form.sms_code
    elif request.method == "POST" and request.form.get("action") == "send_code":
        return send_registration_code(form)
    if form.validate_on_submit():
        try:
            privacy.check_accepted(db.session, form.accepted_privacy_version())
            user = create_resident(form, verify_phone)
        except CODE_REFUSALS as error:
            db.session.commit()  # a wrong code spends a try
            show_refusal(form, error)
            return render_register(form, error.status)
        except DomainError as error:
            db.session.rollback()
            show_refusal(form, error)
            return render_register(form, error.status)
        if user.locale is None:
            user.locale = str(get_locale())
        db.session.commit()
        start_session(user, remember=False, now=utcnow())
        flash(_("Welcome, %(name)s. Your account is ready.", name=user.real_name), "success")
        return redirect(safe_next(request.args.get("next")) or url_for("public.home"))
    return render_register(form, 400 if form.is_submitted() else 200)


def create_resident(form: RegisterForm, verify_phone: bool) -> User:
    now = utcnow()
    if verify_phone:
        verification.consume(
            db.session,
            failure_counter(),
            purpose=verification.CodePurpose.REGISTER,
            phone=form.phone.data,
            code=form.sms_code.data or "",
            address=client_address(),
            key=current_app.config["SECRET_KEY"],
            now=now,
        )
    new = accounts.NewResident(
        real_name=form.real_name.data,
        phone=form.phone.data,
        password=form.password.data,
        email=form.email.data or None,
        id_number=form.id_number.data or None,
        privacy_version=form.accepted_privacy_version(),
    )
    return accounts.register_resident(
        db.session, new, id_hash_key=current_app.config["ID_HASH_KEY"], now=now
    )


def send_registration_code(form: RegisterForm) -> str | tuple[str, int]:
    """The "Send code" button: only the mobile number needs to be right."""
    if not form.phone.validate(form):
        return render_register(form, 400)
    phone = form.phone.data
    try:
        if accounts.find_by_phone(db.session, phone) is not None:
            raise accounts.PhoneTaken(field="phone")
        code = verification.issue(
            db.session,
            failure_counter(),
            purpose=verification.CodePurpose.REGISTER,
            phone=phone,
            address=client_address(),
            key=current_app.config["SECRET_KEY"],
            now=utcnow(),
        )
    except DomainError as error:
        db.session.rollback()
        show_refusal(form, error)
        return render_register(form, error.status)
    db.session.commit()
    delivery.send_code(phone, code)
    flash(_("We sent a 6-digit code to %(phone)s.", phone=masked(phone)), "info")
    return render_register(form, 200)


def render_register(form: RegisterForm, status: int) -> tuple[str, int]:
    notice = privacy.current(db.session)
    form.privacy_version.data = str(notice.version)
    return render_template("auth/register.html", form=form, privacy_notice=notice), status


@blueprint.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def login() -> str | Response | tuple[str, int]:
    form = LoginForm()
    if form.validate_on_submit():
        now = utcnow()
        try:
            user = accounts.sign_in(
                db.session,
                failure_counter(),
                form.phone.data,
                form.password.data,
                address=client_address(),
                now=now,
            )
        except DomainError as error:
            db.session.commit()  # the failure counts, on every worker
            form.form_errors.append(str(error.message))
            status = 429 if error.status == 429 else 400
            return render_template("auth/login.html", form=form), status
        if user.locale is None:
            user.locale = str(get_locale())
        db.session.commit()
        start_session(user, remember=form.remember.data, now=now)
        flash(_("You are logged in."), "success")
        return redirect(safe_next(request.args.get("next")) or home_for(user))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@blueprint.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    accounts.sign_out(current_user)
    db.session.commit()
    end_session()
    flash(_("You are logged out."), "info")
    return redirect(url_for("public.home"))


# A forgotten password: a code by SMS, or a link by e-mail.


@blueprint.route("/reset", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_REGISTER"], methods=["POST"])
def reset() -> str | Response | tuple[str, int]:
    form = ResetRequestForm()
    if form.validate_on_submit():
        phone = form.phone.data
        try:
            sent = accounts.request_reset(
                db.session,
                failure_counter(),
                phone,
                address=client_address(),
                key=current_app.config["SECRET_KEY"],
                now=utcnow(),
            )
        except DomainError as error:
            db.session.rollback()
            form.phone.errors = [str(error.message)]
            return render_template("auth/reset.html", form=form), error.status
        db.session.commit()
        if sent.user is not None:
            delivery.send_code(phone, sent.code)
            delivery.send_reset_link(sent.user)
        session[RESET_PHONE] = phone
        flash(
            _(
                "If %(phone)s has an account, we sent it a 6-digit code by SMS (and a link to "
                "the account's e-mail address, if it has one).",
                phone=masked(phone),
            ),
            "info",
        )
        return redirect(url_for("auth.reset_with_code"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/reset.html", form=form), status


@blueprint.route("/reset/code", methods=["GET", "POST"])
def reset_with_code() -> str | Response | tuple[str, int]:
    phone = session.get(RESET_PHONE)
    if not isinstance(phone, str):
        return redirect(url_for("auth.reset"))
    form = ResetCodeForm()
    if form.validate_on_submit():
        try:
            accounts.reset_with_code(
                db.session,
                failure_counter(),
                phone=phone,
                code=form.code.data,
                password=form.password.data,
                address=client_address(),
                key=current_app.config["SECRET_KEY"],
                now=utcnow(),
            )
        except CODE_REFUSALS as error:
            db.session.commit()  # a wrong code spends a try
            show_refusal(form, error)
            return render_reset_code(form, phone, error.status)
        except DomainError as error:
            db.session.rollback()
            show_refusal(form, error)
            return render_reset_code(form, phone, error.status)
        db.session.commit()
        return password_was_reset()
    return render_reset_code(form, phone, 400 if form.is_submitted() else 200)


def render_reset_code(form: ResetCodeForm, phone: str, status: int) -> tuple[str, int]:
    return render_template("auth/reset_code.html", form=form, phone=masked(phone)), status


@blueprint.route("/reset/<token>", methods=["GET", "POST"])
def reset_with_link(token: str) -> str | Response | tuple[str, int]:
    try:
        user = accounts.user_for_reset_token(db.session, token, current_app.config["SECRET_KEY"])
    except DomainError as error:
        return render_template("errors/error.html", status=400, message=error.message), 400
    form = ResetLinkForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(db.session, user, form.password.data, now=utcnow())
        except DomainError as error:
            db.session.rollback()
            show_refusal(form, error)
            return render_template("auth/reset_link.html", form=form), error.status
        db.session.commit()
        return password_was_reset()
    status = 400 if form.is_submitted() else 200
    return render_template("auth/reset_link.html", form=form), status


def password_was_reset() -> Response:
    end_session()
    flash(
        _("Your password is changed and every earlier login has ended. Log in with it now."),
        "success",
    )
    return redirect(url_for("auth.login"))
