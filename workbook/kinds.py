"""The field kinds of the rules (``meta.kind``): one entry each, the one place a kind is defined.

Every module that treats kinds differently asks this table: the reader normalises through
``normalise``, the generator writes a kind's answer cell with ``cell_format`` (a format of
:meth:`workbook.style.Styles.input_for`) and guards it with ``validation``, the report shows it by
``report``, and the form's checks compare ``cerberus_type`` with the schema. Adding a field kind is
adding one entry here (and its rules in ``schema.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from workbook import normalize as _normalize
from workbook.normalize import Outcome, to_choice, to_int, to_text, to_yesno


@dataclass(frozen=True)
class Kind:
    """How one field kind is checked, read, written and shown."""

    name: str
    #: the Cerberus ``type`` its rules carry
    cerberus_type: str
    #: what a person typed → the value the rules check: ``normalise(value, allowed)`` (a function of
    #: :mod:`workbook.normalize`)
    normalise: Callable[[Any, tuple[str, ...]], Outcome]
    #: the answer cell's format (:meth:`workbook.style.Styles.input_for`); a field's ``meta.format`` overrides it
    cell_format: str = "plain"
    #: Excel's data validation on its cells: ``integer`` (at least the rules' min), ``list`` (a dropdown),
    #: ``length`` (at most the rules' maxlength, where there is one)
    validation: str = "length"
    #: the lines its answer cell is at least tall
    answer_lines: int = 1
    #: in the report: ``paragraphs`` (split into paragraphs and bullets) or ``line`` (one block)
    report: str = "line"
    #: its stored values are choices the report shows in its language
    shows_choices: bool = False
    #: its dropdown lists its own allowed values (a list on the metadata sheet), else Ja/Nei
    own_list: bool = False
    #: how it stands on a sheet: ``single`` (one answer cell), ``options`` (a Ja/Nei row per allowed
    #: value), ``table`` (a table of its columns)
    layout: str = "single"


KIND: dict[str, Kind] = {k.name: k for k in (
    Kind("text", "string", to_text),
    Kind("longtext", "string", to_text, answer_lines=6, report="paragraphs"),
    Kind("int", "integer", to_int, cell_format="int", validation="integer"),
    Kind("yesno", "boolean", to_yesno, validation="list"),
    Kind("choice", "string", to_choice, validation="list", shows_choices=True, own_list=True),
    Kind("choices", "list", to_text, validation="list", shows_choices=True, layout="options"),
    Kind("table", "list", to_text, validation="any", layout="table"),
)}

#: Every kind's name, in the table's order.
KINDS = tuple(KIND)

# :func:`workbook.normalize.normalise` looks each kind's normaliser up here.
_normalize._BY_KIND.update({name: kind.normalise for name, kind in KIND.items()})
