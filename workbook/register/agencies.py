"""The list of agencies a member expects a report from, per year: read from a CSV file as
Norwegian Excel saves it, and kept in the register.

The file has a header row with the columns ``navn``, ``rolle`` (``medlem`` or ``virksomhet``) and
``e-post`` (header words matched case-insensitively, with or without the hyphen; other columns are
named as ignored). Excel writes a semicolon between cells where the decimal mark is a comma (as in
Norway) and a comma elsewhere: the header line decides. The text is UTF-8, with or without a byte
order mark, else the Windows code page (cp1252); UTF-16 with its byte order mark is read too.

Every line is checked before anything is written, and the list is imported in one transaction: all
lines or none. A line with an empty name, an unknown role, a malformed e-mail address, an agency
already on the list or a second member is an error naming its line; an empty e-mail address is a
warning (the agency is listed, but has no contact in the mail-merge lists). Re-importing a year
replaces that year's list: an agency on both lists keeps its id (links point at it); an agency
no longer listed is removed together with its upload links.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from workbook.form import DEFAULT_FORM, load_form
from workbook.messages import catalogue, languages, text
from workbook.register.core import Register
from workbook.register.db import RegisterError
from workbook.register.names import name_key

MEMBER, AGENCY = "member", "agency"
COLUMNS = ("name", "role", "email")
_DELIMITERS = (";", ",", "\t")


@dataclass(frozen=True)
class AgencyLine:
    """One agency as a line of the file gives it."""

    line: int
    name: str
    role: str  # MEMBER or AGENCY
    email: str | None


@dataclass
class ImportResult:
    """What an import changed in the year's list (names, in the file's spelling)."""

    year: int
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    links_removed: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# --- the words of the file (every language's, so a nynorsk list reads as well) --------------------
def _words(key: str) -> set[str]:
    return {_header_word(catalogue(lang)[key]) for lang in languages() if key in catalogue(lang)}


def _header_word(word: str) -> str:
    """A header or role word as matched: case-folded, without spaces, hyphens and underscores."""
    return re.sub(r"[\s_-]", "", word.casefold())


def role_word(role: str) -> str:
    """The word the file and the lists use for a role (``medlem`` / ``virksomhet``)."""
    return text(f"register.agencies.role_{role}")


# --- reading the file ------------------------------------------------------------------------------
def decode(data: bytes, path: Path) -> str:
    """The file's text: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252."""
    if data[:4] == b"PK\x03\x04" or data[:4] == b"\xd0\xcf\x11\xe0":
        raise RegisterError("register.agencies.error_spreadsheet", file=path.name)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise RegisterError("register.agencies.error_encoding", file=path.name) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:  # bytes cp1252 leaves undefined (0x81, 0x8d, ...): not a text file
        raise RegisterError("register.agencies.error_encoding", file=path.name) from None


def _delimiter(header_line: str) -> str:
    """The separator Excel used: the one of ``;`` ``,`` tab the header line has most of."""
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ";"


def _columns(header: list[str], path: Path) -> tuple[dict[str, int], list[str]]:
    """Where each column is, and the headers of the ignored ones."""
    wanted = {key: _words(f"register.agencies.column_{key}") for key in COLUMNS}
    places: dict[str, int] = {}
    ignored: list[str] = []
    for index, cell in enumerate(header):
        word = _header_word(cell)
        key = next((k for k, words in wanted.items() if word in words), None)
        if key is None or key in places:
            if cell.strip():
                ignored.append(cell.strip())
            continue
        places[key] = index
    missing = [text(f"register.agencies.column_{key}") for key in COLUMNS if key not in places]
    if missing:
        raise RegisterError("register.agencies.error_header", file=path.name, missing=", ".join(missing),
                            expected=", ".join(text(f"register.agencies.column_{key}") for key in COLUMNS))
    return places, ignored


def read_agencies(path: Path | str) -> tuple[list[AgencyLine], list[str], list[str]]:
    """The agencies of a list file, its ignored columns and its warnings; a :class:`RegisterError`
    naming every bad line (nothing is imported from a file with one)."""
    path = Path(path)
    content = decode(path.read_bytes(), path)
    first = next((line for line in content.splitlines() if line.strip()), None)
    if first is None:
        raise RegisterError("register.agencies.error_empty", file=path.name)
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=_delimiter(first))
    header: list[str] | None = None
    places: dict[str, int] = {}
    ignored: list[str] = []
    agencies: list[AgencyLine] = []
    errors: list[str] = []
    warnings: list[str] = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = row
                places, ignored = _columns(header, path)
                continue
            line = reader.line_num
            if len(row) > len(header) and any(cell.strip() for cell in row[len(header):]):
                errors.append(text("register.agencies.error_extra_cells", line=line, cells=len(row), columns=len(header)))
                continue
            found = _line(row, places, line, errors, warnings)
            if found is not None:
                agencies.append(found)
    except csv.Error as error:
        errors.append(text("register.agencies.error_csv", line=reader.line_num, detail=str(error)))
    errors += _list_errors(agencies)
    if errors:
        raise RegisterError("register.agencies.error_lines", file=path.name, count=len(errors),
                            lines="\n".join(f"  {e}" for e in errors))
    if not agencies:
        raise RegisterError("register.agencies.error_empty", file=path.name)
    return agencies, ignored, warnings


def _cell(row: list[str], place: int) -> str:
    return row[place].strip() if place < len(row) else ""


def _line(row: list[str], places: dict[str, int], line: int, errors: list[str],
          warnings: list[str]) -> AgencyLine | None:
    name, role_cell, email = (_cell(row, places[key]) for key in COLUMNS)
    bad = len(errors)
    if not name:
        errors.append(text("register.agencies.error_no_name", line=line))
    role = next((r for r in (MEMBER, AGENCY) if _header_word(role_cell) in _words(f"register.agencies.role_{r}")), None)
    if role is None:
        errors.append(text("register.agencies.error_role", line=line, role=role_cell, member=role_word(MEMBER),
                           agency=role_word(AGENCY)))
    if email and not _email_ok(email):
        errors.append(text("register.agencies.error_email", line=line, email=email))
    if len(errors) > bad:
        return None
    if not email:
        warnings.append(text("register.agencies.warning_no_email", line=line, name=name))
    return AgencyLine(line, name, str(role), email or None)


def _email_ok(email: str) -> bool:
    """The form's own rule for an e-mail address (one home: the schema's ``contact_email``)."""
    pattern = load_form(*DEFAULT_FORM).field("contact_email").pattern
    return bool(re.fullmatch(pattern, email)) if pattern else "@" in email


def _list_errors(agencies: list[AgencyLine]) -> list[str]:
    """The same agency twice, and not exactly one member."""
    errors: list[str] = []
    seen: dict[str, AgencyLine] = {}
    for agency in agencies:
        first = seen.setdefault(name_key(agency.name), agency)
        if first is not agency:
            errors.append(text("register.agencies.error_twice", line=agency.line, name=agency.name, first=first.line))
    members = [a for a in agencies if a.role == MEMBER]
    for extra in members[1:]:
        errors.append(text("register.agencies.error_two_members", line=extra.line, name=extra.name,
                           first=members[0].line, member=members[0].name))
    if agencies and not members:
        errors.append(text("register.agencies.error_no_member", member=role_word(MEMBER)))
    return errors


# --- the register ----------------------------------------------------------------------------------
def import_agencies(reg: Register, path: Path | str, year: int) -> ImportResult:
    """Make the list in ``path`` the year's list of agencies, all lines or none."""
    agencies, ignored, warnings = read_agencies(path)
    result = ImportResult(year, ignored_columns=ignored, warnings=warnings)
    with reg.transaction() as conn:
        old = {row["name_key"]: row for row in conn.execute("SELECT * FROM agencies WHERE year = ?", (year,))}
        for agency in agencies:
            _put(conn, year, agency, old.pop(name_key(agency.name), None), result)
        gone = [row["id"] for row in old.values()]
        if gone:
            marks = ", ".join("?" * len(gone))
            result.links_removed = conn.execute(f"DELETE FROM links WHERE agency_id IN ({marks})", gone).rowcount
            conn.execute(f"DELETE FROM agencies WHERE id IN ({marks})", gone)
        result.removed = sorted((row["name"] for row in old.values()), key=name_key)
    return result


def _put(conn: sqlite3.Connection, year: int, agency: AgencyLine, old: sqlite3.Row | None,
         result: ImportResult) -> None:
    values = (agency.name, name_key(agency.name), agency.role, agency.email)
    if old is None:
        conn.execute("INSERT INTO agencies (year, name, name_key, role, email) VALUES (?, ?, ?, ?, ?)", (year, *values))
        result.added.append(agency.name)
    elif (old["name"], old["name_key"], old["role"], old["email"]) != values:
        conn.execute("UPDATE agencies SET name = ?, name_key = ?, role = ?, email = ? WHERE id = ?", (*values, old["id"]))
        result.changed.append(agency.name)
    else:
        result.unchanged += 1


def list_agencies(reg: Register, year: int | None = None) -> tuple[int | None, list[sqlite3.Row]]:
    """The list that counts for ``year`` (default: the newest imported): the year it was imported
    for, and its agencies (the member first, then by name)."""
    if year is None:
        year = reg.query("SELECT max(year) FROM agencies")[0][0]
        if year is None:
            return None, []
    return reg.list_year(year), reg.expected_agencies(year)
