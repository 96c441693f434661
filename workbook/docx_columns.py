"""Column widths of the form's tables, fitted to their text after rendering.

The report sets the widths itself, so Word and LibreOffice show the same table: each column gets
room for the longest word of its header, so a header word never breaks ("kontraktsvilkå / r"),
and for the longest word of its rows (these give way first when space is short: a long word in a
row may wrap); what is left goes to the columns by how much text their rows hold on average. Only
the tables the template marks as the form's (table style :data:`FORM_TABLE_STYLE`) are fitted; a
table whose rows do not fill its grid is left as the template made it. A prototype row of a long list (see
:mod:`workbook.docx_repeat`) counts as the rows it stands for.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from lxml import etree

#: The style id of the table style that marks the form's tables in the template (see the build
#: script); the alt text is the question's own label, not a marker.
FORM_TABLE_STYLE = "FormTable"
_CHAR = 100  # twips per character of 10 pt text, about 1.8 mm (for how much text a column holds)
_POINTS = 10.0  # text size when a table's paragraph style does not say (Tabelltekst's size)
_PADDING = 240  # twips: the cell's left and right margins (2 × 108) and a little air

# Advance widths (1/1000 em, rounded up) of the template's font, Calibri, measured from its
# metric-compatible twin Carlito (regular, then bold), so a word's width is known rather than
# guessed from its length: a header word must never be cut. No library measures text in a
# document that is not laid out yet; a character not listed counts as a wide one.
_MEASURED = " abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789æøåÆØÅéüöä.,:;-–/()%&+'\"«»?!"
_REGULAR = (
    227, 480, 526, 423, 526, 498, 306, 471, 526, 230, 240, 455, 230, 799, 526, 528, 526, 526, 349,
    392, 335, 526, 452, 715, 434, 453, 396, 579, 544, 534, 616, 489, 460, 631, 624, 252, 319, 520,
    421, 855, 646, 663, 517, 673, 543, 460, 488, 642, 568, 890, 520, 488, 469, 507, 507, 507, 507,
    507, 507, 507, 507, 507, 507, 773, 530, 480, 764, 664, 579, 498, 526, 528, 480, 253, 250, 268,
    268, 307, 499, 387, 304, 304, 715, 683, 499, 221, 401, 513, 513, 464, 326,
)
_BOLD = (
    227, 494, 537, 419, 537, 504, 317, 475, 537, 246, 256, 480, 246, 814, 537, 538, 537, 537, 356,
    399, 347, 537, 474, 746, 460, 474, 398, 606, 561, 530, 631, 488, 459, 638, 631, 267, 332, 547,
    423, 875, 659, 677, 533, 687, 563, 473, 496, 653, 592, 907, 551, 520, 479, 507, 507, 507, 507,
    507, 507, 507, 507, 507, 507, 775, 544, 494, 776, 681, 606, 504, 537, 538, 494, 268, 258, 276,
    276, 307, 499, 430, 312, 312, 730, 705, 499, 234, 439, 539, 539, 464, 326,
)
_UNLISTED = 900
_WIDTHS = {False: dict(zip(_MEASURED, _REGULAR)), True: dict(zip(_MEASURED, _BOLD))}
_WORD_CAP = 2600  # twips: a longer word in the rows may wrap rather than widen its column
_MEAN_CAP = 400  # characters: beyond this, more text does not ask for a wider column
_TWIPS_PER_EMU = 1 / 635
W_NAMESPACE = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_TEXTS = etree.XPath(".//w:t/text()", namespaces={"w": W_NAMESPACE})
_SPAN = etree.XPath("string(w:tcPr/w:gridSpan/@w:val)", namespaces={"w": W_NAMESPACE})
_IS_HEADER = etree.XPath("boolean(w:trPr/w:tblHeader)", namespaces={"w": W_NAMESPACE})
_STYLE = etree.XPath("string(w:tblPr/w:tblStyle/@w:val)", namespaces={"w": W_NAMESPACE})


def _placed_cells(tr: Any) -> list[tuple[int, int, Any]]:
    """(first grid column, columns spanned, cell) for each cell of a row."""
    placed, column = [], 0
    for tc in tr.findall(qn("w:tc")):
        span = int(_SPAN(tc) or 1)
        placed.append((column, span, tc))
        column += span
    return placed


def word_width(word: str, bold: bool = False, points: float = _POINTS) -> int:
    """The width of ``word`` in Calibri of ``points`` size, in twips (plain or bold)."""
    widths = _WIDTHS[bold]
    return int(-(-sum(widths.get(c, _UNLISTED) for c in word) * points * 20 // 1000))


def _longest_word(content: str, bold: bool = False, points: float = _POINTS) -> int:
    """The width of the widest word of ``content``, in twips (0 for no words)."""
    return max((word_width(w, bold, points) for w in set(content.split())), default=0)


_STYLE_ID = qn("w:styleId")
_BASED_ON = etree.XPath("string(w:basedOn/@w:val)", namespaces={"w": W_NAMESPACE})
_SIZE = etree.XPath("string(w:rPr/w:sz/@w:val)", namespaces={"w": W_NAMESPACE})
_PARAGRAPH_STYLES = etree.XPath(".//w:p/w:pPr/w:pStyle/@w:val", namespaces={"w": W_NAMESPACE})
_IS_LIST = etree.XPath("boolean(w:pPr/w:numPr)", namespaces={"w": W_NAMESPACE})


def _style_sizes(docx: DocxDocument) -> dict[str, float]:
    """Each paragraph style's text size in points, through the styles it is based on; list
    styles (bullets) are left out: a row's text size is that of its plain paragraphs."""
    styles = {s.get(_STYLE_ID): s for s in docx.styles.element.iterchildren(qn("w:style"))}

    def size(style_id: str, depth: int = 0) -> float:
        style = styles.get(style_id)
        if style is None or depth > 20:
            return _POINTS
        own = _SIZE(style)
        return int(own) / 2 if own else size(_BASED_ON(style), depth + 1)

    return {style_id: size(style_id) for style_id, style in styles.items()
            if style_id and not _IS_LIST(style)}


def _minimum_widths(total: int, words: list[int], header_words: list[int]) -> list[int]:
    """Room for each column's widest header word and widest row word (widths in twips); when
    space is short the row words give way first (down to the header's), the header words only
    when they alone do not fit."""
    headers = [h + _PADDING if h else 0 for h in header_words]
    full = [max(min(w + _PADDING, _WORD_CAP), h) for w, h in zip(words, headers)]
    if sum(full) <= total:
        return full
    floor = [max(h, _PADDING) for h in headers]
    if sum(floor) >= total:
        return [int(total * f / sum(floor)) for f in floor]
    share = (total - sum(floor)) / (sum(full) - sum(floor))
    return [int(f + (w - f) * share) for f, w in zip(floor, full)]


#: A table row as the fitting sees it: whether it is a header row, how many rows it stands for,
#: and (first grid column, columns spanned, text) for each cell. A row standing for ``n`` rows has
#: their cells' texts joined by spaces in each cell.
TextRow = tuple[bool, int, list[tuple[int, int, str]]]


def _column_widths(rows: Iterable[TextRow], count: int, total: int,
                   points: tuple[float, float] = (_POINTS, _POINTS)) -> list[int]:
    """Column widths in twips; ``points`` is the text size of the header rows and of the rows."""
    length, words, header_words = [0] * count, [0] * count, [0] * count
    body_rows = 0
    for header, many, cells in rows:
        body_rows += 0 if header else many
        for column, span, content in cells:
            if span != 1:
                continue
            if header:
                header_words[column] = max(header_words[column],
                                           _longest_word(content, True, points[0]))
            else:
                length[column] += len(content) - (many - 1)  # not the joining spaces
                words[column] = max(words[column], _longest_word(content, False, points[1]))
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


def _text_sizes(trs: list[Any], sizes: Mapping[str, float]) -> tuple[float, float]:
    """The text size of the table's header rows and of its other rows: the largest of the
    styles of the first such row's plain paragraphs."""
    header = next((tr for tr in trs if _IS_HEADER(tr)), None)
    body = next((tr for tr in trs if not _IS_HEADER(tr)), None)
    return tuple(max((sizes[s] for s in _PARAGRAPH_STYLES(tr) if s in sizes), default=_POINTS)
                 if tr is not None else _POINTS
                 for tr in (header, body))  # type: ignore[return-value]


def _fit_table(tbl: Any, total: int, repeated: Mapping[str, tuple[int, str]],
               sizes: Mapping[str, float]) -> None:
    grid = tbl.find(qn("w:tblGrid")).findall(qn("w:gridCol"))
    count = len(grid)
    trs = tbl.findall(qn("w:tr"))
    rows = [(bool(_IS_HEADER(tr)), _placed_cells(tr)) for tr in trs]
    if not count or any(sum(span for _, span, _ in cells) != count for _, cells in rows):
        return  # a ragged table: leave it as the template made it
    widths = _column_widths(_text_rows(rows, repeated), count, total, _text_sizes(trs, sizes))
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
    :class:`workbook.docx_repeat.Repeated`): the number of rows and their texts joined by spaces, so the rows count
    before they are in the document.
    """
    section = docx.sections[0]
    total = int((section.page_width - section.left_margin - section.right_margin) * _TWIPS_PER_EMU)
    sizes = _style_sizes(docx)
    for tbl in docx.element.body.iter(qn("w:tbl")):
        if _STYLE(tbl) == FORM_TABLE_STYLE:
            _fit_table(tbl, total, repeated or {}, sizes)
