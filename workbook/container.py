"""The .xlsx file as a container: what kind of file it is, whether it is safe to open, and the
parts a form reader needs that value readers do not give (defined names, tables, formulas).

Everything here is read with ``zipfile`` and ``defusedxml`` before any spreadsheet library
touches the file, so a hostile or broken file is refused with a reason instead of a traceback.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
NS_TERMS = "{http://purl.org/dc/terms/}"
NS_CUSTOM = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"

#: Refuse files that unpack to more than this (a filled form is well under 1 MB unpacked).
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
MAX_ENTRIES = 2000
#: How much of each XML part is looked at for a DOCTYPE (it must come before the first element).
DOCTYPE_SCAN_BYTES = 4096

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")
_REF = re.compile(r"^(?:(?:'((?:[^']|'')+)'|([^'!]+))!)?\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?$")
_FORMULA_CELL = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3}\d+)"[^>]*(?<!/)>(?:(?!</c>).){0,200}?<f[ >/]', re.S)
_ERROR_CELL = re.compile(
    rb'<c\b(?=[^>]*\bt="e")[^>]*?\br="([A-Z]{1,3}\d+)"[^>]*(?<!/)>(?:(?!</c>).){0,200}?<v>([^<]*)</v>', re.S)


class ContainerProblem(Exception):
    """Raised by :func:`open_container` with the code of the problem that stops reading the file."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Area:
    """A rectangle on one sheet, 0-based and inclusive."""

    sheet: str
    first_row: int
    first_col: int
    last_row: int
    last_col: int


@dataclass(frozen=True)
class Table:
    name: str
    area: Area
    headers: tuple[str, ...]


@dataclass
class Container:
    """The structure of one workbook file."""

    path: Path
    sheets: list[str]
    sheet_parts: dict[str, str]
    names: dict[str, Area]
    tables: dict[str, Table]
    properties: dict[str, str] = field(default_factory=dict)
    modified: str | None = None
    zip: zipfile.ZipFile | None = None

    def formula_cells(self, sheet: str) -> set[str]:
        """Cells (``B5``) of one sheet that hold a formula."""
        if self.zip is None or sheet not in self.sheet_parts:
            return set()
        data = self.zip.read(self.sheet_parts[sheet])
        if b"<f" not in data:
            return set()
        return {m.group(1).decode() for m in _FORMULA_CELL.finditer(data)}

    def error_cells(self, sheet: str) -> dict[str, str]:
        """Cells (``B5``) of one sheet that hold an error value such as ``#N/A``, with that value
        (value readers give them as empty)."""
        if self.zip is None or sheet not in self.sheet_parts:
            return {}
        data = self.zip.read(self.sheet_parts[sheet])
        if b't="e"' not in data:
            return {}
        return {m.group(1).decode(): m.group(2).decode("utf-8", "replace") for m in _ERROR_CELL.finditer(data)}

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()
            self.zip = None


def column_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index - 1


def cell_position(cell: str) -> tuple[int, int]:
    """``C12`` as a 0-based (row, column)."""
    letters = cell.rstrip("0123456789")
    return int(cell[len(letters):]) - 1, column_index(letters)


def parse_ref(ref: str, default_sheet: str | None = None) -> Area | None:
    """``'Ark 1'!$B$5:$B$9`` (or ``B5`` with a default sheet) as an :class:`Area`."""
    match = _REF.match(ref.strip().lstrip("="))
    if not match:
        return None
    quoted, plain, c1, r1, c2, r2 = match.groups()
    sheet = quoted.replace("''", "'") if quoted else plain or default_sheet
    if sheet is None:
        return None
    first_row, first_col = int(r1) - 1, column_index(c1)
    last_row = int(r2) - 1 if r2 else first_row
    last_col = column_index(c2) if c2 else first_col
    return Area(sheet, first_row, first_col, last_row, last_col)


def sniff(path: Path) -> None:
    """Raise :class:`ContainerProblem` unless the file starts like a zip package."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
            if head[:8] == _OLE_MAGIC:
                body = head + handle.read(4 * 1024 * 1024)
                raise ContainerProblem("file-encrypted" if _ENCRYPTED_MARK in body else "file-old-xls")
    except OSError as error:
        raise ContainerProblem("file-unreadable", str(error)) from None
    if not head:
        raise ContainerProblem("file-empty")
    if head.startswith(b"%PDF"):
        raise ContainerProblem("file-not-workbook", "PDF")
    if not head.startswith(b"PK\x03\x04"):
        raise ContainerProblem("file-not-workbook")


def _xml(archive: zipfile.ZipFile, name: str):  # noqa: ANN202 - an ElementTree element
    try:
        return fromstring(archive.read(name))
    except DefusedXmlException:
        raise ContainerProblem("file-xml-forbidden", name) from None
    except KeyError:
        raise ContainerProblem("file-not-workbook", f"{name} missing") from None
    except Exception as error:  # ParseError, zlib errors, CRC errors
        raise ContainerProblem("file-corrupt", f"{name}: {error}") from None


def _rels(archive: zipfile.ZipFile, part: str) -> dict[str, str]:
    folder, name = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", name + ".rels")
    if rels_name not in archive.NameToInfo:
        return {}
    root = _xml(archive, rels_name)
    targets = {}
    for rel in root.iter(f"{NS_PKG_REL}Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        full = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        targets[rel.get("Id", "")] = full
    return targets


def _refuse_doctypes(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    """No office suite writes a DOCTYPE: one in any XML part (where entity bombs live) is refused,
    also in the parts that the value reader, not defusedxml, parses (shared strings, sheets)."""
    for info in infos:
        if not info.filename.endswith((".xml", ".rels", ".vml")) or info.is_dir():
            continue
        try:
            with archive.open(info) as handle:
                head = handle.read(DOCTYPE_SCAN_BYTES)
        except Exception as error:  # zlib errors, CRC errors, unsupported compression
            raise ContainerProblem("file-corrupt", f"{info.filename}: {error}") from None
        if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
            raise ContainerProblem("file-xml-forbidden", info.filename)


def open_container(path: Path) -> Container:
    """Check and open a workbook file; raise :class:`ContainerProblem` if it cannot be read safely."""
    path = Path(path)
    sniff(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ContainerProblem("file-corrupt", str(error)) from None
    try:
        return _read_structure(path, archive)
    except BaseException:
        archive.close()
        raise


def _read_structure(path: Path, archive: zipfile.ZipFile) -> Container:
    infos = archive.infolist()
    unpacked = sum(info.file_size for info in infos)
    if len(infos) > MAX_ENTRIES or unpacked > MAX_UNPACKED_BYTES:
        raise ContainerProblem("file-too-large", f"{unpacked // (1024 * 1024)} MB")
    if "xl/workbook.xml" not in archive.NameToInfo:
        raise ContainerProblem("file-not-workbook", "no xl/workbook.xml")
    _refuse_doctypes(archive, infos)
    book = _xml(archive, "xl/workbook.xml")
    book_rels = _rels(archive, "xl/workbook.xml")
    sheets: list[str] = []
    sheet_parts: dict[str, str] = {}
    for sheet in book.iter(f"{NS_MAIN}sheet"):
        name = sheet.get("name", "")
        sheets.append(name)
        part = book_rels.get(sheet.get(f"{NS_REL}id", ""))
        if part:
            sheet_parts[name] = part
    names: dict[str, Area] = {}
    for defined in book.iter(f"{NS_MAIN}definedName"):
        if defined.get("localSheetId") is not None:
            continue
        area = parse_ref(defined.text or "")
        if area is not None:
            names[defined.get("name", "")] = area
    tables: dict[str, Table] = {}
    for sheet, part in sheet_parts.items():
        for target in _rels(archive, part).values():
            if not target.startswith("xl/tables/") or target not in archive.NameToInfo:
                continue
            table = _xml(archive, target)
            area = parse_ref(table.get("ref", ""), sheet)
            if area is None:
                continue
            headers = tuple(col.get("name", "") for col in table.iter(f"{NS_MAIN}tableColumn"))
            name = table.get("displayName") or table.get("name") or ""
            tables[name] = Table(name, area, headers)
    properties: dict[str, str] = {}
    if "docProps/custom.xml" in archive.NameToInfo:
        for prop in _xml(archive, "docProps/custom.xml").iter(f"{NS_CUSTOM}property"):
            values = [child.text or "" for child in prop]
            properties[prop.get("name", "")] = values[0] if values else ""
    modified = None
    if "docProps/core.xml" in archive.NameToInfo:
        for element in _xml(archive, "docProps/core.xml").iter(f"{NS_TERMS}modified"):
            modified = (element.text or "").strip() or None
    return Container(path, sheets, sheet_parts, names, tables, properties, modified, archive)
