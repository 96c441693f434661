"""Problems found in a workbook: data, never exceptions.

Each problem has a stable ``code`` (its kind), a ``severity`` (``error`` makes a workbook
invalid, ``warning`` does not), where it is (file, sheet, cell such as ``C12``, field key, table
row and column), the value as read and a Norwegian message from the catalogue that says where,
what is wrong and how to fix it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from workbook.messages import text

ERROR = "error"
WARNING = "warning"
#: Norwegian digit grouping: a no-break space, from five digits up (years such as 2020 stay whole).
THOUSANDS_SEPARATOR = "\u00a0"
GROUP_FROM = 10_000


@dataclass(frozen=True)
class Problem:
    """One thing wrong (error) or worth a look (warning) in one file."""

    code: str
    severity: str
    message: str
    file: str
    sheet: str | None = None
    cell: str | None = None
    key: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def group_digits(number: int) -> str:
    """``15000000`` as Norwegians write it: ``15 000 000`` (no-break spaces); ``2020`` as it is."""
    if abs(number) < GROUP_FROM:
        return str(number)
    return f"{number:,}".replace(",", THOUSANDS_SEPARATOR)


def _detail(value: Any) -> Any:
    """A detail of a message as shown: whole numbers grouped, anything else as it is."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return group_digits(value) if isinstance(value, int) and not isinstance(value, bool) else value


def shown(value: Any) -> str | None:
    """A value as read, for messages: short, one line."""
    if value is None or value == "" or value == []:  # an empty table or choice list: nothing was read
        return None
    if isinstance(value, bool):
        return text("workbook.answer_yes") if value else text("workbook.answer_no")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0, 0):
        value = value.date()
    if isinstance(value, (dt.date, dt.datetime)):  # as Norwegians write dates, not 2024-03-05
        value = value.strftime("%d.%m.%Y %H:%M" if isinstance(value, dt.datetime) else "%d.%m.%Y")
    result = str(value).replace("\n", " ⏎ ")
    return result if len(result) <= 80 else result[:77] + "…"


def where(sheet: str | None, cell: str | None, label: str | None) -> str:
    """«Arket «X», celle B5 (Navn)», as messages start."""
    if sheet and cell:
        place = text("problem.where_cell", sheet=sheet, cell=cell)
    elif sheet:
        place = text("problem.where_sheet", sheet=sheet)
    else:
        place = text("problem.where_file")
    return place + (f" ({label})" if label else "")


def make(code: str, file: str, *, severity: str = ERROR, sheet: str | None = None, cell: str | None = None,
         key: str | None = None, row: int | None = None, column: str | None = None, label: str | None = None,
         value: Any = None, **details: Any) -> Problem:
    """Build a problem whose message is ``problem.<code>`` from the catalogue."""
    value_text = shown(value)
    in_message = _detail(value)  # the message groups a number's digits; ``value`` keeps it as read
    message = text(f"problem.{code}", where=where(sheet, cell, label),
                   value=in_message if isinstance(in_message, str) and not isinstance(value, str) else value_text or "",
                   **{name: _detail(detail) for name, detail in details.items()})
    return Problem(code=code, severity=severity, message=message, file=file, sheet=sheet, cell=cell,
                   key=key, row=row, column=column, value=value_text)
