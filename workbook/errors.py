"""The few exceptions raised when a run cannot even start.

Problems in the data are never raised: they are collected as :class:`workbook.problems.Problem`.
"""

from __future__ import annotations


class WorkbookError(Exception):
    """Base class: the CLI turns any of these into a one-line message and exit code 2."""


class UnknownFormError(WorkbookError):
    """Raised by :func:`workbook.form.load_form` when no rules exist for a form id and version."""

    def __init__(self, form_id: object, form_version: object) -> None:
        super().__init__(f"no rules for form {form_id!r} version {form_version!r}")
        self.form_id = form_id
        self.form_version = form_version


class GenerateError(WorkbookError):
    """Raised by the generator when xlsxwriter refuses something (a warning or a negative code)."""


class DataFormatError(WorkbookError):
    """Raised when a JSON data file (the export format) cannot be used, e.g. for ``--prefill``."""


class PdfError(WorkbookError):
    """Raised by :func:`workbook.pdf.convert_to_pdf` when LibreOffice is missing or the conversion
    fails (LibreOffice exits 0 even then, so the PDF's existence is what counts)."""
