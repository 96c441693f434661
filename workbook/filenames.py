"""File and folder names made from an agency's name, safe on every system the central unit uses.

Written by hand (a few lines) rather than through a slug library: the folding is Norwegian
(æ -> ae, ø -> o, which Unicode decomposition leaves alone), and Windows' reserved device names and
its case-insensitive names need handling anyway.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

#: Norwegian (and a few other) letters that Unicode decomposition does not fold to ASCII.
_FOLD = str.maketrans({"æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe", "Œ": "OE", "ß": "ss", "đ": "d",
                       "Đ": "D", "ŋ": "n", "Ŋ": "N", "ŧ": "t", "Ŧ": "T", "ł": "l", "Ł": "L", "þ": "th", "Þ": "TH"})
#: Names Windows keeps for devices, whatever the extension (``con.xlsx`` cannot be made).
RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))})
#: What a name keeps: ASCII letters, digits and a few harmless signs; anything else (what Windows
#: refuses, control characters) becomes a space.
_UNSAFE = re.compile(r"[^A-Za-z0-9 ._,()&'+-]+")
#: how long a name made from an agency's name may be (Windows paths stay well under 260 characters)
NAME_LENGTH = 80


def ascii_stem(name: str, fallback: str) -> str:
    """``name`` as a file name stem of ASCII letters and digits in lower case, words joined by ``-``
    (``Bymiljøetaten`` -> ``bymiljoetaten``); ``fallback`` when nothing is left, and appended to a
    reserved name (``aux`` -> ``aux-<fallback>``)."""
    ascii_ = unicodedata.normalize("NFKD", name.translate(_FOLD)).encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")[:NAME_LENGTH].rstrip("-") or fallback
    return f"{stem}-{fallback}" if stem in RESERVED else stem


def safe_file_name(name: str, fallback: str = "_") -> str:
    """``name`` as a file or folder name that Windows, macOS and Linux all take, still readable:
    ASCII-folded (``Bymiljøetaten`` -> ``Bymiljoetaten``), signs a file system refuses (``/\\:*?"<>|``)
    and control characters replaced by spaces, no leading or trailing dots and spaces, no leading
    ``-``, ``+`` or ``'``, at most
    :data:`NAME_LENGTH` characters, never a reserved device name (``CON.txt`` -> ``CON_.txt``), never empty
    (``fallback``)."""
    folded = unicodedata.normalize("NFKD", name.translate(_FOLD)).encode("ascii", "ignore").decode("ascii")
    # no leading sign that a shell takes for an option or a spreadsheet for a formula (``-x``, ``+x``)
    cleaned = " ".join(_UNSAFE.sub(" ", folded).split()).lstrip(" .-+'")[:NAME_LENGTH].strip(" .")
    if not cleaned:
        cleaned = fallback
    stem, dot, rest = cleaned.partition(".")
    if stem.strip().lower() in RESERVED:
        cleaned = f"{stem.rstrip()}_{dot}{rest}"
    return cleaned


def unique_names(names: Iterable[str], numbered: Callable[[str, int], str] = lambda name, n: f"{name} ({n})"
                 ) -> list[str]:
    """The names made distinct as Windows compares them (case-insensitive): a name met again gets
    a number (``numbered``; by default `` (2)``, `` (3)``…); the first keeps its name."""
    taken: set[str] = set()
    unique: list[str] = []
    for name in names:
        candidate, number = name, 1
        while candidate.casefold() in taken:
            number += 1
            candidate = numbered(name, number)
        taken.add(candidate.casefold())
        unique.append(candidate)
    return unique
