"""What text people and programs may send: printable characters only.

NUL cannot be stored in PostgreSQL text at all, other control characters
corrupt what staff read and export, and a lone surrogate (the JSON escape
"\\ud800" alone) is not Unicode and cannot be encoded for the database or
for hashing. Tab, newline and carriage return belong in multi-line text
only. Passwords are hashed, never shown, so they may hold any character
that can be encoded.
"""

from __future__ import annotations

import re

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from booking.services.errors import ValidationFailed

SURROGATES = "\ud800-\udfff"
CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 (but tab, newline, CR), DEL, C1
_LINE_BREAKS = "\t\n\r"
_REFUSED_IN_LINE = re.compile(f"[{CONTROLS}{_LINE_BREAKS}]")
_REFUSED_IN_TEXT = re.compile(f"[{CONTROLS}]")
_SURROGATE = re.compile(f"[{SURROGATES}]")

CONTROL_CHARACTERS = _l("Remove the invisible control characters from this text.")
LINE_BREAKS = _l("Write this on one line, without tabs or line breaks.")
NOT_UNICODE = _l("This text is not valid Unicode (it holds a lone surrogate).")


class UnreadableText(ValidationFailed):
    default_message = CONTROL_CHARACTERS


def text_problem(
    value: str, *, multiline: bool = False, any_character: bool = False
) -> LazyString | None:
    """Why `value` cannot be taken as text, or None when it can.

    A single line refuses every control character; `multiline` text allows
    tab, newline and carriage return; `any_character` (passwords) refuses only
    what cannot be encoded."""
    if _SURROGATE.search(value):
        return NOT_UNICODE
    if any_character:
        return None
    if _REFUSED_IN_TEXT.search(value):
        return CONTROL_CHARACTERS
    if not multiline and _REFUSED_IN_LINE.search(value):
        return LINE_BREAKS
    return None
