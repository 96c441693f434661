"""Build ``templates/report.docx``: the Word template that :mod:`workbook.report` renders.

Run ``python -m workbook.report_template`` (or ``make template``): it builds one template per
language of the report (:data:`workbook.report.LANGUAGES`), ``templates/report.docx`` in bokmål
and ``templates/report-nn.docx`` in nynorsk, each with its fixed texts from that language's
catalogue (``report.template`` in ``locale/<language>/report.yaml``) and that language set on its
text (spelling, hyphenation); ``python -m workbook.report_template out.docx [nn]`` builds one. Each
result is an ordinary Word document that the publishers may edit in Word: styles (fonts, colours, spacing), the logo on the
title page (replace the paragraph styled "Logo" with a picture), the standard text "Til lesere av
rapporten", the footer. The tags ``{{ ... }}``, ``{%p ... %}``, ``{%tr ... %}`` and ``{%tc ... %}``
must stay as they are: they are filled by docxtpl from the context that
:func:`workbook.report.build_context` builds (section titles, labels and answers all come from the
form, so a new question in ``schema.yaml`` appears without touching this template).

The contents are written out by the template: one line per part (and per chapter), each linking
to the bookmark its heading carries (``part.anchor``, ``part.chapter_anchor``) and showing that
heading's page through a PAGEREF field, which LibreOffice fills in when it lays out the PDF and
Word when it opens the document.

Layout rules docxtpl imposes (see ``shared/engineering-notes.md``): a ``{%p %}`` tag stands alone
in its paragraph, ``{%tr %}`` alone in its table row, ``{%tc %}`` alone in its cell; no ``%`` or
``}`` inside such tags (conditions are computed in Python and passed as booleans).

The report renders each long list once and repeats the result for every item (see "Long lists"
in ``workbook/report.py``), which asks a little more: a table's rows are one table row between
``{%tr for %}`` and ``{%tr endfor %}``, each value alone in its paragraph; a list of blocks is the
bullet paragraph and the plain paragraph of :func:`blocks` and nothing else; an agency in the
appendix is its heading, then its figures table (one row per figure), then its answers (label,
then blocks). Styles and formatting of all these may change freely.
"""

from __future__ import annotations

import io
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table, _Cell

from workbook import messages
from workbook.messages import DEFAULT_LANGUAGE
from workbook.report import LANGUAGES, template_name

#: The checkout's template (the wheel carries a copy inside the package: workbook/templates).
OUTPUT = Path(__file__).resolve().parent.parent / "templates" / template_name(DEFAULT_LANGUAGE)

#: Calibri: on every Windows machine with Word; LibreOffice shows it with the metric-compatible
#: Carlito (Debian: fonts-crosextra-carlito), so pages break the same in Word and in the PDF.
FONT = "Calibri"
ACCENT = RGBColor(0x1F, 0x4E, 0x5F)
HEADER_FILL = "DCE6EA"
TEXT_WIDTH_MM = 160  # A4 (210 mm) less 25 mm margins on each side



def _t(language: str, key: str, **values: str) -> str:
    """The template's fixed text ``key`` (``report.template.<key>`` in the catalogue)."""
    return messages.text(f"report.template.{key}", language, **values)


#: Bookmarks of the template's own headings, for the table of contents (the parts' bookmarks come
#: from the context); ids far above the context's, which count from 1.
STATIC_BOOKMARKS = {"readers": ("_TocReaders", 90001), "appendix": ("_TocAppendix", 90002),
                    "coverage": ("_TocCoverage", 90003)}

# Custom paragraph styles: (name shown in Word, style id).
QUESTION = ("Spørsmål", "Question")
TABLE_TEXT = ("Tabelltekst", "TableText")
TABLE_HEADING = ("Tabelloverskrift", "TableHeading")
#: A size smaller, for the 2.2 table with the agency column (seven columns on a portrait page).
TABLE_TEXT_SMALL = ("Tabelltekst liten", "TableTextSmall")
TABLE_HEADING_SMALL = ("Tabelloverskrift liten", "TableHeadingSmall")
LOGO = ("Logo", "Logo")
COVER_LINE = ("Forside undertittel", "CoverLine")
SPACER = ("Avstand etter tabell", "TableSpacer")
MEMBER_QUOTE = ("Sitat fra medlemmet", "MemberQuote")
CONTENTS_TITLE = ("Innholdsoverskrift", "ContentsHeading")
#: The table style that marks the form's tables; the report fits their columns to the text.
FORM_TABLE_STYLE = ("Skjematabell", "FormTable")
#: The catalogue key of each custom style's name in the report's language (built with the names
#: above, then renamed: paragraphs and styles refer to a style by its id, never by its name).
STYLE_NAMES = {
    QUESTION: "style_question", TABLE_TEXT: "style_table_text", TABLE_HEADING: "style_table_heading",
    TABLE_TEXT_SMALL: "style_table_text_small", TABLE_HEADING_SMALL: "style_table_heading_small",
    LOGO: "style_logo", COVER_LINE: "style_cover_line", SPACER: "style_spacer",
    MEMBER_QUOTE: "style_member_quote", CONTENTS_TITLE: "style_contents_title",
    FORM_TABLE_STYLE: "style_form_table",
}


# --- Document set-up ------------------------------------------------------------------------

def _page_setup(doc: DocxDocument) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(25)
    section.top_margin, section.bottom_margin = Mm(25), Mm(22)
    section.header_distance, section.footer_distance = Mm(12), Mm(10)
    section.different_first_page_header_footer = True  # no footer on the title page


def _explicit_fonts(rpr_parent: object) -> None:
    """Set FONT on every script slot of an rFonts element, dropping theme fonts (which win)."""
    rpr = rpr_parent.get_or_add_rPr() if hasattr(rpr_parent, "get_or_add_rPr") else rpr_parent
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)


def _fonts_and_language(doc: DocxDocument, language: str) -> None:
    styles = doc.styles.element
    rpr_default = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _explicit_fonts(rpr_default)
    lang = rpr_default.find(qn("w:lang"))
    for attr in ("w:val", "w:eastAsia"):
        lang.set(qn(attr), LANGUAGES[language])
    for fonts in styles.iter(qn("w:rFonts")):
        _explicit_fonts(fonts.getparent())
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    _explicit_fonts(normal.element)
    normal.font.size = Pt(11)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.1


def _heading_styles(doc: DocxDocument) -> None:
    for level, size, before, after in ((1, 18, 18, 8), (2, 14, 14, 6), (3, 11, 10, 4)):
        style = doc.styles[f"Heading {level}"]
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.color.rgb = ACCENT
        style.paragraph_format.space_before = Pt(before)
        style.paragraph_format.space_after = Pt(after)
        style.paragraph_format.keep_with_next = True
    title = doc.styles["Title"]
    title.font.size = Pt(30)
    title.font.color.rgb = ACCENT
    title.paragraph_format.space_before = Pt(150)
    quote = doc.styles["Quote"]
    quote.font.size = Pt(13)
    quote.font.color.rgb = ACCENT
    quote.paragraph_format.left_indent = quote.paragraph_format.right_indent = Mm(10)
    quote.paragraph_format.space_before = quote.paragraph_format.space_after = Pt(12)
    bullet = doc.styles["List Bullet"]
    bullet.paragraph_format.space_after = Pt(6)  # contextual spacing: only after the last item
    intense = doc.styles["Intense Quote"]
    intense.font.size = Pt(16)
    intense.font.color.rgb = ACCENT


def _add_style(doc: DocxDocument, spec: tuple[str, str], base: str = "Normal"):  # noqa: ANN202
    style = doc.styles.add_style(spec[0], WD_STYLE_TYPE.PARAGRAPH)
    style.style_id = spec[1]
    style.base_style = doc.styles[base]
    style.quick_style = True
    return style


def _custom_styles(doc: DocxDocument) -> None:
    question = _add_style(doc, QUESTION)
    question.font.bold = True
    question.paragraph_format.space_before = Pt(10)
    question.paragraph_format.space_after = Pt(4)
    question.paragraph_format.keep_with_next = True
    table_text = _add_style(doc, TABLE_TEXT)
    table_text.font.size = Pt(10)
    table_text.paragraph_format.space_after = Pt(2)
    table_text.paragraph_format.line_spacing = 1.0
    table_heading = _add_style(doc, TABLE_HEADING, base=TABLE_TEXT[0])
    table_heading.font.bold = True
    small = _add_style(doc, TABLE_TEXT_SMALL, base=TABLE_TEXT[0])
    small.font.size = Pt(8.5)
    small_heading = _add_style(doc, TABLE_HEADING_SMALL, base=TABLE_TEXT_SMALL[0])
    small_heading.font.bold = True
    logo = _add_style(doc, LOGO)
    logo.font.size, logo.font.bold, logo.font.color.rgb = Pt(16), True, ACCENT
    logo.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    cover = _add_style(doc, COVER_LINE)
    cover.font.size, cover.font.color.rgb = Pt(18), ACCENT
    cover.paragraph_format.space_after = Pt(12)
    spacer = _add_style(doc, SPACER)
    spacer.font.size = Pt(4)
    spacer.paragraph_format.space_after = Pt(6)
    member_quote = _add_style(doc, MEMBER_QUOTE, base="Intense Quote")
    member_quote.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    member_quote.paragraph_format.space_before = Pt(24)
    member_quote.paragraph_format.space_after = Pt(24)
    member_quote.paragraph_format.keep_together = True
    contents = _add_style(doc, CONTENTS_TITLE)
    contents.font.size, contents.font.bold, contents.font.color.rgb = Pt(18), True, ACCENT
    contents.paragraph_format.space_after = Pt(12)
    for level, indent in ((1, 0), (2, 6)):  # Word's built-in names, so Word's own TOC uses them
        toc = doc.styles.add_style(f"toc {level}", WD_STYLE_TYPE.PARAGRAPH)
        toc.style_id = f"TOC{level}"
        toc.base_style = doc.styles["Normal"]
        toc.font.bold = level == 1 or None
        toc.paragraph_format.left_indent = Mm(indent)
        toc.paragraph_format.space_before = Pt(6 if level == 1 else 0)
        toc.paragraph_format.space_after = Pt(2)
        toc.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM), WD_TAB_ALIGNMENT.RIGHT,
                                                    WD_TAB_LEADER.DOTS)
    table = doc.styles.add_style(FORM_TABLE_STYLE[0], WD_STYLE_TYPE.TABLE)
    table.style_id = FORM_TABLE_STYLE[1]
    table.base_style = doc.styles["Table Grid"]


def _style_names(doc: DocxDocument, language: str) -> None:
    """Name the custom styles in ``language``, as Word's style gallery shows them."""
    for (name, _), key in STYLE_NAMES.items():
        doc.styles[name].name = _t(language, key)


def _settings(doc: DocxDocument, language: str) -> None:
    """Word updates the fields (the contents' page numbers) on opening; theme language the report's."""
    settings = doc.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    settings.find(qn("w:compat")).addprevious(update)
    theme_lang = settings.find(qn("w:themeFontLang"))
    if theme_lang is not None:
        theme_lang.set(qn("w:val"), LANGUAGES[language])


def _drop_thumbnail(doc: DocxDocument) -> None:
    """python-docx's default package carries a thumbnail of another document: drop it."""
    rels = doc.part.package.rels
    for rel_id in [k for k, rel in rels.items() if rel.reltype.endswith("/thumbnail")]:
        del rels[rel_id]


# --- Small writers --------------------------------------------------------------------------

def para(container: object, text: str = "", style: str | None = None, *, bold: bool = False,
         page_break_before: bool = False):  # noqa: ANN201
    paragraph = container.add_paragraph(style=style)
    if text:
        paragraph.add_run(text).bold = bold or None
    if page_break_before:
        paragraph.paragraph_format.page_break_before = True
    return paragraph


def blocks(container: object, var: str, text_style: str) -> None:
    """Paragraphs for a list of blocks: a bullet item or a plain paragraph each."""
    para(container, f"{{%p for b in {var} %}}")
    para(container, "{%p if b.bullet %}")
    para(container, "{{ b.text }}", "List Bullet")
    para(container, "{%p else %}")
    para(container, "{{ b.text }}", text_style)
    para(container, "{%p endif %}")
    para(container, "{%p endfor %}")


def _first_paragraph(cell: _Cell, text: str, style: str) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.style = style
    if text:
        paragraph.add_run(text)


def _shade(cell: _Cell, fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    for key, value in (("w:val", "clear"), ("w:color", "auto"), ("w:fill", fill)):
        shd.set(qn(key), value)
    later = ("w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark")
    successor = next((c for c in tc_pr if c.tag in {qn(t) for t in later}), None)
    if successor is None:
        tc_pr.append(shd)
    else:
        successor.addprevious(shd)


def _header_row(row: object) -> None:
    """A header row: repeated on every page the table runs to, kept whole, kept with the next."""
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))
    tr_pr.append(OxmlElement("w:tblHeader"))


def _full_width(table: Table, *, autofit: bool) -> None:
    tbl_pr = table._tbl.tblPr
    tbl_w = tbl_pr.find(qn("w:tblW"))
    tbl_w.set(qn("w:type"), "pct")
    tbl_w.set(qn("w:w"), "5000")
    table.autofit = autofit


def _mark_form_table(table: Table) -> None:
    """The form table style (the report fits such tables' columns to the rendered text) and the
    question's label as the table's alt-text title."""
    table.style = FORM_TABLE_STYLE[0]
    caption = OxmlElement("w:tblCaption")
    caption.set(qn("w:val"), "{{ q.label }}")
    table._tbl.tblPr.append(caption)


def _keep_rows_whole(row: object) -> None:
    """A row is never split across pages (``w:cantSplit``)."""
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.insert(0, OxmlElement("w:cantSplit"))


def _keep_with_next(row: object) -> None:
    """Every paragraph of a header row keeps with the next: a header never ends a page alone."""
    for tc in row._tr.tc_lst:
        for p in tc.iterchildren(qn("w:p")):
            p_pr = p.get_or_add_pPr()
            p_pr.insert(1 if p_pr.find(qn("w:pStyle")) is not None else 0, OxmlElement("w:keepNext"))


def _bookmark(paragraph: object, name: str, bookmark_id: str) -> None:
    """A bookmark around the paragraph's text: the target of a contents entry."""
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), bookmark_id)
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), bookmark_id)
    p = paragraph._p
    first_run = p.find(qn("w:r"))
    if first_run is None:
        p.append(start)
    else:
        first_run.addprevious(start)
    p.append(end)


def _table(container: object, rows: int, widths_mm: list[float]) -> Table:
    table = container.add_table(rows=rows, cols=len(widths_mm))
    table.style = "Table Grid"
    for index, width in enumerate(widths_mm):
        table.columns[index].width = Mm(width)
        for cell in table.columns[index].cells:
            cell.width = Mm(width)
    return table


def _tag_row(table: Table, index: int, tag: str) -> None:
    """A row holding only a ``{%tr %}`` tag, in one merged cell (tidy when edited in Word)."""
    row = table.rows[index]
    merged = row.cells[0].merge(row.cells[-1])
    _first_paragraph(merged, tag, TABLE_TEXT[0])


# --- Parts of the report ----------------------------------------------------------------------

def title_page(doc: DocxDocument, language: str) -> None:
    para(doc, _t(language, "ehn"), LOGO[0])  # replace with the logo picture in Word
    para(doc, _t(language, "title", org_name="{{ org_name }}"), "Title")
    para(doc, _t(language, "cover_year", year="{{ reporting_year }}"), COVER_LINE[0])
    last = para(doc, _t(language, "cover_sector"), COVER_LINE[0])
    last.add_run().add_break(WD_BREAK.PAGE)


def _run(parent: object, tag: str, text: str | None = None, **attributes: str) -> None:
    """A run holding one ``w:<tag>`` (text, tab, field character or field instruction)."""
    run = OxmlElement("w:r")
    child = OxmlElement(f"w:{tag}")
    for name, value in attributes.items():
        child.set(qn(f"w:{name}"), value)
    if text is not None:
        child.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        child.text = text
    run.append(child)
    parent.append(run)


def contents_entry(container: object, style: str, text: str, anchor: str) -> None:
    """A contents line: the heading's text linked to its bookmark, a dotted tab and its page
    number (a PAGEREF field: LibreOffice computes it when it lays out the PDF, Word when it
    updates the fields on opening). Written out, not a TOC field: LibreOffice's conversion does
    not refresh a TOC field, and docxtpl cannot."""
    paragraph = container.add_paragraph(style=style)
    link = OxmlElement("w:hyperlink")
    link.set(qn("w:anchor"), anchor)
    link.set(qn("w:history"), "1")
    _run(link, "t", text)
    _run(link, "tab")
    _run(link, "fldChar", fldCharType="begin")
    _run(link, "instrText", f" PAGEREF {anchor} \\h ")
    _run(link, "fldChar", fldCharType="separate")
    _run(link, "t", "")
    _run(link, "fldChar", fldCharType="end")
    paragraph._p.append(link)


def contents(doc: DocxDocument, language: str) -> None:
    """The table of contents: chapters and sections, on a page of its own."""
    para(doc, _t(language, "contents"), CONTENTS_TITLE[0])
    contents_entry(doc, "toc 1", _t(language, "to_readers_heading"), STATIC_BOOKMARKS["readers"][0])
    para(doc, "{%p for part in parts %}")
    para(doc, "{%p if part.has_chapter %}")
    contents_entry(doc, "toc 1", "{{ part.chapter }}", "{{ part.chapter_anchor }}")
    para(doc, "{%p endif %}")
    para(doc, "{%p if part.is_foreword %}")
    contents_entry(doc, "toc 1", _t(language, "foreword", byline="{{ part.byline }}"), "{{ part.anchor }}")
    para(doc, "{%p elif part.is_front %}")
    contents_entry(doc, "toc 1", "{{ part.title }}", "{{ part.anchor }}")
    para(doc, "{%p else %}")
    contents_entry(doc, "toc 2", "{{ part.title }}", "{{ part.anchor }}")
    para(doc, "{%p endif %}")
    para(doc, "{%p endfor %}")
    para(doc, "{%p if coverage.show %}")
    contents_entry(doc, "toc 1", _t(language, "coverage_heading"), STATIC_BOOKMARKS["coverage"][0])
    para(doc, "{%p endif %}")
    para(doc, "{%p if appendix.show %}")
    contents_entry(doc, "toc 1", _t(language, "appendix_heading"), STATIC_BOOKMARKS["appendix"][0])
    para(doc, "{%p endif %}")


def _static_heading(doc: DocxDocument, language: str, text_key: str, bookmark: str,
                    page_break_before: bool = False) -> None:
    """A chapter heading of the template's own, with the bookmark its contents entry links to."""
    heading = para(doc, _t(language, text_key), "Heading 1", page_break_before=page_break_before)
    name, number = STATIC_BOOKMARKS[bookmark]
    _bookmark(heading, name, str(number))


def to_readers(doc: DocxDocument, language: str) -> None:
    """Etisk handel Norge's own opening quote and letter, whatever the member's own quote is."""
    para(doc, _t(language, "ehn_quote"), "Quote", page_break_before=True)
    _static_heading(doc, language, "to_readers_heading", "readers")
    for paragraph in messages.lines("report.template.to_readers", language):
        para(doc, paragraph)
    signature = para(doc, _t(language, "signature_name"))
    signature.paragraph_format.space_before = Pt(18)
    signature.add_run().add_break()
    signature.add_run(_t(language, "signature_title"))


def _heading(doc: DocxDocument, text: str, style: str, anchor: str,
             page_break_before: bool = False) -> None:
    """A heading with the bookmark its contents entry links to (``part.<anchor>``)."""
    heading = para(doc, text, style, page_break_before=page_break_before)
    _bookmark(heading, f"{{{{ part.{anchor} }}}}", f"{{{{ part.{anchor}_id }}}}")


def part_headings(doc: DocxDocument, language: str) -> None:
    para(doc, "{%p if part.has_chapter %}")
    _heading(doc, "{{ part.chapter }}", "Heading 1", "chapter_anchor", page_break_before=True)
    para(doc, "{%p endif %}")
    para(doc, "{%p if part.is_foreword %}")
    _heading(doc, _t(language, "foreword", byline="{{ part.byline }}"), "Heading 1", "anchor",
             page_break_before=True)
    para(doc, "{%p elif part.new_page %}")
    _heading(doc, "{{ part.title }}", "Heading 1", "anchor", page_break_before=True)
    para(doc, "{%p elif part.is_front %}")
    _heading(doc, "{{ part.title }}", "Heading 1", "anchor")
    para(doc, "{%p else %}")
    _heading(doc, "{{ part.title }}", "Heading 2", "anchor")
    para(doc, "{%p endif %}")


def generic_table(doc: DocxDocument) -> None:
    """Any table of the form: one column per form column (``{%tc for %}``), one row per row."""
    table = _table(doc, 4, [TEXT_WIDTH_MM / 3] * 3)
    header = table.rows[0].cells
    _first_paragraph(header[0], "{%tc for c in q.table.columns %}", TABLE_HEADING[0])
    _first_paragraph(header[1], "{{ c.label }}", TABLE_HEADING[0])
    _first_paragraph(header[2], "{%tc endfor %}", TABLE_HEADING[0])
    for cell in header:
        _shade(cell, HEADER_FILL)
    _header_row(table.rows[0])
    _keep_with_next(table.rows[0])
    _tag_row(table, 1, "{%tr for row in q.table.rows %}")
    body = table.rows[2].cells
    _first_paragraph(body[0], "{%tc for cell in row.cells %}", TABLE_TEXT[0])
    _first_paragraph(body[2], "{%tc endfor %}", TABLE_TEXT[0])
    _first_paragraph(body[1], "{%p for b in cell %}", TABLE_TEXT[0])
    for text, style in (("{%p if b.bullet %}", TABLE_TEXT[0]), ("{{ b.text }}", "List Bullet"),
                        ("{%p else %}", TABLE_TEXT[0]), ("{{ b.text }}", TABLE_TEXT[0]),
                        ("{%p endif %}", TABLE_TEXT[0]), ("{%p endfor %}", TABLE_TEXT[0])):
        body[1].add_paragraph(text, style)
    _keep_rows_whole(table.rows[2])
    _tag_row(table, 3, "{%tr endfor %}")
    _full_width(table, autofit=True)
    _mark_form_table(table)
    for row in table.rows:  # widths are the loop's: let Word fit them to the text
        for tc in row._tr.tc_lst:
            tc_w = tc.tcPr.find(qn("w:tcW")) if tc.tcPr is not None else None
            if tc_w is not None:
                tc_w.set(qn("w:type"), "auto")
                tc_w.set(qn("w:w"), "0")
    para(doc, "", SPACER[0])


def requirements_table(doc: DocxDocument, language: str, *, with_agency: bool) -> None:
    """2.2: the three Ja/Nei columns grouped under one heading, as in the form."""
    lead = ["procurement", "agreement_type", "supplier_count"]
    widths = [46.0, 24.0, 24.0]
    if with_agency:
        lead, widths = ["agency", *lead], [26.0, 34.0, 20.0, 18.0]
    heading, body = (TABLE_HEADING_SMALL[0], TABLE_TEXT_SMALL[0]) if with_agency else \
        (TABLE_HEADING[0], TABLE_TEXT[0])
    phases = ["as_qualification", "at_award", "as_contract_condition"]
    phase_width = (TEXT_WIDTH_MM - sum(widths)) / 3
    table = _table(doc, 5, [*widths, *[phase_width] * 3])
    n = len(lead)
    for index in range(n):
        table.cell(0, index).merge(table.cell(1, index))
    group = table.cell(0, n).merge(table.cell(0, n + 2))
    for index, key in enumerate(lead):
        _first_paragraph(table.cell(0, index), f"{{{{ q.table.labels.{key} }}}}", heading)
    _first_paragraph(group, _t(language, "requirements_group"), heading)
    for index, key in enumerate(phases):
        _first_paragraph(table.cell(1, n + index), f"{{{{ q.table.labels.{key} }}}}", heading)
    for row in table.rows[:2]:
        _header_row(row)
        for tc in row._tr.tc_lst:
            cell = _Cell(tc, table)
            _shade(cell, HEADER_FILL)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
        _keep_with_next(row)
    _tag_row(table, 2, "{%tr for r in q.table.rows %}")
    for index, key in enumerate([*lead, *phases]):
        _first_paragraph(table.cell(3, index), f"{{{{ r.{key} }}}}", body)
    _keep_rows_whole(table.rows[3])
    _tag_row(table, 4, "{%tr endfor %}")
    _full_width(table, autofit=False)
    _mark_form_table(table)
    para(doc, "", SPACER[0])


def question_items(doc: DocxDocument, language: str) -> None:
    para(doc, "{%p for q in part.questions %}")
    para(doc, "{%p if q.show_label %}")
    para(doc, "{{ q.label }}", "Heading 3")
    para(doc, "{%p endif %}")
    para(doc, "{%p if q.is_text %}")
    blocks(doc, "q.blocks", "Normal")
    para(doc, "{%p elif q.is_contact %}")
    para(doc, "{{ q.contact.heading }}", "Heading 3")
    para(doc, "{%p for line in q.contact.lines %}")
    para(doc, "{{ line.label }}: {{ line.value }}")
    para(doc, "{%p endfor %}")
    para(doc, "{%p elif q.is_requirements %}")
    # the form's instruction under 2.2, above its table (as in the published reports)
    para(doc, _t(language, "requirements_instruction")).paragraph_format.keep_with_next = True
    para(doc, "{%p if q.table.show_agency %}")
    requirements_table(doc, language, with_agency=True)
    para(doc, "{%p else %}")
    requirements_table(doc, language, with_agency=False)
    para(doc, "{%p endif %}")
    para(doc, "{%p elif q.is_table %}")
    generic_table(doc)
    para(doc, "{%p endif %}")
    para(doc, "{%p endfor %}")


def member_quote(doc: DocxDocument) -> None:
    """The member's own highlight quote, where the published reports place it."""
    para(doc, "{%p if part.show_quote and quote.show %}")
    para(doc, "“{{ quote.text }}”", MEMBER_QUOTE[0])
    para(doc, "{%p endif %}")


def parts(doc: DocxDocument, language: str) -> None:
    para(doc, "{%p for part in parts %}")
    part_headings(doc, language)
    question_items(doc, language)
    member_quote(doc)
    para(doc, "{%p endfor %}")


def closing_contact(doc: DocxDocument, language: str) -> None:
    heading = para(doc, _t(language, "closing_contact"), QUESTION[0])
    heading.paragraph_format.space_before = Pt(30)
    para(doc, "{%p for line in contact.lines %}")
    para(doc, "{{ line }}").paragraph_format.space_after = Pt(0)
    para(doc, "{%p endfor %}")


def appendix(doc: DocxDocument, language: str) -> None:
    para(doc, "{%p if appendix.show %}")
    _static_heading(doc, language, "appendix_heading", "appendix", page_break_before=True)
    para(doc, "{%p for a in appendix.agencies %}")
    para(doc, "{{ a.name }}", "Heading 2")
    para(doc, "{%p if a.has_figures %}")
    table = _table(doc, 3, [TEXT_WIDTH_MM * 0.7, TEXT_WIDTH_MM * 0.3])
    _tag_row(table, 0, "{%tr for f in a.figures %}")
    _first_paragraph(table.cell(1, 0), "{{ f.label }}", TABLE_TEXT[0])
    _first_paragraph(table.cell(1, 1), "{{ f.value }}", TABLE_TEXT[0])
    table.cell(1, 1).paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _tag_row(table, 2, "{%tr endfor %}")
    _full_width(table, autofit=False)
    para(doc, "", SPACER[0])
    para(doc, "{%p endif %}")
    para(doc, "{%p for ans in a.answers %}")
    para(doc, "{{ ans.label }}", "Heading 3")
    blocks(doc, "ans.blocks", "Normal")
    para(doc, "{%p endfor %}")
    para(doc, "{%p endfor %}")
    para(doc, "{%p endif %}")


def coverage(doc: DocxDocument, language: str) -> None:
    """A consolidated report: which agencies it covers, which it left out and why."""
    para(doc, "{%p if coverage.show %}")
    _static_heading(doc, language, "coverage_heading", "coverage", page_break_before=True)
    para(doc, "{{ coverage.covers }}")
    para(doc, "{%p for name in coverage.included %}")
    para(doc, "{{ name }}", "List Bullet")
    para(doc, "{%p endfor %}")
    para(doc, "{%p if coverage.has_left_out %}")
    para(doc, "{{ coverage.left_out_intro }}")
    para(doc, "{%p for line in coverage.left_out %}")
    para(doc, "{{ line }}", "List Bullet")
    para(doc, "{%p endfor %}")
    para(doc, "{%p endif %}")
    para(doc, "{%p endif %}")


def _page_field(paragraph: object) -> None:
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def footer(doc: DocxDocument, language: str) -> None:
    section = doc.sections[0]
    paragraph = section.footer.paragraphs[0]
    style = doc.styles["Footer"]
    style.paragraph_format.tab_stops.clear_all()
    style.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM), WD_TAB_ALIGNMENT.RIGHT)
    paragraph.style = style
    run = paragraph.add_run(_t(language, "footer", year="{{ reporting_year }}", org_name="{{ org_name }}"))
    run.font.size = Pt(9)
    _page_field(paragraph)
    section.first_page_footer.paragraphs[0].text = ""


#: The package's extended properties: python-docx's default says "Microsoft Macintosh Word".
APP_PROPERTIES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>workbook</Application></Properties>"
)


def _own_app_properties(output: Path) -> None:
    """Rewrite the saved package with :data:`APP_PROPERTIES` as ``docProps/app.xml``."""
    data = output.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            blob = source.read(info)
            target.writestr(info, APP_PROPERTIES.encode() if info.filename == "docProps/app.xml"
                            else blob)


def _properties(doc: DocxDocument, language: str) -> None:
    props = doc.core_properties
    props.title = _t(language, "document_title")
    props.subject = messages.text("report.document_subject", language)
    props.author = _t(language, "ehn")
    props.language = LANGUAGES[language]
    props.comments = ""
    props.keywords = ""


BUILDERS: tuple[Callable[[DocxDocument, str], None], ...] = (
    title_page, contents, to_readers, parts, closing_contact, coverage, appendix, footer,
)


def build_template(output: Path = OUTPUT, language: str = DEFAULT_LANGUAGE) -> Path:
    """Write the report template in ``language`` (a key of :data:`LANGUAGES`) to ``output`` and
    return the path."""
    if language not in LANGUAGES:
        raise ValueError(f"the report has no template in «{language}»: {', '.join(LANGUAGES)}")
    doc = Document()
    _page_setup(doc)
    _fonts_and_language(doc, language)
    _heading_styles(doc)
    _custom_styles(doc)
    _settings(doc, language)
    _drop_thumbnail(doc)
    _properties(doc, language)
    body = doc.element.body
    for paragraph in list(body.iterchildren(qn("w:p"))):
        body.remove(paragraph)  # the default document's empty first paragraph
    for builder in BUILDERS:
        builder(doc, language)
    _style_names(doc, language)
    output.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(output))
    _own_app_properties(output)
    return output


def build_templates(folder: Path = OUTPUT.parent) -> list[Path]:
    """Write the template of every language of the report into ``folder`` (its file names:
    :func:`workbook.report.template_name`)."""
    return [build_template(folder / template_name(language), language) for language in LANGUAGES]


def main(argv: list[str]) -> int:
    """No argument: every language's template into ``templates/``; else ``OUTPUT [LANGUAGE]``."""
    if len(argv) > 1:
        built = [build_template(Path(argv[1]), argv[2] if len(argv) > 2 else DEFAULT_LANGUAGE)]
    else:
        built = build_templates()
    for path in built:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
