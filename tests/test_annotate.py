"""The marked copy (``validate --annotate``): bad cells highlighted and commented, a first sheet
listing every problem, the original untouched, and a copy that still reads and validates like the
original, in openpyxl's hands and after LibreOffice has saved it."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.workbook.workbook import Workbook
from typer.testing import CliRunner

from editing import edit
from office import libreoffice_roundtrip
from workbook.annotate import COLOURS, annotate_file, target_path
from workbook.cli import app
from workbook.container import Container, open_container
from workbook.document import load_document
from workbook.generate import generate
from workbook.messages import text
from workbook.problems import ERROR, WARNING, Problem, make
from workbook.validate import FileResult, validate_file

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "samples" / "json" / "fjordvik" / "agency-teknisk-med-feil.json"
GOOD = ROOT / "samples" / "json" / "fjordvik" / "agency-skoleetaten.json"
TODAY = date(2021, 3, 1)
SHEET = "Tilbakemelding"
FIRST_ROW = 8  # the header is row 7


def _document(path: Path) -> dict[str, Any]:
    document = load_document(path)
    return {"form_id": "ehn-offentlig", "form_version": "2020.1", "reporting_year": 2020,
            "agency": "Testetaten", "data": document["data"]}


def _places(result: FileResult) -> list[tuple[str, str | None, str | None]]:
    return [(p.code, p.sheet, p.cell) for p in result.problems]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _structure(path: Path) -> Container:
    container = open_container(path)
    container.close()
    return container


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The workbook full of mistakes, its result, the digest before annotating and the copy."""
    folder = tmp_path_factory.mktemp("annotate")
    source = generate(folder / "in" / "teknisk.xlsx", prefill=_document(BAD))
    before = _digest(source)
    result = validate_file(source)
    copy = annotate_file(source, result.problems, folder / "out", today=TODAY)
    return {"source": source, "before": before, "result": result, "copy": copy,
            "book": openpyxl.load_workbook(copy), "original": openpyxl.load_workbook(source)}


def _rows(book: Workbook) -> list[tuple[Any, ...]]:
    ws = book[SHEET]
    return [row for row in ws.iter_rows(min_row=FIRST_ROW, max_col=6, values_only=True) if row[0] is not None]


def _look(cell: Any) -> tuple[Any, ...]:
    """A cell's own number format, fill and border (the highlight must change none of them)."""
    sides = (cell.border.left, cell.border.right, cell.border.top, cell.border.bottom)
    return (cell.number_format, cell.fill.patternType, cell.fill.fgColor.rgb,
            *((side.style, side.color.rgb if side.color else None) for side in sides))


def _marks(book: Workbook, sheet: str) -> dict[str, str]:
    """Cell -> fill colour of the highlight rules on one sheet."""
    found = {}
    for formatting in book[sheet].conditional_formatting:
        for rule in formatting.rules:
            for ref in str(formatting.sqref).split():
                found[ref] = rule.dxf.fill.fgColor.rgb[-6:]
    return found


# --- the copy and the original -------------------------------------------------------------------
def test_the_sample_has_errors_and_a_warning(bad: dict[str, Any]) -> None:
    problems = bad["result"].problems
    assert any(p.is_error for p in problems) and any(not p.is_error for p in problems)
    assert bad["copy"] == bad["source"].parent.parent / "out" / "teknisk-tilbakemelding.xlsx"


def test_the_original_is_never_touched(bad: dict[str, Any], tmp_path: Path) -> None:
    assert _digest(bad["source"]) == bad["before"]
    # Not even when the copy goes into the original's own folder.
    source = tmp_path / "teknisk.xlsx"
    source.write_bytes(bad["source"].read_bytes())
    copy = annotate_file(source, bad["result"].problems, tmp_path, today=TODAY)
    assert copy == tmp_path / "teknisk-tilbakemelding.xlsx" and copy.is_file()
    assert _digest(source) == bad["before"]


def test_an_old_copy_is_replaced(bad: dict[str, Any], tmp_path: Path) -> None:
    target = target_path(bad["source"], tmp_path / "new" / "folder")
    target.parent.mkdir(parents=True)
    target.write_bytes(b"an old copy")
    copy = annotate_file(bad["source"], bad["result"].problems, tmp_path / "new" / "folder", today=TODAY)
    assert copy == target and openpyxl.load_workbook(copy).sheetnames[0] == SHEET
    assert not list(target.parent.glob("*.part"))


def test_the_copy_validates_like_the_original(bad: dict[str, Any]) -> None:
    again = validate_file(bad["copy"])
    assert _places(again) == _places(bad["result"])
    assert [p.message for p in again.problems] == [p.message for p in bad["result"].problems]
    assert again.metadata == bad["result"].metadata


# --- what openpyxl must keep ---------------------------------------------------------------------
def test_tables_survive(bad: dict[str, Any]) -> None:
    assert _structure(bad["copy"]).tables == _structure(bad["source"]).tables
    for sheet in bad["original"].sheetnames:
        assert sorted(bad["book"][sheet].tables.items()) == sorted(bad["original"][sheet].tables.items())


def test_data_validations_survive(bad: dict[str, Any]) -> None:
    def validations(book: Workbook, sheet: str) -> list[tuple[str, ...]]:
        return sorted((str(v.sqref), v.type, v.formula1, v.prompt, v.error, str(v.operator))
                      for v in book[sheet].data_validations.dataValidation)

    total = 0
    for sheet in bad["original"].sheetnames:
        assert validations(bad["book"], sheet) == validations(bad["original"], sheet)
        total += len(validations(bad["book"], sheet))
    assert total > 20  # the form's dropdowns and number checks really are there


def test_defined_names_and_print_titles_survive(bad: dict[str, Any]) -> None:
    assert _structure(bad["copy"]).names == _structure(bad["source"]).names
    assert set(bad["book"].defined_names) == set(bad["original"].defined_names)
    for sheet in bad["original"].sheetnames:
        assert bad["book"][sheet].print_title_rows == bad["original"][sheet].print_title_rows


def test_sheet_protection_survives(bad: dict[str, Any]) -> None:
    def protection(book: Workbook, sheet: str) -> tuple[Any, ...]:
        p = book[sheet].protection
        return p.sheet, p.insertRows, p.deleteRows, p.sort, p.autoFilter, p.formatCells, p.password

    for sheet in bad["original"].sheetnames:
        assert protection(bad["book"], sheet) == protection(bad["original"], sheet)
        assert bad["book"][sheet].protection.sheet  # every form sheet stays protected


def test_the_hidden_form_sheet_survives(bad: dict[str, Any]) -> None:
    meta = bad["book"]["_skjema"]
    assert meta.sheet_state == "veryHidden"
    assert [[c.value for c in row] for row in meta.iter_rows()] == \
        [[c.value for c in row] for row in bad["original"]["_skjema"].iter_rows()]
    assert _structure(bad["copy"]).sheets[1:] == _structure(bad["source"]).sheets


def test_custom_properties_survive(bad: dict[str, Any]) -> None:
    def props(book: Workbook) -> dict[str, Any]:
        return {p.name: p.value for p in book.custom_doc_props}

    assert props(bad["book"]) == props(bad["original"])
    assert props(bad["book"])["reporting_year"] == 2020
    assert _structure(bad["copy"]).properties == _structure(bad["source"]).properties


def test_input_cells_stay_unlocked_with_their_number_format(bad: dict[str, Any]) -> None:
    marked = {(p.sheet, p.cell) for p in bad["result"].problems}
    seen_marked = 0
    for key, area in _structure(bad["source"]).names.items():
        if area.sheet == "_skjema":
            continue
        for row in range(area.first_row + 1, area.last_row + 2):
            ref = f"{openpyxl.utils.get_column_letter(area.first_col + 1)}{row}"
            before, after = bad["original"][area.sheet][ref], bad["book"][area.sheet][ref]
            assert after.protection.locked is False, (key, ref)
            assert _look(after) == _look(before), (key, ref)
            assert after.value == before.value
            seen_marked += (area.sheet, ref) in marked
    assert seen_marked >= 5


# --- the marks -----------------------------------------------------------------------------------
def test_each_bad_cell_is_highlighted_by_severity(bad: dict[str, Any]) -> None:
    problems = bad["result"].problems
    for problem in problems:
        worst = ERROR if any(p.is_error for p in problems if (p.sheet, p.cell) == (problem.sheet, problem.cell)) \
            else WARNING
        assert _marks(bad["book"], problem.sheet)[problem.cell] == COLOURS[worst][0]
    marked = {(s, c) for s in bad["book"].sheetnames for c in _marks(bad["book"], s)}
    assert marked == {(p.sheet, p.cell) for p in problems}
    assert COLOURS[ERROR][0] != COLOURS[WARNING][0]


def test_each_bad_cell_carries_its_messages(bad: dict[str, Any]) -> None:
    for problem in bad["result"].problems:
        comment = bad["book"][problem.sheet][problem.cell].comment
        assert comment is not None and comment.author == "Kontroll"
        assert problem.message in comment.text
        assert comment.text.startswith(("Feil: ", "Advarsel: "))
    commented = {(ws.title, c.coordinate) for ws in bad["book"].worksheets for row in ws.iter_rows()
                 for c in row if c.comment is not None}
    assert commented == {(p.sheet, p.cell) for p in bad["result"].problems}
    # the comments' size: tests/test_feedback.py


# --- the list ------------------------------------------------------------------------------------
def test_the_list_is_the_first_and_active_sheet(bad: dict[str, Any]) -> None:
    book = bad["book"]
    assert book.sheetnames == [SHEET] + bad["original"].sheetnames
    assert book.active.title == SHEET
    assert [ws.title for ws in book.worksheets if ws.sheet_view.tabSelected] == [SHEET]
    ws = book[SHEET]
    assert ws["A1"].value == "Tilbakemelding på arbeidsboken"
    assert ws["A2"].value == "Fil: teknisk.xlsx" and ws["A3"].value == "Kontrollert: 01.03.2021"
    errors = sum(p.is_error for p in bad["result"].problems)
    assert ws["A4"].value == f"Feil: {errors}    Advarsler: {len(bad['result'].problems) - errors}"
    assert [c.value for c in ws[7]] == ["Nr", "Alvorlighet", "Ark", "Celle", "Spørsmål/felt", "Melding"]
    assert ws.freeze_panes == "A8"
    assert not ws.tables  # a table here would be read as one of the workbook's tables


def test_the_list_has_one_row_per_problem(bad: dict[str, Any]) -> None:
    problems = bad["result"].problems
    rows = _rows(bad["book"])
    assert [r[0] for r in rows] == list(range(1, len(problems) + 1))
    assert [(r[2], r[3]) for r in rows] == [(p.sheet, p.cell) for p in problems]
    # The message without the place, which the columns already give: «Arket «X», celle B5 (…): ».
    for row, problem in zip(rows, problems):
        assert problem.message.endswith(row[5][1:]) and len(row[5]) < len(problem.message)
        assert not row[5].startswith("Arket") and row[5][0] == row[5][0].upper()
    employees = next(r for p, r in zip(problems, rows) if p.key == "employees")
    assert employees[5].startswith("«ca. 300» er ikke et tall.")
    assert [r[1] for r in rows] == ["Feil" if p.is_error else "Advarsel" for p in problems]
    labels = {p.key: r[4] for p, r in zip(problems, rows)}
    assert labels["employees"] == "Antall ansatte"
    table_row = next(r for p, r in zip(problems, rows) if p.column == "supplier_count")
    assert table_row[4].endswith(": Antall leverandører på avtalen")


def test_the_list_links_to_each_cell(bad: dict[str, Any]) -> None:
    book = bad["book"]
    ws = book[SHEET]
    for row, problem in enumerate(bad["result"].problems, start=FIRST_ROW):
        link = ws.cell(row, 4).hyperlink
        assert link is not None and link.target is None  # internal: no relationship to follow
        sheet_part, _, cell = link.location.rpartition("!")
        sheet = sheet_part.strip("'").replace("''", "'")
        assert (sheet, cell) == (problem.sheet, problem.cell)
        assert link.location == f"'{problem.sheet}'!{problem.cell}"
        assert sheet in book.sheetnames and book[sheet][cell].comment is not None


def test_problems_without_a_cell_are_only_listed(bad: dict[str, Any], tmp_path: Path) -> None:
    source = bad["source"]
    extra = [make("table-missing", str(source), key="deviations", name="deviations"),
             make("sheet-missing", str(source), severity=WARNING, sheet="Forord")]
    problems: list[Problem] = extra + list(bad["result"].problems)
    book = openpyxl.load_workbook(annotate_file(source, problems, tmp_path, today=TODAY))
    rows = _rows(book)
    assert len(rows) == len(problems)
    assert rows[0][2:4] == (None, None) and rows[0][4] == "Avvik"
    assert rows[1][2:4] == ("Forord", None)
    assert book[SHEET].cell(FIRST_ROW, 4).hyperlink is None and book[SHEET].cell(FIRST_ROW + 1, 4).hyperlink is None
    assert not _marks(book, "Forord")
    assert not any(c.comment for row in book["Forord"].iter_rows() for c in row)


def test_a_valid_workbook_gets_an_empty_list(tmp_path: Path) -> None:
    source = generate(tmp_path / "skole.xlsx", prefill=_document(GOOD))
    assert validate_file(source).problems == []
    copy = annotate_file(source, [], tmp_path / "out", today=TODAY)
    book = openpyxl.load_workbook(copy)
    assert book[SHEET]["A4"].value == "Feil: 0    Advarsler: 0"
    assert book[SHEET]["A8"].value == text("annotate.none")
    assert validate_file(copy).problems == []


def test_annotating_a_marked_copy_again_starts_afresh(bad: dict[str, Any], tmp_path: Path) -> None:
    # The agency fixes the number of employees in the marked copy and sends it back.
    fixed = edit(bad["copy"], {("Om virksomheten", "B5"): 300}, tmp_path / "fixed.xlsx")
    result = validate_file(fixed)
    assert _places(result) == [x for x in _places(bad["result"]) if x != ("not-a-number", "Om virksomheten", "B5")]
    book = openpyxl.load_workbook(annotate_file(fixed, result.problems, tmp_path / "out", today=TODAY))
    assert book.sheetnames.count(SHEET) == 1 and book.sheetnames[0] == SHEET
    assert len(_rows(book)) == len(result.problems)
    assert "B5" not in _marks(book, "Om virksomheten") and book["Om virksomheten"]["B5"].comment is None
    marked = {(sheet, cell) for sheet in book.sheetnames for cell in _marks(book, sheet)}
    assert marked == {(p.sheet, p.cell) for p in result.problems}
    for ws in book.worksheets:  # the old rules are gone: one rule per severity at most
        assert sum(len(f.rules) for f in ws.conditional_formatting) <= 2
    assert _places(validate_file(tmp_path / "out" / "fixed-tilbakemelding.xlsx")) == _places(result)


# --- elsewhere -----------------------------------------------------------------------------------
def test_libreoffice_opens_the_copy_and_it_still_validates(bad: dict[str, Any],
                                                           tmp_path: Path) -> None:
    saved = libreoffice_roundtrip(bad["copy"], tmp_path)  # skips, saying why, without soffice
    assert saved.is_file()
    result = validate_file(saved)
    assert _places(result) == _places(bad["result"])
    assert openpyxl.load_workbook(saved).sheetnames[0] == SHEET
    # LibreOffice rewrites our rules (TRUE becomes 1) and drops the comments' author: annotating its
    # copy again must still replace the old marks, not add to them.
    book = openpyxl.load_workbook(annotate_file(saved, result.problems, tmp_path / "again", today=TODAY))
    assert book.sheetnames.count(SHEET) == 1 and len(_rows(book)) == len(result.problems)
    for ws in book.worksheets:
        assert sum(len(f.rules) for f in ws.conditional_formatting) <= 2
    for problem in result.problems:
        assert book[problem.sheet][problem.cell].comment.text.count(problem.message) == 1


def test_the_command_line_writes_the_copy(bad: dict[str, Any], tmp_path: Path) -> None:
    run = CliRunner().invoke(app, ["validate", str(bad["source"]), "--annotate", str(tmp_path / "marked")])
    assert run.exit_code == 1
    copy = tmp_path / "marked" / "teknisk-tilbakemelding.xlsx"
    assert copy.is_file() and str(copy) in run.stderr.replace("\n", "")
