from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from workbook.cli.common import err, library_errors
from workbook.form import DEFAULT_FORM, ROLE_AGENCY, ROLE_MEMBER
from workbook.messages import text


def generate(
    output: Annotated[Path, typer.Option("--output", "-o", help="The workbook to write (.xlsx).")],
    year: Annotated[int, typer.Option(help="The reporting year.")] = 2020,
    agency: Annotated[Optional[str], typer.Option(help="Who fills it in: the member or one of its agencies.")] = None,
    prefill: Annotated[Optional[Path], typer.Option(help="A JSON file (the export format) whose answers are written in.",
                                                    exists=True, dir_okay=False)] = None,
    form_version: Annotated[str, typer.Option(help="The form version to write.")] = DEFAULT_FORM[1],
    role: Annotated[Optional[str], typer.Option(help=text("cli.help_role"))] = None,
) -> None:
    """Write the report form as an Excel workbook for an agency to fill in.

    One sheet per section of the form, the form's questions in Norwegian, help on every field,
    dropdowns and number checks, protected labels. With --prefill the answers of a JSON file
    (the format of `workbook export`) are written in exactly as given.
    """
    from workbook.document import load_document
    from workbook.form import load_form
    from workbook.generate import generate as write_workbook

    roles = {text("cli.role_member"): ROLE_MEMBER, text("cli.role_agency"): ROLE_AGENCY}
    if role is not None and role.strip().casefold() not in roles:
        err.print(text("cli.error", message=text("cli.role_unknown", role=role, roles=", ".join(roles))),
                  markup=False, highlight=False)
        raise typer.Exit(2)
    with library_errors():
        document = load_document(prefill) if prefill else None
        if document is not None and role is not None:  # said on the command line: it wins
            document = {**document, "role": roles[role.strip().casefold()]}
        form = load_form(DEFAULT_FORM[0], (document or {}).get("form_version") or form_version)
        path = write_workbook(output, year=year, agency=agency, prefill=document, form=form,
                              role=roles[role.strip().casefold()] if role is not None else ROLE_AGENCY)
    shown_year = (document or {}).get("reporting_year") or year
    shown_agency = (document or {}).get("agency") or agency
    err.print(text("cli.generated", path=path, form_id=form.form_id, form_version=form.form_version,
                   year=shown_year, agency=f", {shown_agency}" if shown_agency else ""), markup=False, highlight=False)
