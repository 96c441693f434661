"""``workbook register check``: is every recorded file still in the store with its bytes, and is the
database whole? One call to :func:`workbook.register.check.check`, then its printing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from workbook.cli.common import err, json_text, library_errors, out, say, write_stdout
from workbook.cli.localized import Command
from workbook.cli.register import DbOption, app, open_register
from workbook.cli.common import text  # the catalogue, in the CLI language

if TYPE_CHECKING:
    from workbook.register.check import CheckReport


def check(
    as_json: Annotated[bool, typer.Option("--json", help=text("register.check.help_json"), metavar="")] = False,
    db: DbOption = None,
) -> None:
    """Check the register (help: register_check.yaml)."""
    from workbook.register.check import check as check_register
    from workbook.register.db import register_path

    if not register_path(db).is_file():  # opening would make a new, empty register: nothing to check
        say(err, text("cli.error", message=text("register.check.no_register", path=register_path(db))))
        raise typer.Exit(2)
    with open_register(db) as reg, library_errors():
        report = check_register(reg)
    if as_json:
        write_stdout(json_text(report.to_dict()))
    else:
        print_report(report)
    raise typer.Exit(0 if report.consistent else 1)


def print_report(report: CheckReport) -> None:
    for key, found in (("missing", report.missing), ("altered", report.altered)):
        for damage in found:
            say(err, text(f"register.check.{key}", kind=text(f"register.check.kind_{damage.kind}"),
                          sha256=damage.sha256), "red")
            for sid, agency, filename, year in damage.submissions:
                say(err, text("register.check.owner", submission=sid, agency=agency or text("register.unknown_agency"),
                              file=filename, year=year if year is not None else "?"))
    for line in report.integrity:
        say(err, text("register.check.integrity", detail=line), "red")
    for table, rowid, parent in report.references:
        say(err, text("register.check.reference", table=table, rowid=rowid, parent=parent), "red")
    for sha256 in report.unrecorded:
        say(out, text("register.check.unrecorded", sha256=sha256), "yellow")
    if report.temporary:
        say(out, text("register.check.temporary", count=len(report.temporary)), "yellow")
    if report.consistent:
        say(out, text("register.check.ok", checked=report.checked, unrecorded=len(report.unrecorded)), "green")
    else:
        say(err, text("register.check.not_ok", checked=report.checked, missing=len(report.missing),
                      altered=len(report.altered), database=len(report.integrity) + len(report.references)), "red")


app.command("check", cls=Command, help=text("register.check.command"))(check)
