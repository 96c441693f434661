"""The .xlsx file as a container: whether it is a regular file, what kind of file it is, whether
it is safe to open, its parts (each inflated at most once) and what a form reader needs that value
readers do not give (defined names, tables, document properties).

Everything here is read with ``zipfile`` and the C XML parser (``defusedxml`` where a part is not
plain UTF-8; a DOCTYPE anywhere is refused) before any spreadsheet library touches the file, so a
hostile or broken file is refused with a reason instead of a traceback. The cell values are
:mod:`workbook.cells`'s.
"""

from __future__ import annotations

import functools
import os
import posixpath
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from xml.etree.ElementTree import fromstring as _c_fromstring  # the C parser: 5x faster than defusedxml's

from workbook.cellref import Area, area_text, cell_position, column_index, parse_ref  # noqa: F401 (re-exported)

NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
#: Excel's "Strict Open XML" workbook: the same parts in other namespaces
NS_MAIN_STRICT = "{http://purl.oclc.org/ooxml/spreadsheetml/main}"
NS_REL_STRICT = "{http://purl.oclc.org/ooxml/officeDocument/relationships}"
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


class ContainerProblem(Exception):
    """Raised by :func:`open_container` with the code of the problem that stops reading the file."""

    def __init__(self, code: str, detail: str = "", **params: Any) -> None:
        super().__init__(code)
        self.code = code
        #: a word for the catalogue (``problem.detail.<detail>``) or a technical note
        self.detail = detail
        self.params = params


@dataclass(frozen=True)
class Table:
    name: str
    area: Area
    headers: tuple[str, ...]


@dataclass
class Container:
    """The structure of one workbook file, and its parts, each inflated at most once."""

    path: Path
    sheets: list[str]
    sheet_parts: dict[str, str]
    names: dict[str, Area]
    tables: dict[str, Table]
    properties: dict[str, str] = field(default_factory=dict)
    modified: str | None = None
    zip: zipfile.ZipFile | None = None
    #: defined names given more than once, with every reference they were given
    duplicate_names: dict[str, list[str]] = field(default_factory=dict)
    #: Strict Open XML (other namespaces; python-calamine does not read it)
    strict: bool = False
    date1904: bool = False
    _parts: dict[str, bytes] = field(default_factory=dict, repr=False)
    _heads: dict[str, bytes] = field(default_factory=dict, repr=False)
    _related: dict[str, str] = field(default_factory=dict, repr=False)
    _handle: Any = field(default=None, repr=False)

    def part(self, name: str) -> bytes | None:
        """A part's bytes (None if there is no such part); a DOCTYPE in it is refused."""
        if name in self._parts:
            return self._parts[name]
        if self.zip is None or name not in self.zip.NameToInfo:
            return None
        data = _inflate(self.zip, name)
        self._parts[name] = data
        return data

    def sheet_xml(self, sheet: str) -> bytes | None:
        part = self.sheet_parts.get(sheet)
        return self.part(part) if part else None

    def head(self, name: str) -> bytes:
        """The first bytes of a part (all of it if it was read whole)."""
        return self._parts.get(name) or self._heads.get(name, b"")

    def related(self, kind: str) -> str | None:
        """The workbook's part of a relationship kind (``sharedStrings``, ``styles``), wherever it lies."""
        return self._related.get(kind)

    def close(self) -> None:
        self._parts.clear()
        self._heads.clear()
        if self.zip is not None:
            self.zip.close()
            self.zip = None
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def open_regular(path: Path):  # noqa: ANN202 - a binary file object
    """Open a file for reading only if it is a regular file: a FIFO, a device or a socket is
    refused at once, never read (opened without blocking, then looked at through its handle)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise ContainerProblem("file-unreadable", "dangling-link" if os.path.islink(path) else "missing") from None
    except IsADirectoryError:
        raise ContainerProblem("file-not-regular", "folder") from None
    except PermissionError:
        raise ContainerProblem("file-unreadable", "permission") from None
    except OSError:
        raise ContainerProblem("file-unreadable", "other") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = ("folder" if stat.S_ISDIR(mode) else "fifo" if stat.S_ISFIFO(mode) else "socket"
                if stat.S_ISSOCK(mode) else "device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "other")
        raise ContainerProblem("file-not-regular", kind)
    if getattr(os, "O_NONBLOCK", 0):  # POSIX: reads of the regular file block as usual again
        os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


_open_regular = open_regular


def sniff(handle) -> None:  # noqa: ANN001 - a binary file object
    """Raise :class:`ContainerProblem` unless the file starts like a zip package."""
    try:
        handle.seek(0)
        head = handle.read(8)
        if head[:8] == _OLE_MAGIC:
            body = head + handle.read(4 * 1024 * 1024)
            raise ContainerProblem("file-encrypted" if _ENCRYPTED_MARK in body else "file-old-xls")
    except OSError:
        raise ContainerProblem("file-unreadable", "other") from None
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


def _inflate(archive: zipfile.ZipFile, name: str) -> bytes:
    """A whole part, inflated once and CRC-checked; a DOCTYPE or ENTITY in an XML part is refused."""
    try:
        data = read_member(archive, archive.getinfo(name))
    except KeyError:
        raise ContainerProblem("file-not-workbook", f"{name} missing") from None
    except Exception as error:  # zlib errors, CRC errors, unsupported compression
        raise ContainerProblem("file-corrupt", f"{name}: {error}") from None
    if (b"<!DOCTYPE" in data or b"<!ENTITY" in data) and name.endswith((".xml", ".rels", ".vml")):
        raise ContainerProblem("file-xml-forbidden", name)
    return data


def _parse(data: bytes, name: str):  # noqa: ANN202 - an ElementTree element
    """A part's XML tree. No DOCTYPE reaches here (refused on inflating), so nothing can expand or
    be fetched: UTF-8 parts go to the C parser (5x faster), others through defusedxml."""
    try:
        return _c_fromstring(data) if _no_dtd_utf8(data) else fromstring(data)
    except DefusedXmlException:
        raise ContainerProblem("file-xml-forbidden", name) from None
    except Exception as error:  # ParseError
        raise ContainerProblem("file-corrupt", f"{name}: {error}") from None


@functools.lru_cache(maxsize=256)  # a batch of one form's workbooks shares these parts byte for byte
def _relationships(data: bytes, name: str, folder: str) -> tuple[tuple[str, str, str], ...]:
    """(id, type, target part) of each internal relationship in a .rels part."""
    found = []
    for rel in _parse(data, name).iter(f"{NS_PKG_REL}Relationship"):
        if rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target", "")
        full = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        found.append((rel.get("Id", ""), rel.get("Type", ""), full))
    return tuple(found)


def _rels(container: Container, part: str) -> tuple[tuple[str, str, str], ...]:
    folder, name = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", name + ".rels")
    data = container.part(rels_name)
    return _relationships(data, rels_name, folder) if data is not None else ()


@dataclass(frozen=True)
class _Book:
    strict: bool
    date1904: bool
    sheets: tuple[tuple[str, str], ...]  # (name, relationship id)
    names: tuple[tuple[str, str], ...]  # (name, reference) of workbook-wide names, in order


@functools.lru_cache(maxsize=64)
def _book(data: bytes) -> _Book:
    root = _parse(data, "xl/workbook.xml")
    strict = root.tag.startswith(NS_MAIN_STRICT)
    main, rel = (NS_MAIN_STRICT, NS_REL_STRICT) if strict else (NS_MAIN, NS_REL)
    sheets = tuple((sheet.get("name", ""), sheet.get(f"{rel}id", "")) for sheet in root.iter(f"{main}sheet"))
    names = tuple((defined.get("name", ""), defined.text or "") for defined in root.iter(f"{main}definedName")
                  if defined.get("localSheetId") is None)
    pr = next(root.iter(f"{main}workbookPr"), None)
    date1904 = pr is not None and pr.get("date1904", "").lower() in ("1", "true")
    return _Book(strict, date1904, sheets, names)


@functools.lru_cache(maxsize=256)
def _table(data: bytes, name: str) -> tuple[str, str, tuple[str, ...]]:
    """(name, reference, column headers) of a table part."""
    root = _parse(data, name)
    main = NS_MAIN_STRICT if root.tag.startswith(NS_MAIN_STRICT) else NS_MAIN
    headers = tuple(col.get("name", "") for col in root.iter(f"{main}tableColumn"))
    return root.get("displayName") or root.get("name") or "", root.get("ref", ""), headers


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
    if limit is None and info.filename.endswith(_SHARED_PARTS) and len(blob) <= 16384:
        return _inflate_shared(blob, info.compress_type, info.file_size, info.CRC, info.filename)
    return _inflate_blob(blob, info.compress_type, info.file_size, info.CRC, info.filename, limit)


def _inflate_blob(blob: bytes, method: int, size: int, crc: int, name: str, limit: int | None = None) -> bytes:
    wanted = size if limit is None else min(limit, size)
    data = zlib.decompressobj(-15).decompress(blob, wanted + 1) if method == zipfile.ZIP_DEFLATED else blob[:wanted + 1]
    if limit is None and (len(data) != size or zlib.crc32(data) != crc):
        raise zipfile.BadZipFile(f"bad CRC or size: {name}")
    return data[:wanted]


#: Parts that every workbook of one form version has alike, byte for byte, packed alike by the
#: same writer: inflated once per batch (the same packed bytes always inflate to the same part).
_SHARED_PARTS = ("xl/workbook.xml", ".rels", ".xml.rels") + tuple(f"table{i}.xml" for i in range(1, 10))


@functools.lru_cache(maxsize=128)
def _inflate_shared(blob: bytes, method: int, size: int, crc: int, name: str) -> bytes:
    return _inflate_blob(blob, method, size, crc, name)


#: Parts that only openpyxl (which uses defusedxml, a dependency) parses, if anything does.
_PARSED_WITH_DEFUSEDXML = ("xl/theme/", "docProps/app.xml", "xl/drawings/", "xl/printerSettings/", "customXml/",
                           "xl/calcChain.xml", "xl/externalLinks/", "xl/comments", "xl/persons/", "xl/threadedComments/")


def _refuse_doctypes(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], read: set[str]) -> dict[str, bytes]:
    """No office suite writes a DOCTYPE: one in any XML part (where entity bombs live) is refused.
    The parts read whole are checked as they are inflated; of the others (read by calamine or
    openpyxl, if at all) the beginning is enough, since a DOCTYPE must come before the first element.
    Returns the beginnings read."""
    heads = {}
    for info in infos:
        if info.is_dir() or info.filename in read or not info.filename.endswith((".xml", ".rels", ".vml")):
            continue
        if info.filename.startswith(_PARSED_WITH_DEFUSEDXML):  # openpyxl parses these through defusedxml
            continue
        try:
            head = read_member(archive, info, DOCTYPE_SCAN_BYTES)
        except Exception as error:  # zlib errors, CRC errors, unsupported compression
            raise ContainerProblem("file-corrupt", f"{info.filename}: {error}") from None
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: look at the characters
            head = head.decode("utf-16", "replace").encode("utf-8", "replace")
        if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
            raise ContainerProblem("file-xml-forbidden", info.filename)
        heads[info.filename] = head
    return heads


def open_container(path: Path) -> Container:
    """Check and open a workbook file; raise :class:`ContainerProblem` if it cannot be read safely."""
    path = Path(path)
    handle = _open_regular(path)
    try:
        sniff(handle)
        try:
            archive = zipfile.ZipFile(handle)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            raise ContainerProblem("file-corrupt") from None
    except BaseException:
        handle.close()
        raise
    try:
        container = _read_structure(path, archive)
        container._handle = handle
        return container
    except BaseException:
        archive.close()
        handle.close()
        raise


def _read_structure(path: Path, archive: zipfile.ZipFile) -> Container:
    infos = archive.infolist()
    unpacked = sum(info.file_size for info in infos)
    if len(infos) > MAX_ENTRIES:
        raise ContainerProblem("file-too-large", "parts", count=len(infos), limit=MAX_ENTRIES)
    if unpacked > MAX_UNPACKED_BYTES:
        raise ContainerProblem("file-too-large", "megabytes", megabytes=-(-unpacked // (1024 * 1024)),
                               limit=MAX_UNPACKED_BYTES // (1024 * 1024))
    if "xl/workbook.xml" not in archive.NameToInfo:
        raise ContainerProblem("file-not-workbook", "no xl/workbook.xml")
    container = Container(path, [], {}, {}, {}, zip=archive)
    book = _book(container.part("xl/workbook.xml"))
    container.strict, container.date1904 = book.strict, book.date1904
    book_rels = {rid: target for rid, _, target in _rels(container, "xl/workbook.xml")}
    container._related = {kind.rsplit("/", 1)[-1]: target for _, kind, target in _rels(container, "xl/workbook.xml")}
    for name, rid in book.sheets:
        container.sheets.append(name)
        part = book_rels.get(rid)
        if part:
            container.sheet_parts[name] = part
    for name, ref in book.names:
        area = parse_ref(ref)
        if area is None:
            continue
        if name in container.names:
            container.duplicate_names.setdefault(name, [_ref_text(container.names[name])]).append(ref.lstrip("="))
            continue
        container.names[name] = area
    for sheet, part in container.sheet_parts.items():
        if part not in archive.NameToInfo:
            continue
        for _, _, target in _rels(container, part):
            if not target.startswith("xl/tables/") or target not in archive.NameToInfo:
                continue
            name, ref, headers = _table(container.part(target), target)
            area = parse_ref(ref, sheet)
            if area is not None:
                container.tables[name] = Table(name, area, headers)
    custom = container.part("docProps/custom.xml")
    if custom is not None:
        for prop in _parse(custom, "docProps/custom.xml").iter():
            if prop.tag.endswith("}property"):
                values = [child.text or "" for child in prop]
                container.properties[prop.get("name", "")] = values[0] if values else ""
    core = container.part("docProps/core.xml")
    if core is not None:
        for element in _parse(core, "docProps/core.xml").iter(f"{NS_TERMS}modified"):
            container.modified = (element.text or "").strip() or None
    for part in container.sheet_parts.values():  # every sheet is read: inflated once, here
        container.part(part)
    container._heads = _refuse_doctypes(archive, infos, set(container._parts))
    return container


_ref_text = area_text
