"""Shared fixtures: a complete valid document, workbooks built from it, and ways to change a
workbook the way an agency would (typing with openpyxl, saving or inserting rows in LibreOffice).

Fixtures that return a helper (call them in the test):

- ``filled_document()`` a fresh, complete, valid document (the Oslo sample, JSON format);
- ``make_workbook(folder, document=None, name="form.xlsx")`` the generated workbook of a document;
- ``edit(path, {(sheet, cell): value}, out=None)`` types values into cells with openpyxl;
- ``cell_of(path, key)`` / ``table_cell(path, key, row, column)`` the (sheet, cell) of an input
  cell, found through the workbook's own defined names and tables (tests never hard-code cells);
- ``libreoffice_roundtrip(path_or_paths, tmpdir)`` the copy (or copies) LibreOffice saves;
- ``libreoffice_edit(path, out, steps, tmpdir)`` inserts rows / types values in LibreOffice.

``broken_files`` is every broken or hostile file, built once: name -> (path, the one problem code
it must give). LibreOffice helpers skip the test, saying why, where soffice (or its Python bridge)
is missing.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from xlsxwriter.utility import xl_rowcol_to_cell

from workbook.container import open_container
from workbook.form import Form, load_form
from workbook.generate import generate

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "json" / "oslo-kommune-2020.json"
LIBREOFFICE_TIMEOUT = 120
UNO_PROGRAM_DIRS = ("/usr/lib/libreoffice/program", "/opt/libreoffice/program",
                    "/usr/lib64/libreoffice/program", "/Applications/LibreOffice.app/Contents/Resources")

Cells = dict[tuple[str, str], Any]


# --- documents and workbooks -------------------------------------------------------------------
def _filled_document() -> dict[str, Any]:
    with SAMPLE.open(encoding="utf-8") as handle:
        return json.load(handle)


def _make_workbook(folder: Path, document: dict[str, Any] | None = None, name: str = "form.xlsx") -> Path:
    return generate(Path(folder) / name, prefill=copy.deepcopy(document) if document is not None
                    else _filled_document())


EXCEL_CELL_LIMIT = 32767


def _edit(path: Path, cells: Cells, out: Path | None = None) -> Path:
    """Type values into cells the way a person would, and save (to ``out`` or in place).

    A text longer than a cell holds in Excel (32,767 characters; openpyxl cuts it there) is put
    into the file's XML directly, as only a hand-made file can hold it.
    """
    book = openpyxl.load_workbook(path)
    too_long: dict[str, str] = {}
    for (sheet, cell), value in cells.items():
        if isinstance(value, str) and len(value) > EXCEL_CELL_LIMIT:
            token = f"LONGTEXT{len(too_long)}X{uuid.uuid4().hex}"
            too_long[token] = value
            value = token
        book[sheet][cell] = value
    target = Path(out) if out else Path(path)
    book.save(target)
    if too_long:
        _replace_in_parts(target, too_long)
    return target


def _replace_in_parts(path: Path, replacements: dict[str, str]) -> None:
    import zipfile
    from xml.sax.saxutils import escape

    data = path.read_bytes()
    with zipfile.ZipFile(path) as zin:
        parts = [(info, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, content in parts:
            for token, value in replacements.items():
                content = content.replace(token.encode(), escape(value).encode("utf-8"))
            zout.writestr(info, content)
    assert path.read_bytes() != data


@functools.lru_cache(maxsize=64)
def _structure(path: str, stamp: tuple[int, int]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The defined names and tables of a workbook file (as it is at ``stamp``: mtime and size)."""
    container = open_container(Path(path))
    try:
        return dict(container.names), dict(container.tables)
    finally:
        container.close()


def _names_and_tables(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    info = Path(path).stat()
    return _structure(str(Path(path).resolve()), (info.st_mtime_ns, info.st_size))


def _cell_of(path: Path, key: str, offset: int = 0) -> tuple[str, str]:
    """The input cell of a field (``offset`` rows down: the options of a ``choices`` field)."""
    area = _names_and_tables(path)[0][key]
    return area.sheet, xl_rowcol_to_cell(area.first_row + offset, area.first_col)


def _table_cell(path: Path, key: str, row: int, column: str, form: Form | None = None) -> tuple[str, str]:
    """The cell of data row ``row`` (1-based; 0 is the header row) and column key ``column`` of a table."""
    form = form or load_form()
    table = _names_and_tables(path)[1][key]
    label = form.field(key).column(column).label
    offset = [h.rstrip(" *") for h in table.headers].index(label)
    return table.area.sheet, xl_rowcol_to_cell(table.area.first_row + row, table.area.first_col + offset)


@pytest.fixture(scope="session")
def form() -> Form:
    return load_form()


@pytest.fixture(scope="session")
def filled_document() -> Callable[[], dict[str, Any]]:
    return _filled_document


@pytest.fixture(scope="session")
def make_workbook() -> Callable[..., Path]:
    return _make_workbook


@pytest.fixture(scope="session")
def edit() -> Callable[..., Path]:
    return _edit


@pytest.fixture(scope="session")
def cell_of() -> Callable[..., tuple[str, str]]:
    return _cell_of


@pytest.fixture(scope="session")
def table_cell() -> Callable[..., tuple[str, str]]:
    return _table_cell


# --- LibreOffice ---------------------------------------------------------------------------------
def _profile(tmpdir: Path) -> str:
    """A LibreOffice profile of its own for each run, so runs never share or lock one."""
    folder = Path(tmpdir) / f"lo-profile-{uuid.uuid4().hex}"
    folder.mkdir(parents=True)
    return folder.resolve().as_uri()


def _need_soffice() -> str:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: the LibreOffice round trip cannot run")
    return soffice


def _libreoffice_roundtrip(paths: Path | Iterable[Path], tmpdir: Path, fmt: str = "xlsx") -> Any:
    """Open each file in LibreOffice and save it again as ``fmt``: one process for all of them.

    Returns the copy's path (or a list of them, for a list of files). LibreOffice exits 0 even when
    it could not load a file, so each copy is checked to exist.
    """
    soffice = _need_soffice()
    single = isinstance(paths, (str, Path))
    sources = [Path(paths)] if single else [Path(p) for p in paths]  # type: ignore[arg-type]
    outdir = Path(tmpdir) / f"lo-{fmt}-{uuid.uuid4().hex[:8]}"
    outdir.mkdir(parents=True)
    run = subprocess.run([soffice, f"-env:UserInstallation={_profile(tmpdir)}", "--headless", "--norestore",
                          "--convert-to", fmt, "--outdir", str(outdir), *map(str, sources)],
                         capture_output=True, text=True, timeout=LIBREOFFICE_TIMEOUT)
    copies = [outdir / (source.stem + "." + fmt) for source in sources]
    missing = [c.name for c in copies if not c.is_file()]
    assert not missing, f"LibreOffice did not write {missing}: {run.stdout} {run.stderr}"
    return copies[0] if single else copies


@pytest.fixture(scope="session")
def libreoffice_roundtrip() -> Callable[..., Any]:
    return _libreoffice_roundtrip


# Inserting rows is what LibreOffice does to the names and tables that matters here; openpyxl's
# insert_rows moves neither, so the edit runs in LibreOffice itself through its Python bridge.
_UNO_SCRIPT = r'''
import json, os, subprocess, sys, time, uuid
import uno
from com.sun.star.beans import PropertyValue

def prop(name, value):
    p = PropertyValue(); p.Name = name; p.Value = value; return p

src, dst, profile, steps = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
pipe = "wbtest" + uuid.uuid4().hex
office = subprocess.Popen([sys.argv[5], "-env:UserInstallation=" + profile, "--headless", "--invisible",
                           "--norestore", "--accept=pipe,name=%s;urp;" % pipe],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for attempt in range(600):
        try:
            ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
            break
        except Exception:
            time.sleep(0.1)
    else:
        sys.exit("LibreOffice did not answer")
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(os.path.abspath(src)), "_blank", 0,
                                       (prop("Hidden", True),))
    for step in steps:
        sheet = doc.Sheets.getByName(step["sheet"])
        if step["op"] == "insert_rows":
            sheet.Rows.insertByIndex(step["row"], step["count"])
        elif step["op"] == "delete_rows":
            sheet.Rows.removeByIndex(step["row"], step["count"])
        elif step["op"] == "set":
            cell = sheet.getCellRangeByName(step["cell"])
            if isinstance(step["value"], str):
                cell.setString(step["value"])
            else:
                cell.setValue(step["value"])
    doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(dst)), (prop("FilterName", "Calc Office Open XML"),))
    doc.close(True)
    try:
        desktop.terminate()
    except Exception:
        pass
finally:
    try:
        office.wait(timeout=30)
    except subprocess.TimeoutExpired:
        office.kill()
'''


def _uno_python() -> tuple[str, dict[str, str]] | None:
    """A Python that can import LibreOffice's ``uno`` module, and the environment it needs."""
    for python in ("/usr/bin/python3", sys.executable):
        if not python or not Path(python).exists():
            continue
        for folder in ("",) + UNO_PROGRAM_DIRS:
            env = dict(os.environ)
            if folder:
                env["PYTHONPATH"] = folder + os.pathsep + env.get("PYTHONPATH", "")
            probe = subprocess.run([python, "-c", "import uno"], env=env, capture_output=True)
            if probe.returncode == 0:
                return python, env
    return None


def _libreoffice_edit(path: Path, out: Path, steps: list[dict[str, Any]], tmpdir: Path) -> Path:
    """Apply ``steps`` in LibreOffice and save as xlsx. A step is ``{"op": "insert_rows" or
    "delete_rows", "sheet", "row" (0-based index of the first row), "count"}`` or ``{"op": "set",
    "sheet", "cell", "value"}``."""
    soffice = _need_soffice()
    found = _uno_python()
    if found is None:
        pytest.skip("LibreOffice's Python bridge (uno) is not importable: rows cannot be inserted in LibreOffice")
    python, env = found
    script = Path(tmpdir) / "lo_edit.py"
    script.write_text(_UNO_SCRIPT, encoding="utf-8")
    run = subprocess.run([python, str(script), str(path), str(out), _profile(tmpdir), json.dumps(steps), soffice],
                         env=env, capture_output=True, text=True, timeout=LIBREOFFICE_TIMEOUT)
    assert run.returncode == 0 and Path(out).is_file(), f"LibreOffice edit failed: {run.stdout} {run.stderr}"
    return Path(out)


@pytest.fixture(scope="session")
def libreoffice_edit() -> Callable[..., Path]:
    return _libreoffice_edit


# --- broken and hostile files --------------------------------------------------------------------
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
BOMB_BYTES = 80 * 1024 * 1024  # more than container.MAX_UNPACKED_BYTES, a few hundred KB packed
BILLION_LAUGHS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "&lol;") * 10}">' for i in range(1, 10))
    + "]>\n"
)


def rewrite_part(source: Path, target: Path, part: str, change: Callable[[bytes], bytes]) -> Path:
    """Copy a workbook's zip package with one part changed."""
    import zipfile

    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            zout.writestr(info, change(data) if info.filename == part else data)
    return target


def with_entities(data: bytes) -> bytes:
    """An XML part with a billion-laughs DOCTYPE in front and the entity used in its text."""
    import re

    body = re.sub(rb"^\s*<\?xml[^>]*\?>\s*", b"", data)
    body = body.replace(b"<t>", b"<t>&lol9;", 1)
    return BILLION_LAUGHS.encode() + body


def _ole_file(*streams: str) -> bytes:
    """An OLE2 compound file as far as a first look goes: the magic, a header, directory names."""
    header = OLE_MAGIC + bytes(16) + b"\x3e\x00\x03\x00\xfe\xff\x09\x00" + bytes(512 - 32)
    directory = b"".join(name.encode("utf-16-le").ljust(64, b"\0") + bytes(64) for name in ("Root Entry", *streams))
    return header + directory + bytes(4096)


def _sheet_part(path: Path, sheet: str) -> str:
    from hostile import part_of

    return part_of(path, sheet)


def _zip_bomb(good: Path, target: Path) -> Path:
    import zipfile

    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info.filename))
        with zout.open("xl/media/image1.png", "w") as handle:
            chunk = bytes(1024 * 1024)
            for _ in range(BOMB_BYTES // len(chunk)):
                handle.write(chunk)
    return target


def _lying_sizes(good: Path, target: Path) -> Path:
    """A zip bomb whose headers lie: a sheet that says it is small but inflates past the bound."""
    import struct
    import zipfile

    part = _sheet_part(good, "Om virksomheten")
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == part:  # white space after the root element is still well-formed XML
                data += b" " * BOMB_BYTES
            zout.writestr(info.filename, data)
    raw = bytearray(target.read_bytes())
    name, start = part.encode(), 0
    while (start := raw.find(name, start + 1)) > 0:
        if raw[start - 30: start - 26] == b"PK\x03\x04":  # local header: uncompressed size at +22
            struct.pack_into("<I", raw, start - 30 + 22, 4096)
        elif raw[start - 46: start - 42] == b"PK\x01\x02":  # central directory: at +24
            struct.pack_into("<I", raw, start - 46 + 24, 4096)
    target.write_bytes(bytes(raw))
    return target


def _not_our_form(target: Path) -> Path:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(target))
    sheet = book.add_worksheet("Ark1")
    sheet.write_row(0, 0, ["Navn", "Antall ansatte"])
    sheet.write_row(1, 0, ["Oslo kommune", 51619])
    book.close()
    return target


def _build_broken(folder: Path) -> dict[str, tuple[Path, str]]:
    """One of each broken or hostile file, each with the one problem code it must give."""
    import zipfile

    folder.mkdir(parents=True, exist_ok=True)
    good = _make_workbook(folder / "source", name="good.xlsx")
    files: dict[str, tuple[Path, str]] = {}

    def put(name: str, data: bytes, code: str) -> None:
        (folder / name).write_bytes(data)
        files[name.rsplit(".", 1)[0]] = (folder / name, code)

    good_bytes = good.read_bytes()
    put("empty.xlsx", b"", "file-empty")
    put("pdf-named-xlsx.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj\ntrailer <<>>\n%%EOF\n",
        "file-not-workbook")
    put("csv-named-xlsx.xlsx", "Navn;Antall ansatte\nOslo kommune;51 619\n".encode("utf-8"), "file-not-workbook")
    put("truncated.xlsx", good_bytes[: len(good_bytes) // 2], "file-corrupt")
    put("old-format.xls", _ole_file("Workbook", "\x05SummaryInformation"), "file-old-xls")
    put("password.xlsx", _ole_file("EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"), "file-encrypted")
    docx = folder / "word-document.xlsx"
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    files["word-document"] = (docx, "file-not-workbook")
    rewrite_part(good, folder / "broken-xml.xlsx", "xl/workbook.xml", lambda data: data[: len(data) // 3])
    files["broken-xml"] = (folder / "broken-xml.xlsx", "file-corrupt")
    rewrite_part(good, folder / "billion-laughs.xlsx", "xl/workbook.xml", with_entities)
    files["billion-laughs"] = (folder / "billion-laughs.xlsx", "file-xml-forbidden")
    rewrite_part(good, folder / "laughs-in-strings.xlsx", "xl/sharedStrings.xml", with_entities)
    files["laughs-in-strings"] = (folder / "laughs-in-strings.xlsx", "file-xml-forbidden")
    sheet_part = _sheet_part(good, "Om virksomheten")
    rewrite_part(good, folder / "laughs-in-a-sheet.xlsx", sheet_part, with_entities)
    files["laughs-in-a-sheet"] = (folder / "laughs-in-a-sheet.xlsx", "file-xml-forbidden")
    rewrite_part(good, folder / "damaged-sheet.xlsx", sheet_part, lambda data: data[: len(data) // 2])
    files["damaged-sheet"] = (folder / "damaged-sheet.xlsx", "file-corrupt")
    files["zip-bomb"] = (_zip_bomb(good, folder / "zip-bomb.xlsx"), "file-too-large")
    files["lying-sizes"] = (_lying_sizes(good, folder / "lying-sizes.xlsx"), "file-corrupt")
    files["not-our-form"] = (_not_our_form(folder / "not-our-form.xlsx"), "file-not-form")
    version = _cell_of(good, "form_version")
    files["unknown-version"] = (_edit(good, {version: "2031.1"}, folder / "unknown-version.xlsx"),
                                "form-version-unknown")
    form_id = _cell_of(good, "form_id")
    files["other-form"] = (_edit(good, {form_id: "annet-skjema"}, folder / "other-form.xlsx"), "file-not-form")
    return files


@pytest.fixture(scope="session")
def broken_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """Every broken or hostile file, built once: name -> (path, the code it must give)."""
    return _build_broken(tmp_path_factory.mktemp("broken"))
