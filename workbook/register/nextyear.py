"""Next year's workbooks from the register: ``workbook generate --db DB --year Y --out-dir DIR``.

One workbook per agency expected for the year (its own list, else the newest earlier one), each
prefilled (:mod:`workbook.carry`) from the agency's newest valid submission of an earlier year,
in that workbook's language; an agency with none gets a blank form with its name. The answers
are read again from the stored files (:mod:`workbook.register.answers`).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from workbook.carry import Entry, Written, generate_many
from workbook.form import DEFAULT_FORM, Form, load_form
from workbook.register.answers import stored_answers
from workbook.register.core import Register
from workbook.register.db import RegisterError


def generate_from_register(reg: Register, year: int, out_dir: Path | str, *, language: str | None = None,
                           form: Form | None = None) -> list[Written]:
    """Write next year's workbooks (see the module) into ``out_dir``; return them, the member first.

    ``language`` writes every workbook in it (None: each in its last workbook's language, bokmål
    for a blank form); ``form`` is the form to write (default: the default form). Each written
    entry's ``source`` is the time its submission was received (None: a blank form).
    Raises :class:`RegisterError` when the register lists no agency for the year.
    """
    agencies = reg.expected_agencies(year)
    if not agencies:
        raise RegisterError("carry.no_agencies", year=year)
    accepted = _accepted_before(reg, year)
    carried = [accepted[a["name_key"]] for a in agencies if a["name_key"] in accepted]
    answers = stored_answers(reg, carried)
    entries = [_entry(agency, accepted.get(agency["name_key"]), answers) for agency in agencies]
    return generate_many(entries, year, out_dir, form=form or load_form(*DEFAULT_FORM), language=language)


def _accepted_before(reg: Register, year: int) -> dict[str, sqlite3.Row]:
    """Per agency (name key) its newest valid submission of a year before ``year``: last year's,
    else the newest earlier year's."""
    years = [row[0] for row in reg.query("SELECT DISTINCT year FROM submissions WHERE year < ? ORDER BY year DESC",
                                         year)]
    found: dict[str, sqlite3.Row] = {}
    for earlier in years:
        for key, row in reg.latest(earlier, valid_only=True).items():
            found.setdefault(key, row)
    return found


def _entry(agency: sqlite3.Row, submission: sqlite3.Row | None, answers: dict[int, dict[str, Any]]) -> Entry:
    if submission is None or submission["id"] not in answers:
        return Entry(agency["name"], agency["role"])
    return Entry(agency["name"], agency["role"], answers[submission["id"]],
                 language=submission["language"], source=submission["received"])
