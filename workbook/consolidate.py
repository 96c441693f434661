"""Consolidate one member's agencies into one form: ``workbook consolidate``.

The rules of ``meta.consolidate`` in the schema decide how each answer combines:
``sum`` (counts and amounts: agencies summed, the member's own figure kept beside the sum),
``join`` (tables: the member's rows, then each agency's, each row tagged with its agency),
``any`` / ``all`` (Ja/Nei over the member and every agency), ``union`` (choices),
``member`` and ``text`` (the member's own answer; agencies' texts are kept, attributed, on a sheet
of their own and in the report's appendix). Nothing an agency wrote is dropped.

Whose workbook is whose: the member's own workbook (``--member``, or any workbook stamped with the
role ``member``) gives the narrative and its own figures, and is never summed as an agency's; two
member workbooks in one batch are refused. A batch of several reporting years or form versions is
refused unless ``year`` (and ``form_version``) choose; nothing is picked by the order of the files.
In the consolidated form each figure is the member's own where it gave one, else the agencies'
sum; the workbook records which (table ``figure_totals``) and which agencies were covered or left
out and why (table ``consolidation_agencies``), so the report can say so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from workbook.document import canonical
from workbook.errors import WorkbookError
from workbook.form import AGENCY_COLUMN_KEY, ROLE_AGENCY, ROLE_MEMBER, Form, load_form
from workbook.generate import generate
from workbook import wording
from workbook.messages import DEFAULT_LANGUAGE, text
from workbook.style import LIST_MARGINS, TABLE_STYLE, Styles, lines as _lines, print_setup, \
    row_height as _row_height  # noqa: F401 (_lines: as the tests know it)
from workbook.validate import FileResult, expand_paths, validate_paths

FIGURES_TABLE = "agency_figures"
TEXTS_TABLE = "agency_texts"
TOTALS_TABLE = "figure_totals"
COVERAGE_TABLE = "consolidation_agencies"
#: Rows of the totals table, by their key (its last, hidden column).
TOTAL_ROWS = ("sum", "count", "member", "difference", "used")
#: Status of each workbook in the coverage table, by its key (its last, hidden column).
STATUSES = ("member", "included", "invalid", "superseded", "other_year", "other_version")
#: ... and of an agency on the register's list with no valid submission (workbook.register.consolidation)
MISSING_STATUSES = ("not_delivered", "no_valid")
#: Column widths (characters) of «Fritekst per virksomhet»: agency, section, question, answer, key.
TEXT_WIDTHS = (28, 26, 40, 100, 20)


class ConsolidationError(WorkbookError):
    """Raised when a consolidation cannot start: the member's workbook is unusable, two member
    workbooks are in the batch, or the batch mixes reporting years or form versions unchosen.

    A param that is a batch's identities (a ``Counter``) is worded when the error is shown, in
    the language it is shown in."""

    def worded(self, language: str = DEFAULT_LANGUAGE) -> str:
        params = {name: _found(value, language) if isinstance(value, Counter) else value
                  for name, value in self.params.items()}
        return text(self.key, language, **params)


Identity = tuple[str, str, int]  # form_id, form_version, reporting_year


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
    #: why each mismatched workbook was left out, as a status key (other_year, other_version)
    mismatch_keys: list[str] = field(default_factory=list)
    #: per agency: its name and its figures (key -> int | None)
    figures: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    sums: dict[str, int | None] = field(default_factory=dict)
    #: per sum figure: how many agencies gave a value
    counts: dict[str, int] = field(default_factory=dict)
    member_figures: dict[str, Any] = field(default_factory=dict)
    #: the consolidated workbook, if one was written (``consolidate(..., output=...)``)
    written: Path | None = None
    #: per agency: (name, key, text) for every free-text answer it gave
    texts: list[tuple[str, str, str]] = field(default_factory=list)
    #: the language of every word the consolidation writes (the member's workbook's, unless chosen)
    language: str = DEFAULT_LANGUAGE

    def appendix(self) -> list[dict[str, Any]]:
        """Each agency's figures and answers, for the report's appendix."""
        return appendix_from(self.form, self.figures, self.texts)

    def statuses(self) -> list[dict[str, str]]:
        """Every workbook of the batch: agency, file, status key and reason, the member first."""
        lang = self.language
        rows = [_status(lang, self.member, "member")] if self.member is not None else []
        rows += [_status(lang, r, "included") for r in self.agencies]
        rows += [_status(lang, r, "invalid", errors=len(r.errors)) for r in self.invalid]
        rows += [_status(lang, s.result, "superseded", newer=Path(s.newer.file).name) for s in self.superseded]
        rows += [_status(lang, r, key, year=r.metadata.get("reporting_year"),
                         version=f"{r.metadata.get('form_id')} {r.metadata.get('form_version')}")
                 for (r, _), key in zip(self.mismatched, self.mismatch_keys)]
        return rows

    def coverage(self) -> dict[str, Any]:
        """What the report says about the consolidation (see :func:`coverage_from_tables`)."""
        return _coverage(self.statuses(), {
            key: {"member": self.member_figures.get(key), "sum": self.sums.get(key),
                  "count": self.counts.get(key, 0)} for key in self.sums})


def _status(language: str, result: FileResult, key: str, **details: Any) -> dict[str, str]:
    reason = text(f"consolidate.status_{key}", language, **details)
    return {"agency": agency_name(result), "file": str(result.file), "status": key, "reason": reason}


def _coverage(statuses: list[dict[str, str]], figures: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "member": next((s["agency"] for s in statuses if s["status"] == "member"), None),
        "included": [s["agency"] for s in statuses if s["status"] == "included"],
        "left_out": [{"agency": s["agency"], "file": s["file"], "reason": s["reason"]}
                     for s in statuses if s["status"] not in ("member", "included")],
        "figures": {key: {**values, "source": "member" if isinstance(values.get("member"), int) else "sum"}
                    for key, values in figures.items()},
        # per agency used, where its figures came from: the register's submission (empty for files)
        "sources": {s["agency"]: {k: s[k] for k in SOURCE_COLUMNS} for s in statuses if s.get("sha256")},
    }


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
        if rule == "sum":  # the member's own figure where it gave one, else the agencies' sum
            own = member.get(f.key) if member is not None else None
            values = [d.get(f.key) for _, d in agencies if isinstance(d.get(f.key), int)]
            data[f.key] = own if isinstance(own, int) else (sum(values) if values else None)
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


def role_of(result: FileResult) -> str:
    """Whose workbook this is (an older one without the field is an agency's)."""
    return str(result.metadata.get("role") or ROLE_AGENCY)


def consolidate(paths: Iterable[Path | str], *, member: Path | str | None = None, jobs: int | None = None,
                year: int | None = None, form_version: str | None = None,
                output: Path | str | None = None, language: str | None = None) -> Consolidation:
    """Read and validate every workbook (the member's too) and combine them (see :func:`combine`);
    with ``output``, write the consolidated workbook there (:func:`write_consolidated`), its every
    word in ``language`` (default: the member's workbook's language, else bokmål)."""
    files = expand_paths(paths)
    member_path = Path(member).resolve() if member is not None else None
    seen: set[Path] = set()
    unique = []
    for path in ([Path(member)] if member is not None else []) + files:  # each file read once
        if path.resolve() not in seen:
            seen.add(path.resolve())
            unique.append(path)
    results = validate_paths(unique, jobs=jobs, keep_documents=True)
    chosen = results[0] if member_path is not None else None
    outcome = combine(results[1:] if chosen is not None else results, chosen, year=year, form_version=form_version,
                      language=language)
    if output is not None:
        outcome.written = write_consolidated(outcome, output)
    return outcome


def _identity(result: FileResult) -> Identity | None:
    meta = result.metadata
    if not result.readable or meta.get("form_id") is None or meta.get("reporting_year") is None:
        return None
    return (str(meta["form_id"]), str(meta.get("form_version")), int(meta["reporting_year"]))


def _found(identities: Counter[Identity], language: str = DEFAULT_LANGUAGE) -> str:
    return "; ".join(text("consolidate.found_line", language, year=y, form_id=f, version=v, count=n)
                     for (f, v, y), n in sorted(identities.items(), key=lambda item: (item[0][2], item[0][1])))


def _mismatch_reason(result: FileResult, key: str, language: str) -> str:
    """Why a workbook of another year or form version was left out (``key``: other_year, other_version)."""
    own = _identity(result) or ("", "", "")
    if key == "other_year":
        return text("consolidate.other_year", language, year=own[2])
    return text("consolidate.other_version", language, version=f"{own[0]} {own[1]}")


def choose_batch(results: list[FileResult], *, year: int | None = None,
                 form_version: str | None = None) -> Identity:
    """The one (form, version, year) the batch is about: its valid workbooks' own, or as chosen.

    Raises :class:`ConsolidationError`, listing what was found, when that is not one.
    """
    found = Counter(i for r in results if r.valid and (i := _identity(r)) is not None)
    if not found:
        raise ConsolidationError("consolidate.nothing_valid")
    kept = Counter({i: n for i, n in found.items()
                    if (year is None or i[2] == year) and (form_version is None or i[1] == form_version)})
    if not kept:
        raise ConsolidationError("consolidate.none_chosen", year=year or "–", version=form_version or "–",
                                 found=found)
    if len(kept) > 1:
        years = {y for _, _, y in kept}
        if len(years) > 1:
            raise ConsolidationError("consolidate.several_years", found=kept)
        raise ConsolidationError("consolidate.several_versions", found=kept)
    (identity,) = kept
    return identity


def combine(results: list[FileResult], member: FileResult | None = None, *, year: int | None = None,
            form_version: str | None = None, language: str | None = None) -> Consolidation:
    """Combine validated workbooks (read with their documents) into one consolidated form.

    ``member`` is the member's own workbook when named; otherwise a workbook of the batch with the
    role ``member`` is. ``language``: of every word written (default: the member's workbook's, else
    bokmål). Raises :class:`ConsolidationError` when the member's workbook has errors, when there
    are two, when the batch is of several years or versions and none is chosen, or when the form
    has no wording in ``language``.
    """
    if member is not None and not member.valid:
        raise ConsolidationError("consolidate.member_invalid", file=member.file, errors=len(member.errors))
    identity = choose_batch(results + ([member] if member is not None else []), year=year,
                            form_version=form_version)
    form_id, version, year = identity
    if member is not None and _identity(member) != identity:
        raise ConsolidationError("consolidate.member_other", file=member.file, found=Counter([_identity(member)]),
                                 chosen=Counter([identity]))
    form = load_form(form_id, version)
    if language is not None and language not in wording.languages(form):
        raise ConsolidationError("cli.language_unknown", language=language,
                                 languages=", ".join(wording.languages(form)))
    outcome = Consolidation(form=form, document={}, member=member)
    members = [member] if member is not None else []
    candidates: list[FileResult] = []
    for result in results:
        own = _identity(result)
        if own is not None and own != identity:
            outcome.mismatched.append((result, ""))  # its reason is worded once the language is known
            outcome.mismatch_keys.append("other_year" if own[:2] == identity[:2] else "other_version")
        elif role_of(result) == ROLE_MEMBER and result.readable:
            if not result.valid:
                raise ConsolidationError("consolidate.member_invalid", file=result.file,
                                         errors=len(result.errors))
            members.append(result)
        elif not result.valid:
            outcome.invalid.append(result)
        else:
            candidates.append(result)
    if len(members) > 1:
        raise ConsolidationError("consolidate.two_members", files=", ".join(m.file for m in members))
    member = outcome.member = members[0] if members else None
    outcome.language = language or (member.language if member is not None else DEFAULT_LANGUAGE)
    outcome.mismatched = [(r, _mismatch_reason(r, k, outcome.language))
                          for (r, _), k in zip(outcome.mismatched, outcome.mismatch_keys)]
    newest: dict[str, FileResult] = {}
    for result in candidates:
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
    given = {k: [v for _, values in outcome.figures if isinstance(v := values.get(k), int)] for k in sum_keys}
    outcome.sums = {k: sum(given[k]) if given[k] else None for k in sum_keys}
    outcome.counts = {k: len(given[k]) for k in sum_keys}
    outcome.member_figures = {k: (member_data or {}).get(k) for k in sum_keys}
    outcome.document = canonical({"form_id": form.form_id, "form_version": form.form_version,
                                  "reporting_year": year, "agency": member.metadata.get("agency") if member else None,
                                  "role": ROLE_MEMBER, "data": data}, form)
    return outcome


# --- the consolidated workbook -------------------------------------------------------------------
def _title(ws: Worksheet, title: str, styles: Styles) -> None:
    ws.write_string(0, 0, title, styles.title)
    ws.set_row(0, 24)  # the 16-point title, which would otherwise run into the line below


def _key_column(ws: Worksheet, col: int) -> None:
    """The internal key column: last, hidden (out of the reader's way; read back by the tool)."""
    ws.set_column(col, col, 14, None, {"hidden": True})


#: Each extra table's columns, (column key, header) in order, as recorded on the metadata sheet.
Columns = dict[str, list[tuple[str, str]]]
#: The columns of the free-text and coverage tables, by key (each header is ``consolidate.col_<key>``).
TEXT_COLUMNS = ("agency", "section", "question", "answer", "key")
#: The coverage table's source columns say which submission of the register a row is (version, received,
#: SHA-256); empty and hidden in a consolidation of files.
SOURCE_COLUMNS = ("version", "received", "sha256")
SOURCE_WIDTHS = (9, 21, 36)
COVERAGE_COLUMNS = ("agency", "included", "reason", "file", *SOURCE_COLUMNS, "status")


def _headed(keys: Iterable[str], language: str = DEFAULT_LANGUAGE) -> list[tuple[str, str]]:
    return [(key, text(f"consolidate.col_{key}", language)) for key in keys]


def _figures_sheet(outcome: Consolidation, book: Workbook, styles: Styles) -> Columns:
    form, lang = outcome.form, outcome.language
    keys = list(outcome.sums)
    ws = book.add_worksheet(text("consolidate.figures_sheet", lang))
    _title(ws, text("consolidate.figures_title", lang), styles)
    ws.write_string(1, 0, text("consolidate.figures_intro", lang), styles.intro)
    ws.set_column(0, 0, 40)
    ws.set_column(1, len(keys), 20)
    _key_column(ws, len(keys) + 1)
    header = 3
    rows = outcome.figures or [("", {})]
    last = header + len(rows)
    number, wrap = styles.number, styles.wrap
    labels = [wording.label(form, k, language=lang) for k in keys]
    head_height = _row_height(*[(label, 20) for label in labels])
    columns = _headed(["agency"], lang) + list(zip(keys, labels))
    ws.add_table(header, 0, last, len(keys), {
        "name": FIGURES_TABLE, "style": TABLE_STYLE, "columns": [{"header": h} for _, h in columns],
    })
    ws.set_row(header, head_height, styles.head)
    for i, (name, values) in enumerate(rows, start=header + 1):
        ws.write_string(i, 0, name, wrap)
        ws.set_row(i, _row_height((name, 40)))
        for j, key in enumerate(keys, start=1):
            value = values.get(key)
            if isinstance(value, int):
                ws.write_number(i, j, value, number)
            else:
                ws.write_blank(i, j, None, number)
    totals = _totals_table(outcome, styles, ws, last + 2, keys, labels, head_height)
    ws.freeze_panes(header + 1, 1)
    _print_setup(ws, header)
    return {FIGURES_TABLE: columns, TOTALS_TABLE: totals}


def _totals_table(outcome: Consolidation, styles: Styles, ws: Worksheet, header: int, keys: list[str],
                  labels: list[str], head_height: float) -> list[tuple[str, str]]:
    """Below the agencies: their sum, how many gave a figure, the member's own, the difference and
    what the consolidated form (and so the report) uses; one row each, keyed in the last column."""
    bold, differs, lang = styles.total, styles.differs, outcome.language
    used = outcome.document["data"]
    values: dict[str, dict[str, Any]] = {
        "sum": outcome.sums, "count": outcome.counts, "member": outcome.member_figures,
        "difference": {k: outcome.member_figures[k] - outcome.sums[k] for k in keys
                       if isinstance(outcome.member_figures.get(k), int) and isinstance(outcome.sums.get(k), int)},
        "used": {k: used.get(k) for k in keys},
    }
    columns = _headed(["total"], lang) + list(zip(keys, labels)) + _headed(["key"], lang)
    ws.add_table(header, 0, header + len(TOTAL_ROWS), len(keys) + 1, {
        "name": TOTALS_TABLE, "style": TABLE_STYLE, "columns": [{"header": h} for _, h in columns],
    })
    ws.set_row(header, head_height, styles.head)
    for i, row_key in enumerate(TOTAL_ROWS, start=header + 1):
        ws.write_string(i, 0, text(f"consolidate.total_{row_key}", lang), bold)
        for j, key in enumerate(keys, start=1):
            value = values[row_key].get(key)
            if isinstance(value, int):
                ws.write_number(i, j, value, differs if row_key == "difference" and value else bold)
            else:
                ws.write_blank(i, j, None, bold)
        ws.write_string(i, len(keys) + 1, row_key)
    ws.write_string(header + len(TOTAL_ROWS) + 1, 0, text("consolidate.difference_note", lang), styles.note)
    return columns


def _print_setup(ws: Worksheet, header: int) -> None:
    print_setup(ws, landscape=True, margins=LIST_MARGINS)
    ws.repeat_rows(header)


def _texts_sheet(outcome: Consolidation, book: Workbook, styles: Styles) -> Columns:
    form, lang = outcome.form, outcome.language
    ws = book.add_worksheet(text("consolidate.texts_sheet", lang))
    _title(ws, text("consolidate.texts_title", lang), styles)
    ws.write_string(1, 0, text("consolidate.texts_intro", lang), styles.intro)
    for col, width in enumerate(TEXT_WIDTHS):
        ws.set_column(col, col, width)
    _key_column(ws, len(TEXT_WIDTHS) - 1)
    header = 3
    rows = outcome.texts or [("", "", "")]
    wrap, head = styles.wrap, styles.head
    columns = _headed(TEXT_COLUMNS, lang)
    ws.add_table(header, 0, header + len(rows), len(TEXT_WIDTHS) - 1, {
        "name": TEXTS_TABLE, "style": TABLE_STYLE,
        "columns": [{"header": h, "header_format": head} for _, h in columns],
    })
    for i, (name, key, answer) in enumerate(rows, start=header + 1):
        section = wording.section_title(form, form.section_of(key).key, lang) if key else ""
        label = wording.label(form, key, language=lang) if key else ""
        values = (name, section, label, answer, key)
        for col, value in enumerate(values):
            ws.write_string(i, col, value, wrap)
        # LibreOffice keeps the height it is given: give every row the height its wrapped text needs
        ws.set_row(i, _row_height(*zip(values[:4], TEXT_WIDTHS[:4])))
    ws.freeze_panes(header + 1, 1)
    _print_setup(ws, header)
    return {TEXTS_TABLE: columns}


def _coverage_sheet(outcome: Consolidation, book: Workbook, styles: Styles) -> Columns:
    """Which workbooks the consolidation covers, and which it left out and why."""
    lang = outcome.language
    ws = book.add_worksheet(text("consolidate.coverage_sheet", lang))
    _title(ws, text("consolidate.coverage_title", lang), styles)
    intro = "consolidate.coverage_intro" if outcome.member is not None else "consolidate.coverage_intro_no_member"
    ws.write_string(1, 0, text(intro, lang, count=len(outcome.agencies)), styles.intro)
    widths = (40, 16, 60, 45)
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    widths += _source_columns(ws, len(widths), shown=any(row.get("sha256") for row in outcome.statuses()))
    _key_column(ws, len(widths))
    header = 3
    rows = outcome.statuses() or [{"agency": "", "file": "", "status": "", "reason": ""}]
    wrap, head = styles.wrap, styles.head
    columns = _headed(COVERAGE_COLUMNS, lang)
    ws.add_table(header, 0, header + len(rows), len(widths), {
        "name": COVERAGE_TABLE, "style": TABLE_STYLE,
        "columns": [{"header": h, "header_format": head} for _, h in columns],
    })
    for i, row in enumerate(rows, start=header + 1):
        answer = "workbook.answer_yes" if row["status"] in ("member", "included") else "workbook.answer_no"
        included = text(answer, lang)
        values = (row["agency"], included if row["status"] else "", row["reason"], row["file"], row["status"])
        values = values[:-1] + tuple(row.get(key, "") for key in SOURCE_COLUMNS) + values[-1:]
        for col, value in enumerate(values):
            ws.write_string(i, col, value, wrap)
        ws.set_row(i, _row_height(*zip(values[:-1], widths)))
    ws.freeze_panes(header + 1, 1)
    _print_setup(ws, header)
    return {COVERAGE_TABLE: columns}


def _source_columns(ws: Worksheet, first: int, *, shown: bool) -> tuple[int, ...]:
    """The widths of the source columns from ``first`` on; hidden when no row has a source."""
    for col, width in enumerate(SOURCE_WIDTHS, start=first):
        ws.set_column(col, col, width, None, {"hidden": not shown})
    return SOURCE_WIDTHS


def write_consolidated(outcome: Consolidation, output: Path | str) -> Path:
    """Write the consolidated form (a form workbook of the same version) with its extra sheets."""

    def extras(book: Workbook, styles: Styles) -> Columns:
        return (_coverage_sheet(outcome, book, styles) | _figures_sheet(outcome, book, styles)
                | _texts_sheet(outcome, book, styles))

    return generate(Path(output), prefill=outcome.document, form=outcome.form, consolidated=True,
                    extra_sheets=extras, language=outcome.language)


# --- reading it back -----------------------------------------------------------------------------
def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _sum_columns(form: Form) -> list[tuple[str, str]]:
    """(key, label) of each summed figure: a column of the figures and totals tables."""
    return [(f.key, f.label) for f in form.questions() if f.consolidate == "sum"]


def _pick(row: dict[str, Any], key: str, header: str) -> Any:
    """A cell of a read-back row by its column key (rows of :attr:`Submission.extra_records`);
    by its header for rows as the sheet shows them (a workbook made before tables were recorded
    by key, or :attr:`Submission.extra_tables`)."""
    return row[key] if key in row else row.get(header)


def appendix_from_tables(form: Form, tables: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The appendix again, from a consolidated workbook's own sheets (as read back)."""
    agency = ("agency", text("consolidate.col_agency"))
    figures = [(str(_pick(row, *agency) or ""), {key: _int(_pick(row, key, label)) for key, label in _sum_columns(form)
                                                 if key in row or label in row})
               for row in tables.get(FIGURES_TABLE, [])]
    texts = [(str(_pick(row, *agency) or ""), str(_pick(row, "key", text("consolidate.col_key")) or ""),
              str(_pick(row, "answer", text("consolidate.col_answer")) or ""))
             for row in tables.get(TEXTS_TABLE, [])]
    return appendix_from(form, figures, [t for t in texts if t[1] in form.fields])


def coverage_from_tables(form: Form, tables: dict[str, list[dict[str, Any]]]) -> dict[str, Any] | None:
    """What the report says about a consolidation, from the workbook's own tables (None: not a
    consolidated workbook): ``member`` (its name, or None), ``included`` (agency names),
    ``left_out`` ([{agency, file, reason}])
    and ``figures`` ({key: {member, sum, count, source}}, source ``member`` or ``sum``);
    ``sources`` ({agency: {version, received, sha256}}: the register's submission each came from)."""
    if COVERAGE_TABLE not in tables:
        return None
    columns = _headed(("agency", "file", "status", "reason", *SOURCE_COLUMNS))
    statuses = [{c: str(_pick(row, c, header) or "") for c, header in columns} for row in tables[COVERAGE_TABLE]]
    by_key = {str(_pick(row, "key", text("consolidate.col_key"))): row for row in tables.get(TOTALS_TABLE, [])}
    figures = {key: {"member": _int(_pick(by_key.get("member", {}), key, label)),
                     "sum": _int(_pick(by_key.get("sum", {}), key, label)),
                     "count": _int(_pick(by_key.get("count", {}), key, label)) or 0}
               for key, label in _sum_columns(form)}
    return _coverage([s for s in statuses if s["status"] in STATUSES + MISSING_STATUSES], figures)
