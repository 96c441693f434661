"""Consolidating a year from the register: ``workbook consolidate --db DB --year 2020``.

Each agency's newest valid submission is read from the store (checked against its hash) and
consolidated as a folder of workbooks is (:func:`workbook.consolidate.combine`, the files read in
worker processes). The consolidated workbook's coverage sheet then says which submission (version,
time received, SHA-256) each agency's figures came from, when an older version was used because the
newest is not valid, and which agencies on the year's list are missing and why (not delivered, no
valid submission). Agencies not on the list ("ukjent virksomhet") are included and marked as such:
nothing an agency sent in is dropped. The member's own submission is the one whose workbook says
role ``member`` or the one of the agency the list names as the member.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbook.consolidate import Consolidation, agency_name, combine, write_consolidated
from workbook.messages import DEFAULT_LANGUAGE, text
from workbook.register.answers import StoredFileChanged, read_stored
from workbook.register.core import Register
from workbook.register.db import UNREADABLE, RegisterError
from workbook.register.times import local_time

#: The coverage table's columns that say where an agency's figures came from (see workbook.consolidate).
SOURCE_KEYS = ("version", "received", "sha256")


@dataclass
class Source:
    """The submission an agency's figures came from, and the newer one passed over, if any."""

    agency: str  # as its workbook names it (the name the consolidation uses)
    submission: sqlite3.Row
    version: int
    listed: bool  # on the year's list of agencies
    newer: sqlite3.Row | None = None  # the agency's newest submission, when it is not valid
    newer_version: int | None = None


@dataclass
class Missing:
    """An agency on the year's list without a valid submission."""

    agency: str  # as the list names it
    newest: sqlite3.Row | None  # its newest submission (not valid); None: nothing delivered
    version: int | None = None


@dataclass
class RegisterConsolidation(Consolidation):
    """A consolidation of the register's year: the figures as for a folder, and where they came from."""

    year: int = 0
    #: per agency (as the consolidation names it) the submission used
    sources: dict[str, Source] = field(default_factory=dict)
    missing: list[Missing] = field(default_factory=list)
    #: whether the register has a list of agencies for the year (without one, nobody is known to be missing)
    has_list: bool = False

    def words(self) -> str:
        """The language of the words written (the consolidation's, where it has one)."""
        return str(getattr(self, "language", DEFAULT_LANGUAGE))

    @property
    def older_used(self) -> list[Source]:
        return [s for s in self.sources.values() if s.newer is not None]

    @property
    def unknown(self) -> list[Source]:
        return [s for s in self.sources.values() if not s.listed] if self.has_list else []

    def statuses(self) -> list[dict[str, str]]:
        """The folder consolidation's rows with each one's source, then the missing agencies."""
        lang = self.words()
        rows = super().statuses()
        for row in rows:
            source = self.sources.get(row["agency"])
            if source is None:
                continue
            row.update(source_columns(source.submission, source.version, lang))
            if source.newer is not None:
                row["reason"] = text("consolidate.status_older_used", lang, reason=row["reason"],
                                     version=source.version, newer=source.newer_version,
                                     errors=source.newer["errors"])
            if self.has_list and not source.listed:
                row["reason"] = text("consolidate.status_unknown", lang, reason=row["reason"], year=self.year)
        return rows + [_missing_row(m, lang) for m in self.missing]


def source_columns(row: sqlite3.Row, version: int, language: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    return {"version": str(version), "received": local_time(row["received"], language), "sha256": row["sha256"]}


def _missing_row(missing: Missing, language: str) -> dict[str, str]:
    newest = missing.newest
    if newest is None:
        reason, status, file = text("consolidate.status_not_delivered", language), "not_delivered", ""
    else:
        key = "status_no_valid_unreadable" if newest["outcome"] == UNREADABLE else "status_no_valid"
        reason = text(f"consolidate.{key}", language, version=missing.version, errors=newest["errors"])
        status, file = "no_valid", newest["filename"]
    return {"agency": missing.agency, "file": file, "status": status, "reason": reason}


def consolidate_register(reg: Register, year: int, *, output: Path | str | None = None, jobs: int | None = None,
                         form_version: str | None = None, language: str | None = None) -> RegisterConsolidation:
    """Consolidate ``year`` from the register (see the module's text); with ``output``, write the
    consolidated workbook there. RegisterError when there is nothing valid or a stored file is
    missing or altered; ConsolidationError as for a folder (two members, several form versions)."""
    used = reg.latest(year, valid_only=True)
    if not used:
        raise RegisterError("register.consolidate.error_nothing", path=reg.path, year=year)
    keys = list(used)
    try:
        sent = read_stored(reg, [used[k] for k in keys], jobs=jobs)
    except StoredFileChanged as changed:
        raise RegisterError("register.consolidate.error_store", agency=changed.row["agency"],
                            sha256=changed.row["sha256"]) from None
    results = dict(zip(keys, sent))
    expected = {a["name_key"]: a for a in reg.expected_agencies(year)}
    member_keys = [k for k, a in expected.items() if a["role"] == "member" and k in results]
    member = results.pop(member_keys[0]) if member_keys else None
    outcome = combine(list(results.values()), member, year=year, form_version=form_version, language=language)
    merged = RegisterConsolidation(**{f.name: getattr(outcome, f.name) for f in dataclasses.fields(outcome)},
                                   year=year, has_list=bool(expected))
    newest = reg.latest(year)
    for key, result in zip(keys, sent):  # the member's too
        name = agency_name(result)
        merged.sources[name] = _source(reg, year, name, used[key], newest[key], listed=key in expected)
    merged.missing = [Missing(a["name"], newest.get(k), reg.version_of(newest[k]) if k in newest else None)
                      for k, a in expected.items() if k not in used]
    if output is not None:
        merged.written = write_consolidated(merged, output)
    return merged


def _source(reg: Register, year: int, name: str, row: sqlite3.Row, newest: sqlite3.Row, *, listed: bool) -> Source:
    source = Source(name, row, reg.version_of(row), listed)
    if newest["id"] != row["id"]:
        source.newer, source.newer_version = newest, reg.version_of(newest)
    return source


def source_summary(outcome: RegisterConsolidation) -> list[dict[str, Any]]:
    """Per agency used: its name and where its figures came from (for the command's output)."""
    return [{"agency": s.agency, **source_columns(s.submission, s.version, outcome.words())}
            for s in outcome.sources.values()]
