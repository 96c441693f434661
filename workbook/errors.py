"""The few exceptions raised when a run cannot even start.

Problems in the data are never raised: they are collected as :class:`workbook.problems.Problem`.
An exception carries a catalogue key and its parameters (``DataFormatError("error.prefill_unknown_keys",
keys="x, y")``); its words come from the catalogue when it is shown (``str(error)``), so the CLI
prints it in the user's language. A text already worded from the catalogue (``text(...)``) is
accepted in place of a key.
"""

from __future__ import annotations

from typing import Any


class WorkbookError(Exception):
    """Base class: the CLI turns any of these into a one-line message and exit code 2."""

    def __init__(self, key: str, /, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def __str__(self) -> str:
        return self.worded()

    def worded(self, language: str = "nb") -> str:
        """The message in ``language`` (a text worded before it was raised stays as it is)."""
        from workbook.messages import catalogue, text

        return text(self.key, language, **self.params) if self.key in catalogue(language) else self.key


class UnknownFormError(WorkbookError):
    """Raised by :func:`workbook.form.load_form` when no rules exist for a form id and version."""

    def __init__(self, form_id: object, form_version: object) -> None:
        super().__init__("error.unknown_form", form_id=form_id, form_version=form_version)
        self.form_id = form_id
        self.form_version = form_version


class GenerateError(WorkbookError):
    """Raised by the generator when xlsxwriter refuses something (a warning or a negative code)."""


class DataFormatError(WorkbookError):
    """Raised when a JSON data file (the export format) cannot be used, e.g. for ``--prefill``."""


class PdfError(WorkbookError):
    """Raised by :func:`workbook.pdf.convert_to_pdf` when LibreOffice is missing or the conversion
    fails (LibreOffice exits 0 even then, so the PDF's existence is what counts)."""


class WorkerStartError(WorkbookError):
    """Raised by :func:`workbook.workers.run_isolated` when a new worker process dies before it
    could take a file (a broken installation, or a script that starts workers without
    ``if __name__ == "__main__":``): no file is to blame, so none is reported as crashed."""

    def __init__(self, exit_code: object) -> None:
        super().__init__("error.worker_start", exit_code=exit_code)
