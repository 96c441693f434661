"""LibreOffice in headless mode: the one way the tool, its tests and its scripts call it.

:func:`convert` turns files into another format (an extension, with a filter and its options if
need be); :func:`convert_to_pdf` is the report's Word → PDF. Each run has its own temporary
LibreOffice profile, so runs can go side by side and never touch a user's own LibreOffice
settings, and a time limit, after which soffice and everything it started are stopped.
LibreOffice exits 0 even when it fails ("source file could not be loaded"), so success is judged
by each converted file being there.

The PDF is tagged and made to PDF/UA-1 (universell utforming: Norwegian public bodies publish
accessible documents): headings, lists and tables are tagged, table header rows are marked, the
document's language (/Lang, from the report's nb-NO or nn-NO) and title (shown in the title bar) are set.
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
from collections.abc import Sequence
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


def convert(
    sources: Sequence[Path], outdir: Path, to: str, *, soffice: Path | None = None,
    timeout: float = 180, settings: str | None = None,
) -> list[Path]:
    """Convert each of ``sources`` into ``outdir`` in one LibreOffice run; return the new files.

    ``to`` is what ``--convert-to`` takes: the extension, optionally with the filter and its
    options (``"xlsx"``, ``"pdf:calc_pdf_Export"``, :data:`PDF_EXPORT`). ``settings`` is the text
    of a ``registrymodifications.xcu`` the run's fresh profile starts with (its locale, say).
    Raises :class:`PdfError` when soffice is missing, cannot start, runs past ``timeout`` seconds
    or leaves a file unwritten.
    """
    soffice = soffice or find_soffice()
    if soffice is None:
        raise PdfError(text("report.pdf_missing_soffice"))
    sources, outdir = [Path(source).resolve() for source in sources], Path(outdir).resolve()
    for source in sources:
        if not source.is_file():
            raise PdfError(text("report.pdf_missing_input", path=source))
    outdir.mkdir(parents=True, exist_ok=True)
    extension = to.split(":", 1)[0]
    targets = [outdir / f"{source.stem}.{extension}" for source in sources]
    if set(targets) & set(sources):
        raise ValueError(f"converting into {outdir} would overwrite a source file")
    for target in targets:
        target.unlink(missing_ok=True)  # an old file must not pass for a new one
    names = ", ".join(source.name for source in sources)
    with tempfile.TemporaryDirectory(prefix="workbook-soffice-") as profile:
        if settings is not None:
            (Path(profile) / "user").mkdir()
            (Path(profile) / "user" / "registrymodifications.xcu").write_text(settings, encoding="utf-8")
        args = [
            str(soffice), f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless", "--norestore", "--nolockcheck",
            "--convert-to", to, "--outdir", str(outdir), *map(str, sources),
        ]
        try:
            result = _run(args, timeout)
        except subprocess.TimeoutExpired:
            raise PdfError(text("report.pdf_timeout", seconds=timeout, docx=names)) from None
        except OSError as error:
            raise PdfError(text("report.pdf_cannot_start", soffice=soffice, error=error)) from None
    for source, target in zip(sources, targets):
        if result.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
            lines = (result.stderr or result.stdout or "").strip().splitlines()
            detail = lines[-1].strip() if lines else text("report.pdf_failed_no_detail")
            raise PdfError(text("report.pdf_failed", docx=source.name, code=result.returncode,
                                detail=detail))
    return targets


def convert_to_pdf(
    docx: Path, outdir: Path, *, soffice: Path | None = None, timeout: float = 180
) -> Path:
    """Convert ``docx`` to ``outdir/<name>.pdf`` (tagged, PDF/UA-1) and return its path; raise
    :class:`PdfError`."""
    (pdf,) = convert([docx], outdir, PDF_EXPORT, soffice=soffice, timeout=timeout)
    if _TAGGED not in pdf.read_bytes():
        pdf.unlink()
        raise PdfError(text("report.pdf_not_tagged", docx=Path(docx).name, soffice=soffice or find_soffice()))
    return pdf
