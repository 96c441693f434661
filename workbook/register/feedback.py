"""``workbook register feedback``: what to send back to every agency whose latest submission for
a year is not valid, one folder per agency, and the list for the mail merge.

Each folder (the agency's name made safe for Windows: :func:`~workbook.filenames.safe_file_name`)
holds the annotated copy kept in the store, named as ``validate --annotate`` names it
(``<stem>-tilbakemelding.xlsx``); where no copy could be made (a workbook openpyxl cannot open,
such as Strict Open XML) or the latest file cannot be read at all, a text file of its problems
(``<stem>-problemer.txt``) instead, and the list says to send the problems that way. The list
(``utsending.csv``, UTF-8 with BOM, and the same as ``utsending.xlsx``) gives the agency, its
contact e-mail, the version, when it came, its error count, the file to attach (relative to the
folder) and a note. The output folder must be new or empty: nothing there is ever overwritten.

The annotated copies are made here, the first time a submission's feedback is written
(:func:`make_copies`), and kept in the store (``submissions.feedback_sha256``), so that the next run
sends the same copy; collecting does not make them (most files are never sent back). A copy that
could not be made is recorded so (``submissions.feedback_failed``: ``register status`` then names
the text of problems), and tried again at the next run. Which agencies get feedback, in which
folder and file, is :func:`workbook.register.names.feedback_plan` and ``feedback_file``: the status
list names the same files.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


from workbook.container import open_regular
from workbook.csv_safe import write_csv
from workbook.messages import DEFAULT_LANGUAGE, languages, text
from workbook.problems import Problem, render
from workbook.register.core import Register
from workbook.register.db import INVALID, UNREADABLE, as_register_error
from workbook.register.names import feedback_file, feedback_plan
from workbook.register.times import local_time
from workbook.register.outdir import fresh_folder, write_new
from workbook.validate import FileResult, annotate_results



@dataclass(frozen=True)
class Feedback:
    """One agency to write to: a row of the mail-merge list."""

    agency: str
    email: str | None
    known: bool
    version: int
    received: str
    errors: int
    outcome: str
    #: the file to attach, relative to the output folder
    file: Path
    #: ``copy`` (the annotated workbook), ``no_copy`` / ``damaged`` (the problems as text instead),
    #: ``unreadable`` (the file could not be read: its problem as text)
    kind: str


@dataclass(frozen=True)
class FeedbackRun:
    folder: Path
    entries: list[Feedback]
    lists: list[Path]
    #: submissions whose agency could not be told at all (unreadable, or no agency in the workbook
    #: and a sender not on the list): in no folder, see ``status``
    unattributed: int


def write_feedback(reg: Register, year: int, folder: Path | str) -> FeedbackRun:
    """Write the feedback for ``year`` into ``folder`` (new or empty; see the module's text)."""
    folder = fresh_folder(folder)
    expected = {row["name_key"]: row for row in reg.expected_agencies(year)}
    plan = feedback_plan(expected, reg.latest(year))
    copies = make_copies(reg, [row for row, _ in plan if row["outcome"] == INVALID])
    entries = [_write_one(reg, folder, sub, row, expected.get(row["agency_key"]), copies.get(row["id"]))
               for row, sub in plan]
    lists = _write_lists(folder, entries)
    unattributed = sum(1 for row in reg.submissions(year) if row["agency_key"] is None)
    return FeedbackRun(folder, entries, lists, unattributed)


def make_copies(reg: Register, rows: Sequence[sqlite3.Row], *, jobs: int | None = None) -> dict[int, str]:
    """The annotated copy of each submission in ``rows`` (readable ones with problems), made where
    it has none yet (in worker processes, as ``validate --annotate`` makes them), kept in the store
    and recorded; per submission id the hash of its recorded copy. A submission no copy can be made
    of (a workbook openpyxl cannot open, such as Strict Open XML) is left out."""
    copies = {row["id"]: row["feedback_sha256"] for row in rows if row["feedback_sha256"]}
    todo = [row for row in rows if not row["feedback_sha256"] and row["outcome"] != UNREADABLE
            and (row["errors"] or row["warnings"])]
    if not todo:
        return copies
    tmp = reg.store.folder / "tmp"
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix="tilbakemelding-", dir=tmp))
    except OSError as error:
        raise as_register_error(error, reg.store.folder) from None
    try:
        # openpyxl opens a workbook only by its file ending: each is annotated from a copy named <hash>.xlsx
        results, by_file = [], {}
        for row in todo:
            source = work / f"{row['sha256']}.xlsx"
            shutil.copyfile(reg.store.path(row["sha256"]), source)
            problems = [Problem.from_dict(json.loads(p["problem"])) for p in reg.problems(row["id"])]
            results.append(FileResult(file=str(source), language=row["language"] or "nb", problems=problems))
            by_file[str(source)] = row["id"]
        failed = []
        for result, copy in annotate_results(results, work / "ut", jobs=jobs):
            if copy is not None:
                copies[by_file[result.file]] = _keep_copy(reg, by_file[result.file], copy)
            else:
                failed.append(by_file[result.file])
        with reg.transaction() as conn:  # so that status names the text of problems sent instead
            conn.executemany("UPDATE submissions SET feedback_failed = 1 WHERE id = ? AND feedback_sha256 IS NULL",
                             [(sid,) for sid in failed])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return copies


def _keep_copy(reg: Register, submission_id: int, copy: Path) -> str:
    """The copy put in the store and recorded as the submission's; the hash of its recorded copy
    (another run's, if that one recorded its copy first: the first one stays)."""
    try:
        with open_regular(copy) as handle:
            sha256, size = reg.store.put(handle)
    except OSError as error:
        raise as_register_error(error, reg.store.folder) from None
    with reg.transaction() as conn:
        recorded = conn.execute("SELECT feedback_sha256 FROM submissions WHERE id = ?", (submission_id,)).fetchone()[0]
        if recorded:
            return recorded
        conn.execute("INSERT OR IGNORE INTO blobs (sha256, size, kind) VALUES (?, ?, 'feedback')", (sha256, size))
        conn.execute("UPDATE submissions SET feedback_sha256 = ?, feedback_failed = 0 WHERE id = ?",
                     (sha256, submission_id))
    return sha256


def _write_one(reg: Register, folder: Path, sub: str, row: sqlite3.Row, listed: sqlite3.Row | None,
               copy: str | None) -> Feedback:
    kind = UNREADABLE if row["outcome"] == UNREADABLE else "no_copy"
    target: Path | None = None
    if copy and kind != UNREADABLE:
        data = _stored(reg, copy)
        kind = "damaged" if data is None else "copy"
        if data is not None:
            target = write_new(folder / feedback_file(sub, row["filename"], copy=True), data)
    if target is None:
        target = folder / feedback_file(sub, row["filename"], copy=False)
        _write_problems(reg, row, target)
    name = listed["name"] if listed is not None else row["agency"] or row["agency_key"]
    return Feedback(agency=name, email=listed["email"] if listed is not None else None, known=listed is not None,
                    version=reg.version_of(row), received=row["received"], errors=row["errors"],
                    outcome=row["outcome"], file=target.relative_to(folder), kind=kind)


def _stored(reg: Register, sha256: str) -> bytes | None:
    """A stored file's bytes, or None when it is missing or no longer hashes to its name."""
    try:
        data = reg.store.path(sha256).read_bytes()
    except FileNotFoundError:
        return None
    return data if hashlib.sha256(data).hexdigest() == sha256 else None


def _write_problems(reg: Register, row: sqlite3.Row, target: Path) -> None:
    """The submission's problems as a text file (UTF-8 with BOM and CRLF, so every Notepad reads it),
    in the workbook's language."""
    language = row["language"] if row["language"] in languages() else DEFAULT_LANGUAGE
    problems = [Problem.from_dict(json.loads(p["problem"])) for p in reg.problems(row["id"])]
    lines = [text("register.feedback.problems_title", language, file=row["filename"],
                  time=local_time(row["received"]), errors=row["errors"], warnings=row["warnings"]), ""]
    lines += [f"{number}. {render(problem, language)}" for number, problem in enumerate(problems, 1)]
    write_new(target, ("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))


def _rows(entries: list[Feedback]) -> list[list[object]]:
    header = [text(f"register.feedback.column_{c}") for c in
              ("agency", "email", "version", "received", "errors", "file", "note")]
    return [header] + [[e.agency, e.email, e.version, local_time(e.received), e.errors, str(e.file),
                        _note(e)] for e in entries]


def _note(entry: Feedback) -> str:
    note = text(f"register.feedback.note_{entry.kind}")
    if not entry.known:
        note = f"{text('register.feedback.note_unknown', unknown=text('register.unknown_agency'))} {note}"
    return note


def _write_lists(folder: Path, entries: list[Feedback]) -> list[Path]:
    stem = text("register.feedback.list_name")
    rows = _rows(entries)
    csv_path = write_csv(folder / f"{stem}.csv", rows)
    return [csv_path, _write_xlsx(folder / f"{stem}.xlsx", rows)]


def _write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    """The list as a workbook: every text written as a text (never a formula or a link)."""
    from workbook.register.listbook import write_list

    return write_list(path, text("register.feedback.sheet"), [str(c) for c in rows[0]], rows[1:],  # type: ignore[arg-type]
                      (36, 30, 9, 22, 8, 50, 60))
