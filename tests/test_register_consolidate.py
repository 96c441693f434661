"""``workbook consolidate --db DB --year 2020``: the year consolidated from the register.

The Fjordvik samples are collected into a register the way the central unit's year goes: the
member, several agencies (Helseetaten twice: a corrected version), Teknisk etat only with errors,
Bymiljøetaten valid first and then a newer version with an error, Kultur- og idrettsetaten not on
the list, Skoleetaten on the list but never sent. The consolidated workbook is read back with
openpyxl and the tool's own reader; the report is made from it."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from editing import cell_of, edit
from workbook.cli import app
from workbook.consolidate import COVERAGE_TABLE, coverage_from_tables
from workbook.generate import generate
from workbook.messages import text
from workbook.register import Register
from workbook.register.collect import collect
from workbook.register.consolidation import consolidate_register
from workbook.register.times import local_time
from workbook.register.names import name_key
from workbook.validate import check_file

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "fjordvik"
MEMBER = "Fjordvik kommune"
BYMILJO = "Fjordvik kommune, Bymiljøetaten"
HELSE = "Fjordvik kommune, Helseetaten"
TEKNISK = "Fjordvik kommune, Teknisk etat"
SKOLE = "Fjordvik kommune, Skoleetaten"
KULTUR = "Fjordvik kommune, Kultur- og idrettsetaten"
LIST = [(MEMBER, "member"), (BYMILJO, "agency"), (HELSE, "agency"), (TEKNISK, "agency"), (SKOLE, "agency")]


def add_agencies(reg: Register, year: int, agencies: list[tuple[str, str]]) -> None:
    """The year's list of agencies (what ``register agencies import`` records)."""
    with reg.transaction() as conn:
        conn.executemany("INSERT INTO agencies (year, name, name_key, role, email) VALUES (?, ?, ?, ?, NULL)",
                         [(year, name, name_key(name), role) for name, role in agencies])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("register")
    broken = edit(SAMPLES / "agency-bymiljoetaten.xlsx",
                  {cell_of(SAMPLES / "agency-bymiljoetaten.xlsx", "employees"): "ca. 300"},
                  out=folder / "bymiljoetaten-ny.xlsx")
    db = folder / "register.sqlite"
    with Register.open(db) as reg:
        add_agencies(reg, 2020, LIST)
        first = collect(reg, [SAMPLES / n for n in ("member.xlsx", "agency-bymiljoetaten.xlsx",
                                                    "agency-helseetaten-2.xlsx", "agency-teknisk-med-feil.xlsx",
                                                    "agency-kulturetaten.xlsx")], sender="post@fjordvik.no", jobs=1)
        later = collect(reg, [SAMPLES / "agency-helseetaten.xlsx", broken], sender="post@fjordvik.no", jobs=1)
    receipts = {r.filename: r for r in first + later}
    assert receipts["bymiljoetaten-ny.xlsx"].outcome == "invalid" and receipts["bymiljoetaten-ny.xlsx"].version == 2
    return {"folder": folder, "db": db, "receipts": receipts, "broken": broken}


@pytest.fixture(scope="module")
def consolidated(year: dict[str, Any]) -> dict[str, Any]:
    output = year["folder"] / "samlet.xlsx"
    run = CliRunner().invoke(app, ["consolidate", "--db", str(year["db"]), "--year", "2020", "-o", str(output)])
    assert run.exit_code == 0, run.output
    return {"path": output, "output": run.stdout, "stderr": run.stderr}


def coverage_rows(path: Path) -> dict[str, dict[str, str]]:
    """The coverage table as openpyxl reads it: per agency its row, by column key."""
    ws = openpyxl.load_workbook(path)[text("consolidate.coverage_sheet")]
    table = ws.tables[COVERAGE_TABLE]
    cells = [[c.value for c in row] for row in ws[table.ref]]
    by_header = {text(f"consolidate.col_{k}"): k for k in ("agency", "included", "reason", "file", "version",
                                                           "received", "sha256", "status")}
    keys = [by_header[h] for h in cells[0]]
    return {row[0]: {k: v or "" for k, v in zip(keys, row)} for row in cells[1:]}


def test_each_agency_its_newest_valid_submission_and_where_it_came_from(year, consolidated) -> None:  # noqa: ANN001
    rows = coverage_rows(consolidated["path"])
    receipts = year["receipts"]
    used = {MEMBER: "member.xlsx", BYMILJO: "agency-bymiljoetaten.xlsx", HELSE: "agency-helseetaten.xlsx",
            KULTUR: "agency-kulturetaten.xlsx"}
    for agency, filename in used.items():
        row, receipt = rows[agency], receipts[filename]
        assert row["included"] == text("workbook.answer_yes"), agency
        assert row["file"] == filename  # as the agency sent it, not its place in the store
        assert row["sha256"] == sha256(SAMPLES / filename) == receipt.sha256  # the very bytes sent
        assert row["version"] == str(receipt.version)
        assert row["received"] == local_time(receipt.received)
    assert rows[MEMBER]["status"] == "member"
    assert rows[HELSE]["version"] == "2"  # the corrected version; the first one is not a row of its own
    assert "agency-helseetaten-2.xlsx" not in {r["file"] for r in rows.values()}


def test_a_newer_invalid_version_does_not_remove_the_agency(year, consolidated) -> None:  # noqa: ANN001
    row = coverage_rows(consolidated["path"])[BYMILJO]
    assert row["status"] == "included" and row["version"] == "1"
    errors = year["receipts"]["bymiljoetaten-ny.xlsx"].errors
    assert row["reason"] == text("consolidate.status_older_used", reason=text("consolidate.status_included"),
                                 version=1, newer=2, errors=errors)
    # and the command says so, naming the agency, the version used and the newer invalid one
    said = consolidated["output"]
    assert text("register.consolidate.older_title", count=1) in said
    older = said[said.index(text("register.consolidate.older_title", count=1)):].splitlines()[1]
    assert older.strip().startswith(f"{BYMILJO}: versjon 1") and "versjon 2" in older and f"{errors} feil" in older
    # the figures are the older version's: its number of employees, where the newer has a text
    sample = json.loads((ROOT / "samples" / "json" / "fjordvik" / "agency-bymiljoetaten.json").read_text("utf-8"))
    figures = check_file(consolidated["path"]).extra_records["agency_figures"]
    (row,) = [r for r in figures if r["agency"] == BYMILJO]
    assert row["employees"] == sample["data"]["employees"]


def test_agencies_on_the_list_without_a_valid_submission_are_named(year, consolidated) -> None:  # noqa: ANN001
    rows = coverage_rows(consolidated["path"])
    assert rows[SKOLE] | {} == {"agency": SKOLE, "included": text("workbook.answer_no"),
                                "reason": text("consolidate.status_not_delivered"), "file": "", "version": "",
                                "received": "", "sha256": "", "status": "not_delivered"}
    teknisk = rows[TEKNISK]
    assert teknisk["status"] == "no_valid" and teknisk["file"] == "agency-teknisk-med-feil.xlsx"
    assert teknisk["reason"] == text("consolidate.status_no_valid", version=1,
                                     errors=year["receipts"]["agency-teknisk-med-feil.xlsx"].errors)
    assert not teknisk["sha256"]  # its figures are in nothing
    said = consolidated["output"]
    assert text("register.consolidate.not_delivered_line", agency=SKOLE) in said
    assert f"{TEKNISK}: ingen gyldig innlevering" in said


def test_an_agency_not_on_the_list_is_included_and_marked(consolidated) -> None:  # noqa: ANN001
    row = coverage_rows(consolidated["path"])[KULTUR]
    assert row["status"] == "included" and row["sha256"]
    assert row["reason"] == text("consolidate.status_unknown", reason=text("consolidate.status_included"), year=2020)
    said = consolidated["output"]
    assert text("register.consolidate.unknown_title", year=2020, count=1) in said


def test_the_tool_reads_the_sources_back_by_key(year, consolidated) -> None:  # noqa: ANN001
    result = check_file(consolidated["path"])
    assert result.valid, result.problems
    coverage = coverage_from_tables(result.form, result.extra_records)
    assert coverage is not None and coverage["member"] == MEMBER
    assert sorted(coverage["included"]) == sorted([BYMILJO, HELSE, KULTUR])
    assert coverage["sources"][HELSE]["sha256"] == sha256(SAMPLES / "agency-helseetaten.xlsx")
    assert {x["agency"] for x in coverage["left_out"]} == {SKOLE, TEKNISK}


def test_the_report_from_it_names_sources_and_the_missing(year, consolidated) -> None:  # noqa: ANN001
    from docx import Document

    report = year["folder"] / "rapport.docx"
    run = CliRunner().invoke(app, ["report", str(consolidated["path"]), "-o", str(report)])
    assert run.exit_code == 0, run.output
    paragraphs = [p.text for p in Document(str(report)).paragraphs]
    start = paragraphs.index(text("consolidate.coverage_sheet"))
    section = paragraphs[start:paragraphs.index("Vedlegg: Svar fra virksomhetene")]
    helse = year["receipts"]["agency-helseetaten.xlsx"]
    assert (f"{HELSE} (versjon 2, mottatt {local_time(helse.received)}, SHA-256 {helse.sha256[:16]}…)"
            in section)
    assert f"{SKOLE}: ikke levert" in section
    assert any(p.startswith(f"{TEKNISK} (agency-teknisk-med-feil.xlsx): ingen gyldig innlevering") for p in section)


def test_the_member_by_the_lists_role(tmp_path: Path) -> None:
    """A member's workbook made as an agency's (no role member in it) is still the member's when
    the list says so: never summed as an agency's."""
    document = json.loads((ROOT / "samples" / "json" / "fjordvik" / "member.json").read_text(encoding="utf-8"))
    document["role"] = "agency"
    own = generate(tmp_path / "eget.xlsx", prefill=document)
    assert check_file(own).metadata["role"] == "agency"
    with Register.open(tmp_path / "r.sqlite") as reg:
        add_agencies(reg, 2020, LIST)
        collect(reg, [own, SAMPLES / "agency-bymiljoetaten.xlsx"], jobs=1)
        outcome = consolidate_register(reg, 2020, jobs=1)
    assert outcome.member is not None and outcome.member.file == "eget.xlsx"
    assert [r.file for r in outcome.agencies] == ["agency-bymiljoetaten.xlsx"]
    assert outcome.document["data"]["employees"] == document["data"]["employees"]  # the member's own figure


def test_without_a_list_everything_valid_is_consolidated(tmp_path: Path) -> None:
    with Register.open(tmp_path / "r.sqlite") as reg:
        collect(reg, [SAMPLES / "member.xlsx", SAMPLES / "agency-skoleetaten.xlsx"], jobs=1)
        outcome = consolidate_register(reg, 2020, jobs=1)
    assert not outcome.missing and not outcome.unknown
    assert [r.file for r in outcome.agencies] == ["agency-skoleetaten.xlsx"]


def test_a_tampered_stored_file_is_refused_clearly(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    with Register.open(db) as reg:
        (receipt,) = collect(reg, [SAMPLES / "agency-skoleetaten.xlsx"], jobs=1)
        stored = reg.store.path(receipt.sha256)
    stored.chmod(0o644)
    stored.write_bytes(stored.read_bytes() + b"x")
    run = CliRunner().invoke(app, ["consolidate", "--db", str(db), "--year", "2020", "-o", str(tmp_path / "s.xlsx")])
    assert run.exit_code == 2 and "Traceback" not in run.output
    assert text("register.consolidate.error_store", agency=SKOLE, sha256=receipt.sha256) in run.stderr
    assert not (tmp_path / "s.xlsx").exists()


def test_nothing_valid_for_the_year(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    with Register.open(db) as reg:
        collect(reg, [SAMPLES / "agency-teknisk-med-feil.xlsx"], jobs=1)
    run = CliRunner().invoke(app, ["consolidate", "--db", str(db), "--year", "2020", "-o", str(tmp_path / "s.xlsx")])
    assert run.exit_code == 2
    assert text("register.consolidate.error_nothing", path=db, year=2020) in run.stderr


@pytest.mark.parametrize(("arguments", "key"), [
    (["--db", "{db}", str(SAMPLES)], "usage_both"),
    ([], "usage_neither"),
    (["--db", "{db}"], "usage_year"),
    (["--db", "{db}", "--year", "2020", "--member", str(SAMPLES / "member.xlsx")], "usage_member"),
])
def test_db_and_paths_are_exclusive(tmp_path: Path, arguments: list[str], key: str) -> None:
    db = tmp_path / "r.sqlite"
    Register.open(db).close()
    shutil.copy(SAMPLES / "member.xlsx", tmp_path / "member.xlsx")
    run = CliRunner().invoke(app, ["consolidate", *[a.format(db=db) for a in arguments], "-o", str(tmp_path / "s.xlsx")])
    assert run.exit_code == 2, run.output
    assert text(f"register.consolidate.{key}") in run.stderr


def test_a_register_that_is_not_there_is_not_made(tmp_path: Path) -> None:
    run = CliRunner().invoke(app, ["consolidate", "--db", str(tmp_path / "nei.sqlite"), "--year", "2020",
                                   "-o", str(tmp_path / "s.xlsx")])
    assert run.exit_code == 2 and not (tmp_path / "nei.sqlite").exists()
