"""``workbook register agencies import|list``, ``register deadline``, ``register status`` and
``register history``: each one call into :mod:`workbook.register` and its printing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from workbook.cli.common import err, existing_file, json_text, library_errors, out, say, usage_error, whole_number, \
    write_stdout
from workbook.cli.localized import Command, Group
from workbook.cli.register import DbOption, YearOption, app, open_register, year_of
from workbook.register.times import local_time
from workbook.cli.common import text  # the catalogue, in the CLI language

agencies_app = typer.Typer(cls=Group, help=text("register.agencies.command"), no_args_is_help=True,
                           add_completion=False, options_metavar=text("help.options_metavar"),
                           context_settings={"help_option_names": ["-h", "--help"]})
app.add_typer(agencies_app, name="agencies", help=text("register.agencies.command"))



# --- agencies --------------------------------------------------------------------------------------
def agencies_import(
    file: Annotated[str, typer.Argument(help=text("register.agencies.help_file"), metavar=text("help.file"),
                                        show_default=False)],
    year: Annotated[str, typer.Option("--year", help=text("register.agencies.help_year_import"),
                                      metavar=text("help.year"), show_default=False)],
    db: DbOption = None,
) -> None:
    """Import the year's list of agencies (help: register_status.yaml)."""
    from workbook.register.agencies import import_agencies

    path = existing_file(file, text("help.file"))
    wanted = year_of(year)
    with open_register(db, create=True) as reg, library_errors():
        result = import_agencies(reg, path, wanted)
    for warning in result.warnings:
        say(err, warning, "yellow")
    if result.ignored_columns:
        say(err, text("register.agencies.ignored_columns", columns=", ".join(result.ignored_columns)), "yellow")
    total = len(result.added) + len(result.changed) + result.unchanged
    say(out, text("register.agencies.imported", year=wanted, total=total, added=len(result.added),
                  changed=len(result.changed), removed=len(result.removed), unchanged=result.unchanged), "green")
    for key, names in (("added", result.added), ("changed", result.changed), ("removed", result.removed)):
        for name in names:
            say(out, text(f"register.agencies.{key}", name=name))
    if result.links_removed:
        say(out, text("register.agencies.links_removed", count=result.links_removed), "yellow")


def agencies_list(
    year: Annotated[Optional[str], typer.Option("--year", help=text("register.agencies.help_year_list"),
                                                metavar=text("help.year"))] = None,
    as_json: Annotated[bool, typer.Option("--json", help=text("register.agencies.help_json"), metavar="")] = False,
    db: DbOption = None,
) -> None:
    """Show the list of agencies (help: register_status.yaml)."""
    from workbook.register.agencies import list_agencies, role_word

    wanted = whole_number(year, "--year", minimum=1)
    with open_register(db) as reg, library_errors():
        listed, rows = list_agencies(reg, wanted)
    if as_json:
        write_stdout(json_text({"year": wanted or listed, "list_year": listed,
                                "agencies": [{"id": r["id"], "name": r["name"], "role": r["role"], "email": r["email"]}
                                             for r in rows]}))
        return
    if listed is None:
        say(out, text("register.agencies.list_none_year", year=wanted) if wanted else text("register.agencies.list_none"))
        return
    shown = wanted or listed
    if listed != shown:
        say(out, text("register.agencies.list_from_earlier", year=shown, listed=listed), "yellow")
    say(out, text("register.agencies.list_heading", year=shown, count=len(rows)), "bold")
    from rich.table import Table

    table = Table(show_edge=False, pad_edge=False)
    for key in ("name", "role", "email"):
        table.add_column(text(f"register.agencies.col_{key}"))
    for row in rows:
        table.add_row(row["name"], role_word(row["role"]), row["email"] or "")
    out.print(table)


agencies_app.command("import", cls=Command, help=text("register.agencies.import_command"))(agencies_import)
agencies_app.command("list", cls=Command, help=text("register.agencies.list_command"))(agencies_list)


# --- deadline --------------------------------------------------------------------------------------
def deadline(
    date: Annotated[str, typer.Argument(help=text("register.deadline.help_date"), metavar=text("register.deadline.metavar_date"),
                                        show_default=False)],
    year: YearOption,
    db: DbOption = None,
) -> None:
    """Set the year's deadline (help: register_status.yaml)."""
    from workbook.register.deadline import parse_date, set_deadline, shown_date

    wanted = year_of(year)
    with library_errors():
        day = parse_date(date)
    with open_register(db, create=True) as reg, library_errors():
        set_deadline(reg, wanted, day)
    say(out, text("register.deadline.set", year=wanted, date=shown_date(day)), "green")
    if day.year <= wanted:
        say(err, text("register.deadline.before_year_end", date=shown_date(day), year=wanted), "yellow")


app.command("deadline", cls=Command, help=text("register.deadline.command"))(deadline)


# --- status ----------------------------------------------------------------------------------------
def status(
    year: YearOption,
    as_json: Annotated[bool, typer.Option("--json", help=text("register.status.help_json"), metavar="")] = False,
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help=text("register.status.help_output"),
                                                   metavar=text("help.file"))] = None,
    db: DbOption = None,
) -> None:
    """Where the year stands (help: register_status.yaml)."""
    from workbook.register.status import status as year_status, write_status

    wanted = year_of(year)
    if output is not None and output.suffix.lower() not in (".xlsx", ".csv"):
        usage_error(text("register.status.error_output", file=output.name))
    with open_register(db) as reg, library_errors():
        result = year_status(reg, wanted)
    with library_errors():
        written = write_status(result, output) if output is not None else None
    if as_json:
        write_stdout(json_text(result.to_dict()))
    else:
        print_status(result)
    if written is not None:
        say(err if as_json else out, text("register.status.written", file=written))


def print_status(result) -> None:  # noqa: ANN001 - a workbook.register.status.Status
    from workbook.register.deadline import shown_date
    from workbook.register.status import note, status_word

    counts = result.counts()
    if result.list_year is None:
        say(out, text("register.status.no_list", year=result.year), "yellow")
    elif result.list_year != result.year:
        say(out, text("register.status.list_from_earlier", year=result.year, listed=result.list_year), "yellow")
    say(out, text("register.status.heading", year=result.year, **counts), "bold")
    if counts["unreadable"]:
        say(out, text("register.status.heading_unreadable", count=counts["unreadable"]))
    if result.deadline is None:
        say(out, text("register.status.no_deadline_line", year=result.year))
    elif result.past_deadline:
        say(out, text("register.status.deadline_passed", date=shown_date(result.deadline), late=counts["late"]), "yellow")
    else:
        say(out, text("register.status.deadline", date=shown_date(result.deadline)))
    for line in result.agencies:
        _print_line(line, note, status_word)
    if result.unknown:
        say(out, text("register.status.unknown_heading", unknown=text("register.unknown_agency")), "bold")
        for line in result.unknown:
            _print_line(line, note, status_word)
    if result.unreadable:
        say(out, text("register.status.unreadable_heading"), "bold")
        for line in result.unreadable:
            say(out, text("register.status.line_unreadable", file=line.filename, status=status_word(line),
                          received=local_time(line.received)) + (text("register.status.line_sender", sender=line.sender)
                                                                 if line.sender else ""), "red")


def _print_line(line, note, status_word) -> None:  # noqa: ANN001
    word = status_word(line)
    if line.status == "missing":
        message = text("register.status.line_missing", agency=line.agency, status=word)
        if line.late:
            message += text("register.status.line_late")
        say(out, message, "red" if line.late else None)
        return
    errors = text("register.status.line_errors", errors=line.errors) if line.status != "valid" else ""
    message = text("register.status.line_delivered", agency=line.agency, status=word, errors=errors,
                   version=line.version, received=local_time(line.received))
    if line.sender:
        message += text("register.status.line_sender", sender=line.sender)
    say(out, message, "green" if line.status == "valid" else "red")
    if line.feedback_file:
        say(out, text("register.status.line_feedback", file=line.feedback_file))
    if extra := note(line, unlisted=False):  # the heading says it of the unlisted ones
        say(out, text("register.status.line_note", note=extra))


app.command("status", cls=Command, help=text("register.status.command"))(status)


# --- history ---------------------------------------------------------------------------------------
def history(
    agency: Annotated[str, typer.Argument(help=text("register.history.help_agency"),
                                          metavar=text("register.history.metavar_agency"),
                                          show_default=False)],
    year: YearOption,
    as_json: Annotated[bool, typer.Option("--json", help=text("register.history.help_json"), metavar="")] = False,
    db: DbOption = None,
) -> None:
    """An agency's versions (help: register_status.yaml)."""
    from workbook.register.history import history as agency_history

    wanted = year_of(year)
    with open_register(db) as reg, library_errors():
        result = agency_history(reg, wanted, agency)
    if as_json:
        write_stdout(json_text(result.to_dict()))
        return
    heading = "heading" if result.listed else "heading_unknown"
    say(out, text(f"register.history.{heading}", agency=result.agency, count=len(result.versions), year=wanted,
                  unknown=text("register.unknown_agency")), "bold")
    if not result.versions:
        say(out, text("register.history.nothing"))
    for version in result.versions:
        _print_version(version, version is result.current)


def _print_version(version, current: bool) -> None:  # noqa: ANN001 - a workbook.register.history.Version
    line = text("register.history.version", number=version.number, outcome=text(f"register.outcome_{version.outcome}"),
                errors=version.errors, warnings=version.warnings, received=local_time(version.received))
    say(out, line + (text("register.history.current") if current else ""),
        "green" if version.outcome == "valid" else "red")
    if version.form_version:
        say(out, text("register.history.form_version", form_version=version.form_version))
    say(out, text("register.history.file", file=version.filename))
    if version.sender:
        say(out, text("register.history.sender", sender=version.sender))
    say(out, text("register.history.hash", sha256=version.sha256))
    if version.problems:
        say(out, text("register.history.problems", problems=", ".join(f"{code} ({n})"
                                                                       for code, n in version.problems.items())))
    for receipt in version.receipts:
        if receipt["duplicate"]:
            sender = text("register.history.duplicate_sender", sender=receipt["sender"]) if receipt["sender"] else ""
            say(out, text("register.history.duplicate", received=local_time(receipt["received"]), sender=sender),
                "yellow")


app.command("history", cls=Command, help=text("register.history.command"))(history)
