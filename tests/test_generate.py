"""`workbook generate`: the workbook an agency fills in."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.cell import range_boundaries
from typer.testing import CliRunner

import office
from workbook.cli import app
from workbook.document import load_document
from workbook.errors import DataFormatError, GenerateError
from workbook.form import load_form
from workbook.generate import generate

ROOT = Path(__file__).resolve().parent.parent
FORM = load_form()
OSLO = ROOT / "samples" / "json" / "oslo-kommune-2020.json"


@pytest.fixture(scope="module")
def blank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("blank") / "skjema.xlsx", year=2021, agency="Bymiljøetaten")


@pytest.fixture(scope="module")
def book(blank: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(blank)


def _name_cells(book: openpyxl.Workbook, key: str) -> list[tuple[str, str]]:
    """(sheet, cell) of every cell a workbook-level defined name covers."""
    defined = book.defined_names[key]
    cells = []
    for sheet, ref in defined.destinations:
        min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
        for row in range(min_row, max_row + 1):
            for col in range(min_col, max_col + 1):
                cells.append((sheet, book[sheet].cell(row, col).coordinate))
    return cells


def _validation_at(book: openpyxl.Workbook, sheet: str, cell: str):  # noqa: ANN202
    found = [dv for dv in book[sheet].data_validations.dataValidation if cell in dv.sqref]
    assert found, f"no validation on {sheet}!{cell}"
    return found[0]


def _table(book: openpyxl.Workbook, key: str):  # noqa: ANN202
    for ws in book.worksheets:
        if key in ws.tables:
            return ws, ws.tables[key]
    raise AssertionError(f"no table {key}")


def test_sheets_are_the_guide_then_one_per_section_in_order(book: openpyxl.Workbook) -> None:
    visible = [ws.title for ws in book.worksheets if ws.sheet_state == "visible"]
    assert visible == ["Veiledning"] + [s.sheet for s in FORM.sections]
    guide = "\n".join(str(c.value) for row in book["Veiledning"].iter_rows() for c in row if c.value)
    assert "2021" in guide and "Bymiljøetaten" in guide and "2020.1" in guide


def test_every_key_is_reached_through_its_defined_name_or_table(book: openpyxl.Workbook) -> None:
    for section in FORM.sections:
        for field in section.fields:
            if field.is_table:
                ws, table = _table(book, field.key)
                assert ws.title == section.sheet
                header_row = range_boundaries(table.ref)[1]
                headers = [c.value for c in ws[header_row] if c.value is not None][: len(table.tableColumns)]
                expected = [c.label for c in field.columns if not c.consolidated_only]
                assert [c.name for c in table.tableColumns] == expected == headers
                body_rows = range_boundaries(table.ref)[3] - header_row
                assert body_rows >= (30 if field.key == "requirements" else 15)
                assert table.autoFilter is not None
            else:
                cells = _name_cells(book, field.key)
                assert {sheet for sheet, _ in cells} == {section.sheet}, field.key
                expected = len(field.allowed) if field.kind == "choices" else 1
                assert len(cells) == expected, field.key
                for sheet, cell in cells:
                    assert book[sheet][cell].protection.locked is False, field.key


def test_labels_are_the_forms_wording_beside_the_input(book: openpyxl.Workbook) -> None:
    for field in FORM.questions():
        if field.is_table or field.kind == "choices":
            continue
        ((sheet, cell),) = _name_cells(book, field.key)
        ws = book[sheet]
        row = ws[cell].row
        assert ws.cell(row, 1).value.startswith(field.label), field.key
        assert ws.cell(row, 1).protection.locked is not False
        assert ws.cell(row, 3).value == field.help


def test_dropdowns_and_number_checks_sit_on_the_right_cells(book: openpyxl.Workbook) -> None:
    for field in FORM.questions():
        if field.kind in ("yesno", "int", "choices"):
            for sheet, cell in _name_cells(book, field.key):
                dv = _validation_at(book, sheet, cell)
                if field.kind == "int":
                    assert (dv.type, dv.operator) == ("whole", "greaterThanOrEqual"), field.key
                    assert dv.formula1 == str(FORM.schema[field.key].get("min", 0))
                else:
                    assert (dv.type, dv.formula1) == ("list", "lst_yesno"), field.key
                assert dv.showErrorMessage and dv.error and dv.promptTitle and dv.prompt, field.key
        elif not field.is_table:
            ((sheet, cell),) = _name_cells(book, field.key)
            assert _validation_at(book, sheet, cell).prompt == field.help
    ws, table = _table(book, "requirements")
    min_col, min_row, _, max_row = range_boundaries(table.ref)
    columns = [c.key for c in FORM.field("requirements").columns if not c.consolidated_only]
    for offset, key in enumerate(columns):
        cell = ws.cell(min_row + 1, min_col + offset).coordinate
        last = ws.cell(max_row, min_col + offset).coordinate
        dv = _validation_at(book, ws.title, cell)
        assert last in dv.sqref
        kind = FORM.field("requirements").column(key).kind
        expected = {"choice": ("list", "lst_requirements_agreement_type"), "yesno": ("list", "lst_yesno"),
                    "int": ("whole", "0")}.get(kind)
        if expected:
            assert (dv.type, dv.formula1) == expected, key
    assert [c.value for c in book["_skjema"]["D"][1:3]] == ["Ja", "Nei"]


def test_sheets_are_protected_but_rows_can_be_added_sorted_and_filtered(book: openpyxl.Workbook) -> None:
    for section in FORM.sections:
        protection = book[section.sheet].protection
        assert protection.sheet is True
        # openpyxl's flags say "is this forbidden": False means the user may do it.
        assert protection.insertRows is False and protection.deleteRows is False
        assert protection.sort is False and protection.autoFilter is False
        assert book[section.sheet].freeze_panes == "A4"
        assert book[section.sheet].page_setup.paperSize == 9  # A4


def test_metadata_as_hidden_names_and_document_properties(book: openpyxl.Workbook) -> None:
    assert book["_skjema"].sheet_state == "veryHidden"  # not offered by "Unhide"
    expected = {"form_id": "ehn-offentlig", "form_version": "2020.1", "reporting_year": 2021,
                "agency": "Bymiljøetaten", "role": "agency", "language": "nb"}
    for key, value in expected.items():
        ((sheet, cell),) = _name_cells(book, key)
        assert sheet == "_skjema" and book[sheet][cell].value == value
    properties = {p.name: p.value for p in book.custom_doc_props.props}
    assert properties == expected


def test_prefill_writes_values_exactly_as_given(tmp_path: Path) -> None:
    document = load_document(OSLO)
    tricky = "=SUM(A1:A3)"
    document["data"] |= {"org_name": "007", "highlight_quote": tricky, "contact_phone": "+4795929190",
                         "employees": 51619}
    document["data"]["goals_next_year"][0]["deadline"] = "1e5"
    path = generate(tmp_path / "oslo.xlsx", prefill=document)
    book = openpyxl.load_workbook(path)

    def cell(key: str):  # noqa: ANN202
        ((sheet, ref),) = _name_cells(book, key)
        return book[sheet][ref]

    for key, value in (("org_name", "007"), ("highlight_quote", tricky), ("contact_phone", "+4795929190")):
        assert (cell(key).value, cell(key).data_type) == (value, "s"), key
    assert cell("employees").value == 51619 and cell("employees").data_type == "n"
    assert cell("requirements_in_all").value == "Nei" and cell("deviations_found").value == "Ja"
    assert cell("foreword_text").value == document["data"]["foreword_text"]
    ws, table = _table(book, "goals_next_year")
    min_col, min_row, _, _ = range_boundaries(table.ref)
    assert ws.cell(min_row + 1, min_col + 1).value == "1e5"
    assert ws.cell(min_row + 1, min_col).value == document["data"]["goals_next_year"][0]["goal"]
    chosen = [book[s][c].value for s, c in _name_cells(book, "requirement_templates")]
    assert chosen == [None, None, "Ja", None]  # Egen mal


def test_prefill_grows_a_table_past_its_blank_rows(tmp_path: Path) -> None:
    document = load_document(OSLO)
    document["data"]["requirements"] = document["data"]["requirements"] * 12  # 60 rows
    book = openpyxl.load_workbook(generate(tmp_path / "many.xlsx", prefill=document))
    _, table = _table(book, "requirements")
    _, min_row, _, max_row = range_boundaries(table.ref)
    assert max_row - min_row >= 60


@pytest.mark.parametrize("change", [
    {"unknown_key": 1},
    {"requirements": [{"procurement": "x", "colour": "red"}]},
    {"requirement_templates": ["Ingen slik mal"]},
    {"org_name": {"nested": True}},
    {"foreword_text": "x" * 40000},
])
def test_prefill_that_cannot_be_placed_is_refused_not_dropped(tmp_path: Path, change: dict) -> None:
    document = load_document(OSLO)
    document["data"] |= change
    with pytest.raises(DataFormatError):
        generate(tmp_path / "bad.xlsx", prefill=document)
    assert not (tmp_path / "bad.xlsx").exists()


def test_an_xlsxwriter_warning_is_an_error_not_a_missing_feature(tmp_path: Path, monkeypatch) -> None:
    import dataclasses

    field = FORM.field("org_name")
    long_help = dataclasses.replace(field, help="x" * 300)  # too long for an input message
    sections = tuple(dataclasses.replace(s, fields=tuple(long_help if f.key == "org_name" else f for f in s.fields))
                     for s in FORM.sections)
    broken = dataclasses.replace(FORM, sections=sections)
    with pytest.raises(GenerateError):
        generate(tmp_path / "warned.xlsx", form=broken)
    assert not (tmp_path / "warned.xlsx").exists()


def test_cli_help_explains_itself() -> None:
    runner = CliRunner()
    top = runner.invoke(app, ["--help"])
    assert top.exit_code == 0 and "generate" in top.output and "validate" in top.output
    sub = runner.invoke(app, ["generate", "--help"])
    assert sub.exit_code == 0
    for option in ("--output", "--year", "--agency", "--prefill"):
        assert option in sub.output


def test_cli_generate_writes_a_workbook(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["generate", "-o", str(tmp_path / "a.xlsx"), "--year", "2022",
                                      "--agency", "Sykehjemsetaten"])
    assert result.exit_code == 0, result.output
    props = {p.name: p.value for p in openpyxl.load_workbook(tmp_path / "a.xlsx").custom_doc_props.props}
    assert props["reporting_year"] == 2022 and props["agency"] == "Sykehjemsetaten"


def test_cli_generate_reports_bad_prefill_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"data": {"no_such_question": 1}}), encoding="utf-8")
    result = CliRunner().invoke(app, ["generate", "-o", str(tmp_path / "a.xlsx"), "--prefill", str(bad)])
    assert result.exit_code == 2
    assert "no_such_question" in result.stderr and "Traceback" not in result.stderr


def test_python_dash_m_works(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "workbook", "generate", "-o", str(tmp_path / "m.xlsx")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "m.xlsx").stat().st_size > 10_000


@pytest.mark.libreoffice
def test_a_copy_saved_by_libreoffice_keeps_every_name_and_table(blank: Path, tmp_path: Path) -> None:
    outdir = tmp_path / "lo"
    (saved,) = office.convert([blank], outdir, "xlsx:Calc MS Excel 2007 XML")
    assert saved.exists(), "LibreOffice did not write the copy"
    original, copy = openpyxl.load_workbook(blank), openpyxl.load_workbook(saved)
    assert set(copy.defined_names.keys()) >= {k for k in original.defined_names.keys()}
    for key in original.defined_names.keys():
        assert _name_cells(copy, key) == _name_cells(original, key), key
    tables = {k: ws.tables[k] for ws in original.worksheets for k in ws.tables}
    for key, table in tables.items():
        ws, copied = _table(copy, key)
        assert copied.ref == table.ref and [c.name for c in copied.tableColumns] == [c.name for c in table.tableColumns]
    for field in FORM.questions():
        if field.kind in ("yesno", "int"):
            ((sheet, cell),) = _name_cells(copy, field.key)
            assert _validation_at(copy, sheet, cell).type == {"yesno": "list", "int": "whole"}[field.kind]
