"""Signed-in sessions that end when they should (DESIGN rule 11).

The session cookie and the remember-me cookie carry the account's session
counter and when it signed in (`User.session_token`). Logging out, changing
or resetting the password, "sign out everywhere", deactivation and a change
of role or school bump the counter, so every cookie issued before stops
working on every worker; nothing is kept in a process. Remember-me lasts
30 days at most, however the cookie was kept.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app, request, session
from flask_login import login_user, logout_user

from booking.extensions import db
from booking.models import User
from booking.services import throttle
from booking.services.clock import utcnow

REMEMBER_FOR = timedelta(days=30)


def start_session(user: User, *, remember: bool, now: datetime) -> None:
    """Sign `user` in on a fresh session (nothing of the one before is kept,
    and a remember-me cookie of an earlier login goes unless asked for again)."""
    session.clear()
    user.signed_in_at = now
    login_user(user, remember=remember, duration=REMEMBER_FOR)
    if not remember and current_app.config["REMEMBER_COOKIE_NAME"] in request.cookies:
        session["_remember"] = "clear"


def end_session() -> None:
    """Forget the session here, and the remember-me cookie with it."""
    session.clear()
    logout_user()


def load_user(token: str) -> User | None:
    """The account a cookie names, if the cookie is still good."""
    parts = token.split(":")
    if len(parts) != 4 or not all(part.isascii() and part.isalnum() for part in parts):
        return None
    if not all(part.isdigit() for part in parts[:3]):
        return None
    user_id, version, issued = (int(part) for part in parts[:3])
    if user_id >= 2**31:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or user.session_version != version:
        return None
    signed_in = datetime.fromtimestamp(issued, UTC)
    if not signed_in <= utcnow() < signed_in + REMEMBER_FOR:
        return None
    user.signed_in_at = signed_in
    return user


def failure_counter() -> throttle.Counter:
    """Where failed attempts are counted: Redis when the rate limits use it,
    else this request's database session."""
    shared: throttle.Counter | None = current_app.extensions.get("failure_counter")
    return shared if shared is not None else throttle.DatabaseCounter(db.session)


def client_address() -> str | None:
    return request.remote_addr
