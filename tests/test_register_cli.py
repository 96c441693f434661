"""The register's commands as the central unit meets them: a mistyped register is said, not made."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from workbook.cli import app

READING = [
    ["register", "status", "--year", "2020"],
    ["register", "history", "Skoleetaten", "--year", "2020"],
    ["register", "agencies", "list"],
    ["register", "feedback", "--year", "2020", "-o", "ut"],
    ["register", "export", "--year", "2020", "-o", "arkiv"],
    ["register", "link", "--all", "--year", "2020", "-o", "lenker.csv", "--base-url", "https://example.no"],
    ["register", "check"],
    ["consolidate", "--year", "2020", "-o", "samlet.xlsx"],
    ["generate", "--year", "2021", "--out-dir", "2021"],
]


@pytest.mark.parametrize("command", READING, ids=lambda c: " ".join(c[:3]))
def test_a_command_that_reads_the_register_does_not_make_a_new_one(tmp_path: Path, command: list[str],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    mistyped = tmp_path / "regsiter.sqlite"
    result = CliRunner().invoke(app, [*command, "--db", str(mistyped)])
    assert result.exit_code == 2, result.output
    assert str(mistyped) in result.output and ("Det finnes ikke noe register i" in result.output
                                               or "finnes ikke" in result.output)
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []  # nothing made: no database, no store, no output


def test_the_commands_that_put_something_in_start_a_register(tmp_path: Path) -> None:
    db = tmp_path / "ny.sqlite"
    result = CliRunner().invoke(app, ["register", "deadline", "2021-02-15", "--year", "2020", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert db.is_file()
    status = CliRunner().invoke(app, ["register", "status", "--year", "2020", "--db", str(db)])
    assert status.exit_code == 0 and "15.02.2021" in status.output


def test_a_list_workbook_keeps_every_text_as_typed(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from workbook.register.listbook import write_list

    typed = ["=HYPERLINK(\"http://x\")", "_x0041_ literal", "+47 22 00 00 00", "@sum", "Bymiljøetaten"]
    path = write_list(tmp_path / "liste.xlsx", "Liste", ["Tekst", "Tall"], [[t, 7] for t in typed], (30, 8))
    sheet = load_workbook(path).active
    assert [sheet.cell(row, 1).value for row in range(2, 2 + len(typed))] == typed
    assert all(sheet.cell(row, 1).data_type == "s" for row in range(2, 2 + len(typed)))  # never a formula
    assert sheet.cell(2, 2).value == 7 and not (tmp_path / "liste.xlsx.part").exists()
