"""Accounts with the database: throttling that every worker shares, one
identity one account, argon2id, and deleting an account."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from booking import create_app
from booking.extensions import db
from booking.models import (
    AuditEvent,
    Booking,
    BookingStatus,
    Notice,
    Slot,
    User,
    WaitlistEntry,
    WaitlistStatus,
)
from booking.services import accounts, throttle, waitlist
from booking.services.bookings import BookingRequest, book
from booking.services.errors import IdNumberTaken, PhoneTaken
from booking.services.policy import Policy
from tests.conftest import NOW, PASSWORD

VALID_ID = "11010519491231002X"
POLICY = Policy()


def new_resident(db_session, phone="13912345678", id_number=None, password=PASSWORD):
    return accounts.register_resident(
        db_session,
        accounts.NewResident(
            real_name="李明", phone=phone, password=password, id_number=id_number, privacy_version=1
        ),
        id_hash_key="key",
        now=NOW,
    )


# One identity, one account


@pytest.mark.parametrize(
    "spelling",
    [
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width
        "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X",  # Arabic-Indic
        "110105 19491231 002x",
    ],
)
def test_an_id_number_in_other_digits_is_the_same_id(db_session, spelling):
    new_resident(db_session, id_number=VALID_ID)
    from booking.services.identity import normalise_id_number

    with pytest.raises(IdNumberTaken):
        new_resident(db_session, phone="13912345679", id_number=normalise_id_number(spelling))


def test_a_look_alike_phone_is_the_same_account(db_session):
    user = new_resident(db_session, phone="13７0000000１")
    assert user.phone == "13700000001"
    with pytest.raises(PhoneTaken):
        new_resident(db_session, phone="13700000001")
    counter = throttle.DatabaseCounter(db_session)
    signed = accounts.sign_in(db_session, counter, "13700000001", PASSWORD, address="a", now=NOW)
    assert signed.id == user.id


# Passwords


def test_passwords_are_hashed_with_argon2id_and_old_hashes_upgraded(db_session, make_user):
    user = make_user(phone="13912345678")
    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    user.password_hash = generate_password_hash(PASSWORD)  # as stored before
    db_session.flush()
    counter = throttle.DatabaseCounter(db_session)
    accounts.sign_in(db_session, counter, "13912345678", PASSWORD, address="a", now=NOW)
    assert user.password_hash.startswith("$argon2id$")
    accounts.sign_in(db_session, counter, "13912345678", PASSWORD, address="a", now=NOW)


def test_a_common_password_is_refused_at_every_door(db_session, make_school):
    with pytest.raises(accounts.WeakPassword):
        new_resident(db_session, password="password123")
    with pytest.raises(accounts.WeakPassword):
        accounts.create_staff_account(
            db_session,
            role=accounts.Role.ADMIN,
            phone="13800000009",
            real_name="教育局",
            password="1q2w3e4r5t",
            school=None,
            now=NOW,
        )


# Throttling


def attempt(counter, db_session, password, address, now=NOW):
    try:
        accounts.sign_in(db_session, counter, "13912345678", password, address=address, now=now)
    except accounts.SignInRefused:
        return "refused"
    except accounts.TooManyFailures:
        return "too many"
    return "in"


@pytest.fixture(params=["database", "redis"])
def counter(request, db_session):
    if request.param == "database":
        return throttle.DatabaseCounter(db_session)
    import redis

    client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
    client.flushdb()
    return throttle.RedisCounter(client)


def test_ten_failures_lock_the_account_whatever_the_address(db_session, make_user, counter):
    make_user(phone="13912345678")
    for n in range(10):
        assert attempt(counter, db_session, "wrong password!", f"198.51.100.{n}") == "refused"
    # the right password, from yet another address, is refused with the same answer
    assert attempt(counter, db_session, PASSWORD, "203.0.113.7") == "refused"
    still_locked = NOW + timedelta(minutes=14)
    assert attempt(counter, db_session, PASSWORD, "203.0.113.7", now=still_locked) == "refused"
    # the lock lasts 15 minutes from the last of ten failures (tries while locked count)
    after = still_locked + timedelta(minutes=15, seconds=1)
    assert attempt(counter, db_session, PASSWORD, "203.0.113.7", now=after) == "in"


def test_one_address_guessing_many_accounts_is_stopped(db_session, make_user, counter):
    make_user(phone="13912345678")
    for n in range(30):
        phone = f"139000{n:05d}"
        with contextlib.suppress(accounts.SignInRefused):
            accounts.sign_in(db_session, counter, phone, "guess", address="192.0.2.1", now=NOW)
    assert attempt(counter, db_session, PASSWORD, "192.0.2.1") == "too many"
    assert attempt(counter, db_session, PASSWORD, "192.0.2.2") == "in"


def test_failures_are_counted_where_every_worker_sees_them(database_url, tmp_path, monkeypatch):
    """Two app instances (two workers) on one database: failures on one lock
    the account on the other."""
    monkeypatch.setenv("BOOKING_INSTANCE_PATH", str(tmp_path / "instance"))
    workers = [create_app({"SQLALCHEMY_DATABASE_URI": database_url}) for _ in range(3)]
    with workers[0].app_context():
        db.create_all()
        new_resident(db.session)
        db.session.commit()
    clients = [worker.test_client() for worker in workers]
    wrong = {"phone": "13912345678", "password": "wrong password!"}
    for n in range(12):
        client = clients[n % 3]
        client.post("/auth/login", data=wrong, environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})
    right = {"phone": "13912345678", "password": PASSWORD}
    for client in clients:
        response = client.post("/auth/login", data=right, headers={"Accept-Language": "en"})
        assert response.status_code == 400
        assert "Wrong mobile number or password." in response.text
    for worker in workers:
        with worker.app_context():
            db.engine.dispose()


# Deleting an account


@pytest.fixture
def hall_and_slots(db_session, make_facility):
    facility = make_facility(capacity=1)
    slots = []
    for days in (2, 3):
        slot = Slot(
            facility_id=facility.id,
            starts_at=NOW + timedelta(days=days),
            ends_at=NOW + timedelta(days=days, hours=2),
            opens_at=NOW - timedelta(days=1),
            capacity=1,
        )
        db_session.add(slot)
        slots.append(slot)
    past = Slot(
        facility_id=facility.id,
        starts_at=NOW - timedelta(days=3),
        ends_at=NOW - timedelta(days=3) + timedelta(hours=2),
        opens_at=NOW - timedelta(days=10),
        capacity=1,
    )
    db_session.add(past)
    db_session.flush()
    return slots, past


def test_deleting_an_account_cancels_erases_and_keeps_counts(db_session, make_user, hall_and_slots):
    (first, second), past = hall_and_slots
    user = new_resident(db_session, id_number=VALID_ID)
    user.email = "li@example.com"
    waiting = make_user(phone="13912345670")
    booked = book(db_session, first.id, user, BookingRequest(), policy=POLICY, now=NOW)
    entry = waitlist.join(db_session, first.id, waiting, BookingRequest(), policy=POLICY, now=NOW)
    book(db_session, second.id, user, BookingRequest(), policy=POLICY, now=NOW)
    old = Booking(
        code="PAST01",
        slot_id=past.id,
        resident_id=user.id,
        places=1,
        status=BookingStatus.CHECKED_IN,
        plate="粤S12345",
        created_at=NOW - timedelta(days=5),
        updated_at=NOW - timedelta(days=5),
    )
    db_session.add(old)
    db_session.flush()

    erased = accounts.delete_resident(db_session, user, PASSWORD, now=NOW)

    assert erased.bookings_cancelled == 2
    assert booked.status == BookingStatus.CANCELLED
    assert booked.reason == "account_deleted"
    held = db_session.scalar(sa.select(Slot.held).where(Slot.id == first.id))
    assert held == 1  # the place went back, and is held for the first in line
    assert entry.status == WaitlistStatus.OFFERED
    assert db_session.scalar(sa.select(Slot.held).where(Slot.id == second.id)) == 0
    assert (user.real_name, user.email, user.id_number_hash, user.id_number_masked) == (
        "",
        None,
        None,
        None,
    )
    assert not user.phone.isdigit()
    assert user.erased_at == NOW
    assert not user.is_active
    assert user.display_name == "Deleted account"
    assert db_session.scalar(sa.select(sa.func.count()).where(Booking.resident_id == user.id)) == 3
    assert db_session.scalar(sa.select(Booking.plate).where(Booking.code == "PAST01")) is None
    assert not db_session.scalars(sa.select(Notice).where(Notice.user_id == user.id)).all()
    staff_see = db_session.scalar(
        sa.select(AuditEvent.reason).where(
            AuditEvent.target_id == booked.id, AuditEvent.action == "booking.cancelled"
        )
    )
    assert staff_see == "account_deleted"
    # the same number can register again, as a new person
    assert new_resident(db_session).id != user.id


def test_deleting_gives_up_waitlist_offers(db_session, make_user, hall_and_slots):
    (first, _), _ = hall_and_slots
    holder = make_user(phone="13912345670")
    user = new_resident(db_session)
    booking = book(db_session, first.id, holder, BookingRequest(), policy=POLICY, now=NOW)
    entry = waitlist.join(db_session, first.id, user, BookingRequest(), policy=POLICY, now=NOW)
    from booking.services.cancellations import cancel_by_resident

    cancel_by_resident(db_session, booking, holder, policy=POLICY, now=NOW)
    assert entry.status == WaitlistStatus.OFFERED
    accounts.delete_resident(db_session, user, PASSWORD, now=NOW)
    assert entry.status == WaitlistStatus.DECLINED
    assert db_session.scalar(sa.select(Slot.held).where(Slot.id == first.id)) == 0
    assert (
        db_session.scalar(sa.select(WaitlistEntry.details).where(WaitlistEntry.id == entry.id))
        == {}
    )


def test_deleting_needs_the_password(db_session):
    user = new_resident(db_session)
    with pytest.raises(accounts.WrongPassword):
        accounts.delete_resident(db_session, user, "wrong password!", now=NOW)
    assert user.erased_at is None
    assert db_session.get(User, user.id).real_name == "李明"
