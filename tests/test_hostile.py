"""Nothing a file can do stops the batch: hostile and clumsy workbooks (tests/hostile.py) each give
their own clear outcome, in bounded time and memory, beside good files that stay valid; a worker
that dies or hangs costs only its own file; only regular files are opened.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import crashing
from documents import make_workbook
from hostile import CASES, build_corpus
from workbook.messages import text
from workbook.validate import validate_file, validate_paths
from workbook.workers import CRASHED, TIMED_OUT, run_isolated

ROOT = Path(__file__).resolve().parent.parent
#: Peak memory (MiB) any one file may cost, and how much more than a good file a small one may cost.
MAX_PEAK_MIB = 128
SMALL_FILE_EXTRA_MIB = 6


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    good = make_workbook(folder / "kilde", name="good.xlsx")
    cases = build_corpus(good, folder / "innsendt")
    for n in (1, 2):
        shutil.copy(good, folder / "innsendt" / f"god-{n}.xlsx")
    return good, folder / "innsendt", cases


def codes(result):
    return {p.code for p in result.problems}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_hostile_file_gives_its_own_outcome(corpus, name):
    good, _, cases = corpus
    path, expected = cases[name]
    result = validate_file(path, keep_document=True)
    assert codes(result) == expected, [p.message for p in result.problems][:5]
    for problem in result.problems:  # every message is the catalogue's, none is technical English
        assert problem.message and "Traceback" not in problem.message and "Error" not in problem.message
    if not expected:  # read exactly as the good file, every answer
        assert result.valid
        assert result.document["data"] == validate_file(good, keep_document=True).document["data"]


def test_a_far_value_is_named_at_its_cell(corpus):
    _, _, cases = corpus
    (problem,) = validate_file(cases["value-in-XFD1048576"][0]).problems
    assert (problem.sheet, problem.cell, problem.severity) == ("Om virksomheten", "XFD1048576", "warning")
    assert "skrevet langt ute" in problem.message


def test_many_strays_are_counted_not_listed_one_by_one(corpus):
    _, _, cases = corpus
    problems = validate_file(cases["60000-strays-everywhere"][0]).problems
    singles = [p for p in problems if p.code == "stray-value"]
    (more,) = [p for p in problems if p.code == "stray-values-more"]
    assert len(singles) == 50 and str(60_000 - 50) in more.message.replace("\xa0", "").replace(" ", "")


def test_formulas_are_found_in_any_spelling_at_their_cell(corpus):
    good, _, cases = corpus
    from hostile import place_of

    sheet, _, cell = place_of(good, "employees")
    for name in ("formula-tab", "formula-spaces-before", "formula-shared", "formula-empty-element",
                 "formula-prefixed", "cells-without-references"):
        (problem,) = validate_file(cases[name][0]).problems
        assert (problem.code, problem.sheet, problem.cell) == ("formula", sheet, cell), name


def test_many_tiny_parts_are_counted_in_the_message(corpus):
    _, _, cases = corpus
    (problem,) = validate_file(cases["many-tiny-parts"][0]).problems
    assert "(0 MB)" not in problem.message and "deler i pakken" in problem.message


def test_a_batch_goes_on_past_every_hostile_file(corpus):
    _, folder, cases = corpus
    started = time.monotonic()
    results = {Path(r.file).stem: r for r in validate_paths([folder], jobs=2)}
    assert time.monotonic() - started < 120
    assert results.pop("god-1").valid and results.pop("god-2").valid
    assert {name: codes(r) for name, r in results.items()} == {name: expected for name, (_, expected) in cases.items()}


# --- memory --------------------------------------------------------------------------------------
_MEASURE = r"""
import json, sys
from workbook.validate import validate_file

def peak_mib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024

validate_file(sys.argv[1])  # imports and caches are no file's cost
peaks = {}
for path in sys.argv[1:]:
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # the peak starts again from what the process holds now
    validate_file(path)
    peaks[path] = peak_mib()
print(json.dumps(peaks))
"""


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="peak memory is read from Linux's /proc")
def test_every_file_costs_bounded_memory(corpus):
    good, _, cases = corpus
    # smallest first: memory a large file freed may stay with the process and count for the next
    paths = [str(good)] + sorted((str(path) for path, _ in cases.values()), key=lambda p: Path(p).stat().st_size)
    run = subprocess.run([sys.executable, "-c", _MEASURE, *paths], capture_output=True, text=True, timeout=600,
                         cwd=ROOT)
    assert run.returncode == 0, run.stderr
    peaks = json.loads(run.stdout)
    blank = peaks.pop(str(good))
    assert blank < MAX_PEAK_MIB
    for path, peak in peaks.items():
        assert peak < MAX_PEAK_MIB, (path, peak)
        if Path(path).stat().st_size < 100_000:
            assert peak < blank + SMALL_FILE_EXTRA_MIB, (Path(path).name, peak, blank)


# --- what is not a regular file ----------------------------------------------------------------
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_on_the_command_line_is_refused_at_once(tmp_path):
    fifo = tmp_path / "x.xlsx"
    os.mkfifo(fifo)
    run = subprocess.run([sys.executable, "-m", "workbook", "validate", str(fifo), "--json"], capture_output=True,
                         timeout=60, cwd=ROOT)
    assert run.returncode == 1, run.stderr
    (entry,) = json.loads(run.stdout)["files"]
    assert [p["code"] for p in entry["problems"]] == ["file-not-regular"]
    assert text("detail.fifo") in entry["problems"][0]["message"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs or links here")
def test_a_folder_names_what_is_not_a_regular_file(tmp_path):
    folder = tmp_path / "innsendt"
    folder.mkdir()
    make_workbook(folder, name="god.xlsx")
    os.mkfifo(folder / "rør.xlsx")
    os.mkfifo(folder / "rør-uten-endelse")
    (folder / "borte.xlsx").symlink_to(tmp_path / "finnes-ikke.xlsx")
    (folder / "enhet.xlsx").symlink_to("/dev/null")
    (folder / "løkke").symlink_to(folder)  # a link to a folder: not followed
    results = {Path(r.file).name: r for r in validate_paths([folder], jobs=2)}
    assert results.pop("god.xlsx").valid
    outcome = {name: [(p.code, p.message) for p in r.problems] for name, r in results.items()}
    assert outcome == {
        "rør.xlsx": [("file-not-regular", text("problem.file-not-regular", detail=text("detail.fifo")))],
        "rør-uten-endelse": [("file-not-regular", text("problem.file-not-regular", detail=text("detail.fifo")))],
        "borte.xlsx": [("file-unreadable", text("problem.file-unreadable", detail=text("detail.dangling-link")))],
        "enhet.xlsx": [("file-not-regular", text("problem.file-not-regular", detail=text("detail.device")))],
    }


# --- workers ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_worker_that_dies_or_hangs_costs_only_its_own_item(jobs):
    items = ["a", "abort", "b", "hang", "c", "exit", "d", "e"]
    lost = lambda item, why: f"{why}:{item}"  # noqa: E731
    started = time.monotonic()
    answers = dict(run_isolated(crashing.task, items, jobs=jobs, timeout=3, on_lost=lost))
    assert time.monotonic() - started < 60
    assert [answers[i] for i in range(len(items))] == [
        "A", f"{CRASHED}:abort", "B", f"{TIMED_OUT}:hang", "C", f"{CRASHED}:exit", "D", "E"]


def test_a_crashed_or_stopped_file_has_its_own_message():
    from workbook.validate import _lost

    for why, code in ((CRASHED, "file-crashed"), (TIMED_OUT, "file-timeout")):
        result = _lost("innsendt/etat.xlsx", why, 120)
        assert [p.code for p in result.problems] == [code] and not result.valid
        assert result.problems[0].message == text(f"problem.{code}", seconds=120)


def test_a_script_whose_workers_cannot_start_is_told_so_and_no_file_is_blamed(tmp_path):
    """Workers start as fresh processes that import the main script: one without the main guard
    re-runs itself in every worker, which must stop the run with one clear message."""
    make_workbook(tmp_path, name="god.xlsx")
    script = tmp_path / "skript.py"
    script.write_text("from workbook.validate import validate_paths\n"
                      f"validate_paths([{str(tmp_path)!r}], jobs=1)\n", encoding="utf-8")
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert run.returncode != 0
    assert "WorkerStartError" in run.stderr and "file-crashed" not in run.stdout + run.stderr


def test_feedback_copies_are_made_in_workers_and_only_when_they_are_still_the_form(tmp_path):
    """A copy openpyxl cannot keep the form of (Strict Open XML) is not sent: said, not written;
    the other files' copies are made all the same."""
    from hostile import _far_value, _strict

    folder = tmp_path / "innsendt"
    folder.mkdir()
    good = make_workbook(tmp_path / "kilde", name="god.xlsx")
    _far_value("XFD1048576")(good, folder / "langt-ute.xlsx")
    _strict(folder / "langt-ute.xlsx", folder / "strict.xlsx")
    run = subprocess.run([sys.executable, "-m", "workbook", "validate", str(folder), "--annotate", str(tmp_path / "ut")],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert run.returncode == 0, run.stderr  # the stray values are warnings
    assert sorted(p.name for p in (tmp_path / "ut").iterdir()) == ["langt-ute-tilbakemelding.xlsx"]
    assert text("cli.annotate_failed", file=str(folder / "strict.xlsx")) in " ".join(run.stderr.split())
    assert "Warning" not in run.stderr and "Traceback" not in run.stderr


def test_json_is_written_file_by_file_in_input_order(corpus):
    _, folder, cases = corpus
    run = subprocess.run([sys.executable, "-m", "workbook", "validate", str(folder), "--json", "--jobs", "2"],
                         capture_output=True, timeout=300, cwd=ROOT)
    assert run.returncode == 1, run.stderr
    payload = json.loads(run.stdout.decode("utf-8"))
    names = [Path(entry["file"]).stem for entry in payload["files"]]
    assert names == sorted(names) and len(names) == len(cases) + 2
    assert payload["valid"] is False and payload["strict"] is False
