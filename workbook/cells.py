"""The values of one sheet, as the reader asks for them, from either of two sources.

* python-calamine (fast, in Rust) for the ordinary sheet. It builds a dense grid from A1 to the
  last cell it finds, so it is used only when a cheap look at the sheet's bytes proves that grid
  small (:func:`calamine_can_read`), and when the sheet holds no formula or error value, which it
  would not tell apart from a typed value.
* Our own streaming parser (:func:`parse_sheet`) for every other sheet: one typed in ``XFD1048576``,
  cells without an ``r`` attribute, a namespace prefix (``<x:c>``), Strict Open XML, formulas. It
  keeps only the cells in the band the form reads (plus the first few outside it, so that stray
  values are still reported) and never holds more than a bounded number of cells. No library
  reads a sheet this way (openpyxl's read-only mode materialises every row up to the last, calamine
  the whole rectangle), hence the hand-written parser.

Both give the same values for the same cell (a test reads the samples both ways): numbers as
float, dates by their number format as date/datetime/time, booleans, text with the OOXML
``_xHHHH_`` escapes undone, an error value as its text (``#N/A``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, XMLPullParser

from workbook.cellref import column_index

#: The most cells calamine may lay out as one dense grid (rows x columns of the sheet's extent).
MAX_DENSE_CELLS = 500_000
#: The most cells with something in them read from one sheet; a sheet with more is refused as too
#: large (a consolidation of 1,000 agencies has about 70,000 on its largest sheet).
MAX_KEPT_CELLS = 150_000
#: Cells outside the band the form reads that are kept (for stray-value warnings); the rest are counted.
MAX_OUTSIDE_KEPT = 50

MAIN_NAMESPACES = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                   "http://purl.oclc.org/ooxml/spreadsheetml/main")  # transitional, strict

# --- is the sheet safe and plain enough for calamine? -------------------------------------------
#: One pass finds whatever calls for a closer look: a cell whose start tag is not exactly
#: `<c r="A1" s="1" t="s">` (reference A1 to Z999, then at most a style and a plain type: no
#: error type "e", no other attribute, no unusual white space), a formula element `<f>` in any
#: spelling, a namespace prefix on a cell, row, formula or the sheet data.
_SUSPECT = re.compile(
    rb'<(?:c(?:[>/\t\n\r]| (?!r="[A-Z][1-9]\d{0,2}"(?: s="\d{1,5}")?(?: t="(?:s|n|b|str|inlineStr)")?/?>))'
    rb'|f[\s/>]|[A-Za-z_][\w.-]*:(?:c|row|sheetData|f)[\s/>])')
_MAYBE_ERROR = re.compile(rb"\st\s*=\s*[\"']e")
_MAYBE_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")
_PREFIXED_CELL = re.compile(rb"<[A-Za-z_][\w.-]*:(?:c|row|sheetData)[\s/>]")
_ODD_CELL_STARTS = (b"<c>", b"<c/", b"<c\t", b"<c\n", b"<c\r")
_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})([1-9]\d{0,6})"')


def calamine_can_read(data: bytes) -> bool:
    """Whether calamine may read this sheet: no formula and no error value (which it would give as
    plain values), every cell with its reference as first attribute, and a small extent. Every
    test errs on the side of our own parser. The common case costs one regular-expression pass."""
    if _SUSPECT.search(data) is None:  # every cell within A1:Z999, nothing odd
        return True
    if (_MAYBE_FORMULA.search(data) or _MAYBE_ERROR.search(data) or _PREFIXED_CELL.search(data)
            or any(s in data for s in _ODD_CELL_STARTS)):
        return False
    refs = _CELL_REF.findall(data)
    if len(refs) != data.count(b"<c ") or len(refs) != data.count(b'<c r="'):
        return False
    last_row = max(int(digits) for _, digits in refs)
    last_col = max(column_index(letters.decode()) for letters, _ in refs) + 1
    return last_row * last_col <= MAX_DENSE_CELLS


# --- the values of a sheet ----------------------------------------------------------------------
@dataclass
class Band:
    """The rows and columns (0-based, inclusive) the form reads on a sheet, with a margin."""

    last_row: int
    last_col: int

    def holds(self, row: int, col: int) -> bool:
        return row <= self.last_row and col <= self.last_col


@dataclass
class SheetValues:
    """One sheet's values: ``get(row, col)`` (0-based) is None where nothing is."""

    rows: list[list[Any]] = field(default_factory=list)
    cells: dict[tuple[int, int], Any] = field(default_factory=dict)
    formulas: frozenset[tuple[int, int]] = frozenset()
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    #: cells found outside the band (the first few), and how many there were in all
    outside: list[tuple[int, int, Any]] = field(default_factory=list)
    outside_count: int = 0
    last_row: int = -1

    @classmethod
    def from_rows(cls, rows: list[list[Any]]) -> SheetValues:
        if len(rows) * max((len(r) for r in rows[:1]), default=0) > MAX_KEPT_CELLS and \
                sum(v != "" and v is not None for r in rows for v in r) > MAX_KEPT_CELLS:
            raise TooManyCells()
        last = len(rows) - 1
        while last >= 0 and all(v == "" or v is None for v in rows[last]):
            last -= 1
        return cls(rows=rows, last_row=last)

    def get(self, row: int, col: int) -> Any:
        if self.cells or not self.rows:
            value = self.cells.get((row, col))
        else:
            rows = self.rows
            value = rows[row][col] if row < len(rows) and col < len(rows[row]) else None
        if value == "" or value is None:
            return self.errors.get((row, col)) if self.errors else None
        return value

    def row_is_empty(self, row: int, first_col: int, last_col: int) -> bool:
        """Whether nothing at all stands in the row between the columns (values, error values)."""
        if not self.cells and self.rows:
            if row >= len(self.rows):
                return True
            return all(v == "" or (isinstance(v, str) and not v.strip()) for v in self.rows[row][first_col:last_col + 1])
        for col in range(first_col, last_col + 1):
            value = self.cells.get((row, col))
            if value is not None and not (isinstance(value, str) and not value.strip()):
                return False
            if (row, col) in self.formulas or (row, col) in self.errors:
                return False
        return True

    def items(self) -> Iterator[tuple[int, int, Any]]:
        """Every cell with something in it, row by row."""
        if not self.cells and self.rows:
            for row, values in enumerate(self.rows):
                for col, value in enumerate(values):
                    if value != "" and value is not None:
                        yield row, col, value
            return
        found = {**self.cells, **self.errors}
        for (row, col), value in sorted(found.items()):
            if value != "" and value is not None:
                yield row, col, value


# --- our own parser -----------------------------------------------------------------------------
class TooManyCells(Exception):
    """Raised by :func:`parse_sheet` when a sheet holds more cells than :data:`MAX_KEPT_CELLS`."""


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def unescape(text: str) -> str:
    """OOXML's ``_xHHHH_`` escapes undone, as Excel and calamine read them (``_x005F_`` is ``_``)."""
    if "_x" not in text:
        return text
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text_of(element: Element) -> str:
    """The text of a string item (``<si>``/``<is>``): its ``t`` runs, without phonetic runs."""
    parts: list[str] = []
    for child in element:
        name = _local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return unescape("".join(parts))


def parse_shared_strings(data: bytes) -> list[str]:
    """The shared strings, by index (streamed: the declared counts are not trusted)."""
    strings: list[str] = []
    parser = XMLPullParser(events=("end",))
    for chunk in _chunks(data):
        parser.feed(chunk)
        for _, element in parser.read_events():
            if _local(element.tag) == "si":
                strings.append(_text_of(element))
                element.clear()
    parser.close()
    return strings


_BUILTIN_DATE_FORMATS = {14: "date", 15: "date", 16: "date", 17: "date", 18: "date", 19: "date", 20: "date",
                         21: "date", 22: "date", 45: "date", 46: "duration", 47: "date"}
_QUOTED_OR_BRACKETED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.')


def _format_kind(code: str) -> str | None:
    """"date" (a date or time format), "duration" (``[h]:mm``, elapsed time) or None (a number)."""
    section = code.split(";", 1)[0].lower()
    if re.search(r"\[(?:h+|m+|s+)\]", section):
        return "duration"
    bare = _QUOTED_OR_BRACKETED.sub("", section)
    return "date" if any(c in bare for c in "dymhs") else None


def parse_styles(data: bytes | None) -> list[str | None]:
    """For each cell style index, the kind of date its number format shows (None: a number)."""
    if not data:
        return []
    from xml.etree.ElementTree import fromstring

    root = fromstring(data)
    custom: dict[int, str | None] = {}
    kinds: list[str | None] = []
    for element in root:
        name = _local(element.tag)
        if name == "numFmts":
            for fmt in element:
                try:
                    custom[int(fmt.get("numFmtId", "-1"))] = _format_kind(fmt.get("formatCode", ""))
                except ValueError:
                    continue
        elif name == "cellXfs":
            for xf in element:
                try:
                    number = int(xf.get("numFmtId", "0"))
                except ValueError:
                    number = 0
                kinds.append(custom[number] if number in custom else _BUILTIN_DATE_FORMATS.get(number))
    return kinds


_EPOCH_1900 = dt.datetime(1899, 12, 30)  # serial 60 on (Excel's 29 February 1900, which was not, is the 28th)
_EPOCH_1900_EARLY = dt.datetime(1899, 12, 31)
_EPOCH_1904 = dt.datetime(1904, 1, 1)


def _as_date(serial: float, kind: str, date1904: bool) -> Any:
    """A date-formatted number as calamine gives it: a time below 1, a date for a whole serial, a
    date and time otherwise, a timedelta for elapsed time; the number itself beyond year 9999."""
    try:
        milliseconds = round(serial * 86_400_000)
        if kind == "duration":
            return dt.timedelta(milliseconds=milliseconds)
        if serial < 1:
            return (dt.datetime(2000, 1, 1) + dt.timedelta(milliseconds=milliseconds % 86_400_000)).time()
        epoch = _EPOCH_1904 if date1904 else _EPOCH_1900 if serial >= 60 else _EPOCH_1900_EARLY
        moment = epoch + dt.timedelta(milliseconds=milliseconds)
    except (OverflowError, ValueError):  # no date or duration that far out: the number as it is
        return serial
    return moment.date() if serial == int(serial) else moment


def _chunks(data: bytes, size: int = 1 << 16) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


def _position(ref: str | None) -> tuple[int, int] | None:
    if not ref:
        return None
    ref = ref.replace("$", "").upper()
    letters = ref.rstrip("0123456789")
    digits = ref[len(letters):]
    if not letters or not digits or not letters.isalpha() or len(letters) > 3:
        return None
    return int(digits) - 1, column_index(letters)


def parse_sheet(data: bytes, strings: list[str], styles: list[str | None], band: Band,
                date1904: bool = False) -> SheetValues:
    """Stream one sheet's XML, keeping the cells inside ``band`` and a few outside it."""
    values = SheetValues()
    formulas: set[tuple[int, int]] = set()
    parser = XMLPullParser(events=("start", "end"))
    row, col = -1, -1
    container: Element | None = None  # sheetData: emptied as it is read, so memory stays flat
    for chunk in _chunks(data):
        parser.feed(chunk)
        for event, element in parser.read_events():
            name = _local(element.tag)
            if event == "start":
                if name == "row":
                    found = element.get("r")
                    row = int(found) - 1 if found and found.isdigit() else row + 1
                    col = -1
                elif name == "sheetData":
                    container = element
                continue
            if name == "c":
                place = _position(element.get("r"))
                row, col = place if place else (max(row, 0), col + 1)
                _cell(values, formulas, element, (row, col), strings, styles, band, date1904)
                element.clear()
            elif name == "row" and container is not None:
                container.clear()
    parser.close()
    values.formulas = frozenset(formulas)
    values.last_row = max((r for r, _ in values.cells), default=-1)
    if values.errors:
        values.last_row = max(values.last_row, max(r for r, _ in values.errors))
    return values


def _cell(values: SheetValues, formulas: set[tuple[int, int]], element: Element, place: tuple[int, int],
          strings: list[str], styles: list[str | None], band: Band, date1904: bool) -> None:
    kind = element.get("t", "n")
    raw: str | None = None
    inline: Element | None = None
    has_formula = False
    for child in element:
        name = _local(child.tag)
        if name == "v":
            raw = child.text
        elif name == "f":
            has_formula = True
        elif name == "is":
            inline = child
    value: Any = None
    if kind == "inlineStr":
        value = _text_of(inline) if inline is not None else None
    elif raw is None:
        value = None
    elif kind == "s":
        try:
            value = strings[int(raw)]
        except (ValueError, IndexError):
            value = None
    elif kind == "str":
        value = unescape(raw)
    elif kind == "b":
        value = raw.strip() in ("1", "true")
    elif kind == "e":
        if band.holds(*place):
            values.errors[place] = raw
        else:
            _outside(values, place, raw)
        value = None
    elif kind == "d":
        try:
            value = dt.datetime.fromisoformat(raw.strip())
        except ValueError:
            value = raw
    else:
        try:
            number = float(raw)
        except ValueError:
            number = None
        value = raw if number is None else number
        if number is not None:
            try:
                style = styles[int(element.get("s", "0"))]
            except (ValueError, IndexError):
                style = None
            if style is not None:
                value = _as_date(number, style, date1904)
    if has_formula:
        if band.holds(*place):
            formulas.add(place)
            if value is None:
                value = ""
        else:
            _outside(values, place, value if value not in (None, "") else "=")
            return
    if value is None or value == "":
        if has_formula:
            values.cells[place] = ""
        return
    if not band.holds(*place):
        _outside(values, place, value)
        return
    if len(values.cells) >= MAX_KEPT_CELLS:
        raise TooManyCells()
    values.cells[place] = value


def _outside(values: SheetValues, place: tuple[int, int], value: Any) -> None:
    values.outside_count += 1
    if len(values.outside) < MAX_OUTSIDE_KEPT:
        values.outside.append((place[0], place[1], value))


__all__ = ["SheetValues", "Band", "calamine_can_read", "parse_sheet", "parse_shared_strings", "parse_styles",
           "unescape", "column_index", "TooManyCells", "MAX_DENSE_CELLS", "MAIN_NAMESPACES"]
