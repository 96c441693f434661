"""`workbook consolidate`: the member's agencies combined as a person would do it by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from workbook.cli import app
from workbook.consolidate import FIGURES_TABLE, TEXTS_TABLE, appendix_from_tables, consolidate, write_consolidated
from workbook.document import load_document
from workbook.form import load_form
from workbook.generate import generate
from workbook.read import read_workbook
from workbook.validate import validate_file

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "json" / "fjordvik"
FORM = load_form()
VALID_AGENCIES = ["agency-bymiljoetaten", "agency-helseetaten", "agency-kulturetaten", "agency-skoleetaten"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Fjordvik samples as workbooks, the older Helseetaten copy stamped older."""
    from datetime import datetime

    target = tmp_path_factory.mktemp("fjordvik")
    for source in SAMPLES.glob("*.json"):
        stamp = datetime(2021, 1, 20) if source.stem == "agency-helseetaten-2" else datetime(2021, 2, 15)
        generate(target / f"{source.stem}.xlsx", prefill=load_document(source), created=stamp)
    return target


@pytest.fixture(scope="module")
def outcome(folder: Path):  # noqa: ANN201
    return consolidate([folder], member=folder / "member.xlsx", jobs=1)


def _json(name: str) -> dict:
    return load_document(SAMPLES / f"{name}.json")


def test_sums_are_what_a_person_adds_up_by_hand(outcome) -> None:  # noqa: ANN001
    agencies = [_json(n)["data"] for n in VALID_AGENCIES]
    member = _json("member")["data"]
    for key in ("employees", "total_purchases_nok", "procurement_count", "supplier_count", "covered_value_nok",
                "followup_supplier_count"):
        values = [a[key] for a in agencies if a[key] is not None]
        expected = sum(values) if values else None
        assert outcome.sums[key] == expected == outcome.document["data"][key], key
        assert outcome.member_figures[key] == member[key], key
    assert outcome.sums["employees"] != outcome.member_figures["employees"]  # the difference is visible


def test_rows_are_joined_and_keep_their_agency(outcome) -> None:  # noqa: ANN001
    member = _json("member")
    expected = [(member["agency"], row) for row in member["data"]["requirements"]]
    for name in VALID_AGENCIES:
        document = _json(name)
        expected += [(document["agency"], row) for row in document["data"]["requirements"]]
    got = outcome.document["data"]["requirements"]
    # member first, then the agencies in alphabetical order, each row unchanged but for its agency
    assert sorted((r["agency"], r["procurement"]) for r in got) == sorted((a, r["procurement"]) for a, r in expected)
    assert got[0]["agency"] == member["agency"]
    for row in got:
        source = next(r for a, r in expected if a == row["agency"] and r["procurement"] == row["procurement"])
        assert {k: v for k, v in row.items() if k != "agency"} == source
    deviations = outcome.document["data"]["deviations"]
    assert len(deviations) == sum(len(_json(n)["data"]["deviations"]) for n in ["member", *VALID_AGENCIES])


def test_yes_no_answers_and_choices_combine(outcome) -> None:  # noqa: ANN001
    everyone = [_json(n)["data"] for n in ["member", *VALID_AGENCIES]]
    data = outcome.document["data"]
    assert data["deviations_found"] == any(d["deviations_found"] for d in everyone)
    assert data["awareness_done"] == any(d["awareness_done"] for d in everyone)
    assert data["requirements_in_all"] == all(d["requirements_in_all"] for d in everyone)
    chosen = {c for d in everyone for c in d["requirement_templates"]}
    assert set(data["requirement_templates"]) == chosen


def test_the_member_gives_the_narrative_and_every_agency_text_is_kept(outcome) -> None:  # noqa: ANN001
    member = _json("member")["data"]
    for key in ("org_name", "foreword_text", "anchoring_strategy", "experiences", "contact_email"):
        assert outcome.document["data"][key] == member[key]
    kept = {(agency, key): answer for agency, key, answer in outcome.texts}
    for name in VALID_AGENCIES:
        document = _json(name)
        for field in FORM.questions():
            if field.consolidate == "text" and document["data"][field.key]:
                assert kept[(document["agency"], field.key)] == document["data"][field.key]


def test_invalid_and_older_workbooks_are_left_out_and_listed(outcome, folder: Path) -> None:  # noqa: ANN001
    assert sorted(Path(r.file).stem for r in outcome.agencies) == VALID_AGENCIES
    assert [Path(r.file).stem for r in outcome.invalid] == ["agency-teknisk-med-feil"]
    assert outcome.invalid[0].errors
    ((older, newer),) = [(Path(s.result.file).stem, Path(s.newer.file).stem) for s in outcome.superseded]
    assert (older, newer) == ("agency-helseetaten-2", "agency-helseetaten")


def test_the_consolidated_workbook_validates_and_reads_back(outcome, tmp_path: Path) -> None:  # noqa: ANN001
    path = write_consolidated(outcome, tmp_path / "samlet.xlsx")
    result = validate_file(path)
    assert result.valid, [p.message for p in result.errors]
    sub = read_workbook(path)
    assert sub.data["requirements"] == outcome.document["data"]["requirements"]
    assert sub.data["employees"] == outcome.sums["employees"]
    assert len(sub.extra_tables[FIGURES_TABLE]) == len(outcome.agencies)
    assert len(sub.extra_tables[TEXTS_TABLE]) == len(outcome.texts)
    # the appendix read back from the workbook is the one the consolidation made
    assert appendix_from_tables(FORM, sub.extra_tables) == outcome.appendix()


def test_cli_consolidate_lists_what_was_left_out(folder: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["consolidate", str(folder), "--member", str(folder / "member.xlsx"),
                                      "-o", str(tmp_path / "samlet.xlsx"), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "agency-teknisk-med-feil" in result.stdout and "agency-helseetaten-2" in result.stdout
    assert (tmp_path / "samlet.xlsx").exists()


def test_an_invalid_member_workbook_stops_with_one_line(folder: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["consolidate", str(folder), "--member",
                                      str(folder / "agency-teknisk-med-feil.xlsx"), "-o", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2
    assert "Feil:" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.xlsx").exists()
