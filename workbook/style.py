"""The house style of every workbook the tool writes (the form, the consolidated sheets, the
feedback copy): font, colours, number formats, the table style, the page setup and the one
estimate of how high a row of wrapped text must be. The writers (:mod:`workbook.generate`,
:mod:`workbook.consolidate` with xlsxwriter; :mod:`workbook.annotate` with openpyxl) take their
look from here; nothing here knows where on a sheet anything stands (:mod:`workbook.layout`).
"""

from __future__ import annotations

from typing import Any

from xlsxwriter.workbook import Workbook

FONT = "Calibri"
FONT_SIZE = 11
TITLE_SIZE = 16
HELP_SIZE = 10
#: Colours as RRGGBB (xlsxwriter takes them with "#", openpyxl without).
HEADER_FILL = "1F4E79"
HEADER_TEXT = "FFFFFF"
QUIET_TEXT = "595959"  # intro lines, help texts, notes
INPUT_FILL = "FFF2CC"
INPUT_BORDER = "BF9000"
LINK = "0563C1"
DIFFERS_FILL = "F8CBAD"
DIFFERS_TEXT = "9C0006"
# Whole numbers group thousands with the reader's own separator (a space in Norwegian Excel and
# LibreOffice). "# ##0" would hold a literal space: 27000000000 showed as "27000000 000".
NUMBER_FORMAT = "#,##0"
YEAR_FORMAT = "0"  # years are never grouped
TEXT_FORMAT = "@"
TABLE_STYLE = "Table Style Light 9"

# Page setup: A4 (xlsxwriter's paper 9), as wide as the page, margins in inches.
PAPER_A4 = 9
FORM_MARGINS = {"left": 0.5, "right": 0.5, "top": 0.6, "bottom": 0.8}
FOOTER_MARGIN = 0.3
LIST_MARGINS = {"left": 0.4, "right": 0.4, "top": 0.5, "bottom": 0.5}  # the consolidation's sheets
FEEDBACK_MARGIN = 0.4  # the feedback list, every side

# --- row heights ---------------------------------------------------------------------------------
LINE_HEIGHT = 15  # points a line of Calibri 11, with its leading
ROW_PADDING = 3
MAX_ROW_HEIGHT = 409  # Excel's limit
# Characters of ordinary prose that fit on one line of a column `width` characters wide (Excel's
# width unit is the digit 0; Calibri/Carlito prose averages narrower (about 1.2 characters per unit
# in LibreOffice's PDF of the Oslo sample), less a margin for Excel's own rendering.
PROSE_PER_WIDTH = 1.1


def lines(value: str, chars: int) -> int:
    """Lines of ``value`` wrapped at word boundaries at ``chars`` a line (a longer word starts a
    line of its own and is broken, as LibreOffice does).

    Counted by hand: textwrap builds every line and took most of the time of a large
    consolidation (15,000 answers); only the count is needed.
    """
    if len(value) <= chars and "\n" not in value:  # most cells: one line
        return 1
    total = 0
    for part in value.split("\n"):
        count, used = 1, 0
        for word in part.split():
            size = len(word)
            if used and used + 1 + size <= chars:
                used += 1 + size
                continue
            if used:
                count += 1
            count += (size - 1) // chars
            used = size - ((size - 1) // chars) * chars
        total += count
    return total


def needed_height(*cells: tuple[str, int], minimum: int = 1) -> float:
    """The height (points) that shows every ``(text, column width)`` cell's text whole; may exceed
    one row's limit (a caller may spread it over merged rows)."""
    count = max([minimum] + [lines(v, max(1, int(w * PROSE_PER_WIDTH))) for v, w in cells if v])
    return count * LINE_HEIGHT + ROW_PADDING


def row_height(*cells: tuple[str, int], minimum: int = 1) -> float:
    """The height (points) of a row of wrapped cells: LibreOffice keeps the height it is given and
    prints text that does not fit over the next row, so every row gets the height its text needs."""
    return min(MAX_ROW_HEIGHT, needed_height(*cells, minimum=minimum))


# --- xlsxwriter formats ----------------------------------------------------------------------------
class Styles:
    """The cell formats of one xlsxwriter workbook, made once."""

    def __init__(self, book: Workbook) -> None:
        base = {"font_name": FONT, "font_size": FONT_SIZE, "valign": "top", "text_wrap": True}
        quiet = {"italic": True, "font_color": "#" + QUIET_TEXT}
        self.title = book.add_format({**base, "bold": True, "font_size": TITLE_SIZE, "text_wrap": False})
        self.intro = book.add_format({**base, **quiet, "text_wrap": False})
        self.header = book.add_format({**base, "bold": True, "bg_color": "#" + HEADER_FILL,
                                       "font_color": "#" + HEADER_TEXT})
        self.label = book.add_format(base)
        self.label_bold = book.add_format({**base, "bold": True})
        self.help = book.add_format({**base, **quiet, "font_size": HELP_SIZE})
        input_base = {**base, "locked": False, "bg_color": "#" + INPUT_FILL, "border": 1,
                      "border_color": "#" + INPUT_BORDER}
        self.input = book.add_format(input_base)
        self.input_text = book.add_format({**input_base, "num_format": TEXT_FORMAT})
        self.input_int = book.add_format({**input_base, "num_format": NUMBER_FORMAT})
        self.input_year = book.add_format({**input_base, "num_format": YEAR_FORMAT})
        self.link = book.add_format({**base, "font_color": "#" + LINK, "underline": 1, "text_wrap": False})
        self.plain = book.add_format(base)
        # the consolidation's sheets
        self.number = book.add_format({"num_format": NUMBER_FORMAT, "valign": "top"})
        self.wrap = book.add_format({"text_wrap": True, "valign": "top"})
        self.head = book.add_format({"text_wrap": True, "bold": True, "valign": "top"})
        self.total = book.add_format({"bold": True, "num_format": NUMBER_FORMAT, "valign": "top"})
        self.differs = book.add_format({"bold": True, "num_format": NUMBER_FORMAT, "bg_color": "#" + DIFFERS_FILL,
                                        "font_color": "#" + DIFFERS_TEXT})
        self.note = book.add_format(quiet)

    def input_for(self, cell_format: str) -> Any:
        """An answer cell's format by the name a field carries (``Field.cell_format``: its kind's or ``meta.format``)."""
        return {"plain": self.input, "int": self.input_int, "year": self.input_year}[cell_format]


def print_setup(ws: Any, *, landscape: bool, margins: dict[str, float] = FORM_MARGINS) -> None:
    """A4, as wide as the page (never cut at the right edge), as many pages down as it takes."""
    ws.set_paper(PAPER_A4)
    if landscape:
        ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_margins(**margins)
