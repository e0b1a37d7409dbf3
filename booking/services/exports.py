"""CSV exports that open safely in a spreadsheet.

Excel, WPS and LibreOffice read a cell that begins with = + - or @ as a
formula, and some of them one that begins with a tab or a carriage return: a
resident who registers as =HYPERLINK("http://evil","x") would become a live
link in the staff's sheet. Every CSV export writes through `write_csv`, which
puts an apostrophe before such text, so the cell shows what was typed and is
never evaluated. Full-width ＝ ＋ － ＠ are treated alike, as Chinese input
methods type them. Numbers are written as numbers (-3 is not a formula).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def inert_cell(value: object) -> object:
    """`value` as a cell no spreadsheet evaluates: text that could start a formula
    gets a leading apostrophe; numbers and None are left as they are."""
    if value is None or isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(rows: Iterable[Sequence[object]]) -> str:
    """The rows (a header first, if any) as CSV text, every cell made inert."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([inert_cell(value) for value in row])
    return out.getvalue()
