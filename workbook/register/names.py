"""How an agency's name is matched: the list, the workbooks and the mail merge spell it their own way."""

from __future__ import annotations

import unicodedata


def name_key(name: str) -> str:
    """The key two spellings of one agency share: Unicode-normalised (NFKC), case-folded, inner
    whitespace collapsed. ``"Bymiljøetaten "`` and ``"BYMILJØETATEN"`` are one agency."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())
