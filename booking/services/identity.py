"""Mainland mobile numbers and resident ID numbers (GB 11643)."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import date

PHONE_PATTERN = re.compile(r"1[3-9][0-9]{9}")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"


SEPARATORS = re.compile(r"[\s\-()]")


def ascii_digits(raw: str) -> str:
    """`raw` under NFKC with every decimal digit of any script written as an
    ASCII digit (full-width １, Arabic-Indic ١, ...), separators removed and
    letters upper-cased. What remains is checked by the caller: one number,
    one spelling, so one person cannot hold two accounts."""
    text = SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or ""))
    return "".join(
        str(unicodedata.decimal(char)) if char.isdecimal() else char.upper() for char in text
    )


def normalise_phone(raw: str) -> str:
    """ASCII digits, without a +86 / 0086 prefix."""
    phone = ascii_digits(raw)
    for prefix in ("+86", "0086"):
        if phone.startswith(prefix):
            phone = phone[len(prefix) :]
    return phone


def is_mainland_mobile(phone: str) -> bool:
    return bool(PHONE_PATTERN.fullmatch(phone))


def id_check_char(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def normalise_id_number(raw: str) -> str:
    return ascii_digits(raw)


def id_number_problem(id_number: str) -> str | None:
    """Why an 18-character resident ID number is invalid, or None.

    Returns a short key: "format", "birth_date" or "check_digit".
    """
    if not re.fullmatch(r"[0-9]{17}[0-9X]", id_number):
        return "format"
    try:
        birth = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return "birth_date"
    if birth.year < 1900:
        return "birth_date"
    if id_check_char(id_number[:17]) != id_number[17]:
        return "check_digit"
    return None


def hash_id_number(id_number: str, key: str) -> str:
    """A keyed hash: unique per person, useless to whoever steals the table without the key."""
    return hmac.new(key.encode(), id_number.encode(), hashlib.sha256).hexdigest()


def mask_id_number(id_number: str) -> str:
    return f"{id_number[:3]}{'*' * 11}{id_number[-4:]}"
