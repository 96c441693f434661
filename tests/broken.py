"""One of each broken or hostile file, each with the one problem code it must give
(``build_broken(folder)``: name -> (path, code)); conftest.py builds them once per session as the
``broken_files`` fixture.
"""

from __future__ import annotations

from pathlib import Path

from documents import make_workbook
from editing import cell_of, edit
from hostile import part_of, rewrite

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
BOMB_BYTES = 80 * 1024 * 1024  # more than container.MAX_UNPACKED_BYTES, a few hundred KB packed
BILLION_LAUGHS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "&lol;") * 10}">' for i in range(1, 10))
    + "]>\n"
)


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

    part = part_of(good, "Om virksomheten")
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


def build_broken(folder: Path) -> dict[str, tuple[Path, str]]:
    """One of each broken or hostile file, each with the one problem code it must give."""
    import zipfile

    folder.mkdir(parents=True, exist_ok=True)
    good = make_workbook(folder / "source", name="good.xlsx")
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
    rewrite(good, folder / "broken-xml.xlsx", {"xl/workbook.xml": lambda data: data[: len(data) // 3]})
    files["broken-xml"] = (folder / "broken-xml.xlsx", "file-corrupt")
    rewrite(good, folder / "billion-laughs.xlsx", {"xl/workbook.xml": with_entities})
    files["billion-laughs"] = (folder / "billion-laughs.xlsx", "file-xml-forbidden")
    rewrite(good, folder / "laughs-in-strings.xlsx", {"xl/sharedStrings.xml": with_entities})
    files["laughs-in-strings"] = (folder / "laughs-in-strings.xlsx", "file-xml-forbidden")
    sheet_part = part_of(good, "Om virksomheten")
    rewrite(good, folder / "laughs-in-a-sheet.xlsx", {sheet_part: with_entities})
    files["laughs-in-a-sheet"] = (folder / "laughs-in-a-sheet.xlsx", "file-xml-forbidden")
    rewrite(good, folder / "damaged-sheet.xlsx", {sheet_part: lambda data: data[: len(data) // 2]})
    files["damaged-sheet"] = (folder / "damaged-sheet.xlsx", "file-corrupt")
    files["zip-bomb"] = (_zip_bomb(good, folder / "zip-bomb.xlsx"), "file-too-large")
    files["lying-sizes"] = (_lying_sizes(good, folder / "lying-sizes.xlsx"), "file-corrupt")
    files["not-our-form"] = (_not_our_form(folder / "not-our-form.xlsx"), "file-not-form")
    version = cell_of(good, "form_version")
    files["unknown-version"] = (edit(good, {version: "2031.1"}, folder / "unknown-version.xlsx"),
                                "form-version-unknown")
    form_id = cell_of(good, "form_id")
    files["other-form"] = (edit(good, {form_id: "annet-skjema"}, folder / "other-form.xlsx"), "file-not-form")
    return files
