"""The rules files: every one builds a validator, and the form they describe is complete."""

from __future__ import annotations

import re

import cerberus
import pytest

from workbook.form import KINDS, METADATA_KEYS, RULES_DIR, available_forms, load_form
from workbook.validate import FormValidator

FORMS = available_forms()
FORM_SPEC_KEYS = {
    "org_name", "employees", "total_purchases_nok", "highlight_quote", "foreword_author", "foreword_author_title",
    "foreword_text", "procurement_count", "goods_covered", "supplier_count", "covered_value_nok", "contact_name",
    "contact_title", "contact_email", "contact_phone", "membership_year", "goals_reporting_year", "goals_next_year",
    "anchoring_strategy", "anchoring_plan", "anchoring_reporting", "anchoring_responsible", "anchoring_others",
    "training_done", "training_needs", "risk_assessment", "requirements_in_all", "requirements",
    "requirement_templates", "requirement_templates_note", "followup_products", "followup_activities",
    "followup_supplier_count", "followup_supplier_note", "deviations_found", "deviations", "experiences",
    "awareness_done", "awareness_measures", "communication_internal", "communication_external",
}
TYPES = {"text": "string", "longtext": "string", "int": "integer", "yesno": "boolean", "choice": "string",
         "choices": "list", "table": "list"}


def test_rules_folder_holds_the_2020_form() -> None:
    assert ("ehn-offentlig", "2020.1") in FORMS
    assert all((RULES_DIR / f / v / "schema.yaml").is_file() for f, v in FORMS)


@pytest.mark.parametrize(("form_id", "version"), FORMS)
def test_every_rules_file_builds_a_validator(form_id: str, version: str) -> None:
    form = load_form(form_id, version)
    # Cerberus checks the schema itself when a validator is built: a typo in a rule fails here.
    cerberus.Validator(form.schema)
    FormValidator(form.schema)
    assert form.form_id == form_id and form.form_version == version


@pytest.mark.parametrize(("form_id", "version"), FORMS)
def test_fields_carry_what_workbook_and_report_need(form_id: str, version: str) -> None:
    form = load_form(form_id, version)
    sections = {s.key for s in form.sections}
    for key, rules in form.schema.items():
        meta = rules["meta"]
        assert meta["kind"] in KINDS, key
        assert rules["type"] == TYPES[meta["kind"]], key
        assert meta["label"].strip() and meta["help"].strip(), key
        # The help doubles as Excel's input message, which holds at most 255 characters.
        assert len(meta["help"]) <= 255, key
        assert key in METADATA_KEYS or meta["section"] in sections, key
        # Defined names equal the keys: they must be valid Excel names that are not cell references.
        assert re.fullmatch(r"[a-z_][a-z0-9_]*", key) and not re.fullmatch(r"[a-z]{1,3}\d+", key), key
        for column, column_rules in rules.get("schema", {}).get("schema", {}).items():
            assert column_rules["type"] == TYPES[column_rules["meta"]["kind"]], (key, column)
            assert len(column_rules["meta"]["help"]) <= 255, (key, column)
    for section in form.sections:
        assert len(section.sheet) <= 31 and not set(section.sheet) & set("[]:*?/\\"), section.sheet


@pytest.mark.parametrize(("form_id", "version"), FORMS)
def test_the_metadata_keys_come_from_the_rules_and_are_each_forms_metadata(form_id: str, version: str) -> None:
    import yaml

    assert list(METADATA_KEYS) == yaml.safe_load((RULES_DIR / "metadata.yaml").read_text(encoding="utf-8"))["keys"]
    form = load_form(form_id, version)
    assert {k for k, r in form.schema.items() if r["meta"]["section"] == "metadata"} == set(METADATA_KEYS)


def test_the_2020_form_has_every_key_of_the_form_spec_in_order() -> None:
    form = load_form("ehn-offentlig", "2020.1")
    assert {f.key for f in form.questions()} == FORM_SPEC_KEYS
    assert [m.key for m in form.metadata] == list(METADATA_KEYS)
    assert [s.sheet for s in form.sections][:2] == ["Om virksomheten", "Forord"]
    requirements = form.field("requirements")
    assert [c.key for c in requirements.columns if not c.consolidated_only] == [
        "procurement", "agreement_type", "supplier_count", "as_qualification", "at_award", "as_contract_condition"]
    assert requirements.column("agreement_type").allowed == ("Rammeavtale", "Enkeltkontrakt", "Annet")


def test_yes_like_words_stay_text_in_the_rules() -> None:
    # PyYAML 1.1 reads an unquoted NO or Ja-like word as a bool: every allowed value must be text.
    for form_id, version in FORMS:
        form = load_form(form_id, version)
        for field in form.fields.values():
            assert all(isinstance(v, str) for v in field.allowed), field.key
            for column in field.columns:
                assert all(isinstance(v, str) for v in column.allowed), (field.key, column.key)


def test_unknown_form_version_is_refused() -> None:
    from workbook.errors import UnknownFormError

    with pytest.raises(UnknownFormError):
        load_form("ehn-offentlig", "1999.9")
    for form_id, version in (("ehn-offentlig", "../2020.1"), ("../rules/ehn-offentlig", "2020.1"),
                             ("ehn-offentlig", "2020.1/../2020.1"), ("/etc", "x"), ("ehn-offentlig", "")):
        with pytest.raises(UnknownFormError):
            load_form(form_id, version)


def test_fields_and_columns_share_one_limits_read_from_the_schema() -> None:
    """A limit is declared once (``Limits``) and a field and a column carry it alike from the rules."""
    from dataclasses import fields as dataclass_fields

    from workbook.form import Column, Field, Limits

    names = {f.name for f in dataclass_fields(Limits)}
    assert {"minimum", "maximum", "maxlength", "pattern", "allowed"} <= names
    for kind in (Field, Column):
        assert issubclass(kind, Limits) and not names & set(kind.__annotations__), kind
    form = load_form()
    employees, requirements = form.field("employees"), form.field("requirements")
    assert employees.minimum == form.schema["employees"]["min"]
    count = requirements.column("supplier_count")
    assert count.minimum == form.schema["requirements"]["schema"]["schema"]["supplier_count"]["min"]
