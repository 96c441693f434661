"""The member report as a Word document: a filled form (the JSON format) → ``report.docx``.

:func:`build_context` turns a document, and for a consolidated report the agencies' own answers,
into the plain dicts, strings and booleans that ``templates/report.docx`` reads;
:func:`render_report` fills that template with docxtpl in a sandboxed, autoescaping Jinja
environment. Everything the report shows about the form comes from the form itself (section
titles, chapter headings, labels), so a new question in ``schema.yaml`` appears in the report
without touching the template. Formatting is decided here, not in the template: numbers, Ja/Nei,
choices, and long texts split into paragraphs and bullet items. The long lists (tables' rows, the
appendix's agencies) are rendered by the template once, as a prototype, and repeated for every
item by :mod:`workbook.docx_repeat`: the same XML, in a fraction of the time. The form's tables
then get column widths by their content (:mod:`workbook.docx_columns`).

The context (every value a str, bool, list or dict)::

    org_name, reporting_year           str: the title page and the footer
    quote                              {show, text}: the member's highlight quote (without
                                         quotation marks), placed after the part show_quote marks
    parts                              list, in report order (the foreword first), each
        key, title, chapter            str: the section key, its title, the chapter it opens ("")
        has_chapter, is_front,         bool: opens a chapter; before the first chapter;
        new_page, is_foreword             starts a page; heading "Forord fra: <byline>"
        show_quote                     bool: the member's quote follows this part
        anchor, anchor_id,             str: the bookmark (name, id) of the part's heading and of
        chapter_anchor(_id)               its chapter's, which the table of contents links to
        byline                         str: "<author>, <title>"
        questions                      list of items; each has every key below:
            label, show_label          the question's label and whether to show it
            is_text, blocks            a plain answer: blocks [{text, bullet}]
            is_contact, contact        {heading, lines: [{label, value}]}
            is_requirements, table     2.2: {show_agency, labels: {col: label}, rows: [{col: str}]}
            is_table, table            any other table: {show_agency, columns: [{key, label}],
                                                         rows: [{cells: [[block, ...], ...]}]}
    contact                            {lines: [str]}: the closing "Kontakt:" block
    appendix                           {show, agencies: [{name, has_figures,
                                         figures: [{label, value}], answers: [{label, blocks}]}]}
    coverage                           {show, covers, included: [str], has_left_out,
                                        left_out_intro, left_out: [str]}:
                                         which agencies a consolidated report covers and which
                                         it left out, and why

In a consolidated report a figure the member left blank is the agencies' sum and says so
("98 (summen av 4 virksomheter)").

The report is written in one of :data:`LANGUAGES` (``language``, bokmål by default): its template
(:func:`default_template`, one per language, built by :mod:`workbook.report_template`), the form's
wording (:mod:`workbook.wording`: section titles, chapters, labels, column headers, shown
choices), the catalogue's words (Ja/Nei, the consolidation's sentences) and the document's
language (core properties, and through them the PDF's /Lang). The answers stay as typed.
"""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from workbook import wording
from workbook.docx_columns import fit_form_tables
from workbook.docx_repeat import DOCUMENT_PART, Block, Repeated, TemplateShapeError, write_package
from workbook.form import AGENCY_COLUMN_KEY, DEFAULT_FORM, Column, Field, Form, ReportRoles, Section, load_form
from workbook.kinds import KIND
from workbook.messages import DEFAULT_LANGUAGE, languages, text
from workbook.resources import data_folder

#: The languages the report is written in (every language of the catalogue), each with its tag
#: (``report.language_tag``): the template's text, the document properties and, through them, the
#: PDF's /Lang. Bokmål is the default.
LANGUAGES = {language: text("report.language_tag", language) for language in languages()}


def template_name(language: str = DEFAULT_LANGUAGE) -> str:
    """The file name of the report template in ``language``: ``report.docx`` for bokmål (as it
    always was), ``report-<language>.docx`` for any other."""
    return "report.docx" if language == DEFAULT_LANGUAGE else f"report-{language}.docx"


def default_template(language: str = DEFAULT_LANGUAGE) -> Path:
    """The template that comes with the tool, in ``language`` (the checkout's, or inside an
    installed wheel)."""
    return data_folder("templates") / template_name(language)


DEFAULT_TEMPLATE = default_template()
#: The package's extended properties name this tool, never the program that made the template.
APP_PART = "docProps/app.xml"
APP_PROPERTIES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    b"<Application>workbook</Application></Properties>"
)

#: Thousands separator: a no-break space, so "27 000 000 000" never breaks across lines.
THOUSANDS_SEPARATOR = "\u00a0"
#: Norwegian style groups digits from five digits up: 2017 and 1500 stay as they are.
GROUP_FROM = 10_000
#: A bullet item: a line starting with "- " or "• " (a tab after the marker works too).
BULLET = re.compile(r"[ \t]*[-•][ \t]+(.*)")
_BULLET_STARTS = frozenset(" \t-•")  # the first characters a bullet line can have

# Where the report places fields outside the plain question-and-answer flow: the form's
# rules say (form.yaml `report`, Form.report).
#: Quotation marks a member may have typed around the quote; the template adds its own.
QUOTE_MARKS = "\"'“”„«»‘’‚"


#: Characters XML cannot hold (and that docxtpl would read as its own markers): the C0 controls
#: bar tab and newline, lone surrogates, U+FFFE and U+FFFF. Vertical tab and form feed become line
#: breaks, the rest go. Most values have none, so the search runs first and the rest only then.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = frozenset("\x0b\x0c")


# --- Formatting -------------------------------------------------------------------------------

def format_int(number: int) -> str:
    """Norwegian style: ``51619`` → ``51 619`` (no-break space); four digits and less as typed."""
    if abs(number) < GROUP_FROM:
        return str(number)
    return f"{number:,}".replace(",", THOUSANDS_SEPARATOR)


def format_value(value: Any, language: str = DEFAULT_LANGUAGE) -> str:
    """A value as the report shows it: Ja/Nei, grouped integers, choices joined by commas."""
    if isinstance(value, str):
        return _printable(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return text("report.answer_yes", language) if value else text("report.answer_no", language)
    if isinstance(value, int):
        return format_int(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(v, language) for v in value if v is not None)
    return _printable(str(value))


def _printable(value: str) -> str:
    """``value`` without the characters XML cannot hold (see ``_UNPRINTABLE``)."""
    if _UNPRINTABLE.search(value) is None:
        return value
    return _UNPRINTABLE.sub(lambda m: "\n" if m.group() in _LINE_BREAKS else "", value)


def _block(value: str, bullet: bool = False) -> Block:
    return {"text": value, "bullet": bullet}


def split_blocks(value: str | None) -> list[Block]:
    """Split a long text into paragraphs and bullet items.

    A blank line ends a paragraph; a line starting with ``- `` or ``• `` is one bullet item
    (shown without its marker); other lines in a row are one paragraph with line breaks.
    """
    if not value:
        return []
    if "\n" not in value and "\r" not in value:
        return _one_line_blocks(value)
    blocks: list[Block] = []
    lines: list[str] = []
    for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        bullet = BULLET.match(line) if line[:1] in _BULLET_STARTS else None
        if bullet is None and line and not line.isspace():
            lines.append(line)
            continue
        if lines:  # a bullet item or a blank line ends the paragraph
            blocks.append(_block("\n".join(lines)))
            lines = []
        if bullet is not None and (item := bullet.group(1).strip()):
            blocks.append(_block(item, bullet=True))
    if lines:
        blocks.append(_block("\n".join(lines)))
    return blocks


def _one_line_blocks(line: str) -> list[Block]:
    """:func:`split_blocks` for a text of one line (most of them), without splitting."""
    bullet = BULLET.match(line)
    if bullet is not None:
        item = bullet.group(1).strip()
        return [_block(item, bullet=True)] if item else []
    return [_block(line)] if line and not line.isspace() else []


def _shown_blocks(kind: str, value: Any, language: str = DEFAULT_LANGUAGE) -> list[Block]:
    shown = format_value(value, language)
    if KIND[kind].report == "paragraphs":
        return split_blocks(shown)
    return [_block(shown)] if shown else []


# --- The report's language -----------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class _Words:
    """The form's wording in the report's language (:mod:`workbook.wording`)."""

    form: Form
    language: str

    def label(self, key: str, column: str | None = None) -> str:
        return wording.label(self.form, key, column, self.language)

    def shown(self, key: str, column: str | None, value: Any) -> Any:
        """``value`` with each stored choice as the language shows it (anything else as typed)."""
        if self.language == DEFAULT_LANGUAGE:
            return value  # bokmål shows the stored values themselves
        field = self.form.field(key)
        kind, allowed = (field.kind, field.allowed) if column is None else \
            (field.column(column).kind, field.column(column).allowed)
        if not KIND[kind].shows_choices:
            return value

        def one(item: Any) -> Any:
            chosen = isinstance(item, str) and item in allowed
            return wording.choice_text(self.form, key, item, column, self.language) if chosen else item

        return [one(item) for item in value] if isinstance(value, list) else one(value)

    def blocks(self, key: str, column: str | None, kind: str, value: Any) -> list[Block]:
        return _shown_blocks(kind, self.shown(key, column, value), self.language)

    def value(self, key: str, column: str | None, value: Any) -> str:
        return format_value(self.shown(key, column, value), self.language)


# --- Items: one question of a part --------------------------------------------------------------

def _item(label: str, *, show_label: bool = True, **layout: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "label": label, "show_label": show_label, "is_text": False, "blocks": [],
        "is_contact": False, "contact": {},
        "is_requirements": False, "is_table": False, "table": {},
    }
    item.update(layout)
    return item


def _show_agency(rows: list[dict[str, Any]]) -> bool:
    return any(format_value(row.get(AGENCY_COLUMN_KEY)).strip() for row in rows)


def _columns(field: Field, show_agency: bool) -> list[Column]:
    return [c for c in field.columns if show_agency or not c.consolidated_only]


def _cell(words: _Words, field: Field, column: Column, value: Any) -> list[Block]:
    # a Word cell needs a paragraph
    return words.blocks(field.key, column.key, column.kind, value) or [_block("")]


def _generic_table(words: _Words, field: Field, rows: list[dict[str, Any]]) -> dict[str, Any]:
    show_agency = _show_agency(rows)
    columns = _columns(field, show_agency)
    return {
        "show_agency": show_agency,
        "columns": [{"key": c.key, "label": words.label(field.key, c.key)} for c in columns],
        "rows": [{"cells": [_cell(words, field, c, row.get(c.key)) for c in columns]} for row in rows],
    }


def _requirements_table(words: _Words, field: Field, rows: list[dict[str, Any]]) -> dict[str, Any]:
    keys = [c.key for c in field.columns]
    return {
        "show_agency": _show_agency(rows),
        "labels": {c.key: words.label(field.key, c.key) for c in field.columns},
        "rows": [{key: words.value(field.key, key, row.get(key)) for key in keys} for row in rows],
    }


def _has_requirements_layout(roles: ReportRoles, field: Field) -> bool:
    return {c.key for c in field.columns if not c.consolidated_only} == roles.requirements_columns


def _table_item(words: _Words, field: Field, value: Any) -> dict[str, Any] | None:
    rows = [row for row in value or [] if isinstance(row, dict)]
    if not rows and not field.required:
        return None
    label = words.label(field.key)
    roles = words.form.report
    if field.key == roles.requirements and _has_requirements_layout(roles, field):
        return _item(label, is_requirements=True, table=_requirements_table(words, field, rows))
    return _item(label, is_table=True, table=_generic_table(words, field, rows))


def _field_item(words: _Words, field: Field, value: Any, *, show_label: bool = True) -> dict[str, Any] | None:
    if field.is_table:
        return _table_item(words, field, value)
    blocks = words.blocks(field.key, None, field.kind, value)
    if not blocks and not field.required:
        return None
    return _item(words.label(field.key), show_label=show_label, is_text=True, blocks=blocks)


def _contact_item(words: _Words, fields: list[Field], data: dict[str, Any]) -> dict[str, Any] | None:
    """The contact fields as one block: "Kontaktinformasjon for rapporten" and "Navn: ..."."""
    heading, lines = "", []
    for field in fields:
        prefix, _, short = words.label(field.key).rpartition(": ")
        heading = heading or prefix
        value = words.value(field.key, None, data.get(field.key))
        if value:
            lines.append({"label": short, "value": value})
    if not lines:
        return None
    return _item(heading, show_label=False, is_contact=True,
                 contact={"heading": heading, "lines": lines})


def _questions(words: _Words, section: Section, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The section's questions as items; the foreword's own text goes without its label."""
    items: list[dict[str, Any] | None] = []
    roles = words.form.report
    contact = [f for f in section.fields if f.key in roles.contact]
    for field in section.fields:
        if field.key in roles.byline or field.key == roles.quote:
            continue
        if field.key in roles.contact:
            if field.key == contact[0].key:
                items.append(_contact_item(words, contact, data))
            continue
        letter = section.key == roles.foreword and KIND[field.kind].report == "paragraphs"
        items.append(_field_item(words, field, data.get(field.key), show_label=not letter))
    return [item for item in items if item is not None]


# --- Parts: one section of the form each ----------------------------------------------------------

def _byline(roles: ReportRoles, data: dict[str, Any]) -> str:
    return ", ".join(v for v in (format_value(data.get(k)).strip() for k in roles.byline) if v)


def _parts(words: _Words, data: dict[str, Any]) -> list[dict[str, Any]]:
    roles = words.form.report
    sections = sorted(words.form.sections, key=lambda s: s.key != roles.foreword)  # stable sort
    parts: list[dict[str, Any]] = []
    chapter, in_chapter = "", False
    for section in sections:
        if section.chapter:
            chapter, in_chapter = wording.chapter(words.form, section.key, words.language) or "", True
        is_foreword = section.key == roles.foreword
        questions = _questions(words, section, data)
        byline = _byline(roles, data) if is_foreword else ""
        if not questions and not byline:
            continue  # nothing to show; a chapter it opens moves on to the next part
        number = len(parts) + 1
        parts.append({
            "key": section.key, "title": wording.section_title(words.form, section.key, words.language),
            "chapter": chapter, "has_chapter": bool(chapter),
            "is_front": not in_chapter, "new_page": not parts and not in_chapter,
            "is_foreword": bool(byline), "byline": byline, "questions": questions,
            "show_quote": False,
            "anchor": f"_TocPart{number}", "anchor_id": str(2 * number - 1),
            "chapter_anchor": f"_TocChapter{number}", "chapter_anchor_id": str(2 * number),
        })
        chapter = ""
    _place_quote(parts, roles.quote_after)
    return parts


def _place_quote(parts: list[dict[str, Any]], quote_after: str) -> None:
    """Mark the part the member's quote follows: the rules' ``quote_after``, else the last front part."""
    front = [part for part in parts if part["is_front"]] or parts
    after = next((p for p in parts if p["key"] == quote_after), front[-1] if front else None)
    if after is not None:
        after["show_quote"] = True


# --- Appendix: each agency's own answers (consolidated reports) ----------------------------------

def _appendix_label(words: _Words, item: dict[str, Any]) -> str:
    """An appendix line's label: the form's, in the report's language, where it names a field."""
    key = item.get("key")
    if words.language != DEFAULT_LANGUAGE and isinstance(key, str) and key in words.form.fields:
        return words.label(key)
    return format_value(item.get("label", ""))


def _appendix(words: _Words, appendix: Iterable[dict[str, Any]] | None) -> dict[str, Any]:
    agencies = []
    for entry in appendix or ():
        figures = [
            {"label": _appendix_label(words, f),
             "value": format_value(f.get("value"), words.language) or text("report.no_value", words.language)}
            for f in entry.get("figures") or ()
        ]
        answers = [
            {"label": _appendix_label(words, a), "blocks": split_blocks(shown)}
            for a in entry.get("answers") or ()
            if (shown := format_value(a.get("text"), words.language)).strip()
        ]
        agencies.append({"name": format_value(entry.get("agency")), "has_figures": bool(figures),
                         "figures": figures, "answers": answers})
    return {"show": bool(agencies), "agencies": agencies}


# --- Coverage: what a consolidated report is made of --------------------------------------------

def _coverage(coverage: dict[str, Any] | None, language: str) -> dict[str, Any]:
    """The sentences that say which agencies the report covers and which it left out, and why."""
    if not coverage:
        return {"show": False, "covers": "", "included": [], "has_left_out": False, "left_out_intro": "",
                "left_out": []}
    sources = coverage.get("sources") or {}  # from the register: which submission each agency's came from
    included = [format_value(_source_line(name, sources[name], language) if name in sources else name)
                for name in coverage.get("included") or ()]
    covers = (text("consolidate.report_covers_no_member", language, count=len(included))
              if not coverage.get("member")
              else text("consolidate.report_covers", language, count=len(included)) if included
              else text("consolidate.report_covers_none", language))
    left_out = []
    for item in coverage.get("left_out") or ():
        reason = format_value(item.get("reason", ""))
        file = Path(str(item.get("file", ""))).name  # none for an agency on the register's list that sent nothing
        line = "consolidate.report_left_out_line" if file else "consolidate.report_left_out_line_missing"
        left_out.append(format_value(text(line, language, agency=item.get("agency", ""), file=file,
                                          reason=reason[:1].lower() + reason[1:])))
    return {"show": True, "covers": covers, "included": included, "has_left_out": bool(left_out),
            "left_out_intro": text("consolidate.report_left_out", language), "left_out": left_out}


def _source_line(agency: str, source: dict[str, Any], language: str) -> str:
    """An agency and the register's submission its figures came from (the hash shortened: the
    consolidated workbook has it whole)."""
    return text("consolidate.report_source", language, agency=agency, version=source.get("version", ""),
                received=source.get("received", ""), sha256=str(source.get("sha256", ""))[:16])


def _with_sum_notes(data: dict[str, Any], coverage: dict[str, Any] | None, language: str) -> dict[str, Any]:
    """A figure the member left blank, filled with the agencies' sum, shown as such."""
    figures = (coverage or {}).get("figures") or {}
    notes = {key: f"{format_value(data[key])} ({text('consolidate.report_sum_note', language, count=f['count'])})"
             for key, f in figures.items()
             if f.get("source") == "sum" and isinstance(data.get(key), int) and data.get(key) == f.get("sum")}
    return {**data, **notes} if notes else data


# --- Public API -------------------------------------------------------------------------------

def build_context(
    document: dict[str, Any],
    *,
    appendix: list[dict[str, Any]] | None = None,
    form: Form | None = None,
    coverage: dict[str, Any] | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> dict[str, Any]:
    """The template's context for one document (see the module docstring for its shape).

    ``coverage`` (consolidated reports) is what :func:`workbook.consolidate.coverage_from_tables`
    reads back: the agencies covered and left out, and where each figure came from.
    ``language`` (one of :data:`LANGUAGES`) is the language of every word the report adds.
    """
    check_language(language)
    if form is None:
        form = load_form(document.get("form_id") or DEFAULT_FORM[0],
                         document.get("form_version") or DEFAULT_FORM[1])
    words = _Words(form, language)
    data = _with_sum_notes(document.get("data") or {}, coverage, language)
    org_name = format_value(data.get("org_name")) or format_value(document.get("agency"))
    closing = [format_value(data.get(key)).strip() for key in form.report.closing_contact]
    quote = format_value(data.get(form.report.quote)).strip().strip(QUOTE_MARKS).strip()
    return {
        "org_name": org_name,
        "reporting_year": format_value(document.get("reporting_year")),
        "quote": {"show": bool(quote), "text": quote},
        "parts": _parts(words, data),
        "contact": {"lines": [line for line in closing if line]},
        "appendix": _appendix(words, appendix),
        "coverage": _coverage(coverage, language),
    }


def check_language(language: str) -> str:
    """``language`` if the report is written in it; else ValueError, worded for the user."""
    if language not in LANGUAGES:
        raise ValueError(text("report.unknown_language", language=language))
    return language


def _none_as_empty(value: Any) -> Any:
    return "" if value is None else value


def jinja_env() -> SandboxedEnvironment:
    """The environment the template is rendered in: sandboxed, autoescaping, strict."""
    return SandboxedEnvironment(autoescape=True, undefined=StrictUndefined, finalize=_none_as_empty)


def report_file(path: Path | str, output: Path, *, template: Path | None = None,
                language: str = DEFAULT_LANGUAGE) -> tuple[Any, Path | None]:
    """Check one workbook (:func:`workbook.validate.check_file`) and, if it is valid, render its
    report to ``output``: the ``report`` command's one call. Returns the file's result and the
    report written (None: the workbook is not valid, and nothing is written)."""
    from workbook.validate import check_file

    result = check_file(path)
    if not result.valid:
        return result, None
    return result, report_from(result, output, template=template, language=language)


def report_from(result: Any, output: Path, *, template: Path | None = None,
                language: str = DEFAULT_LANGUAGE) -> Path:
    """Render the Word report of one checked workbook (a :class:`workbook.validate.FileResult`
    from ``check_file``): its answers, and for a consolidated workbook the appendix and coverage
    its own tables hold (read back by column key). Returns ``output``."""
    from workbook.consolidate import appendix_from_tables, coverage_from_tables

    tables = result.extra_records
    return render_report(result.document, output, appendix=appendix_from_tables(result.form, tables) or None,
                         template=template, form=result.form, coverage=coverage_from_tables(result.form, tables),
                         language=language)


def render_report(
    document: dict[str, Any],
    output: Path,
    *,
    appendix: list[dict[str, Any]] | None = None,
    template: Path | None = None,
    form: Form | None = None,
    coverage: dict[str, Any] | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> Path:
    """Render the Word report of ``document`` to ``output`` in ``language`` (one of
    :data:`LANGUAGES`; ``template`` defaults to that language's) and return ``output``."""
    check_language(language)
    template = Path(template) if template is not None else default_template(language)
    if not template.is_file():
        raise FileNotFoundError(text("report.template_missing", path=template))
    context = build_context(document, appendix=appendix, form=form, coverage=coverage, language=language)
    repeated = Repeated(context)
    report = DocxTemplate(template)
    report.render(repeated.context, jinja_env=jinja_env())
    fit_form_tables(report.docx, repeated.cell_texts)
    _set_properties(report.docx.core_properties, context, language)
    package = io.BytesIO()
    report.save(package)
    with zipfile.ZipFile(package) as saved:
        xml = saved.read(DOCUMENT_PART).decode("utf-8")
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    write_package(package.getvalue(), output, repeated.document(xml, report.resolve_listing),
                  replace={APP_PART: APP_PROPERTIES})
    return output


def _set_properties(props: Any, context: dict[str, Any], language: str) -> None:
    """The report's own core properties: its title and author (the member), made now, in the
    report's language; never what the template (or python-docx's default package) carried."""
    now = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)
    member = context["org_name"][:255]
    props.title = text("report.document_title", language, org_name=context["org_name"],
                       year=context["reporting_year"])[:255]
    props.subject = text("report.document_subject", language)
    props.author = props.last_modified_by = member
    props.language = LANGUAGES[language]
    props.created = props.modified = now
    props.revision = 1
    props.keywords = props.comments = props.category = ""


# ``fit_form_tables`` and ``TemplateShapeError`` live with their code and are part of this API too.
__all__ = ["DEFAULT_TEMPLATE", "LANGUAGES", "Block", "TemplateShapeError", "build_context", "check_language",
           "default_template", "fit_form_tables", "format_int", "format_value", "jinja_env", "render_report",
           "split_blocks", "template_name"]
