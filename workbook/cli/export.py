from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workbook.cli.common import err, library_errors
from workbook.cli.validate import print_problems
from workbook.messages import text


def export(
    file: Annotated[Path, typer.Argument(help="A filled form workbook.", exists=True, dir_okay=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="The JSON file to write.")],
) -> None:
    """Write a filled workbook's answers as JSON (the format `generate --prefill` reads).

    Values that break a rule are exported as read, and the problems are listed on stderr; a file
    that cannot be read as a form is not exported (exit 1).
    """
    from workbook.document import canonical, save_document
    from workbook.normalize import json_safe
    from workbook.read import read_workbook
    from workbook.validate import check_submission

    sub = read_workbook(file)
    problems = check_submission(sub)
    if sub.form is None:
        print_problems(problems, err)
        raise typer.Exit(1)
    with library_errors():
        save_document(json_safe(canonical(sub.document(), sub.form)), output)
    errors = [p for p in problems if p.is_error]
    if errors:
        err.print(text("cli.export_problems", errors=len(errors)), markup=False, highlight=False)
        print_problems(problems, err)
    err.print(text("cli.exported", path=output), markup=False, highlight=False)
