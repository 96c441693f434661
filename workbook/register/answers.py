"""A submission's answers, read again from its stored file when a command needs them (next year's
workbooks, the archive package), in the JSON format ``workbook export`` writes.

Collect does not keep the answers in the database: turning 1,000 workbooks' answers into JSON and
writing them (about 45 MB) cost more than the 20 % over ``validate`` that collecting may take,
for the few commands that read them. The stored file is the one source; it is read in worker
processes, like ``validate``, after its bytes are checked against its hash.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Sequence
from typing import Any

from workbook.form import load_form
from workbook.register.core import Register
from workbook.register.db import RegisterError
from workbook.validate import FileResult, validate_paths


class StoredFileChanged(Exception):
    """A stored file is missing or no longer matches its hash (``row``: its submission); each
    command says so in its own words."""

    def __init__(self, row: sqlite3.Row) -> None:
        super().__init__(row["sha256"])
        self.row = row


def read_stored(reg: Register, rows: Sequence[sqlite3.Row], *, jobs: int | None = None) -> list[FileResult]:
    """The stored files of ``rows`` read again in worker processes, their data kept, each result
    naming the file as the agency sent it. :class:`StoredFileChanged` when a stored file is missing
    or no longer matches its hash: nothing is read then."""
    for row in rows:
        if not reg.store.verify(row["sha256"]):
            raise StoredFileChanged(row)
    if not rows:
        return []
    read = validate_paths([reg.store.path(row["sha256"]) for row in rows], jobs=jobs, keep_documents=True)
    return [as_sent(result, row["filename"]) for row, result in zip(rows, read)]


def as_sent(result: FileResult, filename: str) -> FileResult:
    """The result naming the file as the agency sent it, not its place in the store."""
    problems = [dataclasses.replace(p, file=filename) for p in result.problems]
    return dataclasses.replace(result, file=filename, problems=problems)


def stored_answers(reg: Register, rows: Sequence[sqlite3.Row], *, jobs: int | None = None) -> dict[int, dict[str, Any]]:
    """Per submission id (of ``rows``, readable submissions) its answers as ``workbook export``
    writes them; a submission whose rules cannot be loaded any more is left out. RegisterError
    naming the file when a stored file is missing or no longer matches its hash."""
    try:
        read = read_stored(reg, rows, jobs=jobs)
    except StoredFileChanged as changed:
        raise RegisterError("register.answers.error_store", agency=changed.row["agency"],
                            sha256=changed.row["sha256"]) from None
    answers = {row["id"]: _json_document(result) for row, result in zip(rows, read)}
    return {sid: document for sid, document in answers.items() if document is not None}


def _json_document(result: FileResult) -> dict[str, Any] | None:
    """The answers as ``workbook export`` makes them (:func:`workbook.validate.check_file`, then
    :meth:`FileResult.json_document`)."""
    if not result.readable or result.document is None:
        return None
    try:
        result.form = load_form(str(result.metadata.get("form_id")), str(result.metadata.get("form_version") or ""))
    except Exception:  # noqa: BLE001 - no rules for it any more: no answers to give
        return None
    return result.json_document()
