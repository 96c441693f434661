"""Our own sheet parser (workbook/cells.py) reads every cell as python-calamine does, so a sheet
sent to it (a far value, a prefix, Strict Open XML) reads the same answers; and the one pass that
decides which of the two reads a sheet errs towards our own parser."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import python_calamine

from documents import make_workbook
from editing import cell_of, edit
from office import libreoffice_roundtrip
from workbook.cells import Band, calamine_can_read, parse_shared_strings, parse_sheet, parse_styles, unescape
from workbook.container import open_container

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples").rglob("*.xlsx"))
EVERYWHERE = Band(1_048_575, 16_383)


def both_ways(path: Path):
    """For each sheet: (calamine's values, ours), as {(row, col): value} of the cells with a value."""
    container = open_container(path)
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        strings_part = container.related("sharedStrings")
        strings = parse_shared_strings(container.part(strings_part)) if strings_part else []
        styles = parse_styles(container.part(container.related("styles")))
        for sheet in container.sheets:
            rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            theirs = {(r, c): v for r, row in enumerate(rows) for c, v in enumerate(row) if v != ""}
            values = parse_sheet(container.sheet_xml(sheet), strings, styles, EVERYWHERE, container.date1904)
            yield sheet, theirs, {place: v for place, v in values.cells.items() if v != ""}
    finally:
        book.close()
        container.close()


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_our_parser_reads_every_cell_of_the_samples_as_calamine(path):
    for sheet, theirs, ours in both_ways(path):
        assert ours == theirs, sheet


def test_and_so_after_a_libreoffice_save(tmp_path):
    path = make_workbook(tmp_path)
    edit(path, {cell_of(path, "employees"): dt.datetime(2020, 3, 5), cell_of(path, "org_name"): "a_x0041_b  "})
    saved = libreoffice_roundtrip(path, tmp_path)
    compared = 0
    for sheet, theirs, ours in both_ways(Path(saved)):
        assert ours == theirs, sheet
        compared += len(theirs)
    assert compared > 100


def test_the_escapes_are_undone_left_to_right_as_excel_reads_them():
    assert unescape("a_x0041_b") == "aAb"
    assert unescape("_x005F_x0041_") == "_x0041_"
    assert unescape("_x0041_x0042_") == "Ax0042_"


@pytest.mark.parametrize("xml, safe", [
    (b'<c r="A1" s="1" t="s"><v>0</v></c><c r="Z999"><v>1</v></c>', True),
    (b'<c r="XFD1048576" t="s"><v>0</v></c>', False),
    (b'<c r="A1"><f>1+1</f><v>2</v></c>', False),
    (b'<c r="A1"><f\t>1+1</f><v>2</v></c>', False),
    (b'<c r="A1"><x:f>1+1</x:f><v>2</v></c>', False),
    (b'<c r="A1" t="e"><v>#N/A</v></c>', False),
    (b"<c r='A1' t = 'e'><v>#N/A</v></c>", False),
    (b'<c s="1" r="A1"><v>1</v></c>', False),
    (b'<c><v>1</v></c>', False),
    (b'<x:c r="A1"><x:v>1</x:v></x:c>', False),
    (b'<c r="AB12000"><v>1</v></c>', True),  # measured: 12,000 rows x 28 columns is a small grid
])
def test_the_one_pass_sends_every_odd_sheet_to_our_parser(xml, safe):
    sheet = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">' \
        + xml + b"</row></sheetData></worksheet>"
    assert calamine_can_read(sheet) is safe


def test_dates_times_and_odd_numbers_read_as_calamine_reads_them(tmp_path):
    import xlsxwriter

    path = tmp_path / "datoer.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Ark")
    formats = ["hh:mm", "dd.mm.yyyy hh:mm", "yyyy-mm-dd h:mm:ss", "dd.mm.yyyy", "mm:ss", "d-mmm",
               '"dag "0', "0.00", "# ##0", "#,##0"]
    values = [0, 1, 0.5, 45356, 45356.4375, 1.5, -1, 2958466, 60, 61, 12345678901234567890, -0.0, 123456.789]
    for row, code in enumerate(formats):
        style = book.add_format({"num_format": code})
        for col, value in enumerate(values):
            sheet.write_number(row, col, value, style)
    elapsed = book.add_format({"num_format": "[h]:mm"})  # calamine overflows on a huge one: see below
    for col, value in enumerate([0, 1, 0.5, 1.5, 45356.4375]):
        sheet.write_number(19, col, value, elapsed)
    sheet.write_boolean(20, 0, True)
    sheet.write_string(20, 1, "  to\r\nlinjer  ")
    sheet.write_formula(20, 2, "=1+1", None, 2)
    book.close()
    ((_, theirs, ours),) = list(both_ways(path))
    assert ours == theirs and len(theirs) == len(formats) * len(values) + 5 + 3


def test_a_value_calamine_cannot_convert_is_read_by_our_parser(tmp_path):
    """A duration format on 1e300 makes calamine raise OverflowError: the sheet is read our way."""
    from hostile import place_of, replace_cell, rewrite
    from workbook.validate import validate_file

    good = make_workbook(tmp_path, name="god.xlsx")
    _, part, ref = place_of(good, "employees")
    styles = "xl/styles.xml"

    def duration_style(xml: bytes) -> bytes:  # one more cell format: number format 46, [h]:mm:ss
        head, rest = xml.split(b"<cellXfs", 1)
        count, body = rest.split(b">", 1)
        number = int(count.split(b'count="')[1].split(b'"')[0])
        return head + b"<cellXfs" + count.replace(f'count="{number}"'.encode(), f'count="{number + 1}"'.encode()) \
            + b">" + body.replace(b"</cellXfs>", b'<xf numFmtId="46" fontId="0" fillId="0" borderId="0" '
                                  b'applyNumberFormat="1"/></cellXfs>', 1), number

    data = {}

    def change_styles(xml: bytes) -> bytes:
        new, data["style"] = duration_style(xml)
        return new

    rewrite(good, tmp_path / "tmp.xlsx", {styles: change_styles})
    target = rewrite(tmp_path / "tmp.xlsx", tmp_path / "varighet.xlsx", {part: lambda x: replace_cell(
        x, ref, f'<c r="{ref}" s="{data["style"]}"><v>1E+300</v></c>'.encode())})
    result = validate_file(target, keep_document=True)
    assert result.valid, [p.message for p in result.problems]
    assert result.document["data"]["employees"] == 10**300  # the number Excel holds and shows (1E+300)
