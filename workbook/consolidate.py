"""Consolidate one member's agencies into one form: ``workbook consolidate``.

The rules of ``meta.consolidate`` in the schema decide how each answer combines:
``sum`` (counts and amounts: agencies summed, the member's own figure kept beside the sum),
``join`` (tables: the member's rows, then each agency's, each row tagged with its agency),
``any`` / ``all`` (Ja/Nei over the member and every agency), ``union`` (choices),
``member`` and ``text`` (the member's own answer; agencies' texts are kept, attributed, on a sheet
of their own and in the report's appendix). Nothing an agency wrote is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from workbook.document import canonical
from workbook.errors import WorkbookError
from workbook.form import AGENCY_COLUMN_KEY, Form, load_form
from workbook.generate import NUMBER_FORMAT, Styles, generate
from workbook.messages import text
from workbook.validate import FileResult, expand_paths, validate_paths

FIGURES_TABLE = "agency_figures"
TEXTS_TABLE = "agency_texts"


class ConsolidationError(WorkbookError):
    """Raised when there is nothing to consolidate from: the member's workbook is unusable."""


@dataclass
class Superseded:
    """An older workbook of an agency that sent a newer one."""

    result: FileResult
    newer: FileResult


@dataclass
class Consolidation:
    """What went in, what was left out and why, and the consolidated form."""

    form: Form
    document: dict[str, Any]
    member: FileResult | None
    agencies: list[FileResult] = field(default_factory=list)
    invalid: list[FileResult] = field(default_factory=list)
    superseded: list[Superseded] = field(default_factory=list)
    mismatched: list[tuple[FileResult, str]] = field(default_factory=list)
    #: per agency: its name and its figures (key -> int | None)
    figures: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    sums: dict[str, int | None] = field(default_factory=dict)
    member_figures: dict[str, Any] = field(default_factory=dict)
    #: per agency: (name, key, text) for every free-text answer it gave
    texts: list[tuple[str, str, str]] = field(default_factory=list)

    def appendix(self) -> list[dict[str, Any]]:
        """Each agency's figures and answers, for the report's appendix."""
        return appendix_from(self.form, self.figures, self.texts)


def agency_name(result: FileResult) -> str:
    meta = result.metadata
    data = (result.document or {}).get("data", {})
    return str(meta.get("agency") or data.get("org_name") or Path(result.file).stem)


def _newest_first(result: FileResult) -> tuple[str, float]:
    return (result.saved_at or "", result.modified)


def appendix_from(form: Form, figures: Iterable[tuple[str, dict[str, Any]]],
                  texts: Iterable[tuple[str, str, str]]) -> list[dict[str, Any]]:
    by_agency: dict[str, dict[str, Any]] = {}
    for name, values in figures:
        entry = by_agency.setdefault(name, {"agency": name, "figures": [], "answers": []})
        entry["figures"] = [{"key": k, "label": form.field(k).label, "value": v} for k, v in values.items()]
    for name, key, answer in texts:
        entry = by_agency.setdefault(name, {"agency": name, "figures": [], "answers": []})
        entry["answers"].append({"key": key, "label": form.field(key).label, "text": answer})
    return list(by_agency.values())


def _combine(form: Form, member: dict[str, Any] | None, agencies: list[tuple[str, dict[str, Any]]],
             member_name: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {}
    everyone = ([(member_name or "", member)] if member is not None else []) + agencies
    for f in form.questions():
        rule = f.consolidate
        if rule == "sum":
            values = [d.get(f.key) for _, d in agencies if isinstance(d.get(f.key), int)]
            data[f.key] = sum(values) if values else None
        elif rule == "join":
            data[f.key] = [{AGENCY_COLUMN_KEY: name, **row} for name, d in everyone for row in d.get(f.key) or []]
        elif rule in ("any", "all"):
            answers = [d.get(f.key) for _, d in everyone if isinstance(d.get(f.key), bool)]
            data[f.key] = (any(answers) if rule == "any" else all(answers)) if answers else None
        elif rule == "union":
            chosen = {c for _, d in everyone for c in d.get(f.key) or []}
            data[f.key] = [option for option in f.allowed if option in chosen]
        else:  # member, text
            data[f.key] = member.get(f.key) if member is not None else None
    return data


def consolidate(paths: Iterable[Path | str], *, member: Path | str | None = None,
                jobs: int | None = None) -> Consolidation:
    """Read and validate every agency workbook and the member's, and combine them."""
    member_result = None
    if member is not None:
        (member_result,) = validate_paths([member], jobs=1, keep_documents=True)
    member_path = Path(member).resolve() if member is not None else None
    agencies = [p for p in expand_paths(paths) if member_path is None or p.resolve() != member_path]
    return combine(validate_paths(agencies, jobs=jobs, keep_documents=True), member_result)


def combine(results: list[FileResult], member: FileResult | None = None) -> Consolidation:
    """Combine validated workbooks (read with their documents) into one consolidated form."""
    if member is not None and not member.valid:
        raise ConsolidationError(text("consolidate.member_invalid", file=member.file, errors=len(member.errors)))
    reference = member or next((r for r in results if r.valid), None)
    if reference is None:
        raise ConsolidationError(text("consolidate.nothing_valid"))
    form = load_form(reference.metadata["form_id"], reference.metadata["form_version"])
    year = reference.metadata["reporting_year"]
    outcome = Consolidation(form=form, document={}, member=member)
    newest: dict[str, FileResult] = {}
    for result in results:
        if not result.valid:
            outcome.invalid.append(result)
            continue
        meta = result.metadata
        if (meta["form_id"], meta["form_version"]) != (form.form_id, form.form_version):
            outcome.mismatched.append((result, text("consolidate.other_version", version=meta["form_version"])))
            continue
        if meta["reporting_year"] != year:
            outcome.mismatched.append((result, text("consolidate.other_year", year=meta["reporting_year"])))
            continue
        name = agency_name(result).casefold().strip()
        kept = newest.get(name)
        if kept is None:
            newest[name] = result
        elif _newest_first(result) > _newest_first(kept):
            outcome.superseded.append(Superseded(kept, result))
            newest[name] = result
        else:
            outcome.superseded.append(Superseded(result, kept))
    outcome.agencies = sorted(newest.values(), key=lambda r: agency_name(r).casefold())
    agencies = [(agency_name(r), (r.document or {}).get("data", {})) for r in outcome.agencies]
    member_data = (member.document or {}).get("data") if member else None
    member_name = agency_name(member) if member else None
    sum_keys = [f.key for f in form.questions() if f.consolidate == "sum"]
    text_keys = [f.key for f in form.questions() if f.consolidate == "text"]
    outcome.figures = [(name, {k: d.get(k) for k in sum_keys}) for name, d in agencies]
    outcome.texts = [(name, k, d[k]) for name, d in agencies for k in text_keys if d.get(k)]
    data = _combine(form, member_data, agencies, member_name)
    outcome.sums = {k: data[k] for k in sum_keys}
    outcome.member_figures = {k: (member_data or {}).get(k) for k in sum_keys}
    outcome.document = canonical({"form_id": form.form_id, "form_version": form.form_version,
                                  "reporting_year": year, "agency": member.metadata.get("agency") if member else None,
                                  "data": data}, form)
    return outcome


# --- the consolidated workbook -------------------------------------------------------------------
def _figures_sheet(outcome: Consolidation, book: Workbook, styles: Styles) -> None:
    form = outcome.form
    keys = list(outcome.sums)
    ws = book.add_worksheet(text("consolidate.figures_sheet"))
    ws.write_string(0, 0, text("consolidate.figures_title"), styles.title)
    ws.write_string(1, 0, text("consolidate.figures_intro"), styles.intro)
    ws.set_column(0, 0, 45)
    ws.set_column(1, len(keys), 22)
    header = 3
    rows = outcome.figures or [("", {})]
    last = header + len(rows)
    number = book.add_format({"num_format": NUMBER_FORMAT, "valign": "top"})
    ws.add_table(header, 0, last, len(keys), {
        "name": FIGURES_TABLE, "style": "Table Style Light 9",
        "columns": [{"header": text("consolidate.col_agency")}] + [{"header": form.field(k).label} for k in keys],
    })
    for i, (name, values) in enumerate(rows, start=header + 1):
        ws.write_string(i, 0, name)
        for j, key in enumerate(keys, start=1):
            value = values.get(key)
            if isinstance(value, int):
                ws.write_number(i, j, value, number)
            else:
                ws.write_blank(i, j, None, number)
    ws.set_row(header, 60, book.add_format({"text_wrap": True, "bold": True, "valign": "top"}))
    bold = book.add_format({"bold": True, "num_format": NUMBER_FORMAT, "top": 1})
    differs = book.add_format({"bold": True, "num_format": NUMBER_FORMAT, "bg_color": "#F8CBAD", "font_color": "#9C0006"})
    labels = (("sum_row", outcome.sums), ("member_row", outcome.member_figures))
    for offset, (label, values) in enumerate(labels, start=2):
        ws.write_string(last + offset, 0, text(f"consolidate.{label}"), bold)
        for j, key in enumerate(keys, start=1):
            value = values.get(key)
            if isinstance(value, int):
                ws.write_number(last + offset, j, value, bold)
    row = last + 4
    ws.write_string(row, 0, text("consolidate.difference_row"), bold)
    for j, key in enumerate(keys, start=1):
        total, own = outcome.sums.get(key), outcome.member_figures.get(key)
        if isinstance(total, int) and isinstance(own, int):
            ws.write_number(row, j, own - total, differs if own != total else bold)
    ws.write_string(row + 1, 0, text("consolidate.difference_note"), styles.intro)
    ws.freeze_panes(header + 1, 1)
    _print_setup(ws)


def _print_setup(ws: Worksheet) -> None:
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(3)


def _texts_sheet(outcome: Consolidation, book: Workbook, styles: Styles) -> None:
    form = outcome.form
    ws = book.add_worksheet(text("consolidate.texts_sheet"))
    ws.write_string(0, 0, text("consolidate.texts_title"), styles.title)
    ws.write_string(1, 0, text("consolidate.texts_intro"), styles.intro)
    for col, width in enumerate((35, 30, 50, 90, 24)):
        ws.set_column(col, col, width)
    header = 3
    rows = outcome.texts or [("", "", "")]
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    ws.add_table(header, 0, header + len(rows), 4, {
        "name": TEXTS_TABLE, "style": "Table Style Light 9",
        "columns": [{"header": text(f"consolidate.{c}")} for c in
                    ("col_agency", "col_section", "col_question", "col_answer", "col_key")],
    })
    for i, (name, key, answer) in enumerate(rows, start=header + 1):
        section = form.section_of(key).title if key else ""
        label = form.field(key).label if key else ""
        for col, value in enumerate((name, section, label, answer, key)):
            ws.write_string(i, col, value, wrap)
    ws.freeze_panes(header + 1, 1)
    _print_setup(ws)


def write_consolidated(outcome: Consolidation, output: Path | str) -> Path:
    """Write the consolidated form (a form workbook of the same version) with its extra sheets."""

    def extras(book: Workbook, styles: Styles) -> None:
        _figures_sheet(outcome, book, styles)
        _texts_sheet(outcome, book, styles)

    return generate(Path(output), prefill=outcome.document, form=outcome.form, consolidated=True,
                    extra_sheets=extras)


def appendix_from_tables(form: Form, tables: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The appendix again, from a consolidated workbook's own sheets (as read back)."""
    agency_header = text("consolidate.col_agency")
    by_label = {form.field(k).label: k for k in (f.key for f in form.questions() if f.consolidate == "sum")}
    figures = []
    for row in tables.get(FIGURES_TABLE, []):
        values = {by_label[h]: (int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None)
                  for h, v in row.items() if h in by_label}
        figures.append((str(row.get(agency_header) or ""), values))
    texts = [(str(row.get(agency_header) or ""), str(row.get(text("consolidate.col_key")) or ""),
              str(row.get(text("consolidate.col_answer")) or ""))
             for row in tables.get(TEXTS_TABLE, [])]
    return appendix_from(form, figures, [t for t in texts if t[1] in form.fields])
