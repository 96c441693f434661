from __future__ import annotations

from typing import Annotated, Optional

import typer

from workbook.cli.common import err, existing_file, library_errors, say
from workbook.messages import text


def report(
    file: Annotated[str, typer.Argument(help=text("help.report.file"), metavar=text("help.file"),
                                        show_default=False)],
    output: Annotated[str, typer.Option("--output", "-o", help=text("help.report.output"), metavar=text("help.file"))],
    pdf: Annotated[bool, typer.Option("--pdf", help=text("help.report.pdf"), metavar="")] = False,
    template: Annotated[Optional[str], typer.Option(help=text("help.report.template"),
                                                    metavar=text("help.file"))] = None,
) -> None:
    """Write the member report as a Word document (and PDF) from a filled workbook (help: cli.yaml)."""
    from workbook.cli.validate import print_problems
    from workbook.consolidate import appendix_from_tables, coverage_from_tables
    from workbook.pdf import convert_to_pdf
    from workbook.report import render_report
    from workbook.validate import check_submission, read_isolated

    path = existing_file(file, text("help.file"))
    template_path = existing_file(template, "--template")
    sub = read_isolated(path)  # a file that kills its reader is a problem of its own
    problems = check_submission(sub)
    if sub.form is None or any(p.is_error for p in problems):
        say(err, text("cli.report_invalid", file=path))
        print_problems(problems, err)
        raise typer.Exit(1)
    appendix = appendix_from_tables(sub.form, sub.extra_records) or None
    with library_errors():
        written = render_report(sub.document(), output, appendix=appendix, template=template_path, form=sub.form,
                                coverage=coverage_from_tables(sub.form, sub.extra_records))
    say(err, text("cli.report_written", path=written))
    if pdf:
        with library_errors():
            made = convert_to_pdf(written, written.parent)
        say(err, text("cli.report_written", path=made))
