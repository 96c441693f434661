"""Where a reporting year stands: for every expected agency whether it delivered, and what; the
submissions from agencies not on the list (``ukjent virksomhet``) and unreadable files no agency
could be found for. Written as the central unit's overview and mail-merge list (xlsx or CSV).

A few queries whatever the number of agencies: the list, the year's submissions (without their
answers) and the deadline, grouped here.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from workbook.csv_safe import write_csv
from workbook.messages import text
from workbook.register.times import local_time
from workbook.register.core import Register
from workbook.register.db import INVALID, UNREADABLE, VALID, RegisterError
from workbook.register.names import feedback_file, feedback_plan

MISSING = "missing"  # besides the outcomes (register.db): nothing delivered
#: The overview's columns, in order (their headers: ``register.status.col_<key>``).
COLUMNS = ("agency", "role", "email", "status", "late", "version", "received", "sender", "errors", "warnings",
           "feedback_file", "note", "filename", "sha256")
WIDTHS = {"agency": 40, "role": 11, "email": 30, "status": 14, "late": 9, "version": 8, "received": 20,
          "sender": 26, "errors": 6, "warnings": 10, "feedback_file": 48, "note": 40, "filename": 32, "sha256": 66}
#: The columns printed (the file's name and hash are for the screen and the mail merge)
PRINTED = COLUMNS.index("note") + 1
_COLUMNS_SQL = ("id, sha256, year, agency, agency_key, role, form_version, filename, received, sender, outcome,"
                " errors, warnings, feedback_sha256, feedback_failed")


@dataclass
class AgencyStatus:
    """One line of the overview: an agency (listed or not) and its newest submission, or an
    unreadable file of no agency."""

    agency: str | None
    role: str | None  # 'member' / 'agency' (the list's, else the workbook's); None: unreadable
    email: str | None
    listed: bool
    status: str  # MISSING / VALID / INVALID / UNREADABLE
    late: bool = False
    version: int | None = None
    versions: int = 0
    received: str | None = None
    sender: str | None = None
    errors: int | None = None
    warnings: int | None = None
    filename: str | None = None
    sha256: str | None = None
    form_version: str | None = None
    feedback_sha256: str | None = None
    feedback_file: str | None = None
    #: the newest valid version when the newest one is not valid (what consolidation uses)
    valid_version: int | None = None


@dataclass
class Status:
    year: int
    list_year: int | None  # the year whose list counts (an earlier one when none was imported)
    deadline: str | None  # ISO date
    past_deadline: bool
    agencies: list[AgencyStatus] = field(default_factory=list)  # the expected ones, the member first
    unknown: list[AgencyStatus] = field(default_factory=list)  # submissions of agencies not on the list
    unreadable: list[AgencyStatus] = field(default_factory=list)  # files of no agency

    def counts(self) -> dict[str, int]:
        of = [a.status for a in self.agencies]
        return {"expected": len(self.agencies), "valid": of.count(VALID), "invalid": of.count(INVALID),
                "unreadable": of.count(UNREADABLE), "missing": of.count(MISSING),
                "late": sum(a.late for a in self.agencies), "unknown": len(self.unknown),
                "unreadable_no_agency": len(self.unreadable)}

    def rows(self) -> list[AgencyStatus]:
        return [*self.agencies, *self.unknown, *self.unreadable]

    def to_dict(self) -> dict[str, Any]:
        return {"year": self.year, "list_year": self.list_year, "deadline": self.deadline,
                "past_deadline": self.past_deadline, "counts": self.counts(),
                "agencies": [asdict(a) for a in self.agencies], "unknown": [asdict(a) for a in self.unknown],
                "unreadable": [asdict(a) for a in self.unreadable]}


def status(reg: Register, year: int, *, today: dt.date | None = None) -> Status:
    """The year's status (``today``: the local date by default, for the deadline)."""
    listed = reg.expected_agencies(year)
    deadline = reg.deadline(year)
    today = today or dt.date.today()
    past = deadline is not None and today > dt.date.fromisoformat(deadline)
    rows = reg.query(f"SELECT {_COLUMNS_SQL} FROM submissions WHERE year = ? OR (year IS NULL AND agency_key IS NULL)"
                     " ORDER BY received, id", year)
    by_key: dict[str, list[sqlite3.Row]] = {}
    no_agency: list[sqlite3.Row] = []
    for row in rows:
        if row["agency_key"] is None:
            no_agency.append(row)
        else:
            by_key.setdefault(row["agency_key"], []).append(row)
    result = Status(year, reg.list_year(year), deadline, past)
    plan = feedback_plan({agency["name_key"]: agency for agency in listed},
                         {key: versions[-1] for key, versions in by_key.items()})
    folders = {row["id"]: folder for row, folder in plan}
    for agency in listed:
        versions = by_key.pop(agency["name_key"], [])
        line = _line(agency["name"], agency["role"], agency["email"], True, versions, folders)
        line.late = past and line.status == MISSING
        result.agencies.append(line)
    for versions in by_key.values():
        result.unknown.append(_line(versions[-1]["agency"], versions[-1]["role"], None, False, versions, folders))
    result.unknown.sort(key=lambda a: (a.agency or "").casefold())
    result.unreadable = [_line(None, None, None, False, [row], folders) for row in no_agency]
    return result


def _line(name: str | None, role: str | None, email: str | None, listed: bool,
          versions: list[sqlite3.Row], folders: dict[int, str]) -> AgencyStatus:
    line = AgencyStatus(agency=name, role=role, email=email, listed=listed, status=MISSING, versions=len(versions))
    if not versions:
        return line
    newest = versions[-1]
    line.status = newest["outcome"]
    line.version = len(versions) if newest["agency_key"] is not None else None
    for key in ("received", "sender", "errors", "warnings", "filename", "sha256", "form_version"):
        setattr(line, key, newest[key])
    if newest["outcome"] == INVALID:  # the copy is made by ``register feedback``, if not made yet
        line.feedback_sha256 = newest["feedback_sha256"]
    if newest["id"] in folders:  # what ``register feedback`` writes for it: the copy, else the problems as text
        copy = newest["outcome"] == INVALID and not newest["feedback_failed"]
        line.feedback_file = feedback_file(folders[newest["id"]], newest["filename"], copy=copy)
    if newest["outcome"] != VALID:
        line.valid_version = next((n for n, row in reversed(list(enumerate(versions, 1))) if row["outcome"] == VALID),
                                  None)
    return line


# --- the overview as words -------------------------------------------------------------------------
def status_word(line: AgencyStatus) -> str:
    return text(f"register.status.state_{line.status}")


def note(line: AgencyStatus, *, unlisted: bool = True) -> str:
    """What else the central unit should know about a line (``unlisted``: also that the agency is
    not on the list, or that no agency was found for the file)."""
    notes = []
    if line.agency is None and unlisted:
        notes.append(text("register.status.note_no_agency"))
    elif not line.listed and unlisted:
        notes.append(text("register.unknown_agency"))
    if line.valid_version is not None:
        notes.append(text("register.status.note_valid_version", version=line.valid_version))
    return "; ".join(notes)


def cells(line: AgencyStatus) -> dict[str, str | int | None]:
    """One line of the overview by column: texts and whole numbers only."""
    role = text(f"register.agencies.role_{line.role}") if line.listed and line.role else ""
    return {"agency": line.agency or "", "role": role, "email": line.email or "", "status": status_word(line),
            "late": text("register.status.late") if line.late else "", "version": line.version,
            "received": local_time(line.received) if line.received else "", "sender": line.sender or "",
            "errors": line.errors, "warnings": line.warnings, "feedback_file": line.feedback_file or "",
            "note": note(line), "filename": line.filename or "", "sha256": line.sha256 or ""}


def headers() -> list[str]:
    return [text(f"register.status.col_{key}") for key in COLUMNS]


def write_status(result: Status, output: Path | str) -> Path:
    """The overview as ``.xlsx`` or ``.csv`` (by the file's ending)."""
    output = Path(output)
    kind = output.suffix.lower()
    if kind == ".csv":
        lines = [[cells(line)[key] for key in COLUMNS] for line in result.rows()]
        return write_csv(output, [headers(), *lines])
    if kind == ".xlsx":
        return _write_xlsx(result, output)
    raise RegisterError("register.status.error_output", file=output.name)


def _write_xlsx(result: Status, output: Path) -> Path:
    from workbook.register.listbook import write_list

    rows = [[cells(line)[key] for key in COLUMNS] for line in result.rows()]
    return write_list(output, text("register.status.sheet"), [text(f"register.status.col_{key}") for key in COLUMNS],
                      rows, [WIDTHS[key] for key in COLUMNS], frozen_columns=1, printed_columns=PRINTED,
                      more=lambda book, styles: _summary_sheet(book, styles, result))


def _summary_sheet(book: Any, styles: Any, result: Status) -> None:
    from workbook.register.deadline import shown_date
    from workbook.style import FONT, FONT_SIZE

    ws = book.add_worksheet(text("register.status.summary_sheet"))
    ws.set_column(0, 0, 40)
    ws.set_column(1, 1, 14)
    ws.write_string(0, 0, text("register.status.summary_title", year=result.year), styles.title)
    deadline = shown_date(result.deadline) if result.deadline else text("register.status.no_deadline")
    ws.write_string(1, 0, text("register.status.col_deadline"), styles.label_bold)
    ws.write_string(1, 1, deadline, book.add_format({"font_name": FONT, "font_size": FONT_SIZE, "align": "right"}))
    for row, (key, count) in enumerate(result.counts().items(), start=2):
        ws.write_string(row, 0, text(f"register.status.count_{key}"), styles.label)
        ws.write_number(row, 1, count, styles.number)
