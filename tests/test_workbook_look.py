"""What an agency sees and prints of its workbook: number formats, print setup, row heights,
the locked structure and the guide. Checked in the xlsx parts and in pages LibreOffice renders."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from office import convert
from workbook.annotate import annotate_file
from workbook.consolidate import consolidate, write_consolidated
from workbook.document import load_document
from workbook.form import load_form
from workbook.generate import generate
from workbook.messages import lines, text
from workbook.normalize import to_int
from workbook.pdf import find_soffice
from workbook.validate import validate_file

ROOT = Path(__file__).resolve().parent.parent
FORM = load_form()
OSLO = ROOT / "samples" / "json" / "oslo-kommune-2020.json"
FJORDVIK = ROOT / "samples" / "json" / "fjordvik"
# A LibreOffice profile set to Norwegian (bokmål), so numbers show as a Norwegian reader sees them.
NORWEGIAN_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse">
<value>nb-NO</value></prop></item>
</oor:items>
"""
SPACES = "[ \u00a0\u202f]"


def _words(value: str) -> str:
    return " ".join(value.split())


@pytest.fixture(scope="module")
def oslo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("oslo") / "oslo.xlsx", prefill=load_document(OSLO))


@pytest.fixture(scope="module")
def oslo_pages(oslo: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The text of each page LibreOffice (Norwegian locale) prints of the Oslo workbook."""
    soffice, pdftotext = find_soffice(), shutil.which("pdftotext")
    if soffice is None or pdftotext is None:
        pytest.skip("LibreOffice (soffice) and pdftotext (poppler) are needed to render the pages")
    folder = tmp_path_factory.mktemp("pages")
    (pdf,) = convert([oslo], folder, "pdf", settings=NORWEGIAN_PROFILE)
    assert pdf.is_file(), "LibreOffice did not write the PDF"
    whole = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return whole.split("\f")[:-1]


def _sheet_pages(pages: list[str], sheet: str) -> list[str]:
    """The pages whose footer names ``sheet`` (the footer's centre is the sheet's name)."""
    return [page for page in pages if re.search(rf"\s{re.escape(sheet)}\s+side \d+ av \d+\s*$", page)]


# --- numbers ---------------------------------------------------------------------------------------
def _number_cells(path: Path) -> list[tuple[str, str, str]]:
    """(sheet, cell, number format) of every cell that holds a number or is an input for one."""
    found = []
    for ws in openpyxl.load_workbook(path).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                    found.append((ws.title, cell.coordinate, cell.number_format))
    return found


def test_whole_numbers_group_thousands_with_the_readers_separator(oslo: Path) -> None:
    book = openpyxl.load_workbook(oslo)
    for field in FORM.questions():
        if field.kind != "int":
            continue
        ((sheet, ref),) = book.defined_names[field.key].destinations
        shown = book[sheet][ref.replace("$", "")].number_format
        assert shown == ("0" if field.key.endswith("_year") else "#,##0"), (field.key, shown)
        for column in field.columns:
            assert column.kind != "int"
    for field in FORM.questions():
        for column in field.columns:
            if column.kind == "int":
                ws = next(ws for ws in book.worksheets if field.key in ws.tables)
                first = ws.tables[field.key].ref.split(":")[0]
                col = openpyxl.utils.cell.coordinate_from_string(first)[0]
                index = [c.key for c in field.columns if not c.consolidated_only].index(column.key)
                letter = openpyxl.utils.get_column_letter(openpyxl.utils.column_index_from_string(col) + index)
                row = openpyxl.utils.cell.coordinate_from_string(first)[1] + 1
                assert ws[f"{letter}{row}"].number_format == "#,##0", (field.key, column.key)
    with zipfile.ZipFile(oslo) as part:
        styles = part.read("xl/styles.xml").decode()
    assert "# ##0" not in styles  # a literal space: 27000000000 showed as "27000000 000"


def test_the_consolidated_and_the_annotated_workbooks_group_numbers_too(tmp_path: Path) -> None:
    folder = tmp_path / "fjordvik"
    for source in FJORDVIK.glob("*.json"):
        generate(folder / f"{source.stem}.xlsx", prefill=load_document(source))
    combined = write_consolidated(consolidate([folder], member=folder / "member.xlsx", jobs=1), tmp_path / "samlet.xlsx")
    bad = folder / "agency-teknisk-med-feil.xlsx"
    annotated = annotate_file(bad, validate_file(bad).problems, tmp_path / "feedback")
    for path in (combined, annotated):
        cells = _number_cells(path)
        assert len(cells) > 5
        for sheet, cell, shown in cells:
            assert shown in ("#,##0", "0", "General"), (path.name, sheet, cell, shown)
        assert sum(shown == "#,##0" for _, _, shown in cells) >= 5, path.name
        with zipfile.ZipFile(path) as part:
            assert "# ##0" not in part.read("xl/styles.xml").decode()


@pytest.mark.libreoffice
def test_a_norwegian_office_suite_shows_numbers_grouped_and_years_plain(oslo_pages: list[str]) -> None:
    page = _sheet_pages(oslo_pages, "Om virksomheten")[0]
    assert re.search(rf"\s27{SPACES}000{SPACES}000{SPACES}000\s", page), page
    assert re.search(rf"\s51{SPACES}619\s", page)
    assert re.search(r"\s2017\s", "".join(_sheet_pages(oslo_pages, "Anskaffelser og leverandører")))


# --- printing --------------------------------------------------------------------------------------
def test_the_tables_column_headers_are_the_print_titles(oslo: Path) -> None:
    book = openpyxl.load_workbook(oslo)
    for section in FORM.sections:
        ws = book[section.sheet]
        tables = [f for f in section.fields if f.is_table]
        if tables:
            header_row = int(re.search(r"\d+", ws.tables[tables[-1].key].ref).group())
            assert ws.print_title_rows == f"${header_row}:${header_row}", section.sheet
        else:
            assert ws.print_title_rows == "$3:$3", section.sheet  # the Spørsmål / Svar / Hjelp banner
    goals = book["Prioriterte mål"]
    second = int(re.search(r"\d+", goals.tables["goals_next_year"].ref).group())
    assert [b.id for b in goals.row_breaks.brk] == [second - 3]  # the second table starts a page


def test_every_sheet_is_a4_as_wide_as_the_page_with_a_footer(oslo: Path) -> None:
    book = openpyxl.load_workbook(oslo)
    for sheet in [text("workbook.guide_sheet")] + [s.sheet for s in FORM.sections]:
        ws = book[sheet]
        assert ws.page_setup.paperSize == 9 and ws.sheet_properties.pageSetUpPr.fitToPage, sheet
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0, sheet
        footer = ws.oddFooter
        assert footer.left.text == "Oslo kommune" and footer.center.text == "&A", sheet
        assert footer.right.text == "side &P av &N", sheet


def test_an_ampersand_in_the_agency_is_printed_not_taken_for_a_code(tmp_path: Path) -> None:
    path = generate(tmp_path / "a.xlsx", agency="Drift & vedlikehold")
    assert openpyxl.load_workbook(path)["Forord"].oddFooter.left.text == "Drift && vedlikehold"


@pytest.mark.libreoffice
def test_each_page_says_whose_which_sheet_and_side_n_av_m(oslo_pages: list[str]) -> None:
    total = len(oslo_pages)
    for number, page in enumerate(oslo_pages, start=1):
        footer = page.rstrip().splitlines()[-1]
        assert footer.lstrip().startswith("Oslo kommune") and footer.endswith(f"side {number} av {total}"), footer


@pytest.mark.libreoffice
def test_a_table_running_over_pages_has_its_headers_on_each(oslo_pages: list[str]) -> None:
    requirements = FORM.field("requirements")
    headers = [c.label for c in requirements.columns if not c.consolidated_only]
    pages = _sheet_pages(oslo_pages, "2.2 Etiske og sosiale krav")
    assert len(pages) >= 2
    for page in pages[1:]:
        first_line = next(line for line in page.splitlines() if line.strip())
        assert [h for h in headers if h in first_line] == headers, first_line
    # Two tables on one sheet: the second starts a page of its own; its pages go on under its headers.
    second = FORM.field("goals_next_year")
    goals = [c.label for c in second.columns if not c.consolidated_only]
    pages = _sheet_pages(oslo_pages, "Prioriterte mål")
    starts = [i for i, page in enumerate(pages) if page.lstrip().startswith(second.label)]
    assert len(starts) == 1 and starts[0] < len(pages) - 1, "the second table does not start a page"
    for page in pages[starts[0] + 1:]:
        first_line = next(line for line in page.splitlines() if line.strip())
        assert [label for label in goals if label in first_line] == goals, first_line


@pytest.mark.libreoffice
def test_the_guide_prints_whole_on_one_page(oslo_pages: list[str]) -> None:
    (page,) = _sheet_pages(oslo_pages, text("workbook.guide_sheet"))
    shown = _words(page)
    for number, step in enumerate(lines("workbook.guide_steps"), start=1):
        assert _words(f"{number}. {step}") in shown, step  # nothing cut at the right edge


# --- row heights -------------------------------------------------------------------------------------
@pytest.mark.libreoffice
def test_a_long_prefilled_answer_prints_whole(oslo_pages: list[str]) -> None:
    answer = load_document(OSLO)["data"]["goods_covered"]
    printed = Counter(" ".join(_sheet_pages(oslo_pages, "Anskaffelser og leverandører")).split())
    missing = Counter(answer.split()) - printed
    assert not missing, f"clipped: {sorted(missing)[:10]}"
    assert answer.split()[-1] in printed


def test_row_heights_stay_within_excels_limit_and_long_answers_span_rows(oslo: Path) -> None:
    book = openpyxl.load_workbook(oslo)
    for ws in book.worksheets:
        assert all(d.height is None or d.height <= 409 for d in ws.row_dimensions.values()), ws.title
    ((sheet, ref),) = book.defined_names["goods_covered"].destinations
    merged = [str(r) for r in book[sheet].merged_cells.ranges if str(r).startswith(ref.replace("$", "") + ":")]
    assert merged, "the long answer's cell is not merged down"
    first, last = (int(re.search(r"\d+", end).group()) for end in merged[0].split(":"))
    assert sum(book[sheet].row_dimensions[r].height for r in range(first, last + 1)) > 409


# --- structure -----------------------------------------------------------------------------------------
def test_the_structure_is_locked_and_the_metadata_sheet_very_hidden(oslo: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(oslo) as part:
        workbook_xml = part.read("xl/workbook.xml").decode()
    assert '<workbookProtection lockStructure="1"/><bookViews>' in workbook_xml
    assert re.search(r'<sheet name="_skjema"[^>]*state="veryHidden"', workbook_xml)
    problems = validate_file(oslo).problems
    copy = annotate_file(oslo, problems, tmp_path)
    book = openpyxl.load_workbook(copy)
    assert book.security.lockStructure and book["_skjema"].sheet_state == "veryHidden"
    assert validate_file(copy).valid


# --- the guide -----------------------------------------------------------------------------------------
def test_the_guide_tells_how_numbers_may_be_typed_as_the_validator_reads_them() -> None:
    (step,) = [s for s in lines("workbook.guide_steps") if "27000000000" in s]
    examples = re.search(r"\(([^)]*)\)", step).group(1).split(", ")
    assert len(examples) >= 3
    for example in ["27000000000"] + examples:
        value, problem = to_int(example)
        assert problem is None and isinstance(value, int), example
    for word in ("mellomrom", "«kr»", "«,-»", "punktum"):
        assert word in step
