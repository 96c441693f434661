"""Odd values have a defined outcome, and values come back exactly as typed.

- export always writes valid JSON (a date or NaN that could not be read is the text a person reads,
  with its problem listed);
- annotate never crashes (control characters and NaN cells) and its copy reads like the original;
- generate --prefill refuses what no Excel cell holds exactly (lone surrogates, NaN/Infinity,
  U+FFFE/U+FFFF, more than 15 significant digits, more than 32,767 UTF-16 units) with a Norwegian
  message naming the key, exit code 2, no traceback;
- outer white space is kept, white space only is unanswered and said so, ``_xHHHH_`` survives,
  length limits count what Excel counts, in the rules as in generate.
"""

from __future__ import annotations

import datetime
import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from documents import filled_document, make_workbook
from editing import cell_of, edit
from workbook.annotate import annotate_file
from workbook.cli import app
from workbook.generate import generate
from workbook.messages import text
from workbook.read import read_workbook
from workbook.validate import validate_file

runner = CliRunner()
ESC = "\x1b"


def _export(path: Path, tmp_path: Path) -> tuple[int, str, dict]:
    target = tmp_path / f"{path.stem}.json"
    result = runner.invoke(app, ["export", str(path), "-o", str(target)])
    raw = target.read_text(encoding="utf-8")

    def refuse(constant: str) -> None:
        raise AssertionError(f"invalid JSON constant {constant}")

    return result.exit_code, result.stderr, json.loads(raw, parse_constant=refuse)


def _replace_in_sheets(path: Path, old: bytes, new: bytes, out: Path) -> Path:
    """Change a cell's stored XML as a hand-made (or other program's) file can hold it."""
    done = False
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/") and old in data:
                data, done = data.replace(old, new), True
            target.writestr(item, data)
    assert done, old
    return out


@pytest.fixture
def with_nan(tmp_path):
    """A workbook whose «Antall ansatte» number cell holds NaN (valid xsd:double, typed by no one)."""
    document = filled_document()
    document["data"]["employees"] = 987654321
    made = generate(tmp_path / "made.xlsx", prefill=document)
    return _replace_in_sheets(made, b"<v>987654321</v>", b"<v>NaN</v>", tmp_path / "nan.xlsx")


# --- export: valid JSON always ----------------------------------------------------------------------
def test_export_writes_a_date_in_a_number_cell_as_text_and_lists_its_problem(tmp_path):
    path = make_workbook(tmp_path)
    edit(path, {cell_of(path, "procurement_count"): datetime.datetime(2024, 3, 5)})
    code, stderr, exported = _export(path, tmp_path)
    assert code == 0
    assert exported["data"]["procurement_count"] == "05.03.2024"
    assert "[date-not-number]" in stderr


def test_export_writes_nan_as_text_never_as_invalid_json(tmp_path, with_nan):
    code, stderr, exported = _export(with_nan, tmp_path)
    assert code == 0
    assert exported["data"]["employees"] == "NaN"
    assert "[not-a-number]" in stderr


# --- annotate: never a crash ------------------------------------------------------------------------
def test_annotate_marks_a_value_with_a_control_character_and_escapes_it(tmp_path):
    document = filled_document()
    document["data"]["employees"] = f"12{ESC}[31m"  # a text in a number cell, as _x001B_ in the file
    path = generate(tmp_path / "esc.xlsx", prefill=document)
    problems = validate_file(path).problems
    assert [p.code for p in problems] == ["not-a-number"]
    copy_ = annotate_file(path, problems, tmp_path / "out")
    with zipfile.ZipFile(copy_) as package:
        xml = b"".join(package.read(n) for n in package.namelist() if n.endswith(".xml"))
    assert ESC.encode() not in xml and b"_x001B_" in xml  # escaped, as OOXML stores it
    assert [p.code for p in validate_file(copy_).problems] == ["not-a-number"]


def test_annotate_copes_with_a_nan_number_cell(tmp_path, with_nan):
    problems = validate_file(with_nan).problems
    assert [p.code for p in problems] == ["not-a-number"]
    copy_ = annotate_file(with_nan, problems, tmp_path / "out")
    assert [p.code for p in validate_file(copy_).problems] == ["not-a-number"]


def test_the_validate_command_annotates_both_odd_files(tmp_path, with_nan):
    document = filled_document()
    document["data"]["org_name"] = f"Bydel{ESC}[2J Øst"
    document["data"]["employees"] = f"mange{ESC}"
    generate(tmp_path / "esc.xlsx", prefill=document)
    result = runner.invoke(app, ["validate", str(with_nan), str(tmp_path / "esc.xlsx"), "--annotate",
                                 str(tmp_path / "out"), "--jobs", "1"])
    assert result.exit_code == 1, result.stderr
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["esc-tilbakemelding.xlsx",
                                                                    "nan-tilbakemelding.xlsx"]


# --- prefill: refused clearly -----------------------------------------------------------------------
BIG = "1" + "0" * 400
PREFILL_CASES = {
    # name: (where in data, raw JSON value, what the message names)
    "lone-surrogate": ("org_name", '"Bydel \\ud800 Øst"', "U+D800"),
    "nan": ("employees", "NaN", "NaN"),
    "infinity": ("employees", "Infinity", "Infinity"),
    "minus-infinity": ("employees", "-Infinity", "-Infinity"),
    "huge": ("employees", BIG, "401 sifre"),
    "16-digits": ("employees", "1234567890123456", "1234567890123456"),
    "fffe": ("org_name", '"a\\ufffeb"', "U+FFFE"),
    "ffff": ("foreword_text", '"a\\uffffb"', "U+FFFF"),
    "table-cell": (("requirements", 1, "supplier_count"), "NaN", "rad 2, kolonne «supplier_count»"),
    "table-text": (("requirements", 0, "procurement"), '"\\udfff"', "rad 1, kolonne «procurement»"),
    "list-for-text": ("org_name", "[1, 2]", "en liste"),
}


@pytest.mark.parametrize("case", sorted(PREFILL_CASES))
def test_prefill_refuses_what_no_cell_holds_exactly_with_a_norwegian_message(case, tmp_path):
    where, raw, named = PREFILL_CASES[case]
    document = filled_document()
    if isinstance(where, tuple):
        key, row, column = where
        document["data"][key][row][column] = "@@VALUE@@"
    else:
        key = where
        document["data"][key] = "@@VALUE@@"
    source = tmp_path / "data.json"
    source.write_text(json.dumps(document, ensure_ascii=False).replace('"@@VALUE@@"', raw), encoding="utf-8")
    target = tmp_path / "out.xlsx"
    result = runner.invoke(app, ["generate", "--prefill", str(source), "-o", str(target)])
    assert result.exit_code == 2, (result.stderr, result.exception)
    assert result.stderr.startswith("Feil: Verdien av «" + key + "»")
    assert named in result.stderr
    assert "Traceback" not in result.stderr and not target.exists()
    assert not list(tmp_path.glob("*.part"))


def test_prefill_refuses_a_json_number_of_thousands_of_digits(tmp_path):
    document = filled_document()
    document["data"]["employees"] = "@@"
    source = tmp_path / "data.json"
    source.write_text(json.dumps(document).replace('"@@"', "9" * 5000), encoding="utf-8")
    result = runner.invoke(app, ["generate", "--prefill", str(source), "-o", str(tmp_path / "out.xlsx")])
    assert result.exit_code == 2 and result.stderr.startswith("Feil: ")


def test_fifteen_significant_digits_are_written_and_read_exactly(tmp_path, form):
    document = filled_document()
    document["data"]["total_purchases_nok"] = 999999999999999
    document["data"]["covered_value_nok"] = 123000000000000000000  # 3 significant digits: exact in Excel
    path = generate(tmp_path / "big.xlsx", prefill=document)
    sub = read_workbook(path)
    assert sub.data["total_purchases_nok"] == 999999999999999
    assert sub.data["covered_value_nok"] == 123000000000000000000


def test_a_number_typed_as_text_with_too_many_digits_is_an_error_not_rounded(tmp_path):
    path = make_workbook(tmp_path)
    edit(path, {cell_of(path, "employees"): "12345678901234567890"})
    sub = read_workbook(path)
    assert [(p.code, p.key) for p in sub.problems] == [("too-many-digits", "employees")]
    code, _, exported = _export(path, tmp_path)
    assert exported["data"]["employees"] == "12345678901234567890"


# --- exactly as typed -------------------------------------------------------------------------------
def test_outer_white_space_of_a_text_answer_is_kept(tmp_path):
    document = filled_document()
    document["data"]["org_name"] = "  Oslo kommune\t "
    document["data"]["requirements"][0]["procurement"] = " AV-utstyr "
    sub = read_workbook(generate(tmp_path / "spaces.xlsx", prefill=document))
    assert sub.data["org_name"] == "  Oslo kommune\t "
    assert sub.data["requirements"][0]["procurement"] == " AV-utstyr "
    assert sub.problems == []


def test_white_space_only_counts_as_unanswered_and_says_so(tmp_path):
    document = filled_document()
    document["data"]["highlight_quote"] = "   "  # optional: a warning only
    document["data"]["org_name"] = " \n "  # required: the warning and the missing answer
    problems = validate_file(generate(tmp_path / "blank.xlsx", prefill=document)).problems
    found = sorted((p.code, p.key, p.severity) for p in problems)
    assert found == [("blank-answer", "highlight_quote", "warning"), ("blank-answer", "org_name", "warning"),
                     ("required", "org_name", "error")]


@pytest.mark.parametrize("typed", ["_x0041_", "_x0041_x0042_", "_x005F_x0041_", "a_x001B_b", "_xFFFE_",
                                   f"_x0041{ESC}", "__x0041__"])
def test_text_that_looks_like_an_ooxml_escape_survives_writing_and_reading(typed, tmp_path):
    document = filled_document()
    document["data"]["foreword_text"] = typed
    sub = read_workbook(generate(tmp_path / "escape.xlsx", prefill=document))
    assert sub.data["foreword_text"] == typed


# --- length as Excel counts it ----------------------------------------------------------------------
def test_a_full_cell_with_emoji_is_valid_and_written(tmp_path):
    answer = "😀" + "a" * 32765  # 32,767 UTF-16 units: exactly what a cell holds
    document = filled_document()
    document["data"]["foreword_text"] = answer
    path = generate(tmp_path / "full.xlsx", prefill=document)
    result = validate_file(path, keep_document=True)
    assert result.problems == []
    assert result.document["data"]["foreword_text"] == answer


def test_a_text_excel_cannot_hold_is_refused_by_rules_and_generate_alike(tmp_path):
    answer = "😀😀" + "a" * 32765  # 32,767 characters, 32,769 UTF-16 units
    document = filled_document()
    document["data"]["foreword_text"] = answer
    source = tmp_path / "data.json"
    source.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(app, ["generate", "--prefill", str(source), "-o", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2
    # the rules say the same of a file that holds it (typed in by openpyxl, which does not count)
    path = make_workbook(tmp_path)
    edit(path, {cell_of(path, "foreword_text"): answer})
    (problem,) = validate_file(path).problems
    assert problem.code == "too-long"
    explanation = text("problem.too-long", where="", max_length="32\u00a0767")  # grouped, as every message
    assert explanation in problem.message
    assert explanation in result.stderr.replace("\n", "")


def test_the_rules_count_emoji_as_two(tmp_path):
    path = make_workbook(tmp_path)
    edit(path, {cell_of(path, "contact_title"): "😀" * 151})  # 151 characters, 302 units; the limit is 300
    assert [(p.code, p.key) for p in validate_file(path).problems] == [("too-long", "contact_title")]
    edit(path, {cell_of(path, "contact_title"): "😀" * 150})
    assert validate_file(path).problems == []


def test_the_annotated_copy_keeps_every_text_exactly(tmp_path, form):
    """openpyxl alone reads a typed «_x0041_» as the escape it is stored as, and saves «A»."""
    document = filled_document()
    tricky = ["_x0041_", "_x0041_x0042_", "_x005F_x0041_", f"a{ESC}b_x001B_", "  =1+1\t", "#N/A", "_xFFFE_"]
    texts = [k for k, v in document["data"].items() if isinstance(v, str) and k not in ("contact_email",)][:7]
    for key, value in zip(texts, tricky):
        document["data"][key] = value
    document["data"]["employees"] = "mange"  # a problem, so there is something to annotate
    path = generate(tmp_path / "tricky.xlsx", prefill=document)
    problems = validate_file(path).problems
    copy_ = annotate_file(path, problems, tmp_path / "out")
    assert read_workbook(copy_).data == read_workbook(path).data
    assert [read_workbook(copy_).data[k] for k in texts] == tricky


# --- the OOXML escape itself --------------------------------------------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from workbook.ooxml_text import escape, unescape  # noqa: E402

_STORABLE = st.lists(st.one_of(st.sampled_from(["_", "x", "0", "4", "1", "F", "5", "_x0041_", "\x1b", "\r"]),
                               st.characters(exclude_categories=("Cs",), exclude_characters="\ufffe\uffff"))
                     ).map("".join)


@settings(max_examples=300, derandomize=True, database=None)
@given(_STORABLE)
def test_escape_is_undone_by_decoding_left_to_right(value):
    stored = escape(value)
    assert unescape(stored) == value
    assert not any(c in stored for c in "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x1b\x1f\r")
