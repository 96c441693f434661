"""``workbook register link | feedback | export``: what the central unit sends out from the register
(upload links, feedback to the agencies) and the year's archive package. Each command is one call
into :mod:`workbook.register.links`, :mod:`~workbook.register.feedback` or
:mod:`~workbook.register.archive`, and its printing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from workbook.cli.common import library_errors, out, say, usage_error
from workbook.cli.localized import Command
from workbook.cli.register import DbOption, YearOption, app, open_register, year_of
from workbook.cli.common import text  # the catalogue, in the CLI language



def link(
    year: Annotated[str, typer.Option("--year", help=text("register.link.help_year"), metavar=text("help.year"),
                                      show_default=False)],
    agency: Annotated[Optional[str], typer.Argument(help=text("register.link.help_agency"), metavar=text("help.name"),
                                                    show_default=False)] = None,
    all_agencies: Annotated[bool, typer.Option("--all", help=text("register.link.help_all"), metavar="")] = False,
    revoke: Annotated[bool, typer.Option("--revoke", help=text("register.link.help_revoke"), metavar="")] = False,
    base_url: Annotated[Optional[str], typer.Option("--base-url", help=text("register.link.help_base_url"),
                                                    metavar="URL")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help=text("register.link.help_output"),
                                                   metavar=text("help.file"))] = None,
    db: DbOption = None,
) -> None:
    """Personal upload links (help: register_links.yaml)."""
    from workbook.register import links

    wanted = year_of(year)
    if agency is not None and all_agencies:
        usage_error(text("register.link.agency_and_all"))
    if agency is None and not all_agencies:
        usage_error(text("register.link.needs_agency"))
    if all_agencies and not revoke and output is None:
        usage_error(text("register.link.all_needs_output"))
    if output is not None and (not all_agencies or revoke):
        usage_error(text("register.link.output_only_all"))
    with open_register(db) as reg, library_errors():
        if revoke:
            say(out, text("register.link.revoked", count=links.revoke(reg, agency, wanted)))
            return
        base = links.base_url(base_url)
        if all_agencies:
            assert output is not None
            made, revoked = links.make_all_links(reg, wanted, base, output)
            say(out, text("register.link.all_made", count=len(made), year=wanted, file=output, revoked=revoked))
            say(out, text("register.link.all_secret"), "yellow")
            return
        assert agency is not None
        new, revoked = links.make_link(reg, agency, wanted, base)
    say(out, text("register.link.made", agency=new.agency, year=wanted))
    say(out, new.url, "bold")
    say(out, text("register.link.shown_once"), "yellow")
    if revoked:
        say(out, text("register.link.revoked", count=revoked))


def feedback(
    year: YearOption,
    output: Annotated[Path, typer.Option("--output", "-o", help=text("register.feedback.help_output"),
                                         metavar=text("help.folder"), show_default=False)],
    db: DbOption = None,
) -> None:
    """Feedback to the agencies (help: register_links.yaml)."""
    from workbook.register.feedback import write_feedback

    wanted = year_of(year)
    with open_register(db) as reg, library_errors():
        run = write_feedback(reg, wanted, output)
    if not run.entries:
        say(out, text("register.feedback.none", year=wanted))
    else:
        say(out, text("register.feedback.written", count=len(run.entries), year=wanted, folder=run.folder), "bold")
        for entry in run.entries:
            say(out, text("register.feedback.entry", agency=entry.agency, version=entry.version,
                          errors=entry.errors, file=entry.file))
    say(out, text("register.feedback.list_written", files=", ".join(str(p) for p in run.lists)))
    if run.unattributed:
        say(out, text("register.feedback.unattributed", count=run.unattributed, year=wanted), "yellow")


def export(
    year: YearOption,
    output: Annotated[Path, typer.Option("--output", "-o", help=text("register.export.help_output"),
                                         metavar=text("help.folder"), show_default=False)],
    db: DbOption = None,
) -> None:
    """The year's archive package (help: register_links.yaml)."""
    from workbook.register.archive import export_archive

    wanted = year_of(year)
    with open_register(db) as reg, library_errors():
        run = export_archive(reg, wanted, output)
    say(out, text("register.export.written", year=wanted, count=run.records, folder=run.folder,
                  metadata=run.metadata.name), "bold")
    if run.missing:
        say(out, text("register.export.missing", agencies=", ".join(run.missing)), "yellow")
    if run.unknown:
        say(out, text("register.export.unknown", count=run.unknown), "yellow")


app.command("link", cls=Command, help=text("register.link.command"))(link)
app.command("feedback", cls=Command, help=text("register.feedback.command"))(feedback)
app.command("export", cls=Command, help=text("register.export.command"))(export)
