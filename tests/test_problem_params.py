"""Problems are data all the way: each keeps the values its message is made of (``params``) and
its place as fields; its message is the catalogue's template of the chosen language filled in
with them, and --json, the marked copy and the command line all word it from that data.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import io
import json
import pickle
import shutil
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from typer.testing import CliRunner

import hostile
from documents import filled_document, make_workbook
from editing import cell_of, edit, table_cell
import workbook.form as form_module
import workbook.messages as messages_module
import workbook.validate as validate_module
from workbook.annotate import annotate_file
from workbook.cli import app
from workbook.cli.common import SafeConsole
from workbook.cli.validate import print_problems
from workbook.generate import generate
from workbook.messages import catalogue, text
from workbook.problems import Problem, make, render
from workbook.validate import validate_file
from workbook.workers import CRASHED, TIMED_OUT

NBSP = "\u00a0"
PLACES = ("problem.where_cell", "problem.where_sheet", "problem.where_file")
#: Labels a careless cutter of messages would cut in the wrong place: brackets and colons.
ODD_LABEL = "Antall ansatte (per 31.12.): fast og midlertidig (se note 2: deltid)"
ODD_COLUMN = "Leverandører (antall): på avtalen"


def catalogue_codes() -> set[str]:
    return {key.split(".", 1)[1] for key in catalogue() if key.startswith("problem.") and key not in PLACES}


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


# --- a later form version whose labels hold brackets and colons ----------------------------------
@contextlib.contextmanager
def later_version(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[form_module.Form]:
    """The form as version 2099.1 (in ``folder``), with a question and a table column labelled with
    «(» and «:»; its schema also has a maximum, a pattern and a rule without a code of its own."""
    rules = folder / "rules" / "ehn-offentlig"
    source = form_module.RULES_DIR / "ehn-offentlig" / "2020.1"
    shutil.copytree(source, rules / "2020.1")
    shutil.copytree(source, rules / "2099.1")
    form_yaml = rules / "2099.1" / "form.yaml"
    form_yaml.write_text(form_yaml.read_text(encoding="utf-8").replace(
        'form_version: "2020.1"', 'form_version: "2099.1"'), encoding="utf-8")
    schema_yaml = rules / "2099.1" / "schema.yaml"
    schema = yaml.safe_load(schema_yaml.read_text(encoding="utf-8"))
    schema["form_version"]["allowed"] = ["2099.1"]
    schema["employees"]["meta"]["label"] = ODD_LABEL
    schema["employees"]["max"] = 1000
    schema["requirements"]["schema"]["schema"]["supplier_count"]["meta"]["label"] = ODD_COLUMN
    schema["org_name"]["regex"] = "[^0-9]+"
    schema["foreword_author"]["forbidden"] = ["Anonym"]
    schema_yaml.write_text(yaml.safe_dump(schema, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(form_module, "RULES_DIR", folder / "rules")
    form_module.load_form.cache_clear()
    try:
        yield form_module.load_form("ehn-offentlig", "2099.1")
    finally:
        monkeypatch.undo()
        form_module.load_form.cache_clear()


@pytest.fixture
def odd_labels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[form_module.Form]:
    with later_version(tmp_path, monkeypatch) as form:
        yield form


# --- one problem of every code -------------------------------------------------------------------
@pytest.fixture(scope="module")
def every_problem(tmp_path_factory: pytest.TempPathFactory,
                  broken_files: dict[str, tuple[Path, str]]) -> list[Problem]:
    """The problems of the workbooks tests/test_rules.py breaks to give every code of the catalogue."""
    folder = tmp_path_factory.mktemp("every-code")
    document = filled_document()
    document["reporting_year"] = 2101
    document["data"] |= {
        "membership_year": 2102, "covered_value_nok": 30_000_000_000, "supplier_count": -1,
        "contact_email": "post(at)virksomhet.no", "contact_phone": "ring meg", "contact_title": "x" * 301,
        "contact_name": None, "goals_next_year": [], "requirements": [], "requirements_in_all": True,
        "deviations_found": False, "awareness_done": False, "requirement_templates": [],
    }
    paths = [make_workbook(folder, document, name="rules.xlsx")]
    typing = make_workbook(folder, name="typing.xlsx")
    sheet, org = cell_of(typing, "org_name")
    _, below = table_cell(typing, "awareness_measures", 16, "type")
    edit(typing, {
        cell_of(typing, "org_name"): "=1+1", cell_of(typing, "employees"): "mange",
        cell_of(typing, "total_purchases_nok"): 1.5,
        cell_of(typing, "procurement_count"): datetime.datetime(2020, 1, 1),
        cell_of(typing, "awareness_done"): "kanskje", cell_of(typing, "supplier_count"): "12345678901234567890",
        cell_of(typing, "contact_name"): "   ", cell_of(typing, "foreword_author"): "#N/A",
        (sheet, "D" + org[1:]): "stray", ("3.1 Øke oppslutning", below): "under tabellen",
        table_cell(typing, "requirements", 1, "agreement_type"): "Avtale",
    })
    book = openpyxl.load_workbook(typing)
    del book.defined_names["highlight_quote"]
    del book["3.2 Kommunikasjon"]
    del book["Prioriterte mål"].tables["goals_reporting_year"]
    book["2.3 Oppfølging av krav"].tables["deviations"].tableColumns[1].name = "Sted"
    book.save(typing)
    paths.append(typing)
    paths += [path for path, _ in broken_files.values()]
    good = make_workbook(folder, name="good.xlsx")
    for name in ("table-of-240000-cells", "60000-strays-in-a-block", "conflicting-form-version",
                 "duplicate-defined-name"):
        paths.append(hostile.CASES[name][0](good, folder / f"{name}.xlsx"))
    paths += [folder / "finnes-ikke.xlsx", folder]  # file-unreadable, file-not-regular
    problems = [p for path in paths for p in validate_file(path).problems]
    problems += validate_module._lost("x.xlsx", CRASHED, 1).problems + validate_module._lost("x.xlsx", TIMED_OUT,
                                                                                              120).problems
    with pytest.MonkeyPatch.context() as patch:  # a bug in the tool
        patch.setattr(validate_module, "read_workbook", lambda *a, **k: 1 / 0)
        problems += validate_module._validate_one((str(good), False)).problems
    with pytest.MonkeyPatch.context() as patch, later_version(folder, patch) as later:  # invalid-format, invalid
        document = filled_document() | {"form_version": "2099.1"}
        document["data"] |= {"org_name": "Bydel 1", "foreword_author": "Anonym", "employees": 2 ** 40}
        problems += validate_file(generate(folder / "2099.xlsx", prefill=document, form=later)).problems
    return problems


def test_the_problems_checked_here_are_of_every_code(every_problem: list[Problem]) -> None:
    assert {p.code for p in every_problem} == catalogue_codes()


def _worded(value: Any) -> str:
    """A param as the catalogue's header says messages write it (grouped numbers, Ja/Nei, lists)."""
    if isinstance(value, bool):
        return text("workbook.answer_yes") if value else text("workbook.answer_no")
    if isinstance(value, (int, float)) and float(value).is_integer():
        return f"{int(value):,}".replace(",", NBSP) if abs(value) >= 10_000 else str(int(value))
    if isinstance(value, list):
        return ", ".join(_worded(item) for item in value)
    return str(value)


def _place(problem: Problem) -> str:
    if problem.sheet and problem.cell:
        place = text("problem.where_cell", sheet=problem.sheet, cell=problem.cell)
    else:
        place = text("problem.where_sheet", sheet=problem.sheet) if problem.sheet else text("problem.where_file")
    return place + (f" ({problem.params['label']})" if "label" in problem.params else "")


def test_every_message_is_its_template_filled_in_with_its_params(every_problem: list[Problem]) -> None:
    for problem in every_problem:
        template = text(f"problem.{problem.code}")
        assert placeholders(template) - {"where"} <= set(problem.params), (problem.code, problem.params)
        words = {name: _worded(value) for name, value in problem.params.items()}
        if f"detail.{problem.params.get('detail')}" in catalogue():  # a word of the catalogue, with its numbers
            words["detail"] = text(f"detail.{problem.params['detail']}", **words)
        # str.format: a placeholder without its param fails here
        assert problem.message == template.format(where=_place(problem), **words), problem.code
        assert render(problem, "nb") == problem.message


def test_params_are_plain_json_and_keep_numbers_as_read(every_problem: list[Problem]) -> None:
    for problem in every_problem:
        assert json.loads(json.dumps(problem.params, allow_nan=False)) == problem.params, problem.code
        for value in problem.params.values():
            assert value is None or isinstance(value, (bool, int, float, str, list)), (problem.code, value)
    by_code = {p.code: p for p in every_problem}
    assert by_code["covered-value-over-total"].params["value"] == 30_000_000_000  # a number, not «30 000 000 000»
    assert f"30{NBSP}000{NBSP}000{NBSP}000" in by_code["covered-value-over-total"].message
    assert by_code["membership-after-reporting-year"].params["limit"] == 2101
    assert by_code["below-minimum"].params["minimum"] == 0
    assert by_code["not-allowed"].params["choices"] == ["Rammeavtale", "Enkeltkontrakt", "Annet"]
    assert by_code["deviations-answer-vs-rows"].params["answer_text"] is False  # worded Nei when shown
    assert "«Nei»" in by_code["deviations-answer-vs-rows"].message
    assert by_code["file-too-large"].params["detail"] in ("megabytes", "parts")  # the catalogue's word, not its text


def test_a_problem_is_a_small_frozen_value_that_crosses_processes(every_problem: list[Problem]) -> None:
    for problem in every_problem:
        again = pickle.loads(pickle.dumps(problem))
        assert again == problem and hash(again) == hash(problem) and again.message == problem.message
        entry = json.loads(json.dumps(problem.to_dict()))
        rebuilt = Problem(**{name: value for name, value in entry.items() if name != "message"})
        assert rebuilt == problem and rebuilt.message == entry["message"]  # the data alone makes the message
    with pytest.raises(dataclasses.FrozenInstanceError):
        every_problem[0].code = "other"  # type: ignore[misc]
    assert {f.name for f in dataclasses.fields(Problem)} == {"code", "severity", "file", "sheet", "cell", "key", "row",
                                                             "column", "value", "params"}  # no message kept


# --- another language ----------------------------------------------------------------------------
def test_a_problem_is_worded_in_the_language_asked_for(every_problem: list[Problem], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A made-up language «xx» beside bokmål: same params, its own words for place and message."""
    shutil.copytree(messages_module.LOCALE_DIR / "nb", tmp_path / "nb")
    shutil.copytree(messages_module.LOCALE_DIR / "nb", tmp_path / "xx")
    texts = yaml.safe_load((tmp_path / "xx" / "problems.yaml").read_text(encoding="utf-8"))
    texts["problem"] |= {"where_cell": "Sheet «{sheet}», cell {cell}",
                         "above-maximum": "{where}: {value} is more than {maximum}."}
    texts["detail"]["parts"] = "{count} parts, at most {limit}"
    (tmp_path / "xx" / "problems.yaml").write_text(yaml.safe_dump(texts, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(messages_module, "LOCALE_DIR", tmp_path)
    messages_module.catalogue.cache_clear()
    try:
        problem = next(p for p in every_problem if p.code == "above-maximum" and p.key == "employees")
        label = problem.params["label"]
        big = f"{2 ** 40:,}".replace(",", NBSP)
        place = f"Sheet «{problem.sheet}», cell {problem.cell} ({label})"
        assert render(problem, "xx") == f"{place}: {big} is more than 1000."
        assert render(problem) == problem.message and problem.message.startswith("Arket")
        parts = make("file-too-large", "x.xlsx", detail="parts", count=20_000, limit=10_000)
        assert f"20{NBSP}000 deler i pakken, grensen er 10{NBSP}000" in render(parts)
        assert f"(20{NBSP}000 parts, at most 10{NBSP}000)" in render(parts, "xx")
    finally:
        monkeypatch.undo()
        messages_module.catalogue.cache_clear()


# --- --json --------------------------------------------------------------------------------------
def test_validate_json_carries_each_problems_params(
                                                    tmp_path: Path) -> None:
    document = filled_document()
    document["data"] |= {"covered_value_nok": 27_000_000_000, "total_purchases_nok": 15_000_000}
    path = make_workbook(tmp_path, document)
    edit(path, {cell_of(path, "employees"): "ca. 300"})
    run = CliRunner().invoke(app, ["validate", str(path), "--json"])
    assert run.exit_code == 1
    (entry,) = json.loads(run.stdout)["files"]
    problems = {p["code"]: p for p in entry["problems"]}
    employees = form_module.load_form().field("employees").label
    assert problems["not-a-number"]["params"] == {"label": employees, "value": "ca. 300"}
    over = problems["covered-value-over-total"]
    assert over["params"]["value"] == 27_000_000_000 and over["params"]["limit"] == 15_000_000
    assert f"27{NBSP}000{NBSP}000{NBSP}000" in over["message"]  # grouped in the words only
    for item in entry["problems"]:
        rebuilt = Problem(**{name: value for name, value in item.items() if name != "message"})
        assert render(rebuilt) == item["message"]


# --- the marked copy and the command line --------------------------------------------------------
def test_the_feedback_list_is_worded_from_the_fields_whatever_the_labels_hold(
        odd_labels: form_module.Form, tmp_path: Path) -> None:
    document = filled_document() | {"form_version": "2099.1"}
    source = generate(tmp_path / "rare.xlsx", prefill=document, form=odd_labels)
    employees = cell_of(source, "employees")
    supplier = table_cell(source, "requirements", 1, "supplier_count", odd_labels)
    edit(source, {employees: "ca. 300", supplier: "mange"})
    problems = validate_file(source).problems
    assert [(p.code, p.sheet, p.cell) for p in problems] == [("not-a-number", *employees),
                                                             ("not-a-number", *supplier)]
    copy = annotate_file(source, problems, tmp_path / "out", today=datetime.date(2021, 3, 1))
    book = openpyxl.load_workbook(copy)
    rows = [row for row in book["Tilbakemelding"].iter_rows(min_row=8, max_col=6, values_only=True) if row[0]]
    table_label = f"{odd_labels.field('requirements').label}: {ODD_COLUMN}"
    assert [row[2:5] for row in rows] == [(*employees, ODD_LABEL), (*supplier, table_label)]
    for row, value in zip(rows, ("ca. 300", "mange")):  # the message, from its first word: no place, no label
        assert row[5] == text("problem.not-a-number", where="", value=value).removeprefix(": ")
    for problem, (sheet, cell), label in zip(problems, (employees, supplier), (ODD_LABEL, table_label)):
        comment = book[sheet][cell].comment.text
        assert comment == f"Feil: {problem.message}"
        assert f"celle {cell} ({label}): «" in comment


def test_the_command_line_prints_each_problem_as_rendered(every_problem: list[Problem]) -> None:
    stream = io.StringIO()
    print_problems(every_problem, SafeConsole(file=stream, width=400))
    printed = stream.getvalue().splitlines()
    more = text("cli.more_places", count=0).split("0")[0]
    shown = [line for line in printed if line.startswith("  ") and not line.startswith("  " + more)]
    rendered = {f"  {p.file}: {render(p)}" for p in every_problem}
    assert len(shown) >= len(catalogue_codes()) and set(shown) <= rendered
