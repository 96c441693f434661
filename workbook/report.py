"""The member report as a Word document: a filled form (the JSON format) → ``report.docx``.

:func:`build_context` turns a document, and for a consolidated report the agencies' own answers,
into the plain dicts, strings and booleans that ``templates/report.docx`` reads;
:func:`render_report` fills that template with docxtpl in a sandboxed, autoescaping Jinja
environment. Everything the report shows about the form comes from the form itself (section
titles, chapter headings, labels), so a new question in ``schema.yaml`` appears in the report
without touching the template. Formatting is decided here, not in the template: numbers, Ja/Nei,
choices, and long texts split into paragraphs and bullet items. The long lists (tables' rows, the
appendix's agencies) are rendered by the template once, as a prototype, and repeated here for
every item: the same XML, in a fraction of the time (see "Long lists" below).

The context (every value a str, bool, list or dict)::

    org_name, reporting_year           str: the title page and the footer
    quote                              {show, text}: the highlight quote before the intro
    parts                              list, in report order (the foreword first), each
        key, title, chapter            str: the section key, its title, the chapter it opens ("")
        has_chapter, is_front,         bool: opens a chapter; before the first chapter;
        new_page, is_foreword             starts a page; heading "Forord fra: <byline>"
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
"""

from __future__ import annotations

import io
import re
import secrets
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypedDict

from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree

from workbook.errors import WorkbookError
from workbook.form import AGENCY_COLUMN_KEY, DEFAULT_FORM, Column, Field, Form, Section, load_form
from workbook.messages import text

DEFAULT_TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "report.docx"

#: Thousands separator: a no-break space, so "27 000 000 000" never breaks across lines.
THOUSANDS_SEPARATOR = "\u00a0"
#: Norwegian style groups digits from five digits up: 2017 and 1500 stay as they are.
GROUP_FROM = 10_000
#: A bullet item: a line starting with "- " or "• " (a tab after the marker works too).
BULLET = re.compile(r"[ \t]*[-•][ \t]+(.*)")
_BULLET_STARTS = frozenset(" \t-•")  # the first characters a bullet line can have

# Where the report places fields outside the plain question-and-answer flow.
FOREWORD_SECTION = "foreword"
BYLINE_KEYS = ("foreword_author", "foreword_author_title")
QUOTE_KEY = "highlight_quote"
CONTACT_PREFIX = "contact_"
CLOSING_CONTACT_KEYS = ("org_name", "contact_name", "contact_email", "contact_phone")
REQUIREMENTS_KEY = "requirements"
REQUIREMENTS_COLUMNS = frozenset(
    {"procurement", "agreement_type", "supplier_count", "as_qualification", "at_award",
     "as_contract_condition"}
)


#: Characters XML cannot hold (and that docxtpl would read as its own markers): the C0 controls
#: bar tab and newline, lone surrogates, U+FFFE and U+FFFF. Vertical tab and form feed become line
#: breaks, the rest go. Most values have none, so the search runs first and the rest only then.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = frozenset("\x0b\x0c")


class Block(TypedDict):
    """One paragraph of a long text: a plain paragraph or one bullet item."""

    text: str
    bullet: bool


# --- Formatting -------------------------------------------------------------------------------

def format_int(number: int) -> str:
    """Norwegian style: ``51619`` → ``51 619`` (no-break space); four digits and less as typed."""
    if abs(number) < GROUP_FROM:
        return str(number)
    return f"{number:,}".replace(",", THOUSANDS_SEPARATOR)


def format_value(value: Any) -> str:
    """A value as the report shows it: Ja/Nei, grouped integers, choices joined by commas."""
    if isinstance(value, str):
        return _printable(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return text("report.answer_yes") if value else text("report.answer_no")
    if isinstance(value, int):
        return format_int(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(v) for v in value if v is not None)
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


def _shown_blocks(kind: str, value: Any) -> list[Block]:
    shown = format_value(value)
    if kind == "longtext":
        return split_blocks(shown)
    return [_block(shown)] if shown else []


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


def _cell(column: Column, value: Any) -> list[Block]:
    return _shown_blocks(column.kind, value) or [_block("")]  # a Word cell needs a paragraph


def _generic_table(field: Field, rows: list[dict[str, Any]]) -> dict[str, Any]:
    show_agency = _show_agency(rows)
    columns = _columns(field, show_agency)
    return {
        "show_agency": show_agency,
        "columns": [{"key": c.key, "label": c.label} for c in columns],
        "rows": [{"cells": [_cell(c, row.get(c.key)) for c in columns]} for row in rows],
    }


def _requirements_table(field: Field, rows: list[dict[str, Any]]) -> dict[str, Any]:
    keys = [c.key for c in field.columns]
    return {
        "show_agency": _show_agency(rows),
        "labels": {c.key: c.label for c in field.columns},
        "rows": [{key: format_value(row.get(key)) for key in keys} for row in rows],
    }


def _has_requirements_layout(field: Field) -> bool:
    return {c.key for c in field.columns if not c.consolidated_only} == REQUIREMENTS_COLUMNS


def _table_item(field: Field, value: Any) -> dict[str, Any] | None:
    rows = [row for row in value or [] if isinstance(row, dict)]
    if not rows and not field.required:
        return None
    if field.key == REQUIREMENTS_KEY and _has_requirements_layout(field):
        return _item(field.label, is_requirements=True, table=_requirements_table(field, rows))
    return _item(field.label, is_table=True, table=_generic_table(field, rows))


def _field_item(field: Field, value: Any, *, show_label: bool = True) -> dict[str, Any] | None:
    if field.is_table:
        return _table_item(field, value)
    blocks = _shown_blocks(field.kind, value)
    if not blocks and not field.required:
        return None
    return _item(field.label, show_label=show_label, is_text=True, blocks=blocks)


def _contact_item(fields: list[Field], data: dict[str, Any]) -> dict[str, Any] | None:
    """The contact fields as one block: "Kontaktinformasjon for rapporten" and "Navn: ..."."""
    heading, lines = "", []
    for field in fields:
        prefix, _, short = field.label.rpartition(": ")
        heading = heading or prefix
        value = format_value(data.get(field.key))
        if value:
            lines.append({"label": short, "value": value})
    if not lines:
        return None
    return _item(heading, show_label=False, is_contact=True,
                 contact={"heading": heading, "lines": lines})


def _questions(section: Section, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The section's questions as items; the foreword's own text goes without its label."""
    items: list[dict[str, Any] | None] = []
    contact = [f for f in section.fields if f.key.startswith(CONTACT_PREFIX)]
    for field in section.fields:
        if field.key in BYLINE_KEYS or field.key == QUOTE_KEY:
            continue
        if field.key.startswith(CONTACT_PREFIX):
            if field.key == contact[0].key:
                items.append(_contact_item(contact, data))
            continue
        letter = section.key == FOREWORD_SECTION and field.kind == "longtext"
        items.append(_field_item(field, data.get(field.key), show_label=not letter))
    return [item for item in items if item is not None]


# --- Parts: one section of the form each ----------------------------------------------------------

def _byline(data: dict[str, Any]) -> str:
    return ", ".join(v for v in (format_value(data.get(k)).strip() for k in BYLINE_KEYS) if v)


def _parts(form: Form, data: dict[str, Any]) -> list[dict[str, Any]]:
    sections = sorted(form.sections, key=lambda s: s.key != FOREWORD_SECTION)  # stable sort
    parts: list[dict[str, Any]] = []
    chapter, in_chapter = "", False
    for section in sections:
        if section.chapter:
            chapter, in_chapter = section.chapter, True
        is_foreword = section.key == FOREWORD_SECTION
        questions = _questions(section, data)
        byline = _byline(data) if is_foreword else ""
        if not questions and not byline:
            continue  # nothing to show; a chapter it opens moves on to the next part
        parts.append({
            "key": section.key, "title": section.title,
            "chapter": chapter, "has_chapter": bool(chapter),
            "is_front": not in_chapter, "new_page": not parts and not in_chapter,
            "is_foreword": bool(byline), "byline": byline, "questions": questions,
        })
        chapter = ""
    return parts


# --- Appendix: each agency's own answers (consolidated reports) ----------------------------------

def _appendix(appendix: Iterable[dict[str, Any]] | None) -> dict[str, Any]:
    agencies = []
    for entry in appendix or ():
        figures = [
            {"label": format_value(f.get("label", "")),
             "value": format_value(f.get("value")) or text("report.no_value")}
            for f in entry.get("figures") or ()
        ]
        answers = [
            {"label": format_value(a.get("label", "")), "blocks": split_blocks(shown)}
            for a in entry.get("answers") or ()
            if (shown := format_value(a.get("text"))).strip()
        ]
        agencies.append({"name": format_value(entry.get("agency")), "has_figures": bool(figures),
                         "figures": figures, "answers": answers})
    return {"show": bool(agencies), "agencies": agencies}


# --- Column widths of the form's tables, fitted to their text after rendering --------------------

#: The alt-text title that marks the form's tables in the template (see the build script).
FORM_TABLE_CAPTION = "Skjematabell"
_CHAR = 100  # twips per character of 10 pt text, about 1.8 mm
_PADDING = 260  # twips: the cell's left and right margins and a little air
_WORD_CAP = 2600  # twips: a longer word in the rows may wrap rather than widen its column
_HEADER_WORD_CAP = 1400  # twips: header words wrap sooner (and give way first when space is short)
_MEAN_CAP = 400  # characters: beyond this, more text does not ask for a wider column
_TWIPS_PER_EMU = 1 / 635
W_NAMESPACE = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_TEXTS = etree.XPath(".//w:t/text()", namespaces={"w": W_NAMESPACE})
_SPAN = etree.XPath("string(w:tcPr/w:gridSpan/@w:val)", namespaces={"w": W_NAMESPACE})
_IS_HEADER = etree.XPath("boolean(w:trPr/w:tblHeader)", namespaces={"w": W_NAMESPACE})


def _placed_cells(tr: Any) -> list[tuple[int, int, Any]]:
    """(first grid column, columns spanned, cell) for each cell of a row."""
    placed, column = [], 0
    for tc in tr.findall(qn("w:tc")):
        span = int(_SPAN(tc) or 1)
        placed.append((column, span, tc))
        column += span
    return placed


def _longest_word(content: str) -> int:
    return max(map(len, content.split()), default=0)


def _minimum_widths(total: int, words: list[int], header_words: list[int]) -> list[int]:
    """Room for each column's longest word; header words give way first when space is short."""
    rows = [min(w * _CHAR + _PADDING, _WORD_CAP) for w in words]
    full = [max(r, min(h * _CHAR + _PADDING, _HEADER_WORD_CAP)) for r, h in zip(rows, header_words)]
    if sum(full) <= total:
        return full
    if sum(rows) >= total:
        return [int(total * r / sum(rows)) for r in rows]
    share = (total - sum(rows)) / (sum(full) - sum(rows))
    return [int(r + (f - r) * share) for r, f in zip(rows, full)]


#: A table row as the fitting sees it: whether it is a header row, how many rows it stands for,
#: and (first grid column, columns spanned, text) for each cell. A row standing for ``n`` rows has
#: their cells' texts joined by spaces in each cell.
TextRow = tuple[bool, int, list[tuple[int, int, str]]]


def _column_widths(rows: Iterable[TextRow], count: int, total: int) -> list[int]:
    length, words, header_words = [0] * count, [0] * count, [0] * count
    body_rows = 0
    for header, many, cells in rows:
        body_rows += 0 if header else many
        for column, span, content in cells:
            if span != 1:
                continue
            if header:
                header_words[column] = max(header_words[column], _longest_word(content))
            else:
                length[column] += len(content) - (many - 1)  # not the joining spaces
                words[column] = max(words[column], _longest_word(content))
    minimum = _minimum_widths(total, words, header_words)
    wanted = [max(min(n / max(body_rows, 1), _MEAN_CAP) * _CHAR + _PADDING - m, 0.0)
              for n, m in zip(length, minimum)]
    base = sum(minimum)
    if base >= total:
        return minimum
    weights = wanted if sum(wanted) > 0 else [1.0] * count
    return [int(m + (total - base) * w / sum(weights)) for m, w in zip(minimum, weights)]


def _cell_text(tc: Any) -> str:
    return "".join(_TEXTS(tc))


def _text_rows(rows: list[tuple[bool, list[tuple[int, int, Any]]]],
               repeated: Mapping[str, tuple[int, str]]) -> Iterator[TextRow]:
    """The rows' texts; a prototype row (its cells' texts are keys of ``repeated``) stands for the
    rows ``repeated`` gives: their number and their texts joined by spaces."""
    for header, cells in rows:
        texts = [(column, span, _cell_text(tc)) for column, span, tc in cells]
        many = next((repeated[t][0] for _, _, t in texts if t in repeated), 1)
        yield header, many, [
            (column, span, repeated[t][1] if t in repeated else " ".join([t] * many))
            for column, span, t in texts
        ]


def _set_width(parent: Any, tag: str, width: int) -> None:
    element = parent.find(qn(tag))
    if element is None:
        element = etree.SubElement(parent, qn(tag))
        parent.insert(0, element)
    element.set(qn("w:w"), str(width))
    element.set(qn("w:type"), "dxa")


def _fit_table(tbl: Any, total: int, repeated: Mapping[str, tuple[int, str]]) -> None:
    grid = tbl.find(qn("w:tblGrid")).findall(qn("w:gridCol"))
    count = len(grid)
    rows = [(bool(_IS_HEADER(tr)), _placed_cells(tr)) for tr in tbl.findall(qn("w:tr"))]
    if not count or any(sum(span for _, span, _ in cells) != count for _, cells in rows):
        return  # a ragged table: leave it as the template made it
    widths = _column_widths(_text_rows(rows, repeated), count, total)
    for col, width in zip(grid, widths):
        col.set(qn("w:w"), str(width))
    for _, cells in rows:
        for column, span, tc in cells:
            _set_width(tc.get_or_add_tcPr(), "w:tcW", sum(widths[column:column + span]))
    tbl_pr = tbl.tblPr
    tbl_w = tbl_pr.find(qn("w:tblW"))
    if tbl_w is not None:
        tbl_w.set(qn("w:w"), str(sum(widths)))
        tbl_w.set(qn("w:type"), "dxa")
    layout = tbl_pr.find(qn("w:tblLayout"))
    if layout is not None:
        layout.set(qn("w:type"), "fixed")


def fit_form_tables(docx: DocxDocument,
                    repeated: Mapping[str, tuple[int, str]] | None = None) -> None:
    """Give the form's tables column widths by their content (Word and LibreOffice alike).

    ``repeated`` maps the text of a prototype row's cell to what it stands for (see
    :class:`_Repeated`): the number of rows and their texts joined by spaces, so the rows count
    before they are in the document.
    """
    section = docx.sections[0]
    total = int((section.page_width - section.left_margin - section.right_margin) * _TWIPS_PER_EMU)
    for tbl in docx.element.body.iter(qn("w:tbl")):
        caption = tbl.tblPr.find(qn("w:tblCaption"))
        if caption is not None and caption.get(qn("w:val")) == FORM_TABLE_CAPTION:
            _fit_table(tbl, total, repeated or {})


# --- Long lists: rendered once by the template, repeated in Python -----------------------------
#
# A consolidated report holds tens of thousands of table rows and appendix paragraphs: rendering
# them through Jinja, docxtpl's line-break pass (``resolve_listing``, a regular expression per
# paragraph and run), lxml and the column fitting took 45 s for 1,000 agencies. Instead the
# template renders one prototype of each repeated item, its texts replaced by tokens, and after
# saving, the prototype's XML is repeated for every real item with the texts in place of the
# tokens: escaped as autoescaping would, and run through docxtpl's own ``resolve_listing`` when
# they hold line breaks or tabs. The template keeps deciding how everything looks; the result is
# the XML docxtpl would have made (checked by a test). This relies on docxtpl (0.20) putting a
# rendered ``{{ ... }}`` inside one ``<w:t>`` of its paragraph and on ``resolve_listing(xml)``.

#: The part of the package that holds the body.
DOCUMENT_PART = "word/document.xml"
#: zlib level for the body: level 1 packs 80 MB of XML in a third of level 6's time, for a file
#: about a quarter larger.
DEFLATE_LEVEL = 1
#: Text docxtpl turns into line breaks, tabs, paragraph and page breaks (``resolve_listing``).
_LISTING = re.compile("[\t\n\a\f]")

#: A slot of a prototype: the token of its plain paragraph and that of its bullet paragraph.
SlotTokens = tuple[str, str]
#: A slot's value: a text (one plain paragraph) or blocks (a paragraph each).
SlotValue = str | list[Block]
#: Where a prototype sits in the saved XML, and the XML that takes its place.
Region = tuple[int, int, Callable[[], Iterator[str]]]


class TemplateShapeError(WorkbookError, ValueError):
    """Raised when an edited template no longer has a repeated part where the report needs it
    (a table's row loop, the appendix's heading, figures table and answers)."""


#: How the error message names a missing element.
_ELEMENT_NAMES = {"p": "avsnittet", "tr": "tabellraden"}


def _enclosing(xml: str, at: int, tag: str) -> tuple[int, int]:
    """Start and end of the ``<w:tag>`` element around position ``at`` (paragraphs and table
    rows do not nest in the report)."""
    start = max(xml.rfind(f"<w:{tag}>", 0, at), xml.rfind(f"<w:{tag} ", 0, at))
    end = xml.find(f"</w:{tag}>", at)
    if start < 0 or end < 0:
        raise TemplateShapeError(text("report.template_shape", part=_ELEMENT_NAMES.get(tag, tag)))
    return start, end + len(f"</w:{tag}>")


def _span(xml: str, tokens: Iterable[str]) -> tuple[int, int] | None:
    """From the start of the first to the end of the last paragraph holding one of the tokens."""
    spans = [_enclosing(xml, at, "p") for t in tokens if (at := xml.find(t)) >= 0]
    return (min(s for s, _ in spans), max(e for _, e in spans)) if spans else None


def _flat_texts(values: Iterable[SlotValue]) -> str:
    """Cells' texts as the column fitting reads them from the document, joined by spaces: a
    cell's paragraphs run together, line breaks and tabs not counted."""
    joined = " ".join(v if isinstance(v, str) else v[0]["text"] if len(v) == 1
                      else "".join(b["text"] for b in v) for v in values)
    return _LISTING.sub("", joined) if _LISTING.search(joined) else joined


class _Paragraph:
    """A rendered paragraph whose text is a token, to be filled with other texts."""

    def __init__(self, xml: str, token: str, listing: Callable[[str], str]) -> None:
        self.parts = xml.split(token)
        self.listing = listing

    def fill(self, value: str) -> str:
        # ``in`` scans far faster than a regular expression, and most texts need neither step
        if "&" in value or "<" in value or ">" in value:
            value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        xml = value.join(self.parts)
        if "\n" in value or "\t" in value or "\a" in value or "\f" in value:
            return self.listing(xml)
        return xml


def _paragraph(xml: str, token: str, listing: Callable[[str], str]) -> _Paragraph | None:
    at = xml.find(token)
    if at < 0:
        return None
    start, end = _enclosing(xml, at, "p")
    return _Paragraph(xml[start:end], token, listing)


class _Fragment:
    """Rendered XML holding slots: the paragraphs whose text is a slot's token.

    A slot is filled with a text (its plain paragraph) or with blocks (a paragraph each: the
    bullet paragraph for a bullet item, the plain one otherwise; a slot with only one of them
    uses it for both). What lies between a slot's first and last paragraph is the template's loop
    and is not repeated. Slots the XML does not show are left out.
    """

    def __init__(self, xml: str, slots: Mapping[Any, SlotTokens],
                 listing: Callable[[str], str]) -> None:
        found = []
        for name, tokens in slots.items():
            span = _span(xml, tokens)
            if span is not None:
                plain, bullet = (_paragraph(xml, t, listing) for t in tokens)
                found.append((*span, name, plain or bullet, bullet or plain))
        found.sort(key=lambda f: f[0])
        #: The XML before the first slot, then each slot with the XML up to the next one.
        self.first = xml[:found[0][0]] if found else xml
        self.slots = [(name, plain, bullet, xml[end:following[0]])
                      for (_, end, name, plain, bullet), following
                      in zip(found, [*found[1:], (len(xml),)])]

    def fill(self, values: Mapping[Any, SlotValue] | Sequence[SlotValue]) -> str:
        """The XML with each slot's paragraphs for ``values[slot]``."""
        out = [self.first]
        for name, plain, bullet, after in self.slots:
            value = values[name]
            if isinstance(value, str):
                out.append(plain.fill(value))
            else:
                out.extend((bullet if b["bullet"] else plain).fill(b["text"]) for b in value)
            out.append(after)
        return "".join(out)


class _AgencyPrototype:
    """The appendix's XML for one agency: its heading, its figures table, one answer."""

    def __init__(self, heading: _Fragment, figures: tuple[str, _Fragment, str],
                 answer: _Fragment) -> None:
        self.heading, self.figures, self.answer = heading, figures, answer

    def fill(self, agency: dict[str, Any]) -> str:
        out = [self.heading.fill(agency)]
        if agency["has_figures"]:
            before, row, after = self.figures
            out.append(before)
            out.extend(row.fill(figure) for figure in agency["figures"])
            out.append(after)
        out.extend(self.answer.fill(answer) for answer in agency["answers"])
        return "".join(out)


class _Repeated:
    """The report's long lists, taken out of the context the template renders.

    :attr:`context` is the template's context with each table's rows and the appendix's agencies
    cut down to one prototype whose texts are tokens; :attr:`cell_texts` tells the column fitting
    what each prototype cell stands for; :meth:`document` puts the real items in place of the
    prototypes in the saved document's XML. Slots are named by the context's own keys (and a
    generic table's cells by the column's index), so the context's items fill them as they are.
    """

    def __init__(self, context: dict[str, Any]) -> None:
        self.nonce = f"wbk{secrets.token_hex(8)}"  # typed text cannot forge a token
        self.tables: list[tuple[dict[Any, SlotTokens], list[Any]]] = []
        self.cell_texts: dict[str, tuple[int, str]] = {}
        self.agencies: list[dict[str, Any]] = context["appendix"]["agencies"]
        self.heading = self._slots("agency", ["name"])
        self.figure = self._slots("figure", ["label", "value"])
        self.answer = self._slots("answer", ["label", "blocks"])
        self.context = {**context, "parts": [self._part(p) for p in context["parts"]],
                        "appendix": self._appendix(context["appendix"])}

    def _slots(self, scope: object, names: Iterable[Any]) -> dict[Any, SlotTokens]:
        return {name: (f"{self.nonce}_{scope}_{name}_p_", f"{self.nonce}_{scope}_{name}_b_")
                for name in names}

    @staticmethod
    def _prototype_blocks(tokens: SlotTokens) -> list[Block]:
        return [_block(tokens[1], bullet=True), _block(tokens[0])]

    def _table(self, table: dict[str, Any], is_requirements: bool) -> dict[str, Any]:
        """The table with one prototype row; its rows and their texts are kept here."""
        index = len(self.tables)
        if is_requirements:
            slots = self._slots(index, table["labels"])
            prototype = {key: tokens[0] for key, tokens in slots.items()}
            items = table["rows"]
        else:
            slots = self._slots(index, range(len(table["columns"])))
            prototype = {"cells": [self._prototype_blocks(t) for t in slots.values()]}
            items = [row["cells"] for row in table["rows"]]
        self.tables.append((slots, items))
        for name, (plain, bullet) in slots.items():
            texts = (len(items), _flat_texts(item[name] for item in items))
            self.cell_texts[plain] = self.cell_texts[bullet + plain] = texts
        return {**table, "rows": [prototype]}

    def _part(self, part: dict[str, Any]) -> dict[str, Any]:
        questions = [
            {**q, "table": self._table(q["table"], q["is_requirements"])}
            if (q["is_table"] or q["is_requirements"]) and q["table"]["rows"] else q
            for q in part["questions"]
        ]
        return {**part, "questions": questions}

    def _appendix(self, appendix: dict[str, Any]) -> dict[str, Any]:
        if not self.agencies:
            return appendix
        figure = self.figure
        prototype = {
            "name": self.heading["name"][0], "has_figures": True,
            "figures": [{"label": figure["label"][0], "value": figure["value"][0]}],
            "answers": [{"label": self.answer["label"][0],
                         "blocks": self._prototype_blocks(self.answer["blocks"])}],
        }
        return {**appendix, "agencies": [prototype]}

    def _table_region(self, xml: str, listing: Callable[[str], str], slots: dict[Any, SlotTokens],
                      items: list[Any]) -> Region | None:
        found = [at for tokens in slots.values() for t in tokens if (at := xml.find(t)) >= 0]
        if not found:
            return None  # the template does not show this table
        start, end = _enclosing(xml, min(found), "tr")
        row = _Fragment(xml[start:end], slots, listing)
        return start, end, lambda: (row.fill(item) for item in items)

    def _appendix_region(self, xml: str, listing: Callable[[str], str]) -> Region | None:
        """The agencies: heading, figures table (when it has figures) and answers each."""
        heading = _span(xml, self.heading["name"])
        if heading is None:
            return None  # the template shows no appendix
        answer = _span(xml, [t for tokens in self.answer.values() for t in tokens])
        figure_at = xml.find(self.figure["label"][0])
        if answer is None or figure_at < 0:
            raise TemplateShapeError(text("report.template_shape", part="vedleggets tall og svar"))
        row = _enclosing(xml, figure_at, "tr")
        agency = _AgencyPrototype(
            heading=_Fragment(xml[heading[0]:heading[1]], self.heading, listing),
            figures=(xml[heading[1]:row[0]], _Fragment(xml[row[0]:row[1]], self.figure, listing),
                     xml[row[1]:answer[0]]),
            answer=_Fragment(xml[answer[0]:answer[1]], self.answer, listing),
        )
        return heading[0], answer[1], lambda: (agency.fill(a) for a in self.agencies)

    def document(self, xml: str, listing: Callable[[str], str]) -> Iterator[str]:
        """The saved document's XML with the prototypes replaced by the real items, in pieces;
        ``listing`` is docxtpl's ``resolve_listing``."""
        regions = [self._table_region(xml, listing, slots, items) for slots, items in self.tables]
        if self.agencies:
            regions.append(self._appendix_region(xml, listing))
        done = 0
        for start, end, items in sorted((r for r in regions if r is not None), key=lambda r: r[0]):
            yield xml[done:start]
            yield from items()
            done = end
        yield xml[done:]


def _chunks(pieces: Iterable[str], size: int = 1 << 20) -> Iterator[bytes]:
    """The pieces joined into UTF-8 chunks of about ``size`` characters."""
    batch: list[str] = []
    length = 0
    for piece in pieces:
        batch.append(piece)
        length += len(piece)
        if length >= size:
            yield "".join(batch).encode("utf-8")
            batch, length = [], 0
    yield "".join(batch).encode("utf-8")


def _write_package(package: bytes, output: Path, document: Iterable[str]) -> None:
    """Copy the saved package to ``output``, its body written from ``document``'s pieces."""
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(
            output, "w", zipfile.ZIP_DEFLATED, compresslevel=DEFLATE_LEVEL) as target:
        for info in source.infolist():
            if info.filename != DOCUMENT_PART:
                target.writestr(info, source.read(info))
                continue
            with target.open(info.filename, "w") as stream:
                for chunk in _chunks(document):
                    stream.write(chunk)


# --- Public API -------------------------------------------------------------------------------

def build_context(
    document: dict[str, Any],
    *,
    appendix: list[dict[str, Any]] | None = None,
    form: Form | None = None,
) -> dict[str, Any]:
    """The template's context for one document (see the module docstring for its shape)."""
    if form is None:
        form = load_form(document.get("form_id") or DEFAULT_FORM[0],
                         document.get("form_version") or DEFAULT_FORM[1])
    data = document.get("data") or {}
    org_name = format_value(data.get("org_name")) or format_value(document.get("agency"))
    closing = [format_value(data.get(key)).strip() for key in CLOSING_CONTACT_KEYS]
    quote = format_value(data.get(QUOTE_KEY)).strip()
    return {
        "org_name": org_name,
        "reporting_year": format_value(document.get("reporting_year")),
        "quote": {"show": bool(quote), "text": quote},
        "parts": _parts(form, data),
        "contact": {"lines": [line for line in closing if line]},
        "appendix": _appendix(appendix),
    }


def _none_as_empty(value: Any) -> Any:
    return "" if value is None else value


def jinja_env() -> SandboxedEnvironment:
    """The environment the template is rendered in: sandboxed, autoescaping, strict."""
    return SandboxedEnvironment(autoescape=True, undefined=StrictUndefined, finalize=_none_as_empty)


def render_report(
    document: dict[str, Any],
    output: Path,
    *,
    appendix: list[dict[str, Any]] | None = None,
    template: Path | None = None,
    form: Form | None = None,
) -> Path:
    """Render the Word report of ``document`` to ``output`` and return ``output``."""
    template = Path(template) if template is not None else DEFAULT_TEMPLATE
    if not template.is_file():
        raise FileNotFoundError(text("report.template_missing", path=template))
    context = build_context(document, appendix=appendix, form=form)
    repeated = _Repeated(context)
    report = DocxTemplate(template)
    report.render(repeated.context, jinja_env=jinja_env())
    fit_form_tables(report.docx, repeated.cell_texts)
    title = text("report.document_title", org_name=context["org_name"],
                 year=context["reporting_year"])
    report.docx.core_properties.title = title[:255]
    package = io.BytesIO()
    report.save(package)
    with zipfile.ZipFile(package) as saved:
        xml = saved.read(DOCUMENT_PART).decode("utf-8")
    output = Path(output)
    _write_package(package.getvalue(), output, repeated.document(xml, report.resolve_listing))
    return output
