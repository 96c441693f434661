from __future__ import annotations

from typing import Annotated

import typer

from workbook.cli.common import ascii_json, err, existing_file, library_errors, say, write_stdout
from workbook.cli.validate import print_problems
from workbook.cli.common import text  # the catalogue, in the CLI's language

STDOUT = "-"


def export(
    file: Annotated[str, typer.Argument(help=text("help.export.file"), metavar=text("help.file"),
                                        show_default=False)],
    output: Annotated[str, typer.Option("--output", "-o", help=text("help.export.output"),
                                        metavar=text("help.json_file"))],
) -> None:
    """Write a filled workbook's answers as JSON (help: cli.yaml); ``-o -`` writes to stdout."""
    from workbook.document import dumps, save_document
    from workbook.validate import check_file

    path = existing_file(file, text("help.file"))
    result = check_file(path)
    problems = result.problems
    document = result.json_document()
    if document is None:
        print_problems(problems, err, {result.file: result.language})
        raise typer.Exit(1)
    if output == STDOUT:
        write_stdout(ascii_json(dumps(document)))  # ASCII, like --json: intact whatever the console's encoding
    else:
        with library_errors():
            save_document(document, output)
    errors = [p for p in problems if p.is_error]
    if errors:
        say(err, text("cli.export_problems", errors=len(errors)))
        print_problems(problems, err, {result.file: result.language})
    if output != STDOUT:
        say(err, text("cli.exported", path=output))
