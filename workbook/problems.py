"""Problems found in a workbook: data, never exceptions, worded only when shown.

Each problem has a stable ``code`` (its kind), a ``severity`` (``error`` makes a workbook
invalid, ``warning`` does not), where it is (file, sheet, cell such as ``C12``, field key, table
row and column), the value as read and ``params``: the values its message is made of (the
question's label, the value, a limit, a count, ...), as plain JSON values. The message is the
catalogue's template ``problem.<code>`` rendered with them in the language asked for
(:func:`render`); ``problem.message`` is the bokmål one.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from workbook.messages import DEFAULT_LANGUAGE, catalogue, text

ERROR = "error"
WARNING = "warning"
#: Norwegian digit grouping: a no-break space, from five digits up (years such as 2020 stay whole).
THOUSANDS_SEPARATOR = "\u00a0"
GROUP_FROM = 10_000
#: How a template that starts with its place begins; the feedback list shows the place in columns.
PLACE_START = "{where}: "


@dataclass(frozen=True)
class Problem:
    """One thing wrong (error) or worth a look (warning) in one file.

    ``params`` holds every placeholder of the code's template but ``{where}`` (made from ``sheet``,
    ``cell`` and ``params["label"]``): numbers as read (grouped when worded), yes/no as
    ``True``/``False`` (worded in the language), ``detail`` as a word of the catalogue's
    ``detail.*`` (worded with the other params) or a technical note.
    """

    code: str
    severity: str
    file: str
    sheet: str | None = None
    cell: str | None = None
    key: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None  # the value as read, short and on one line (see shown)
    params: dict[str, Any] = field(default_factory=dict, hash=False)

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def message(self) -> str:
        """The message in bokmål (see :func:`render` for another language)."""
        return render(self)

    def to_dict(self, language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
        """The problem as JSON, its message in ``language``."""
        return {"code": self.code, "severity": self.severity, "message": render(self, language), "file": self.file,
                "sheet": self.sheet, "cell": self.cell, "key": self.key, "row": self.row, "column": self.column,
                "value": self.value, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Problem:
        """The problem :meth:`to_dict` gave (its message is worded again when shown)."""
        return cls(code=data["code"], severity=data["severity"], file=data["file"], sheet=data.get("sheet"),
                   cell=data.get("cell"), key=data.get("key"), row=data.get("row"), column=data.get("column"),
                   value=data.get("value"), params=dict(data.get("params") or {}))


def group_digits(number: int) -> str:
    """``15000000`` as Norwegians write it: ``15 000 000`` (no-break spaces); ``2020`` as it is."""
    if abs(number) < GROUP_FROM:
        return str(number)
    return f"{number:,}".replace(",", THOUSANDS_SEPARATOR)


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


def where(sheet: str | None, cell: str | None, label: str | None, language: str = DEFAULT_LANGUAGE) -> str:
    """«Arket «X», celle B5 (Navn)», as messages start."""
    if sheet and cell:
        place = text("problem.where_cell", language, sheet=sheet, cell=cell)
    elif sheet:
        place = text("problem.where_sheet", language, sheet=sheet)
    else:
        place = text("problem.where_file", language)
    return text("place.with_label", language, place=place, label=label) if label else place


def part_label(label: str, part: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The label of a question's part (a table column, an option) as a problem names it:
    «Avtaler: Antall leverandører»; the one home of that shape (reader, validator, annotator)."""
    return text("place.part", language, label=label, part=part)


# --- params: plain values in, words out ------------------------------------------------------------
def _is_number(value: Any) -> bool:
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def _plain(value: Any) -> Any:
    """A detail as a plain JSON value: numbers, yes/no, texts and lists of them as they are."""
    if value is None or isinstance(value, (bool, str)) or _is_number(value):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return shown(value)  # a date, a NaN: as messages show it


def _value_param(value: Any) -> Any:
    """The value as a message shows it: a number or yes/no as read, anything else as :func:`shown`."""
    return value if isinstance(value, bool) or _is_number(value) else shown(value)


def _worded(value: Any, language: str) -> str:
    """A param as a message writes it: whole numbers grouped, yes/no in words, lists with commas."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return text("workbook.answer_yes" if value else "workbook.answer_no", language)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return group_digits(value)
    if isinstance(value, list):
        return ", ".join(_worded(item, language) for item in value)
    return str(value)


class _Params(dict):  # type: ignore[type-arg]
    """A placeholder without its param is worded as nothing: showing a problem never fails
    (tests/test_problem_params.py checks that every problem carries all its template's params)."""

    def __missing__(self, name: str) -> str:
        return ""


def _words(problem: Problem, language: str) -> _Params:
    words = _Params((name, _worded(value, language)) for name, value in problem.params.items())
    detail = problem.params.get("detail")
    if isinstance(detail, str) and f"detail.{detail}" in catalogue(language):
        words["detail"] = catalogue(language)[f"detail.{detail}"].format_map(words)
    return words


def render(problem: Problem, language: str = DEFAULT_LANGUAGE, *, place: bool = True) -> str:
    """The problem's message: its code's template in ``language``, filled in from its params.

    ``place=False`` leaves out the «Arket «X», celle B5 (label): » start of a problem on a sheet
    (for lists whose columns show the place); the rest then starts with a capital letter.
    """
    template = catalogue(language)[f"problem.{problem.code}"]
    words = _words(problem, language)
    if not place and problem.sheet and template.startswith(PLACE_START):
        rest = template[len(PLACE_START):].format_map(words)
        return rest[:1].upper() + rest[1:]
    words["where"] = where(problem.sheet, problem.cell, problem.params.get("label"), language)
    return template.format_map(words)


def make(code: str, file: str, *, severity: str = ERROR, sheet: str | None = None, cell: str | None = None,
         key: str | None = None, row: int | None = None, column: str | None = None, label: str | None = None,
         value: Any = None, **details: Any) -> Problem:
    """A problem of ``code`` whose message (``problem.<code>`` of the catalogue) is made of ``label``
    (in its place), ``value`` and the ``details`` its template names."""
    params = {name: _plain(detail) for name, detail in details.items()}
    if label:
        params["label"] = label
    if (in_message := _value_param(value)) is not None:
        params["value"] = in_message
    return Problem(code=code, severity=severity, file=file, sheet=sheet, cell=cell, key=key, row=row, column=column,
                   value=shown(value), params=params)
