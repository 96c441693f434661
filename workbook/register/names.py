"""How an agency's name is matched (the list, the workbooks and the mail merge spell it their own
way), and the names of the files made for it."""

from __future__ import annotations

import unicodedata

from workbook.filenames import safe_file_name


def name_key(name: str) -> str:
    """The key two spellings of one agency share: Unicode-normalised (NFKC), case-folded, inner
    whitespace collapsed. ``"Bymiljøetaten "`` and ``"BYMILJØETATEN"`` are one agency."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def feedback_file_name(agency_name: str, version: int) -> str:
    """The name of an agency's feedback copy of its submission ``version`` as the central unit sends
    it (``register status`` lists it, ``register feedback`` writes it)."""
    from workbook.messages import text

    return text("register.names.feedback_file", agency=safe_file_name(agency_name), version=version)
