"""The central unit's year as the README tells it, end to end through the CLI: every step's
outcome is the next step's input, so a change that breaks the story breaks here."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from workbook.cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "fjordvik"
TECHNICAL = "Fjordvik kommune, Teknisk etat"


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.output


def status(db: Path) -> dict[str, dict[str, object]]:
    lines = json.loads(run("register", "status", "--year", "2020", "--json", "--db", str(db)))
    return {line["agency"]: line for line in lines["agencies"]}


def test_the_year_from_the_list_to_next_years_workbooks(tmp_path: Path) -> None:
    db = tmp_path / "register.sqlite"
    inbox = tmp_path / "innkommet"
    shutil.copytree(SAMPLES, inbox)
    shutil.copy(ROOT / "samples" / "register" / "agency-teknisk-rettet.xlsx", inbox)
    run("register", "agencies", "import", str(ROOT / "samples" / "register" / "agencies.csv"), "--year", "2020",
        "--db", str(db))
    run("register", "deadline", "15.02.2021", "--year", "2020", "--db", str(db))
    sent = run("generate", "--db", str(db), "--year", "2020", "--out-dir", str(tmp_path / "utsendt-2020"))
    assert len(list((tmp_path / "utsendt-2020").glob("*.xlsx"))) == 7 and "tomt skjema" in sent

    first = ["member", "agency-bymiljoetaten", "agency-helseetaten-2", "agency-kulturetaten", "agency-skoleetaten",
             "agency-teknisk-med-feil"]
    run("register", "collect", *(str(inbox / f"{name}.xlsx") for name in first), "--from", "postmottak@fjordvik.no",
        "--db", str(db))
    again = run("register", "collect", str(inbox / "agency-helseetaten.xlsx"), str(inbox / "agency-skoleetaten.xlsx"),
                "--db", str(db))
    assert "Allerede mottatt" in again

    before = status(db)
    assert [line["status"] for line in before.values()].count("valid") == 5
    assert before[TECHNICAL]["status"] == "invalid"
    assert before["Fjordvik kommune, Vann- og avløpsetaten"]["status"] == "missing"
    assert before["Fjordvik kommune, Helseetaten"]["version"] == 2

    out = tmp_path / "tilbakemelding-2020"
    run("register", "feedback", "--year", "2020", "-o", str(out), "--db", str(db))
    listed = before[TECHNICAL]["feedback_file"]
    assert (out / str(listed)).is_file()  # status names the file where feedback wrote it
    with (out / "utsending.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert [row[0] for row in rows[1:]] == [TECHNICAL]

    run("register", "collect", str(inbox / "agency-teknisk-rettet.xlsx"), "--db", str(db))
    after = status(db)
    assert after[TECHNICAL]["status"] == "valid" and after[TECHNICAL]["version"] == 2

    combined = tmp_path / "samlet.xlsx"
    run("consolidate", "--db", str(db), "--year", "2020", "-o", str(combined))
    hashes = {hashlib.sha256((inbox / f"{name}.xlsx").read_bytes()).hexdigest()
              for name in ("agency-bymiljoetaten", "agency-helseetaten", "agency-kulturetaten", "agency-skoleetaten",
                           "agency-teknisk-rettet")}
    book = load_workbook(combined, read_only=True)
    written = {str(value) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
               for value in row if isinstance(value, str) and len(value) == 64}
    assert hashes <= written  # each agency's figures name the submission they came from
    run("report", str(combined), "-o", str(tmp_path / "rapport.docx"))

    run("register", "export", "--year", "2020", "-o", str(tmp_path / "arkiv"), "--db", str(db))
    assert (tmp_path / "arkiv" / "arkivmetadata.json").is_file()
    run("register", "check", "--db", str(db))

    nextyear = run("generate", "--db", str(db), "--year", "2021", "--out-dir", str(tmp_path / "utsendt-2021"))
    assert nextyear.count("forhåndsutfylt fra innlevering") == 6 and nextyear.count("tomt skjema") == 1
