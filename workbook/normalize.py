"""Turn what a person typed into a cell into the value the rules check.

Each function takes a cell value as a reader gives it (str, int, float, bool, date/datetime or
None) and returns ``(value, problem_code)``: the normalised value, or the value as typed and the
code of the problem that stops it being read. Nothing becomes 0 or disappears without a code.

What reading changes, and nothing else (the README says the same): line breaks become ``\n``
(``\r\n`` and ``\r`` from other programs); a Ja/Nei, a choice and a number are matched without
regard to outer spaces and case; an answer of white space only counts as unanswered and says so
(``blank-answer``, a warning). A text answer keeps its outer white space. A value that could not
be read is returned as text a person would recognise (a date as ``05.03.2024``, ``NaN``), so the
JSON export stays valid.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from typing import Any

from workbook.ooxml_text import MAX_DIGITS, is_exact_in_excel

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
#: Codes that are said (as warnings) while the value still counts as read.
NOTICES = frozenset({"blank-answer"})
BLANK = "blank-answer"


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _blank(value: Any) -> bool:
    """White space only: typed, but not an answer."""
    return isinstance(value, str) and value != "" and not value.strip()


def _float_text(value: float) -> str:
    """NaN and the infinities as JSON's own words for them, which a person can read."""
    return "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"


def as_read(value: Any) -> Any:
    """A value that could not be read, as JSON can hold it: dates and NaN as text, others unchanged."""
    if isinstance(value, float) and not math.isfinite(value):
        return _float_text(value)
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        return to_text(value)[0]
    return value


def json_safe(value: Any) -> Any:
    """``value`` (a document, a table, one answer) with every value JSON cannot hold as
    :func:`as_read` gives it: what export writes is always valid JSON."""
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if value is None or isinstance(value, (str, bool, int)) or (isinstance(value, float) and math.isfinite(value)):
        return value
    shown = as_read(value)
    return shown if isinstance(shown, str) else str(shown)


def to_text(value: Any, allowed: tuple[str, ...] = ()) -> Outcome:
    """Text exactly as typed (one kind of line break); numbers and dates as a person reads them."""
    if _blank(value):
        return None, BLANK
    if is_empty(value):
        return None, None
    if isinstance(value, str):  # one kind of line break, whichever program saved the file
        return value.replace("\r\n", "\n").replace("\r", "\n"), None
    if isinstance(value, bool):
        return ("Ja" if value else "Nei"), None
    if isinstance(value, float) and not math.isfinite(value):
        return _float_text(value), None
    if isinstance(value, float) and value.is_integer():
        return str(_whole(value)), None
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.strftime("%d.%m.%Y"), None
        return value.strftime("%d.%m.%Y %H:%M"), None
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y"), None
    return str(value), None


def _whole(value: float) -> int:
    """A whole number cell as Excel shows it: beyond 2**53 a double is not the decimal typed, but its
    15 significant digits are (``12345678901234500000``, not ``12345678901234499584``)."""
    if abs(value) < 2**53:
        return int(value)
    return int(Decimal(f"{value:.15g}"))


def to_int(value: Any, allowed: tuple[str, ...] = ()) -> Outcome:
    """A whole number, also as Norwegians type it: ``27 000 000 000 kr``, ``1.500``, ``12 500,-``.

    A number typed as text with more significant digits than Excel keeps (15) is refused
    (``too-many-digits``), never rounded.
    """
    if _blank(value):
        return None, BLANK
    if is_empty(value):
        return None, None
    if isinstance(value, bool):
        return value, "not-a-number"
    if isinstance(value, int):
        return value, None
    if isinstance(value, float):
        if not math.isfinite(value):
            return _float_text(value), "not-a-number"
        return (_whole(value), None) if value.is_integer() else (value, "not-whole-number")
    if isinstance(value, (dt.date, dt.datetime, dt.time, dt.timedelta)):
        return to_text(value)[0], "date-not-number"
    typed = str(value)
    compact = _CURRENCY.sub("", _SPACES.sub(" ", typed).strip()).strip()
    if " " in compact and not _SPACE_THOUSANDS.match(compact):  # "1 2" is two numbers, not 12
        return typed, "not-a-number"
    compact = compact.replace(" ", "")
    if len(compact) > MAX_DIGITS:  # before int(), which refuses more than 4,300 digits
        return typed, "too-many-digits"
    if _DOT_THOUSANDS.match(compact):
        compact = compact.replace(".", "")
    if _INTEGER.match(compact):
        number = int(compact)
        return (number, None) if is_exact_in_excel(number) else (typed, "too-many-digits")
    if _DECIMAL.match(compact):
        exact = Decimal(compact.replace(",", "."))
        if exact != exact.to_integral_value():
            return typed, "not-whole-number"
        number = int(exact)
        return (number, None) if is_exact_in_excel(number) else (typed, "too-many-digits")
    return typed, "not-a-number"


def to_yesno(value: Any, allowed: tuple[str, ...] = ()) -> Outcome:
    """Ja / Nei in any case and spacing (and Excel's TRUE/FALSE) as True / False."""
    if _blank(value):
        return None, BLANK
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
    typed, code = to_text(value)
    if typed is None:
        return None, code
    for option in allowed:
        if option.casefold() == typed.strip().casefold():
            return option, None
    return typed, "not-allowed"


def is_chosen(value: Any) -> Outcome:
    """An option cell of a ``choices`` question: Ja (or x) chooses it; Nei or empty does not."""
    if _blank(value):
        return False, BLANK
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
    """Normalise ``value`` as its field kind does (:data:`workbook.kinds.KIND`)."""
    return _BY_KIND[kind](value, allowed)


#: Each kind's normaliser as :mod:`workbook.kinds` fills it in (the reader's hot path: one look-up;
#: every normaliser takes the allowed values, most ignore them). Imported last, so either module may
#: be imported first.
_BY_KIND: dict[str, Any] = {}
from workbook import kinds as _kinds  # noqa: E402,F401  (fills _BY_KIND)
