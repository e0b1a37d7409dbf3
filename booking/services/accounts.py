"""Accounts: registering residents, creating staff, signing in, passwords,
ending sessions, recovering a forgotten password, deleting an account."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from booking.models import (
    ACTIVE_STATUSES,
    ApiToken,
    Booking,
    BookingStatus,
    Notice,
    Role,
    School,
    Slot,
    User,
    VerificationCode,
    WaitlistEntry,
    WaitlistStatus,
)
from booking.services import audit, passwords, privacy, throttle, verification
from booking.services.errors import (
    Conflict,
    DomainError,
    IdNumberTaken,
    NotFound,
    PhoneTaken,
    ValidationFailed,
)
from booking.services.identity import (
    hash_id_number,
    is_mainland_mobile,
    mask_id_number,
    normalise_phone,
)

MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH
RESET_LINK_SECONDS = 3600
RESET_SALT = "password-reset"
TOKENS_KEPT = timedelta(days=30)  # dead tokens stay listed on the account page this long


class SignInRefused(DomainError):
    """A wrong number or password, or an account locked after too many
    failures: the same answer, so a guesser learns nothing."""

    code = "invalid_credentials"
    status = 401
    default_message = _l("Wrong mobile number or password.")


class TooManyFailures(DomainError):
    code = "too_many_attempts"
    status = 429
    default_message = _l(
        "Too many failed attempts from your network. Please wait 15 minutes and try again."
    )


class WeakPassword(ValidationFailed):
    code = "weak_password"


class WrongPassword(ValidationFailed):
    code = "wrong_password"
    default_message = _l("This is not your current password.")


class ResetLinkInvalid(Conflict):
    code = "invalid_link"
    default_message = _l(
        "This link has expired or was already used. Ask for a new one on the "
        "“Forgot your password?” page."
    )


class NotErasable(Conflict):
    code = "forbidden"
    status = 403
    default_message = _l(
        "Staff and administrator accounts are deactivated by the district administrator."
    )


@dataclass(frozen=True)
class NewResident:
    real_name: str
    phone: str
    password: str
    email: str | None = None
    id_number: str | None = None
    privacy_version: int | None = None  # the privacy notice accepted


def find_by_phone(session: Session, phone: str) -> User | None:
    phone = normalise_phone(phone)
    if not is_mainland_mobile(phone):
        return None  # never a stored number; and odd bytes never reach the database
    return session.scalar(sa.select(User).where(User.phone == phone))


def check_new_password(password: str, phone: str | None) -> None:
    """Raises WeakPassword (on the `password` field)."""
    problem = passwords.password_problem(password, phone=phone)
    if problem is not None:
        raise WeakPassword(problem, field="password")


def register_resident(
    session: Session, new: NewResident, *, id_hash_key: str, now: datetime
) -> User:
    """Create a resident account who accepted the current privacy notice.
    Raises PrivacyNotAccepted, PrivacyNoticeChanged, PhoneTaken, IdNumberTaken, WeakPassword.

    Input is checked for form by the form or API schema before it gets here;
    this checks the password rule and what only the database knows.
    """
    accepted = privacy.check_accepted(session, new.privacy_version)
    phone = normalise_phone(new.phone)
    check_new_password(new.password, phone)
    if find_by_phone(session, phone) is not None:
        raise PhoneTaken(field="phone")
    user = User(
        role=Role.RESIDENT,
        privacy_version=accepted,
        privacy_accepted_at=now,
        real_name=new.real_name,
        phone=phone,
        email=new.email or None,
        password_hash=passwords.hash_password(new.password),
        password_changed_at=now,
        created_at=now,
    )
    if new.id_number:
        id_hash = hash_id_number(new.id_number, id_hash_key)
        if session.scalar(sa.select(User.id).where(User.id_number_hash == id_hash)):
            raise IdNumberTaken(field="id_number")
        user.id_number_hash = id_hash
        user.id_number_masked = mask_id_number(new.id_number)
    session.add(user)
    session.flush()
    return user


def create_staff_account(
    session: Session,
    *,
    role: Role,
    phone: str,
    real_name: str,
    password: str,
    school: School | None,
    now: datetime,
    actor: User | None = None,
) -> User:
    """Create a staff member (of `school`) or a district administrator; the
    command line and the district area both come here. `actor` None: a
    command run on the server. Raises PhoneTaken, WeakPassword."""
    phone = normalise_phone(phone)
    check_new_password(password, phone)
    if find_by_phone(session, phone) is not None:
        raise PhoneTaken(field="phone")
    user = User(
        role=role,
        real_name=real_name,
        phone=phone,
        password_hash=passwords.hash_password(password),
        password_changed_at=now,
        school=school,
        is_verified=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    if role != Role.RESIDENT:
        audit.record(
            session,
            actor=actor,
            action="account.created",
            target_type="user",
            target_id=user.id,
            school_id=user.school_id,
            now=now,
            details={"role": role.value},
        )
    return user


def sign_in(
    session: Session,
    counter: throttle.Counter,
    phone: str,
    password: str,
    *,
    address: str | None,
    now: datetime,
) -> User:
    """The active user with this number and password.

    Failures are counted per account and per address where every worker sees
    them: 10 in 15 minutes lock the account (whatever the address; the right
    password is refused too, with the same message), 30 from one address
    refuse that address. An older password hash is upgraded on success.
    Raises SignInRefused, TooManyFailures; the caller commits either way.
    """
    by_address = throttle.address(address)
    if throttle.is_exceeded(counter, throttle.LOGIN_PER_ADDRESS, by_address, now):
        raise TooManyFailures()
    user = find_by_phone(session, phone)
    if user is None or user.erased_at is not None:
        passwords.waste_time(password)
        throttle.note(counter, throttle.LOGIN_PER_ADDRESS, by_address, now)
        raise SignInRefused()
    by_account = throttle.account(user.id)
    locked = throttle.is_exceeded(counter, throttle.LOGIN_PER_ACCOUNT, by_account, now)
    right = passwords.verify(user.password_hash, password)
    if locked or not right or not user.is_active:
        throttle.note(counter, throttle.LOGIN_PER_ACCOUNT, by_account, now)
        throttle.note(counter, throttle.LOGIN_PER_ADDRESS, by_address, now)
        raise SignInRefused()
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    counter.clear(throttle.LOGIN_PER_ACCOUNT.scope, by_account)
    user.last_login_at = now
    return user


def sign_out(user: User) -> None:
    """Logging out ends every session and remember-me cookie of the account
    (API tokens stay: they are revoked on their own or by "sign out everywhere")."""
    user.session_version += 1


def end_sessions(session: Session, user: User, *, now: datetime) -> int:
    """End every session, remember-me cookie and API token of `user`, on every
    worker: the cookies carry the session counter this bumps. Returns the
    number of tokens revoked."""
    user.session_version += 1
    return revoke_tokens(session, user, now=now)


def revoke_tokens(session: Session, user: User, *, now: datetime) -> int:
    """Revoke every live API token of `user`; returns how many."""
    result = session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def set_password(session: Session, user: User, password: str, *, now: datetime) -> None:
    """Replace the password and end every session. Raises WeakPassword."""
    check_new_password(password, user.phone)
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = now
    end_sessions(session, user, now=now)


def change_password(session: Session, user: User, current: str, new: str, *, now: datetime) -> None:
    """Raises WrongPassword (on `current_password`), WeakPassword."""
    if not passwords.verify(user.password_hash, current):
        raise WrongPassword(field="current_password")
    if current == new:
        raise WeakPassword(
            _l("Choose a password different from the current one."), field="password"
        )
    set_password(session, user, new, now=now)
    audit.record(
        session,
        actor=user,
        action="account.password_changed",
        target_type="user",
        target_id=user.id,
        school_id=user.school_id,
        now=now,
    )


def update_profile(
    user: User, *, real_name: str | None, email: str | None, locale: str | None
) -> None:
    """Name (unless a school verified it), e-mail and language."""
    if real_name and not user.is_verified:
        user.real_name = real_name
    user.email = email or None
    if locale:
        user.locale = locale


def purge_dead_tokens(session: Session, now: datetime) -> int:
    """Delete tokens revoked or expired more than TOKENS_KEPT ago (a nightly job)."""
    cutoff = now - TOKENS_KEPT
    result = session.execute(
        sa.delete(ApiToken).where(
            sa.or_(ApiToken.expires_at < cutoff, ApiToken.revoked_at < cutoff)
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# Forgotten passwords


def reset_token(user: User, secret: str) -> str:
    """A signed link token; it dies when the password or the sessions change."""
    serializer = URLSafeTimedSerializer(secret, salt=RESET_SALT)
    return serializer.dumps({"user": user.id, "seal": _reset_seal(user)})


def _reset_seal(user: User) -> str:
    return f"{user.session_version}:{user.password_hash[-16:]}"


def user_for_reset_token(session: Session, token: str, secret: str) -> User:
    """The account a live reset link is for. Raises ResetLinkInvalid."""
    serializer = URLSafeTimedSerializer(secret, salt=RESET_SALT)
    try:
        data = serializer.loads(token, max_age=RESET_LINK_SECONDS)
    except (BadSignature, ValueError, TypeError) as error:
        raise ResetLinkInvalid() from error
    user_id = data.get("user") if isinstance(data, dict) else None
    user = session.get(User, user_id) if isinstance(user_id, int) and 0 < user_id < 2**31 else None
    if user is None or not user.is_active or data.get("seal") != _reset_seal(user):
        raise ResetLinkInvalid()
    return user


@dataclass(frozen=True)
class ResetRequest:
    """What to send for a reset request: nothing when the number has no account."""

    user: User | None
    code: str


def request_reset(
    session: Session,
    counter: throttle.Counter,
    phone: str,
    *,
    address: str | None,
    key: str,
    now: datetime,
) -> ResetRequest:
    """A reset code for the account with this number, if there is one. The
    limits count every number alike, so the answer is the same either way.
    Raises TooManyCodes."""
    phone = normalise_phone(phone)
    user = find_by_phone(session, phone)
    usable = user is not None and user.is_active and user.erased_at is None
    code = verification.issue(
        session,
        counter,
        purpose=verification.CodePurpose.RESET,
        phone=phone,
        address=address,
        key=key,
        now=now,
        store=usable,
    )
    return ResetRequest(user=user if usable else None, code=code)


def reset_with_code(
    session: Session,
    counter: throttle.Counter,
    *,
    phone: str,
    code: str,
    password: str,
    address: str | None,
    key: str,
    now: datetime,
) -> User:
    """Set a new password with a code sent by SMS; every session ends.
    Raises WrongCode, TooManyWrongCodes, WeakPassword."""
    phone = normalise_phone(phone)
    verification.consume(
        session,
        counter,
        purpose=verification.CodePurpose.RESET,
        phone=phone,
        code=code,
        address=address,
        key=key,
        now=now,
    )
    user = find_by_phone(session, phone)
    if user is None or not user.is_active:  # deactivated since the code was sent
        raise verification.WrongCode(field="code")
    reset_password(session, user, password, now=now)
    return user


def reset_password(session: Session, user: User, password: str, *, now: datetime) -> None:
    set_password(session, user, password, now=now)
    audit.record(
        session,
        actor=user,
        action="account.password_reset",
        target_type="user",
        target_id=user.id,
        school_id=user.school_id,
        now=now,
    )


# Deactivation and deletion


def deactivate(
    session: Session, user: User, *, actor: User | None, now: datetime, reason: str | None = None
) -> None:
    """An administrator closes a staff or resident account; its sessions end.
    Raises Conflict (already closed)."""
    if not user.is_active_account:
        raise Conflict(_l("This account is already deactivated."))
    user.is_active_account = False
    end_sessions(session, user, now=now)
    audit.record(
        session,
        actor=actor,
        action="account.deactivated",
        target_type="user",
        target_id=user.id,
        school_id=user.school_id,
        now=now,
        reason=reason or None,
    )


def change_role_or_school(
    session: Session,
    user: User,
    *,
    role: Role,
    school: School | None,
    actor: User | None,
    now: datetime,
    reason: str | None = None,
) -> None:
    """Move an account to another role or school; its sessions end.
    Raises NotFound (no school for a staff member), Conflict (no change)."""
    if school is None and role == Role.STAFF:
        raise NotFound(_l("There is no such school."), field="school")
    if user.role == role and user.school_id == (school.id if school else None):
        raise Conflict(_l("The account already has this role and school."), field="school")
    before = user.school_id
    user.role, user.school = role, school
    end_sessions(session, user, now=now)
    audit.record(
        session,
        actor=actor,
        action="account.moved",
        target_type="user",
        target_id=user.id,
        school_id=school.id if school else None,
        now=now,
        reason=reason or None,
        details={"role": role.value, "from_school_id": before},
    )


def issue_reset_by_admin(
    session: Session, user: User, *, secret: str, actor: User, now: datetime
) -> str:
    """An administrator resets a staff member's password: the old password
    stops working, every session ends, and the administrator hands over the
    returned token, a signed single-use set-password link that expires after
    RESET_LINK_SECONDS (the same link /auth/reset e-mails).
    Raises Conflict (a deactivated account)."""
    if not user.is_active:
        raise Conflict(_l("This account is deactivated; it cannot get a new password."))
    # A random password nobody knows: the old one dies now, not when the link is used.
    user.password_hash = passwords.hash_password(secrets.token_urlsafe(32))
    user.password_changed_at = now
    end_sessions(session, user, now=now)
    audit.record(
        session,
        actor=actor,
        action="account.reset_issued",
        target_type="user",
        target_id=user.id,
        school_id=user.school_id,
        now=now,
    )
    session.flush()
    return reset_token(user, secret)


@dataclass(frozen=True)
class Erasure:
    bookings_cancelled: int
    waitlist_left: int


def future_bookings(session: Session, user: User, now: datetime) -> list[Booking]:
    """The active bookings a deletion would cancel, soonest first."""
    return list(
        session.scalars(
            sa.select(Booking)
            .join(Slot, Booking.slot_id == Slot.id)
            .where(
                Booking.resident_id == user.id,
                Booking.status.in_(ACTIVE_STATUSES),
                Slot.ends_at > now,
            )
            .order_by(Slot.starts_at)
        )
    )


def delete_resident(session: Session, user: User, password: str, *, now: datetime) -> Erasure:
    """A resident deletes their account (PIPL art. 47).

    In one transaction: future bookings are cancelled (their places go back
    and the waitlist is served; staff see the reason), waitlist places are
    given up, and personal data is erased: name, phone, e-mail, ID number
    hash and mask, licence plates and organiser names, notices, tokens and
    codes. The bookings stay, without the person, so reports keep their
    counts. Raises WrongPassword, NotErasable.
    """
    from booking.services import bookings, waitlist

    if not user.is_resident:
        raise NotErasable()
    if not passwords.verify(user.password_hash, password):
        raise WrongPassword(field="password")
    bookings.lock_resident(session, user)
    cancelled = future_bookings(session, user, now)
    for booking in cancelled:
        released = bookings.transition(
            session, booking, BookingStatus.CANCELLED, actor=user, reason="account_deleted", now=now
        )
        if released:
            waitlist.offer_free_places(session, booking.slot, now)
    open_entries = session.scalars(
        sa.select(WaitlistEntry).where(
            WaitlistEntry.resident_id == user.id,
            WaitlistEntry.status.in_((WaitlistStatus.WAITING, WaitlistStatus.OFFERED)),
        )
    ).all()
    for entry in open_entries:
        waitlist.leave(session, entry, user, now=now)
    erase_personal_data(session, user, now=now)
    audit.record(
        session,
        actor=None,
        action="account.deleted",
        target_type="user",
        target_id=user.id,
        school_id=None,
        now=now,
        details={"bookings_cancelled": len(cancelled)},
    )
    return Erasure(bookings_cancelled=len(cancelled), waitlist_left=len(open_entries))


def erase_personal_data(session: Session, user: User, *, now: datetime) -> None:
    phone = user.phone
    session.execute(
        sa.update(Booking)
        .where(Booking.resident_id == user.id)
        .values(plate=None, organiser=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        sa.update(WaitlistEntry)
        .where(WaitlistEntry.resident_id == user.id)
        .values(details={})
        .execution_options(synchronize_session=False)
    )
    session.execute(sa.delete(Notice).where(Notice.user_id == user.id))
    session.execute(sa.delete(ApiToken).where(ApiToken.user_id == user.id))
    session.execute(sa.delete(VerificationCode).where(VerificationCode.phone == phone))
    user.real_name = ""
    user.phone = f"x{user.id:010d}"  # unique, and never a mobile number
    user.email = None
    user.id_number_hash = None
    user.id_number_masked = None
    user.password_hash = "!"  # noqa: S105 (matches no password: no hash looks like it)
    user.is_active_account = False
    user.locale = None
    user.session_version += 1
    user.erased_at = now
    session.flush()
