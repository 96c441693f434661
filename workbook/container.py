"""The .xlsx file as a container: what kind of file it is, whether it is safe to open, and the
parts a form reader needs that value readers do not give (defined names, tables, formulas).

Everything here is read with ``zipfile`` and ``defusedxml`` before any spreadsheet library
touches the file, so a hostile or broken file is refused with a reason instead of a traceback.
"""

from __future__ import annotations

import functools
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from xml.etree.ElementTree import fromstring as _c_fromstring  # the C parser: 5x faster than defusedxml's

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
    _parts: dict[str, bytes] = field(default_factory=dict, repr=False)

    def _sheet_xml(self, sheet: str) -> bytes | None:
        """The sheet's XML, inflated once for the formula and error scans."""
        if self.zip is None or sheet not in self.sheet_parts:
            return None
        part = self.sheet_parts[sheet]
        if part not in self._parts:
            self._parts[part] = read_member(self.zip, self.zip.getinfo(part))
        return self._parts[part]

    def formula_cells(self, sheet: str) -> set[str]:
        """Cells (``B5``) of one sheet that hold a formula."""
        data = self._sheet_xml(sheet)
        if data is None:
            return set()
        # `<f>`, `<f t="shared" ..>` or `<f/>`: not the `<formula1>` that every data validation has
        if b"<f>" not in data and b"<f " not in data and b"<f/" not in data:
            return set()
        return {m.group(1).decode() for m in _FORMULA_CELL.finditer(data)}

    def error_cells(self, sheet: str) -> dict[str, str]:
        """Cells (``B5``) of one sheet that hold an error value such as ``#N/A``, with that value
        (value readers give them as empty)."""
        data = self._sheet_xml(sheet)
        if data is None:
            return {}
        if b't="e"' not in data:
            return {}
        return {m.group(1).decode(): m.group(2).decode("utf-8", "replace") for m in _ERROR_CELL.finditer(data)}

    def close(self) -> None:
        self._parts.clear()
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


@functools.lru_cache(maxsize=4096)  # the same few dozen references in every workbook of a form
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


def _no_dtd_utf8(data: bytes) -> bool:
    """Whether a part may go to the C parser: no DOCTYPE or ENTITY anywhere in it (so nothing to
    expand or fetch, all that defusedxml guards against) and UTF-8, so those bytes would show."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        return False
    head = data[:200]
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if not head.startswith(b"<"):
        return False
    if head.startswith(b"<?xml"):
        declaration = head.split(b"?>", 1)[0].lower()
        return b"encoding" not in declaration or b"utf-8" in declaration
    return True


def _xml(archive: zipfile.ZipFile, name: str):  # noqa: ANN202 - an ElementTree element
    try:
        data = read_member(archive, archive.getinfo(name))
        return _c_fromstring(data) if _no_dtd_utf8(data) else fromstring(data)
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


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int | None = None) -> bytes:
    """One part, inflated straight from its bytes (zipfile's per-member objects cost 30-50 us each).

    With ``limit``: only the first ``limit`` bytes (no CRC check, as zipfile's partial read). Parts
    that are neither stored nor deflated, or encrypted, go through zipfile."""
    fp = archive.fp
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 0x1 or fp is None:
        if limit is None:
            return archive.read(info)
        with archive.open(info) as handle:
            return handle.read(limit)
    fp.seek(info.header_offset)
    header = fp.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local header: {info.filename}")
    fp.seek(int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little"), 1)
    blob = fp.read(info.compress_size)
    wanted = info.file_size if limit is None else min(limit, info.file_size)
    data = zlib.decompressobj(-15).decompress(blob, wanted + 1) if info.compress_type == zipfile.ZIP_DEFLATED \
        else blob[:wanted + 1]
    if limit is None and (len(data) != info.file_size or zlib.crc32(data) != info.CRC):
        raise zipfile.BadZipFile(f"bad CRC or size: {info.filename}")
    return data[:wanted]


def _refuse_doctypes(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    """No office suite writes a DOCTYPE: one in any XML part (where entity bombs live) is refused,
    also in the parts that the value reader, not defusedxml, parses (shared strings, sheets)."""
    for info in infos:
        if not info.filename.endswith((".xml", ".rels", ".vml")) or info.is_dir():
            continue
        try:
            head = read_member(archive, info, DOCTYPE_SCAN_BYTES)
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
