"""Checking a register: every stored file against its hash, the database against the store, and the
database itself (SQLite's own integrity and foreign-key checks). It reports; it never repairs.

A file in the store with no record is not an error: a collect stopped between writing a file and
recording it leaves one, and the next collect of the same bytes adopts it. Temporary files in the
store's ``tmp/`` folder are such leftovers too.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from workbook.register.core import Register


@dataclass
class Damage:
    """A recorded file that is missing from the store, or whose bytes no longer hash to its name."""

    sha256: str
    kind: str  # 'workbook' or 'feedback' (the blobs table's kind)
    #: the submissions it belongs to: (id, agency or None, original file name, year)
    submissions: list[tuple[int, str | None, str, int | None]] = field(default_factory=list)


@dataclass
class CheckReport:
    """What :func:`check` found. ``consistent`` unless a recorded file is missing or altered, or
    the database itself is damaged; files without a record and temporary files are listed only."""

    checked: int = 0
    missing: list[Damage] = field(default_factory=list)
    altered: list[Damage] = field(default_factory=list)
    unrecorded: list[str] = field(default_factory=list)
    temporary: list[str] = field(default_factory=list)
    #: SQLite's integrity_check lines other than "ok" (SQLite's own words: they name pages and indexes)
    integrity: list[str] = field(default_factory=list)
    #: foreign_key_check's rows: (table, rowid, the table it refers to) of each row whose reference is broken
    references: list[tuple[str, int, str]] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return not (self.missing or self.altered or self.integrity or self.references)

    def to_dict(self) -> dict[str, object]:
        def damage(items: list[Damage]) -> list[dict[str, object]]:
            return [{"sha256": d.sha256, "kind": d.kind, "submissions": [
                {"id": i, "agency": a, "filename": f, "year": y} for i, a, f, y in d.submissions]} for d in items]

        return {"consistent": self.consistent, "checked": self.checked, "missing": damage(self.missing),
                "altered": damage(self.altered), "unrecorded": self.unrecorded, "temporary": self.temporary,
                "integrity": self.integrity,
                "references": [{"table": t, "rowid": r, "refers_to": p} for t, r, p in self.references]}


def check(reg: Register) -> CheckReport:
    """Check the register ``reg`` (see the module's text); reads only."""
    report = CheckReport()
    try:
        report.integrity, report.references = _database_problems(reg)
        blobs = reg.conn.execute("SELECT sha256, kind FROM blobs ORDER BY sha256").fetchall()
    except sqlite3.DatabaseError as error:  # damaged past what the checks can walk: said, not raised
        report.integrity.append(str(error))
        return report
    for blob in blobs:
        state = reg.store.verify(blob["sha256"])
        if state is True:
            continue
        damage = Damage(blob["sha256"], blob["kind"], _owners(reg, blob["sha256"]))
        (report.missing if state is None else report.altered).append(damage)
    report.checked = len(blobs)
    recorded = {b["sha256"] for b in blobs}
    report.unrecorded = sorted(reg.store.names() - recorded)
    tmp = reg.store.folder / "tmp"
    report.temporary = sorted(p.name for p in tmp.iterdir()) if tmp.is_dir() else []
    return report


def _owners(reg: Register, sha256: str) -> list[tuple[int, str | None, str, int | None]]:
    rows = reg.query("SELECT id, agency, filename, year FROM submissions WHERE sha256 = ? OR feedback_sha256 = ?"
                     " ORDER BY id", sha256, sha256)
    return [(r["id"], r["agency"], r["filename"], r["year"]) for r in rows]


def _database_problems(reg: Register) -> tuple[list[str], list[tuple[str, int, str]]]:
    integrity = [line for r in reg.conn.execute("PRAGMA integrity_check").fetchall() if r[0] != "ok"
                 for line in r[0].splitlines()]
    references = [(r[0], r[1], r[2]) for r in reg.conn.execute("PRAGMA foreign_key_check").fetchall()]
    return integrity, references
