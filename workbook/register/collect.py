"""Collecting workbooks into the register: each file is copied into the store under its hash,
validated there (in worker processes, like ``validate``) and recorded with its outcome and problems,
each file in a transaction of its own, so a collect stopped at any moment keeps every file it
recorded and leaves nothing half-written.

The same bytes collected twice are one submission (the second time is a receipt of its own, marked
as a duplicate); a newer file from the same agency is its next version. An unreadable file is
recorded with its problem; its agency is the one whose contact e-mail is the sender (``--from``),
if there is one. The annotated feedback copies are made when there is feedback to send
(:func:`workbook.register.feedback.make_copies`), not here: most files are never sent back.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbook.container import ContainerProblem, open_regular
from workbook.problems import Problem
from workbook.register.answers import as_sent
from workbook.register.core import Register
from workbook.register.db import as_register_error
from workbook.register.names import name_key
from workbook.register.times import now
from workbook.validate import FileResult, expand_paths, iter_validate, validate_file

VALID, INVALID, UNREADABLE = "valid", "invalid", "unreadable"
#: hashes asked about in one query (SQLite allows 999 parameters before 3.32)
_QUERY_HASHES = 500
#: what a receipt needs of a submission (not its answers)
_RECEIPT_COLUMNS = "id, sha256, year, agency, agency_key, received, outcome, errors, warnings"
#: threads copying files into the store and syncing them to the disk (they wait on the disk, not on the processor)
STORE_THREADS = 8


@dataclass
class Receipt:
    """What collecting one file gave: the receipt printed and kept for it."""

    filename: str
    received: str
    sha256: str | None
    outcome: str
    errors: int
    warnings: int
    agency: str | None = None
    agency_known: bool = False
    year: int | None = None
    version: int | None = None
    duplicate: bool = False
    sender: str | None = None
    submission_id: int | None = None
    #: what this collect found in a new submission (empty for a duplicate: see the register)
    problems: list[Problem] = dataclasses.field(default_factory=list)
    #: None: recorded; else why the file could not even be taken in (not a file, unreadable): its problems
    refused: FileResult | None = None


def collect(reg: Register, paths: Iterable[Path | str], *, sender: str | None = None, year: int | None = None,
            jobs: int | None = None, progress: Callable[[Receipt], None] | None = None) -> list[Receipt]:
    """Take every workbook in ``paths`` (files, folders) into the register; one receipt per file, in order."""
    files = expand_paths(paths)
    staged: list[tuple[Path, str, int, str]] = []  # (source, sha256, size, received)
    receipts: dict[int, Receipt] = {}
    taken: dict[int, Receipt] = {}
    # Files are copied into the store, and each new one synced to the disk before its record is
    # committed (so a power cut can never leave a record without its file), in threads: they wait
    # on the disk, not the processor, and a journalling file system commits many syncs at once
    # (1,000 files one by one cost 2.5 s here, the workers' whole validation 2 s).
    with ThreadPoolExecutor(max_workers=STORE_THREADS) as threads:
        for index, (source, stored) in enumerate(zip(files, threads.map(lambda f: _stage(reg, f), files))):
            if stored is None:  # nothing to keep: the file is said with its reason, not recorded
                result = validate_file(source)
                receipts[index] = Receipt(source.name, now(), None, UNREADABLE, len(result.errors), 0, refused=result)
                continue
            staged.append((source, *stored, now()))
        known = _known(reg, [sha256 for _, sha256, _, _ in staged])
        fresh: dict[str, int] = {}  # the first of each new file's places in ``staged``
        for place, (_, sha256, _, _) in enumerate(staged):
            if sha256 not in fresh and sha256 not in known:
                fresh[sha256] = place
        in_store = {sha: reg.store.path(sha) for sha in fresh}
        synced = {sha: threads.submit(reg.store.sync_data, sha) for sha in fresh}
        # every file of this collect is in place now: each folder's names made durable once, not per file
        named = {folder.name: threads.submit(reg.store.sync_folder, folder)
                 for folder in {path.parent for path in in_store.values()}}
        named[""] = threads.submit(reg.store.sync_folder)  # the store's own (its folders' names)
        # the answers are not kept: the commands that need them read the stored file (register.answers)
        results = iter_validate(list(in_store.values()), jobs=jobs)
        for place, result in zip(fresh.values(), results):
            source, sha256, size, received = staged[place]
            result = as_sent(result, source.name)
            try:
                for durable in (synced[sha256], named[sha256[:2]], named[""]):
                    durable.result()
            except OSError as error:
                raise as_register_error(error, reg.store.folder) from None
            taken[place] = _record(reg, source.name, sha256, size, received, sender, year, result)
            if not taken[place].duplicate:
                taken[place].problems = result.problems
            if progress:
                progress(taken[place])
    for place, (source, sha256, _, received) in enumerate(staged):
        if place not in taken:
            taken[place] = _record_duplicate(reg, source.name, sha256, received, sender)
            if progress:
                progress(taken[place])
    order = iter(range(len(staged)))
    for index in range(len(files)):
        if index not in receipts:
            receipts[index] = taken[next(order)]
    return [receipts[i] for i in range(len(files))]


def _stage(reg: Register, source: Path) -> tuple[str, int] | None:
    """``source`` copied into the store (not yet synced): its SHA-256 and size; None if it is not a
    regular file that can be opened (a FIFO, a device, a link to nothing: never read)."""
    try:
        handle = open_regular(source)
    except ContainerProblem:
        return None
    try:
        with handle:
            return reg.store.put(handle, durable=False)
    except OSError as error:
        raise as_register_error(error, reg.store.folder) from None


def _known(reg: Register, hashes: list[str]) -> set[str]:
    """Which of ``hashes`` are submissions already (in one query per few hundred, not one per file)."""
    found: set[str] = set()
    for start in range(0, len(hashes), _QUERY_HASHES):
        chunk = hashes[start:start + _QUERY_HASHES]
        marks = ", ".join("?" * len(chunk))
        found |= {row[0] for row in reg.query(f"SELECT sha256 FROM submissions WHERE sha256 IN ({marks})", *chunk)}
    return found


def _year(reg: Register, result: FileResult, year: int | None) -> int | None:
    found = result.metadata.get("reporting_year")
    if isinstance(found, int) and not isinstance(found, bool):
        return found
    if year is not None:
        return year
    return reg.query("SELECT max(year) FROM agencies")[0][0]


def _agency_by_sender(reg: Register, year: int | None, sender: str | None) -> sqlite3.Row | None:
    if not sender or year is None:
        return None
    listed = reg.list_year(year)
    rows = reg.query("SELECT * FROM agencies WHERE year = ? AND lower(trim(email)) = lower(trim(?))", listed, sender)
    return rows[0] if len(rows) == 1 else None


def _record(reg: Register, filename: str, sha256: str, size: int, received: str, sender: str | None,
            year: int | None, result: FileResult) -> Receipt:
    outcome = VALID if result.valid else INVALID if result.readable else UNREADABLE
    year = _year(reg, result, year)
    agency = str(result.metadata.get("agency") or "").strip() or None
    if agency is None and (by_sender := _agency_by_sender(reg, year, sender)) is not None:
        agency = by_sender["name"]
    role = result.metadata.get("role") if result.readable else None
    key = name_key(agency) if agency else None
    with reg.transaction() as conn:
        if conn.execute("SELECT 1 FROM submissions WHERE sha256 = ?", (sha256,)).fetchone():
            pass  # another collect recorded the same bytes meanwhile: this is a duplicate
        else:
            conn.execute("INSERT OR IGNORE INTO blobs (sha256, size, kind) VALUES (?, ?, 'workbook')", (sha256, size))
            cursor = conn.execute(
                "INSERT INTO submissions (sha256, year, agency, agency_key, role, form_id, form_version, language,"
                " filename, received, sender, outcome, errors, warnings)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (sha256, year, agency, key, role,
                 _text(result.metadata.get("form_id")), _text(result.metadata.get("form_version")),
                 result.language if result.readable else None, filename, received, sender, outcome,
                 len(result.errors), len(result.warnings)))
            sid = cursor.lastrowid
            if result.problems:
                conn.executemany(
                    "INSERT INTO problems (submission_id, seq, code, severity, sheet, cell, field, problem)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(sid, seq, p.code, p.severity, p.sheet, p.cell, p.key,
                      json.dumps(p.to_dict(), ensure_ascii=False)) for seq, p in enumerate(result.problems)])
            conn.execute("INSERT INTO receipts (submission_id, received, sender, filename, duplicate)"
                         " VALUES (?, ?, ?, ?, 0)", (sid, received, sender, filename))
            row = {"id": sid, "sha256": sha256, "year": year, "agency": agency,
                   "agency_key": key, "received": received, "outcome": outcome,
                   "errors": len(result.errors), "warnings": len(result.warnings)}
            return _receipt(reg, row, filename, received, duplicate=False, sender=sender)
    return _record_duplicate(reg, filename, sha256, received, sender)


def _record_duplicate(reg: Register, filename: str, sha256: str, received: str, sender: str | None) -> Receipt:
    with reg.transaction() as conn:
        row = conn.execute(f"SELECT {_RECEIPT_COLUMNS} FROM submissions WHERE sha256 = ?", (sha256,)).fetchone()
        conn.execute("INSERT INTO receipts (submission_id, received, sender, filename, duplicate) VALUES (?, ?, ?, ?, 1)",
                     (row["id"], received, sender, filename))
    return _receipt(reg, row, filename, received, duplicate=True, sender=sender)


def _receipt(reg: Register, row: sqlite3.Row | dict[str, Any], filename: str, received: str, *, duplicate: bool,
             sender: str | None = None) -> Receipt:
    known = version = None
    if row["agency_key"] is not None and row["year"] is not None:
        listed = reg.list_year(row["year"])
        known = bool(reg.query("SELECT 1 FROM agencies WHERE year = ? AND name_key = ?", listed, row["agency_key"]))
        version = reg.version_of(row)
    return Receipt(filename=filename, received=received, sha256=row["sha256"], outcome=row["outcome"],
                   errors=row["errors"], warnings=row["warnings"], agency=row["agency"], agency_known=bool(known),
                   year=row["year"], version=version, duplicate=duplicate, sender=sender, submission_id=row["id"])


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
