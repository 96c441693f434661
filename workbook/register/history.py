"""An agency's history for a year: every version it delivered, oldest first, with its outcome,
its problem counts and every receipt of the same bytes (duplicates included)."""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, field
from typing import Any

from workbook.register.core import Register
from workbook.register.db import RegisterError
from workbook.register.names import name_key


@dataclass
class Version:
    number: int
    form_version: str | None
    received: str
    sender: str | None
    sha256: str
    filename: str
    outcome: str
    errors: int
    warnings: int
    feedback_sha256: str | None
    #: problems by code: {code: count}
    problems: dict[str, int] = field(default_factory=dict)
    #: every time these bytes came in: {received, sender, filename, duplicate}
    receipts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        return sum(r["duplicate"] for r in self.receipts)


@dataclass
class History:
    year: int
    agency: str  # the list's spelling, else the newest workbook's
    listed: bool
    email: str | None
    versions: list[Version]

    @property
    def current(self) -> Version | None:
        return self.versions[-1] if self.versions else None

    def to_dict(self) -> dict[str, Any]:
        return {"year": self.year, "agency": self.agency, "listed": self.listed, "email": self.email,
                "versions": [asdict(v) | {"duplicates": v.duplicates} for v in self.versions]}


def history(reg: Register, year: int, agency: str) -> History:
    """``agency``'s versions for ``year`` (matched by its name key); a :class:`RegisterError` when
    the register knows no agency of that name for the year, with the names it does know that are close."""
    key = name_key(agency)
    listed_year = reg.list_year(year)
    listed = reg.query("SELECT * FROM agencies WHERE year = ? AND name_key = ?", listed_year, key)
    rows = reg.versions(year, key)
    if not listed and not rows:
        known = [r[0] for r in reg.query("SELECT name FROM agencies WHERE year = ? UNION"
                                         " SELECT agency FROM submissions WHERE year = ? AND agency IS NOT NULL",
                                         listed_year, year)]
        close = difflib.get_close_matches(agency, known, n=3, cutoff=0.5)
        if close:
            raise RegisterError("register.history.error_unknown_close", agency=agency, year=year,
                                close="», «".join(close))
        raise RegisterError("register.history.error_unknown", agency=agency, year=year)
    ids = [row["id"] for row in rows]
    marks = ", ".join("?" * len(ids))
    problems: dict[int, dict[str, int]] = {}
    receipts: dict[int, list[dict[str, Any]]] = {}
    if ids:
        for row in reg.query(f"SELECT submission_id, code, count(*) AS n FROM problems WHERE submission_id IN ({marks})"
                             " GROUP BY submission_id, code ORDER BY submission_id, min(seq)", *ids):
            problems.setdefault(row["submission_id"], {})[row["code"]] = row["n"]
        for row in reg.query(f"SELECT * FROM receipts WHERE submission_id IN ({marks}) ORDER BY received, id", *ids):
            receipts.setdefault(row["submission_id"], []).append(
                {"received": row["received"], "sender": row["sender"], "filename": row["filename"],
                 "duplicate": bool(row["duplicate"])})
    versions = [Version(number, row["form_version"], row["received"], row["sender"], row["sha256"], row["filename"],
                        row["outcome"], row["errors"], row["warnings"], row["feedback_sha256"],
                        problems.get(row["id"], {}), receipts.get(row["id"], []))
                for number, row in enumerate(rows, start=1)]
    name = listed[0]["name"] if listed else rows[-1]["agency"]
    return History(year, name, bool(listed), listed[0]["email"] if listed else None, versions)
