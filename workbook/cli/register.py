"""``workbook register …``: the submission register's commands, each one call into
:mod:`workbook.register` and its printing. ``--db`` names the register on every command."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from workbook.cli.common import collect_workbooks, err, json_text, library_errors, out, say, say_lines, whole_number, write_stdout
from workbook.cli.localized import Command, Group
from workbook.cli.common import text  # the catalogue, in the CLI language

if TYPE_CHECKING:
    from workbook.register import Register
    from workbook.register.collect import Receipt

app = typer.Typer(cls=Group, help=text("register.help"), no_args_is_help=True, add_completion=False,
                  options_metavar=text("help.options_metavar"),
                  context_settings={"help_option_names": ["-h", "--help"]})

#: ``--year`` as the register's commands take it (required)
YearOption = Annotated[str, typer.Option("--year", help=text("register.help_year"), metavar=text("help.year"),
                                         show_default=False)]


def year_of(value: str) -> int:
    """A required ``--year`` as a whole number, or a usage error."""
    year = whole_number(value, "--year", minimum=1)
    assert year is not None  # typer makes --year required, so a value is there
    return year


#: ``--db`` as every register command takes it
DbOption = Annotated[Optional[Path], typer.Option("--db", help=text("register.help_db"), metavar=text("help.file"))]


def open_register(db: Path | None, *, create: bool = False) -> Register:
    """The register named by ``--db`` (or its default), opened; a one-line error if it cannot be
    or, unless ``create`` (the commands that put something in), if it is not there."""
    from workbook.register import Register

    with library_errors():
        return Register.open(db, create=create)


def collect(
    paths: Annotated[list[str], typer.Argument(help=text("register.collect.help_paths"), metavar=text("help.paths"),
                                               show_default=False)],
    sender: Annotated[Optional[str], typer.Option("--from", help=text("register.collect.help_from"),
                                                  metavar=text("help.text"))] = None,
    year: Annotated[Optional[str], typer.Option(help=text("register.collect.help_year"), metavar=text("help.year"))] = None,
    jobs: Annotated[Optional[str], typer.Option(help=text("help.jobs"), metavar=text("help.count"))] = None,
    as_json: Annotated[bool, typer.Option("--json", help=text("register.collect.help_json"), metavar="")] = False,
    db: DbOption = None,
) -> None:
    """Take filled workbooks in (help: register.yaml)."""
    from workbook.cli.validate import print_problems
    from workbook.register.collect import collect as take_in

    files = collect_workbooks(paths)
    wanted_year, wanted_jobs = whole_number(year, "--year", minimum=1), whole_number(jobs, "--jobs", minimum=1)
    with open_register(db, create=True) as reg, library_errors():
        # each receipt printed as soon as its file is recorded (the JSON is one document, written at the end)
        receipts = take_in(reg, files, sender=sender, year=wanted_year, jobs=wanted_jobs,
                           progress=None if as_json else print_receipt)
    if as_json:
        write_stdout(json_text({"receipts": [_receipt_dict(r) for r in receipts]}))
    else:
        problems = [p for r in receipts for p in (r.refused.problems if r.refused is not None else r.problems)]
        if problems:
            print_problems(problems, out)
        new = [r for r in receipts if not r.duplicate and r.refused is None]
        say(out, text("register.collect.totals", files=len(receipts), new=len(new),
                      valid=sum(r.outcome == "valid" for r in new), invalid=sum(r.outcome == "invalid" for r in new),
                      unreadable=sum(r.outcome == "unreadable" for r in new),
                      duplicates=sum(r.duplicate for r in receipts)))
    raise typer.Exit(0)


def _receipt_dict(receipt: Receipt) -> dict[str, object]:
    from dataclasses import asdict

    fields = asdict(receipt)
    fields["refused"] = receipt.refused.to_dict() if receipt.refused is not None else None
    fields["problems"] = [p.to_dict() for p in receipt.problems]
    return fields


def print_receipt(receipt: Receipt) -> None:
    if receipt.refused is not None:
        say(err, text("register.collect.refused", file=receipt.filename), "red")
        return
    from workbook.register.times import local_time

    lines: list[tuple[str, str | None]] = [(text("register.collect.receipt", file=receipt.filename), "bold")]
    agency = receipt.agency or text("register.unknown_agency")
    if receipt.agency and not receipt.agency_known:
        lines.append((text("register.collect.agency_unknown", agency=agency, unknown=text("register.unknown_agency"),
                           year=receipt.year), "yellow"))
    elif receipt.version is not None:
        lines.append((text("register.collect.agency_version", agency=agency, version=receipt.version,
                           year=receipt.year), None))
    else:
        lines.append((text("register.collect.agency", agency=agency), None))
    lines.append((text("register.collect.received", time=local_time(receipt.received)), None))
    if receipt.sender:
        lines.append((text("register.collect.sender", sender=receipt.sender), None))
    lines.append((text("register.collect.hash", sha256=receipt.sha256), None))
    lines.append((text("register.collect.outcome", outcome=text(f"register.outcome_{receipt.outcome}"),
                       errors=receipt.errors, warnings=receipt.warnings),
                  "green" if receipt.outcome == "valid" else "red"))
    if receipt.duplicate:
        lines.append((text("register.collect.duplicate", version=receipt.version or "?"), "yellow"))
    say_lines(out, lines)


app.command("collect", cls=Command, help=text("register.collect.command"))(collect)
from workbook.cli import register_status  # noqa: E402,F401
from workbook.cli import register_links  # noqa: E402,F401
from workbook.cli import register_check  # noqa: E402,F401
