"""Counting failed attempts across every worker and server.

A limit says how many failures of one scope a subject (an account, an
address, a mobile number) may have within a window. The counts live where
every process sees them: the database by default, Redis when the rate
limits are configured to use it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from booking.models import AuthFailure

KEEP_FOR = timedelta(days=1)  # longer than any window


@dataclass(frozen=True)
class Limit:
    scope: str
    attempts: int
    window: timedelta


# A password guessed wrong 10 times in 15 minutes locks the account for the
# next 15 (the attempts made while locked count too), whatever the addresses.
LOGIN_PER_ACCOUNT = Limit("login", 10, timedelta(minutes=15))
# One address guessing at many accounts; generous, as many residents share a
# carrier's address.
LOGIN_PER_ADDRESS = Limit("login_address", 30, timedelta(minutes=15))
# Codes sent by SMS cost money and reach a phone: a minute apart, 5 an hour.
CODE_SENT_PER_PHONE = Limit("code_phone", 1, timedelta(minutes=1))
CODES_PER_PHONE_HOUR = Limit("code_phone_hour", 5, timedelta(hours=1))
CODES_PER_ADDRESS = Limit("code_address", 10, timedelta(hours=1))
# Wrong codes typed from one address (each code also dies after 5 tries).
WRONG_CODES_PER_ADDRESS = Limit("wrong_code", 20, timedelta(minutes=15))


class Counter(Protocol):
    def count(self, scope: str, subject: str, since: datetime) -> int: ...

    def add(self, scope: str, subject: str, now: datetime) -> None: ...

    def clear(self, scope: str, subject: str) -> None: ...


def is_exceeded(counter: Counter, limit: Limit, subject: str, now: datetime) -> bool:
    return counter.count(limit.scope, subject, now - limit.window) >= limit.attempts


def note(counter: Counter, limit: Limit, subject: str, now: datetime) -> None:
    counter.add(limit.scope, subject, now)


def account(user_id: int) -> str:
    return f"account:{user_id}"


def address(remote_addr: str | None) -> str:
    return f"address:{(remote_addr or 'unknown')[:64]}"


def phone(number: str) -> str:
    return f"phone:{number[:40]}"


class DatabaseCounter:
    """Counts in the auth_failures table, in the caller's transaction: the
    caller commits, failure or not."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def count(self, scope: str, subject: str, since: datetime) -> int:
        return int(
            self.session.scalar(
                sa.select(sa.func.count())
                .select_from(AuthFailure)
                .where(
                    AuthFailure.scope == scope,
                    AuthFailure.subject == subject,
                    AuthFailure.at > since,
                )
            )
            or 0
        )

    def add(self, scope: str, subject: str, now: datetime) -> None:
        self.session.add(AuthFailure(scope=scope, subject=subject, at=now))
        self.session.flush()

    def clear(self, scope: str, subject: str) -> None:
        self.session.execute(
            sa.delete(AuthFailure).where(AuthFailure.scope == scope, AuthFailure.subject == subject)
        )


def purge_database_counts(session: Session, now: datetime) -> int:
    """Forget failures older than any window (a nightly job)."""
    result = session.execute(sa.delete(AuthFailure).where(AuthFailure.at < now - KEEP_FOR))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


class RedisCounter:
    """Counts in a Redis sorted set per scope and subject, scored by time;
    entries expire on their own."""

    PREFIX = "campus-share:failures:"

    def __init__(self, client: Any) -> None:
        self.client = client

    def key(self, scope: str, subject: str) -> str:
        return f"{self.PREFIX}{scope}:{subject}"

    def count(self, scope: str, subject: str, since: datetime) -> int:
        return int(self.client.zcount(self.key(scope, subject), f"({since.timestamp()}", "+inf"))

    def add(self, scope: str, subject: str, now: datetime) -> None:
        key = self.key(scope, subject)
        stamp = now.timestamp()
        pipe = self.client.pipeline()
        pipe.zadd(key, {f"{stamp}:{secrets.token_hex(4)}": stamp})
        pipe.zremrangebyscore(key, "-inf", stamp - KEEP_FOR.total_seconds())
        pipe.expire(key, int(KEEP_FOR.total_seconds()))
        pipe.execute()

    def clear(self, scope: str, subject: str) -> None:
        self.client.delete(self.key(scope, subject))
