from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from workbook.cli.common import collect_workbooks, err, existing_file, library_errors, out, whole_number
from workbook.cli.common import text  # the catalogue, in the CLI's language

if TYPE_CHECKING:
    from rich.console import Console

    from workbook.consolidate import Consolidation


def consolidate(
    paths: Annotated[Optional[list[str]], typer.Argument(help=text("help.consolidate.paths"), metavar=text("help.paths"),
                                                         show_default=False)] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help=text("help.consolidate.output"),
                                         metavar=text("help.file"))] = ...,  # type: ignore[assignment]
    db: Annotated[Optional[str], typer.Option("--db", help=text("register.consolidate.help_db"),
                                              metavar=text("help.file"))] = None,
    member: Annotated[Optional[str], typer.Option(help=text("help.consolidate.member"), metavar=text("help.file"))] = None,
    jobs: Annotated[Optional[str], typer.Option(help=text("help.jobs"), metavar=text("help.count"))] = None,
    year: Annotated[Optional[str], typer.Option(help=text("consolidate.help_year"), metavar=text("help.year"))] = None,
    form_version: Annotated[Optional[str], typer.Option(help=text("consolidate.help_form_version"),
                                                        metavar=text("help.version_metavar"))] = None,
    lang: Annotated[Optional[str], typer.Option("--lang", help=text("help.consolidate.lang"), metavar="nb|nn")] = None,
) -> None:
    """Combine the agencies' workbooks into one form workbook for the member.

    Invalid workbooks are left out and listed with their problems; of two workbooks from the same
    agency for the same year the newest counts. The member's own workbook (--member, or the one
    made with generate --role medlem) is never summed as an agency's. Each figure is the member's
    own where it gave one, else the agencies' sum; tables are joined with a Virksomhet column,
    every free-text answer kept, attributed. Several years in one batch: choose with --year.
    """
    from workbook.cli.validate import print_problems
    from workbook.consolidate import consolidate as combine

    if db is not None or not paths:  # from the register (workbook/cli/register_consolidate.py)
        from workbook.cli.register_consolidate import consolidate_from_register

        return consolidate_from_register(db, bool(paths), output, member=member, jobs=jobs, year=year,
                                         form_version=form_version, language=lang)
    files, member_file = collect_workbooks(paths), existing_file(member, "--member")
    with library_errors():
        outcome = combine(files, member=member_file, jobs=whole_number(jobs, "--jobs", minimum=1),
                          year=whole_number(year, "--year", minimum=1), form_version=form_version, output=output,
                          language=lang)
    path = outcome.written
    print_outcome(outcome, out)
    if outcome.invalid:
        print_problems([p for r in outcome.invalid for p in r.problems], out)
    if outcome.member is None:
        err.print(text("consolidate.no_member"), markup=False, highlight=False)
    err.print(text("consolidate.written", path=path, agencies=len(outcome.agencies)), markup=False, highlight=False)


def print_outcome(outcome: Consolidation, console: Console) -> None:
    from rich.table import Table
    from rich.text import Text

    from workbook import wording
    from workbook.cli.common import cli_language
    from workbook.consolidate import agency_name
    from workbook.problems import group_digits

    if outcome.member is not None:
        console.print(text("consolidate.member_title"), style="bold green")
        console.print("  " + text("consolidate.agency_line", agency=agency_name(outcome.member),
                                  file=outcome.member.file), markup=False, highlight=False)
    console.print(text("consolidate.included_title", count=len(outcome.agencies)), style="bold green")
    for result in outcome.agencies:
        console.print("  " + text("consolidate.agency_line", agency=agency_name(result), file=result.file),
                      markup=False, highlight=False)
    if outcome.invalid:
        console.print(text("consolidate.invalid_title", count=len(outcome.invalid)), style="bold red")
        for result in outcome.invalid:
            console.print("  " + text("consolidate.invalid_line", file=result.file, errors=len(result.errors)),
                          markup=False, highlight=False)
    if outcome.superseded:
        console.print(text("consolidate.superseded_title", count=len(outcome.superseded)), style="bold yellow")
        for item in outcome.superseded:
            console.print("  " + text("consolidate.superseded_line", file=item.result.file,
                                      agency=agency_name(item.result), newer=item.newer.file),
                          markup=False, highlight=False)
    if outcome.mismatched:
        console.print(text("consolidate.mismatched_title", count=len(outcome.mismatched)), style="bold yellow")
        for result, reason in outcome.mismatched:
            console.print("  " + text("consolidate.mismatched_line", file=result.file, agency=agency_name(result),
                                      reason=reason), markup=False, highlight=False)
    table = Table(title=text("consolidate.figures_title_cli"), title_justify="left")
    for key in ("col_field", "col_sum", "col_member", "col_difference", "col_used"):
        table.add_column(text(f"consolidate.{key}"), justify="left" if key == "col_field" else "right")
    for key, total in outcome.sums.items():
        own = outcome.member_figures.get(key)
        difference = own - total if isinstance(own, int) and isinstance(total, int) else None
        marked = Text(group_digits(difference), style="red") if difference else ("0" if difference == 0 else "")
        table.add_row(wording.label(outcome.form, key, language=cli_language()), _number(total), _number(own), marked,
                      _number(outcome.document["data"].get(key)))
    console.print(table)


def _number(value: object) -> str:
    from workbook.problems import group_digits

    return group_digits(value) if isinstance(value, int) and not isinstance(value, bool) else ""
