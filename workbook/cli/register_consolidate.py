"""``workbook consolidate --db DB --year 2020 -o FILE``: the year consolidated from the register
(one call into :func:`workbook.register.consolidation.consolidate_register`), then said: what the
folder consolidation says, where each agency's figures came from, the older versions used, the
agencies missing and those not on the list."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from workbook.cli.common import err, existing_file, library_errors, out, say, usage_error, whole_number
from workbook.cli.register import open_register
from workbook.cli.common import text  # the catalogue, in the CLI's language

if TYPE_CHECKING:
    from workbook.register.consolidation import RegisterConsolidation


def consolidate_from_register(db: str | None, has_paths: bool, output: Path, *, member: str | None,
                              jobs: str | None, year: str | None, form_version: str | None,
                              language: str | None = None) -> None:
    """The consolidate command with ``--db`` (or with neither PATH nor ``--db``: a usage error)."""
    from workbook.cli.consolidate import print_outcome
    from workbook.register.consolidation import consolidate_register

    if db is None:
        usage_error(text("register.consolidate.usage_neither"))
    if has_paths:
        usage_error(text("register.consolidate.usage_both"))
    if member is not None:
        usage_error(text("register.consolidate.usage_member"))
    wanted_year = whole_number(year, "--year", minimum=1)
    if wanted_year is None:
        usage_error(text("register.consolidate.usage_year"))
    wanted_jobs = whole_number(jobs, "--jobs", minimum=1)
    db_path = existing_file(db, "--db")  # a register that is not there is not made empty here
    with open_register(db_path) as reg, library_errors():
        outcome = consolidate_register(reg, wanted_year, output=output, jobs=wanted_jobs, form_version=form_version,
                                       language=language)
    print_outcome(outcome, out)
    print_register_notes(outcome)
    if outcome.member is None:
        say(err, text("consolidate.no_member"))
    say(err, text("consolidate.written", path=outcome.written, agencies=len(outcome.agencies)))


def print_register_notes(outcome: RegisterConsolidation) -> None:
    """Where the figures came from, the older versions used, and who is missing or not on the list."""
    from workbook.register.consolidation import source_summary
    from workbook.register.times import local_time

    sources = source_summary(outcome)
    say(out, text("register.consolidate.sources_title", count=len(sources)), "bold green")
    for source in sources:
        say(out, "  " + text("register.consolidate.source_line", **source))
    if outcome.older_used:
        say(out, text("register.consolidate.older_title", count=len(outcome.older_used)), "bold yellow")
        for s in outcome.older_used:
            assert s.newer is not None
            say(out, "  " + text("register.consolidate.older_line", agency=s.agency, version=s.version,
                                 received=local_time(s.submission["received"]), newer=s.newer_version,
                                 newer_received=local_time(s.newer["received"]), errors=s.newer["errors"]))
    if not outcome.has_list:
        say(err, text("register.consolidate.no_list", year=outcome.year), "yellow")
        return
    if outcome.missing:
        say(out, text("register.consolidate.missing_title", year=outcome.year, count=len(outcome.missing)), "bold red")
        for m in outcome.missing:
            if m.newest is None:
                say(out, "  " + text("register.consolidate.not_delivered_line", agency=m.agency))
            else:
                say(out, "  " + text("register.consolidate.no_valid_line", agency=m.agency, version=m.version,
                                     outcome=text(f"register.outcome_{m.newest['outcome']}"),
                                     errors=m.newest["errors"]))
    if outcome.unknown:
        say(out, text("register.consolidate.unknown_title", year=outcome.year, count=len(outcome.unknown)),
            "bold yellow")
        for s in outcome.unknown:
            say(out, f"  {s.agency}")
