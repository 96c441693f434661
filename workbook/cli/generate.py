from __future__ import annotations

from typing import Annotated, Optional

import typer

from workbook.cli.common import err, existing_file, library_errors, say, usage_error, whole_number
from workbook.form import DEFAULT_FORM, ROLE_AGENCY, ROLE_MEMBER
from workbook.cli.common import text  # the catalogue, in the CLI's language

DEFAULT_YEAR = 2020


def generate(
    output: Annotated[str, typer.Option("--output", "-o", help=text("help.generate.output"), metavar=text("help.file"))],
    year: Annotated[Optional[str], typer.Option(help=text("help.generate.year", year=DEFAULT_YEAR),
                                                metavar=text("help.year"))] = None,
    agency: Annotated[Optional[str], typer.Option(help=text("help.generate.agency"), metavar=text("help.name"))] = None,
    prefill: Annotated[Optional[str], typer.Option(help=text("help.generate.prefill"),
                                                   metavar=text("help.json_file"))] = None,
    form_version: Annotated[Optional[str], typer.Option(help=text("help.generate.form_version",
                                                                  version=DEFAULT_FORM[1]),
                                                        metavar=text("help.version_metavar"))] = None,
    role: Annotated[Optional[str], typer.Option(help=text("cli.help_role"), metavar=text("help.role_metavar"))] = None,
    lang: Annotated[str, typer.Option("--lang", help=text("help.generate.lang"), metavar="nb|nn")] = "nb",
) -> None:
    """Write the report form as an Excel workbook for an agency to fill in (help: cli.yaml)."""
    from workbook.document import load_document
    from workbook.form import load_form
    from workbook.generate import generate as write_workbook

    given_year = whole_number(year, "--year", minimum=1)
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
                              role=given_role or ROLE_AGENCY, language=lang)
    shown_year = (document or {}).get("reporting_year") or given_year or DEFAULT_YEAR
    shown_agency = (document or {}).get("agency") or agency
    say(err, text("cli.generated", path=path, form_id=form.form_id, form_version=form.form_version,
                  year=shown_year, agency=f", {shown_agency}" if shown_agency else ""))


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
