"""Where everything stands on the sheets the generator writes, and so where the reader, the
annotator and the consolidator find it: the rows above the questions, the label/answer/help
columns, the rows above a table, the hidden metadata sheet (its rows of form identity, its
dropdown lists, its record of each table's columns by key) and the required mark.

The reader finds answers by the defined names and tables the generator wrote (never by these
coordinates alone); what it needs from here is what is the form's own text (the banner rows,
the label and help beside an answer) and the keys of a table's columns.
"""

from __future__ import annotations

from workbook.form import METADATA_KEYS
from workbook.messages import text

# --- a section sheet -----------------------------------------------------------------------------
TITLE_ROW = 0
INTRO_ROW = 1
BANNER_ROW = 2  # the headers Spørsmål / Svar / Hjelp
#: The first row of questions; rows above it are the form's own banner, never an answer.
FIRST_QUESTION_ROW = 3
LABEL_COL, ANSWER_COL, HELP_COL = 0, 1, 2
BANNER = ("header_question", "header_answer", "header_help")  # workbook.* catalogue keys, by column
#: The catalogue's text written in the help column above a list of options (the reader knows it as
#: the form's own text, never a typed value).
CHOICES_INTRO = "workbook.choices_intro"
#: A table: a blank row, its label row and its help row, then its header row.
TABLE_GAP = 1
TABLE_LEAD_ROWS = 2  # the label and help rows right above a table's header

# Column widths (characters) of a section sheet: question, answer, help, further table columns.
WIDTH_LABEL, WIDTH_ANSWER, WIDTH_HELP, WIDTH_EXTRA = 55, 60, 45, 22
WIDTH_GUIDE = 90  # the guide's one column: fits a portrait A4 page at 100 %

# --- the metadata sheet --------------------------------------------------------------------------
META_SHEET = "_skjema"
#: The form's identity cells: row of each metadata key, in the form's order (its name in A, its value
#: in B, a defined name on B).
META_ROWS = {key: row for row, key in enumerate(METADATA_KEYS)}
META_KEY_COL, META_VALUE_COL = 0, 1
#: Where the dropdown lists start (one column each: its name in row 0, its items below).
META_LISTS_COL = 3
#: Which two metadata values the metadata sheet and the document properties must agree on.
IDENTITY = ("form_id", "form_version")
YESNO_LIST = "lst_yesno"


def list_name(field_key: str, column_key: str | None = None) -> str:
    """The defined name of a dropdown's source list."""
    return "lst_" + field_key + (f"_{column_key}" if column_key else "")


def columns_name(table: str) -> str:
    """The defined name of a table's record on the metadata sheet: its column keys, in order, with
    the header each was written under in the column right of them. The reader maps a table's
    columns to keys through it, whatever language the labels are in."""
    return "cols_" + table


# --- labels --------------------------------------------------------------------------------------
def required_mark() -> str:
    """What follows the label of a required question or column (`` *``)."""
    return text("workbook.required_mark")


def marked(label: str, required: bool) -> str:
    """A label as the generator writes it: with the required mark if the answer is required."""
    return label + (required_mark() if required else "")


def unmarked(label: str) -> str:
    """A written label without its required mark."""
    mark = required_mark()
    return label[: -len(mark)] if mark and label.endswith(mark) else label
