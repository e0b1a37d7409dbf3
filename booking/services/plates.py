"""Mainland licence plates (GA 36): how residents type them, and what a valid one is."""

from __future__ import annotations

import re
import unicodedata

# The one-character abbreviations of the 31 mainland provinces, regions and municipalities.
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_LETTER = "A-HJ-NP-Z"  # I and O are never used: they read as 1 and 0
_SERIAL = "A-HJ-NP-Z0-9"
REGULAR = re.compile(rf"[{PROVINCES}][{_LETTER}][{_SERIAL}]{{5}}")
# New-energy plates have six serial characters: D (electric) or F (hybrid) first
# for small cars, last for large ones.
NEW_ENERGY = re.compile(rf"[{PROVINCES}][{_LETTER}](?:[DF][{_SERIAL}][0-9]{{4}}|[0-9]{{5}}[DF])")
# What people put between the parts: spaces, the middle dot printed on the plate
# (and the look-alikes input methods produce), full stops and dashes.
_SEPARATORS = re.compile(r"[\s·•・.\-]")


def normalise_plate(raw: str | None) -> str:
    """The plate as stored: full-width characters made ASCII, separators
    dropped, letters in upper case (粤s·12345 -> 粤S12345). None or blank gives ""."""
    if not raw:
        return ""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw)).upper()


def is_mainland_plate(plate: str) -> bool:
    """Whether a normalised plate is a regular (7 characters) or a new-energy
    (8 characters) mainland plate."""
    return bool(REGULAR.fullmatch(plate) or NEW_ENERGY.fullmatch(plate))
