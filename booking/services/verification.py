"""Codes that prove a mobile number: six digits by SMS, for registration and
for a forgotten password.

A code is valid for 10 minutes and 5 tries, once; only a keyed hash of it is
stored. Asking for codes is limited per number and per address; the limits
count every number alike, registered or not, so the answers tell nothing.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from booking.models import VerificationCode
from booking.services import throttle
from booking.services.errors import DomainError, ValidationFailed

CODE_MINUTES = 10
CODE_TRIES = 5


class CodePurpose(enum.StrEnum):
    REGISTER = "register"
    RESET = "reset"


class TooManyCodes(DomainError):
    code = "too_many_codes"
    status = 429
    default_message = _l(
        "A code was sent to this number a moment ago, or too many codes were asked for. "
        "Please wait a few minutes before asking again."
    )


class WrongCode(ValidationFailed):
    code = "wrong_code"
    default_message = _l(
        "This code is wrong or has expired. Check the latest SMS, or ask for a new code."
    )


class TooManyWrongCodes(DomainError):
    code = "too_many_attempts"
    status = 429
    default_message = _l("Too many wrong codes from your network. Please wait 15 minutes.")


def code_hash(key: str, purpose: CodePurpose, phone: str, code: str) -> str:
    return hmac.new(key.encode(), f"{purpose}:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def issue(
    session: Session,
    counter: throttle.Counter,
    *,
    purpose: CodePurpose,
    phone: str,
    address: str | None,
    key: str,
    now: datetime,
    store: bool = True,
) -> str:
    """A new code for `phone`, counted against the limits. With `store` False
    (a number with no account, for a reset) the limits count it but no code
    is kept, so it can never be used. Raises TooManyCodes."""
    # A registration code and a reset code are counted apart.
    by_phone, by_address = throttle.phone(f"{purpose}:{phone}"), throttle.address(address)
    limits = [
        (throttle.CODE_SENT_PER_PHONE, by_phone),
        (throttle.CODES_PER_PHONE_HOUR, by_phone),
        (throttle.CODES_PER_ADDRESS, by_address),
    ]
    if any(throttle.is_exceeded(counter, limit, subject, now) for limit, subject in limits):
        raise TooManyCodes()
    for limit, subject in limits:
        throttle.note(counter, limit, subject, now)
    code = f"{secrets.randbelow(10**6):06d}"
    if store:
        session.add(
            VerificationCode(
                purpose=purpose.value,
                phone=phone,
                code_hash=code_hash(key, purpose, phone, code),
                created_at=now,
                expires_at=now + timedelta(minutes=CODE_MINUTES),
                attempts=0,
            )
        )
        session.flush()
    return code


def consume(
    session: Session,
    counter: throttle.Counter,
    *,
    purpose: CodePurpose,
    phone: str,
    code: str,
    address: str | None,
    key: str,
    now: datetime,
) -> None:
    """Use the newest live code of `phone`; a wrong guess spends one of its
    tries. Raises WrongCode, TooManyWrongCodes. The caller commits either way."""
    by_address = throttle.address(address)
    if throttle.is_exceeded(counter, throttle.WRONG_CODES_PER_ADDRESS, by_address, now):
        raise TooManyWrongCodes()
    live = session.scalar(
        sa.select(VerificationCode)
        .where(
            VerificationCode.phone == phone,
            VerificationCode.purpose == purpose.value,
            VerificationCode.used_at.is_(None),
            VerificationCode.expires_at > now,
            VerificationCode.attempts < CODE_TRIES,
        )
        .order_by(VerificationCode.created_at.desc(), VerificationCode.id.desc())
        .limit(1)
        .with_for_update()
    )
    typed = "".join(char for char in code if char.isascii() and char.isdigit())
    if live is None or not hmac.compare_digest(
        live.code_hash, code_hash(key, purpose, phone, typed)
    ):
        if live is not None:
            live.attempts += 1
        throttle.note(counter, throttle.WRONG_CODES_PER_ADDRESS, by_address, now)
        raise WrongCode(field="code")
    live.used_at = now


def purge(session: Session, now: datetime) -> int:
    """Forget codes a day after they expired (a nightly job)."""
    result = session.execute(
        sa.delete(VerificationCode).where(VerificationCode.expires_at < now - timedelta(days=1))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
