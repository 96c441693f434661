"""Word → PDF with LibreOffice in headless mode.

Each conversion runs with its own temporary LibreOffice profile, so conversions can run side by
side and never touch a user's own LibreOffice settings. LibreOffice exits 0 even when it fails
("source file could not be loaded"), so success is judged by the PDF being there.

The PDF is tagged and made to PDF/UA-1 (universell utforming: Norwegian public bodies publish
accessible documents): headings, lists and tables are tagged, table header rows are marked, the
document's language (/Lang, from the report's nb-NO) and title (shown in the title bar) are set.
LibreOffice does this only when asked, through the PDF export filter's options (LibreOffice 7.4
and later read them as JSON; an older one ignores them and writes an untagged PDF, which is
refused rather than published).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from workbook.errors import PdfError
from workbook.messages import text

_PROGRAM_FILES_VARIABLES = ("PROGRAMFILES", "PROGRAMW6432", "PROGRAMFILES(X86)")
_WINDOWS_DEFAULTS = (Path("C:/Program Files"), Path("C:/Program Files (x86)"))
_MACOS = Path("/Applications/LibreOffice.app/Contents/MacOS/soffice")
#: ``--convert-to`` argument: LibreOffice's Writer PDF export, tagged and PDF/UA-1.
PDF_EXPORT = (
    'pdf:writer_pdf_Export:{"UseTaggedPDF":{"type":"boolean","value":"true"},'
    '"PDFUACompliance":{"type":"boolean","value":"true"}}'
)
#: What a tagged PDF's catalogue holds (LibreOffice writes it uncompressed).
_TAGGED = b"/StructTreeRoot"


def _candidates() -> list[Path]:
    roots = [Path(os.environ[v]) for v in _PROGRAM_FILES_VARIABLES if os.environ.get(v)]
    roots += list(_WINDOWS_DEFAULTS)
    windows = [root / "LibreOffice" / "program" / "soffice.exe" for root in roots]
    return [*windows, _MACOS]


def find_soffice() -> Path | None:
    """LibreOffice's ``soffice`` on PATH, else in its usual Windows or macOS place; else None."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return Path(found)
    return next((path for path in _candidates() if path.is_file()), None)


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run soffice; on timeout stop it and everything it started (soffice forks soffice.bin)."""
    posix = os.name == "posix"
    with subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        text=True, errors="replace", start_new_session=posix,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            if posix:
                os.killpg(process.pid, signal.SIGKILL)
            else:
                process.kill()
            process.communicate()
            raise
    return subprocess.CompletedProcess(args, process.returncode, stdout, stderr)


def convert_to_pdf(
    docx: Path, outdir: Path, *, soffice: Path | None = None, timeout: float = 180
) -> Path:
    """Convert ``docx`` to ``outdir/<name>.pdf`` and return its path; raise :class:`PdfError`."""
    soffice = soffice or find_soffice()
    if soffice is None:
        raise PdfError(text("report.pdf_missing_soffice"))
    docx, outdir = Path(docx).resolve(), Path(outdir).resolve()
    if not docx.is_file():
        raise PdfError(text("report.pdf_missing_input", path=docx))
    outdir.mkdir(parents=True, exist_ok=True)
    pdf = outdir / f"{docx.stem}.pdf"
    pdf.unlink(missing_ok=True)  # an old PDF must not pass for a new one
    with tempfile.TemporaryDirectory(prefix="workbook-soffice-") as profile:
        args = [
            str(soffice), f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless", "--norestore", "--nolockcheck",
            "--convert-to", PDF_EXPORT, "--outdir", str(outdir), str(docx),
        ]
        try:
            result = _run(args, timeout)
        except subprocess.TimeoutExpired:
            raise PdfError(text("report.pdf_timeout", seconds=timeout, docx=docx.name)) from None
        except OSError as error:
            raise PdfError(text("report.pdf_cannot_start", soffice=soffice, error=error)) from None
    if result.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        lines = (result.stderr or result.stdout or "").strip().splitlines()
        detail = lines[-1].strip() if lines else text("report.pdf_failed_no_detail")
        raise PdfError(text("report.pdf_failed", docx=docx.name, code=result.returncode,
                            detail=detail))
    if _TAGGED not in pdf.read_bytes():
        pdf.unlink()
        raise PdfError(text("report.pdf_not_tagged", docx=docx.name, soffice=soffice))
    return pdf
