"""Next year's workbooks (workbook/carry.py): last year's facts, contacts and goals carried into
a workbook of the new year that reads back with them, and nothing else; values the rules now
refuse left for the agency; one workbook per agency under a name every system takes."""

from __future__ import annotations

import copy
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from documents import ROOT, filled_document
from workbook.carry import Entry, carry, carry_forward, file_names, file_stem, generate_many
from workbook.form import ROLE_AGENCY, ROLE_MEMBER, Form, available_forms, load_form
from workbook.validate import FileResult, check_file, validate_file

SAMPLES = [ROOT / "samples" / "oslo-kommune-2020.xlsx", *sorted((ROOT / "samples" / "fjordvik").glob("*.xlsx"))]
YEAR = 2021


def _exported(path: Path) -> dict[str, Any]:
    """A workbook's answers as ``workbook export`` gives them."""
    document = check_file(path).json_document()
    assert document is not None, path
    return document


def _read_back(path: Path) -> FileResult:
    result = validate_file(path, keep_document=True)
    assert result.readable and result.document is not None, result.problems
    return result


def _carried_keys(form: Form) -> set[str]:
    return {f.key for f in form.questions() if f.carry}


def _goal_table(form: Form) -> str:
    return next(f.key for f in form.questions() if f.carry_from)


def test_the_rules_carry_the_facts_and_contacts_not_the_years_figures(form: Form) -> None:
    carried = _carried_keys(form)
    assert {"org_name", "contact_name", "contact_title", "contact_email", "contact_phone",
            "membership_year"} <= carried
    assert not carried & {"employees", "total_purchases_nok", "procurement_count", "goods_covered",
                          "requirements", "foreword_text", "risk_assessment"}
    goals = form.field("goals_reporting_year")
    assert goals.carry_from == "goals_next_year" and goals.carry_columns == (("goal", "goal"),)


@pytest.mark.parametrize("pair", available_forms())
def test_every_carry_from_names_a_table_and_its_columns(pair: tuple[str, str]) -> None:
    form = load_form(*pair)
    for field_ in form.questions():
        if field_.carry_from:
            source = form.field(field_.carry_from)
            assert field_.is_table and source.is_table, field_.key
            for column, from_column in field_.carry_columns:
                field_.column(column), source.column(from_column)  # KeyError: a column the rules do not have
        assert not (field_.carry and field_.carry_from), field_.key


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_next_years_workbook_reads_back_with_what_was_carried_and_nothing_else(
        sample: Path, tmp_path: Path, form: Form) -> None:
    last = _exported(sample)
    prefill = carry_forward(last, form, YEAR)
    written = generate_many([Entry(last["agency"], last["role"], last)], YEAR, tmp_path, form=form)
    result = _read_back(written[0].path)
    data = result.document["data"]
    assert result.metadata["reporting_year"] == YEAR
    assert result.metadata["agency"] == last["agency"] and result.metadata["role"] == last["role"]

    # the facts and contacts as they were (where the rules still take them)
    left_out = {place[0] for place, _ in written[0].carried.left_out}
    for key in _carried_keys(form) - left_out:
        assert data[key] == last["data"][key], key
    assert any(data[key] is not None for key in _carried_keys(form))
    # last year's goals for the coming year are this year's goals, their status empty
    goals = [row["goal"] for row in last["data"]["goals_next_year"]]
    assert goals and [row["goal"] for row in data[_goal_table(form)]] == goals
    assert all(row["status"] is None for row in data[_goal_table(form)])
    assert prefill["data"][_goal_table(form)] == [{"goal": goal} for goal in goals]
    # nothing else
    for field_ in form.questions():
        if not field_.carry and not field_.carry_from:
            assert data[field_.key] in (None, []), field_.key

    # invalid until the agency gives each goal its status: one `required` per row, on the status cell
    status = [p for p in result.errors if p.key == _goal_table(form) and p.column == "status"]
    assert [p.code for p in status] == ["required"] * len(goals)
    assert [p.row for p in status] == list(range(1, len(goals) + 1))
    # a carried answer passes; one left out (the rules refuse it now) is the agency's to give
    assert {p.key: p.code for p in result.problems if p.key in _carried_keys(form)} == \
        {key: "required" for key in left_out if form.field(key).required}


def test_a_value_the_rules_now_refuse_is_left_for_the_agency(tmp_path: Path, form: Form) -> None:
    last = _exported(ROOT / "samples" / "fjordvik" / "agency-teknisk-med-feil.xlsx")
    assert last["data"]["contact_email"] == "post(at)teknisk.fjordvik.no"  # no e-mail address
    assert last["data"]["membership_year"] == 2024  # after 2021, the new year
    done = carry(last, form, YEAR)
    assert dict(done.left_out) == {("contact_email",): "post(at)teknisk.fjordvik.no", ("membership_year",): 2024}
    assert "contact_email" not in done.document["data"] and "membership_year" not in done.document["data"]
    result = _read_back(generate_many([Entry(last["agency"], document=last)], YEAR, tmp_path, form=form)[0].path)
    assert result.document["data"]["contact_email"] is None and result.document["data"]["membership_year"] is None
    assert {p.code for p in result.errors if p.key in ("contact_email", "membership_year")} == {"required"}
    assert result.document["data"]["contact_name"] == last["data"]["contact_name"]


def test_refused_values_of_every_kind_are_listed_not_carried(form: Form) -> None:
    last = filled_document()
    last["data"].update(org_name="x" * 201, contact_phone="ring meg", membership_year=1980,
                        contact_title="\ud800 brutt", contact_name="  ")
    last["data"]["goals_next_year"] = [{"goal": 7, "deadline": "Q1"}, "ikke en rad",
                                       {"goal": "Beholdt", "deadline": None}, {"goal": None}]
    done = carry(last, form, YEAR)
    assert done.document["data"] == {"contact_email": last["data"]["contact_email"],
                                     "goals_reporting_year": [{"goal": "Beholdt"}]}
    assert [place for place, _ in done.left_out] == [
        ("org_name",), ("contact_title",), ("contact_phone",), ("membership_year",),
        ("goals_next_year", 0, "goal"), ("goals_next_year", 1, None)]


def test_the_metadata_is_the_new_years_and_the_document_is_not_changed(form: Form) -> None:
    last = filled_document()
    last.update(role=ROLE_MEMBER, language="nn")
    before = copy.deepcopy(last)
    prefill = carry_forward(last, form, YEAR)
    assert last == before
    assert {k: v for k, v in prefill.items() if k != "data"} == {
        "form_id": form.form_id, "form_version": form.form_version, "reporting_year": YEAR,
        "agency": last["agency"], "role": ROLE_MEMBER, "language": "nn"}
    json.dumps(prefill, allow_nan=False)  # the JSON format generate --prefill reads


def test_generate_many_writes_one_workbook_per_agency(tmp_path: Path, form: Form) -> None:
    oslo = _exported(ROOT / "samples" / "oslo-kommune-2020.xlsx")
    entries = [Entry("Oslo kommune", ROLE_MEMBER, oslo, language="nn"),
               Entry("Bymiljøetaten"), Entry("BYMILJØETATEN", ROLE_AGENCY), Entry("CON")]
    written = generate_many(entries, YEAR, tmp_path, form=form)
    assert [w.path.name for w in written] == ["oslo-kommune.xlsx", "bymiljoetaten.xlsx", "bymiljoetaten-2.xlsx",
                                              "con-virksomhet.xlsx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(w.path.name for w in written)
    assert [w.entry for w in written] == entries
    member = _read_back(written[0].path)
    assert member.language == "nn" and member.metadata["role"] == ROLE_MEMBER
    assert member.document["data"]["contact_email"] == oslo["data"]["contact_email"]
    for blank in written[1:]:  # no earlier submission: a blank form with the agency's name
        assert blank.carried is None
        result = _read_back(blank.path)
        assert result.metadata["agency"] == blank.entry.agency and result.metadata["reporting_year"] == YEAR
        assert result.language == "nb" and result.metadata["role"] == ROLE_AGENCY
        assert all(value in (None, []) for value in result.document["data"].values())
    # a language asked for is every workbook's
    again = generate_many(entries[:2], YEAR, tmp_path / "nb", form=form, language="nb")
    assert [_read_back(w.path).language for w in again] == ["nb", "nb"]


def test_file_names_fold_to_ascii_and_stay_unique_and_safe_on_windows() -> None:
    assert file_stem("Bymiljøetaten") == "bymiljoetaten"
    assert file_stem("Fjordvik kommune, Teknisk etat") == "fjordvik-kommune-teknisk-etat"
    assert file_stem("Æra for Åsane") == "aera-for-asane"
    assert file_stem(" Sørum kommune. ") == "sorum-kommune"
    assert file_stem("aux") == "aux-virksomhet" and file_stem("Lpt1") == "lpt1-virksomhet"
    assert file_stem("«»") == "virksomhet" and file_stem("日本") == "virksomhet"
    assert len(file_stem("Etat " * 100)) <= 80 and not file_stem("Etat " * 100).endswith("-")
    names = file_names(["Oslo", "oslo", "OSLO ", "Oslo-2", "?"])
    assert names == ["oslo.xlsx", "oslo-2.xlsx", "oslo-3.xlsx", "oslo-2-2.xlsx", "virksomhet.xlsx"]
    assert len({n.casefold() for n in names}) == len(names)
    for name in names:
        assert name.isascii() and not set(name) & set('<>:"/\\|?* ') and name[-1] not in ". "


def test_a_carried_text_that_looks_like_a_formula_stays_text(tmp_path: Path, form: Form) -> None:
    last = filled_document()
    last["data"]["contact_name"] = '=HYPERLINK("http://x.invalid","Klikk")'
    last["data"]["goals_next_year"] = [{"goal": "+47 mål", "deadline": None}]
    path = generate_many([Entry(last["agency"], document=last)], YEAR, tmp_path, form=form)[0].path
    data = _read_back(path).document["data"]
    assert data["contact_name"] == last["data"]["contact_name"]
    assert data["goals_reporting_year"] == [{"goal": "+47 mål", "status": None}]
    with zipfile.ZipFile(path) as package:
        assert not any(b"<f>" in package.read(name) or b"<f " in package.read(name)
                       for name in package.namelist() if name.startswith("xl/worksheets/"))
