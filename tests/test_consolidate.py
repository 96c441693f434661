"""`workbook consolidate`: the member's agencies combined as a person would do it by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from workbook.cli import app
from workbook.consolidate import (FIGURES_TABLE, TEXTS_TABLE, TOTALS_TABLE, appendix_from_tables, consolidate,
                                  coverage_from_tables, write_consolidated)
from workbook.document import load_document
from workbook.form import load_form
from workbook.generate import generate
from workbook.messages import text
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
        assert outcome.sums[key] == expected, key
        assert outcome.counts[key] == len(values), key
        assert outcome.member_figures[key] == member[key], key
        # the member's own figure where it gave one, else the agencies' sum
        assert outcome.document["data"][key] == (member[key] if member[key] is not None else expected), key
    assert outcome.sums["employees"] != outcome.member_figures["employees"]  # the difference is visible
    assert member["supplier_count"] is None and outcome.document["data"]["supplier_count"] == outcome.sums[
        "supplier_count"]


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
    assert sub.data["employees"] == _json("member")["data"]["employees"]
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


# --- whose workbook, which year (issue 8, point 3) -----------------------------------------------
def _run(*args: str) -> Any:
    return CliRunner().invoke(app, ["consolidate", *args, "--jobs", "1"])


def _employees(path: Path) -> int:
    return read_workbook(path).data["employees"]


@pytest.mark.parametrize("how", ["in the folder only", "with --member only", "both"])
def test_the_members_workbook_is_never_summed_as_an_agency(folder: Path, tmp_path: Path, how: str) -> None:
    agencies_only = tmp_path / "etater"
    agencies_only.mkdir()
    for path in folder.glob("agency-*.xlsx"):
        (agencies_only / path.name).write_bytes(path.read_bytes())
    member = folder / "member.xlsx"
    args = {"in the folder only": [str(folder)], "with --member only": [str(agencies_only), "--member", str(member)],
            "both": [str(folder), "--member", str(member)]}[how]
    run = _run(*args, "-o", str(tmp_path / "samlet.xlsx"))
    assert run.exit_code == 0, run.output
    assert read_workbook(member).metadata["role"] == "member"
    sub = read_workbook(tmp_path / "samlet.xlsx")
    assert sub.data["employees"] == _json("member")["data"]["employees"]  # the member's own, not a sum
    agencies = [row[text("consolidate.col_agency")] for row in sub.extra_tables[FIGURES_TABLE]]
    assert _json("member")["agency"] not in agencies and len(agencies) == len(VALID_AGENCIES)
    total = sum(_json(n)["data"]["employees"] for n in VALID_AGENCIES)
    (sums,) = [r for r in sub.extra_tables[TOTALS_TABLE] if r[text("consolidate.col_key")] == "sum"]
    assert sums[FORM.field("employees").label] == total  # the member's 10 740 is not in it
    assert sub.metadata["role"] == "member" and sub.data["org_name"] == _json("member")["data"]["org_name"]


def test_two_member_workbooks_are_refused(folder: Path, tmp_path: Path) -> None:
    batch = tmp_path / "batch"
    batch.mkdir()
    for path in folder.glob("*.xlsx"):
        (batch / path.name).write_bytes(path.read_bytes())
    generate(batch / "member-kopi.xlsx", prefill=_json("member"))
    run = _run(str(batch), "-o", str(tmp_path / "x.xlsx"))
    assert run.exit_code == 2 and "Traceback" not in run.output
    message = " ".join(run.stderr.split())
    assert "mer enn én arbeidsbok for medlemmet" in message
    assert "member.xlsx" in message and "member-kopi.xlsx" in message
    assert not (tmp_path / "x.xlsx").exists()


def test_an_older_workbook_without_a_role_reads_as_an_agencys(tmp_path: Path) -> None:
    import openpyxl

    path = generate(tmp_path / "gammel.xlsx", prefill=_json("member"))
    book = openpyxl.load_workbook(path)  # as made before the field existed: no name, cell or property
    cell = book.defined_names["role"].destinations
    for sheet, ref in cell:
        book[sheet][ref.replace("$", "")].value = None
    del book.defined_names["role"]
    del book.custom_doc_props["role"]
    book.save(path)
    result = validate_file(path)
    assert result.metadata["role"] == "agency" and result.valid, [p.message for p in result.errors]


def _other_year(folder: Path, target: Path) -> Path:
    document = _json("agency-kulturetaten")
    return generate(target / "kultur-2021.xlsx", prefill={**document, "reporting_year": 2021})


def test_several_years_are_refused_with_what_was_found(folder: Path, tmp_path: Path) -> None:
    batch = tmp_path / "batch"
    batch.mkdir()
    for path in folder.glob("*.xlsx"):
        (batch / path.name).write_bytes(path.read_bytes())
    _other_year(folder, batch)
    run = _run(str(batch), "-o", str(tmp_path / "x.xlsx"))
    assert run.exit_code == 2 and not (tmp_path / "x.xlsx").exists()
    message = " ".join(run.stderr.split())
    assert "flere rapporteringsår" in message and "--year" in message
    # the member, four agencies and Helseetaten's older copy; Teknisk etat's has errors
    assert "2020 (skjema ehn-offentlig 2020.1, gyldige arbeidsbøker: 6)" in message
    assert "2021 (skjema ehn-offentlig 2020.1, gyldige arbeidsbøker: 1)" in message
    # --year chooses; the other year's workbook is left out and said so
    run = _run(str(batch), "--year", "2020", "-o", str(tmp_path / "samlet.xlsx"))
    assert run.exit_code == 0, run.output
    assert "kultur-2021.xlsx" in run.stdout and "annet rapporteringsår (2021)" in run.stdout
    coverage = coverage_from_tables(FORM, read_workbook(tmp_path / "samlet.xlsx").extra_tables)
    assert {(Path(x["file"]).name, x["reason"]) for x in coverage["left_out"]} >= {
        ("kultur-2021.xlsx", "Gjelder et annet rapporteringsår (2021)")}
    run = _run(str(batch), "--year", "2021", "-o", str(tmp_path / "samlet-2021.xlsx"))
    assert run.exit_code == 0, run.output  # 2021: Kulturetaten alone, no member workbook for 2021
    assert read_workbook(tmp_path / "samlet-2021.xlsx").metadata["reporting_year"] == 2021


def test_the_member_of_another_year_than_chosen_is_refused(folder: Path, tmp_path: Path) -> None:
    run = _run(str(folder), "--member", str(folder / "member.xlsx"), "--year", "2019", "-o", str(tmp_path / "x.xlsx"))
    assert run.exit_code == 2 and "Ingen gyldige arbeidsbøker for år 2019" in " ".join(run.stderr.split())


def test_the_coverage_reads_back_as_the_consolidation_made_it(outcome, tmp_path: Path) -> None:  # noqa: ANN001
    sub = read_workbook(write_consolidated(outcome, tmp_path / "samlet.xlsx"))
    coverage = coverage_from_tables(FORM, sub.extra_tables)
    assert coverage == outcome.coverage()
    assert sorted(coverage["included"]) == sorted(_json(n)["agency"] for n in VALID_AGENCIES)
    reasons = {Path(x["file"]).stem: x["reason"] for x in coverage["left_out"]}
    assert reasons == {"agency-teknisk-med-feil": "Arbeidsboken har 10 feil",
                       "agency-helseetaten-2": "En nyere arbeidsbok fra samme virksomhet er brukt "
                                               "(agency-helseetaten.xlsx)"}
    assert coverage["figures"]["employees"]["source"] == "member"
    assert coverage["figures"]["supplier_count"] == {"member": None, "sum": outcome.sums["supplier_count"],
                                                     "count": 4, "source": "sum"}
    assert coverage_from_tables(FORM, {}) is None  # not a consolidated workbook


def test_the_report_says_what_it_covers_and_where_figures_come_from(outcome, tmp_path: Path) -> None:  # noqa: ANN001
    from docx import Document

    path = write_consolidated(outcome, tmp_path / "samlet.xlsx")
    run = CliRunner().invoke(app, ["report", str(path), "-o", str(tmp_path / "rapport.docx")])
    assert run.exit_code == 0, run.output
    doc = Document(str(tmp_path / "rapport.docx"))
    paragraphs = [p.text for p in doc.paragraphs]
    nbsp = "\u00a0"
    member = _json("member")["data"]
    # the member's own figure, as it is; the blank ones filled with the sum, and said so
    assert f"10{nbsp}740" in paragraphs
    assert f"{outcome.sums['supplier_count']} (summen av 4 virksomheter)" in paragraphs
    covered = f"{outcome.sums['covered_value_nok']:,}".replace(",", nbsp)
    assert f"{covered} (summen av 4 virksomheter)" in paragraphs
    assert member["employees"] != outcome.sums["employees"]
    assert not any(p.startswith(f"{outcome.sums['employees']:,}".replace(",", nbsp)) for p in paragraphs)
    start = paragraphs.index("Om sammenstillingen")
    section = paragraphs[start:paragraphs.index("Vedlegg: Svar fra virksomhetene")]
    assert doc.paragraphs[start].style.name == "Heading 1"
    for name in VALID_AGENCIES:
        assert _json(name)["agency"] in section
    assert ("Fjordvik kommune, Teknisk etat (agency-teknisk-med-feil.xlsx): arbeidsboken har 10 feil"
            in section)
    assert ("Fjordvik kommune, Helseetaten (agency-helseetaten-2.xlsx): en nyere arbeidsbok fra samme "
            "virksomhet er brukt (agency-helseetaten.xlsx)" in section)


def test_a_members_own_report_has_no_coverage_section(tmp_path: Path) -> None:
    from docx import Document

    path = generate(tmp_path / "eget.xlsx", prefill=_json("member"))
    run = CliRunner().invoke(app, ["report", str(path), "-o", str(tmp_path / "rapport.docx")])
    assert run.exit_code == 0, run.output
    paragraphs = [p.text for p in Document(str(tmp_path / "rapport.docx")).paragraphs]
    assert "Om sammenstillingen" not in paragraphs and not any("summen av" in p for p in paragraphs)


def test_generate_stamps_the_role_and_the_samples_carry_it(tmp_path: Path) -> None:
    import openpyxl

    run = CliRunner().invoke(app, ["generate", "-o", str(tmp_path / "eget.xlsx"), "--role", "medlem",
                                   "--agency", "Fjordvik kommune"])
    assert run.exit_code == 0, run.output
    book = openpyxl.load_workbook(tmp_path / "eget.xlsx")
    ((sheet, ref),) = book.defined_names["role"].destinations
    assert sheet == "_skjema" and book[sheet][ref.replace("$", "")].value == "member"
    assert book.custom_doc_props["role"].value == "member"
    run = CliRunner().invoke(app, ["generate", "-o", str(tmp_path / "etat.xlsx")])
    assert read_workbook(tmp_path / "etat.xlsx").metadata["role"] == "agency"  # the default
    run = CliRunner().invoke(app, ["generate", "-o", str(tmp_path / "x.xlsx"), "--role", "sjef"])
    assert run.exit_code == 2 and "«sjef» er ikke en rolle" in run.stderr and not (tmp_path / "x.xlsx").exists()
    samples = ROOT / "samples" / "fjordvik"
    roles = {p.stem: read_workbook(p).metadata["role"] for p in samples.glob("*.xlsx")}
    assert roles.pop("member") == "member" and set(roles.values()) == {"agency"}


def test_without_the_members_workbook_the_report_says_so(folder: Path, tmp_path: Path) -> None:
    agencies = tmp_path / "etater"
    agencies.mkdir()
    for name in VALID_AGENCIES:
        (agencies / f"{name}.xlsx").write_bytes((folder / f"{name}.xlsx").read_bytes())
    run = _run(str(agencies), "-o", str(tmp_path / "samlet.xlsx"))
    assert run.exit_code == 0, run.output
    assert "Ingen arbeidsbok for medlemmet selv" in " ".join(run.stderr.split())
    sub = read_workbook(tmp_path / "samlet.xlsx")
    assert sub.data["employees"] == sum(_json(n)["data"]["employees"] for n in VALID_AGENCIES)
    coverage = coverage_from_tables(FORM, sub.extra_tables)
    assert coverage["member"] is None and len(coverage["included"]) == 4 and coverage["left_out"] == []
    # the narrative is the member's, so the central unit writes it in before there is a report;
    # whatever it writes, the report says whose workbooks it rests on
    from workbook.report import build_context

    covers = build_context(sub.document(), form=FORM, coverage=coverage)["coverage"]["covers"]
    assert "medlemmets egen arbeidsbok var ikke med" in covers and "4 virksomhetene" in covers


def test_the_consolidated_tables_read_back_by_column_key_in_any_catalogue(outcome, tmp_path: Path,  # noqa: ANN001
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_consolidated(outcome, tmp_path / "samlet.xlsx")
    sub = read_workbook(path)
    (first,) = [r for r in sub.extra_records[FIGURES_TABLE] if r["agency"] == outcome.figures[0][0]]
    assert {k: first.get(k) for k in outcome.figures[0][1]} == outcome.figures[0][1]
    (sums,) = [r for r in sub.extra_records[TOTALS_TABLE] if r["key"] == "sum"]
    assert {k: sums[k] for k in outcome.sums if outcome.sums[k] is not None} == \
        {k: v for k, v in outcome.sums.items() if v is not None}
    expected_coverage = coverage_from_tables(FORM, sub.extra_tables)
    # read while the catalogue says other words (as in another language): the keys still find every column
    import workbook.consolidate as consolidate_module

    monkeypatch.setattr(consolidate_module, "text", lambda key, *_, **kw: f"[{key}]")
    assert appendix_from_tables(FORM, sub.extra_records) == outcome.appendix()
    assert coverage_from_tables(FORM, sub.extra_records) == expected_coverage
