"""How an agency's name is matched (the list, the workbooks and the mail merge spell it their own
way), and the names of the files made for it."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from workbook.filenames import safe_file_name


def name_key(name: str) -> str:
    """The key two spellings of one agency share: Unicode-normalised (NFKC), case-folded, inner
    whitespace collapsed. ``"Bymiljøetaten "`` and ``"BYMILJØETATEN"`` are one agency."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def feedback_file_name(agency_name: str, filename: str) -> str:
    """Where ``register feedback`` puts an agency's feedback copy of the file it sent, relative to
    its folder: ``<agency>/<file's stem>-tilbakemelding.xlsx`` (``register status`` lists it so)."""
    from workbook.messages import text

    folder = safe_file_name(agency_name, text("register.feedback.folder_fallback"))
    stem = safe_file_name(Path(filename).stem, text("register.feedback.file_fallback"))
    return f"{folder}/{stem}{text('annotate.file_suffix')}.xlsx"
