"""``workbook register export``: the year's archive package for the records office.

For every expected agency that has a valid submission for the year, the one that was accepted: its
newest valid version, the one ``consolidate --db`` takes (earlier and invalid versions stay in the
register, see ``history``; valid files from agencies not on the list were not accepted and are left
out, and the result counts them). Per agency a folder (its name made safe for Windows) holding

- the original workbook, byte for byte as it came (``<stem>.xlsx``),
- its answers as JSON (``<stem>.json``, as ``workbook export`` writes them, read from the stored file),
- its validation result as JSON (``<stem>-kontroll.json``: outcome, counts, problems),

and, for the whole package, one metadata file :data:`METADATA_FILE` whose fields are Noark 5
metadata elements (tittel, mottattDato, korrespondansepart, sjekksum, sjekksumAlgoritme,
filstoerrelse, format...): the mapping is in ``docs/archive-format.md``. The output folder must be
new or empty, and every file is written as a new file: nothing is ever overwritten. A stored file
that no longer matches its hash stops the export before anything is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbook import __version__
from workbook.messages import text
from workbook.register.answers import stored_answers
from workbook.register.core import Register
from workbook.register.db import RegisterError
from workbook.filenames import safe_file_name, unique_names
from workbook.register.outdir import fresh_folder, write_new

METADATA_FILE = "arkivmetadata.json"
FORMAT_NAME = "workbook-arkivpakke"
FORMAT_VERSION = 1
ALGORITHM = "SHA-256"
#: (PRONOM format id, MIME type) of each kind of file in the package
FORMATS = {
    ".xlsx": ("fmt/214", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".xlsm": ("fmt/445", "application/vnd.ms-excel.sheet.macroEnabled.12"),
    ".json": ("fmt/817", "application/json"),
}
ROLES = {"member": "medlem", "agency": "virksomhet"}
OUTCOMES = {"valid": "gyldig", "invalid": "ugyldig", "unreadable": "kan ikke leses"}


@dataclass(frozen=True)
class ArchiveRun:
    folder: Path
    metadata: Path
    records: int
    #: agencies on the list with no valid submission for the year (not in the package)
    missing: list[str]
    #: valid submissions from agencies not on the list (not accepted, not in the package)
    unknown: int


def export_archive(reg: Register, year: int, folder: Path | str) -> ArchiveRun:
    """Write the archive package of ``year`` into ``folder`` (new or empty; see the module's text)."""
    agencies = reg.expected_agencies(year)
    if not agencies:
        raise RegisterError("register.export.error_no_agencies", year=year)
    accepted = reg.latest(year, valid_only=True)
    chosen = [(agency, accepted[agency["name_key"]]) for agency in agencies if agency["name_key"] in accepted]
    originals = {row["sha256"]: _original(reg, row) for _, row in chosen}  # all checked before writing
    answers = stored_answers(reg, [row for _, row in chosen])
    folder = fresh_folder(folder)
    names = unique_names([safe_file_name(agency["name"], text("register.feedback.folder_fallback"))
                          for agency, _ in chosen])
    created = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    records = [_write_record(reg, folder, Path(name), agency, row, originals[row["sha256"]],
                             answers.get(row["id"], {}), created)
               for name, (agency, row) in zip(names, chosen)]
    metadata = {
        "format": FORMAT_NAME, "formatversjon": FORMAT_VERSION, "produsent": f"workbook {__version__}",
        "opprettetDato": created, "rapporteringsaar": year, "antallRegistreringer": len(records),
        "registreringer": records,
    }
    path = write_new(folder / METADATA_FILE, _json(metadata))
    known = {agency["name_key"] for agency in agencies}
    return ArchiveRun(folder, path, len(records), [a["name"] for a in agencies if a["name_key"] not in accepted],
                      sum(1 for key in accepted if key not in known))


def _original(reg: Register, row: sqlite3.Row) -> bytes:
    try:
        data = reg.store.path(row["sha256"]).read_bytes()
    except FileNotFoundError:
        raise RegisterError("register.export.error_missing", file=row["filename"], agency=row["agency"]) from None
    if hashlib.sha256(data).hexdigest() != row["sha256"]:
        raise RegisterError("register.export.error_damaged", file=row["filename"], agency=row["agency"])
    return data


def _write_record(reg: Register, folder: Path, sub: Path, agency: sqlite3.Row, row: sqlite3.Row,
                  original: bytes, document: dict[str, Any], created: str) -> dict[str, Any]:
    suffix = Path(row["filename"]).suffix.lower()
    suffix = suffix if suffix in FORMATS else ".xlsx"
    stem = safe_file_name(Path(row["filename"]).stem, text("register.feedback.file_fallback"))
    version = reg.version_of(row)
    title = text("register.export.title", year=row["year"], agency=agency["name"], version=version)
    result = {"utfall": OUTCOMES[row["outcome"]], "antallFeil": row["errors"], "antallAdvarsler": row["warnings"],
              "problemer": [json.loads(p["problem"]) for p in reg.problems(row["id"])]}
    files = [
        (sub / f"{stem}{suffix}", original, text("register.export.title_original", title=title)),
        (sub / f"{stem}.json", _json(document), text("register.export.title_document", title=title)),
        (sub / f"{stem}{text('register.export.result_suffix')}.json", _json(result),
         text("register.export.title_result", title=title)),
    ]
    documents = [_write_file(folder, relative, data, doc_title,
                             row["received"] if relative.suffix in (".xlsx", ".xlsm") else created) for relative, data, doc_title in files]
    return {
        "tittel": title,
        "virksomhet": agency["name"],
        "rolle": ROLES.get(agency["role"], agency["role"]),
        "rapporteringsaar": row["year"],
        "versjonsnummer": version,
        "skjema": f"{row['form_id']} {row['form_version']}",
        "mottattDato": row["received"],
        "korrespondansepart": {
            "korrespondanseparttype": "Avsender",
            "korrespondansepartNavn": row["agency"] or agency["name"],
            "kontaktperson": row["sender"],
            "epostadresse": agency["email"],
        },
        "utfall": OUTCOMES[row["outcome"]],
        "antallFeil": row["errors"],
        "antallAdvarsler": row["warnings"],
        "dokumenter": documents,
    }


def _write_file(folder: Path, relative: Path, data: bytes, title: str, created: str) -> dict[str, Any]:
    write_new(folder / relative, data)
    pronom, mime = FORMATS[relative.suffix]
    return {
        "tittel": title,
        "referanseDokumentfil": relative.as_posix(),
        "format": pronom,
        "formatDetaljer": mime,
        "sjekksum": hashlib.sha256(data).hexdigest(),
        "sjekksumAlgoritme": ALGORITHM,
        "filstoerrelse": len(data),
        "opprettetDato": created,
    }


def _json(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")

