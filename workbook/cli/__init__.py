"""The ``workbook`` command: a thin layer over the library (parse, call, print, exit).

Only this package knows typer and rich. Exit codes: 0 all good, 1 a file is invalid or a step
failed on the data, 2 a usage error or a run that could not start.
"""

from __future__ import annotations

import typer

from workbook.cli import consolidate, export, generate, report, validate

app = typer.Typer(
    name="workbook",
    help="Collect, check and publish the annual ethical-trade member report (Etisk handel Norge).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("generate")(generate.generate)
app.command("validate")(validate.validate)
app.command("export")(export.export)
app.command("consolidate")(consolidate.consolidate)
app.command("report")(report.report)


def main() -> None:
    app()
