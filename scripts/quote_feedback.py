"""Quote the «Tilbakemelding» sheet of the sample with mistakes, for the docs.

    python scripts/quote_feedback.py          # docs/annotated-feedback.md
    python scripts/quote_feedback.py --png    # and docs/annotated-feedback.png (LibreOffice, pdftoppm)

The marked copy is made the way ``workbook validate samples/fjordvik/agency-teknisk-med-feil.xlsx
--annotate DIR`` makes it, with a fixed date so the quote changes only when the feedback does.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbook.annotate import HEADER_ROW, annotate_file  # noqa: E402
from workbook.messages import text  # noqa: E402
from workbook.pdf import convert, find_soffice  # noqa: E402
from workbook.validate import validate_file  # noqa: E402

SAMPLE = ROOT / "samples" / "fjordvik" / "agency-teknisk-med-feil.xlsx"
DOCS = ROOT / "docs"
DATE = date(2021, 3, 1)
RESOLUTION = 90  # dots per inch: the smallest at which the list still reads


def annotated(folder: Path) -> Path:
    result = validate_file(SAMPLE)
    return annotate_file(SAMPLE, result.problems, folder, today=DATE)


def _cell(value: object) -> str:
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", "<br>")


def markdown(copy: Path) -> str:
    ws = openpyxl.load_workbook(copy)[text("annotate.sheet")]
    heading = [ws.cell(row, 1).value for row in range(1, HEADER_ROW - 1)]
    header = [c.value for c in ws[HEADER_ROW]][:6]
    rows = [[ws.cell(row, col).value for col in range(1, 7)] for row in range(HEADER_ROW + 1, ws.max_row + 1)]
    lines = [
        "# The marked copy: its «Tilbakemelding» sheet",
        "",
        f"`workbook validate {SAMPLE.relative_to(ROOT)} --annotate DIR` writes",
        f"`DIR/{copy.name}`: the workbook again, each bad cell highlighted (red for an error, amber",
        "for a warning) with a comment holding its messages, and this first sheet listing every problem",
        "with a link to its cell. The copy still reads and validates like the original, so the agency",
        "fixes it and sends it back.",
        "",
        "Made by `python scripts/quote_feedback.py` (the picture with `--png`), dated " + DATE.isoformat() + ".",
        "",
        "![The Tilbakemelding sheet as LibreOffice prints it](annotated-feedback.png)",
        "",
        *[f"> {'**' + str(line) + '**' if i == 0 else line}  " for i, line in enumerate(heading)],
        "",
        "| " + " | ".join(map(_cell, header)) + " |",
        "| " + " | ".join("---:" if i == 0 else "---" for i in range(len(header))) + " |",
        *["| " + " | ".join(map(_cell, row)) + " |" for row in rows],
        "",
    ]
    return "\n".join(lines)


def picture(copy: Path, target: Path, work: Path) -> Path:
    """The first page of the copy as LibreOffice prints it (the list sheet), as a PNG."""
    pdftoppm = shutil.which("pdftoppm")
    if find_soffice() is None or pdftoppm is None:
        sys.exit("--png needs LibreOffice (soffice) and pdftoppm (poppler-utils)")
    (pdf,) = convert([copy], work / "pdf", "pdf")
    subprocess.run([pdftoppm, "-png", "-r", str(RESOLUTION), "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(target.with_suffix(""))], check=True, timeout=60)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--png", action="store_true", help="also render the picture (needs LibreOffice)")
    args = parser.parse_args()
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="quote-feedback-") as folder:
        copy = annotated(Path(folder))
        target = DOCS / "annotated-feedback.md"
        target.write_text(markdown(copy), encoding="utf-8", newline="\n")
        print(target.relative_to(ROOT))
        if args.png:
            print(picture(copy, DOCS / "annotated-feedback.png", Path(folder)).relative_to(ROOT))


if __name__ == "__main__":
    main()
