from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from workbook.cli.common import err, existing_file, library_errors, out, say, usage_error, whole_number
from workbook.form import DEFAULT_FORM, ROLE_AGENCY, ROLE_MEMBER
from workbook.cli.common import text  # the catalogue, in the CLI's language
from workbook.messages import DEFAULT_LANGUAGE

if TYPE_CHECKING:
    from workbook.form import Form

DEFAULT_YEAR = 2020


def generate(
    output: Annotated[Optional[str], typer.Option("--output", "-o", help=text("help.generate.output"),
                                                  metavar=text("help.file"))] = None,
    year: Annotated[Optional[str], typer.Option(help=text("help.generate.year", year=DEFAULT_YEAR),
                                                metavar=text("help.year"))] = None,
    agency: Annotated[Optional[str], typer.Option(help=text("help.generate.agency"), metavar=text("help.name"))] = None,
    prefill: Annotated[Optional[str], typer.Option(help=text("help.generate.prefill"),
                                                   metavar=text("help.json_file"))] = None,
    form_version: Annotated[Optional[str], typer.Option(help=text("help.generate.form_version",
                                                                  version=DEFAULT_FORM[1]),
                                                        metavar=text("help.version_metavar"))] = None,
    role: Annotated[Optional[str], typer.Option(help=text("cli.help_role"), metavar=text("help.role_metavar"))] = None,
    lang: Annotated[Optional[str], typer.Option("--lang", help=text("help.generate.lang"), metavar="nb|nn")] = None,
    db: Annotated[Optional[Path], typer.Option("--db", help=text("help.generate.db"), metavar=text("help.file"))] = None,
    out_dir: Annotated[Optional[str], typer.Option("--out-dir", help=text("help.generate.out_dir"),
                                                   metavar=text("help.folder"))] = None,
) -> None:
    """Write the report form as an Excel workbook for an agency to fill in (help: cli.yaml)."""
    from workbook.document import load_document
    from workbook.form import load_form
    from workbook.generate import generate as write_workbook

    given_year = whole_number(year, "--year", minimum=1)
    if db is not None or out_dir is not None:
        _next_year(db, given_year, out_dir, lang, form_version,
                   {"-o": output, "--agency": agency, "--prefill": prefill, "--role": role})
        return
    if output is None:
        usage_error(text("usage.missing_option", name="«--output» / «-o»"))
    given_role = _role(role)
    prefill_path = existing_file(prefill, "--prefill")
    with library_errors():
        document = load_document(prefill_path) if prefill_path else None
    if document is not None:
        _given_wins(document, given_year, agency, form_version)
        if given_role is not None:  # said on the command line: it wins, as --agency does
            document["role"] = given_role
    version = (document or {}).get("form_version") or form_version or DEFAULT_FORM[1]
    with library_errors():
        form = load_form(DEFAULT_FORM[0], version)
        path = write_workbook(output, year=given_year or DEFAULT_YEAR, agency=agency, prefill=document, form=form,
                              role=given_role or ROLE_AGENCY, language=lang or DEFAULT_LANGUAGE)
    shown_year = (document or {}).get("reporting_year") or given_year or DEFAULT_YEAR
    shown_agency = (document or {}).get("agency") or agency
    say(err, text("cli.generated", path=path, form_id=form.form_id, form_version=form.form_version,
                  year=shown_year, agency=f", {shown_agency}" if shown_agency else ""))


def _next_year(db: Path | None, year: int | None, out_dir: str | None, lang: str | None, form_version: str | None,
               excluded: dict[str, str | None]) -> None:
    """``--db --year --out-dir``: next year's workbook for every agency of the register, a line each."""
    from workbook.cli.register import open_register
    from workbook.register.times import local_time
    from workbook.form import load_form
    from workbook.register.nextyear import generate_from_register

    if db is None or year is None or out_dir is None:
        usage_error(text("carry.db_needs"))
    for option, value in excluded.items():
        if value is not None:
            usage_error(text("carry.db_excludes", option=option))
    with library_errors():
        form = load_form(DEFAULT_FORM[0], form_version or DEFAULT_FORM[1])
    with open_register(db) as reg, library_errors():
        written = generate_from_register(reg, year, out_dir, language=lang, form=form)
    for one in written:
        if one.carried is None:
            say(out, text("carry.written_blank", agency=one.entry.agency, path=one.path))
            continue
        say(out, text("carry.written_prefilled", agency=one.entry.agency, path=one.path,
                      date=local_time(one.entry.source) if one.entry.source else "?"))
        if one.carried.left_out:
            say(out, text("carry.left_out", fields=", ".join(_left_out(form, one.carried.left_out))))
    prefilled = sum(one.carried is not None for one in written)
    say(out, text("carry.summary", count=len(written), year=year, folder=out_dir, prefilled=prefilled,
                  blank=len(written) - prefilled))


def _left_out(form: Form, places: Iterable[tuple[tuple, object]]) -> list[str]:
    """Each place a value was not carried from, as the question's label (a table's: with its column)."""
    from workbook import wording

    shown = []
    for place, _ in places:
        key, column = place[0], place[2] if len(place) == 3 else None
        label = wording.label(form, key)
        shown.append(f"{label}: {wording.label(form, key, column)}" if column else label)
    return list(dict.fromkeys(shown))


def _given_wins(document: dict, year: int | None, agency: str | None, form_version: str | None) -> None:
    """--year and --agency given with --prefill replace the JSON's (said when they differ); the
    data belongs to its form version, so a different --form-version is refused."""
    if form_version is not None and document.get("form_version") not in (None, form_version):
        usage_error(text("cli.prefill_other_version", given=form_version, found=document.get("form_version")))
    for key, given, option in (("reporting_year", year, "--year"), ("agency", agency, "--agency")):
        if given is None:
            continue
        if document.get(key) not in (None, "", given):
            say(err, text("cli.prefill_overridden", option=option, given=given, found=document.get(key)))
        document[key] = given


def _role(role: str | None) -> str | None:
    """--role medlem|virksomhet as the workbook stores it (member, agency), or a usage error."""
    if role is None:
        return None
    roles = {text("cli.role_member"): ROLE_MEMBER, text("cli.role_agency"): ROLE_AGENCY}
    found = roles.get(role.strip().casefold())
    if found is None:
        usage_error(text("cli.role_unknown", role=role, roles=", ".join(roles)))
    return found
