"""Changing a workbook the way an agency would, and finding its input cells.

- ``edit(path, {(sheet, cell): value}, out=None)`` types values into cells with openpyxl;
- ``cell_of(path, key)`` / ``table_cell(path, key, row, column)`` the (sheet, cell) of an input
  cell, found through the workbook's own defined names and tables (tests never hard-code cells).

Rewriting parts of the package and finding the part of a sheet: :mod:`hostile` (``rewrite``,
``part_of``).
"""

from __future__ import annotations

import functools
import uuid
from pathlib import Path
from typing import Any

import openpyxl
from xlsxwriter.utility import xl_rowcol_to_cell

from workbook.container import open_container
from workbook.form import Form, load_form

Cells = dict[tuple[str, str], Any]
EXCEL_CELL_LIMIT = 32767


def edit(path: Path, cells: Cells, out: Path | None = None) -> Path:
    """Type values into cells the way a person would, and save (to ``out`` or in place).

    A text longer than a cell holds in Excel (32,767 characters; openpyxl cuts it there) is put
    into the file's XML directly, as only a hand-made file can hold it.
    """
    book = openpyxl.load_workbook(path)
    too_long: dict[str, str] = {}
    for (sheet, cell), value in cells.items():
        if isinstance(value, str) and len(value) > EXCEL_CELL_LIMIT:
            token = f"LONGTEXT{len(too_long)}X{uuid.uuid4().hex}"
            too_long[token] = value
            value = token
        book[sheet][cell] = value
    target = Path(out) if out else Path(path)
    book.save(target)
    if too_long:
        _replace_in_parts(target, too_long)
    return target


def _replace_in_parts(path: Path, replacements: dict[str, str]) -> None:
    """Replace tokens in every part of the package, in place."""
    import zipfile
    from xml.sax.saxutils import escape

    data = path.read_bytes()
    with zipfile.ZipFile(path) as zin:
        parts = [(info, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, content in parts:
            for token, value in replacements.items():
                content = content.replace(token.encode(), escape(value).encode("utf-8"))
            zout.writestr(info, content)
    assert path.read_bytes() != data


@functools.lru_cache(maxsize=64)
def _structure(path: str, stamp: tuple[int, int]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The defined names and tables of a workbook file (as it is at ``stamp``: mtime and size)."""
    container = open_container(Path(path))
    try:
        return dict(container.names), dict(container.tables)
    finally:
        container.close()


def names_and_tables(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    info = Path(path).stat()
    return _structure(str(Path(path).resolve()), (info.st_mtime_ns, info.st_size))


def cell_of(path: Path, key: str, offset: int = 0) -> tuple[str, str]:
    """The input cell of a field (``offset`` rows down: the options of a ``choices`` field)."""
    area = names_and_tables(path)[0][key]
    return area.sheet, xl_rowcol_to_cell(area.first_row + offset, area.first_col)


def table_cell(path: Path, key: str, row: int, column: str, form: Form | None = None) -> tuple[str, str]:
    """The cell of data row ``row`` (1-based; 0 is the header row) and column key ``column`` of a table."""
    form = form or load_form()
    table = names_and_tables(path)[1][key]
    label = form.field(key).column(column).label
    offset = [h.rstrip(" *") for h in table.headers].index(label)
    return table.area.sheet, xl_rowcol_to_cell(table.area.first_row + row, table.area.first_col + offset)
