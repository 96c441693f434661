"""The register's lists as workbooks (the status overview, the feedback mail-merge list): one way to
write them, so every list keeps an agency's text exactly as typed and never makes it a formula.

A list is a header row and rows of texts and whole numbers, in the house style: filter and frozen
header, one landscape A4 page wide when printed, the header on every page. It is written to a
temporary name and moved into place, so a failed write leaves no half a file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from workbook.register.db import RegisterError

Cell = str | int | None


def write_list(path: Path, sheet_name: str, header: Sequence[str], rows: Sequence[Sequence[Cell]],
               widths: Sequence[float], *, frozen_columns: int = 0, printed_columns: int | None = None,
               more: Callable[[Any, Any], None] | None = None) -> Path:
    """Write the list; ``more(book, styles)`` may add sheets after it. RegisterError when
    xlsxwriter refuses a cell (a text longer than a cell holds)."""
    import xlsxwriter

    from workbook.ooxml_text import install_xlsxwriter_escape

    install_xlsxwriter_escape()  # an agency's literal "_x0041_" comes back as typed
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    book = xlsxwriter.Workbook(str(tmp), {"strings_to_numbers": False, "strings_to_formulas": False,
                                          "strings_to_urls": False})
    try:
        _fill(book, sheet_name, header, rows, widths, frozen_columns, printed_columns)
        if more is not None:
            from workbook.style import Styles

            more(book, Styles(book))
    except BaseException:
        book.close()
        tmp.unlink(missing_ok=True)
        raise
    book.close()
    tmp.replace(path)
    return path


def _fill(book: Any, sheet_name: str, header: Sequence[str], rows: Sequence[Sequence[Cell]],
          widths: Sequence[float], frozen_columns: int, printed_columns: int | None) -> None:
    from workbook.style import FONT, FONT_SIZE, LIST_MARGINS, NUMBER_FORMAT, Styles, print_setup

    styles = Styles(book)
    # one line a row (no wrapping): a list is for filtering and the mail merge first
    plain = book.add_format({"font_name": FONT, "font_size": FONT_SIZE, "valign": "top"})
    number = book.add_format({"font_name": FONT, "font_size": FONT_SIZE, "valign": "top",
                              "num_format": NUMBER_FORMAT, "align": "center"})
    ws = book.add_worksheet(sheet_name)
    for col, (title, width) in enumerate(zip(header, widths)):
        ws.set_column(col, col, width)
        check(ws.write_string(0, col, title, styles.header))
    for row, line in enumerate(rows, start=1):
        for col, value in enumerate(line):
            if isinstance(value, int) and not isinstance(value, bool):
                check(ws.write_number(row, col, value, number))
            elif value is not None and value != "":
                check(ws.write_string(row, col, str(value), plain))
    last = max(1, len(rows))
    ws.autofilter(0, 0, last, len(header) - 1)
    ws.freeze_panes(1, frozen_columns)
    print_setup(ws, landscape=True, margins=LIST_MARGINS)
    if printed_columns is not None:
        ws.print_area(0, 0, last, printed_columns - 1)
    ws.repeat_rows(0)


def check(code: int) -> None:
    """xlsxwriter says a refused cell (a text over Excel's limit) by its return code, not by raising."""
    if code < 0:
        raise RegisterError("register.status.error_cell", code=code)
