"""The command line as a whole: every command explains itself and is documented; exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workbook.cli import app
from workbook.document import load_document
from workbook.generate import generate

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ["generate", "validate", "export", "consolidate", "report"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_in_the_readme(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert len(result.output.strip().splitlines()) > 5
    assert f"`workbook {command}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_top_level_help_lists_every_command() -> None:
    output = CliRunner().invoke(app, ["--help"]).output
    assert all(command in output for command in COMMANDS)


@pytest.fixture(scope="module")
def warned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid workbook with one warning: the covered value exceeds total purchases."""
    document = load_document(ROOT / "samples" / "json" / "oslo-kommune-2020.json")
    document["data"]["covered_value_nok"] = document["data"]["total_purchases_nok"] + 1
    return generate(tmp_path_factory.mktemp("warned") / "warned.xlsx", prefill=document)


def test_warnings_pass_unless_strict(warned: Path, cell_of) -> None:  # noqa: ANN001
    runner = CliRunner()
    plain = runner.invoke(app, ["validate", str(warned), "--json"])
    assert plain.exit_code == 0
    payload = json.loads(plain.stdout)
    (problem,) = payload["files"][0]["problems"]
    assert (problem["code"], problem["severity"], problem["cell"]) == ("covered-value-over-total", "warning", cell_of(warned, "covered_value_nok")[1])
    strict = runner.invoke(app, ["validate", str(warned), "--strict", "--json"])
    assert strict.exit_code == 1 and json.loads(strict.stdout)["valid"] is False


def test_report_refuses_a_workbook_with_errors(tmp_path: Path) -> None:
    bad = ROOT / "samples" / "fjordvik" / "agency-teknisk-med-feil.xlsx"
    result = CliRunner().invoke(app, ["report", str(bad), "-o", str(tmp_path / "r.docx")])
    assert result.exit_code == 1
    assert "ca. 300" in result.stderr and not (tmp_path / "r.docx").exists()


def test_report_pdf_says_clearly_when_libreoffice_is_missing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no soffice to be found
    import workbook.pdf

    monkeypatch.setattr(workbook.pdf, "find_soffice", lambda: None)
    result = CliRunner().invoke(app, ["report", str(ROOT / "samples" / "oslo-kommune-2020.xlsx"),
                                      "-o", str(tmp_path / "r.docx"), "--pdf"])
    assert result.exit_code == 2
    assert (tmp_path / "r.docx").exists()  # the Word report is still written
    assert "LibreOffice" in result.stderr and "Traceback" not in result.stderr


def test_outputs_go_into_new_folders_and_unwritable_targets_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    oslo = str(ROOT / "samples" / "oslo-kommune-2020.xlsx")
    made = runner.invoke(app, ["report", oslo, "-o", str(tmp_path / "new" / "folder" / "r.docx")])
    assert made.exit_code == 0 and (tmp_path / "new" / "folder" / "r.docx").exists()
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    for args in (["report", oslo, "-o", str(blocker / "r.docx")], ["export", oslo, "-o", str(blocker / "d.json")],
                 ["generate", "-o", str(blocker / "g.xlsx")]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, args
        assert result.stderr.startswith("Feil:") and "Traceback" not in result.stderr, args
