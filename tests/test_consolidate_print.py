"""The consolidation's own sheets («Om sammenstillingen», «Tall per virksomhet», «Fritekst per
virksomhet») as a reviewer sees them on screen and on paper: printed by LibreOffice, no text
runs over another row, every answer is there whole, and the internal key columns are hidden."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from workbook.consolidate import COVERAGE_TABLE, FIGURES_TABLE, TEXTS_TABLE, TOTALS_TABLE, consolidate, write_consolidated
from workbook.container import open_container
from workbook.document import load_document
from workbook.generate import generate
from workbook.messages import text
from workbook.pdf import convert, find_soffice

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "json" / "fjordvik"
SHEETS = [text("consolidate.coverage_sheet"), text("consolidate.figures_sheet"), text("consolidate.texts_sheet")]


@pytest.fixture(scope="module")
def consolidated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    folder = tmp_path_factory.mktemp("fjordvik")
    for source in SAMPLES.glob("*.json"):
        stamp = datetime(2021, 1, 20) if source.stem == "agency-helseetaten-2" else datetime(2021, 2, 15)
        generate(folder / f"{source.stem}.xlsx", prefill=load_document(source), created=stamp)
    outcome = consolidate([folder], jobs=1)
    return write_consolidated(outcome, folder.parent / "samlet.xlsx"), outcome


@pytest.fixture(scope="module")
def printed(consolidated: tuple[Path, object], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The three sheets, printed to PDF by LibreOffice (the form's own sheets are left out)."""
    soffice = find_soffice()
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: the sheets cannot be printed")
    folder = tmp_path_factory.mktemp("print")
    book = openpyxl.load_workbook(consolidated[0])
    for ws in list(book.worksheets):
        if ws.title not in SHEETS:
            book.remove(ws)
    book.save(folder / "ark.xlsx")
    (pdf,) = convert([folder / "ark.xlsx"], folder, "pdf", soffice=soffice)
    assert pdf.is_file(), "LibreOffice wrote no PDF"
    return pdf


def _words(pdf: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Each page's words with their boxes (xMin, yMin, xMax, yMax), as pdftotext -bbox finds them."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in html.split("<page ")[1:]:
        pages.append([(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page)])
    return pages


def test_no_printed_text_runs_over_another(printed: Path) -> None:
    pages = _words(printed)
    assert pages and sum(map(len, pages)) > 500
    for number, words in enumerate(pages, start=1):
        for i, (x0, y0, x1, y1, word) in enumerate(words):
            for a0, b0, a1, b1, other in words[i + 1:]:
                overlap_x = min(x1, a1) - max(x0, a0)
                overlap_y = min(y1, b1) - max(y0, b0)
                # the boxes of two lines of one paragraph touch a little (ascent and descent);
                # text run over another row covers much more of it
                allowed = 0.35 * min(y1 - y0, b1 - b0)
                assert overlap_x <= 0.5 or overlap_y <= allowed, (number, word, other, overlap_y)


def test_every_answer_is_printed_whole_and_the_keys_are_not(printed: Path, consolidated) -> None:  # noqa: ANN001
    from collections import Counter
    from html import unescape

    _, outcome = consolidated
    def tokens(value: str) -> list[str]:  # words, split after hyphens (a line may break there)
        return re.findall(r"[^\s-]+-?|-", value)

    printed_words = Counter(t for page in _words(printed) for *_, w in page for t in tokens(unescape(w)))
    answered = Counter(t for _, _, answer in outcome.texts for t in tokens(answer))
    missing = answered - printed_words  # LibreOffice draws a row's cells line by line: compare words
    assert not missing, missing
    keys = {key for _, key, _ in outcome.texts} | {"superseded", "included", "invalid", "member"}
    assert not keys & set(printed_words)  # the internal keys are not printed


def test_key_columns_are_last_and_hidden(consolidated) -> None:  # noqa: ANN001
    path, _ = consolidated
    container = open_container(path)
    container.close()
    book = openpyxl.load_workbook(path)
    for name, header in ((TEXTS_TABLE, "col_key"), (TOTALS_TABLE, "col_key"), (COVERAGE_TABLE, "col_status")):
        table = container.tables[name]
        assert table.headers[-1] == text(f"consolidate.{header}"), name
        letter = openpyxl.utils.get_column_letter(table.area.last_col + 1)
        assert book[table.area.sheet].column_dimensions[letter].hidden, name
    figures = container.tables[FIGURES_TABLE]  # the agencies' figures have no key column to hide
    assert not any(book[figures.area.sheet].column_dimensions[openpyxl.utils.get_column_letter(c + 1)].hidden
                   for c in range(figures.area.first_col, figures.area.last_col + 1))
    with zipfile.ZipFile(path) as archive:  # and the file says so itself
        assert any(b'hidden="1"' in archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/"))


def test_each_row_of_free_text_is_as_high_as_its_text(consolidated) -> None:  # noqa: ANN001
    path, outcome = consolidated
    ws = openpyxl.load_workbook(path)[text("consolidate.texts_sheet")]
    heights = [ws.row_dimensions[row].height for row in range(5, 5 + len(outcome.texts))]
    longest = max(range(len(outcome.texts)), key=lambda i: len(outcome.texts[i][2]))
    shortest = min(range(len(outcome.texts)), key=lambda i: len(outcome.texts[i][2]))
    assert heights[longest] > heights[shortest] and all(h and h >= 15 for h in heights)


def test_row_heights_count_lines_as_word_wrapping_does() -> None:
    import random
    import textwrap

    from workbook.consolidate import _lines

    rng = random.Random(8)
    words = ["og", "etisk", "handel", "leverandørkjeden", "Fairtrade-sertifiseringen", "x" * 70]
    for _ in range(2000):
        value = "\n".join(" ".join(rng.choice(words) for _ in range(rng.randint(0, 40)))
                          for _ in range(rng.randint(1, 3)))
        chars = rng.randint(5, 110)
        wrapped = sum(len(textwrap.wrap(part, chars, break_on_hyphens=False)) or 1 for part in value.split("\n"))
        if all(len(word) <= chars for word in value.split()):
            assert _lines(value, chars) == wrapped
        else:  # a word longer than a line starts a line of its own: never fewer lines
            assert _lines(value, chars) >= wrapped
