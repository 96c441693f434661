from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from workbook.cli.common import err, library_errors
from workbook.messages import text


def report(
    file: Annotated[Path, typer.Argument(help="A filled form workbook: one member's, or a consolidated one.",
                                         exists=True, dir_okay=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="The Word report to write (.docx).")],
    pdf: Annotated[bool, typer.Option("--pdf", help="Also write a PDF beside it (needs LibreOffice).")] = False,
    template: Annotated[Optional[Path], typer.Option(help="Another Word template (default: templates/report.docx).",
                                                     exists=True, dir_okay=False)] = None,
) -> None:
    """Write the member report as a Word document (and PDF) from a filled workbook.

    The report reads like the published member reports: title page, foreword, facts, goals,
    sections 1 to 3 with their questions and answers, tables and contact. A consolidated workbook
    adds an appendix with each agency's answers. A workbook with errors is not published (exit 1).
    """
    from workbook.cli.validate import print_problems
    from workbook.consolidate import appendix_from_tables, coverage_from_tables
    from workbook.pdf import convert_to_pdf
    from workbook.read import read_workbook
    from workbook.report import render_report
    from workbook.validate import check_submission

    sub = read_workbook(file)
    problems = check_submission(sub)
    if sub.form is None or any(p.is_error for p in problems):
        err.print(text("cli.report_invalid", file=file), markup=False, highlight=False)
        print_problems(problems, err)
        raise typer.Exit(1)
    appendix = appendix_from_tables(sub.form, sub.extra_tables) or None
    with library_errors():
        path = render_report(sub.document(), output, appendix=appendix, template=template, form=sub.form,
                             coverage=coverage_from_tables(sub.form, sub.extra_tables))
    err.print(text("cli.report_written", path=path), markup=False, highlight=False)
    if pdf:
        with library_errors():
            made = convert_to_pdf(path, path.parent)
        err.print(text("cli.report_written", path=made), markup=False, highlight=False)
