"""Write the agency workbook from the form: ``workbook generate``.

Layout of a section sheet (the reader relies on the names and tables, never on coordinates):
rows 1-3 hold the title, a one-line instruction and the headers Spørsmål / Svar / Hjelp; each
single-value question is one row (label in A, the input cell in B carrying a workbook-level
defined name equal to its key, help in C); a ``choices`` question is a label row followed by one
row per option (a Ja/Nei cell in B; the name covers those cells); a table is a label row, a help
row, then an Excel table named after its key. Metadata, dropdown lists and each table's column keys sit
on a very hidden sheet. Where each piece stands is :mod:`workbook.layout`'s; how it looks, :mod:`workbook.style`'s.

xlsxwriter reports mistakes as warnings and negative return codes while leaving the feature out
of the file, so every warning is an error here and every return code is checked.
"""

from __future__ import annotations

import math
import re
import warnings
import zipfile
from datetime import datetime
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from workbook.cellref import absolute, quote_sheet
from workbook.layout import (ANSWER_COL, BANNER, BANNER_ROW, CHOICES_INTRO, FIRST_QUESTION_ROW, HELP_COL, INTRO_ROW, LABEL_COL,
                             META_KEY_COL, META_LISTS_COL, META_ROWS, META_SHEET, META_VALUE_COL, TABLE_GAP,
                             TABLE_LEAD_ROWS, TITLE_ROW, WIDTH_ANSWER, WIDTH_EXTRA, WIDTH_GUIDE, WIDTH_HELP, WIDTH_LABEL,
                             YESNO_LIST, columns_name, list_name, marked)
from workbook.style import FOOTER_MARGIN, MAX_ROW_HEIGHT, TABLE_STYLE, Styles, needed_height as _needed_height, \
    print_setup, row_height as _row_height
from workbook.errors import DataFormatError, GenerateError
from workbook.form import DEFAULT_FORM, ROLE_AGENCY, Column, Field, Form, Section, load_form
from workbook import wording
from workbook.kinds import KIND
from workbook.messages import DEFAULT_LANGUAGE, lines, text
from workbook.problems import group_digits
from workbook.ooxml_text import CELL_LIMIT, NONCHARACTERS, install_xlsxwriter_escape, is_exact_in_excel, \
    lone_surrogate, utf16_len

install_xlsxwriter_escape()  # a literal "_x0041_x0042_" must come back as typed (see ooxml_text)


#: Adds sheets after the form's own; returns each table it wrote as (column key, header) in order.
ExtraSheets = Callable[[Workbook, "Styles"], "Mapping[str, list[tuple[str, str]]] | None"]


def _check(code: int | None, what: str) -> None:
    if code is not None and code < 0:
        raise GenerateError("error.xlsxwriter_refused", what=what, code=code)


def _where(where: str) -> str:
    """``key`` or ``key[3].column`` (as the writer names a value) in the user's words."""
    found = re.fullmatch(r"(\w+)\[(\d+)\]\.(\w+)", where)
    if found:
        return text("prefill.where_cell", field=found[1], row=found[2], column=found[3])
    return text("prefill.where_key", field=where)


def check_value(value: Any, where: str) -> None:
    """Refuse (:class:`DataFormatError`, in Norwegian) a value no Excel cell can hold exactly."""
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            shown = "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
            raise DataFormatError(text("prefill.not_finite", where=_where(where), value=shown))
    elif isinstance(value, int):
        if not is_exact_in_excel(value):
            shown = str(value) if len(str(value)) <= 40 else f"{str(value)[:20]}… ({len(str(value))} sifre)"
            raise DataFormatError(text("prefill.too_many_digits", where=_where(where), value=shown))
    elif isinstance(value, str):
        broken = lone_surrogate(value)
        if broken is not None:
            raise DataFormatError(text("prefill.broken_character", where=_where(where), value=f"U+{ord(broken):04X}"))
        odd = next((c for c in value if c in NONCHARACTERS), None)
        if odd is not None:
            raise DataFormatError(text("prefill.noncharacter", where=_where(where), value=f"U+{ord(odd):04X}"))
        if utf16_len(value) > CELL_LIMIT:
            raise DataFormatError(text("problem.too-long", where=_where(where), max_length=group_digits(CELL_LIMIT)))
    else:
        kind = "list" if isinstance(value, list) else "dict" if isinstance(value, dict) else "other"
        raise DataFormatError(text("prefill.wrong_type", where=_where(where), value=text(f"prefill.type_{kind}"),
                                   expected=text("prefill.expected_value")))


def _footer(agency: str | None, fallback: str, language: str = DEFAULT_LANGUAGE) -> str:
    """Page footer: whose workbook (left), the sheet (centre), "side N av M" (right)."""
    who = (agency or fallback)[:120].replace("&", "&&")  # & starts a code in Excel's footers
    return f"&L{who}&C&A&R{text('workbook.footer_page', language)}"


def _lock_structure(path: Path) -> None:
    """Lock the workbook's structure: sheets cannot be renamed, deleted, moved, added or unhidden
    until the user lifts the protection (no password: a convenience, like the sheets' own).

    xlsxwriter has no API for workbook protection (its author declined it: libxlsxwriter #516),
    so the one element is added to xl/workbook.xml after the file is written; its place in the
    schema's sequence is right before <bookViews>.
    """
    with zipfile.ZipFile(path) as source:
        parts = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in parts:
            if info.filename == "xl/workbook.xml":
                if data.count(b"<bookViews>") != 1:
                    raise GenerateError("error.cannot_protect", part="xl/workbook.xml")
                data = data.replace(b"<bookViews>", b'<workbookProtection lockStructure="1"/><bookViews>')
            target.writestr(info, data)


class _Writer:
    """Writes one workbook; holds the workbook, its styles and the form."""

    def __init__(self, book: Workbook, form: Form, prefill: Mapping[str, Any], consolidated: bool,
                 language: str = DEFAULT_LANGUAGE) -> None:
        self.book = book
        self.form = form
        self.language = language
        self.styles = Styles(book)
        self.data = prefill
        self.consolidated = consolidated
        self._header_row = 0  # the header row of the table written last
        #: each table's columns as written: (column key, header), in order (recorded on the metadata sheet)
        self.table_columns: dict[str, list[tuple[str, str]]] = {}

    # --- the workbook's language ----------------------------------------------------------------
    def t(self, key: str, **values: Any) -> str:
        """The catalogue's text for ``key`` in the workbook's language."""
        return text(key, self.language, **values)

    def label_of(self, f: Field, column: Column | None = None) -> str:
        if self.language == DEFAULT_LANGUAGE:  # the form's own wording, as the sections hold it
            return (column or f).label
        return wording.label(self.form, f.key, column.key if column else None, self.language)

    def help_of(self, f: Field, column: Column | None = None) -> str:
        if self.language == DEFAULT_LANGUAGE:
            return (column or f).help
        return wording.help_text(self.form, f.key, column.key if column else None, self.language)

    # --- dropdowns and validations -------------------------------------------------------------
    def _validation(self, ws: Worksheet, first: int, col: int, last: int, kind: str, help_text: str,
                    required: bool, *, source: str | None = None, minimum: int = 0,
                    maxlength: int | None = None, choices: tuple[str, ...] = ()) -> None:
        title = self.t("workbook.input_title_required" if required else "workbook.input_title_optional")
        options: dict[str, Any] = {"input_title": title, "input_message": help_text,
                                   "error_title": self.t("workbook.error_title")}
        check = KIND[kind].validation
        if check == "integer":
            options |= {"validate": "integer", "criteria": ">=", "value": minimum,
                        "error_message": self.t("workbook.error_int", min=minimum)}
        elif check == "list":
            shown = ", ".join(choices or (self.t("workbook.answer_yes"), self.t("workbook.answer_no")))
            options |= {"validate": "list", "source": "=" + (source or YESNO_LIST),
                        "error_message": self.t("workbook.error_list", choices=shown)}
        elif check == "length" and maxlength:
            options |= {"validate": "length", "criteria": "<=", "value": maxlength,
                        "error_message": self.t("workbook.error_length", max=maxlength)}
        else:
            options |= {"validate": "any"}
        _check(ws.data_validation(first, col, last, col, options), f"a validation on {ws.name}")

    # --- cell values ---------------------------------------------------------------------------
    def _write_value(self, ws: Worksheet, row: int, col: int, value: Any, fmt: Any, where: str) -> None:
        check_value(value, where)
        if value is None:
            code = ws.write_blank(row, col, None, fmt)
        elif isinstance(value, bool):
            code = ws.write_string(row, col, self.t("workbook.answer_yes") if value else self.t("workbook.answer_no"), fmt)
        elif isinstance(value, (int, float)):
            code = ws.write_number(row, col, value, fmt)
        elif isinstance(value, str):
            code = ws.write_string(row, col, value, fmt)
        else:  # never reached: check_value refuses every other type
            raise DataFormatError(text("prefill.wrong_type", where=_where(where), value=text("prefill.type_other"),
                                       expected=text("prefill.expected_value")))
        if code == -2:  # never reached: check_value counts as xlsxwriter does
            raise DataFormatError(text("problem.too-long", where=_where(where), max_length=group_digits(CELL_LIMIT)))
        _check(code, f"the value of {where}")

    # --- sheets --------------------------------------------------------------------------------
    def meta_sheet(self, year: int, agency: str | None, role: str = ROLE_AGENCY) -> None:
        ws = self.book.add_worksheet(META_SHEET)
        values = {"form_id": self.form.form_id, "form_version": self.form.form_version,
                  "reporting_year": year, "agency": agency, "role": role, "language": self.language}
        for key, row in META_ROWS.items():
            ws.write_string(row, META_KEY_COL, key)
            self._write_value(ws, row, META_VALUE_COL, values[key], None, key)
            _check(self.book.define_name(key, absolute(META_SHEET, row, META_VALUE_COL)), f"the name {key}")
        col = META_LISTS_COL
        lists: list[tuple[str, tuple[str, ...]]] = [(YESNO_LIST, (self.t("workbook.answer_yes"), self.t("workbook.answer_no")))]
        for f in self.form.questions():
            if KIND[f.kind].own_list:
                lists.append((list_name(f.key), f.allowed))
            for c in f.columns:
                if KIND[c.kind].own_list:
                    lists.append((list_name(f.key, c.key), c.allowed))
        for name, items in lists:
            ws.write_string(0, col, name)
            for i, item in enumerate(items, start=1):
                _check(ws.write_string(i, col, item), f"the list {name}")
            _check(self.book.define_name(name, absolute(META_SHEET, 1, col, len(items))), f"the name {name}")
            col += 1
        for table, columns in self.table_columns.items():  # keys in col, headers right of them
            name = columns_name(table)
            ws.write_string(0, col, name)
            for i, (key, header) in enumerate(columns, start=1):
                _check(ws.write_string(i, col, key), f"the record {name}")
                _check(ws.write_string(i, col + 1, header), f"the record {name}")
            _check(self.book.define_name(name, absolute(META_SHEET, 1, col, len(columns))), f"the name {name}")
            col += 2
        ws.very_hidden()  # not offered by "Unhide"; only the reader reaches it (by its names)
        ws.protect()

    def guide_sheet(self, year: int, agency: str | None) -> None:
        ws = self.book.add_worksheet(self.t("workbook.guide_sheet"))
        title = wording.form_title(self.form, self.language)
        s = self.styles
        ws.set_column(0, 0, WIDTH_GUIDE)
        ws.write_string(0, 0, self.t("workbook.guide_title", title=title, year=year), s.title)
        first_sheet = wording.sheet_name(self.form, self.form.sections[0].key, self.language)
        who = self.t("workbook.guide_for", agency=agency) if agency else self.t("workbook.guide_for_blank", sheet=first_sheet)
        ws.write_string(1, 0, who, s.label_bold)
        ws.write_string(2, 0, self.t("workbook.guide_year", year=year), s.label)
        ws.write_string(3, 0, self.t("workbook.guide_form", form_id=self.form.form_id, form_version=self.form.form_version,
                                   publisher=self.form.publisher, revised=self.form.template_revised), s.intro)
        ws.write_string(5, 0, self.t("workbook.guide_how"), s.label_bold)
        row = 6
        for number, step in enumerate(lines("workbook.guide_steps", self.language), start=1):
            ws.write_string(row, 0, f"{number}. {step}", s.label)
            ws.set_row(row, _row_height((step, WIDTH_GUIDE)))
            row += 1
        row += 1
        ws.write_string(row, 0, self.t("workbook.guide_legend_input"), s.input)
        ws.write_string(row + 1, 0, self.t("workbook.guide_legend_required"), s.label)
        row += 3
        ws.write_string(row, 0, self.t("workbook.guide_sheets"), s.label_bold)
        for section in self.form.sections:
            row += 1
            sheet, heading = (wording.sheet_name(self.form, section.key, self.language),
                              wording.section_title(self.form, section.key, self.language))
            _check(ws.write_url(row, 0, f"internal:{quote_sheet(sheet)}!A1", s.link, heading),
                   "a link on the guide sheet")
        self._print_setup(ws, agency, landscape=False)
        ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True})
        ws.activate()

    def section_sheet(self, section: Section, agency: str | None = None) -> None:
        ws = self.book.add_worksheet(wording.sheet_name(self.form, section.key, self.language))
        s = self.styles
        widest = max([3] + [len(self._columns(f)) for f in section.fields if f.is_table])
        ws.set_column(LABEL_COL, LABEL_COL, WIDTH_LABEL)
        ws.set_column(ANSWER_COL, ANSWER_COL, WIDTH_ANSWER)
        ws.set_column(HELP_COL, HELP_COL, WIDTH_HELP)
        if widest > 3:
            ws.set_column(3, widest - 1, WIDTH_EXTRA)
        ws.write_string(TITLE_ROW, LABEL_COL, wording.section_title(self.form, section.key, self.language), s.title)
        ws.write_string(INTRO_ROW, LABEL_COL, self.t("workbook.sheet_intro"), s.intro)
        for col, key in enumerate(BANNER):
            ws.write_string(BANNER_ROW, col, text(f"workbook.{key}"), s.header)
        ws.freeze_panes(FIRST_QUESTION_ROW, 0)
        row = FIRST_QUESTION_ROW
        headers: list[int] = []  # each table's header row
        breaks: list[int] = []  # a further table starts on a page of its own, under its own headers
        for f in section.fields:
            if f.is_table:
                if headers:
                    breaks.append(row + 1)  # its label row (a blank row comes first)
                row = self._table(ws, f, row)
                headers.append(self._header_row)
            elif f.layout == "options":
                row = self._choices(ws, f, row)
            else:
                row = self._single(ws, f, row)
        # Printed, a table's column headers repeat on each page after its first one (both Excel
        # and LibreOffice repeat print titles only from the page where the rows stand): the last
        # table's, since a sheet has one set of print titles; a sheet of questions repeats its banner.
        ws.repeat_rows(headers[-1] if headers else BANNER_ROW)
        if breaks:
            _check(ws.set_h_pagebreaks(breaks), f"the page breaks on {ws.name}")
        self._print_setup(ws, agency, landscape=True)
        ws.protect("", {
            "insert_rows": True, "delete_rows": True, "sort": True, "autofilter": True,
            "format_cells": True, "format_columns": True, "format_rows": True,
            "select_locked_cells": True, "select_unlocked_cells": True,
        })

    def _print_setup(self, ws: Worksheet, agency: str | None, *, landscape: bool) -> None:
        """A4, as wide as the page (never cut at the right edge), with the footer."""
        print_setup(ws, landscape=landscape)
        fallback = self.t("workbook.footer_blank", title=wording.form_title(self.form, self.language))
        ws.set_footer(_footer(agency, fallback, self.language), {"margin": FOOTER_MARGIN})

    def _label(self, f: Field) -> str:
        return marked(self.label_of(f), f.required)

    def _single(self, ws: Worksheet, f: Field, row: int) -> int:
        s = self.styles
        value = self.data.get(f.key)
        label, help_ = self._label(f), self.help_of(f)
        ws.write_string(row, LABEL_COL, label, s.label)
        ws.write_string(row, HELP_COL, help_, s.help)
        fmt = s.input_for(f.cell_format)
        shown = value if isinstance(value, str) else ""
        needed = _needed_height((label, WIDTH_LABEL), (help_, WIDTH_HELP), (shown, WIDTH_ANSWER),
                                minimum=KIND[f.kind].answer_lines)
        # An answer taller than one row may be (409 points) gets its cell merged down over as many
        # rows as it needs, so the whole text shows; the name stays on its first cell.
        extra = max(0, math.ceil(needed / MAX_ROW_HEIGHT) - 1)
        if extra:
            _check(ws.merge_range(row, ANSWER_COL, row + extra, ANSWER_COL, None, fmt), f"the answer cell of {f.key}")
        self._write_value(ws, row, ANSWER_COL, value, fmt, f.key)
        for i in range(extra + 1):
            ws.set_row(row + i, needed / (extra + 1))
        source = list_name(f.key) if KIND[f.kind].own_list else None
        self._validation(ws, row, ANSWER_COL, row, f.kind, help_, f.required, source=source,
                         minimum=int(f.minimum or 0), maxlength=f.maxlength, choices=f.allowed)
        _check(self.book.define_name(f.key, absolute(ws.name, row, ANSWER_COL)), f"the name {f.key}")
        return row + 1 + extra

    def _choices(self, ws: Worksheet, f: Field, row: int) -> int:
        s = self.styles
        chosen = self.data.get(f.key) or []
        if not isinstance(chosen, list) or any(not isinstance(c, str) or c not in f.allowed for c in chosen):
            raise DataFormatError(text("prefill.wrong_type", where=_where(f.key), value=repr(chosen)[:200],
                                       expected=text("prefill.expected_choices", choices=", ".join(f.allowed))))
        label, help_ = self._label(f), self.help_of(f)
        ws.write_string(row, LABEL_COL, label, s.label_bold)
        ws.write_string(row, HELP_COL, help_, s.help)
        ws.set_row(row, _row_height((label, WIDTH_LABEL), (help_, WIDTH_HELP)))
        first = row + 1
        for i, option in enumerate(f.allowed):
            ws.write_string(first + i, LABEL_COL, wording.choice_text(self.form, f.key, option, language=self.language),
                            s.label)
            self._write_value(ws, first + i, ANSWER_COL, True if option in chosen else None, s.input, f.key)
        last = first + len(f.allowed) - 1
        ws.write_string(first, HELP_COL, self.t(CHOICES_INTRO), s.help)
        self._validation(ws, first, ANSWER_COL, last, "choices", help_, f.required)
        _check(self.book.define_name(f.key, absolute(ws.name, first, ANSWER_COL, last)), f"the name {f.key}")
        return last + 1

    def _columns(self, f: Field) -> list[Column]:
        return [c for c in f.columns if self.consolidated or not c.consolidated_only]

    def _table(self, ws: Worksheet, f: Field, row: int) -> int:
        s = self.styles
        columns = self._columns(f)
        rows = self.data.get(f.key) or []
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise DataFormatError(text("prefill.wrong_type", where=_where(f.key), value=type(rows).__name__,
                                       expected=text("prefill.expected_rows")))
        known = {c.key for c in columns}
        for i, item in enumerate(rows, start=1):
            unknown = sorted(set(item) - known)
            if unknown:
                raise DataFormatError(text("prefill.unknown_columns", field=f.key, row=i, columns=", ".join(unknown)))
        row += TABLE_GAP  # a blank row before each table
        label, help_ = self._label(f), self.help_of(f)
        headers = [self.label_of(f, c) for c in columns]
        ws.write_string(row, LABEL_COL, label, s.label_bold)
        ws.write_string(row + 1, LABEL_COL, help_, s.help)
        ws.set_row(row, _row_height((label, WIDTH_LABEL + WIDTH_ANSWER)))
        ws.set_row(row + 1, _row_height((help_, WIDTH_LABEL + WIDTH_ANSWER)))
        if len(columns) > 1:
            ws.merge_range(row, 0, row, len(columns) - 1, label, s.label_bold)
            ws.merge_range(row + 1, 0, row + 1, len(columns) - 1, help_, s.help)
        header = self._header_row = row + TABLE_LEAD_ROWS
        size = max(f.rows, len(rows) + 5)
        first, last = header + 1, header + size
        _check(ws.add_table(header, 0, last, len(columns) - 1, {
            "name": f.key,
            "style": TABLE_STYLE,
            "autofilter": True,
            "columns": [{"header": h} for h in headers],
        }), f"the table {f.key}")
        self.table_columns[f.key] = list(zip((c.key for c in columns), headers))
        for col, column in enumerate(columns):
            fmt = s.input_for(column.cell_format)
            for i in range(size):
                value = rows[i].get(column.key) if i < len(rows) else None
                self._write_value(ws, first + i, col, value, fmt, f"{f.key}[{i + 1}].{column.key}")
            source = list_name(f.key, column.key) if KIND[column.kind].own_list else None
            self._validation(ws, first, col, last, column.kind, self.help_of(f, column), column.required, source=source,
                             minimum=int(column.minimum or 0), maxlength=column.maxlength,
                             choices=column.allowed)
        widths = ([WIDTH_LABEL, WIDTH_ANSWER, WIDTH_HELP] + [WIDTH_EXTRA] * len(columns))[: len(columns)]
        for i in range(size):
            texts = [rows[i].get(c.key) for c in columns] if i < len(rows) else []
            ws.set_row(first + i, _row_height(*[(t, w) for t, w in zip(texts, widths) if isinstance(t, str)],
                                              minimum=2))
        ws.set_row(header, _row_height(*[(h, w) for h, w in zip(headers, widths)]))
        return last + 2


def _role(form: Form, role: Any) -> str:
    allowed = form.field("role").allowed
    if role not in allowed:
        raise DataFormatError(text("cli.role_unknown", role=role, roles=", ".join(allowed)))
    return str(role)


def _language(form: Form, language: Any) -> str:
    allowed = wording.languages(form)
    if language not in allowed:
        raise DataFormatError(text("cli.language_unknown", language=language, languages=", ".join(allowed)))
    return str(language)


def _metadata(form: Form, year: int, agency: str | None, prefill: Mapping[str, Any] | None,
              role: str = ROLE_AGENCY) -> dict[str, Any]:
    if prefill is None:
        return {"reporting_year": year, "agency": agency, "role": _role(form, role), "data": {}}
    for key in ("form_id", "form_version"):
        if prefill.get(key) not in (None, getattr(form, key)):
            raise DataFormatError(text("prefill.other_form", name=key, value=prefill.get(key),
                                       expected=getattr(form, key)))
    data = prefill.get("data")
    if not isinstance(data, dict):
        raise DataFormatError(text("prefill.no_data"))
    unknown = sorted(set(data) - {f.key for f in form.questions()})
    if unknown:
        raise DataFormatError("error.unknown_keys", keys=", ".join(unknown))
    given_year, given_agency = prefill.get("reporting_year", year), prefill.get("agency", agency)
    if not isinstance(given_year, int) or isinstance(given_year, bool) or not 1900 <= given_year <= 9999:
        raise DataFormatError(text("prefill.bad_year", where=_where("reporting_year"), value=repr(given_year)[:40]))
    if given_agency is not None and not isinstance(given_agency, str):
        raise DataFormatError(text("prefill.bad_agency", where=_where("agency"), value=repr(given_agency)[:40]))
    check_value(given_agency, "agency")
    return {"reporting_year": prefill.get("reporting_year", year), "agency": prefill.get("agency", agency),
            "role": _role(form, prefill.get("role") or role), "data": data}


def generate(output: Path, *, year: int = 2020, agency: str | None = None,
             prefill: Mapping[str, Any] | None = None, form: Form | None = None,
             consolidated: bool = False, extra_sheets: ExtraSheets | None = None,
             created: datetime | None = None, role: str = ROLE_AGENCY, language: str = DEFAULT_LANGUAGE) -> Path:
    """Write the form's workbook to ``output``; return the path.

    ``prefill`` is a document in the JSON format; its values are written exactly as given (a text
    stays text), and its year and agency win over ``year`` and ``agency``. ``consolidated`` adds
    the Virksomhet column to every table; ``extra_sheets`` may add sheets after the form's own;
    ``created`` stamps the file's creation/modification time (default: now); ``role`` says whose
    workbook it is (``member`` or ``agency``; a prefill's own ``role`` wins); ``language`` the
    language of everything the workbook shows (``nb``, ``nn``; stored values never change with it).
    Raises :class:`DataFormatError` for prefill data that cannot be placed and
    :class:`GenerateError` for anything xlsxwriter refuses.
    """
    form = form or load_form(*(
        (prefill["form_id"], prefill["form_version"]) if prefill and "form_id" in prefill and "form_version" in prefill
        else DEFAULT_FORM))
    meta = _metadata(form, year, agency, prefill, role)
    language = _language(form, language)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".part")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            book = xlsxwriter.Workbook(str(tmp), {
                "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
            })
            writer = _Writer(book, form, meta["data"], consolidated, language)
            properties = {"title": f"{wording.form_title(form, language)} {meta['reporting_year']}", "subject": form.form_id,
                          "company": meta["agency"] or "", "comments": f"{form.form_id} {form.form_version}"}
            book.set_properties(properties | ({"created": created} if created else {}))
            stamped = {"form_id": form.form_id, "form_version": form.form_version, **meta,
                       "language": language}
            for name in META_ROWS:  # every metadata key of the form, in its order
                value = stamped.get(name)
                _check(book.set_custom_property(name, "" if value is None else value), f"the property {name}")
            writer.guide_sheet(meta["reporting_year"], meta["agency"])
            for section in form.sections:
                writer.section_sheet(section, meta["agency"])
            if extra_sheets:
                writer.table_columns.update(extra_sheets(book, writer.styles) or {})
            writer.meta_sheet(meta["reporting_year"], meta["agency"], meta["role"])
            book.close()
            _lock_structure(tmp)
        except Warning as warning:
            tmp.unlink(missing_ok=True)
            raise GenerateError("error.xlsxwriter_warning", warning=warning) from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    tmp.replace(output)
    return output
