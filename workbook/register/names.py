"""How an agency's name is matched: the list, the workbooks and the mail merge spell it their own way."""

from __future__ import annotations

import unicodedata


def name_key(name: str) -> str:
    """The key two spellings of one agency share: Unicode-normalised (NFKC), case-folded, inner
    whitespace collapsed. ``"Bymiljøetaten "`` and ``"BYMILJØETATEN"`` are one agency."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


# Characters Windows refuses in a file name (and "/" everywhere), control characters among them.
_UNSAFE_IN_NAME = set('<>:"/\\|?*') | {chr(c) for c in range(32)} | {"\x7f"}
_RESERVED_NAMES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
#: how long a name made from an agency's name may be (Windows paths stay well under 260 characters)
_NAME_LENGTH = 80


def safe_file_name(name: str) -> str:
    """``name`` as a file or folder name every system takes: characters Windows refuses become
    ``_``, trailing dots and spaces go, a device name (``CON``) gets ``_``, long names are cut."""
    cleaned = "".join("_" if ch in _UNSAFE_IN_NAME else ch for ch in name).strip()
    cleaned = cleaned[:_NAME_LENGTH].rstrip(". ") or "_"
    if cleaned.split(".")[0].casefold() in _RESERVED_NAMES:
        cleaned += "_"
    return cleaned


def feedback_file_name(agency_name: str, version: int) -> str:
    """The name of an agency's feedback copy of its submission ``version`` as the central unit sends
    it (``register status`` lists it, ``register feedback`` writes it)."""
    from workbook.messages import text

    return text("register.names.feedback_file", agency=safe_file_name(agency_name), version=version)
