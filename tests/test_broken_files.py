"""Broken and hostile files: each gives one clear Norwegian message with its own code, never a
traceback, and a batch goes on past them. Also forms whose sheets, names or tables were deleted
or renamed, and the command line on such a folder.
"""

from __future__ import annotations

import json
import shutil
import string
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

import workbook.validate as validate_module
from documents import filled_document, make_workbook
from editing import cell_of, table_cell
from office import libreoffice_roundtrip
from workbook.cli import app
from workbook.messages import text
from workbook.validate import validate_file, validate_paths

BROKEN = ("empty", "pdf-named-xlsx", "csv-named-xlsx", "truncated", "old-format", "password", "word-document",
          "broken-xml", "billion-laughs", "laughs-in-strings", "laughs-in-a-sheet", "damaged-sheet", "zip-bomb",
          "lying-sizes", "not-our-form", "unknown-version", "other-form")


def found(problems):
    return [(p.code, p.sheet, p.cell) for p in problems]


# --- one file at a time ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", BROKEN)
def test_a_broken_file_gives_one_problem_with_its_own_code(broken_files, name):
    path, code = broken_files[name]
    result = validate_file(path)
    assert found(result.problems) == [(code, None, None)]
    problem = result.problems[0]
    assert problem.severity == "error" and problem.file == str(path)
    assert problem.message == text(f"problem.{code}", **_details(problem))
    assert not result.readable and not result.valid


def _details(problem):
    """The placeholders the file-level messages may use (the message is the catalogue's, filled in)."""
    template = text(f"problem.{problem.code}")
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    values = {"where": text("problem.where_file"), "value": ""}
    if "form_id" in names:
        values |= {"form_id": "ehn-offentlig", "form_version": "2031.1"}
    if "detail" in names:  # the detail is the one part that varies: take it back out of the message
        prefix, suffix = (part.format(**values) for part in template.split("{detail}"))
        values["detail"] = problem.message[len(prefix): len(problem.message) - len(suffix)]
    return values


def test_the_unknown_version_is_named_in_the_message(broken_files):
    result = validate_file(broken_files["unknown-version"][0])
    assert "«2031.1»" in result.problems[0].message
    assert result.metadata["form_version"] == "2031.1"


def test_a_pdf_or_csv_given_by_name_is_not_a_workbook(tmp_path):
    (tmp_path / "rapport.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    (tmp_path / "svar.csv").write_text("Navn;Ansatte\nOslo;5\n", encoding="utf-8")
    for name in ("rapport.pdf", "svar.csv"):
        assert found(validate_file(tmp_path / name).problems) == [("file-not-workbook", None, None)]


def test_a_file_that_cannot_be_opened_is_reported_not_raised(tmp_path):
    result = validate_file(tmp_path / "finnes-ikke.xlsx")
    assert found(result.problems) == [("file-unreadable", None, None)]


def test_a_real_encrypted_workbook_is_password_protected(tmp_path):
    ooxml = pytest.importorskip("msoffcrypto.format.ooxml", reason="msoffcrypto-tool (the test extra) is not installed")
    plain = make_workbook(tmp_path)
    target = tmp_path / "passord.xlsx"
    with plain.open("rb") as source, target.open("wb") as out:
        ooxml.OOXMLFile(source).encrypt("hemmelig", out)
    assert found(validate_file(target).problems) == [("file-encrypted", None, None)]


@pytest.mark.libreoffice
def test_a_real_old_xls_file_is_the_old_format(tmp_path):
    xls = libreoffice_roundtrip(make_workbook(tmp_path), tmp_path, fmt="xls")
    assert found(validate_file(xls).problems) == [("file-old-xls", None, None)]


def test_a_zip_bomb_is_refused_before_it_is_unpacked(broken_files, monkeypatch):
    import zipfile

    def no_reading(*args, **kwargs):
        raise AssertionError("an entry of the zip bomb was read")

    monkeypatch.setattr(zipfile.ZipFile, "read", no_reading)
    monkeypatch.setattr(zipfile.ZipFile, "open", no_reading)
    assert found(validate_file(broken_files["zip-bomb"][0]).problems) == [("file-too-large", None, None)]


# --- a form that was taken apart -----------------------------------------------------------------
@pytest.fixture
def good(tmp_path):
    return make_workbook(tmp_path)


def _save(book, path):
    book.save(path)
    return path


def test_a_deleted_section_sheet_is_reported_with_every_question_on_it(good, form, tmp_path):
    book = openpyxl.load_workbook(good)
    del book["Forord"]
    result = validate_file(_save(book, tmp_path / "uten-forord.xlsx"))
    keys = [f.key for f in form.section_of("foreword_text").fields]
    assert [(p.code, p.severity, p.sheet, p.key) for p in result.problems] == (
        [("sheet-missing", "warning", "Forord", None)] + [("name-missing", "error", "Forord", key) for key in keys])
    assert result.readable and not result.valid


def test_a_deleted_defined_name_is_a_missing_question(good, tmp_path):
    book = openpyxl.load_workbook(good)
    del book.defined_names["employees"]
    result = validate_file(_save(book, tmp_path / "uten-navn.xlsx"))
    # the number still typed where the name was is not read: said so, not dropped silently
    assert found(result.problems) == [("name-missing", "Om virksomheten", None),
                                      ("stray-value", *cell_of(good, "employees"))]
    assert result.problems[0].key == "employees"
    assert not result.valid


def test_a_deleted_table_is_a_missing_table_and_its_rows_are_not_dropped_silently(good, tmp_path):
    book = openpyxl.load_workbook(good)
    sheet = book["3.1 Øke oppslutning"]
    del sheet.tables["awareness_measures"]
    result = validate_file(_save(book, tmp_path / "uten-tabell.xlsx"))
    codes = [(p.code, p.key) for p in result.problems if p.is_error]
    # the table is gone; its answer (Ja) is not also reported as contradicting an empty table
    assert codes == [("table-missing", "awareness_measures")]
    assert {p.code for p in result.warnings} == {"stray-value"}  # the rows still typed there
    assert not result.valid


def test_a_renamed_table_column_is_reported_and_its_values_not_dropped(good, tmp_path):
    book = openpyxl.load_workbook(good)
    sheet_name, header = table_cell(good, "deviations", 0, "location")  # row 0: the header row
    sheet = book[sheet_name]
    table = sheet.tables["deviations"]
    index = [c.name for c in table.tableColumns].index(sheet[header].value)
    table.tableColumns[index].name = sheet[header].value = "Sted"
    result = validate_file(_save(book, tmp_path / "ny-kolonne.xlsx"))
    top_left = table.ref.split(":")[0]
    # one error for the column (not one "required" per row), and its two values are not dropped silently
    assert found(result.problems) == [("table-column-missing", sheet_name, top_left),
                                      ("stray-value", *table_cell(good, "deviations", 1, "location")),
                                      ("stray-value", *table_cell(good, "deviations", 2, "location"))]


def test_a_sheet_renamed_as_excel_does_still_reads(good, tmp_path):
    """Excel updates the defined names when a sheet is renamed: nothing is lost."""
    book = openpyxl.load_workbook(good)
    book["Om virksomheten"].title = "Virksomheten vår"
    for defined in book.defined_names.values():
        defined.attr_text = defined.attr_text.replace("'Om virksomheten'!", "'Virksomheten vår'!")
    book["Virksomheten vår"]["E30"] = "notat"
    result = validate_file(_save(book, tmp_path / "nytt-navn.xlsx"), keep_document=True)
    assert found(result.problems) == [("stray-value", "Virksomheten vår", "E30")]
    assert result.valid
    assert result.document["data"]["employees"] == filled_document()["data"]["employees"]


def test_a_sheet_renamed_without_its_names_is_reported(good, tmp_path, form):
    """openpyxl renames a sheet without touching the names: the questions on it are gone."""
    book = openpyxl.load_workbook(good)
    book["Om virksomheten"].title = "Virksomheten vår"
    result = validate_file(_save(book, tmp_path / "gamle-navn.xlsx"))
    keys = [f.key for f in form.section_of("org_name").fields]
    assert [(p.code, p.sheet, p.key) for p in result.problems] == (
        [("sheet-missing", "Om virksomheten", None)] + [("name-missing", "Om virksomheten", key) for key in keys])


# --- a batch -------------------------------------------------------------------------------------
@pytest.fixture
def batch(tmp_path, broken_files):
    """A folder with every broken file and one good workbook."""
    folder = tmp_path / "innsendt"
    folder.mkdir()
    for path, _ in broken_files.values():
        shutil.copy(path, folder / path.name)
    make_workbook(folder, name="good.xlsx")
    return folder


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_batch_goes_on_past_every_broken_file(batch, broken_files, jobs):
    results = validate_paths([batch], jobs=jobs)
    by_name = {Path(r.file).name: r for r in results}
    assert sorted(by_name) == sorted([p.name for p, _ in broken_files.values()] + ["good.xlsx"])
    assert by_name.pop("good.xlsx").valid
    expected = {path.name: code for path, code in broken_files.values()}
    assert {name: [p.code for p in r.problems] for name, r in by_name.items()} == {
        name: [code] for name, code in expected.items()}


def test_a_bug_while_checking_one_file_is_reported_against_it_and_the_batch_goes_on(batch, monkeypatch):
    real = validate_module.read_workbook

    def failing(path, display=None):
        if Path(path).name == "not-our-form.xlsx":
            raise RuntimeError("boom")
        return real(path, display)

    monkeypatch.setattr(validate_module, "read_workbook", failing)  # in this process: what each worker runs
    results = {Path(r.file).name: r for r in map(validate_module._validate_one,
                                                     ((str(p), False) for p in validate_module.expand_paths([batch])))}
    assert [p.code for p in results["not-our-form.xlsx"].problems] == ["internal-error"]
    assert "boom" in results["not-our-form.xlsx"].problems[0].message
    assert results["good.xlsx"].valid


# --- the command line --------------------------------------------------------------------------------
runner = CliRunner()


def test_validate_on_a_broken_folder_exits_1_without_a_traceback(batch):
    result = runner.invoke(app, ["validate", str(batch), "--jobs", "2"])
    assert result.exit_code == 1, result.stderr
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for code in ("file-empty", "file-too-large", "file-xml-forbidden", "form-version-unknown"):
        assert f"[{code}]" in result.stdout


def test_validate_json_prints_only_json_on_stdout(batch, broken_files):
    result = runner.invoke(app, ["validate", str(batch), "--json"])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["valid"] is False
    files = {Path(f["file"]).name: f for f in payload["files"]}
    assert len(files) == len(broken_files) + 1
    assert files["good.xlsx"]["valid"] is True
    assert [p["code"] for p in files["zip-bomb.xlsx"]["problems"]] == ["file-too-large"]
    assert set(files["zip-bomb.xlsx"]["problems"][0]) >= {"code", "severity", "message", "file", "sheet", "cell",
                                                           "key", "row", "column", "value"}


def test_validate_in_a_real_process_exits_1_with_no_traceback(batch):
    run = subprocess.run([sys.executable, "-m", "workbook", "validate", "--json", str(batch)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert len(json.loads(run.stdout)["files"]) == len(list(batch.iterdir()))


def test_validate_a_good_file_exits_0(good):
    result = runner.invoke(app, ["validate", str(good)])
    assert result.exit_code == 0, result.stdout


@pytest.mark.parametrize("args", [["validate", "--no-such-option", "."], ["validate", "finnes-ikke.xlsx"],
                                  ["validate"], ["export", "finnes-ikke.xlsx", "-o", "x.json"]])
def test_usage_errors_exit_2(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stdout == ""


@pytest.mark.parametrize("name", ["zip-bomb", "password", "truncated", "not-our-form"])
def test_export_of_a_broken_file_exits_1_and_writes_nothing(broken_files, name, tmp_path):
    target = tmp_path / "ut.json"
    result = runner.invoke(app, ["export", str(broken_files[name][0]), "-o", str(target)])
    assert result.exit_code == 1
    assert f"[{broken_files[name][1]}]" in result.stderr
    assert "Traceback" not in result.stderr
    assert not target.exists()
