"""Turn what a person typed into a cell into the value the rules check.

Each function takes a cell value as a reader gives it (str, int, float, bool, date/datetime or
None) and returns ``(value, problem_code)``: the normalised value, or the value as typed and the
code of the problem that stops it being read. Nothing becomes 0 or disappears without a code.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

Outcome = tuple[Any, "str | None"]

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009\u2007]+")
_CURRENCY = re.compile(r"(?i)^(?:nok|kr\.?)\s*|\s*(?:nok|kr\.?|kroner|,-|,00|\.-)$")
_DOT_THOUSANDS = re.compile(r"^-?\d{1,3}(?:\.\d{3})+$")
_SPACE_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(?: \d{3})+(?:[.,]\d+)?$")
_INTEGER = re.compile(r"^[-+]?\d+$")
_DECIMAL = re.compile(r"^[-+]?\d+[.,]\d+$")

YES_WORDS = frozenset({"ja", "j"})
NO_WORDS = frozenset({"nei", "n"})
CHOSEN_WORDS = YES_WORDS | frozenset({"x", "✓", "✔"})


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def to_text(value: Any) -> Outcome:
    """Text as typed, without surrounding white space; numbers and dates as a person reads them."""
    if is_empty(value):
        return None, None
    if isinstance(value, str):  # one kind of line break, whichever program saved the file
        return value.replace("\r\n", "\n").replace("\r", "\n").strip(), None
    if isinstance(value, bool):
        return ("Ja" if value else "Nei"), None
    if isinstance(value, float) and value.is_integer():
        return str(int(value)), None
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.strftime("%d.%m.%Y"), None
        return value.strftime("%d.%m.%Y %H:%M"), None
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y"), None
    return str(value), None


def to_int(value: Any) -> Outcome:
    """A whole number, also as Norwegians type it: ``27 000 000 000 kr``, ``1.500``, ``12 500,-``."""
    if is_empty(value):
        return None, None
    if isinstance(value, bool):
        return value, "not-a-number"
    if isinstance(value, int):
        return value, None
    if isinstance(value, float):
        return (int(value), None) if value.is_integer() else (value, "not-whole-number")
    if isinstance(value, (dt.date, dt.datetime, dt.time, dt.timedelta)):
        return value, "date-not-number"
    typed = str(value)
    compact = _CURRENCY.sub("", _SPACES.sub(" ", typed).strip()).strip()
    if " " in compact and not _SPACE_THOUSANDS.match(compact):  # "1 2" is two numbers, not 12
        return typed.strip(), "not-a-number"
    compact = compact.replace(" ", "")
    if _DOT_THOUSANDS.match(compact):
        compact = compact.replace(".", "")
    if _INTEGER.match(compact):
        return int(compact), None
    if _DECIMAL.match(compact):
        number = float(compact.replace(",", "."))
        return (int(number), None) if number.is_integer() else (typed.strip(), "not-whole-number")
    return typed.strip(), "not-a-number"


def to_yesno(value: Any) -> Outcome:
    """Ja / Nei in any case and spacing (and Excel's TRUE/FALSE) as True / False."""
    if is_empty(value):
        return None, None
    if isinstance(value, bool):
        return value, None
    word = str(value).strip().casefold()
    if word in YES_WORDS:
        return True, None
    if word in NO_WORDS:
        return False, None
    return to_text(value)[0], "not-yesno"


def to_choice(value: Any, allowed: tuple[str, ...]) -> Outcome:
    """One of ``allowed``, matched without regard to case and outer spaces."""
    typed, _ = to_text(value)
    if typed is None:
        return None, None
    for option in allowed:
        if option.casefold() == typed.casefold():
            return option, None
    return typed, "not-allowed"


def is_chosen(value: Any) -> Outcome:
    """An option cell of a ``choices`` question: Ja (or x) chooses it; Nei or empty does not."""
    if is_empty(value):
        return False, None
    if isinstance(value, bool):
        return value, None
    word = str(value).strip().casefold()
    if word in CHOSEN_WORDS:
        return True, None
    if word in NO_WORDS:
        return False, None
    return to_text(value)[0], "not-yesno"


def normalise(kind: str, value: Any, allowed: tuple[str, ...] = ()) -> Outcome:
    """Dispatch on the field kind of the rules."""
    if kind == "int":
        return to_int(value)
    if kind == "yesno":
        return to_yesno(value)
    if kind == "choice":
        return to_choice(value, allowed)
    return to_text(value)
