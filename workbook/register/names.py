"""How an agency's name is matched (the list, the workbooks and the mail merge spell it their own
way), and the names of the files made for it."""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from workbook.filenames import safe_file_name, unique_names
from workbook.messages import text
from workbook.register.db import INVALID, UNREADABLE

#: a submission or an agency of the register (a database row, or a dict in its shape)
Row = sqlite3.Row | Mapping[str, Any]


def name_key(name: str) -> str:
    """The key two spellings of one agency share: Unicode-normalised (NFKC), case-folded, inner
    whitespace collapsed. ``"Bymiljøetaten "`` and ``"BYMILJØETATEN"`` are one agency."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def feedback_plan(expected: Mapping[str, Row], latest: Mapping[str, Row]) -> list[tuple[Row, str]]:
    """What ``register feedback`` writes for a year, and ``register status`` names for the mail
    merge: each agency's newest submission (``latest``, by name key) when it is not valid, the listed
    agencies (``expected``, by name key) first in the list's order, then the others by name; each with
    its folder: the agency's name as the list spells it, made safe for Windows, and unique among them
    (``Etat``, ``Etat (2)``)."""
    order = [key for key in expected if key in latest] + sorted(key for key in latest if key not in expected)
    chosen = [latest[key] for key in order if latest[key]["outcome"] in (INVALID, UNREADABLE)]
    fallback = text("register.feedback.folder_fallback")
    folders = unique_names([safe_file_name(expected[row["agency_key"]]["name"] if row["agency_key"] in expected
                                           else row["agency"] or row["agency_key"], fallback) for row in chosen])
    return list(zip(chosen, folders))


def feedback_file(folder: str, filename: str, *, copy: bool) -> str:
    """The file to send in an agency's folder, for the file it sent: the annotated copy
    ``<folder>/<stem>-tilbakemelding.xlsx``, or where there is none, its problems as text
    ``<folder>/<stem>-problemer.txt``."""
    stem = safe_file_name(Path(filename).stem, text("register.feedback.file_fallback"))
    suffix = f"{text('annotate.file_suffix')}.xlsx" if copy else f"{text('register.feedback.problems_suffix')}.txt"
    return f"{folder}/{stem}{suffix}"
