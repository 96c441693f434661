"""The register: the database and the store beside it, and the questions every register command asks."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbook.register import db
from workbook.register.db import VALID, RegisterError, as_register_error
from workbook.register.store import Store


@dataclass
class Register:
    """An open register (:meth:`open`). ``conn`` answers with :class:`sqlite3.Row` rows."""

    path: Path
    conn: sqlite3.Connection
    store: Store

    @classmethod
    def open(cls, path: Path | str | None = None, *, create: bool = True) -> Register:
        """Open the register at ``path`` (default ``$WORKBOOK_DB`` or ``register.sqlite`` here),
        migrating it as needed, and creating it if ``create`` (else a register that is not there
        is an error: a mistyped ``--db`` must not answer from a new, empty register);
        :class:`RegisterError` when it cannot."""
        where = db.register_path(path)
        if not where.parent.is_dir():
            raise RegisterError("register.error_no_folder", path=where.parent)
        if not create and not where.exists():
            raise RegisterError("register.error_no_register", path=where)
        return cls(where, db.connect(where), Store(db.store_folder(where)))

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One change, all or nothing; a database failure (read-only, disk full) as a RegisterError."""
        try:
            with db.transaction(self.conn) as conn:
                yield conn
        except sqlite3.Error as error:
            raise as_register_error(error, self.path) from None

    def query(self, sql: str, *params: Any) -> list[sqlite3.Row]:
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.Error as error:
            raise as_register_error(error, self.path) from None

    # --- the questions ----------------------------------------------------------------------
    def list_year(self, year: int) -> int | None:
        """The year whose list of agencies counts for ``year``: its own, else the newest earlier one."""
        row = self.query("SELECT max(year) FROM agencies WHERE year <= ?", year)[0]
        return row[0]

    def expected_agencies(self, year: int) -> list[sqlite3.Row]:
        """The agencies expected to report for ``year`` (the member first, then by name): the year's
        own list, or the newest earlier year's when none was imported for it."""
        listed = self.list_year(year)
        if listed is None:
            return []
        return self.query("SELECT * FROM agencies WHERE year = ? ORDER BY role = 'agency', name_key", listed)

    def submissions(self, year: int) -> list[sqlite3.Row]:
        """Every submission for ``year``, oldest first."""
        return self.query("SELECT * FROM submissions WHERE year = ? ORDER BY received, id", year)

    def latest(self, year: int, *, valid_only: bool = False) -> dict[str, sqlite3.Row]:
        """Per agency (its name key) its newest submission for ``year``; with ``valid_only`` its
        newest valid one. Files whose agency is not known at all (unreadable) are left out."""
        newest: dict[str, sqlite3.Row] = {}
        for row in self.submissions(year):
            if row["agency_key"] is not None and (not valid_only or row["outcome"] == VALID):
                newest[row["agency_key"]] = row
        return newest

    def versions(self, year: int, agency_key: str) -> list[sqlite3.Row]:
        """An agency's submissions for a year, oldest first: its versions 1, 2, ..."""
        return self.query("SELECT * FROM submissions WHERE year = ? AND agency_key = ? ORDER BY received, id",
                          year, agency_key)

    def version_of(self, row: sqlite3.Row | dict[str, Any]) -> int:
        """A submission's version number: its place among its agency's versions for the year, as
        :meth:`versions` orders them (counted, not fetched)."""
        return self.query("SELECT count(*) FROM submissions WHERE year = ? AND agency_key = ?"
                          " AND (received < ? OR (received = ? AND id <= ?))", row["year"], row["agency_key"],
                          row["received"], row["received"], row["id"])[0][0]

    def problems(self, submission_id: int) -> list[sqlite3.Row]:
        return self.query("SELECT * FROM problems WHERE submission_id = ? ORDER BY seq", submission_id)

    def deadline(self, year: int) -> str | None:
        rows = self.query("SELECT deadline FROM deadlines WHERE year = ?", year)
        return rows[0][0] if rows else None
