"""Validate submissions against the rules of their own form version: Cerberus for each field,
:mod:`workbook.crossrules` for the rules across fields. Many files at once, on every core.
"""

from __future__ import annotations

import functools
import itertools
import os
import stat
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cerberus

from workbook import wording
from workbook.crossrules import CHECKS
from workbook.fastcheck import compile_schema
from workbook.cellref import cell_position
from workbook.form import Form, load_form
from workbook.ooxml_text import utf16_len
from workbook.messages import DEFAULT_LANGUAGE
from workbook.problems import ERROR, Problem, make, part_label
from workbook.read import Submission, read_workbook
from workbook.workers import CRASHED, DEFAULT_TIMEOUT, run_isolated, worker_count

#: File endings taken from a folder; a file named on the command line is always read.
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".ods"})


class FormValidator(cerberus.Validator):
    """Cerberus with whole numbers that are never True/False (Cerberus counts bool as integer)."""

    types_mapping = dict(cerberus.Validator.types_mapping)
    types_mapping["integer"] = cerberus.TypeDefinition("integer", (int,), (bool,))

    def _validate_maxlength(self, max_length, field, value):  # type: ignore[no-untyped-def]
        """{'type': 'integer'}"""
        # a text's length as Excel counts it (UTF-16 units: an emoji is two), as generate does
        if isinstance(value, str) and utf16_len(value) > max_length:
            self._error(field, cerberus.errors.MAX_LENGTH, utf16_len(value))
        elif not isinstance(value, str):
            super()._validate_maxlength(max_length, field, value)


@functools.lru_cache(maxsize=None)
def validator_for(form: Form) -> FormValidator:
    """One validator per form version, reused for every document (built once per process)."""
    return FormValidator(form.schema, allow_unknown=False)


@dataclass
class FileResult:
    """The outcome for one file, the one result every command works from: its problems (reading
    and rules), its metadata and when it was saved; if asked for (``keep_document``), its data and
    the other tables it holds; from :func:`check_file`, also its form."""

    file: str
    problems: list[Problem]
    metadata: dict[str, Any] = field(default_factory=dict)
    document: dict[str, Any] | None = None
    readable: bool = True
    modified: float = 0.0
    saved_at: str | None = None
    #: the workbook's other tables by column key (:attr:`Submission.extra_records`), if kept
    extra_records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: the rules the file was checked against (set by :func:`check_file`; None: not a form workbook)
    form: Form | None = None
    #: its annotated copy, when asked for (``validate_paths(..., annotate=folder)``): the path, or
    #: False where the copy could not be made; None where none was to be made
    annotated: Path | bool | None = None
    #: the language of the workbook (:attr:`Submission.language`): its problems are worded in it
    language: str = DEFAULT_LANGUAGE

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def valid(self) -> bool:
        return self.readable and not self.errors

    def json_document(self) -> dict[str, Any] | None:
        """The answers in the JSON format, in the form's order, safe for JSON (None: none kept)."""
        from workbook.document import canonical
        from workbook.normalize import json_safe

        if self.document is None or self.form is None:
            return None
        return json_safe(canonical(self.document, self.form))

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "valid": self.valid, "readable": self.readable, "metadata": self.metadata,
                "errors": len(self.errors), "warnings": len(self.warnings),
                "problems": [p.to_dict(self.language) for p in self.problems]}


# --- one submission ----------------------------------------------------------------------------
def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def _document(sub: Submission) -> dict[str, Any]:
    """The values Cerberus checks: no None (so ``required`` speaks), no unreadable values."""
    doc = _prune({**sub.metadata, **sub.data})
    for path in sub.unreadable:
        if len(path) == 1:
            doc.pop(path[0], None)
        elif len(path) == 3 and isinstance(doc.get(path[0]), list) and path[1] < len(doc[path[0]]):
            doc[path[0]][path[1]].pop(path[2], None)
    return doc


def _leaves(errors: Iterable[cerberus.errors.ValidationError]) -> Iterator[cerberus.errors.ValidationError]:
    for error in errors:
        if error.is_group_error:
            yield from _leaves(error.child_errors)
        else:
            yield error


#: Cerberus rules with a code of their own; any other (a rule a later rules file may use) is "invalid".
#: No "type" or unknown-field code: the reader hands Cerberus values already of the field's kind
#: (tests check that every rules file's kinds match its types) and only the form's own keys.
_RULE_CODES = {
    "required": "required", "min": "below-minimum", "max": "above-maximum",
    "allowed": "not-allowed", "regex": "invalid-format", "maxlength": "too-long", "minlength": "too-few",
    "nullable": "required", "empty": "required",
}


@functools.lru_cache(maxsize=None)
def fast_check_for(form: Form) -> Callable[[Any], bool] | None:
    """The plain-Python "certainly valid" check of a form's schema (None: always ask Cerberus)."""
    return compile_schema(form.schema)


def _cerberus_problems(sub: Submission, form: Form, doc: dict[str, Any]) -> list[Problem]:
    fast = fast_check_for(form)
    if fast is not None and fast(doc):  # most documents: Cerberus would find nothing
        return []
    validator = validator_for(form)
    if validator.validate(doc, normalize=False):
        return []
    problems = []
    for error in _leaves(validator._errors):
        path = tuple(error.document_path)
        if any(path[:n] in sub.unreadable for n in (1, 3)):
            continue
        key = path[0]
        field_ = form.fields.get(key)
        code = _RULE_CODES.get(str(error.rule), "invalid")
        label = wording.label(form, key, language=sub.language) if field_ else str(key)
        column = None
        if field_ is not None and len(path) == 3:
            column = str(path[2])
            try:
                label = part_label(label, wording.label(form, key, column, sub.language), sub.language)
            except KeyError:
                pass
        if code == "too-few":
            code = "table-empty" if field_ is not None and field_.is_table else "choices-empty"
        if code == "invalid-format" and field_ is not None:  # the rules name the code a pattern failure gets
            code = next((c.pattern_code for c in field_.columns if c.key == column), code) if column \
                else field_.pattern_code if len(path) == 1 else code
        sheet, cell, row = sub.place(path)
        if sheet is None:
            sheet, cell, _ = sub.place(path[:1])
            if len(path) >= 2 and isinstance(path[1], int):
                row = path[1] + 1
        problems.append(make(code, sub.file, sheet=sheet, cell=cell, key=key, row=row, column=column,
                             label=label, value=error.value, **_constraint(error)))
    return problems


#: The rule whose limit a message names, and the name its template gives that limit.
_CONSTRAINT_PARAMS = {"min": "minimum", "max": "maximum", "maxlength": "max_length", "minlength": "min_length",
                      "allowed": "choices"}


def _constraint(error: cerberus.errors.ValidationError) -> dict[str, Any]:
    """The broken rule's limit (a number, or the allowed values) as the message's param."""
    name = _CONSTRAINT_PARAMS.get(str(error.rule))
    if name is None:
        return {}
    return {name: list(error.constraint) if name == "choices" else error.constraint}


def _cross_problems(sub: Submission, form: Form) -> list[Problem]:
    values = {**sub.metadata, **sub.data}
    for path in sub.unreadable:
        if len(path) == 1:
            values[path[0]] = None
    problems = []
    for rule in form.cross_rules:
        for key, details in CHECKS[rule.check](rule.params, values):
            sheet, cell, _ = sub.place((key,))
            field_ = form.fields.get(key)
            table = form.fields.get(rule.params.get("table", ""))
            limit = form.fields.get(rule.params.get("limit", ""))
            labels = {"table_label": wording.label(form, table.key, language=sub.language)} if table else {}
            if limit:
                labels["limit_label"] = wording.label(form, limit.key, language=sub.language)
            problems.append(make(rule.code, sub.file, severity=rule.severity, sheet=sheet, cell=cell, key=key,
                                 label=wording.label(form, key, language=sub.language) if field_ else key,
                                 value=values.get(key), **labels,
                                 **details))
    return problems


def check_submission(sub: Submission) -> list[Problem]:
    """Reading problems first, then the rules of the submission's own form version."""
    if sub.form is None:
        return list(sub.problems)
    doc = _document(sub)
    problems = list(sub.problems) + _cerberus_problems(sub, sub.form, doc) + _cross_problems(sub, sub.form)
    return sorted(problems, key=_order(sub.form, sub.language))


def _order(form: Form, language: str = DEFAULT_LANGUAGE) -> Callable[[Problem], tuple[int, int, int]]:
    """Problems in the order a person meets them: sheet by sheet, top to bottom, left to right."""
    sheets = {wording.sheet_name(form, section.key, language): i for i, section in enumerate(form.sections)}

    def key(problem: Problem) -> tuple[int, int, int]:
        row, col = cell_position(problem.cell) if problem.cell else (0, 0)
        return sheets.get(problem.sheet or "", -1), row, col

    return key


def validate_file(path: Path | str, *, keep_document: bool = False, display: str | None = None) -> FileResult:
    """Read and validate one file. Never raises for anything in the file."""
    path = Path(path)
    sub = read_workbook(path, display)
    problems = check_submission(sub)
    try:
        modified = path.stat().st_mtime
    except OSError:
        modified = 0.0
    kept = keep_document and sub.readable
    return FileResult(file=sub.file, problems=problems, metadata=dict(sub.metadata),
                      document=sub.document() if kept else None,
                      readable=sub.readable, modified=modified, saved_at=sub.saved_at,
                      extra_records=sub.extra_records if kept else {}, language=sub.language)


# --- many files --------------------------------------------------------------------------------
def expand_paths(paths: Iterable[Path | str], skipped: list[Path] | None = None) -> list[Path]:
    """Files as given; folders as every workbook inside them (recursively, sorted).

    Other regular files found in a folder are not read; pass ``skipped`` to learn which, so they
    can be named rather than passed over in silence (office lock files and hidden files excepted).
    What is not a regular file (a FIFO, a device, a socket, a link to nothing) is kept in the
    list whatever its name: validating it reports it, with its reason, without opening it.
    Links to folders are not followed (a loop of links cannot make the walk endless).
    """
    found: list[Path] = []
    for item in map(Path, paths):
        if not item.is_dir():
            found.append(item)
            continue
        for path in sorted(_walk(item)):
            if path.name.startswith(("~$", ".~lock", ".")):
                continue
            if path.suffix.lower() in WORKBOOK_SUFFIXES or not _is_regular(path):
                found.append(path)
            elif skipped is not None:
                skipped.append(path)
    return found


def _walk(folder: Path) -> Iterator[Path]:
    """Every entry below ``folder`` that is not a folder; links to folders are not entered."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path))
        elif not (entry.is_symlink() and Path(entry.path).is_dir()):
            yield Path(entry.path)


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def _validate_one(args: tuple[str, bool]) -> FileResult:
    path, keep = args
    try:
        return validate_file(path, keep_document=keep)
    except Exception as error:  # a bug must not stop a batch: report it against the file
        return FileResult(file=path, problems=[make("internal-error", path, detail=repr(error))], readable=False)


def _lost(path: str, why: str, timeout: float) -> FileResult:
    """The outcome for a file whose worker died on it or that ran past the time bound."""
    code = "file-crashed" if why == CRASHED else "file-timeout"
    return FileResult(file=path, problems=[make(code, path, seconds=round(timeout))], readable=False)


def iter_validate(paths: Iterable[Path | str], *, jobs: int | None = None, keep_documents: bool = False,
                  timeout: float = DEFAULT_TIMEOUT,
                  progress: Callable[[FileResult], None] | None = None) -> Iterator[FileResult]:
    """Validate every file on ``jobs`` worker processes (default: every core), yielding the results
    in input order as they are ready. Each file is read in a worker, so a file that kills its
    process or runs past ``timeout`` seconds is reported as such and the others go on."""
    files = [str(p) for p in expand_paths(paths)]
    yield from validate_stream(files, jobs=worker_count(jobs, len(files)), keep_documents=keep_documents, timeout=timeout, progress=progress)


def validate_stream(files: Iterable[Path | str], *, jobs: int, keep_documents: bool = False,
                    timeout: float = DEFAULT_TIMEOUT, progress: Callable[[FileResult], None] | None = None,
                    idle: Callable[[], float | None] | None = None) -> Iterator[FileResult]:
    """:func:`iter_validate` for files (not folders) that are taken one by one as the workers need
    them, so that making the next file (collect copies it into the register's store) overlaps the
    validation of those before it; ``idle`` as for :func:`workbook.workers.run_isolated`. No worker
    is started when there is no file."""
    pending = iter(files)
    first = next(pending, None)
    if first is None:
        return
    ready: dict[int, FileResult] = {}
    following = 0
    work = ((str(f), keep_documents) for f in itertools.chain([first], pending))
    for index, result in run_isolated(_validate_one, work, jobs=jobs, timeout=timeout, idle=idle,
                                      on_lost=lambda args, why: _lost(args[0], why, timeout)):
        if progress:
            progress(result)
        ready[index] = result
        while following in ready:
            yield ready.pop(following)
            following += 1


def check_file(path: Path | str, *, timeout: float = DEFAULT_TIMEOUT) -> FileResult:
    """Read and validate one file in a worker process (a file that kills its reader, or runs past
    ``timeout`` seconds, is one problem of its own), keeping its data, its other tables and its
    form: the one call of a command about one file (export, report)."""
    ((_, result),) = run_isolated(_validate_one, [(str(path), True)], jobs=1, timeout=timeout,
                                  on_lost=lambda args, why: _lost(args[0], why, timeout))
    if result.readable and result.document is not None:
        result.form = load_form(str(result.metadata.get("form_id")), str(result.metadata.get("form_version") or ""))
    return result


def _annotate_one(args: tuple[str, list[Problem], str, str, str]) -> str | None:
    from workbook.annotate import annotate_file

    source, problems, folder, target, language = args
    try:
        with warnings.catch_warnings():  # openpyxl's English warnings are no user's business
            warnings.simplefilter("ignore")
            copy = annotate_file(Path(source), problems, Path(folder), target=Path(target), language=language)
    except Exception:  # a copy that cannot be made is said for its file; the others are still made
        return None
    # The copy must still be the form, saying the same (e.g. openpyxl cannot keep a Strict Open XML
    # workbook's names): one that does not is no feedback to send.
    again = sorted((p.code, p.sheet or "", p.cell or "") for p in check_submission(read_workbook(copy)))
    if again != sorted((p.code, p.sheet or "", p.cell or "") for p in problems):
        copy.unlink(missing_ok=True)
        return None
    return str(copy)


def annotate_results(results: Iterable[FileResult], folder: Path | str, *, jobs: int | None = None,
                     timeout: float = DEFAULT_TIMEOUT) -> Iterator[tuple[FileResult, Path | None]]:
    """Write the annotated copy (:func:`workbook.annotate.annotate_file`) of every readable file with
    problems into ``folder``, each in a worker process like reading; yields each result with its
    copy's path, or None where the copy could not be made."""
    from workbook.annotate import target_paths

    marked = [r for r in results if r.problems and r.readable]
    if not marked:
        return
    targets = target_paths([Path(r.file) for r in marked], Path(folder))
    work = [(r.file, r.problems, str(folder), str(t), r.language) for r, t in zip(marked, targets)]
    for index, written in run_isolated(_annotate_one, work, jobs=worker_count(jobs, len(work)), timeout=timeout, on_lost=lambda *_: None):
        yield marked[index], Path(written) if written else None


def validate_paths(paths: Iterable[Path | str], *, jobs: int | None = None, keep_documents: bool = False,
                   timeout: float = DEFAULT_TIMEOUT, progress: Callable[[FileResult], None] | None = None,
                   annotate: Path | str | None = None) -> list[FileResult]:
    """Validate every file (in input order); see :func:`iter_validate`. With ``annotate``, also
    write each readable file's annotated copy into that folder (:func:`annotate_results`) and say
    so in its result (:attr:`FileResult.annotated`)."""
    results = list(iter_validate(paths, jobs=jobs, keep_documents=keep_documents, timeout=timeout,
                                 progress=progress))
    if annotate is not None:
        for result, copy in annotate_results(results, annotate, jobs=jobs, timeout=timeout):
            result.annotated = copy if copy is not None else False
    return results


__all__ = ["FileResult", "check_file", "check_submission", "validate_file", "validate_paths", "iter_validate",
           "validate_stream", "annotate_results", "expand_paths", "ERROR"]
