"""A marked copy of a workbook for the agency: ``workbook validate --annotate DIR``.

The copy (``<stem>-tilbakemelding.xlsx``; the original is never touched; a copy of a copy gets no
second suffix; two sources that would share a copy's name get their folder's name in front, see
:func:`target_paths`) gets a first sheet
«Tilbakemelding» listing every problem with a link to its cell, and each bad cell a red (error) or
amber (warning) highlight and a comment holding its messages (the list gives each message without
its «Arket «X», celle B5 (…):» start, which its columns show; columns and message are worded from
the problem's fields and params, never cut out of a message). The reader reads only the form's
sheets, defined names and tables, so the copy reads and validates like the original: the agency
fixes it and sends it back.

The highlight is conditional formatting, not the cell's own style, so the cell keeps its fill,
border, number format and unlocked state, and annotating an annotated copy again can remove the
old marks exactly (with the old list and the old comments) before adding the new ones.

openpyxl (normal mode) keeps what the form relies on: tables, data validations, defined names,
print titles, sheet protection, the hidden ``_skjema`` sheet and the custom properties. The copy's
author and application properties name this tool (openpyxl would name itself).
"""

from __future__ import annotations

import math
import re
import textwrap
import zipfile
from datetime import date
from xml.sax.saxutils import escape as xml_escape
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.formatting.rule import Rule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.workbook.workbook import Workbook
from openpyxl.cell.text import Text
from openpyxl.reader import excel as _openpyxl_excel
from openpyxl.worksheet import _reader as _openpyxl_reader
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from workbook import __version__
from workbook.errors import UnknownFormError
from workbook.form import Form, load_form
from workbook.layout import IDENTITY
from workbook.cellref import quote_sheet
from workbook import wording
from workbook.messages import DEFAULT_LANGUAGE, languages, text
from workbook.normalize import as_read
from workbook.ooxml_text import escape, unescape
from workbook.problems import ERROR, WARNING, Problem, part_label, render
from workbook.style import FEEDBACK_MARGIN, FONT, HEADER_FILL, HEADER_TEXT, LINK, QUIET_TEXT, TITLE_SIZE, \
    row_height as _height

#: (fill, line) colours of a marked cell and of its severity on the list
COLOURS = {ERROR: ("FFC7CE", "C00000"), WARNING: ("FFC000", "9C5700")}
#: the condition of our highlight rules: always true (LibreOffice saves it as 1)
MARK_FORMULA = "TRUE"
MARK_FORMULAS = (["TRUE"], ["1"], ["TRUE()"])
HEADER_ROW = 7
#: (width in characters) of Nr, Alvorlighet, Ark, Celle, Spørsmål/felt, Melding
WIDTHS = (5, 12, 28, 8, 50, 75)
#: A comment box (pixels): wide enough for about 45 characters of the comment font (Tahoma or
#: Segoe UI 9 pt in Excel, its default in LibreOffice) at their widest, high enough for every line.
COMMENT_WIDTH = 400
COMMENT_CHARS = 45
COMMENT_LINE = 16  # pixels a line, with the font's leading
COMMENT_PADDING = 16
#: Who wrote the copy, in its document properties (core.xml creator/lastModifiedBy, app.xml).
APPLICATION = f"workbook {__version__}"


def _stem(source: Path) -> str:
    """The source's name without the suffixes of earlier marked copies (``-tilbakemelding``, ``-2``)."""
    suffix = re.escape(text("annotate.file_suffix"))
    return re.sub(rf"(?:{suffix}(?:-\d+)?)+$", "", Path(source).stem) or Path(source).stem


def _cast_number(value: str) -> float | int:
    """openpyxl's reading of a number cell, also for ``NaN`` and ``INF`` (valid xsd:double, which
    openpyxl 3.1.5 cannot read: it tries ``int("NaN")`` and the whole workbook fails to load)."""
    if "." in value or "E" in value or "e" in value:
        return float(value)
    try:
        return int(value)
    except ValueError:
        return float(value)


_openpyxl_reader._cast_number = _cast_number


def _read_string_table(xml_source: Any) -> list[str]:
    """openpyxl's reading of the shared strings, decoded as Excel decodes them. openpyxl 3.1.5 only
    drops ``x005F_``, so a typed ``_x0041_`` (stored ``_x005F_x0041_``) would be saved back as
    ``_x0041_`` and read as «A»; :func:`_escape_loaded` stores every text again, correctly."""
    strings = []
    for _, node in iterparse(xml_source):
        if node.tag == _STRING_TAG:
            strings.append(unescape(Text.from_tree(node).content))
            node.clear()
    return strings


_STRING_TAG = f"{{{SHEET_MAIN_NS}}}si"
_openpyxl_excel.read_string_table = _read_string_table


def _escape_loaded(book: Workbook) -> None:
    """Every text cell as its XML must hold it (openpyxl writes the text as it stands)."""
    for ws in book.worksheets:
        for cell in ws._cells.values():
            if cell.data_type == "s" and isinstance(cell._value, str):
                cell._value = escape(cell._value)


def _keep_odd_numbers(book: Workbook) -> None:
    """A NaN or infinite number cell, which openpyxl would save as an empty cell, kept as its text
    (``NaN``), so the copy still says what the original said and gets the same problem."""
    for ws in book.worksheets:
        for cell in list(ws._cells.values()):  # the existing cells only
            if isinstance(cell.value, float) and not math.isfinite(cell.value):
                _put(ws, cell.row, cell.column, as_read(cell.value))


def _put(ws: Worksheet, row: int, col: int, value: Any) -> Any:
    """Write ``value`` into a cell; a text is always a text, never a formula (whatever it starts
    with: it may hold a sheet name, a file name or what an agency typed), with the characters XML
    cannot hold escaped as ``_xHHHH_``."""
    cell = ws.cell(row, col)
    if isinstance(value, str):
        cell.value = escape(value)
        cell.data_type = "s"
    else:
        cell.value = value
    return cell


def target_path(source: Path, folder: Path) -> Path:
    """Where the marked copy of ``source`` goes (one file; see :func:`target_paths` for a batch)."""
    return target_paths([source], folder)[0]


def target_paths(sources: list[Path], folder: Path) -> list[Path]:
    """Where the marked copy of each source goes: ``<stem>-tilbakemelding.xlsx``, never one
    path for two different sources, never a source itself.

    Sources that would share a name (``a/skjema.xlsx`` and ``b/skjema.xlsx``, or ``x.xlsx`` and its
    earlier copy ``x-tilbakemelding.xlsx``) get their folder's name in front, then a number.
    """
    folder, suffix = Path(folder), text("annotate.file_suffix")
    resolved = [Path(s).resolve() for s in sources]
    plain = [f"{_stem(s)}{suffix}" for s in sources]
    clash = {name for name in plain if len({r for r, n in zip(resolved, plain) if n == name}) > 1}
    taken: dict[Path, Path] = {r: r for r in resolved}  # a copy never replaces a source
    targets: list[Path] = []
    for source, real, name in zip(map(Path, sources), resolved, plain):
        if name in clash and real.parent.name:
            name = f"{real.parent.name}-{name}"
        target, number = folder / f"{name}.xlsx", 1
        while taken.get(target.resolve(), real) != real or target.resolve() == real:
            number += 1
            target = folder / f"{name}-{number}.xlsx"
        taken[target.resolve()] = real
        targets.append(target)
    return targets


def annotate_file(source: Path, problems: list[Problem], folder: Path, *, today: date | None = None,
                  target: Path | None = None, language: str = DEFAULT_LANGUAGE) -> Path:
    """Write the marked copy of ``source`` into ``folder`` (created; an old copy is replaced).

    Problems with a sheet and cell are marked there; every problem is listed on the first sheet.
    ``target`` is the copy's path when a batch chose it (:func:`target_paths`). Returns the copy's
    path. The source is only read, even when ``folder`` is its own folder. ``language`` is the
    workbook's (:attr:`FileResult.language`): the list and the comments are worded in it.
    """
    source = Path(source)
    target = Path(target) if target is not None else target_path(source, folder)
    if target.resolve() == source.resolve():
        raise ValueError(f"the marked copy would overwrite {source}")
    book = load_workbook(source)
    _escape_loaded(book)
    _keep_odd_numbers(book)
    _remove_old_marks(book)
    form = _form_of(book)
    _mark_cells(book, problems, language)
    _feedback_sheet(book, problems, source.name, form, today or date.today(), language)
    book.properties.creator = book.properties.lastModifiedBy = APPLICATION
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    try:
        book.save(part)
        _stamp_application(part, _company(source))
        part.replace(target)
    finally:
        part.unlink(missing_ok=True)
    return target


# --- the copy's properties -----------------------------------------------------------------------
APP_PART = "docProps/app.xml"
NS_APP = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"


def _company(source: Path) -> str:
    """The source's Company property (the agency, as generate wrote it), or ""."""
    try:
        with zipfile.ZipFile(source) as archive:
            found = re.search(rb"<(?:\w+:)?Company>([^<]*)</", archive.read(APP_PART))
    except (KeyError, OSError, zipfile.BadZipFile):
        return ""
    return found.group(1).decode("utf-8", "replace") if found else ""


def _stamp_application(path: Path, company: str) -> None:
    """Replace the app.xml openpyxl writes (naming itself; it has no setting for this) with ours.

    Written by hand: openpyxl builds this part afresh on every save and offers no way to set it.
    The company is already XML-escaped as read from the source.
    """
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="{NS_APP}">'
           f"<Application>{xml_escape(APPLICATION)}</Application>"
           + (f"<Company>{company}</Company>" if company else "") + "</Properties>")
    temporary = path.with_name(path.name + ".app")
    try:
        with zipfile.ZipFile(path) as old, zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as new:
            for info in old.infolist():
                new.writestr(info, xml.encode("utf-8") if info.filename == APP_PART else old.read(info))
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


# --- the marks on the form's sheets --------------------------------------------------------------
def _mark_rule(severity: str) -> Rule:
    fill, line = COLOURS[severity]
    side = Side(style="thin", color=line)
    style = DifferentialStyle(fill=PatternFill(fill_type="solid", start_color=fill, end_color=fill),
                              border=Border(left=side, right=side, top=side, bottom=side))
    return Rule(type="expression", formula=[MARK_FORMULA], dxf=style, stopIfTrue=True)


def _is_mark(rule: Rule) -> bool:
    """One of our highlight rules, also after a save by Excel or LibreOffice (which keep only one colour)."""
    fill = rule.dxf.fill if rule.dxf is not None else None
    colours = {str(getattr(getattr(fill, side, None), "rgb", ""))[-6:] for side in ("fgColor", "bgColor")}
    return rule.formula in MARK_FORMULAS and bool(colours & {fill for fill, _ in COLOURS.values()})


def _is_ours(comment: Comment | None) -> bool:
    """One of our comments: by its author, or (LibreOffice drops authors) by how it starts."""
    if comment is None:
        return False
    starts = tuple(_comment_line(severity, "", lang) for severity in COLOURS for lang in languages())
    authors = {text("annotate.comment_author", lang) for lang in languages()}
    return comment.author in authors or comment.text.startswith(starts)


def _remove_old_marks(book: Workbook) -> None:
    """A copy annotated before: drop its list, highlights and comments."""
    for name in {text("annotate.sheet", lang) for lang in languages()}:
        if name in book.sheetnames:
            book.remove(book[name])
    for ws in book.worksheets:
        kept = ConditionalFormattingList()
        for formatting in ws.conditional_formatting:
            for rule in formatting.rules:
                if not _is_mark(rule):
                    kept.add(str(formatting.sqref), rule)
        ws.conditional_formatting = kept
        for cell in list(ws._cells.values()):  # the existing cells only (iter_rows would create cells)
            if _is_ours(cell.comment):
                cell.comment = None


def _mark_cells(book: Workbook, problems: list[Problem], language: str = DEFAULT_LANGUAGE) -> None:
    """Highlight each problem's cell (the worst severity wins) and comment it with its messages."""
    found: dict[tuple[str, str], list[Problem]] = {}
    for problem in problems:
        if problem.sheet and problem.cell and problem.sheet in book.sheetnames:
            found.setdefault((problem.sheet, problem.cell), []).append(problem)
    by_rule: dict[tuple[str, str], list[str]] = {}
    for (sheet, ref), items in found.items():
        cell = book[sheet][ref]
        if isinstance(cell, MergedCell):
            continue
        severity = ERROR if any(p.is_error for p in items) else WARNING
        by_rule.setdefault((sheet, severity), []).append(ref)
        body = "\n\n".join(_comment_line(p.severity, render(p, language), language) for p in items)
        cell.comment = Comment(escape(body), text("annotate.comment_author", language), height=comment_height(body),
                               width=COMMENT_WIDTH)
    for (sheet, severity), refs in by_rule.items():
        book[sheet].conditional_formatting.add(" ".join(refs), _mark_rule(severity))


def _comment_line(severity: str, message: str, language: str) -> str:
    """One problem in a cell's comment: «Feil: …» (with no message: how our comments start)."""
    return text("annotate.comment_line", language, severity=text(f"annotate.severity_{severity}", language),
                message=message)


def comment_height(body: str) -> int:
    """Pixels that show every line of ``body`` wrapped at word boundaries in a comment box."""
    lines = sum(len(textwrap.wrap(part, COMMENT_CHARS, break_on_hyphens=False)) or 1 for part in body.split("\n"))
    return COMMENT_PADDING + lines * COMMENT_LINE


# --- the list ------------------------------------------------------------------------------------
def _form_of(book: Workbook) -> Form | None:
    """The workbook's form (for the questions' labels), as its hidden sheet or properties say."""
    found: dict[str, Any] = {}
    for key in IDENTITY:
        name = book.defined_names.get(key)
        for sheet, ref in (name.destinations if name is not None else ()):
            if sheet in book.sheetnames:
                found[key] = book[sheet][ref.replace("$", "")].value
        if not found.get(key) and key in book.custom_doc_props.names:
            found[key] = book.custom_doc_props[key].value
    try:
        return load_form(str(found.get("form_id")), str(found.get("form_version")))
    except UnknownFormError:
        return None


def _label(form: Form | None, problem: Problem, language: str = DEFAULT_LANGUAGE) -> str:
    """The question (and table column) the problem is about: its own label, else the form's."""
    if problem.params.get("label"):
        return str(problem.params["label"])
    field = form.fields.get(problem.key) if form is not None and problem.key else None
    if field is None:
        return problem.key or ""
    label = wording.label(form, field.key, language=language)
    if problem.column:
        try:
            return part_label(label, wording.label(form, field.key, problem.column, language), language)
        except KeyError:
            pass
    return label


def _feedback_sheet(book: Workbook, problems: list[Problem], file_name: str, form: Form | None,
                    today: date, language: str = DEFAULT_LANGUAGE) -> Worksheet:
    """The list of problems, inserted first and made the sheet the workbook opens on."""
    ws = book.create_sheet(text("annotate.sheet", language), 0)
    _heading(ws, problems, file_name, today, language)
    for number, problem in enumerate(problems, start=1):
        _problem_row(ws, HEADER_ROW + number, number, problem, _label(form, problem, language), book.sheetnames,
                     language)
    if not problems:
        _put(ws, HEADER_ROW + 1, 1, text("annotate.none", language))
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, 1)
    ws.auto_filter.ref = f"A{HEADER_ROW}:F{HEADER_ROW + max(1, len(problems))}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation, ws.page_setup.paperSize = "landscape", ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.page_margins.left = ws.page_margins.right = ws.page_margins.top = FEEDBACK_MARGIN
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    book.active = 0
    for other in book.worksheets:  # one selected tab, else Excel opens with the sheets grouped
        other.sheet_view.tabSelected = other is ws
    return ws


def _heading(ws: Worksheet, problems: list[Problem], file_name: str, today: date,
             language: str = DEFAULT_LANGUAGE) -> None:
    errors = sum(p.is_error for p in problems)
    ws.sheet_properties.tabColor = COLOURS[ERROR if errors else WARNING][1]
    lines = [(text("annotate.title", language), Font(name=FONT, bold=True, size=TITLE_SIZE)),
             (text("annotate.file", language, file=file_name), None),
             (text("annotate.date", language, date=today.strftime("%d.%m.%Y")), None),
             (text("annotate.counts", language, errors=errors, warnings=len(problems) - errors),
              Font(name=FONT, bold=True)),
             (text("annotate.how", language), Font(name=FONT, italic=True, color=QUIET_TEXT))]
    for row, (value, font) in enumerate(lines, start=1):
        cell = _put(ws, row, 1, value)
        if font is not None:
            cell.font = font
    ws.merge_cells(start_row=len(lines), start_column=1, end_row=len(lines), end_column=len(WIDTHS))
    ws.cell(len(lines), 1).alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[len(lines)].height = _height((text("annotate.how", language), sum(WIDTHS)))
    header_fill = PatternFill(fill_type="solid", start_color=HEADER_FILL, end_color=HEADER_FILL)
    for col, (key, width) in enumerate(zip(("number", "severity", "sheet", "cell", "field", "message"), WIDTHS), 1):
        cell = _put(ws, HEADER_ROW, col, text(f"annotate.col_{key}", language))
        cell.font, cell.fill = Font(name=FONT, bold=True, color=HEADER_TEXT), header_fill
        ws.column_dimensions[cell.column_letter].width = width


def _problem_row(ws: Worksheet, row: int, number: int, problem: Problem, label: str, sheets: list[str],
                 language: str = DEFAULT_LANGUAGE) -> None:
    message = render(problem, language, place=False)  # the place is in the columns
    values = (number, text(f"annotate.severity_{problem.severity}", language), problem.sheet or "", problem.cell or "",
              label, message)
    for col, value in enumerate(values, start=1):
        centred = col in (1, 4)
        _put(ws, row, col, value).alignment = Alignment(wrap_text=not centred, vertical="top",
                                                       horizontal="center" if centred else None)
    fill = COLOURS[problem.severity][0]
    ws.cell(row, 2).fill = PatternFill(fill_type="solid", start_color=fill, end_color=fill)
    if problem.sheet and problem.cell and problem.sheet in sheets:
        link = ws.cell(row, 4)
        link.hyperlink = Hyperlink(ref=link.coordinate, location=f"{quote_sheet(problem.sheet)}!{problem.cell}")
        link.font = Font(name=FONT, color=LINK, underline="single")
    ws.row_dimensions[row].height = _height((message, WIDTHS[5]), (label, WIDTHS[4]), (problem.sheet or "", WIDTHS[2]))
