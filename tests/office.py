"""LibreOffice in the tests: the copy it saves of a workbook, and edits made in it.

- ``need_soffice()`` soffice (through :func:`workbook.pdf.find_soffice`), or skip the test saying why;
- ``convert(sources, outdir, to, **options)`` :func:`workbook.pdf.convert`, skipping without soffice;
- ``libreoffice_roundtrip(path_or_paths, tmpdir, fmt="xlsx")`` the copy (or copies) LibreOffice saves;
- ``libreoffice_edit(path, out, steps, tmpdir)`` inserts rows / types values in LibreOffice.

Every conversion goes through :func:`workbook.pdf.convert` (a profile of its own per run, a time
limit, each output checked). The edits run LibreOffice through its Python bridge (uno); they skip,
saying why, where the bridge is missing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest

from workbook import pdf

LIBREOFFICE_TIMEOUT = 120
UNO_PROGRAM_DIRS = ("/usr/lib/libreoffice/program", "/opt/libreoffice/program",
                    "/usr/lib64/libreoffice/program", "/Applications/LibreOffice.app/Contents/Resources")


def need_soffice() -> Path:
    soffice = pdf.find_soffice()
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: the LibreOffice round trip cannot run")
    return soffice


def convert(sources: Sequence[Path], outdir: Path, to: str, **options: Any) -> list[Path]:
    """:func:`workbook.pdf.convert`, or skip the test where soffice is missing."""
    return pdf.convert(sources, outdir, to, soffice=need_soffice(), **options)


def libreoffice_roundtrip(paths: Path | Iterable[Path], tmpdir: Path, fmt: str = "xlsx") -> Any:
    """Open each file in LibreOffice and save it again as ``fmt``: one process for all of them.

    Returns the copy's path (or a list of them, for a list of files).
    """
    single = isinstance(paths, (str, Path))
    sources = [Path(paths)] if single else [Path(p) for p in paths]  # type: ignore[arg-type]
    outdir = Path(tmpdir) / f"lo-{fmt}-{uuid.uuid4().hex[:8]}"
    copies = convert(sources, outdir, fmt, timeout=LIBREOFFICE_TIMEOUT)
    return copies[0] if single else copies


def _profile(tmpdir: Path) -> str:
    """A LibreOffice profile of its own for each run, so runs never share or lock one."""
    folder = Path(tmpdir) / f"lo-profile-{uuid.uuid4().hex}"
    folder.mkdir(parents=True)
    return folder.resolve().as_uri()


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


def uno_python() -> tuple[str, dict[str, str]] | None:
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


def libreoffice_edit(path: Path, out: Path, steps: list[dict[str, Any]], tmpdir: Path) -> Path:
    """Apply ``steps`` in LibreOffice and save as xlsx. A step is ``{"op": "insert_rows" or
    "delete_rows", "sheet", "row" (0-based index of the first row), "count"}`` or ``{"op": "set",
    "sheet", "cell", "value"}``."""
    soffice = need_soffice()
    found = uno_python()
    if found is None:
        pytest.skip("LibreOffice's Python bridge (uno) is not importable: rows cannot be inserted in LibreOffice")
    python, env = found
    script = Path(tmpdir) / "lo_edit.py"
    script.write_text(_UNO_SCRIPT, encoding="utf-8")
    run = subprocess.run([python, str(script), str(path), str(out), _profile(tmpdir), json.dumps(steps), str(soffice)],
                         env=env, capture_output=True, text=True, timeout=LIBREOFFICE_TIMEOUT)
    assert run.returncode == 0 and Path(out).is_file(), f"LibreOffice edit failed: {run.stdout} {run.stderr}"
    return Path(out)
