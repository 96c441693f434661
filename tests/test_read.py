"""Reading a filled workbook: values are found through the defined names and tables (so inserted
rows and moved names change nothing), what a person typed is read the way they meant it, and
anything that is not read is said so.
"""

from __future__ import annotations

import contextlib
import datetime as dt

import openpyxl
import pytest

from documents import filled_document, make_workbook
from editing import cell_of, edit, table_cell
from office import libreoffice_edit, libreoffice_roundtrip
from workbook.container import open_container
from workbook.document import canonical
from workbook.form import load_form
from workbook.read import _form_texts, read_workbook
from workbook.validate import validate_file

NBSP, NNBSP = "\u00a0", "\u202f"
YESNO_COLUMNS = ("as_qualification", "at_award", "as_contract_condition")


def found(problems):
    return [(p.code, p.sheet, p.cell) for p in problems]


def detailed(problems):
    return [(p.code, p.severity, p.sheet, p.cell, p.key, p.row, p.column, p.value) for p in problems]


def structure(path):
    container = open_container(path)
    try:
        return container.names, container.tables
    finally:
        container.close()


# --- values are found through names and tables ----------------------------------------------------
def test_the_oslo_workbook_reads_back_as_the_document(tmp_path, form):
    path = make_workbook(tmp_path)
    sub = read_workbook(path)
    assert sub.problems == []
    assert canonical(sub.document(), form) == canonical(filled_document(), form)
    assert sub.metadata == {"form_id": "ehn-offentlig", "form_version": "2020.1", "reporting_year": 2020,
                            "agency": "Oslo kommune", "role": "agency", "language": "nb"}
    names, tables = structure(path)
    assert sub.place(("org_name",)) == (names["org_name"].sheet, "B4", None)
    assert sub.place(("requirements", 1, "supplier_count"))[2] == 2  # the row number as the table shows it


def test_a_field_is_read_where_its_defined_name_points(tmp_path):
    path = make_workbook(tmp_path)
    sheet, old_cell = cell_of(path, "org_name")
    book = openpyxl.load_workbook(path)
    book.defined_names["org_name"].attr_text = f"'{sheet}'!$B$40"
    book[sheet]["B40"] = "Flyttet AS"
    book.save(path)
    sub = read_workbook(path)
    assert sub.data["org_name"] == "Flyttet AS"
    assert sub.place(("org_name",)) == (sheet, "B40", None)
    # what still stands in the old cell is no longer read, and is said so
    assert detailed(sub.problems) == [("stray-value", "warning", sheet, old_cell, None, None, None, "Oslo kommune")]


def test_a_table_is_read_where_its_range_is(tmp_path):
    """A table whose range was moved down (as when rows are inserted above it) is read there."""
    path = make_workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    sheet = book["3.1 Øke oppslutning"]
    table = sheet.tables["awareness_measures"]
    first, last = table.ref.split(":")
    first_row, last_row = int(first[1:]), int(last[1:])
    sheet.move_range(f"A{first_row}:C{last_row}", rows=3)
    table.ref = table.autoFilter.ref = f"A{first_row + 3}:C{last_row + 3}"
    book.save(path)
    sub = read_workbook(path)
    assert sub.data["awareness_measures"] == filled_document()["data"]["awareness_measures"]
    assert sub.place(("awareness_measures", 0, "type"))[1] == f"A{first_row + 4}"
    assert sub.problems == []


@pytest.fixture(scope="module")
def inserted(tmp_path_factory):
    """The Oslo workbook after an agency inserted rows in LibreOffice: above questions, inside a
    table (typing a new procurement into the new row), between two tables, above a table, and
    between two options of a choices question (a protected sheet lets rows be inserted, but not
    deleted where they hold the form's locked labels)."""
    folder = tmp_path_factory.mktemp("inserted")
    original = make_workbook(folder)
    names, tables = structure(original)
    requirements = tables["requirements"].area
    new_row = requirements.first_row + 3  # 0-based: after the table's second data row
    steps = [
        {"op": "insert_rows", "sheet": "Om virksomheten", "row": names["org_name"].first_row, "count": 2},
        {"op": "insert_rows", "sheet": requirements.sheet, "row": new_row, "count": 2},
        {"op": "set", "sheet": requirements.sheet, "cell": f"A{new_row + 1}", "value": "Ny anskaffelse"},
        {"op": "set", "sheet": requirements.sheet, "cell": f"B{new_row + 1}", "value": "Enkeltkontrakt"},
        {"op": "set", "sheet": requirements.sheet, "cell": f"C{new_row + 1}", "value": 4},
        {"op": "set", "sheet": requirements.sheet, "cell": f"D{new_row + 1}", "value": "Ja"},
        {"op": "set", "sheet": requirements.sheet, "cell": f"E{new_row + 1}", "value": "Nei"},
        {"op": "set", "sheet": requirements.sheet, "cell": f"F{new_row + 1}", "value": "Ja"},
        {"op": "insert_rows", "sheet": "Prioriterte mål", "row": tables["goals_next_year"].area.first_row - 2,
         "count": 3},
        {"op": "insert_rows", "sheet": "2.3 Oppfølging av krav", "row": tables["deviations"].area.first_row - 1,
         "count": 1},
        # after DFØ, the second option (counted after the two rows inserted above)
        {"op": "insert_rows", "sheet": requirements.sheet, "row": names["requirement_templates"].first_row + 4,
         "count": 1},
    ]
    return original, libreoffice_edit(original, folder / "inserted.xlsx", steps, folder)


@pytest.mark.libreoffice
def test_rows_inserted_in_libreoffice_move_the_names_and_tables(inserted):
    original, changed = inserted
    (names, tables), (new_names, new_tables) = structure(original), structure(changed)
    assert new_names["org_name"].first_row == names["org_name"].first_row + 2
    templates, new_templates = names["requirement_templates"], new_names["requirement_templates"]
    assert (new_templates.first_row, new_templates.last_row) == (templates.first_row + 2, templates.last_row + 3)
    assert new_tables["requirements"].area.last_row == tables["requirements"].area.last_row + 2
    assert new_tables["goals_next_year"].area.first_row == tables["goals_next_year"].area.first_row + 3
    assert new_tables["deviations"].area.first_row == tables["deviations"].area.first_row + 1


@pytest.mark.libreoffice
def test_a_workbook_with_inserted_rows_reads_the_same(inserted, form):
    _, changed = inserted
    result = validate_file(changed, keep_document=True)
    assert result.problems == []
    expected = filled_document()
    new = {"procurement": "Ny anskaffelse", "agreement_type": "Enkeltkontrakt", "supplier_count": 4,
           "as_qualification": True, "at_award": False, "as_contract_condition": True}
    expected["data"]["requirements"].insert(2, new)
    assert canonical(result.document, form) == canonical(expected, form)


# --- what a person typed -------------------------------------------------------------------------
def test_numbers_and_answers_are_read_as_people_type_them(tmp_path, form):
    path = make_workbook(tmp_path)
    edit(path, {
        cell_of(path, "employees"): "51 619",
        cell_of(path, "total_purchases_nok"): f"27{NBSP}000{NBSP}000{NBSP}000 kr",
        cell_of(path, "procurement_count"): "166",
        cell_of(path, "supplier_count"): f"1{NNBSP}234",
        cell_of(path, "covered_value_nok"): "17 000 000 000",
        cell_of(path, "membership_year"): " 2017 ",
        cell_of(path, "requirements_in_all"): " Ja ",
        cell_of(path, "deviations_found"): "JA",
        cell_of(path, "awareness_done"): "ja",
        table_cell(path, "requirements", 1, "agreement_type"): "rammeavtale",
        table_cell(path, "requirements", 1, "supplier_count"): "1 ",
        table_cell(path, "requirements", 1, "as_qualification"): "JA",
        table_cell(path, "requirements", 1, "at_award"): "nei",
        table_cell(path, "requirements", 1, "as_contract_condition"): " ja ",
        cell_of(path, "requirement_templates", 1): "x",  # DFØ chosen with an x
        cell_of(path, "contact_phone"): 95929190,  # a phone number typed as a number
        cell_of(path, "foreword_author"): dt.datetime(2021, 3, 5),  # a date in a text field
    })
    result = validate_file(path, keep_document=True)
    assert result.problems == []
    expected = filled_document()
    expected["data"] |= {"requirements_in_all": True, "supplier_count": 1234, "covered_value_nok": 17000000000,
                         "contact_phone": "95929190", "foreword_author": "05.03.2021",
                         "requirement_templates": ["DFØ (tidligere Difi)", "Egen mal"]}
    assert canonical(result.document, form) == canonical(expected, form)


@pytest.fixture(scope="module")
def mistyped(tmp_path_factory):
    """A workbook with the typing mistakes the reader must name, and the problems expected, in the
    form (code, sheet, cell, key, table row, column), sorted."""
    folder = tmp_path_factory.mktemp("mistyped")
    path = make_workbook(folder)
    cells = {
        cell_of(path, "employees"): dt.datetime(2024, 3, 5),
        cell_of(path, "total_purchases_nok"): "ca. 27 milliarder",
        cell_of(path, "procurement_count"): 12.5,
        cell_of(path, "membership_year"): "=2000+6",
        cell_of(path, "deviations_found"): "kanskje",
        cell_of(path, "org_name"): '="Oslo "&"kommune"',
        table_cell(path, "requirements", 2, "supplier_count"): "mange",
        table_cell(path, "requirements", 3, "at_award"): "Yes",
        table_cell(path, "requirements", 4, "supplier_count"): "=1+1",
        cell_of(path, "requirement_templates", 0): "kanskje",
        cell_of(path, "foreword_author"): "#N/A",
    }
    edit(path, cells)

    def at(key, offset=0):
        return cell_of(path, key, offset)

    return path, sorted([
        ("formula", *at("org_name"), "org_name", None, None),
        ("error-value", *at("foreword_author"), "foreword_author", None, None),
        ("date-not-number", *at("employees"), "employees", None, None),
        ("not-a-number", *at("total_purchases_nok"), "total_purchases_nok", None, None),
        ("not-whole-number", *at("procurement_count"), "procurement_count", None, None),
        ("formula", *at("membership_year"), "membership_year", None, None),
        ("not-a-number", *table_cell(path, "requirements", 2, "supplier_count"), "requirements", 2, "supplier_count"),
        ("not-yesno", *table_cell(path, "requirements", 3, "at_award"), "requirements", 3, "at_award"),
        ("formula", *table_cell(path, "requirements", 4, "supplier_count"), "requirements", 4, "supplier_count"),
        ("not-yesno", *at("requirement_templates"), "requirement_templates", None, None),
        ("not-yesno", *at("deviations_found"), "deviations_found", None, None),
    ])


def test_typing_mistakes_are_named_at_their_cells_and_nothing_else_is_said(mistyped):
    path, expected = mistyped
    result = validate_file(path)
    # no "required" for the unreadable cells, no rule across fields on an answer that could not be read
    assert sorted((p.code, p.sheet, p.cell, p.key, p.row, p.column) for p in result.problems) == expected
    assert all(p.severity == "error" for p in result.problems)


def test_the_value_as_typed_is_kept_for_the_message(mistyped):
    path, _ = mistyped
    values = {(p.code, p.key): p.value for p in validate_file(path).problems}
    assert values[("not-a-number", "total_purchases_nok")] == "ca. 27 milliarder"
    assert values[("not-whole-number", "procurement_count")] == "12.5"
    assert values[("not-a-number", "requirements")] == "mange"
    assert values[("not-yesno", "deviations_found")] == "kanskje"
    assert values[("date-not-number", "employees")] == "05.03.2024"  # as Norwegians write a date


def test_a_date_in_a_number_field_says_it_is_a_date(mistyped):
    path, _ = mistyped
    problem = next(p for p in validate_file(path).problems if p.code == "date-not-number")
    assert problem.message.startswith(f"Arket «{problem.sheet}», celle {problem.cell}")
    assert "dato" in problem.message


@pytest.mark.libreoffice
def test_a_formula_is_never_trusted_even_with_a_stored_result(mistyped, tmp_path):
    """LibreOffice calculates the formulas and stores their results (2006 is a valid year, 2 a valid
    count): they are still reported as formulas, and the rest reads the same as before."""
    path, expected = mistyped
    copy_ = libreoffice_roundtrip(path, tmp_path)
    # LibreOffice saves an error value as a formula that gives it (<f>#N/A</f>): a formula all the same
    expected = sorted(("formula", *rest) if code == "error-value" else (code, *rest) for code, *rest in expected)
    assert sorted((p.code, p.sheet, p.cell, p.key, p.row, p.column) for p in validate_file(copy_).problems) == expected


def test_a_row_holding_only_a_formula_is_a_row(tmp_path):
    path = make_workbook(tmp_path)
    edit(path, {table_cell(path, "awareness_measures", 5, "purpose"): "=A1"})
    problems = validate_file(path).problems
    assert [(p.code, p.row, p.column) for p in problems] == [
        ("required", 5, "type"), ("formula", 5, "purpose"), ("required", 5, "target_group")]


# --- tables --------------------------------------------------------------------------------------
def _row_cells(path, table_cell, key, row, columns):
    return [table_cell(path, key, row, column) for column in columns]


def test_a_table_row_with_every_cell_empty_is_no_row(tmp_path):
    path = make_workbook(tmp_path)
    columns = ("procurement", "agreement_type", "supplier_count", *YESNO_COLUMNS)
    cleared = {cell: None for cell in _row_cells(path, table_cell, "requirements", 2, columns)}
    blanks = {cell: "   " for cell in _row_cells(path, table_cell, "requirements", 4, columns)}
    edit(path, cleared | blanks)
    sub = read_workbook(path)
    rows = filled_document()["data"]["requirements"]
    assert sub.data["requirements"] == [rows[0], rows[2], rows[4]]
    assert sub.problems == []


def test_a_row_with_some_cells_filled_is_a_row_and_its_required_cells_must_be_filled(
        tmp_path):
    path = make_workbook(tmp_path)
    edit(path, {
        table_cell(path, "goals_next_year", 9, "deadline"): "Q4",  # a deadline without its goal
        table_cell(path, "deviations", 4, "status"): "Lukket",  # below an empty row 3
    })
    result = validate_file(path)
    assert [(p.code, p.sheet, p.cell, p.key, p.row, p.column) for p in result.problems] == [
        ("required", *table_cell(path, "goals_next_year", 9, "goal"), "goals_next_year", 9, "goal"),
        ("required", *table_cell(path, "deviations", 4, "type"), "deviations", 4, "type"),
        ("required", *table_cell(path, "deviations", 4, "location"), "deviations", 4, "location"),
        ("required", *table_cell(path, "deviations", 4, "action"), "deviations", 4, "action"),
    ]


# --- what is typed where it is not read -----------------------------------------------------------
def test_values_typed_where_they_are_not_read_are_warnings(tmp_path):
    path = make_workbook(tmp_path)
    names, tables = structure(path)
    requirements = tables["requirements"].area
    below = f"A{requirements.last_row + 2}"  # the row right under the table
    beside_table = f"G{requirements.first_row + 2}"  # right of the table's first row
    org_sheet, org_cell = cell_of(path, "org_name")
    beside_input = f"D{org_cell[1:]}"
    edit(path, {
        (requirements.sheet, below): "Glemt anskaffelse",
        (requirements.sheet, beside_table): "kommentar",
        (org_sheet, beside_input): "AS",
        ("3.2 Kommunikasjon", "B60"): "langt nede",
    })
    result = validate_file(path)
    assert detailed(result.problems) == [
        ("stray-value", "warning", org_sheet, beside_input, None, None, None, "AS"),
        ("stray-value", "warning", requirements.sheet, beside_table, None, None, None, "kommentar"),
        ("below-table", "warning", requirements.sheet, below, "requirements", None, None, "Glemt anskaffelse"),
        ("stray-value", "warning", "3.2 Kommunikasjon", "B60", None, None, None, "langt nede"),
    ]
    assert result.valid  # warnings do not make a workbook invalid


def test_a_row_typed_under_the_last_table_of_a_sheet_is_below_the_table(tmp_path):
    path = make_workbook(tmp_path)
    _, tables = structure(path)
    area = tables["awareness_measures"].area
    under = {(area.sheet, f"{column}{area.last_row + 2}"): value
             for column, value in zip("ABC", ("Kurs", "Kompetanse", "Innkjøpere"))}
    edit(path, under)
    problems = validate_file(path).problems
    assert [(p.code, p.cell, p.key) for p in problems] == [
        ("below-table", cell, "awareness_measures") for (_, cell) in under]


# --- metadata -------------------------------------------------------------------------------------
def test_metadata_is_read_through_the_names_on_the_hidden_sheet(tmp_path):
    document = filled_document()
    document |= {"agency": "Bymiljøetaten"}
    path = make_workbook(tmp_path, document)
    edit(path, {cell_of(path, "reporting_year"): 2021})
    sub = read_workbook(path)
    assert sub.metadata == {"form_id": "ehn-offentlig", "form_version": "2020.1", "reporting_year": 2021,
                            "agency": "Bymiljøetaten", "role": "agency", "language": "nb"}
    assert sub.saved_at is not None


def test_metadata_falls_back_to_the_file_properties(tmp_path):
    """An emptied metadata cell: the workbook's own custom properties still say which form it is."""
    path = make_workbook(tmp_path)
    edit(path, {cell_of(path, "form_version"): None, cell_of(path, "reporting_year"): None})
    sub = read_workbook(path)
    assert (sub.metadata["form_version"], sub.metadata["reporting_year"]) == ("2020.1", 2020)
    assert sub.problems == []


def test_an_error_value_in_an_answer_cell_is_said_not_read_as_empty(tmp_path):
    """#N/A, #REF! and the like (pasted from another workbook, or typed) are not an empty answer."""
    path = make_workbook(tmp_path)
    org_sheet, org_cell = cell_of(path, "org_name")
    edit(path, {
        cell_of(path, "foreword_author"): "#N/A",  # an optional question: would vanish silently
        cell_of(path, "employees"): "#DIV/0!",
        table_cell(path, "awareness_measures", 4, "purpose"): "#REF!",  # the only thing in its row
        (org_sheet, "D" + org_cell[1:]): "#VALUE!",  # beside an input cell
    })
    result = validate_file(path)
    assert detailed(result.problems) == [
        ("stray-value", "warning", org_sheet, "D" + org_cell[1:], None, None, None, "#VALUE!"),
        ("error-value", "error", *cell_of(path, "employees"), "employees", None, None, "#DIV/0!"),
        ("error-value", "error", *cell_of(path, "foreword_author"), "foreword_author", None, None, "#N/A"),
        ("required", "error", *table_cell(path, "awareness_measures", 4, "type"), "awareness_measures", 4, "type",
         None),
        ("error-value", "error", *table_cell(path, "awareness_measures", 4, "purpose"), "awareness_measures", 4,
         "purpose", "#REF!"),
        ("required", "error", *table_cell(path, "awareness_measures", 4, "target_group"), "awareness_measures", 4,
         "target_group", None),
    ]


def test_a_reporting_year_that_is_not_a_number_is_said_so_at_its_cell(tmp_path):
    path = make_workbook(tmp_path)
    edit(path, {cell_of(path, "reporting_year"): "tjuetjue"})
    result = validate_file(path)
    # not also "required", and no rule across fields compares the membership year with it
    assert detailed(result.problems) == [("not-a-number", "error", *cell_of(path, "reporting_year"), "reporting_year",
                                          None, None, "tjuetjue")]
    assert result.metadata["reporting_year"] is None


@contextlib.contextmanager
def reworded(form):
    """The form with every table column's label reworded (as in another language or a later
    wording), put back afterwards; the labels a workbook was written with stay in it."""
    columns = [column for field in form.questions() for column in field.columns]
    labels = [column.label for column in columns]
    for column in columns:
        object.__setattr__(column, "label", "Nytt ord for " + column.label)
    try:
        yield form
    finally:
        for column, label in zip(columns, labels):
            object.__setattr__(column, "label", label)
        _form_texts.cache_clear()  # it keeps each form's labels


def test_the_metadata_sheet_records_each_tables_column_keys_in_order(tmp_path, form):
    path = make_workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    for field in (f for f in form.questions() if f.is_table):
        ((sheet, ref),) = book.defined_names[f"cols_{field.key}"].destinations
        assert sheet == "_skjema"
        cells = [row for row in book[sheet][ref.replace("$", "")]] if ":" in ref else [[book[sheet][ref.replace("$", "")]]]
        keys = [row[0].value for row in cells]
        headers = [book[sheet].cell(row[0].row, row[0].column + 1).value for row in cells]
        assert keys == [c.key for c in field.columns if not c.consolidated_only]
        assert headers == [c.label for c in field.columns if not c.consolidated_only]


def test_tables_are_read_by_their_recorded_keys_whatever_the_forms_labels_say(tmp_path, form):
    path = make_workbook(tmp_path)  # written with today's labels; read while the form says others
    with reworded(load_form("ehn-offentlig", "2020.1")):  # the form as the reader loads it
        sub = read_workbook(path)
    assert sub.problems == []
    assert canonical(sub.document(), form) == canonical(filled_document(), form)


def test_cells_the_layout_gives_a_question_are_never_stray_whichever_reader_reads_it(tmp_path, monkeypatch):
    """A field kind whose reader marks nothing (as a new kind's might) causes no stray-value
    warnings: the label, answer and help of each name and every table with its label rows are
    the form's by the layout."""
    import workbook.read as read_module

    path = make_workbook(tmp_path)
    quiet = lambda self, field_: self.sub.data.setdefault(field_.key, None)  # noqa: E731
    monkeypatch.setattr(read_module._Reader, "read_single", quiet)
    monkeypatch.setattr(read_module._Reader, "read_table", quiet)
    sub = read_workbook(path)
    assert [p for p in sub.problems if p.code.startswith("stray")] == []
    # and a value typed beside nothing is still said
    sheet, cell = cell_of(path, "org_name")
    edit(path, {(sheet, "E30"): "notat"})
    assert [(p.code, p.cell) for p in read_workbook(path).problems] == [("stray-value", "E30")]
