"""Nynorsk beyond the agency's workbook: the consolidated workbook (``consolidate --lang``, by
default the member's workbook's language) and the CLI's own words (``WORKBOOK_LANG``).

The checks read the real output: every text cell of the consolidated workbook, the workbook read
back by key, the report made from it, and what ``python -m workbook`` prints in a fresh process
(the help texts are read when the CLI is imported, so only a new process shows the variable's effect).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from typer.testing import CliRunner

from editing import cell_of, edit
from test_nynorsk import BOKMAL_WORDS
from test_report import all_paragraphs
from workbook import messages, wording
from workbook.cli import app
from workbook.consolidate import COVERAGE_TABLE, FIGURES_TABLE, TEXTS_TABLE, TOTALS_TABLE, coverage_from_tables
from workbook.document import load_document
from workbook.form import load_form
from workbook.generate import generate
from workbook.problems import render
from workbook.read import read_workbook
from workbook.validate import validate_file

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "json" / "fjordvik"
FORM = load_form()
CONSOLIDATION_SHEETS = ("consolidate.coverage_sheet", "consolidate.figures_sheet", "consolidate.texts_sheet")


def _strings(value: Any) -> set[str]:
    """Every text in a document (what the agencies typed: it stays as typed, in bokmål here)."""
    if isinstance(value, dict):
        return {s for v in value.values() for s in _strings(v)}
    if isinstance(value, list):
        return {s for v in value for s in _strings(v)}
    return {value} if isinstance(value, str) else set()


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str]]:
    """The Fjordvik batch with the member's own workbook in nynorsk, and everything they typed."""
    folder = tmp_path_factory.mktemp("nn-batch")
    typed: set[str] = set()
    for source in SAMPLES.glob("*.json"):
        document = load_document(source)
        typed |= _strings(document)
        stamp = datetime(2021, 1, 20) if source.stem == "agency-helseetaten-2" else datetime(2021, 2, 15)
        generate(folder / f"{source.stem}.xlsx", prefill=document, created=stamp,
                 language="nn" if source.stem == "member" else "nb")
    return folder, typed


@pytest.fixture(scope="module")
def consolidated(batch: tuple[Path, set[str]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder, _ = batch
    output = tmp_path_factory.mktemp("nn-out") / "samla.xlsx"
    result = CliRunner().invoke(app, ["consolidate", str(folder), "-o", str(output), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    return output


def test_the_consolidation_takes_the_members_language_and_shows_no_bokmal(consolidated: Path,
                                                                          batch: tuple[Path, set[str]]) -> None:
    _, typed = batch
    book = openpyxl.load_workbook(consolidated)
    sheets = [messages.text(key, "nn") for key in CONSOLIDATION_SHEETS]
    assert set(sheets) <= set(book.sheetnames)
    assert [wording.sheet_name(FORM, s.key, "nn") for s in FORM.sections] == \
        [n for n in book.sheetnames if n not in sheets][1:-1]  # between Rettleiing and _skjema
    figures = book[messages.text("consolidate.figures_sheet", "nn")]
    assert figures["A1"].value == messages.text("consolidate.figures_title", "nn")
    shown = [(ws.title, c.coordinate, c.value) for ws in book.worksheets if ws.sheet_state == "visible"
             for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    # the tool's words: every text that is not something an agency typed, a file name or a key
    tools = [(sheet, cell, value) for sheet, cell, value in shown
             if value not in typed and not value.endswith(".xlsx") and value not in FORM.fields]
    bokmal = [(sheet, cell, value) for sheet, cell, value in tools if BOKMAL_WORDS.search(value)]
    assert not bokmal
    labels = {value for _, _, value in tools}
    sum_keys = [f.key for f in FORM.questions() if f.consolidate == "sum"]
    assert {wording.label(FORM, k, language="nn") for k in sum_keys} <= labels
    assert messages.text("consolidate.col_agency", "nn") in labels
    assert messages.text("consolidate.status_member", "nn") in labels


def test_the_nynorsk_consolidation_reads_back_by_key_and_reports_in_nynorsk(consolidated: Path, tmp_path: Path,
                                                                            batch: tuple[Path, set[str]]) -> None:
    folder, _ = batch
    sub = read_workbook(consolidated)
    assert sub.language == "nn" and not [p for p in sub.problems if p.is_error]
    assert {FIGURES_TABLE, TEXTS_TABLE, TOTALS_TABLE, COVERAGE_TABLE} <= set(sub.extra_records)
    (sums,) = [r for r in sub.extra_records[TOTALS_TABLE] if r["key"] == "sum"]
    bokmal = tmp_path / "samlet.xlsx"
    result = CliRunner().invoke(app, ["consolidate", str(folder), "-o", str(bokmal), "--jobs", "1", "--lang", "nb"])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(bokmal).sheetnames[0] == messages.text("workbook.guide_sheet", "nb")
    other = read_workbook(bokmal)
    # the same data and the same consolidation, whatever the language the sheets are worded in
    assert {**other.document(), "language": "nn"} == sub.document() and other.document()["language"] == "nb"
    (other_sums,) = [r for r in other.extra_records[TOTALS_TABLE] if r["key"] == "sum"]
    shown = ("total",)  # the row's shown name, worded in the sheet's language; its key is what is read
    assert {k: v for k, v in other_sums.items() if k not in shown} == {k: v for k, v in sums.items() if k not in shown}
    assert other.extra_records[FIGURES_TABLE] == sub.extra_records[FIGURES_TABLE]
    assert [s["status"] for s in sub.extra_records[COVERAGE_TABLE]] == \
        [s["status"] for s in other.extra_records[COVERAGE_TABLE]]
    nn_coverage = coverage_from_tables(FORM, sub.extra_records)
    assert nn_coverage["included"] == coverage_from_tables(FORM, other.extra_records)["included"]
    report = tmp_path / "rapport.docx"
    result = CliRunner().invoke(app, ["report", str(consolidated), "-o", str(report), "--lang", "nn"])
    assert result.exit_code == 0, result.output
    paragraphs = " ".join(" ".join(p.text for p in all_paragraphs(docx.Document(str(report)))).split())
    count = nn_coverage["figures"][next(iter(nn_coverage["figures"]))]["count"]
    assert messages.text("consolidate.report_sum_note", "nn", count=count) in paragraphs


def _run(args: list[str], language: str | None, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "WORKBOOK_LANG"}
    env |= {"PYTHONIOENCODING": "utf-8", "COLUMNS": "200"} | ({"WORKBOOK_LANG": language} if language else {})
    return subprocess.run([sys.executable, "-m", "workbook", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)


def _words(shown: str) -> str:  # the console wraps lines
    return " ".join(shown.split())


def test_workbook_lang_nn_gives_the_help_in_nynorsk(tmp_path: Path) -> None:
    shown = _run(["-h"], "nn", tmp_path)
    assert shown.returncode == 0, shown.stderr
    nynorsk = _words(shown.stdout)
    for key in ("help.app", "help.consolidate.command", "help.options_title", "help.commands_title"):
        assert _words(messages.text(key, "nn")).split("\n")[0][:60] in nynorsk, key
        assert _words(messages.text(key, "nb"))[:60] not in nynorsk or messages.text(key, "nb") == \
            messages.text(key, "nn"), key
    sub = _words(_run(["consolidate", "-h"], "nn", tmp_path).stdout)
    assert _words(messages.text("help.consolidate.lang", "nn"))[:60] in sub
    assert not shown.stderr


def test_validate_speaks_the_cli_language_and_each_workbook_its_own(tmp_path: Path) -> None:
    path = generate(tmp_path / "bokmal.xlsx", prefill=load_document(SAMPLES / "member.json"))
    edit(path, {cell_of(path, "employees"): "mange"})
    (problem,) = validate_file(path).problems
    shown = _run(["validate", path.name], "nn", tmp_path)
    assert shown.returncode == 1
    output = _words(shown.stdout)
    assert messages.text("cli.summary_title", "nn") in output
    assert messages.text("cli.totals", "nn", files=1, valid=0, invalid=1, errors=1, warnings=0) in output
    assert messages.text("cli.status_invalid", "nn") in output
    assert _words(f"{path.name}: {render(problem, 'nb')}") in output  # the workbook is bokmål: so is its problem
    assert messages.text("cli.col_warnings", "nn") in output
    assert messages.text("cli.col_warnings", "nb") not in output
    bokmal = _words(_run(["validate", path.name], None, tmp_path).stdout)
    assert messages.text("cli.col_warnings", "nb") in bokmal


def test_a_usage_error_is_worded_in_the_cli_language(tmp_path: Path) -> None:
    shown = _run(["validate", "finst-ikkje.xlsx"], "nn", tmp_path)
    assert shown.returncode == 2
    expected = messages.text("cli.error", "nn", message=messages.text("usage.no_such_path", "nn",
                                                                       path="finst-ikkje.xlsx"))
    assert _words(shown.stderr) == _words(expected)
    assert expected != messages.text("cli.error", "nb", message=messages.text("usage.no_such_path", "nb",
                                                                              path="finst-ikkje.xlsx"))
    refused = _run(["generate", "-o", "x.xlsx", "--role", "sjef"], "nn", tmp_path)
    assert refused.returncode == 2
    assert messages.text("cli.role_unknown", "nn", role="sjef", roles="medlem, verksemd") in _words(refused.stderr)


def test_an_unknown_cli_language_is_bokmal_with_one_warning(tmp_path: Path) -> None:
    shown = _run(["-h"], "de", tmp_path)
    assert shown.returncode == 0
    warning = messages.text("cli.env_language_unknown", "nb", variable="WORKBOOK_LANG", value="de",
                            languages="nb, nn")
    assert shown.stderr.splitlines() == [warning]
    assert _words(messages.text("help.app", "nb"))[:60] in _words(shown.stdout)


def test_validate_json_words_each_message_in_its_workbooks_language(tmp_path: Path) -> None:
    import json

    for lang in ("nb", "nn"):
        path = generate(tmp_path / f"{lang}.xlsx", prefill=load_document(SAMPLES / "member.json"), language=lang)
        edit(path, {cell_of(path, "employees"): "mange"})
    result = CliRunner().invoke(app, ["validate", "--json", str(tmp_path / "nb.xlsx"), str(tmp_path / "nn.xlsx")])
    files = {Path(f["file"]).stem: f for f in json.loads(result.stdout)["files"]}
    for lang, entry in files.items():
        (problem,) = validate_file(tmp_path / f"{lang}.xlsx").problems
        assert [p["message"] for p in entry["problems"]] == [render(problem, lang)]
    assert files["nb"]["problems"][0]["message"] != files["nn"]["problems"][0]["message"]


def test_a_refused_consolidation_is_worded_in_the_cli_language(tmp_path: Path) -> None:
    from collections import Counter

    from workbook.consolidate import ConsolidationError

    for year in (2020, 2021):
        generate(tmp_path / "inn" / f"etat-{year}.xlsx", year=year, prefill={
            **load_document(SAMPLES / "agency-kulturetaten.json"), "reporting_year": year})
    shown = _run(["consolidate", "inn", "-o", "samla.xlsx", "--jobs", "1"], "nn", tmp_path)
    assert shown.returncode == 2
    found = Counter({("ehn-offentlig", "2020.1", 2020): 1, ("ehn-offentlig", "2020.1", 2021): 1})
    error = ConsolidationError("consolidate.several_years", found=found)
    assert _words(shown.stderr) == _words(messages.text("cli.error", "nn", message=error.worded("nn")))
    assert messages.text("consolidate.found_line", "nn", year=2021, form_id="ehn-offentlig", version="2020.1",
                         count=1) in error.worded("nn")
    assert error.worded("nn") != str(error)  # bokmål when not asked for


def test_every_cli_module_words_through_the_cli_language() -> None:
    """A CLI module that took ``text`` from ``workbook.messages`` would print bokmål under
    ``WORKBOOK_LANG=nn``: each takes it from ``workbook.cli.common``."""
    import ast

    folder = Path(__file__).resolve().parent.parent / "workbook" / "cli"
    wrong = [path.name for path in sorted(folder.glob("*.py")) if path.name != "common.py"
             for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
             if isinstance(node, ast.ImportFrom) and node.module == "workbook.messages"
             and any(alias.name in ("text", "lines") for alias in node.names)]
    assert wrong == []


def test_the_register_help_is_nynorsk_throughout() -> None:
    env = {**os.environ, "WORKBOOK_LANG": "nn", "COLUMNS": "200"}
    shown = subprocess.run([sys.executable, "-m", "workbook", "register", "-h"], capture_output=True, text=True,
                           env=env, check=True).stdout
    assert "verksemd" in shown and "virksomhet" not in shown.replace("Virksomhet", "")
