"""Next year's workbooks, prefilled from this year's answers: ``workbook generate --db``.

Which answers outlive the year is form knowledge, so the rules say it (``schema.yaml`` ``meta``):
``carry: true`` on a field copies its answer as it was (the name, the contact, the membership
year); ``carry_from`` on a table fills it from another table of last year (last year's goals for
the coming year become this year's goals, their status left for the agency). Everything else
starts empty. A value that no longer passes the current rules (its own, or a rule across fields
with the new year) is left out for the agency to give, and listed, never carried broken.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbook.crossrules import CHECKS
from workbook.errors import DataFormatError
from workbook.filenames import ascii_stem, unique_names
from workbook.form import ROLE_AGENCY, Field, Form
from workbook.generate import check_value, generate
from workbook.messages import DEFAULT_LANGUAGE, text
from workbook.normalize import is_empty
from workbook.problems import ERROR
from workbook.validate import FormValidator

#: A place in the document: (key,) for an answer, (key, row index, column) for a table's cell.
Place = tuple[Any, ...]


@dataclass(frozen=True)
class Carried:
    """Next year's prefill (the JSON format ``generate --prefill`` reads) and what was left out."""

    document: dict[str, Any]
    #: places of last year's document whose value the current rules refuse (left for the agency),
    #: with the value: ((key,), value) or ((table, row index, column), value) of the source table
    left_out: tuple[tuple[Place, Any], ...] = ()


def carry(document: Mapping[str, Any], form: Form, year: int) -> Carried:
    """Last year's ``document`` carried into ``year`` for ``form`` (the current rules): see the module."""
    data = document.get("data") if isinstance(document.get("data"), Mapping) else {}
    meta = {"form_id": form.form_id, "form_version": form.form_version, "reporting_year": year,
            "agency": document.get("agency"), "role": document.get("role") or ROLE_AGENCY,
            "language": document.get("language")}
    carried: dict[str, Any] = {}
    left_out: list[tuple[Place, Any]] = []
    for field_ in form.questions():
        if field_.carry and not _unanswered(data.get(field_.key)):
            value = data[field_.key]
            if _passes(form, field_.key, None, value):
                carried[field_.key] = copy.deepcopy(value)  # last year's document stays as it was
            else:
                left_out.append(((field_.key,), value))
        elif field_.carry_from:
            rows = _rows_from(form, field_, data.get(field_.carry_from), left_out)
            if rows:
                carried[field_.key] = rows
    for key in _refused_across(form, meta, carried):
        left_out.append(((key,), carried.pop(key)))
    return Carried({**meta, "data": carried}, tuple(left_out))


def carry_forward(document: Mapping[str, Any], form: Form, year: int) -> dict[str, Any]:
    """The prefill for ``year`` from last year's ``document`` (:func:`carry` without its list)."""
    return carry(document, form, year).document


def _unanswered(value: Any) -> bool:
    return is_empty(value) or value == []


def _rows_from(form: Form, target: Field, source: Any, left_out: list[tuple[Place, Any]]) -> list[dict[str, Any]]:
    """``target``'s rows from last year's ``source`` table, through the rules' column mapping."""
    rows = []
    for index, row in enumerate(source if isinstance(source, list) else []):
        if not isinstance(row, Mapping):
            left_out.append(((target.carry_from, index, None), row))
            continue
        new: dict[str, Any] = {}
        for column, from_column in target.carry_columns:
            value = row.get(from_column)
            if _unanswered(value):
                continue
            if _passes(form, target.key, column, value):
                new[column] = value
            else:
                left_out.append(((target.carry_from, index, from_column), value))
        if new:  # a row with nothing left in it is no row
            rows.append(new)
    return rows


def _passes(form: Form, key: str, column: str | None, value: Any) -> bool:
    """Whether ``value`` passes the current rules of the field (or the table's column) and an
    Excel cell holds it exactly (else generate would refuse the whole workbook)."""
    try:
        for cell in _cells(value):
            check_value(cell, key)
    except DataFormatError:
        return False
    return _validator(form, key, column).validate({"value": value}, normalize=False)


def _cells(value: Any) -> Iterable[Any]:
    """The values a value puts in cells: itself, a choices answer's options, a table's cells."""
    if isinstance(value, list):
        for item in value:
            yield from _cells(item)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _cells(item)
    else:
        yield value


@functools.lru_cache(maxsize=None)
def _validator(form: Form, key: str, column: str | None) -> FormValidator:
    rules = form.schema[key] if column is None else form.schema[key]["schema"]["schema"][column]
    return FormValidator({"value": rules}, allow_unknown=False)


def _refused_across(form: Form, meta: Mapping[str, Any], carried: Mapping[str, Any]) -> list[str]:
    """Carried keys an error rule across fields refuses with the new year (e.g. a membership year
    after it); rules about answers not carried say nothing, as their values are missing."""
    values = {**meta, **carried}
    found: list[str] = []
    for rule in form.cross_rules:
        if rule.severity == ERROR:
            found += [key for key, _ in CHECKS[rule.check](rule.params, values) if key in carried and key not in found]
    return found


# --- one workbook per agency -------------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    """One agency expected next year, and its last accepted answers (None: it has none)."""

    agency: str
    role: str = ROLE_AGENCY
    #: last year's document in the JSON format (None: a blank form with the agency's name)
    document: Mapping[str, Any] | None = None
    #: the language of its last workbook (None: bokmål, or the language asked for)
    language: str | None = None
    #: where its document came from, for the caller to say (e.g. when its submission was received)
    source: str | None = None


@dataclass(frozen=True)
class Written:
    """One workbook :func:`generate_many` wrote: for which entry, where, and what it carried."""

    entry: Entry
    path: Path
    #: what was carried (None: a blank form)
    carried: Carried | None = None


def generate_many(entries: Iterable[Entry], year: int, out_dir: Path | str, *, form: Form,
                  language: str | None = None) -> list[Written]:
    """Write one workbook of ``form`` for ``year`` per entry into ``out_dir``, each named after its
    agency (:func:`file_names`), prefilled from its document where it has one; return them in order.

    ``language`` writes every workbook in that language; None writes each in the language of the
    agency's last workbook (bokmål for a blank form). An existing file of the same name is replaced.
    """
    entries = list(entries)
    out_dir = Path(out_dir)
    written = []
    for entry, name in zip(entries, file_names(e.agency for e in entries)):
        carried = None if entry.document is None else carry(entry.document, form, year)
        prefill = None if carried is None else {**carried.document, "agency": entry.agency, "role": entry.role}
        path = generate(out_dir / name, year=year, agency=entry.agency, prefill=prefill, form=form,
                        role=entry.role, language=language or entry.language or DEFAULT_LANGUAGE)
        written.append(Written(entry, path, carried))
    return written


# --- file names ----------------------------------------------------------------------------------
SUFFIX = ".xlsx"


def file_stem(agency: str) -> str:
    """The agency's name as an ASCII file name stem (:func:`workbook.filenames.ascii_stem`), never
    empty and never a reserved name (``virksomhet``, from the catalogue)."""
    return ascii_stem(agency, text("carry.file_fallback"))


def file_names(agencies: Iterable[str]) -> list[str]:
    """One file name per agency, in order, unique even where Windows ignores case: a second
    ``oslo`` is ``oslo-2.xlsx``."""
    return [stem + SUFFIX for stem in unique_names(map(file_stem, agencies), lambda stem, n: f"{stem}-{n}")]
