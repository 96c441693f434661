"""Long lists: rendered once by the template, repeated in Python.

A consolidated report holds tens of thousands of table rows and appendix paragraphs: rendering
them through Jinja, docxtpl's line-break pass (``resolve_listing``, a regular expression per
paragraph and run), lxml and the column fitting took 45 s for 1,000 agencies. Instead the
template renders one prototype of each repeated item, its texts replaced by tokens, and after
saving, the prototype's XML is repeated for every real item with the texts in place of the
tokens: escaped as autoescaping would, and run through docxtpl's own ``resolve_listing`` when
they hold line breaks or tabs. The template keeps deciding how everything looks; the result is
the XML docxtpl would have made (checked by a test). This relies on docxtpl (0.20) putting a
rendered ``{{ ... }}`` inside one ``<w:t>`` of its paragraph and on ``resolve_listing(xml)``.

:class:`Repeated` cuts the lists out of the report's context and puts them back into the saved
document's XML; :func:`write_package` writes the package with that XML as its body.
"""

from __future__ import annotations

import io
import re
import secrets
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypedDict

from workbook.errors import WorkbookError
from workbook.messages import text

#: The part of the package that holds the body.
DOCUMENT_PART = "word/document.xml"
#: zlib level for the body: level 1 packs 80 MB of XML in a third of level 6's time, for a file
#: about a quarter larger.
DEFLATE_LEVEL = 1
#: Text docxtpl turns into line breaks, tabs, paragraph and page breaks (``resolve_listing``).
_LISTING = re.compile("[\t\n\a\f]")


class Block(TypedDict):
    """One paragraph of a long text: a plain paragraph or one bullet item (the report's context
    holds long texts as blocks; a prototype's slot is filled with them)."""

    text: str
    bullet: bool


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
#: The elements whose missing is worded in the catalogue (``report.template_part_<tag>``).
_ELEMENT_NAMES = ("p", "tr")


def _enclosing(xml: str, at: int, tag: str) -> tuple[int, int]:
    """Start and end of the ``<w:tag>`` element around position ``at`` (paragraphs and table
    rows do not nest in the report)."""
    start = max(xml.rfind(f"<w:{tag}>", 0, at), xml.rfind(f"<w:{tag} ", 0, at))
    end = xml.find(f"</w:{tag}>", at)
    if start < 0 or end < 0:
        part = text(f"report.template_part_{tag}") if tag in _ELEMENT_NAMES else tag
        raise TemplateShapeError(text("report.template_shape", part=part))
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


class Repeated:
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
        return [Block(text=tokens[1], bullet=True), Block(text=tokens[0], bullet=False)]

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
        return start, end, lambda: (keep_with_next(row.fill(item)) if not index else row.fill(item)
                                    for index, item in enumerate(items))

    def _appendix_region(self, xml: str, listing: Callable[[str], str]) -> Region | None:
        """The agencies: heading, figures table (when it has figures) and answers each."""
        heading = _span(xml, self.heading["name"])
        if heading is None:
            return None  # the template shows no appendix
        answer = _span(xml, [t for tokens in self.answer.values() for t in tokens])
        figure_at = xml.find(self.figure["label"][0])
        if answer is None or figure_at < 0:
            raise TemplateShapeError(text("report.template_shape", part=text("report.template_part_appendix")))
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


_PARAGRAPH_PROPERTIES = re.compile(r"<w:pPr>(?:<w:pStyle [^>]*/>)?")
_BARE_PARAGRAPH = re.compile(r"<w:p>(?!<w:pPr>)")
_KEEP_NEXT = "<w:keepNext/>"


def keep_with_next(row: str) -> str:
    """A table row's XML with every paragraph kept with the next (``w:keepNext``, after the
    paragraph's style as the schema orders it): the first body row of a form table keeps with the
    second, so a table never starts with one lonely row at the bottom of a page (its header rows
    keep with the next in the template)."""
    def keep(match: re.Match[str]) -> str:
        kept = row.startswith(_KEEP_NEXT, match.end())
        return match.group() if kept else match.group() + _KEEP_NEXT

    row = _PARAGRAPH_PROPERTIES.sub(keep, row)
    return _BARE_PARAGRAPH.sub(f"<w:p><w:pPr>{_KEEP_NEXT}</w:pPr>", row)


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


def write_package(package: bytes, output: Path, document: Iterable[str],
                  replace: Mapping[str, bytes] | None = None) -> None:
    """Copy the saved package to ``output``, its body written from ``document``'s pieces and the
    parts named in ``replace`` (that the package has) with the bytes given."""
    replace = replace or {}
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(
            output, "w", zipfile.ZIP_DEFLATED, compresslevel=DEFLATE_LEVEL) as target:
        for info in source.infolist():
            if info.filename != DOCUMENT_PART:
                target.writestr(info, replace.get(info.filename) or source.read(info))
                continue
            with target.open(info.filename, "w") as stream:
                for chunk in _chunks(document):
                    stream.write(chunk)
