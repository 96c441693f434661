"""What reaches the terminal: the real process, with the console encodings of Windows.

``--json`` (and ``export -o -``) is ASCII JSON, so it is valid UTF-8 whatever the console's or
the redirect's encoding; the human output never crashes on a character the encoding cannot show
(it is written as ``\\u014b``); control characters from a file name or a cell are shown escaped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from workbook.cli.common import printable
from workbook.document import load_document
from workbook.generate import generate

ROOT = Path(__file__).resolve().parent.parent
AGENCY = "Porsáŋgu gielda «Kultur» – Åse & Ærø"
#: Raw control characters a terminal would obey: C0 (ESC, BEL, CR, BS), C1 (CSI), bidi controls.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _workbook(folder: Path, name: str = "porsanger.xlsx", agency: str = AGENCY) -> Path:
    document = load_document(ROOT / "samples" / "json" / "oslo-kommune-2020.json")
    document["agency"] = agency
    return generate(folder / name, prefill=document)


def _run(args: list[str], encoding: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONIOENCODING": encoding, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "workbook", *args], cwd=cwd, env=env, capture_output=True,
                          timeout=120)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("terminal")
    _workbook(folder)
    return folder


@pytest.mark.parametrize("encoding", ["cp1252", "cp850"])
def test_json_is_valid_utf8_on_a_windows_console_encoding(folder: Path, encoding: str) -> None:
    result = _run(["validate", "porsanger.xlsx", "--json"], encoding, folder)
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    assert b"Traceback" not in result.stderr
    payload = json.loads(result.stdout.decode("utf-8"))  # strict: any other byte would raise
    assert payload["files"][0]["metadata"]["agency"] == AGENCY
    assert result.stdout.isascii()


@pytest.mark.parametrize("encoding", ["cp1252", "cp850"])
def test_the_human_output_never_crashes_on_a_character_the_console_cannot_show(folder: Path,
                                                                               encoding: str) -> None:
    result = _run(["validate", "porsanger.xlsx"], encoding, folder)
    assert result.returncode == 0 and b"Traceback" not in result.stderr, result.stderr
    shown = result.stdout.decode(encoding)  # the console's own encoding, nothing else
    assert "Porsá\\u014bgu" in shown  # the one character it cannot show, written so a person can tell
    assert "Gyldig" in shown


@pytest.mark.parametrize("encoding", ["cp1252", "cp850"])
def test_export_to_stdout_is_the_same_document_as_the_file(folder: Path, encoding: str) -> None:
    result = _run(["export", "porsanger.xlsx", "-o", "-"], encoding, folder)
    assert result.returncode == 0 and b"Traceback" not in result.stderr, result.stderr
    assert result.stdout.isascii()
    written = _run(["export", "porsanger.xlsx", "-o", "data.json"], "utf-8", folder)
    assert written.returncode == 0
    assert json.loads(result.stdout.decode("utf-8")) == load_document(folder / "data.json")
    assert json.loads(result.stdout)["agency"] == AGENCY


def test_printable_escapes_every_control_character_and_keeps_the_rest() -> None:
    assert printable("a\x1b[31mb\x07c\rd\u202ee\x9bf\ttab\nline") == \
        "a\\x1b[31mb\\x07c\\x0dd\\u202ee\\x9bf\\x09tab\\x0aline"
    assert printable("Porsáŋgu «sitat» – 27 000 kr 🙂") == "Porsáŋgu «sitat» – 27 000 kr 🙂"
    assert printable("\ud800") == "\\ud800"  # a lone surrogate cannot even be encoded


@pytest.mark.skipif(os.name == "nt", reason="Windows file names cannot hold control characters")
@pytest.mark.parametrize("args", [[], ["--json"]])
def test_control_characters_from_a_file_name_and_a_cell_are_shown_escaped(tmp_path: Path, args: list[str]) -> None:
    hostile = "\x1b]0;pwned\x07\x1b[2J\rGyldig\u202e"
    name = f"fil{hostile}.xlsx"
    _workbook(tmp_path, name=name, agency=f"Etat{hostile}")
    bad = tmp_path / f"feil{hostile}.xlsx"
    shutil.copy(ROOT / "samples" / "fjordvik" / "agency-teknisk-med-feil.xlsx", bad)
    result = _run(["validate", name, bad.name, *args], "utf-8", tmp_path)
    assert result.returncode == 1 and b"Traceback" not in result.stderr, result.stderr
    for stream in (result.stdout.decode("utf-8"), result.stderr.decode("utf-8")):
        assert not RAW_CONTROL.search(stream), repr(RAW_CONTROL.search(stream))
    if args:
        agency = json.loads(result.stdout)["files"][0]["metadata"]["agency"]  # kept, escaped as JSON does
        assert agency.startswith("Etat\x1b]0;pwned\x07\x1b[2J") and agency.endswith("Gyldig\u202e")
    else:
        shown = result.stdout.decode("utf-8")
        assert "\\x1b]0;pwned\\x07" in shown and "\\u202e" in shown


def test_every_printing_path_of_the_cli_goes_through_the_safe_consoles() -> None:
    """No builtin print, no console of its own, no stream written around them (but JSON, which is ASCII)."""
    found = []
    for path in sorted((ROOT / "workbook" / "cli").glob("*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.search(r"(?<![.\w])print\(|(?<!Safe)Console\(|sys\.std(out|err)\.write|typer\.echo", line):
                found.append(f"{path.name}: {line.strip()}")
    assert found == ["common.py: sys.stdout.write(content)"], found  # write_stdout: ASCII JSON only
