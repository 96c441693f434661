"""Read a filled workbook into a :class:`Submission`: values found through the defined names and
tables the generator wrote, never by coordinates, so inserted rows and a save by another office
suite change nothing. Every cell read keeps its place, so each problem can point at a cell.

Values, formulas and error values come from :mod:`workbook.cells` (python-calamine where it is
provably safe, our own bounded parser elsewhere); names and tables from the container
(:mod:`workbook.container`). Reading never raises for bad data: it records problems.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import python_calamine

from workbook.cells import Band, SheetValues, TooManyCells, calamine_can_read, parse_shared_strings, parse_sheet, \
    parse_styles
from workbook.cellref import Area, cell as _cell
from workbook.container import Container, ContainerProblem, Table, open_container
from workbook.errors import UnknownFormError
from workbook.form import AGENCY_COLUMN_KEY, METADATA_KEYS, Field, Form, available_forms, load_form
from workbook import wording
from workbook.messages import DEFAULT_LANGUAGE
from workbook.layout import ANSWER_COL, CHOICES_INTRO, FIRST_QUESTION_ROW, HELP_COL, LABEL_COL, IDENTITY, META_ROWS, TABLE_LEAD_ROWS, columns_name, marked
from workbook.messages import text
from workbook.normalize import NOTICES, is_chosen, is_empty, normalise, to_int, to_text
from workbook.problems import ERROR, WARNING, Problem, make, part_label

#: How far below a table typed values are reported as "below the table".
BELOW_TABLE_ROWS = 20
#: Values typed where nothing reads them, reported one by one per sheet; the rest are counted.
STRAY_REPORTED = 50
_DECLARED_COUNT = re.compile(rb"\b(?:uniqueCount|count)\s*=\s*[\"'](\d+)")


@dataclass
class Submission:
    """What one workbook says, with where each value came from and what stopped it being read."""

    file: str
    form: Form | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    #: (key,) or (key, row_index, column_key) -> (sheet, cell, table row number)
    places: dict[tuple[Any, ...], tuple[str, str, int | None]] = field(default_factory=dict)
    #: places whose value could not be read (their problem is already recorded)
    unreadable: set[tuple[Any, ...]] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)
    #: when the file was last saved, as its own properties say (ISO 8601), if they say
    saved_at: str | None = None
    #: other named tables of the workbook (e.g. a consolidated workbook's per-agency sheets), each
    #: row by its headers as the sheet shows them
    extra_tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: the language the workbook was written in (its ``language`` metadata; bokmål if it has none):
    #: what its sheets are named and its labels say, never what its data holds
    language: str = DEFAULT_LANGUAGE
    #: the same rows by column key, as the generator recorded each table's columns (by header
    #: where a table has no record: a workbook made before tables were recorded)
    extra_records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def readable(self) -> bool:
        """Whether the file was a form workbook that could be read at all."""
        return self.form is not None

    def document(self) -> dict[str, Any]:
        """The submission in the JSON format (values that could not be read stay as typed)."""
        return {**{key: self.metadata.get(key) for key in METADATA_KEYS}, "data": self.data}

    def place(self, path: tuple[Any, ...]) -> tuple[str | None, str | None, int | None]:
        found = self.places.get(path)
        return found if found else (None, None, None)


class SheetCells:
    """Cell access, the reader's first job: each sheet's values, formulas and error values, parsed
    once (python-calamine where it is provably safe, our own bounded parser elsewhere)."""

    def __init__(self, path: Path, container: Container, calamine_ok: bool) -> None:
        self.path = path
        self.container: Container = container
        self.calamine_ok = calamine_ok
        self.book: Any = None
        self.grids: dict[str, SheetValues] = {}
        self._strings: list[str] | None = None
        self._styles: list[str | None] | None = None

    # --- cells ---------------------------------------------------------------------------------
    def grid(self, sheet: str) -> SheetValues:
        if sheet not in self.grids:
            assert self.container is not None
            data = self.container.sheet_xml(sheet)
            if data is None:
                raise ContainerProblem("file-corrupt", f"{sheet}: no sheet part")
            try:
                rows = self._calamine_rows(sheet, data)
                if rows is not None:
                    self.grids[sheet] = SheetValues.from_rows(rows)
                else:
                    self.grids[sheet] = parse_sheet(data, self.strings(), self.styles(), self.band(sheet),
                                                    self.container.date1904)
            except TooManyCells:
                raise ContainerProblem("sheet-too-large", sheet=sheet) from None
            except (python_calamine.CalamineError, SyntaxError, ValueError) as error:  # listed, not parseable
                raise ContainerProblem("file-corrupt", f"{sheet}: {error}") from None
        return self.grids[sheet]

    def _calamine_rows(self, sheet: str, data: bytes) -> list[list[Any]] | None:
        """The sheet's rows from calamine, or None where our own parser is to read it: the sheet is
        not provably safe for calamine, or calamine fails on a value (a duration format on 1e300
        raises OverflowError in its conversion), which our parser reads as the number it is."""
        if not (self.calamine_ok and calamine_can_read(data)):
            return None
        book = self.calamine()
        try:
            return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        except (OverflowError, ValueError, TypeError):
            return None

    def calamine(self) -> Any:
        if self.book is None:
            try:
                self.book = python_calamine.CalamineWorkbook.from_path(str(self.path))
            except python_calamine.PasswordError:
                raise ContainerProblem("file-encrypted") from None
            except Exception as error:  # calamine raises several kinds for broken parts
                raise ContainerProblem("file-corrupt", str(error)) from None
        return self.book

    def strings(self) -> list[str]:
        if self._strings is None:
            assert self.container is not None
            part = self.container.related("sharedStrings")
            data = self.container.part(part) if part else None
            self._strings = parse_shared_strings(data) if data else []
        return self._strings

    def styles(self) -> list[str | None]:
        if self._styles is None:
            assert self.container is not None
            part = self.container.related("styles")
            self._styles = parse_styles(self.container.part(part) if part else None)
        return self._styles

    def band(self, sheet: str) -> Band:
        """The rows and columns the form reads on a sheet, with room for what a person types
        beside an answer or below a table."""
        assert self.container is not None
        areas = [a for a in self.container.names.values() if a.sheet == sheet]
        areas += [t.area for t in self.container.tables.values() if t.area.sheet == sheet]
        last_row = max((a.last_row for a in areas), default=0)
        last_col = max((a.last_col for a in areas), default=0)
        return Band(last_row + BELOW_TABLE_ROWS + 5, last_col + 3)

    def raw(self, sheet: str, row: int, col: int) -> Any:
        values = self.grids.get(sheet)
        return values.get(row, col) if values is not None else None

    def close(self) -> None:
        if self.book is not None:
            self.book.close()


_LABEL_LEFT, _HELP_RIGHT = ANSWER_COL - LABEL_COL, HELP_COL - ANSWER_COL  # columns from an answer cell


class Owned:
    """The cells and areas of each sheet that are the form's (answers read, their labels and help,
    tables with the rows above them): anything typed elsewhere is a stray value."""

    def __init__(self) -> None:
        self.cells: dict[str, set[tuple[int, int]]] = {}
        #: areas (first row, first col, last row, last col), tables among them
        self.areas: dict[str, list[tuple[int, int, int, int]]] = {}

    def add(self, sheet: str, row: int, col: int) -> None:
        known = self.cells.get(sheet)
        if known is None:
            known = self.cells[sheet] = set()
        known.add((row, col))

    def add_row(self, sheet: str, row: int, col: int) -> None:
        """The label left of an input cell and the help right of it are the form's own text."""
        known = self.cells.get(sheet)
        if known is None:
            known = self.cells[sheet] = set()
        for c in range(max(LABEL_COL, col - _LABEL_LEFT), col + _HELP_RIGHT + 1):
            known.add((row, c))

    def add_area(self, sheet: str, area: tuple[int, int, int, int]) -> None:
        self.areas.setdefault(sheet, []).append(area)

    def __contains__(self, where: tuple[str, int, int]) -> bool:
        sheet, row, col = where
        if (row, col) in self.cells.get(sheet, ()):
            return True
        return any(r0 <= row <= r1 and c0 <= col <= c1 for r0, c0, r1, c1 in self.areas.get(sheet, ()))


class _Reader:
    def __init__(self, path: Path, display: str) -> None:
        self.path = path
        self.file = display
        self.sub = Submission(file=display)
        self.container: Container | None = None
        self.cells: SheetCells | None = None
        self.owned = Owned()
        self.tables_read: list[tuple[Field, Table]] = []

        self.grids: dict[str, SheetValues] = {}  # the cells' own (SheetCells.grids), once open

    # --- cells (SheetCells) ----------------------------------------------------------------------
    def grid(self, sheet: str) -> SheetValues:
        assert self.cells is not None
        return self.cells.grid(sheet)

    def raw(self, sheet: str, row: int, col: int) -> Any:
        assert self.cells is not None
        return self.cells.raw(sheet, row, col)

    # --- problems ------------------------------------------------------------------------------
    def label(self, key: str, column: str | None = None) -> str:
        """A field's (or column's) label in the workbook's language, as problems name it."""
        assert self.sub.form is not None
        return wording.label(self.sub.form, key, column, self.sub.language)

    def problem(self, code: str, **kw: Any) -> None:
        self.sub.problems.append(make(code, self.file, **kw))

    def read_cell(self, sheet: str, row: int, col: int, kind: str, allowed: tuple[str, ...],
                  path: tuple[Any, ...], label: str, table_row: int | None = None,
                  column: str | None = None) -> Any:
        """Read and normalise one input cell, recording its place and any problem."""
        cell = _cell(row, col)
        self.owned.add(sheet, row, col)
        self.sub.places[path] = (sheet, cell, table_row)
        values = self.grids[sheet]
        raw = values.get(row, col)
        if values.formulas and (row, col) in values.formulas:
            code, value = "formula", raw
        elif values.errors and (row, col) in values.errors:
            code, value = "error-value", raw
        else:
            value, code = is_chosen(raw) if kind == "option" else normalise(kind, raw, allowed)
            if not code or code == "not-allowed":  # not-allowed is left to the rules, which know the values
                return value
            if code in NOTICES:  # said as a warning; the value (e.g. unanswered) still counts
                self.problem(code, severity=WARNING, value=raw, sheet=sheet, cell=cell, key=path[0],
                             row=table_row, column=column, label=label)
                return value
        self.sub.unreadable.add(path)
        self.problem(code, value=raw, sheet=sheet, cell=cell, key=path[0], row=table_row, column=column,
                     label=label)
        return value

    # --- the workbook --------------------------------------------------------------------------
    def open(self) -> bool:
        try:
            self.container = open_container(self.path)
        except ContainerProblem as trouble:
            self.problem(trouble.code, detail=trouble.detail, **trouble.params)
            return False
        self.sub.saved_at = self.container.modified
        strings = self.container.related("sharedStrings")
        calamine_ok = not self.container.strict and (
            strings is None or _counts_believable(self.container.head(strings), self.container, strings))
        self.cells = SheetCells(self.path, self.container, calamine_ok)
        self.grids = self.cells.grids
        return True

    def metadata(self) -> Form | None:
        assert self.container is not None
        found: dict[str, Any] = {}
        conflicts: list[tuple[str, Any, Any]] = []
        for key in (k for k in META_ROWS if k != "role"):  # the role is read on its own (_role)
            area = self.container.names.get(key)
            value = None
            if area is not None and area.sheet in self.container.sheets and self.grid(area.sheet) is not None:
                value = self.raw(area.sheet, area.first_row, area.first_col)
                self.sub.places[(key,)] = (area.sheet, _cell(area.first_row, area.first_col), None)
            stamped = self.container.properties.get(key)
            if is_empty(value):
                value = stamped
            elif key in IDENTITY and not is_empty(stamped) and _same_text(value) != _same_text(stamped):
                conflicts.append((key, value, stamped))
            found[key] = value
        form_id, _ = to_text(found["form_id"])
        version, _ = to_text(found["form_version"])
        year, year_problem = to_int(found["reporting_year"])
        agency, _ = to_text(found["agency"])
        language, _ = to_text(found["language"])
        self.sub.metadata = {"form_id": form_id, "form_version": version,
                             "reporting_year": None if year_problem else year, "agency": agency}
        if form_id is None:
            self.problem("file-not-form")
            return None
        try:
            form = load_form(form_id, version or "")
        except UnknownFormError:
            known_id = any(known == form_id for known, _ in available_forms())
            self.problem("form-version-unknown" if known_id else "file-not-form",
                         form_id=form_id, form_version=version or "")
            return None
        self.sub.form = form
        if language in wording.languages(form):  # none reads as bokmål: the data is the same
            self.sub.language = self.sub.metadata["language"] = language
        elif language is not None:  # said, and read as bokmål
            sheet, cell, _ = self.sub.place(("language",))
            self.problem("not-allowed", sheet=sheet, cell=cell, key="language", label=self.label("language"),
                         value=found["language"], choices=wording.languages(form))
        for key, value, stamped in conflicts:  # which of the two is right cannot be known: said, not guessed
            sheet, cell, _ = self.sub.place((key,))
            self.problem("metadata-conflict", sheet=sheet, cell=cell, key=key, name=self.label(key),
                         sheet_value=_same_text(value), property_value=_same_text(stamped))
        for name, refs in self.container.duplicate_names.items():
            if name in form.fields:
                self.sub.unreadable.add((name,))
                self.problem("name-duplicate", key=name, label=self.label(name), name=name,
                             refs=list(refs))
        if year_problem:  # said so, not read as a missing year
            sheet, cell, _ = self.sub.place(("reporting_year",))
            self.sub.unreadable.add(("reporting_year",))
            self.problem(year_problem, sheet=sheet, cell=cell, key="reporting_year",
                         label=self.label("reporting_year"), value=found["reporting_year"])
        return form

    def read(self) -> Submission:
        if not self.open():
            return self.sub
        try:
            self._read_form()
        except ContainerProblem as trouble:  # a damaged sheet: the file as a whole cannot be read
            self.sub = Submission(file=self.file, metadata=self.sub.metadata, saved_at=self.sub.saved_at)
            self.problem(trouble.code, detail=trouble.detail, **trouble.params)
        finally:
            self.container.close()  # type: ignore[union-attr]
            if self.cells is not None:
                self.cells.close()
        return self.sub

    def _read_form(self) -> None:
        assert self.container is not None
        form = self.metadata()
        self.sub.metadata["role"] = self._role()
        if form is None:
            return
        self.sub.form = form
        for section in form.sections:
            sheet = wording.sheet_name(form, section.key, self.sub.language)
            if sheet not in self.container.sheets and not all(map(self._found, section.fields)):
                self.problem("sheet-missing", severity=WARNING, sheet=sheet)
        for field_ in form.questions():
            if field_.is_table:
                self.read_table(field_)
            elif field_.layout == "options":
                self.read_choices(field_)
            else:
                self.read_single(field_)
        self.read_extra_tables(form)
        assert self.cells is not None
        strays = StrayFinder(self.cells, self.owned, self.problem, form, self.sub.language)
        strays.own_layout(self.container, form)
        for field_, table in self.tables_read:
            strays.check_below(field_, table)
        strays.report(form, self.sub.places, self.sub.language)

    def _role(self) -> str:
        """Whose workbook this is, read as ``agency`` is: its defined name, else its property.

        A workbook made before the field existed has neither and is an agency's.
        """
        from workbook.form import ROLE_AGENCY

        assert self.container is not None
        area = self.container.names.get("role")
        value = None
        if area is not None and area.sheet in self.container.sheets and self.grid(area.sheet) is not None:
            value = self.raw(area.sheet, area.first_row, area.first_col)
            self.sub.places[("role",)] = (area.sheet, _cell(area.first_row, area.first_col), None)
        if is_empty(value):
            value = self.container.properties.get("role")
        role, _ = to_text(value)
        return role or ROLE_AGENCY

    def _found(self, field_: Field) -> bool:
        """Whether the field's name (or table) points at a sheet of the workbook, e.g. a renamed one."""
        assert self.container is not None
        where = self.container.tables.get(field_.key) if field_.is_table else self.container.names.get(field_.key)
        sheet = where.area.sheet if isinstance(where, Table) else where.sheet if where else None
        return sheet in self.container.sheets

    def _section_sheet(self, field_: Field) -> str | None:
        if self.sub.form is None:
            return None
        return wording.sheet_name(self.sub.form, self.sub.form.section_of(field_.key).key, self.sub.language)

    def area_of(self, field_: Field) -> Area | None:
        assert self.container is not None
        area = self.container.names.get(field_.key)
        if area is None or area.sheet not in self.container.sheets or self.grid(area.sheet) is None:
            self.sub.unreadable.add((field_.key,))
            self.problem("name-missing", sheet=self._section_sheet(field_), key=field_.key, label=self.label(field_.key),
                         name=field_.key)
            return None
        return area

    def read_single(self, field_: Field) -> None:
        area = self.area_of(field_)
        if area is None:
            self.sub.data[field_.key] = None
            return
        self.sub.data[field_.key] = self.read_cell(area.sheet, area.first_row, area.first_col, field_.kind,
                                                   field_.allowed, (field_.key,), self.label(field_.key))

    def read_choices(self, field_: Field) -> None:
        area = self.area_of(field_)
        if area is None:
            self.sub.data[field_.key] = []
            return
        chosen: list[int] = []
        self.owned.add_row(area.sheet, area.first_row - 1, area.first_col)
        for row, i in self._option_rows(field_, area):
            option = field_.allowed[i]
            self.owned.add_row(area.sheet, row, area.first_col)
            value = self.read_cell(area.sheet, row, area.first_col, "option", (), (field_.key, i),
                                   part_label(self.label(field_.key), self._option_text(field_, option),
                                              self.sub.language))
            if value is True:
                chosen.append(i)
        self.sub.places[(field_.key,)] = (area.sheet, _cell(area.first_row, area.first_col), None)
        self.sub.data[field_.key] = [field_.allowed[i] for i in sorted(chosen)]

    def _option_rows(self, field_: Field, area: Area) -> list[tuple[int, int]]:
        """(row, option index) of each option, found by the option's own text left of its cell, so
        a row inserted among the options shifts nothing; by position if no option text is found."""
        index_of = {option.casefold(): i for i, option in enumerate(field_.allowed)}
        index_of |= {self._option_text(field_, option).casefold(): i for i, option in enumerate(field_.allowed)}
        rows: list[tuple[int, int]] = []
        for row in range(area.first_row, area.last_row + 1):
            text_left, _ = to_text(self.raw(area.sheet, row, area.first_col - 1)) if area.first_col else (None, None)
            i = index_of.get(text_left.casefold()) if isinstance(text_left, str) else None
            if i is not None and i not in {j for _, j in rows}:
                rows.append((row, i))
        if rows:
            return rows
        return [(area.first_row + i, i) for i in range(len(field_.allowed)) if area.first_row + i <= area.last_row]

    def _option_text(self, field_: Field, option: str) -> str:
        """The text the workbook shows beside an option's cell, in its language."""
        assert self.sub.form is not None
        return wording.choice_text(self.sub.form, field_.key, option, language=self.sub.language)

    def table_of(self, field_: Field) -> Table | None:
        assert self.container is not None
        table = self.container.tables.get(field_.key)
        if table is None or table.area.sheet not in self.container.sheets or self.grid(table.area.sheet) is None:
            self.sub.unreadable.add((field_.key,))
            self.problem("table-missing", sheet=self._section_sheet(field_), key=field_.key, label=self.label(field_.key),
                         name=field_.key)
            return None
        return table

    def read_table(self, field_: Field) -> None:
        table = self.table_of(field_)
        self.sub.data[field_.key] = []
        if table is None:
            return
        area = table.area
        sheet = area.sheet
        by_key = {c.key: c for c in field_.columns}
        keys = self.column_keys(table)
        columns: list[tuple[int, Any]] = []
        for offset, key in enumerate(keys):
            column = by_key.get(key) if key is not None else None
            if column is not None:
                columns.append((area.first_col + offset, column))
        self.sub.places[(field_.key,)] = (sheet, _cell(area.first_row, area.first_col), None)
        present = {c.key for _, c in columns}
        for column in field_.columns:
            if column.key not in present and column.required and not column.consolidated_only:
                self.problem("table-column-missing", sheet=sheet, cell=_cell(area.first_row, area.first_col),
                             key=field_.key, label=self.label(field_.key),
                             column_label=self.label(field_.key, column.key))
        rows: list[dict[str, Any]] = []
        values = self.grids[sheet]
        span = range(area.first_col, area.last_col + 1)
        mapped = {c for c, _ in columns}
        unmapped = [col for col in span if col not in mapped]
        labels = [f"{self.label(field_.key)}: {self.label(field_.key, column.key)}" for _, column in columns]
        has_agency = any(c.key == AGENCY_COLUMN_KEY for _, c in columns)
        last = min(area.last_row, values.last_row)  # a table may claim rows far past what is typed
        for number, row in enumerate(range(area.first_row + 1, last + 1), start=1):
            if values.row_is_empty(row, area.first_col, area.last_col):
                continue
            index = len(rows)
            record: dict[str, Any] = {}
            for (col, column), label in zip(columns, labels):
                record[column.key] = self.read_cell(sheet, row, col, column.kind, column.allowed,
                                                    (field_.key, index, column.key), label, number, column.key)
            for col in unmapped:
                if not is_empty(self.raw(sheet, row, col)):
                    self.problem("stray-value", severity=WARNING, sheet=sheet, cell=_cell(row, col),
                                 value=self.raw(sheet, row, col))
            if not has_agency or record.get(AGENCY_COLUMN_KEY) is None:
                record.pop(AGENCY_COLUMN_KEY, None)
            rows.append(record)
        for _, column in columns:
            if column.consolidated_only:
                continue
            for record in rows:
                record.setdefault(column.key, None)
        for index in range(len(rows)):  # a missing column is reported once, not as empty in every row
            self.sub.unreadable.update((field_.key, index, column.key) for column in field_.columns
                                       if column.key not in present and not column.consolidated_only)
        self.sub.data[field_.key] = rows
        self.tables_read.append((field_, table))

    def column_keys(self, table: Table) -> list[str | None]:
        """The key of each of a table's columns (None: a column the generator did not write, or one
        whose header was changed), as the metadata sheet's record of the table says: by the
        header each key was written under, so a column moved, renamed, added or deleted in Excel
        is found or missed as it is, whatever language the labels are in. A workbook without the
        record (made before it existed) is read by the form's labels."""
        record = self.column_record(table.name)
        if record is None:
            form = self.sub.form
            field_ = form.fields.get(table.name) if form is not None else None
            record = {c.label: c.key for c in field_.columns} if field_ is not None else {}
            record |= {marked(label, True): key for label, key in record.items()}
            return [record.get(header) for header in table.headers]
        return [record.get(header) for header in table.headers]

    def column_record(self, table: str) -> dict[str, str] | None:
        """{header: column key} of a table as the generator recorded it, or None if not recorded."""
        assert self.container is not None
        area = self.container.names.get(columns_name(table))
        if area is None or area.sheet not in self.container.sheets or self.grid(area.sheet) is None:
            return None
        record: dict[str, str] = {}
        for row in range(area.first_row, area.last_row + 1):
            key, header = self.raw(area.sheet, row, area.first_col), self.raw(area.sheet, row, area.first_col + 1)
            if isinstance(key, str) and isinstance(header, str):
                record.setdefault(header, key)
        return record

    def read_extra_tables(self, form: Form) -> None:
        assert self.container is not None
        fields = {f.key for f in form.questions()}
        for name, table in self.container.tables.items():
            if name in fields or self.grid(table.area.sheet) is None:
                continue
            area = table.area
            record = self.column_record(name)
            keys = [record.get(h) for h in table.headers] if record is not None else list(table.headers)
            rows, records = [], []
            for row in range(area.first_row + 1, min(area.last_row, self.grids[area.sheet].last_row) + 1):
                values = [self.raw(area.sheet, row, col) for col in range(area.first_col, area.last_col + 1)]
                if all(is_empty(v) for v in values):
                    continue
                rows.append(dict(zip(table.headers, values)))
                records.append({k: v for k, v in zip(keys, values) if k is not None})
            self.owned.add_area(area.sheet, (area.first_row, area.first_col, area.last_row, area.last_col))
            self.sub.extra_tables[name] = rows
            self.sub.extra_records[name] = records


class StrayFinder:
    """The reader's third job: values typed where nothing reads them (beside an answer, below a
    table, anywhere on a form's sheet), said as warnings, never dropped silently. What the form
    owns is what the field readers read and, whatever the field's kind, what the layout puts
    around the defined names and tables the generator wrote (:meth:`own_layout`)."""

    def __init__(self, cells: SheetCells, owned: Owned, problem: Callable[..., None], form: Form,
                 language: str = DEFAULT_LANGUAGE) -> None:
        self.form = form
        self.language = language
        self.cells = cells
        self.grids = cells.grids
        self.owned = owned
        self.problem = problem

    def raw(self, sheet: str, row: int, col: int) -> Any:
        return self.cells.raw(sheet, row, col)

    def own_layout(self, container: Container, form: Form) -> None:
        """The label and help beside each question's answer cell, the label row above a list of
        options, and each form table with its label and help rows: the form's, by its layout."""
        for key in form.fields:
            area = container.names.get(key)
            if area is not None:
                if area.last_row > area.first_row:  # a list of options: its rows are owned as read
                    self.owned.add_row(area.sheet, area.first_row - 1, area.first_col)  # its label row
                else:
                    self.owned.add_row(area.sheet, area.first_row, area.first_col)
            table = container.tables.get(key)
            if table is not None:
                t = table.area
                self.owned.add_area(t.sheet, (max(0, t.first_row - TABLE_LEAD_ROWS), t.first_col, t.last_row,
                                              t.last_col))

    def check_below(self, field_: Field, table: Table) -> None:
        area = table.area
        for row in range(area.last_row + 1, min(area.last_row + BELOW_TABLE_ROWS, self.grids[area.sheet].last_row) + 1):
            for col in range(area.first_col, area.last_col + 1):
                if (area.sheet, row, col) in self.owned:
                    return
                value = self.raw(area.sheet, row, col)
                if not is_empty(value):
                    self.owned.add(area.sheet, row, col)
                    self.problem("below-table", severity=WARNING, sheet=area.sheet, cell=_cell(row, col),
                                 key=field_.key, label=wording.label(self.form, field_.key, language=self.language),
                                 value=value)

    def report(self, form: Form, places: dict[tuple[Any, ...], tuple[str, str, int | None]],
               language: str = DEFAULT_LANGUAGE) -> None:
        """Values typed where nothing reads them: reported as warnings, never dropped silently.

        Every sheet a section's questions were found on is looked at (a sheet renamed in Excel keeps
        its names); the form's own labels and help texts are not typed values, wherever they stand.
        """
        own_texts = _form_texts(form, language)
        sheets: list[str] = []
        for section in form.sections:
            found = [places[(f.key,)][0] for f in section.fields if (f.key,) in places]
            named = wording.sheet_name(form, section.key, language)
            sheets.extend(s for s in [named, *found] if s not in sheets)
        for sheet in sheets:
            values = self.grids.get(sheet)
            if values is None and sheet in self.cells.container.sheets:  # a sheet no field reader needed
                values = self.cells.grid(sheet)
            if values is None:
                continue
            found: list[tuple[int, int, Any]] = []  # the first few, in reading order; the rest counted
            more = values.outside_count - len(values.outside)
            for row, col, value in values.items():
                if row >= FIRST_QUESTION_ROW and not is_empty(value) and value not in own_texts \
                        and (sheet, row, col) not in self.owned:
                    if len(found) < STRAY_REPORTED:
                        found.append((row, col, value))
                    else:
                        more += 1
            outside = sorted((r, c, v) for r, c, v in values.outside if not is_empty(v))
            more += max(0, len(found) + len(outside) - STRAY_REPORTED)
            for row, col, value in (found + outside)[:STRAY_REPORTED]:
                self.problem("stray-value", severity=WARNING, sheet=sheet, cell=_cell(row, col), value=value)
            if more > 0:
                self.problem("stray-values-more", severity=WARNING, sheet=sheet, count=more)


def _same_text(value: Any) -> str:
    """A metadata value as text, so 2020, 2020.0 (a property after a LibreOffice save) and "2020" agree."""
    number, problem = to_int(value)
    return str(number) if problem is None and isinstance(number, int) else str(to_text(value)[0])


def _counts_believable(head: bytes, container: Container, part: str) -> bool:
    """Whether the shared strings' declared counts could be true: calamine reserves room for as many
    strings as the part declares (4,000,000,000 aborts the process), so a count larger than the
    part could hold sends the workbook to our own parser, which counts what is there."""
    declared = [int(n) for n in _DECLARED_COUNT.findall(head[:1024])]
    if not declared:
        return True
    size = len(container.part(part) or b"") if max(declared) > 100_000 else 100_000 * 8
    return max(declared) <= size // 8 + 16  # a string item takes at least 8 bytes: <si><t/></si>


@functools.lru_cache(maxsize=None)
def _form_texts(form: Form, language: str = DEFAULT_LANGUAGE) -> frozenset[str]:
    """The labels and help texts the generator writes beside the input cells, in ``language``."""
    texts = {text(CHOICES_INTRO, language)}
    for field_ in form.questions():
        for column in (None, *(c.key for c in field_.columns)):
            label = wording.label(form, field_.key, column, language)
            texts |= {label, marked(label, True), wording.help_text(form, field_.key, column, language)}
    return frozenset(texts)


def read_workbook(path: Path | str, display: str | None = None) -> Submission:
    """Read one workbook file; problems that stop reading are recorded, never raised."""
    path = Path(path)
    return _Reader(path, display or str(path)).read()


__all__ = ["Submission", "read_workbook", "ERROR", "WARNING"]
