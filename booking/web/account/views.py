"""/account: profile, password, sessions, API tokens, deleting the account.

Every signed-in user has it; deleting is for residents (staff and
administrators are deactivated by the district administrator).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from booking.extensions import db
from booking.models import ApiToken
from booking.services import accounts
from booking.services.clock import utcnow
from booking.services.errors import DomainError
from booking.web.account.forms import DeleteForm, PasswordForm, ProfileForm
from booking.web.auth.sessions import end_session, start_session
from booking.web.auth.views import show_refusal

blueprint = Blueprint("account", __name__)
TOKENS_SHOWN = 50


def my_tokens() -> list[ApiToken]:
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == current_user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
            .limit(TOKENS_SHOWN)
        )
    )


def render_account(profile: ProfileForm | None = None, status: int = 200) -> tuple[str, int]:
    if profile is None:
        profile = ProfileForm(obj=current_user)
        profile.locale.data = current_user.locale or "zh_Hans"
    if current_user.is_verified:
        profile.real_name.render_kw = {"readonly": True}
        profile.real_name.description = _("A school verified this name; it cannot be changed here.")
    return render_template(
        "account/index.html", profile=profile, tokens=my_tokens(), now=utcnow()
    ), status


@blueprint.route("/account", methods=["GET", "POST"])
@login_required
def index() -> str | Response | tuple[str, int]:
    form = ProfileForm()
    if not form.is_submitted():
        return render_account()
    if form.validate():
        accounts.update_profile(
            current_user,
            real_name=form.real_name.data,
            email=form.email.data,
            locale=form.locale.data,
        )
        db.session.commit()
        flash(_("Your account is saved."), "success")
        return redirect(url_for("account.index"))
    return render_account(form, 400)


@blueprint.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> str | Response | tuple[str, int]:
    form = PasswordForm()
    if form.validate_on_submit():
        now = utcnow()
        try:
            accounts.change_password(
                db.session, current_user, form.current_password.data, form.password.data, now=now
            )
        except DomainError as error:
            db.session.rollback()
            show_refusal(form, error)
            return render_template("account/password.html", form=form), error.status
        db.session.commit()
        start_session(current_user, remember=False, now=now)  # this browser stays signed in
        flash(
            _(
                "Your password is changed. Every other device signed in to the account is "
                "signed out."
            ),
            "success",
        )
        return redirect(url_for("account.index"))
    status = 400 if form.is_submitted() else 200
    return render_template("account/password.html", form=form), status


@blueprint.route("/account/sign-out-everywhere", methods=["POST"])
@login_required
def sign_out_everywhere() -> Response:
    accounts.end_sessions(db.session, current_user, now=utcnow())
    db.session.commit()
    end_session()
    flash(
        _("You are signed out on every device, and your API tokens are revoked. Log in again."),
        "info",
    )
    return redirect(url_for("auth.login"))


@blueprint.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int) -> Response:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
    flash(_("The token is revoked: apps using it are signed out."), "success")
    return redirect(url_for("account.index"))


@blueprint.route("/account/tokens/revoke-all", methods=["POST"])
@login_required
def revoke_all_tokens() -> Response:
    count = accounts.revoke_tokens(db.session, current_user, now=utcnow())
    db.session.commit()
    flash(_("%(count)d tokens revoked.", count=count), "success")
    return redirect(url_for("account.index"))


@blueprint.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete() -> str | Response | tuple[str, int]:
    now = utcnow()
    form = DeleteForm()
    if current_user.is_resident and form.validate_on_submit():
        try:
            erased = accounts.delete_resident(db.session, current_user, form.password.data, now=now)
        except DomainError as error:
            db.session.rollback()
            show_refusal(form, error)
            return render_delete(form, error.status)
        db.session.commit()
        end_session()
        flash(
            _(
                "Your account is deleted and your personal data erased. %(count)d bookings "
                "were cancelled.",
                count=erased.bookings_cancelled,
            ),
            "info",
        )
        return redirect(url_for("public.home"))
    return render_delete(form, 400 if form.is_submitted() else 200)


def render_delete(form: DeleteForm, status: int) -> tuple[str, int]:
    cancelled = (
        accounts.future_bookings(db.session, current_user, utcnow())
        if current_user.is_resident
        else []
    )
    return render_template("account/delete.html", form=form, cancelled=cancelled), status
