"""File and folder names made from an agency's name, safe on every system the central unit uses.

Written by hand (a few lines) rather than through a slug library: the folding is Norwegian
(æ -> ae, ø -> o, which Unicode decomposition leaves alone), and Windows' reserved device names and
its case-insensitive names need handling anyway.
"""

from __future__ import annotations

import re
import unicodedata

#: Norwegian (and a few other) letters that Unicode decomposition does not fold to ASCII.
_FOLD = str.maketrans({"æ": "ae", "Æ": "Ae", "ø": "o", "Ø": "O", "œ": "oe", "Œ": "Oe", "ß": "ss",
                       "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "Th"})
#: Names Windows keeps for devices, whatever the extension (``con.xlsx`` cannot be made).
RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))})
#: Characters Windows refuses in a name (and "/" everywhere), control characters among them.
_UNSAFE_IN_NAME = set('<>:"/\\|?*') | {chr(c) for c in range(32)} | {"\x7f"}
#: how long a name made from an agency's name may be (Windows paths stay well under 260 characters)
NAME_LENGTH = 80


def ascii_stem(name: str, fallback: str) -> str:
    """``name`` as a file name stem of ASCII letters and digits in lower case, words joined by ``-``
    (``Bymiljøetaten`` -> ``bymiljoetaten``); ``fallback`` when nothing is left, and appended to a
    reserved name (``aux`` -> ``aux-<fallback>``)."""
    ascii_ = unicodedata.normalize("NFKD", name.translate(_FOLD)).encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")[:NAME_LENGTH].rstrip("-") or fallback
    return f"{stem}-{fallback}" if stem in RESERVED else stem


def safe_file_name(name: str) -> str:
    """``name`` as a file or folder name every system takes, letters kept as they are: characters
    Windows refuses become ``_``, trailing dots and spaces go, a device name (``CON``) gets ``_``,
    long names are cut."""
    cleaned = "".join("_" if ch in _UNSAFE_IN_NAME else ch for ch in name).strip()
    cleaned = cleaned[:NAME_LENGTH].rstrip(". ") or "_"
    if cleaned.split(".")[0].casefold() in RESERVED:
        cleaned += "_"
    return cleaned
