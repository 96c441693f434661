"""A workbook in nynorsk (``generate --lang nn``): every word it shows is nynorsk, it records its
language, and it reads, validates and exports to exactly the same data as the same answers in
bokmål (the keys are the contract, never the labels)."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from documents import filled_document
from editing import cell_of, edit
from workbook import wording
from workbook.cli import app
from workbook.form import load_form
from workbook.generate import generate
from workbook.read import read_workbook
from workbook.validate import validate_file

FORM = load_form()


def _pair(folder: Path) -> dict[str, Path]:
    return {lang: generate(folder / f"oslo-{lang}.xlsx", prefill=filled_document(), language=lang)
            for lang in ("nb", "nn")}


def _export(path: Path) -> dict:
    result = CliRunner().invoke(app, ["export", str(path), "-o", "-"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_nynorsk_workbook_shows_nynorsk_and_records_its_language(tmp_path: Path) -> None:
    path = generate(tmp_path / "nn.xlsx", prefill=filled_document(), language="nn")
    book = openpyxl.load_workbook(path)
    expected = ["Rettleiing", *(wording.sheet_name(FORM, s.key, "nn") for s in FORM.sections), "_skjema"]
    assert book.sheetnames == expected
    about = book[wording.sheet_name(FORM, "about", "nn")]
    assert about["A1"].value == "Om verksemda"
    ((sheet, cell),) = [cell_of(path, "employees")]
    row = int(cell[1:])
    assert book[sheet][f"A{row}"].value == "Tal på tilsette *"
    assert book[sheet][f"C{row}"].value == wording.help_text(FORM, "employees", language="nn")
    prompts = {dv.prompt for dv in book[sheet].data_validations.dataValidation}
    assert wording.help_text(FORM, "employees", language="nn") in prompts
    properties = {p.name: p.value for p in book.custom_doc_props.props}
    assert properties["language"] == "nn"
    assert read_workbook(path).language == "nn"
    # the guide is the nynorsk catalogue's, and its links lead to the nynorsk sheets
    guide = [c.value for c in book["Rettleiing"]["A"] if c.value]
    assert any("Medlemsrapportering, offentleg sektor" in v for v in guide)
    assert wording.section_title(FORM, "scope", "nn") in guide


def test_a_choices_question_shows_nynorsk_options_and_stores_the_same_values(tmp_path: Path) -> None:
    field = next(f for f in FORM.questions() if f.kind == "choices"
                 and any(wording.choice_text(FORM, f.key, o, language="nn") != o for o in f.allowed))
    path = generate(tmp_path / "nn.xlsx", prefill=filled_document(), language="nn")
    sheet, cell = cell_of(path, field.key)
    book = openpyxl.load_workbook(path)
    first = int(cell[1:])
    shown = [book[sheet][f"A{first + i}"].value for i in range(len(field.allowed))]
    assert shown == [wording.choice_text(FORM, field.key, o, language="nn") for o in field.allowed]
    assert shown != list(field.allowed)
    assert read_workbook(path).data[field.key] == filled_document()["data"][field.key]


def test_nynorsk_and_bokmal_export_the_same_data(tmp_path: Path) -> None:
    paths = _pair(tmp_path)
    exported = {lang: _export(path) for lang, path in paths.items()}
    # each says its language, and
    # nothing else differs: the keys are the contract, never the labels
    assert exported["nn"].pop("language") == "nn" and exported["nb"].pop("language") == "nb"
    assert exported["nn"] == exported["nb"]
    assert exported["nb"]["data"] == filled_document()["data"]
    for path in paths.values():
        assert not any(p.is_error for p in validate_file(path).problems)


def test_nynorsk_and_bokmal_give_the_same_problems_at_the_same_cells(tmp_path: Path) -> None:
    paths = _pair(tmp_path)
    found = {}
    for lang, path in paths.items():
        sheet, cell = cell_of(path, "employees")
        other_sheet, other_cell = cell_of(path, "org_name")
        edit(path, {(sheet, cell): "mange", (other_sheet, other_cell): None,
                    (sheet, "F8"): "skrive her"})  # a stray value, beside the form
        result = validate_file(path)
        found[lang] = sorted((p.code, p.cell, p.key, p.row, p.column) for p in result.problems)
        assert {p.sheet for p in result.problems if p.sheet} <= set(openpyxl.load_workbook(path).sheetnames)
    assert found["nn"] == found["nb"]
    assert {code for code, *_ in found["nb"]} >= {"required", "stray-value"}


def test_a_workbook_without_a_language_reads_as_bokmal(tmp_path: Path) -> None:
    path = generate(tmp_path / "nb.xlsx", prefill=filled_document())
    book = openpyxl.load_workbook(path)
    del book.defined_names["language"]
    book.custom_doc_props.props = [p for p in book.custom_doc_props.props if p.name != "language"]
    book.save(path)
    submission = read_workbook(path)
    assert submission.language == "nb"
    assert submission.data == filled_document()["data"]


def test_generate_refuses_a_language_it_has_no_wording_in(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["generate", "-o", str(tmp_path / "x.xlsx"), "--lang", "se"])
    assert result.exit_code == 2
    assert "«se»" in result.output and not (tmp_path / "x.xlsx").exists()


def test_validate_answers_an_agency_in_the_language_of_its_workbook(tmp_path: Path) -> None:
    from workbook.messages import text
    from workbook.problems import render

    paths = _pair(tmp_path)
    for path in paths.values():
        sheet, cell = cell_of(path, "employees")
        edit(path, {(sheet, cell): "mange"})
    result = CliRunner().invoke(app, ["validate", str(paths["nn"]), str(paths["nb"]),
                                      "--annotate", str(tmp_path / "svar")])
    assert result.exit_code == 1
    problem = {lang: validate_file(path).problems[0] for lang, path in paths.items()}
    assert problem["nn"].params["label"] == "Tal på tilsette"
    nn_message, nb_message = render(problem["nn"], "nn"), render(problem["nb"])
    assert "er ikkje eit tal" in nn_message and nn_message != nb_message
    def words(shown: str) -> str:  # the console wraps lines and shows a no-break space as a space
        return " ".join(shown.split())

    output = words(result.output)
    assert words(f"{paths['nn']}: {nn_message}") in output and words(f"{paths['nb']}: {nb_message}") in output
    for lang, path in paths.items():
        copy = openpyxl.load_workbook(tmp_path / "svar" / f"{path.stem}{text('annotate.file_suffix')}.xlsx")
        feedback = copy.worksheets[0]
        assert feedback.title == text("annotate.sheet", lang)
        assert feedback["A1"].value == text("annotate.title", lang)
        assert render(problem[lang], lang, place=False) in [c.value for c in feedback["F"]]
        sheet, cell = cell_of(path, "employees")
        assert copy[sheet][cell].comment.text == f"{text('annotate.severity_error', lang)}: {render(problem[lang], lang)}"


def test_agencies_in_nynorsk_consolidate_to_the_same_data_as_in_bokmal(tmp_path: Path) -> None:
    from datetime import datetime

    from workbook.consolidate import consolidate
    from workbook.document import load_document

    samples = Path(__file__).resolve().parent.parent / "samples" / "json" / "fjordvik"
    outcomes = {}
    for lang in ("nb", "nn"):
        folder = tmp_path / lang
        for source in samples.glob("*.json"):
            stamp = datetime(2021, 1, 20) if source.stem == "agency-helseetaten-2" else datetime(2021, 2, 15)
            # the member's own workbook stays bokmål: a batch may mix the two languages
            language = "nb" if source.stem == "member" else lang
            generate(folder / f"{source.stem}.xlsx", prefill=load_document(source), created=stamp, language=language)
        outcomes[lang] = consolidate([folder], member=folder / "member.xlsx", jobs=1, output=tmp_path / f"{lang}.xlsx")
    nb, nn = outcomes["nb"], outcomes["nn"]
    assert nn.document == nb.document
    assert (nn.sums, nn.counts, nn.figures, nn.texts) == (nb.sums, nb.counts, nb.figures, nb.texts)
    assert [Path(r.file).name for r in nn.agencies] == [Path(r.file).name for r in nb.agencies]
    assert [Path(r.file).name for r in nn.invalid] == [Path(r.file).name for r in nb.invalid]
    assert len(nb.agencies) >= 2
    assert _export(tmp_path / "nn.xlsx") == _export(tmp_path / "nb.xlsx")


def test_export_and_report_name_the_problems_in_the_language_of_the_workbook(tmp_path: Path) -> None:
    from workbook.problems import render

    path = generate(tmp_path / "nn.xlsx", prefill=filled_document(), language="nn")
    sheet, cell = cell_of(path, "employees")
    edit(path, {(sheet, cell): "mange"})
    (problem,) = validate_file(path).problems
    message = " ".join(render(problem, "nn").split())
    for command in (["export", str(path), "-o", str(tmp_path / "nn.json")],
                    ["report", str(path), "-o", str(tmp_path / "nn.docx")]):
        result = CliRunner().invoke(app, command)
        assert message in " ".join(result.output.split()), command
