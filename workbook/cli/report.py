from __future__ import annotations

from typing import Annotated, Optional

import typer

from workbook.cli.common import err, existing_file, library_errors, say, usage_error
from workbook.cli.common import text  # the catalogue, in the CLI's language


def report(
    file: Annotated[str, typer.Argument(help=text("help.report.file"), metavar=text("help.file"),
                                        show_default=False)],
    output: Annotated[str, typer.Option("--output", "-o", help=text("help.report.output"), metavar=text("help.file"))],
    pdf: Annotated[bool, typer.Option("--pdf", help=text("help.report.pdf"), metavar="")] = False,
    template: Annotated[Optional[str], typer.Option(help=text("help.report.template"),
                                                    metavar=text("help.file"))] = None,
    lang: Annotated[str, typer.Option("--lang", help=text("help.report.lang"), metavar="nb|nn")] = "nb",
) -> None:
    """Write the member report as a Word document (and PDF) from a filled workbook (help: cli.yaml)."""
    from workbook.cli.validate import print_problems
    from workbook.pdf import convert_to_pdf
    from workbook.report import check_language, report_file

    try:
        language = check_language(lang)
    except ValueError as error:
        usage_error(str(error))
    path = existing_file(file, text("help.file"))
    template_path = existing_file(template, "--template")
    with library_errors():
        result, written = report_file(path, output, template=template_path, language=language)
    if written is None:
        say(err, text("cli.report_invalid", file=path))
        print_problems(result.problems, err, {result.file: result.language})
        raise typer.Exit(1)
    say(err, text("cli.report_written", path=written))
    if pdf:
        with library_errors():
            made = convert_to_pdf(written, written.parent)
        say(err, text("cli.report_written", path=made))
