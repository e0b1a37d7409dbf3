"""Who is calling the API: a bearer token, or the pages' session cookie.

Tokens are random and stored only as their SHA-256, so a copy of the table
lets nobody in. Checking one is a single indexed lookup joined to its user.
A cookie is sent by the browser on its own, so an unsafe request made with
one must also carry the page's CSRF token in a header.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache, wraps
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from flask import g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from sqlalchemy.orm import Session, contains_eager
from wtforms import ValidationError

from booking.extensions import db
from booking.models import ApiToken, User
from booking.models.types import UtcDateTime
from booking.services.clock import utcnow
from booking.services.errors import DomainError

TOKEN_LIFETIME = timedelta(days=30)
# How stale last_used_at may get: a write on every request would cost more than it tells.
LAST_USED_PRECISION = timedelta(hours=1)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADERS = ("X-CSRFToken", "X-CSRF-Token")

View = TypeVar("View", bound=Callable[..., Any])


class NotAuthenticated(DomainError):
    code = "unauthorized"
    status = 401
    default_message = _l("Log in, or send an API token in the Authorization header.")


class InvalidToken(NotAuthenticated):
    code = "invalid_token"
    default_message = _l("This API token is not valid, has expired or was revoked.")


class WrongCredentials(NotAuthenticated):
    code = "invalid_credentials"
    default_message = _l("Wrong mobile number or password.")


class CsrfRefused(DomainError):
    code = "csrf"
    status = 403
    default_message = _l(
        "Requests made with the session cookie must send the page's CSRF token "
        "in the X-CSRFToken header."
    )


class ResidentsOnly(DomainError):
    code = "forbidden"
    status = 403
    default_message = _l("Only resident accounts can book, cancel or join a waitlist.")


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(session: Session, user: User, *, now: datetime) -> tuple[str, ApiToken]:
    """A new token for `user`: the raw value (shown once) and its row."""
    raw = secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        token_hash=hash_token(raw),
        created_at=now,
        expires_at=now + TOKEN_LIFETIME,
        last_used_at=now,
    )
    session.add(token)
    session.flush()
    return raw, token


def find_token(session: Session, raw: str, *, now: datetime) -> ApiToken | None:
    """The live token with this value, its user loaded; None when it is unknown,
    expired or revoked, or its user is deactivated."""
    return session.scalar(_token_statement(), {"token_hash": hash_token(raw), "now": now})


@cache
def _token_statement() -> sa.Select[tuple[ApiToken]]:
    """Built once: every API request reads its token with it."""
    return (
        sa.select(ApiToken)
        .join(ApiToken.user)
        .options(contains_eager(ApiToken.user))
        .where(
            ApiToken.token_hash == sa.bindparam("token_hash"),
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > sa.bindparam("now", type_=UtcDateTime()),
            User.is_active_account,
        )
    )


def revoke_token(token: ApiToken, *, now: datetime) -> None:
    token.revoked_at = now


def note_use(session: Session, token: ApiToken, *, now: datetime) -> None:
    """Record that the token is in use, at most once per LAST_USED_PRECISION.
    Committed on its own so that a request refused later still counts."""
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_PRECISION:
        return
    token_id = token.id
    session.commit()  # end the read, so SQLite takes its write lock afresh
    session.execute(sa.update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    session.commit()


def bearer_credentials() -> str | None:
    """The token of an `Authorization: Bearer` header; None without the header.
    Raises InvalidToken for another scheme or an empty token."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise InvalidToken()
    return credentials.strip()


def check_csrf() -> None:
    token = next((request.headers[name] for name in CSRF_HEADERS if name in request.headers), None)
    try:
        validate_csrf(token)
    except ValidationError as error:
        raise CsrfRefused() from error


def authenticate() -> User | None:
    """The caller, once per request: the bearer token's user when the header is
    sent (an invalid token is refused, never ignored), else the session's user.
    Raises InvalidToken, CsrfRefused."""
    if "api_user" in g:
        return cast(User | None, g.api_user)
    g.api_token = None
    raw = bearer_credentials()
    if raw is not None:
        now = utcnow()
        token = find_token(db.session, raw, now=now)
        if token is None:
            raise InvalidToken()
        note_use(db.session, token, now=now)
        g.api_token, g.api_user = token, token.user
        return token.user
    user = current_user._get_current_object() if current_user.is_authenticated else None
    if user is not None and not user.is_active:
        user = None
    if user is not None and request.method not in SAFE_METHODS:
        check_csrf()
    g.api_user = user
    return cast(User | None, user)


def caller() -> User:
    """The authenticated caller of a view behind `resident_required` or `token_required`."""
    return cast(User, g.api_user)


def resident_required(view: View) -> View:
    """Residents only: staff and administrators book nothing (403)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        user = authenticate()
        if user is None:
            raise NotAuthenticated()
        if not user.is_resident:
            raise ResidentsOnly()
        return view(*args, **kwargs)

    return cast(View, wrapper)


def login_required(view: View) -> View:
    """Any signed-in account (a token or the session cookie)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if authenticate() is None:
            raise NotAuthenticated()
        return view(*args, **kwargs)

    return cast(View, wrapper)


def token_required(view: View) -> View:
    """Bearer token only: for what acts on the token itself."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if request.headers.get("Authorization") is None:
            raise NotAuthenticated()
        authenticate()
        return view(*args, **kwargs)

    return cast(View, wrapper)


def current_token() -> ApiToken:
    return cast(ApiToken, g.api_token)


def current_token_or_none() -> ApiToken | None:
    return cast(ApiToken | None, g.get("api_token"))
