"""The README's pictures of the agency's workbook and of the published report, as LibreOffice
prints them (the feedback sheet's picture is made by scripts/quote_feedback.py --png).

    python scripts/docs_pictures.py        # docs/workbook-page.png, docs/report-page.png

Needs LibreOffice (soffice) and pdftoppm (poppler-utils).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbook.pdf import convert, convert_to_pdf, find_soffice  # noqa: E402
from workbook.report import report_file  # noqa: E402

WORKBOOK = ROOT / "samples" / "oslo-kommune-2020.xlsx"
DOCS = ROOT / "docs"
RESOLUTION = 70
#: (picture, page): the first page of «Anskaffelser og leverandører», and the report's page with 1.1.
PAGES = {"workbook-page.png": 5, "report-page.png": 7}


def page_png(pdf: Path, page: int, target: Path) -> Path:
    stem = target.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-singlefile", "-r", str(RESOLUTION), "-f", str(page), "-l", str(page),
                    str(pdf), str(stem)], check=True, timeout=120)
    return target


def main() -> None:
    if find_soffice() is None or shutil.which("pdftoppm") is None:
        sys.exit("needs LibreOffice (soffice) and pdftoppm (poppler-utils)")
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        (printed,) = convert([WORKBOOK], folder, "pdf")
        page_png(printed, PAGES["workbook-page.png"], DOCS / "workbook-page.png")
        _, report = report_file(WORKBOOK, folder / "report.docx")
        page_png(convert_to_pdf(report, folder), PAGES["report-page.png"], DOCS / "report-page.png")
    print("wrote", ", ".join(f"docs/{name}" for name in PAGES))


if __name__ == "__main__":
    main()
