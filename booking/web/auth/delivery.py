"""Sending what proves who you are: SMS codes and reset links by e-mail.

Both go out after the request's commit. A failure is logged (never the
number or address) and not shown: the answer must not say whether a number
has an account.
"""

from __future__ import annotations

import logging

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from booking.models import User
from booking.services import accounts
from booking.services.notices import DEFAULT_LOCALE, smtp_sender
from booking.services.sms import SmsSender, sender_from_config
from booking.services.verification import CODE_MINUTES

log = logging.getLogger("booking.delivery")


def sms_sender() -> SmsSender:
    """The provider of `SMS_PROVIDER`, built once per app."""
    sender: SmsSender | None = current_app.extensions.get("sms_sender")
    if sender is None:
        sender = sender_from_config(current_app.config)
        current_app.extensions["sms_sender"] = sender
    return sender


def send_code(phone: str, code: str) -> None:
    try:
        sms_sender().send_code(phone, code, CODE_MINUTES)
    except Exception:  # noqa: BLE001 (the provider's failure must not reach the visitor)
        log.exception("A verification SMS could not be sent")


def send_reset_link(user: User) -> None:
    """E-mail a reset link to an account that has an address, when mail is set up."""
    config = current_app.config
    if not user.email or not config.get("MAIL_SERVER"):
        return
    link = url_for(
        "auth.reset_with_link",
        token=accounts.reset_token(user, config["SECRET_KEY"]),
        _external=True,
    )
    with force_locale(user.locale or DEFAULT_LOCALE):
        subject = _("Reset your campus-share password")
        body = _(
            "Someone, probably you, asked to reset the password of your campus-share account. "
            "Open this link within an hour to choose a new password:\n\n%(link)s\n\n"
            "If it was not you, ignore this message: your password stays as it is.",
            link=link,
        )
    send = smtp_sender(
        config["MAIL_SERVER"],
        config["MAIL_PORT"],
        config["MAIL_SENDER"],
        username=config.get("MAIL_USERNAME"),
        password=config.get("MAIL_PASSWORD"),
        tls=config.get("MAIL_USE_TLS", False),
    )
    try:
        send(user.email, subject, body)
    except Exception:  # noqa: BLE001 (as for SMS: logged, not shown)
        log.exception("A password-reset e-mail could not be sent")
