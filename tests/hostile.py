"""A corpus of hostile and clumsy workbooks, each made from a good one in a few lines, with the
outcome each must have. What a clerk makes in a minute (a value typed in the last cell of a sheet,
a table stretched to the bottom) and what an attacker makes by editing the XML (absurd declared
sizes, formulas spelled oddly, namespace prefixes, Strict Open XML, conflicting metadata).

Each case: ``(name, build, expected)``: ``build(good, target)`` writes ``target`` from the good
workbook ``good``; ``expected`` is the set of problem codes the file must give (errors and
warnings), checked beside every good file of the same batch.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from workbook.container import open_container

MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT = b"http://purl.oclc.org/ooxml/spreadsheetml/main"
REL = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STRICT_REL = b"http://purl.oclc.org/ooxml/officeDocument/relationships"


# --- editing a package -------------------------------------------------------------------------
def rewrite(source: Path, target: Path, changes: dict[str, Callable[[bytes], bytes]],
            extra: dict[str, bytes] | None = None, every: Callable[[str, bytes], bytes] | None = None) -> Path:
    """Copy a workbook's package with some parts changed (by name, or ``every`` part) and some added."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if every is not None:
                data = every(info.filename, data)
            if info.filename in changes:
                data = changes[info.filename](data)
            zout.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return target


def part_of(path: Path, sheet: str) -> str:
    container = open_container(path)
    try:
        return container.sheet_parts[sheet]
    finally:
        container.close()


def place_of(path: Path, key: str) -> tuple[str, str, str]:
    """(sheet, part, cell such as B5) of a single answer's defined name."""
    from xlsxwriter.utility import xl_rowcol_to_cell

    container = open_container(path)
    try:
        area = container.names[key]
        return area.sheet, container.sheet_parts[area.sheet], xl_rowcol_to_cell(area.first_row, area.first_col)
    finally:
        container.close()


def append_cells(xml: bytes, rows: bytes) -> bytes:
    return xml.replace(b"</sheetData>", rows + b"</sheetData>", 1)


def inline(ref: str, text: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def replace_cell(xml: bytes, ref: str, new: bytes) -> bytes:
    pattern = re.compile(rb'<c r="' + ref.encode() + rb'"(?:[^>]*/>|[^>]*>.*?</c>)', re.S)
    assert pattern.search(xml), ref
    return pattern.sub(lambda _: new, xml, count=1)


# --- the cases ---------------------------------------------------------------------------------
def _far_value(ref: str) -> Callable[[Path, Path], Path]:
    def build(good: Path, target: Path) -> Path:
        part = part_of(good, "Om virksomheten")
        row = re.sub(r"\D", "", ref)
        return rewrite(good, target, {part: lambda x: append_cells(x, f'<row r="{row}">'.encode()
                                                                    + inline(ref, "skrevet langt ute") + b"</row>")})
    return build


def _absurd_strings_count(good: Path, target: Path) -> Path:
    return rewrite(good, target, {"xl/sharedStrings.xml": lambda x: re.sub(
        rb'uniqueCount="\d+"', b'uniqueCount="4000000000"', re.sub(rb' count="\d+"', b' count="4000000000"', x))})


def _table_to_the_bottom(good: Path, target: Path) -> Path:
    def stretch(xml: bytes) -> bytes:
        return re.sub(rb'ref="([A-Z]+\d+):([A-Z]+)\d+"', rb'ref="\1:\g<2>1048576"', xml)
    container = open_container(good)
    try:
        table = container.tables["awareness_measures"]
        part = next(name for name in container.zip.namelist()  # type: ignore[union-attr]
                    if name.startswith("xl/tables/") and f'name="{table.name}"'.encode()
                    in container.zip.read(name))  # type: ignore[union-attr]
    finally:
        container.close()
    return rewrite(good, target, {part: stretch})


def _table_of_many_cells(good: Path, target: Path) -> Path:
    """A table stretched to the bottom of its sheet and filled far past what any form holds."""
    stretched = _table_to_the_bottom(good, target.with_name(target.stem + "-tmp.xlsx"))
    container = open_container(good)
    try:
        area = container.tables["awareness_measures"].area
        part = container.sheet_parts[area.sheet]
    finally:
        container.close()
    from xlsxwriter.utility import xl_rowcol_to_cell

    rows = b"".join(f'<row r="{row + 1}">'.encode() + b"".join(
        f'<c r="{xl_rowcol_to_cell(row, area.first_col + c)}"><v>1</v></c>'.encode() for c in range(3)) + b"</row>"
        for row in range(area.last_row + 40, area.last_row + 40 + 80_000))
    try:
        return rewrite(stretched, target, {part: lambda x: append_cells(x, rows)})
    finally:
        stretched.unlink()


def _many_strays(count: int, spread: bool) -> Callable[[Path, Path], Path]:
    """``count`` values typed where nothing reads them: in a block to the right, or spread over the
    whole width and depth of the sheet."""
    def build(good: Path, target: Path) -> Path:
        from xlsxwriter.utility import xl_rowcol_to_cell

        part = part_of(good, "Om virksomheten")
        per_row = 16 if spread else 10
        rows = []
        for n in range(count // per_row):
            row = 100 + (n * 97 if spread else n)
            cells = b"".join(f'<c r="{xl_rowcol_to_cell(row, (c * 1021 if spread else 10 + c))}"><v>{c}</v></c>'.encode()
                             for c in range(per_row))
            rows.append(f'<row r="{row + 1}">'.encode() + cells + b"</row>")
        return rewrite(good, target, {part: lambda x: append_cells(x, b"".join(rows))})
    return build


def _formula(spelling: str) -> Callable[[Path, Path], Path]:
    def build(good: Path, target: Path) -> Path:
        _, part, ref = place_of(good, "employees")
        cell = f'<c r="{ref}">{spelling}<v>300</v></c>'.encode()
        return rewrite(good, target, {part: lambda x: replace_cell(x, ref, cell)})
    return build


def _cells_without_references(good: Path, target: Path) -> Path:
    """The row of an answer written without any r attributes (positions by order), with a formula."""
    _, part, ref = place_of(good, "employees")
    row = re.sub(r"\D", "", ref)

    def change(xml: bytes) -> bytes:
        xml = replace_cell(xml, ref, f'<c r="{ref}"><f>SUM(1,2)</f><v>3</v></c>'.encode())
        start = xml.index(f'<row r="{row}"'.encode())
        end = xml.index(b"</row>", start)
        body = re.sub(rb'(<c) r="[A-Z]+\d+"', rb"\1", xml[start:end])
        return xml[:start] + re.sub(rb'<row r="\d+"', b"<row", body, count=1) + xml[end:]
    return rewrite(good, target, {part: change})


def _prefixed(good: Path, target: Path) -> Path:
    """Every element of one sheet written with a namespace prefix (``<x:c>``), as some writers do."""
    part = part_of(good, "Om virksomheten")

    def change(xml: bytes) -> bytes:
        xml = re.sub(rb"<(/?)([A-Za-z][\w]*)(?=[\s/>])", rb"<\1x:\2", xml)
        return xml.replace(b'xmlns="' + MAIN + b'"', b'xmlns:x="' + MAIN + b'"', 1)
    return rewrite(good, target, {part: change})


def _strict(good: Path, target: Path) -> Path:
    """The workbook as Excel's "Strict Open XML" writes it: the same parts in other namespaces."""
    def change(name: str, data: bytes) -> bytes:
        if not name.endswith((".xml", ".rels")):
            return data
        return data.replace(MAIN, STRICT).replace(REL, STRICT_REL)
    return rewrite(good, target, {}, every=change)


def _conflicting_version(good: Path, target: Path) -> Path:
    return rewrite(good, target, {"docProps/custom.xml": lambda x: x.replace(b">2020.1<", b">2021.1<", 1)})


def _duplicate_name(good: Path, target: Path) -> Path:
    return rewrite(good, target, {"xl/workbook.xml": lambda x: x.replace(
        b"</definedNames>", b"<definedName name=\"employees\">'Om virksomheten'!$C$40</definedName></definedNames>")})


def _many_tiny_parts(good: Path, target: Path) -> Path:
    return rewrite(good, target, {}, extra={f"xl/media/tom{i}.bin": b"" for i in range(2500)})


def _odd_error_quoting(good: Path, target: Path) -> Path:
    _, part, ref = place_of(good, "employees")
    return rewrite(good, target, {part: lambda x: replace_cell(x, ref, f"<c r='{ref}' t = 'e'><v>#N/A</v></c>".encode())})


def _empty_row_at_the_bottom(good: Path, target: Path) -> Path:
    part = part_of(good, "Om virksomheten")
    return rewrite(good, target, {part: lambda x: append_cells(x, b'<row r="1048576" ht="30" customHeight="1"/>')})


def _missing_sheet_part(good: Path, target: Path) -> Path:
    part = part_of(good, "Om virksomheten")
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename != part:
                zout.writestr(info.filename, zin.read(info.filename))
    return target


#: name -> (how to make it, the problem codes it gives)
CASES: dict[str, tuple[Callable[[Path, Path], Path], set[str]]] = {
    "value-in-XFD1048576": (_far_value("XFD1048576"), {"stray-value"}),
    "value-in-AMJ1048576": (_far_value("AMJ1048576"), {"stray-value"}),
    "value-in-F1048576": (_far_value("F1048576"), {"stray-value"}),
    "strings-claim-4-billion": (_absurd_strings_count, set()),
    "table-to-the-bottom": (_table_to_the_bottom, set()),
    "table-of-240000-cells": (_table_of_many_cells, {"sheet-too-large"}),
    "60000-strays-in-a-block": (_many_strays(60_000, spread=False), {"stray-value", "stray-values-more"}),
    "60000-strays-everywhere": (_many_strays(60_000, spread=True), {"stray-value", "stray-values-more"}),
    "formula-tab": (_formula("<f\t>1+1</f>"), {"formula"}),
    "formula-spaces-before": (_formula(" " * 5000 + "<f>1+1</f>"), {"formula"}),
    "formula-shared": (_formula('<f t="shared" ref="B5:B6" si="0">1+1</f>'), {"formula"}),
    "formula-empty-element": (_formula("<f/>"), {"formula"}),
    "formula-prefixed": (_formula('<x:f xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">1+1</x:f>'),
                         {"formula"}),
    "cells-without-references": (_cells_without_references, {"formula"}),
    "sheet-with-prefixes": (_prefixed, set()),
    "strict-open-xml": (_strict, set()),
    "conflicting-form-version": (_conflicting_version, {"metadata-conflict"}),
    "duplicate-defined-name": (_duplicate_name, {"name-duplicate"}),
    "many-tiny-parts": (_many_tiny_parts, {"file-too-large"}),
    "error-value-odd-quoting": (_odd_error_quoting, {"error-value"}),
    "empty-row-at-the-bottom": (_empty_row_at_the_bottom, set()),
    "sheet-part-missing": (_missing_sheet_part, {"file-corrupt"}),
}


def build_corpus(good: Path, folder: Path) -> dict[str, tuple[Path, set[str]]]:
    """Every case as a file in ``folder``: name -> (path, expected codes)."""
    folder.mkdir(parents=True, exist_ok=True)
    return {name: (build(good, folder / f"{name}.xlsx"), codes) for name, (build, codes) in CASES.items()}
