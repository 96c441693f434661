"""The feedback copy as the agency meets it (issue 8, point 2): its name, its comments' size,
numbers written the Norwegian way in every message, and properties that name this tool."""

from __future__ import annotations

import re
import textwrap
import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from workbook import __version__
from workbook.annotate import annotate_file, target_path, target_paths
from workbook.cli import app
from workbook.document import load_document
from workbook.generate import generate
from workbook.problems import make
from workbook.validate import validate_file

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "samples" / "json" / "fjordvik" / "agency-teknisk-med-feil.json"
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def bad_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("bad") / "skjema.xlsx", prefill=load_document(BAD))


def _copy_of(source: Path, folder: Path) -> Path:
    return annotate_file(source, validate_file(source).problems, folder)


# --- names ---------------------------------------------------------------------------------------
def test_same_named_files_from_two_folders_get_two_copies(bad_workbook: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "in" / "bymiljo" / "skjema.xlsx", tmp_path / "in" / "kultur" / "skjema.xlsx"
    for target, agency in ((first, "Bymiljøetaten"), (second, "Kulturetaten")):
        document = load_document(BAD)
        generate(target, prefill={**document, "agency": agency})
    run = CliRunner().invoke(app, ["validate", str(tmp_path / "in"), "--annotate", str(tmp_path / "out"),
                                   "--jobs", "1"])
    assert run.exit_code == 1, run.output
    copies = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert copies == ["bymiljo-skjema-tilbakemelding.xlsx", "kultur-skjema-tilbakemelding.xlsx"]
    for name, agency in (("bymiljo", "Bymiljøetaten"), ("kultur", "Kulturetaten")):
        copy = tmp_path / "out" / f"{name}-skjema-tilbakemelding.xlsx"
        assert validate_file(copy).metadata["agency"] == agency  # each copy is its own source's


def test_a_copy_of_a_copy_gets_no_second_suffix(bad_workbook: Path, tmp_path: Path) -> None:
    copy = _copy_of(bad_workbook, tmp_path / "round1")
    assert copy.name == "skjema-tilbakemelding.xlsx"
    again = _copy_of(copy, tmp_path / "round2")
    assert again.name == "skjema-tilbakemelding.xlsx"
    assert target_path(tmp_path / "x-tilbakemelding-tilbakemelding.xlsx", tmp_path / "o").name == \
        "x-tilbakemelding.xlsx"


def test_annotating_a_copy_in_its_own_folder_never_overwrites_it(bad_workbook: Path, tmp_path: Path) -> None:
    copy = _copy_of(bad_workbook, tmp_path)
    before = copy.read_bytes()
    again = _copy_of(copy, tmp_path)
    assert again != copy and again.name == "skjema-tilbakemelding-2.xlsx"
    assert copy.read_bytes() == before


def test_an_original_and_its_old_copy_in_one_batch_get_two_copies(tmp_path: Path) -> None:
    sources = [tmp_path / "a" / "x.xlsx", tmp_path / "a" / "x-tilbakemelding.xlsx", tmp_path / "a" / "x.xlsx"]
    targets = target_paths(sources, tmp_path / "out")
    assert targets[0] != targets[1] and targets[0] == targets[2]
    assert [t.name for t in targets[:2]] == ["a-x-tilbakemelding.xlsx", "a-x-tilbakemelding-2.xlsx"]


# --- comments ------------------------------------------------------------------------------------
def _shapes(path: Path) -> dict[tuple[str, int, int], tuple[int, int]]:
    """(sheet, row, column) from 0 -> (width, height) in pixels of every comment box, from the VML
    drawing each sheet's relationships name."""
    book = openpyxl.load_workbook(path, read_only=True)
    found = {}
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        for number, sheet in enumerate(book.sheetnames, start=1):  # openpyxl writes sheetN.xml in order
            rels = f"xl/worksheets/_rels/sheet{number}.xml.rels"
            if rels not in names:
                continue
            for target in re.findall(r'Target="([^"]+\.vml)"', archive.read(rels).decode()):
                vml = archive.read("xl/" + target.replace("../", "").lstrip("/").removeprefix("xl/")).decode()
                for shape in re.findall(r"<\w+:shape .*?</\w+:shape>", vml, re.S):
                    size = re.search(r"width:(\d+)px;height:(\d+)px", shape)
                    row = int(re.search(r"<\w+:Row>(\d+)<", shape).group(1))
                    col = int(re.search(r"<\w+:Column>(\d+)<", shape).group(1))
                    found[(sheet, row, col)] = (int(size.group(1)), int(size.group(2)))
    return found


def _needed(body: str, width: int) -> int:
    """Pixels a comment needs: Tahoma/Segoe UI 9 pt is at most about 7 px a character on average
    for Norwegian text, a line about 15 px, and the box keeps a few pixels of margin."""
    chars = (width - 8) // 7
    lines = sum(len(textwrap.wrap(part, chars)) or 1 for part in body.split("\n"))
    return lines * 15 + 6


def test_comments_are_sized_to_show_their_whole_message(bad_workbook: Path, tmp_path: Path) -> None:
    source = bad_workbook
    problems = validate_file(source).problems
    first = next(p for p in problems if p.cell)
    # one cell with many messages: a long comment must not be cut off either
    many = [make("stray-value", str(source), sheet=first.sheet, cell=first.cell, value="x" * 70 + f" {i}")
            for i in range(12)]
    copy = annotate_file(source, problems + many, tmp_path)
    book = openpyxl.load_workbook(copy)
    sizes = _shapes(copy)
    checked = 0
    for ws in book.worksheets:
        for cell in (c for row in ws.iter_rows() for c in row if c.comment is not None):
            width, height = sizes[(ws.title, cell.row - 1, cell.column - 1)]
            assert height >= _needed(cell.comment.text, width), (ws.title, cell.coordinate, height)
            checked += 1
    assert checked == len({(p.sheet, p.cell) for p in problems if p.cell})
    ws = book[first.sheet]
    assert sizes[(ws.title, ws[first.cell].row - 1, ws[first.cell].column - 1)][1] > 600  # no cap cuts it


# --- numbers in messages -------------------------------------------------------------------------
def test_numbers_in_messages_are_grouped_the_norwegian_way(tmp_path: Path) -> None:
    document = load_document(ROOT / "samples" / "json" / "oslo-kommune-2020.json")
    document["data"] |= {"covered_value_nok": 27_000_000_000, "total_purchases_nok": 15_000_000,
                         "membership_year": 2024}
    source = generate(tmp_path / "tall.xlsx", prefill=document)
    problems = {p.code: p for p in validate_file(source).problems}
    messages = {code: p.message for code, p in problems.items()}
    assert problems["covered-value-over-total"].value == "27000000000"  # the value as read, for --json
    over = messages["covered-value-over-total"]
    assert f"27{NBSP}000{NBSP}000{NBSP}000" in over and f"(15{NBSP}000{NBSP}000)" in over
    assert "15000000" not in over and "27000000000" not in over
    # years are not grouped
    assert "innmeldingsåret 2024 er etter rapporteringsåret 2020" in messages["membership-after-reporting-year"]
    # and the copy's list and comments carry the same words
    book = openpyxl.load_workbook(annotate_file(source, validate_file(source).problems, tmp_path / "out"))
    listed = " ".join(str(c.value) for row in book["Tilbakemelding"].iter_rows() for c in row if c.value)
    assert f"27{NBSP}000{NBSP}000{NBSP}000" in listed


def test_the_catalogue_writes_every_example_number_grouped() -> None:
    from workbook.messages import catalogue

    for key, message in catalogue().items():
        if key.startswith("problem.") and isinstance(message, str):
            assert not re.search(r"\d{5,}", message), key


# --- properties ----------------------------------------------------------------------------------
def test_the_copy_names_this_tool_as_its_author(bad_workbook: Path, tmp_path: Path) -> None:
    copy = _copy_of(bad_workbook, tmp_path)
    with zipfile.ZipFile(copy) as archive:
        core = archive.read("docProps/core.xml").decode()
        app_xml = archive.read("docProps/app.xml").decode()
        assert archive.testzip() is None
    tool = f"workbook {__version__}"
    assert re.search(rf"<dc:creator[^>]*>{tool}</dc:creator>", core)
    assert re.search(rf"<cp:lastModifiedBy[^>]*>{tool}</cp:lastModifiedBy>", core)
    assert re.search(rf"<Application>{tool}</Application>", app_xml)
    assert "openpyxl" not in (core + app_xml).lower()
    assert "<Company>Fjordvik kommune, Teknisk etat</Company>" in app_xml  # kept from the form
    assert [p.code for p in validate_file(copy).problems] == [p.code for p in validate_file(bad_workbook).problems]
    assert openpyxl.load_workbook(copy).properties.creator == tool
