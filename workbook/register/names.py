"""How an agency's name is matched: the list, the workbooks and the mail merge spell it their own way."""

from __future__ import annotations

import re
import unicodedata


def name_key(name: str) -> str:
    """The key two spellings of one agency share: Unicode-normalised (NFKC), case-folded, inner
    whitespace collapsed. ``"Bymiljøetaten "`` and ``"BYMILJØETATEN"`` are one agency."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


# --- names on disk --------------------------------------------------------------------------------
#: Letters NFKD does not take apart into an ASCII letter and a mark (``ø`` is not ``o`` + a mark).
_FOLD = str.maketrans({"æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "å": "a", "Å": "A", "ß": "ss", "đ": "d",
                       "Đ": "D", "ŋ": "n", "Ŋ": "N", "ŧ": "t", "Ŧ": "T", "ł": "l", "Ł": "L", "þ": "th", "Þ": "TH"})
#: Names Windows keeps for devices, with any extension (``CON``, ``nul.txt``): never a file's name.
_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))})
#: What a name keeps: ASCII letters, digits and a few harmless signs; anything else becomes a space.
_UNSAFE = re.compile(r"[^A-Za-z0-9 ._,()&'+-]+")
#: Room for the folder around it: Windows' classic path limit is 260 characters.
NAME_LIMIT = 80


def safe_file_name(name: str, fallback: str = "_") -> str:
    """``name`` as a file or folder name that Windows, macOS and Linux all take, still readable:
    ASCII-folded (``Bymiljøetaten`` -> ``Bymiljoetaten``), signs a file system refuses (``/\\:*?"<>|``)
    and control characters replaced by spaces, no leading or trailing dots and spaces, no leading
    ``-``, ``+`` or ``'``, at most
    :data:`NAME_LIMIT` characters, never a reserved device name (``CON.txt`` -> ``CON_.txt``), never empty
    (``fallback``)."""
    folded = unicodedata.normalize("NFKD", name.translate(_FOLD)).encode("ascii", "ignore").decode("ascii")
    # no leading sign that a shell takes for an option or a spreadsheet for a formula (``-x``, ``+x``)
    cleaned = " ".join(_UNSAFE.sub(" ", folded).split()).lstrip(" .-+'")[:NAME_LIMIT].strip(" .")
    if not cleaned:
        cleaned = fallback
    stem, dot, rest = cleaned.partition(".")
    if stem.strip().lower() in _RESERVED:
        cleaned = f"{stem.rstrip()}_{dot}{rest}"
    return cleaned


def unique_names(names: list[str]) -> list[str]:
    """The names made distinct as Windows compares them (case-insensitive): a name met again gets
    `` (2)``, `` (3)``… (the first keeps its name)."""
    taken: set[str] = set()
    unique: list[str] = []
    for name in names:
        candidate, number = name, 1
        while candidate.casefold() in taken:
            number += 1
            candidate = f"{name} ({number})"
        taken.add(candidate.casefold())
        unique.append(candidate)
    return unique
