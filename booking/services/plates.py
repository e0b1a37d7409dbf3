"""Mainland China licence plates, as residents type them."""

from __future__ import annotations

import re

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
LETTERS = "A-HJ-NP-Z"  # no I or O on plates
REGULAR = rf"[{PROVINCES}][{LETTERS}][{LETTERS}0-9]{{5}}"
NEW_ENERGY = rf"[{PROVINCES}][{LETTERS}](?:[DF][{LETTERS}0-9][0-9]{{4}}|[0-9]{{5}}[DF])"
PLATE = re.compile(rf"^(?:{REGULAR}|{NEW_ENERGY})$")


def normalise_plate(raw: object) -> object:
    """Upper case, without spaces, dots or dashes (粤s·12345 -> 粤S12345)."""
    if not isinstance(raw, str):
        return raw
    return re.sub(r"[\s·•.\-]", "", raw).upper()


def is_mainland_plate(plate: str) -> bool:
    return bool(PLATE.match(plate))
