"""Passwords: hashed with argon2id, checked against the most common ones.

Hashes use OWASP's argon2id parameters (19 MiB of memory, 2 passes, one
lane). Hashes of an older scheme (Werkzeug's scrypt or PBKDF2, used before)
still verify, and are replaced at the next successful login.

The common passwords are the 30,000 of the `zxcvbn` package's frequency list
(from leaked password sets) plus `data/common-passwords-zh.txt`, common
passwords of Chinese sites that list lacks.
"""

from __future__ import annotations

import functools
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash

MIN_LENGTH = 10
MAX_LENGTH = 128
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
LEGACY_PREFIXES = ("scrypt:", "pbkdf2:")
# A hash to verify against when there is no account, so both answers take as long.
_DUMMY_HASH = HASHER.hash("not-a-real-password")
ZH_LIST = Path(__file__).parent / "data" / "common-passwords-zh.txt"

LENGTH_MESSAGE = _l(
    "A password needs %(min)d to %(max)d characters.", min=MIN_LENGTH, max=MAX_LENGTH
)
RULE_TEXT = _l(
    "%(min)d to %(max)d characters of any kind (a few words make a good one); not a common "
    "password, not your mobile number.",
    min=MIN_LENGTH,
    max=MAX_LENGTH,
)


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify(stored_hash: str, password: str) -> bool:
    """Whether `password` matches `stored_hash` (argon2id or a legacy scheme)."""
    if stored_hash.startswith(LEGACY_PREFIXES):
        return check_password_hash(stored_hash, password)
    try:
        return HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    if stored_hash.startswith(LEGACY_PREFIXES):
        return True
    try:
        return HASHER.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def waste_time(password: str) -> None:
    """Verify against a dummy hash: an unknown account answers as slowly as a known one."""
    verify(_DUMMY_HASH, password)


@functools.cache
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    listed = FREQUENCY_LISTS["passwords"]
    words = listed.split(",") if isinstance(listed, str) else list(listed)
    extra = [line.strip() for line in ZH_LIST.read_text(encoding="utf-8").splitlines()]
    return frozenset(word.lower() for word in [*words, *extra] if word and not word.startswith("#"))


def is_monotonous(password: str) -> bool:
    """One character repeated, or a run such as 0123456789 or abcdefghij."""
    if len(set(password)) <= 2:
        return True
    steps = {ord(b) - ord(a) for a, b in zip(password, password[1:], strict=False)}
    return len(steps) == 1 and steps <= {1, -1}


def password_problem(password: str, *, phone: str | None = None) -> LazyString | None:
    """Why `password` cannot be used, or None. Any character is allowed."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        return LENGTH_MESSAGE
    lowered = password.lower()
    if lowered in common_passwords() or is_monotonous(password):
        return _l("This password is one of the most common ones. Choose another.")
    if phone and phone in password:
        return _l("A password cannot contain your mobile number.")
    return None
