"""Validating against the rules of the workbook's own form version: every rule of schema.yaml,
every rule across fields of form.yaml in both directions, errors and warnings apart, and
problems as data (every code of the catalogue can happen, and each has a title).
"""

from __future__ import annotations

import copy
import datetime
import json
import shutil
import string
from pathlib import Path

import openpyxl
import pytest
import yaml
from xlsxwriter.utility import xl_rowcol_to_cell

import hostile
import workbook.form as form_module
import workbook.validate as validate_module
from documents import filled_document, make_workbook
from editing import cell_of, edit, table_cell
from workbook.container import open_container
from workbook.generate import generate
from workbook.messages import catalogue, text
from workbook.validate import validate_file, validate_paths
from workbook.workers import CRASHED, TIMED_OUT

CHECKED_RULES = ("required", "min", "max", "maxlength", "minlength", "allowed", "regex")
BAD_FORMATS = {
    "contact_email": ["post(at)virksomhet.no", "navn@virksomhet", "navn @virksomhet.no", "navn@@virksomhet.no"],
    "contact_phone": ["ring meg", "95 92 91 90 (mobil)", "+-()", "22 33 44 55 ext. 7"],
}
GOOD_FORMATS = {
    "contact_email": ["navn@virksomhet.no", "fornavn.etternavn@bym.oslo.kommune.no", "a+b@c.no"],
    "contact_phone": ["(+47) 95 92 91 90", "+47 22-33-44-55", "95929190", "22 33 44 55"],
}
#: Rules of schema.yaml that a filled workbook cannot break through Cerberus, and what checks them.
NOT_THROUGH_CERBERUS = {
    ("form_id", None, "required"): "no form id: file-not-form (test_broken_files: not-our-form)",
    ("form_id", None, "allowed"): "another form id: file-not-form (test_broken_files: other-form)",
    ("form_version", None, "required"): "no version: form-version-unknown",
    ("form_version", None, "allowed"): "another version: form-version-unknown (test_broken_files: unknown-version)",
    ("requirement_templates", None, "allowed"): "the reader only offers the listed options; anything else typed "
                                                "in an option cell is not-yesno (test_read)",
}


def found(problems):
    return sorted((p.code, p.sheet, p.cell, p.key, p.row, p.column) for p in problems)


def schema_yaml(form):
    return yaml.safe_load((form.path / "schema.yaml").read_text(encoding="utf-8"))


def every_rule(form):
    """(key, column or None, rule) for every rule written in schema.yaml that a value can break
    (a rule of a kind no test here knows makes the coverage test fail, as it should)."""
    passive = {"type", "meta", "schema", "nullable"}  # the type is the kind's (test_form); nullable only allows
    rules = []
    for key, field_rules in schema_yaml(form).items():
        rules += [(key, None, rule) for rule in field_rules if rule not in passive]
        for column, column_rules in field_rules.get("schema", {}).get("schema", {}).items():
            rules += [(key, column, rule) for rule in column_rules if rule not in passive]
    return rules


# --- every rule of schema.yaml, broken through a workbook -------------------------------------------
class Breaking:
    """One workbook that breaks one kind of rule everywhere the schema has it."""

    def __init__(self, document):
        self.document = document
        self.cells = []  # (where, value): where is ("field", key, offset) or ("cell", key, row, column)
        self.expected = []  # (code, where, key, row, column); where as above, or ("table", key)
        self.covered = set()
        self.drop_properties = []

    def type_into(self, where, value):
        self.cells.append((where, value))

    def expect(self, code, where, key, row=None, column=None):
        self.expected.append((code, where, key, row, column))

    def build(self, folder, cell_of, table_cell, edit):
        path = generate(Path(folder) / "breaking.xlsx", prefill=self.document)
        locate = _locator(path, cell_of, table_cell)
        if self.cells:
            edit(path, {locate(where): value for where, value in self.cells})
        if self.drop_properties:
            book = openpyxl.load_workbook(path)
            for name in self.drop_properties:
                del book.custom_doc_props[name]
            book.save(path)
        expected = sorted((code, *locate(where), key, row, column) for code, where, key, row, column in self.expected)
        return path, expected


def _locator(path, cell_of, table_cell):
    container = open_container(path)
    tables = dict(container.tables)
    container.close()

    def locate(where):
        if where[0] == "field":
            return cell_of(path, where[1], where[2])
        if where[0] == "table":  # the table as a whole: its top-left cell
            area = tables[where[1]].area
            return area.sheet, xl_rowcol_to_cell(area.first_row, area.first_col)
        return table_cell(path, where[1], where[2], where[3])
    return locate


def _padded(document, form, rows):
    """Every table with at least ``rows`` rows (copies of its first), so each column can be broken
    in a row of its own and no row ends up wholly empty."""
    for field_ in form.questions():
        if field_.is_table:
            table = document["data"][field_.key]
            while len(table) < rows:
                table.append(copy.deepcopy(table[0]))
    return document


def breaking(rule, form, document):
    """The workbook breaking ``rule`` wherever schema.yaml has it, with the problems expected."""
    plan = Breaking(_padded(copy.deepcopy(document), form, 6))
    schema = schema_yaml(form)
    for key, rules in schema.items():
        field_ = form.field(key)
        metadata = field_.section == "metadata"
        columns = [(c, r) for c, r in rules.get("schema", {}).get("schema", {}).items() if rule in r]
        for row, (column, column_rules) in enumerate(columns, start=1):
            value = _breaking_value(rule, column_rules, column)
            plan.type_into(("cell", key, row, column), value)
            plan.expect(_code(rule, key), ("cell", key, row, column), key, row, column)
            plan.covered.add((key, column, rule))
        if rule not in rules or (key, None, rule) in NOT_THROUGH_CERBERUS:
            continue
        if rule == "required" and field_.kind in ("table", "choices"):
            continue  # the reader always gives a list: an empty one breaks minlength (below)
        plan.covered.add((key, None, rule))
        if rule == "minlength":
            plan.document["data"][key] = []
            where = ("table", key) if field_.is_table else ("field", key, 0)
            plan.expect("table-empty" if field_.is_table else "choices-empty", where, key)
            continue
        if metadata and rule == "required":
            plan.type_into(("field", key, 0), None)
            plan.drop_properties.append(key)  # the properties would still say which year it is
        else:
            plan.type_into(("field", key, 0), _breaking_value(rule, rules, key))
        plan.expect(_code(rule, key), ("field", key, 0), key)
    return plan


def _breaking_value(rule, rules, key):
    if rule == "required":
        return None
    if rule == "min":
        return rules["min"] - 1
    if rule == "max":
        return rules["max"] + 1
    if rule == "maxlength":
        if key == "contact_email":
            return "a" * (rules["maxlength"] - 4) + "@b.no"
        return ("1" if key == "contact_phone" else "x") * (rules["maxlength"] + 1)
    if rule == "allowed":
        return "Noe annet"
    if rule == "regex":
        return BAD_FORMATS[key][0]
    raise AssertionError(rule)


def _code(rule, key):
    return {"required": "required", "min": "below-minimum", "max": "above-maximum", "maxlength": "too-long",
            "allowed": "not-allowed", "regex": f"invalid-{key}"}[rule]


@pytest.mark.parametrize("rule", CHECKED_RULES)
def test_every_rule_of_the_schema_is_enforced_at_its_cell(rule, form, tmp_path):
    plan = breaking(rule, form, filled_document())
    path, expected = plan.build(tmp_path, cell_of, table_cell, edit)
    result = validate_file(path)
    extra = []
    if rule == "minlength":  # an empty requirements table also breaks a rule across fields
        extra = [("procurements-without-requirements", *cell_of(path, "procurement_count"), "procurement_count",
                  None, None)]
    assert found(result.problems) == sorted(expected + extra)
    assert all(p.severity == "error" for p in result.problems if p.code != "procurements-without-requirements")
    assert not result.valid
    if rule == "minlength":  # an empty list is shown as nothing read, not as "[]"
        assert {p.value for p in result.problems} == {None, "166"}


def test_every_rule_of_the_schema_is_broken_by_some_test(form):
    covered = set(NOT_THROUGH_CERBERUS)
    for rule in CHECKED_RULES:
        covered |= breaking(rule, form, filled_document()).covered
    lists = {(key, None, "required") for key, rules in schema_yaml(form).items() if rules["type"] == "list"}
    assert set(every_rule(form)) - lists <= covered  # required lists: through minlength (next test)


def test_required_lists_are_enforced_through_their_minimum_length(form):
    """A required table or choices question is never missing (the reader gives a list); an empty
    one breaks its minlength, so every required list must have one."""
    for key, rules in schema_yaml(form).items():
        if rules.get("required") and rules["type"] == "list":
            assert rules.get("minlength", 0) >= 1, key


@pytest.mark.parametrize("key", sorted(BAD_FORMATS))
@pytest.mark.parametrize("index", range(4))
def test_a_badly_formed_email_or_phone_number_is_an_error(key, index, form, tmp_path):
    document = filled_document()
    document["data"][key] = BAD_FORMATS[key][index]
    path = generate(tmp_path / "format.xlsx", prefill=document)
    assert found(validate_file(path).problems) == [(f"invalid-{key}", *cell_of(path, key), key, None, None)]


def test_well_formed_emails_and_phone_numbers_are_valid(tmp_path):
    paths = []
    for index in range(max(map(len, GOOD_FORMATS.values()))):
        document = filled_document()
        for key, values in GOOD_FORMATS.items():
            document["data"][key] = values[index % len(values)]
        paths.append(generate(tmp_path / f"good-{index}.xlsx", prefill=document))
    assert [r.problems for r in validate_paths(paths, jobs=1)] == [[]] * len(paths)


def test_the_allowed_agreement_types_are_valid_in_any_case(tmp_path):
    document = filled_document()
    for row, value in zip(document["data"]["requirements"], ("Rammeavtale", "Enkeltkontrakt", "Annet")):
        row["agreement_type"] = value
    path = generate(tmp_path / "types.xlsx", prefill=document)
    assert validate_file(path).problems == []


def test_the_limits_themselves_are_allowed(tmp_path):
    """Both directions of min, max and maxlength: the limit is valid, one past it is not (above)."""
    document = filled_document()
    document["reporting_year"] = 2100
    document["data"] |= {"employees": 0, "membership_year": 1990, "org_name": "x" * 200,
                         "contact_phone": "1" * 40, "procurement_count": 0}
    document["data"]["requirements"][0]["supplier_count"] = 0
    path = generate(tmp_path / "limits.xlsx", prefill=document)
    assert validate_file(path).problems == []


# --- the rules across fields, both directions ---------------------------------------------------------
def _with(document, **changes):
    document = copy.deepcopy(document)
    for key, value in changes.items():
        if key == "reporting_year":
            document[key] = value
        else:
            document["data"][key] = value
    return document


CROSS_CASES = {
    # name: (changes, expected (code, severity, key))
    "deviations Ja with rows": ({"deviations_found": True}, []),
    "deviations Ja without rows": ({"deviations_found": True, "deviations": []},
                                   [("deviations-answer-vs-rows", "error", "deviations_found")]),
    "deviations Nei with rows": ({"deviations_found": False},
                                 [("deviations-answer-vs-rows", "error", "deviations_found")]),
    "deviations Nei without rows": ({"deviations_found": False, "deviations": []}, []),
    "awareness Ja without rows": ({"awareness_done": True, "awareness_measures": []},
                                  [("awareness-answer-vs-rows", "error", "awareness_done")]),
    "awareness Nei with rows": ({"awareness_done": False},
                                [("awareness-answer-vs-rows", "error", "awareness_done")]),
    "awareness Nei without rows": ({"awareness_done": False, "awareness_measures": []}, []),
    "requirements in all with 5 rows": ({"requirements_in_all": True}, []),
    "requirements in all with 4 rows": ({"requirements_in_all": True, "requirements": "first 4"},
                                        [("requirements-in-all-min-rows", "error", "requirements_in_all")]),
    "requirements not in all with 1 row": ({"requirements_in_all": False, "requirements": "first 1"}, []),
    "membership after the reporting year": ({"membership_year": 2021},
                                            [("membership-after-reporting-year", "error", "membership_year")]),
    "membership in the reporting year": ({"membership_year": 2020}, []),
    "membership after an earlier reporting year": ({"reporting_year": 2016},
                                                   [("membership-after-reporting-year", "error", "membership_year")]),
    "covered value over the total": ({"covered_value_nok": 27000000001},
                                     [("covered-value-over-total", "warning", "covered_value_nok")]),
    "covered value equal to the total": ({"covered_value_nok": 27000000000}, []),
    "procurements without requirement rows": ({"procurement_count": 3, "requirements": []},
                                              [("procurements-without-requirements", "warning", "procurement_count"),
                                               ("table-empty", "error", "requirements")]),
    "no procurements and no requirement rows": ({"procurement_count": 0, "requirements": []},
                                                [("table-empty", "error", "requirements")]),
    "an unreadable answer is not compared": ({"deviations_found": "kanskje"},
                                             [("not-yesno", "error", "deviations_found")]),
}


@pytest.mark.parametrize("name", CROSS_CASES)
def test_the_rules_across_fields(name, tmp_path):
    changes, expected = CROSS_CASES[name]
    document = filled_document()
    for key, value in list(changes.items()):
        if isinstance(value, str) and value.startswith("first "):
            changes = changes | {key: document["data"][key][: int(value.split()[1])]}
    path = generate(tmp_path / "cross.xlsx", prefill=_with(document, **changes))
    result = validate_file(path)
    assert [(p.code, p.severity, p.key) for p in result.problems] == expected
    for problem in result.problems:
        if problem.key != "requirements":
            assert (problem.sheet, problem.cell) == cell_of(path, problem.key)
    assert result.valid == all(severity == "warning" for _, severity, _ in expected)


def test_a_warning_alone_leaves_the_file_valid(tmp_path):
    path = generate(tmp_path / "warning.xlsx", prefill=_with(filled_document(), covered_value_nok=30000000000))
    result = validate_file(path)
    assert [p.code for p in result.warnings] == ["covered-value-over-total"] and result.errors == []
    assert result.valid
    assert result.to_dict()["valid"] is True and result.to_dict()["warnings"] == 1


def test_the_cross_rule_messages_name_the_answer_and_the_rows(tmp_path):
    path = generate(tmp_path / "nei.xlsx", prefill=_with(filled_document(), deviations_found=False))
    problem = validate_file(path).problems[0]
    assert problem.value == "Nei"  # the answer as read
    assert "«Nei»" in problem.message and "2 rader" in problem.message


# --- the rules of the workbook's own version ------------------------------------------------------------
@pytest.fixture
def later_version(tmp_path, monkeypatch):
    """A rules folder with the 2020.1 form and a made-up version 2099.1 whose rules differ: at most
    1000 employees, no digits in the name, and a rule (forbidden) that has no code of its own."""
    rules = tmp_path / "rules" / "ehn-offentlig"
    source = form_module.RULES_DIR / "ehn-offentlig" / "2020.1"
    shutil.copytree(source, rules / "2020.1")
    shutil.copytree(source, rules / "2099.1")
    form_yaml = (rules / "2099.1" / "form.yaml").read_text(encoding="utf-8")
    (rules / "2099.1" / "form.yaml").write_text(form_yaml.replace('form_version: "2020.1"', 'form_version: "2099.1"'),
                                                 encoding="utf-8")
    schema = yaml.safe_load((rules / "2099.1" / "schema.yaml").read_text(encoding="utf-8"))
    schema["form_version"]["allowed"] = ["2099.1"]
    schema["employees"]["max"] = 1000
    schema["org_name"]["regex"] = "[^0-9]+"
    schema["foreword_author"]["forbidden"] = ["Anonym"]
    (rules / "2099.1" / "schema.yaml").write_text(yaml.safe_dump(schema, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(form_module, "RULES_DIR", tmp_path / "rules")
    form_module.load_form.cache_clear()
    yield form_module.load_form("ehn-offentlig", "2099.1")
    form_module.load_form.cache_clear()


def test_each_workbook_is_validated_against_the_rules_of_its_own_version(later_version, tmp_path):
    document = filled_document()
    document["data"] |= {"org_name": "Bydel 1", "foreword_author": "Anonym"}
    old = generate(tmp_path / "2020.xlsx", prefill=document, form=form_module.load_form("ehn-offentlig", "2020.1"))
    new = generate(tmp_path / "2099.xlsx", prefill=document | {"form_version": "2099.1"}, form=later_version)
    assert validate_file(old).problems == []
    result = validate_file(new)
    assert result.metadata["form_version"] == "2099.1"
    assert found(result.problems) == sorted([
        ("invalid-format", *cell_of(new, "org_name"), "org_name", None, None),
        ("above-maximum", *cell_of(new, "employees"), "employees", None, None),
        ("invalid", *cell_of(new, "foreword_author"), "foreword_author", None, None),
    ])


# --- problems are data ---------------------------------------------------------------------------
def test_a_problem_carries_code_severity_place_value_and_a_norwegian_message(tmp_path):
    document = filled_document()
    document["data"]["requirements"][1]["supplier_count"] = -2
    path = generate(tmp_path / "data.xlsx", prefill=document)
    (problem,) = validate_file(path).problems
    sheet, cell = table_cell(path, "requirements", 2, "supplier_count")
    table = form_module.load_form().field("requirements")
    assert problem.to_dict() == {
        "code": "below-minimum", "severity": "error", "file": str(path), "sheet": sheet, "cell": cell,
        "key": "requirements", "row": 2, "column": "supplier_count", "value": "-2",
        "message": problem.message, "params": {"label": f"{table.label}: {table.column('supplier_count').label}",
                                               "value": -2, "minimum": 0},
    }
    assert problem.message.startswith(f"Arket «{sheet}», celle {cell} (")
    assert "laveste tillatte verdi er 0" in problem.message
    json.dumps(problem.to_dict())


def catalogue_codes():
    return sorted(key.split(".", 1)[1] for key in catalogue() if key.startswith("problem.")
                  and key not in ("problem.where_cell", "problem.where_sheet", "problem.where_file"))


def test_every_code_has_a_short_title_and_only_known_placeholders():
    allowed = {"where", "value", "detail", "form_id", "form_version", "name", "column_label", "minimum", "maximum",
               "choices", "max_length", "min_length", "answer_text", "table_label", "rows", "min_rows", "limit",
               "limit_label", "seconds", "count", "refs", "sheet_value", "property_value"}
    titles = {key.split(".", 1)[1] for key in catalogue() if key.startswith("kind.")}
    assert titles == set(catalogue_codes())
    for code in catalogue_codes():
        template = text(f"problem.{code}")
        assert {n for _, n, _, _ in string.Formatter().parse(template) if n} <= allowed, code


@pytest.fixture(scope="module")
def everything_wrong(tmp_path_factory):
    """Two workbooks that between them give every reading and rule problem of the catalogue."""
    folder = tmp_path_factory.mktemp("everything")
    document = filled_document()
    document["reporting_year"] = 2101  # above the maximum, and below the membership year typed next
    document["data"] |= {
        "membership_year": 2102, "covered_value_nok": 30000000000, "supplier_count": -1,
        "contact_email": "post(at)virksomhet.no", "contact_phone": "ring meg", "contact_title": "x" * 301,
        "contact_name": None, "goals_next_year": [], "requirements": [], "requirements_in_all": True,
        "deviations_found": False, "awareness_done": False, "requirement_templates": [],
    }
    reading = make_workbook(folder, document, name="rules.xlsx")
    typing = make_workbook(folder, name="typing.xlsx")
    sheet, org = cell_of(typing, "org_name")
    _, below = table_cell(typing, "awareness_measures", 16, "type")
    edit(typing, {
        cell_of(typing, "org_name"): "=1+1",
        cell_of(typing, "employees"): "mange",
        cell_of(typing, "total_purchases_nok"): 1.5,
        cell_of(typing, "procurement_count"): datetime.datetime(2020, 1, 1),
        cell_of(typing, "awareness_done"): "kanskje",
        cell_of(typing, "supplier_count"): "12345678901234567890",  # more digits than Excel keeps
        cell_of(typing, "contact_name"): "   ",  # white space only: unanswered, and said so
        cell_of(typing, "foreword_author"): "#N/A",
        (sheet, "D" + org[1:]): "stray",
        ("3.1 Øke oppslutning", below): "under tabellen",
        table_cell(typing, "requirements", 1, "agreement_type"): "Avtale",
    })
    book = openpyxl.load_workbook(typing)
    del book.defined_names["highlight_quote"]
    del book["3.2 Kommunikasjon"]
    del book["Prioriterte mål"].tables["goals_reporting_year"]
    deviations = book["2.3 Oppfølging av krav"].tables["deviations"]
    deviations.tableColumns[1].name = "Sted"
    book.save(typing)
    return {p.code for path in (reading, typing) for p in validate_file(path).problems}


#: The hostile file (tests/hostile.py) that gives each code only such a file gives.
HOSTILE = {"sheet-too-large": "table-of-240000-cells", "stray-values-more": "60000-strays-in-a-block",
           "metadata-conflict": "conflicting-form-version", "name-duplicate": "duplicate-defined-name"}


def _good(folder, filled_document):
    return generate(folder / "good.xlsx", prefill=filled_document())


#: The broken file (conftest.broken_files) that gives each file-level code.
FILE_CASES = {"file-empty": "empty", "file-not-workbook": "pdf-named-xlsx", "file-old-xls": "old-format",
              "file-encrypted": "password", "file-corrupt": "truncated", "file-too-large": "zip-bomb",
              "file-xml-forbidden": "billion-laughs", "file-not-form": "not-our-form",
              "form-version-unknown": "unknown-version"}


@pytest.mark.parametrize("code", catalogue_codes())
def test_every_code_of_the_catalogue_can_happen(code, everything_wrong, broken_files, tmp_path, monkeypatch,
                                                request):
    if code in FILE_CASES:
        produced = {p.code for p in validate_file(broken_files[FILE_CASES[code]][0]).problems}
    elif code in HOSTILE:  # made and tested in tests/test_hostile.py
        build, _ = hostile.CASES[HOSTILE[code]]
        produced = {p.code for p in validate_file(build(_good(tmp_path, filled_document),
                                                        tmp_path / "hostile.xlsx")).problems}
    elif code in ("file-crashed", "file-timeout"):  # workers: tests/test_hostile.py
        produced = {p.code for p in validate_module._lost("x.xlsx", CRASHED if code == "file-crashed" else TIMED_OUT,
                                                          1).problems}
    elif code == "file-not-regular":
        produced = {p.code for p in validate_file(tmp_path).problems}
    elif code == "file-unreadable":
        produced = {p.code for p in validate_file(tmp_path / "finnes-ikke.xlsx").problems}
    elif code == "internal-error":
        monkeypatch.setattr(validate_module, "read_workbook", lambda *a, **k: 1 / 0)
        produced = {p.code for p in validate_module._validate_one((str(broken_files["empty"][0]), False)).problems}
    elif code in ("invalid-format", "invalid"):  # rules a later version uses; 2020.1 has none such
        document = filled_document() | {"form_version": "2099.1"}
        document["data"] |= {"org_name": "Bydel 1", "foreword_author": "Anonym"}
        later = request.getfixturevalue("later_version")
        produced = {p.code for p in validate_file(generate(tmp_path / "v.xlsx", prefill=document, form=later)).problems}
    else:
        produced = everything_wrong
    assert code in produced
    assert text(f"kind.{code}")
