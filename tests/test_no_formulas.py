"""Nothing the tool writes turns an agency's text into a formula: every cell of every xlsx it
writes (the prefilled form, the annotated copy, the consolidated workbook) is scanned for a formula
element, fed with hostile text: answers, agency names, a file name and a sheet name that start with
= + - @ or look like a DDE call. The CSV helper neutralises the same texts as OWASP advises.
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import python_calamine
import pytest

from documents import filled_document
from workbook.annotate import annotate_file
from workbook.consolidate import consolidate, write_consolidated
from workbook.csv_safe import neutralise, write_csv
from workbook.generate import generate
from workbook.validate import validate_file

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
HOSTILE = ["=cmd|' /C calc'!A0", "=1+1", "+47 1+1", "-2+3", "@SUM(A1:A2)", "=HYPERLINK(\"http://x\",\"y\")",
           "\t=1+1", "\r=1+1"]
SHEET_NAME = "=cmd|' calc'!A0"


def formula_cells(path: Path) -> list[tuple[str, str]]:
    """(part, cell) of every cell holding a formula element, in every worksheet of the package."""
    found = []
    with zipfile.ZipFile(path) as package:
        for part in package.namelist():
            if part.startswith("xl/worksheets/") and part.endswith(".xml"):
                root = ElementTree.fromstring(package.read(part))
                found += [(part, c.get("r", "?")) for c in root.iter(f"{MAIN}c") if c.find(f"{MAIN}f") is not None]
    return found


def all_strings(path: Path) -> set[str]:
    """Every text value of every sheet, as a reader (python-calamine) gives it back."""
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        return {v for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python()
                for v in row if isinstance(v, str)}
    finally:
        book.close()


def hostile_document(filled_document, index: int = 0) -> dict:
    document = filled_document()
    data = document["data"]
    texts = [k for k, v in data.items() if isinstance(v, str) and k not in ("contact_email", "contact_phone")]
    for key, value in zip(texts, HOSTILE * 4):
        data[key] = value
    for row, value in zip(data["requirements"], HOSTILE):
        row["procurement"] = value
    document["agency"] = HOSTILE[index]
    return document


def rename_sheet(path: Path, old: str, new: str, out: Path) -> Path:
    """Rename a sheet as Excel does: in workbook.xml, the sheet and every defined name pointing at it."""
    def attribute(text: str) -> str:
        return text.replace("&", "&amp;").replace('"', "&quot;").replace("'", "&apos;")

    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/workbook.xml":
                xml = data.decode("utf-8")
                xml = xml.replace(f'name="{attribute(old)}"', f'name="{attribute(new)}"')
                quoted_new = "'" + new.replace("'", "''") + "'"
                xml = xml.replace(f"'{old}'!", (quoted_new + "!").replace("&", "&amp;"))
                data = xml.encode("utf-8")
            target.writestr(item, data)
    return out


def test_the_prefilled_form_has_no_formula_whatever_the_text(tmp_path):
    path = generate(tmp_path / "form.xlsx", prefill=hostile_document(filled_document))
    assert formula_cells(path) == []
    assert set(HOSTILE) - {"\r=1+1"} <= all_strings(path)  # as typed (\r is read as a line break)


def test_the_annotated_copy_has_no_formula_from_a_sheet_name_a_file_name_or_a_value(tmp_path):
    document = hostile_document(filled_document)
    document["data"]["employees"] = "=1+1"  # a problem whose value starts with =
    made = generate(tmp_path / "made.xlsx", prefill=document)
    named = rename_sheet(made, "Om virksomheten", SHEET_NAME, tmp_path / "=2+3.xlsx")
    problems = validate_file(named).problems
    assert any(p.sheet == SHEET_NAME for p in problems), "the renamed sheet is named in the problems"
    copy_ = annotate_file(named, problems, tmp_path / "out")
    assert formula_cells(copy_) == []
    strings = all_strings(copy_)
    assert SHEET_NAME in strings  # the Ark column of the feedback list, as text
    assert any("=2+3.xlsx" in s for s in strings)  # the file name in the heading
    assert "=1+1" in strings
    # and the copy still reads like the original
    assert {p.code for p in validate_file(copy_).problems} == {p.code for p in problems}


def test_the_consolidated_workbook_has_no_formula_from_agency_names_or_answers(tmp_path):
    for i in range(3):
        generate(tmp_path / f"agency{i}.xlsx", prefill=hostile_document(filled_document, i))
    member = generate(tmp_path / "member" / "member.xlsx", prefill=hostile_document(filled_document, 4))
    outcome = consolidate([tmp_path], member=member, jobs=1)
    assert len(outcome.agencies) == 3, [(r.file, [p.code for p in r.problems]) for r in outcome.invalid]
    path = write_consolidated(outcome, tmp_path / "samlet.xlsx")
    assert formula_cells(path) == []
    strings = all_strings(path)
    assert set(HOSTILE[:3]) <= strings  # the agencies' names (Tall per virksomhet, Virksomhet column)


@pytest.mark.parametrize("typed", HOSTILE + ["-5", "@x", "+", "\tx", "\rx"])
def test_csv_cells_that_would_be_formulas_get_an_apostrophe(typed):
    assert neutralise(typed) == "'" + typed


@pytest.mark.parametrize("value", ["Oslo kommune", "a=b", " =1", "'=1", "", 5, -3, 2.5, None, True])
def test_other_csv_cells_are_unchanged(value):
    assert neutralise(value) == value


def test_a_csv_written_by_the_tool_opens_as_text(tmp_path):
    rows = [["Virksomhet", "Svar", "Antall"], [SHEET_NAME, "=1+1", 3], ["Bydel Øst", None, -2]]
    path = write_csv(tmp_path / "status.csv", rows)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads æøå right
    with path.open(encoding="utf-8-sig", newline="") as handle:
        back = list(csv.reader(handle, delimiter=";"))  # as Norwegian Excel separates
    assert back == [["Virksomhet", "Svar", "Antall"], ["'" + SHEET_NAME, "'=1+1", "3"], ["Bydel Øst", "", "-2"]]
    assert not any(cell.startswith(("=", "+", "-", "@")) and not cell.lstrip("-").isdigit()
                   for row in back for cell in row)
