"""The form, read from the rules: the one source of truth for every other module.

``rules/<form_id>/<form_version>/form.yaml`` holds the form's identity, sections and rules across
fields; ``schema.yaml`` beside it is a Cerberus schema whose ``meta`` carries each field's label,
help, kind, section and consolidation. :func:`load_form` turns the pair into a :class:`Form`.
"""

from __future__ import annotations

import copy
import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

#: libyaml's loader where PyYAML has it (ten times faster), the pure-Python one otherwise.
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

from workbook.errors import UnknownFormError
from workbook.kinds import KIND, KINDS  # noqa: F401 - KINDS: the kinds a rules file may name, as before
from workbook.resources import data_folder

#: Where the rules live: ``WORKBOOK_RULES``, or ``rules/`` (the checkout's, or inside an installed wheel).
RULES_DIR = Path(os.environ.get("WORKBOOK_RULES") or data_folder("rules"))

_FOLDER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _read_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=SafeLoader)


def _metadata_keys(path: Path) -> tuple[str, ...]:
    keys = (_read_yaml(path) or {}).get("keys")
    if not (isinstance(keys, list) and keys and all(isinstance(k, str) for k in keys)):
        raise ValueError(f"{path}: 'keys' must be a list of metadata keys")  # a broken installation
    return tuple(keys)


#: The metadata every workbook carries (on the metadata sheet, in this order, and in its document
#: properties), each a field of the schema (``section: metadata``): ``rules/metadata.yaml``, the
#: one list of them, independent of any one form (the reader needs it before it knows the form).
METADATA_KEYS = _metadata_keys(RULES_DIR / "metadata.yaml")
#: The values of the ``role`` metadata: the member's own workbook, or an agency's (the default).
ROLE_MEMBER, ROLE_AGENCY = "member", "agency"

#: Every table carries this optional column in consolidated workbooks: the agency a row came from.
#: Its label and help are the form's (``form.yaml`` ``agency_column``; nynorsk in ``nn.yaml``).
AGENCY_COLUMN_KEY = "agency"
AGENCY_COLUMN_RULES: dict[str, Any] = {
    "type": "string",
    "nullable": True,
    "maxlength": 200,
    "meta": {"kind": "text", "consolidated_only": True},
}


@dataclass(frozen=True, kw_only=True)
class Limits:
    """What a field or a table column carries from its rules besides its wording (the one home of
    these, shared by :class:`Field` and :class:`Column`; read from the schema by :func:`_limits`)."""

    #: the values a choice may take (``allowed``), in the rules' order
    allowed: tuple[str, ...] = ()
    #: the schema's limits: ``min``/``max`` (numbers), ``minlength``/``maxlength``, ``regex``
    minimum: int | None = None
    maximum: int | None = None
    minlength: int | None = None
    maxlength: int | None = None
    pattern: str | None = None
    #: the problem code a value not matching ``pattern`` gets (``meta.pattern_code``; default ``invalid-format``)
    pattern_code: str = "invalid-format"
    #: the answer cell's format (``meta.format``, else the kind's): a name of ``style.Styles.input_for``
    cell_format: str = "plain"


@dataclass(frozen=True)
class Column(Limits):
    """One column of a repeating table."""

    key: str
    kind: str
    label: str
    help: str
    required: bool
    consolidated_only: bool = False


@dataclass(frozen=True)
class Field(Limits):
    """One question of the form (or one metadata item)."""

    key: str
    kind: str
    section: str
    label: str
    help: str
    required: bool
    consolidate: str
    columns: tuple[Column, ...] = ()
    rows: int = 0
    #: next year's workbook is prefilled with this answer (``meta.carry``): see :mod:`workbook.carry`
    carry: bool = False
    #: a table filled next year from another table of this year (``meta.carry_from``): its key, and
    #: (this table's column, that table's column) pairs; the other columns are left for the agency
    carry_from: str | None = None
    carry_columns: tuple[tuple[str, str], ...] = ()

    @property
    def layout(self) -> str:
        """How it stands on a sheet (its kind's ``layout``): ``single``, ``options`` or ``table``."""
        return KIND[self.kind].layout

    @property
    def is_table(self) -> bool:
        return self.layout == "table"

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)


@dataclass(frozen=True)
class Section:
    """One section of the form: one sheet of the workbook, one part of the report."""

    key: str
    sheet: str
    title: str
    chapter: str | None
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class CrossRule:
    """A rule across fields; ``check`` names its implementation in :mod:`workbook.crossrules`."""

    code: str
    check: str
    severity: str
    params: dict[str, Any]


@dataclass(frozen=True)
class ReportRoles:
    """Where the report places fields outside the plain question-and-answer flow (``form.yaml`` ``report``)."""

    foreword: str = ""
    byline: tuple[str, ...] = ()
    quote: str = ""
    quote_after: str = ""
    contact: tuple[str, ...] = ()
    closing_contact: tuple[str, ...] = ()
    requirements: str = ""
    requirements_columns: frozenset[str] = frozenset()


def _report_roles(spec: dict[str, Any]) -> ReportRoles:
    roles = spec.get("report") or {}
    return ReportRoles(
        foreword=roles.get("foreword", ""),
        byline=tuple(roles.get("byline", ())),
        quote=roles.get("quote", ""),
        quote_after=roles.get("quote_after", ""),
        contact=tuple(roles.get("contact", ())),
        closing_contact=tuple(roles.get("closing_contact", ())),
        requirements=roles.get("requirements", ""),
        requirements_columns=frozenset(roles.get("requirements_columns", ())),
    )


@dataclass(frozen=True, eq=False)
class Form:
    """One version of one form, with everything the other modules need to know about it."""

    form_id: str
    form_version: str
    title: str
    publisher: str
    template_revised: str
    schema: dict[str, Any]
    sections: tuple[Section, ...]
    metadata: tuple[Field, ...]
    cross_rules: tuple[CrossRule, ...]
    path: Path
    fields: dict[str, Field] = field(default_factory=dict)
    report: ReportRoles = ReportRoles()

    def field(self, key: str) -> Field:
        return self.fields[key]

    def questions(self) -> list[Field]:
        """Every question, section by section, in the form's order (no metadata)."""
        return [f for s in self.sections for f in s.fields]

    def section_of(self, key: str) -> Section:
        """The section a question belongs to (KeyError for metadata and unknown keys)."""
        return _sections_by_key(self)[key]


@functools.lru_cache(maxsize=None)
def _sections_by_key(form: Form) -> dict[str, Section]:
    return {f.key: section for section in form.sections for f in section.fields}


def _limits(rules: dict[str, Any]) -> dict[str, Any]:
    """What a field or column carries from its rules besides its wording: limits, pattern, format."""
    meta = rules["meta"]
    return {
        "allowed": tuple(rules.get("allowed", ())),
        "minimum": rules.get("min"),
        "maximum": rules.get("max"),
        "minlength": rules.get("minlength"),
        "maxlength": rules.get("maxlength"),
        "pattern": rules.get("regex"),
        "pattern_code": meta.get("pattern_code", "invalid-format"),
        "cell_format": meta.get("format", KIND[meta["kind"]].cell_format),
    }


def _column(key: str, rules: dict[str, Any]) -> Column:
    meta = rules["meta"]
    return Column(
        key=key,
        kind=meta["kind"],
        label=meta["label"],
        help=meta["help"],
        required=bool(rules.get("required")),
        consolidated_only=bool(meta.get("consolidated_only")),
        **_limits(rules),
    )


def _field(key: str, rules: dict[str, Any]) -> Field:
    meta = rules["meta"]
    columns: tuple[Column, ...] = ()
    if KIND[meta["kind"]].layout == "table":
        columns = tuple(_column(k, r) for k, r in rules["schema"]["schema"].items())
    return Field(
        key=key,
        kind=meta["kind"],
        section=meta["section"],
        label=meta["label"],
        help=meta["help"],
        required=bool(rules.get("required")),
        consolidate=meta.get("consolidate", "member"),
        columns=columns,
        rows=int(meta.get("rows", 0)),
        carry=bool(meta.get("carry")),
        carry_from=(meta.get("carry_from") or {}).get("field"),
        carry_columns=tuple((meta.get("carry_from") or {}).get("columns", {}).items()),
        **_limits(rules),
    )


def _with_agency_column(schema: dict[str, Any], wording: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with the agency column first in every table, worded as ``form.yaml`` says."""
    schema = copy.deepcopy(schema)
    column = copy.deepcopy(AGENCY_COLUMN_RULES)
    column["meta"] |= {"label": wording["label"], "help": wording["help"]}
    for rules in schema.values():
        kind = KIND.get(rules.get("meta", {}).get("kind"))
        if kind is not None and kind.layout == "table":
            columns = rules["schema"]["schema"]
            rules["schema"]["schema"] = {AGENCY_COLUMN_KEY: copy.deepcopy(column), **columns}
    return schema


@functools.lru_cache(maxsize=None)
def load_form(form_id: str = "ehn-offentlig", form_version: str = "2020.1") -> Form:
    """Load one version of a form from ``rules/``; raise :class:`UnknownFormError` if absent."""
    # Both come from the workbook being read: only plain folder names, never a path elsewhere.
    if not all(_FOLDER_NAME.fullmatch(str(part)) and ".." not in str(part) for part in (form_id, form_version)):
        raise UnknownFormError(form_id, form_version)
    folder = RULES_DIR / str(form_id) / str(form_version)
    if not (folder / "form.yaml").is_file():
        raise UnknownFormError(form_id, form_version)
    spec = _read_yaml(folder / "form.yaml")
    schema = _with_agency_column(_read_yaml(folder / "schema.yaml"), spec["agency_column"])
    fields = {key: _field(key, rules) for key, rules in schema.items()}
    sections = tuple(
        Section(
            key=s["key"],
            sheet=s["sheet"],
            title=s["title"],
            chapter=s.get("chapter"),
            fields=tuple(f for f in fields.values() if f.section == s["key"]),
        )
        for s in spec["sections"]
    )
    cross_rules = tuple(
        CrossRule(
            code=r["code"],
            check=r["check"],
            severity=r["severity"],
            params={k: v for k, v in r.items() if k not in ("code", "check", "severity")},
        )
        for r in spec.get("cross_rules", ())
    )
    return Form(
        form_id=spec["form_id"],
        form_version=str(spec["form_version"]),
        title=spec["title"],
        publisher=spec["publisher"],
        template_revised=str(spec.get("template_revised", "")),
        schema=schema,
        sections=sections,
        metadata=tuple(fields[k] for k in METADATA_KEYS),
        cross_rules=cross_rules,
        path=folder,
        fields=fields,
        report=_report_roles(spec),
    )


def available_forms() -> list[tuple[str, str]]:
    """Every (form_id, form_version) that has rules, sorted."""
    return sorted(
        (p.parent.parent.name, p.parent.name) for p in RULES_DIR.glob("*/*/form.yaml")
    )


DEFAULT_FORM = ("ehn-offentlig", "2020.1")
