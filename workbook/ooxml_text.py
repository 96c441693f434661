"""Text as an .xlsx file stores it: the ``_xHHHH_`` escape and Excel's limits, in one place.

OOXML stores a character that XML cannot hold (control characters) as ``_xHHHH_``, and a literal
underscore that would otherwise start such an escape as ``_x005F_``. Readers (Excel,
python-calamine) decode left to right, so the escape must mark *every* underscore followed by
``xHHHH_``, overlapping ones included: ``_x0041_x0042_`` is stored as
``_x005F_x0041_x005F_x0042_``. xlsxwriter 3.3.1 marks only non-overlapping matches (``_x005F_x0041_
x0042_``, read back as ``_x0041B``); :func:`install_xlsxwriter_escape` puts the correct escape in
its place (written here by hand because no library does it right).

Excel's limits are counted the way Excel counts: a cell holds 32,767 UTF-16 code units (an emoji
counts two) and a number keeps 15 significant digits.
"""

from __future__ import annotations

import re

#: The most UTF-16 code units an Excel cell holds.
CELL_LIMIT = 32767
#: The most significant digits Excel keeps of a number.
EXACT_DIGITS = 15
#: The most digits a number can have in Excel at all (its largest is 9.99999999999999E+307).
MAX_DIGITS = 308
#: Characters no .xlsx file can hold, whatever the escape: Excel and LibreOffice drop or mangle them.
NONCHARACTERS = frozenset("\ufffe\uffff")

_CONTROL = r"\x00-\x08\x0b-\x1f"  # as xlsxwriter and Excel escape them (tab and line feed stay)
_UNDERSCORE = re.compile(rf"_(?=x[0-9A-Fa-f]{{4}}(?:_|[{_CONTROL}\ufffe\uffff]))")
_TO_ESCAPE = re.compile(rf"[{_CONTROL}\ufffe\uffff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def escape(value: str) -> str:
    """``value`` as stored in a cell's XML, so that every reader decodes exactly ``value``.

    An underscore is marked when the stored text after it would read as an escape (including an
    escape that a control character right after it becomes).
    """
    if "_" in value:
        value = _UNDERSCORE.sub("_x005F_", value)
    return _TO_ESCAPE.sub(lambda match: f"_x{ord(match.group()):04X}_", value)


def unescape(stored: str) -> str:
    """The text a cell's stored XML text means, decoded left to right as Excel and python-calamine
    do; an escape of a surrogate or of U+FFFE/U+FFFF is left as it stands, as they leave it."""
    if "_x" not in stored:
        return stored
    return _ESCAPED.sub(_decode, stored)


def _decode(match: re.Match[str]) -> str:
    code = int(match.group(1), 16)
    return match.group() if 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF) else chr(code)


def utf16_len(value: str) -> int:
    """The length of ``value`` as Excel counts it (UTF-16 code units)."""
    return len(value.encode("utf-16-le", "surrogatepass")) // 2


def is_exact_in_excel(number: int) -> bool:
    """Whether Excel stores this whole number exactly (at most 15 significant digits)."""
    digits = str(abs(number))
    return len(digits) <= MAX_DIGITS and len(digits.rstrip("0")) <= EXACT_DIGITS


def lone_surrogate(value: str) -> str | None:
    """The first lone surrogate in ``value`` (a broken character no file can hold), if any."""
    found = _SURROGATE.search(value)
    return found.group() if found else None


def install_xlsxwriter_escape() -> None:
    """Make xlsxwriter's shared-strings writer use :func:`escape` (see the module docstring)."""
    from xlsxwriter.sharedstrings import SharedStrings

    SharedStrings._escape_control_characters = staticmethod(escape)  # type: ignore[method-assign]
