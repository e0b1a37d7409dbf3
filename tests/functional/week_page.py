"""Reading the facility week off a page: the grid's cells where the table puts
them, the day strip's links, the chosen day's list."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Cell:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    row: int = 0  # where the table puts it, counting rowspans and colspans
    column: int = 0

    @property
    def rowspan(self) -> int:
        return int(self.attrs.get("rowspan", "1"))

    @property
    def colspan(self) -> int:
        return int(self.attrs.get("colspan", "1"))

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


@dataclass
class Table:
    head: list[Cell] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)

    def body_cells(self) -> list[Cell]:
        return [cell for row in self.rows for cell in row]

    def cell_with(self, text: str) -> Cell:
        found = [cell for cell in self.body_cells() if text in cell.text]
        assert len(found) == 1, f"{len(found)} cells with {text!r}"
        return found[0]


class GridParser(HTMLParser):
    """The cells of <table class="week-grid">, each placed at its row and column."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.table: Table | None = None
        self.section = ""
        self.cell: Cell | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "table" and "week-grid" in values.get("class", ""):
            self.table = Table()
        elif self.table is None:
            return
        elif tag in ("thead", "tbody"):
            self.section = tag
        elif tag == "tr" and self.section == "tbody":
            self.table.rows.append([])
        elif tag in ("th", "td"):
            self.cell = Cell(tag, values)
            if self.section == "thead":
                self.table.head.append(self.cell)
            else:
                self.table.rows[-1].append(self.cell)
        elif tag == "a" and self.cell is not None:
            self.cell.attrs.setdefault("href", values.get("href", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td"):
            self.cell = None
        elif tag == "table" and self.table is not None:
            self.section = "done"

    def handle_data(self, data: str) -> None:
        if self.cell is not None and self.section != "done":
            self.cell.text += data


def week_grid(html: str) -> Table:
    parser = GridParser()
    parser.feed(html)
    table = parser.table
    assert table is not None, "no week grid"
    taken: set[tuple[int, int]] = set()
    for row_index, row in enumerate(table.rows):
        column = 0
        for cell in row:
            while (row_index, column) in taken:
                column += 1
            cell.row, cell.column = row_index, column
            for r in range(row_index, row_index + cell.rowspan):
                for c in range(column, column + cell.colspan):
                    taken.add((r, c))
            column += cell.colspan
    for cell in table.body_cells():
        cell.text = " ".join(cell.text.split())
    for cell in table.head:
        cell.text = " ".join(cell.text.split())
    return table


def day_strip(html: str) -> list[str]:
    strip = re.search(r'<nav class="day-strip".*?</nav>', html, re.S)
    assert strip, "no day strip"
    return re.findall(r"<a [^>]*>.*?</a>", strip.group(0), re.S)


def day_list(html: str) -> str:
    found = re.search(r'<section class="day-list">(.*?)</section>', html, re.S)
    assert found, "no day list"
    return found.group(1)
