"""Cell references, the one way: ``A1`` <-> 0-based (row, column), ranges as :class:`Area`, and
sheet names as formulas and defined names quote them. Every module that names or finds a cell
goes through here (the generator writing names, the reader finding them, the annotator linking
to them, the validator sorting by them).

By hand, not xlsxwriter.utility: reading must not depend on the writing library, and the parse
of a defined name's text (quoted sheet names, ``$``) is not in any reading library we use.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_REF = re.compile(r"^(?:(?:'((?:[^']|'')+)'|([^'!]+))!)?\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?$")


@dataclass(frozen=True)
class Area:
    """A rectangle on one sheet, 0-based and inclusive."""

    sheet: str
    first_row: int
    first_col: int
    last_row: int
    last_col: int


def column_index(letters: str) -> int:
    """``A`` -> 0, ``AA`` -> 26."""
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index - 1


@functools.lru_cache(maxsize=1024)
def column_letters(col: int) -> str:
    """0 -> ``A``, 26 -> ``AA``."""
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@functools.lru_cache(maxsize=1 << 16)
def cell(row: int, col: int, absolute: bool = False) -> str:
    """``B5`` (``$B$5`` if absolute) for (4, 1); cached: every workbook of a form names the same
    few thousand cells."""
    if absolute:
        return f"${column_letters(col)}${row + 1}"
    return f"{column_letters(col)}{row + 1}"


def cell_position(ref: str) -> tuple[int, int]:
    """``C12`` as a 0-based (row, column)."""
    letters = ref.rstrip("0123456789")
    return int(ref[len(letters):]) - 1, column_index(letters)


def quote_sheet(name: str) -> str:
    """A sheet name as it stands in a formula or defined name: always quoted."""
    return "'" + name.replace("'", "''") + "'"


def absolute(sheet: str, row: int, col: int, last_row: int | None = None) -> str:
    """The formula text of a defined name: ``='Ark'!$B$5`` or ``='Ark'!$B$5:$B$9`` (one column)."""
    ref = cell(row, col, True)
    if last_row is not None and last_row != row:
        ref += ":" + cell(last_row, col, True)
    return f"={quote_sheet(sheet)}!{ref}"


@functools.lru_cache(maxsize=4096)  # the same few dozen references in every workbook of a form
def parse_ref(ref: str, default_sheet: str | None = None) -> Area | None:
    """``'Ark 1'!$B$5:$B$9`` (or ``B5`` with a default sheet) as an :class:`Area`."""
    match = _REF.match(ref.strip().lstrip("="))
    if not match:
        return None
    quoted, plain, c1, r1, c2, r2 = match.groups()
    sheet = quoted.replace("''", "'") if quoted else plain or default_sheet
    if sheet is None:
        return None
    first_row, first_col = int(r1) - 1, column_index(c1)
    last_row = int(r2) - 1 if r2 else first_row
    last_col = column_index(c2) if c2 else first_col
    return Area(sheet, first_row, first_col, last_row, last_col)


def area_text(area: Area) -> str:
    """``Ark!B5`` or ``Ark!B5:C9`` (as a message shows a place, unquoted)."""
    first = cell(area.first_row, area.first_col)
    last = cell(area.last_row, area.last_col)
    return f"{area.sheet}!{first}" + (f":{last}" if last != first else "")


__all__ = ["Area", "absolute", "area_text", "cell", "cell_position", "column_index", "column_letters",
           "parse_ref", "quote_sheet"]
