"""Collecting workbooks into the register: each file is copied into the store under its hash,
validated there (in worker processes, like ``validate``) while the next files are copied, and
recorded with its outcome and problems, a few dozen files in a transaction, so a collect stopped at
any moment keeps every file whose receipt it gave and leaves nothing half-written (a file stored but
not yet recorded is adopted by the next collect of it).

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
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbook.container import ContainerProblem, open_regular
from workbook.problems import Problem
from workbook.register.answers import as_sent
from workbook.register.core import Register
from workbook.register.db import INVALID, UNREADABLE, VALID, as_register_error
from workbook.register.names import name_key
from workbook.register.times import now
from workbook.validate import FileResult, expand_paths, validate_file, validate_stream
from workbook.workers import worker_count

#: what a receipt needs of a submission (not its answers)
_RECEIPT_COLUMNS = "id, sha256, year, agency, agency_key, received, outcome, errors, warnings"
#: a collect records at most this many files in one transaction, and a file waits at most about this
#: long (seconds) for the others of its transaction: its receipt is given once they are committed
GROUP_FILES = 32
GROUP_SECONDS = 0.25


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
    receipts: list[Receipt | None] = [None] * len(files)
    fresh: list[tuple[int, Path, str, int, str]] = []  # (place, source, sha256, size, received), as validated
    again: list[tuple[int, Path, str, str]] = []  # bytes already a submission, or an earlier file's of this collect
    recorder = _Recorder(reg, receipts, sender, year, progress)
    # the register's files, asked for once (a file recorded by another collect meanwhile is
    # found when it is recorded: see _record)
    known = {row[0] for row in reg.query("SELECT sha256 FROM submissions")}
    taken: set[str] = set()  # the new files of this collect

    def stored() -> Iterator[Path]:
        """The new files' stored copies, each made as the workers ask for their next file, so
        that copying overlaps validating (in this thread: several threads copying cost more
        processor time than one, measured: 0.8 s against 0.3 s for 1,000 files). They are synced
        to the disk a group at a time, before the group is recorded (_Recorder.new)."""
        for place, source in enumerate(files):
            staged = _stage(reg, source)
            if staged is None:  # nothing to keep: the file is said with its reason, not recorded
                result = validate_file(source)
                recorder.give(place, Receipt(source.name, now(), None, UNREADABLE, len(result.errors), 0,
                                             refused=result))
                continue
            sha256, size = staged
            if sha256 in taken or sha256 in known:
                again.append((place, source, sha256, now()))
                continue
            taken.add(sha256)
            fresh.append((place, source, sha256, size, now()))
            yield reg.store.path(sha256)

    # the answers are not kept: the commands that need them read the stored file (register.answers)
    workers = worker_count(jobs, len(files))
    for number, result in enumerate(validate_stream(stored(), jobs=workers, idle=recorder.idle)):
        place, source, sha256, size, received = fresh[number]
        recorder.add((place, source.name, sha256, size, received, as_sent(result, source.name)))
    recorder.record()
    for start in range(0, len(again), GROUP_FILES):
        recorder.record_duplicates(again[start:start + GROUP_FILES])
    return [r for r in receipts if r is not None]


class _Recorder:
    """Records a collect's new files in groups, each group in one transaction (each commit waits for
    the disk: a commit for each file cost 0.3 s more processor time for 1,000 files, measured), and gives each
    file its receipt once its group is committed, never before. A group is recorded when it has
    :data:`GROUP_FILES` files, or when its first has waited :data:`GROUP_SECONDS` (also while the
    next file is still being validated: see :meth:`idle`)."""

    def __init__(self, reg: Register, receipts: list[Receipt | None], sender: str | None, year: int | None,
                 progress: Callable[[Receipt], None] | None) -> None:
        self.reg, self.receipts, self.sender, self.year, self.progress = reg, receipts, sender, year, progress
        self.group: list[tuple[int, str, str, int, str, FileResult]] = []
        self.opened = 0.0

    def add(self, entry: tuple[int, str, str, int, str, FileResult]) -> None:
        if not self.group:
            self.opened = time.monotonic()
        self.group.append(entry)
        if len(self.group) >= GROUP_FILES or time.monotonic() - self.opened >= GROUP_SECONDS:
            self.record()

    def idle(self) -> float | None:
        """Called while the workers work (before each wait for their answers): the group is
        recorded if it is due; else the seconds until it will be (None: no group)."""
        if not self.group:
            return None
        due = self.opened + GROUP_SECONDS - time.monotonic()
        if due > 0:
            return due
        self.record()
        return None

    def record(self) -> None:
        """Record the group of new files (none: nothing)."""
        group, self.group = self.group, []
        if not group:
            return
        try:  # a record is never committed before its file is on the disk
            self.reg.store.sync_many([sha256 for _, _, sha256, _, _, _ in group])
        except OSError as error:
            raise as_register_error(error, self.reg.store.folder) from None
        with self.reg.transaction():
            taken = [(place, _record(self.reg, filename, sha256, size, received, self.sender, self.year, result), result)
                     for place, filename, sha256, size, received, result in group]
        for place, receipt, result in taken:
            if not receipt.duplicate:
                receipt.problems = result.problems
            self.give(place, receipt)

    def record_duplicates(self, group: list[tuple[int, Path, str, str]]) -> None:
        """Record another receipt for each of these files' bytes, already a submission."""
        with self.reg.transaction():
            taken = [(place, _record_duplicate(self.reg, source.name, sha256, received, self.sender))
                     for place, source, sha256, received in group]
        for place, receipt in taken:
            self.give(place, receipt)

    def give(self, place: int, receipt: Receipt) -> None:
        """The file at ``place`` has its receipt: kept, and passed to ``progress``."""
        self.receipts[place] = receipt
        if self.progress:
            self.progress(receipt)


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
    """Record a new file (in the caller's transaction); a duplicate's receipt if another collect
    recorded the same bytes meanwhile."""
    outcome = VALID if result.valid else INVALID if result.readable else UNREADABLE
    year = _year(reg, result, year)
    agency = str(result.metadata.get("agency") or "").strip() or None
    if agency is None and (by_sender := _agency_by_sender(reg, year, sender)) is not None:
        agency = by_sender["name"]
    role = result.metadata.get("role") if result.readable else None
    key = name_key(agency) if agency else None
    conn = reg.conn
    if conn.execute("SELECT 1 FROM submissions WHERE sha256 = ?", (sha256,)).fetchone():
        return _record_duplicate(reg, filename, sha256, received, sender)
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


def _record_duplicate(reg: Register, filename: str, sha256: str, received: str, sender: str | None) -> Receipt:
    """Record another receipt of a submission's bytes (in the caller's transaction)."""
    row = reg.conn.execute(f"SELECT {_RECEIPT_COLUMNS} FROM submissions WHERE sha256 = ?", (sha256,)).fetchone()
    reg.conn.execute("INSERT INTO receipts (submission_id, received, sender, filename, duplicate)"
                     " VALUES (?, ?, ?, ?, 1)", (row["id"], received, sender, filename))
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
