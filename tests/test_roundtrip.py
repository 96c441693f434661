"""Round trip: generate → fill → validate → export gives back what was filled, for the Oslo sample
and for answers full of markup characters, line breaks, emoji, non-Latin letters and texts that
look like numbers or formulas; and a copy saved by LibreOffice validates and exports the same.
"""

from __future__ import annotations

import copy
import json
import random

import pytest
from typer.testing import CliRunner

from documents import filled_document, make_workbook
from editing import cell_of, edit, table_cell
from office import libreoffice_roundtrip
from workbook.cli import app
from workbook.container import open_container
from workbook.document import canonical
from workbook.generate import generate
from workbook.read import read_workbook
from workbook.validate import validate_file

runner = CliRunner()

FRAGMENTS = [
    "Smith & Sønn <AS>", 'sa "hei" og \'hadet\'', "a < b > c & d", "</t></si><x>", "<![CDATA[x]]>", "&amp; &lt;",
    "😀 👩‍👩‍👧 🇳🇴", "中文字符和标点。", "العربية من اليمين", "Кириллица Ёё", "Sámegiella: áčđŋšŧž ÁČĐŊŠŦŽ",
    "Ǧǧ Ǩǩ Ʒʒ", "007", "1e5", "=SUM(A1)", "+47", "-5", "TRUE", "#REF!", "'sitat", "_x0041_", "50 %", "1/2",
    "linje 1\nlinje 2", "- punkt én\n- punkt to", "tab\tinni",
]
#: Whole answers that must stay text exactly as they are.
NUMBER_LIKE = ["007", "1e5", "=SUM(A1)", "+47", "-5", "TRUE", "0", "1,5", "05.03.2024", "Ja"]


def _text(rng, limit, fragments=FRAGMENTS):
    parts = rng.sample(fragments, rng.randint(1, 4))
    value = rng.choice([" ", "\n", " / ", "\n\n"]).join(parts)
    return value[:limit].strip() or "x"


def hostile_document(form, seed, fragments=FRAGMENTS):
    """A complete, valid document whose every text is hostile, built from the rules."""
    rng = random.Random(seed)
    limits = {key: rules.get("maxlength", 32767) for key, rules in form.schema.items()}
    data = {}
    for field_ in form.questions():
        if field_.kind in ("text", "longtext"):
            data[field_.key] = _text(rng, min(limits[field_.key], 400), fragments)
        elif field_.kind == "int":
            data[field_.key] = rng.choice([0, 1, 7, 1234, 27000000000])
        elif field_.kind == "yesno":
            data[field_.key] = rng.choice([True, False])
        elif field_.kind == "choices":
            data[field_.key] = [o for o in field_.allowed if rng.random() < 0.5] or [field_.allowed[-1]]
        elif field_.is_table:
            rows = []
            for _ in range(rng.randint(1, 7)):
                row = {}
                for column in field_.columns:
                    if column.consolidated_only:
                        continue
                    if column.kind == "int":
                        row[column.key] = rng.randint(0, 40)
                    elif column.kind == "yesno":
                        row[column.key] = rng.choice([True, False])
                    elif column.kind == "choice":
                        row[column.key] = rng.choice(column.allowed)
                    else:
                        row[column.key] = _text(rng, 300, fragments)
                rows.append(row)
            data[field_.key] = rows
    # whole answers that look like numbers or formulas, in single fields and in table cells
    for key, value in zip(("org_name", "foreword_author", "highlight_quote", "contact_title", "foreword_author_title"),
                          NUMBER_LIKE):
        data[key] = value
    for row, value in zip(data["goals_next_year"] + data["requirements"], NUMBER_LIKE[5:] * 3):
        row["deadline" if "deadline" in row else "procurement"] = value
    # valid where the rules ask for a form, and consistent across fields
    data |= {"contact_email": "ærlig.åse@bydel-øst.oslo.kommune.no", "contact_phone": "(+47) 95 92 91 90",
             "membership_year": 2017, "total_purchases_nok": 27000000000, "covered_value_nok": 1234,
             "procurement_count": 7, "deviations_found": bool(data["deviations"]),
             "awareness_done": bool(data["awareness_measures"]),
             "requirements_in_all": len(data["requirements"]) >= 5}
    return {"form_id": form.form_id, "form_version": form.form_version, "reporting_year": 2020,
            "agency": "Bydel Øst <& «Sámi» 😀>", "data": data}


def export_document(path):
    result = validate_file(path, keep_document=True)
    assert result.problems == [], [(p.code, p.sheet, p.cell, p.value) for p in result.problems]
    return result.document


# --- the Oslo sample ---------------------------------------------------------------------------------
def test_the_oslo_sample_round_trips_through_the_export_command(tmp_path, form):
    path = make_workbook(tmp_path)
    target = tmp_path / "eksport.json"
    result = runner.invoke(app, ["export", str(path), "-o", str(target)])
    assert result.exit_code == 0, result.stderr
    exported = json.loads(target.read_text(encoding="utf-8"))
    assert exported == canonical(filled_document(), form)
    assert list(exported["data"]) == [f.key for f in form.questions()]  # the form's order


def test_an_exported_document_generates_the_same_workbook_again(tmp_path, form):
    """export → generate --prefill → export: the JSON is a fixed point."""
    first = canonical(export_document(make_workbook(tmp_path)), form)
    second = canonical(export_document(generate(tmp_path / "again.xlsx", prefill=first)), form)
    assert second == first


# --- hostile texts -----------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_hostile_texts_round_trip_exactly(seed, tmp_path, form):
    document = hostile_document(form, seed)
    path = generate(tmp_path / "hostile.xlsx", prefill=copy.deepcopy(document))
    assert canonical(export_document(path), form) == canonical(document, form)


def test_texts_that_look_like_numbers_or_formulas_stay_text(tmp_path, form):
    document = hostile_document(form, 1)
    sub = read_workbook(generate(tmp_path / "text.xlsx", prefill=document))
    assert [sub.data[k] for k in ("org_name", "foreword_author", "highlight_quote", "contact_title",
                                  "foreword_author_title")] == NUMBER_LIKE[:5]
    assert sub.data["goals_next_year"][0]["deadline"] == NUMBER_LIKE[5]
    assert not any(p.code == "formula" for p in sub.problems)


def _type_document(path, document, form, edit, cell_of, table_cell):
    """Fill a blank workbook cell by cell, as a person would (Ja/Nei as words, numbers as numbers)."""
    cells = {}

    def word(value):
        return "Ja" if value is True else "Nei" if value is False else value

    for field_ in form.questions():
        value = document["data"][field_.key]
        if field_.is_table:
            for number, row in enumerate(value, start=1):
                for key, cell_value in row.items():
                    cells[table_cell(path, field_.key, number, key)] = word(cell_value)
        elif field_.kind == "choices":
            for offset, option in enumerate(field_.allowed):
                cells[cell_of(path, field_.key, offset)] = "Ja" if option in value else None
        else:
            cells[cell_of(path, field_.key)] = word(value)
    edit(path, cells)
    # a text that starts with "=" or is an error's name is typed with Excel's apostrophe: a text cell
    import openpyxl
    from openpyxl.cell.cell import ERROR_CODES

    book = openpyxl.load_workbook(path)
    for (sheet, cell), value in cells.items():
        if isinstance(value, str) and (value.startswith("=") or value in ERROR_CODES):
            book[sheet][cell].value = value
            book[sheet][cell].data_type = "s"
            book[sheet][cell].quotePrefix = True
    book.save(path)


@pytest.mark.parametrize("source", ["oslo", "hostile"])
def test_a_blank_workbook_filled_by_typing_exports_what_was_typed(source, tmp_path, form):
    # openpyxl writes a typed "_x0041_" unescaped (Excel writes _x005F_x0041_), so that one is left out
    typeable = [f for f in FRAGMENTS if not f.startswith("_x")]
    document = filled_document() if source == "oslo" else hostile_document(form, 4, typeable)
    path = generate(tmp_path / "blank.xlsx", year=document["reporting_year"], agency=document["agency"],
                    role=document.get("role", "agency"))
    _type_document(path, document, form, edit, cell_of, table_cell)
    assert canonical(export_document(path), form) == canonical(document, form)


def test_line_breaks_are_one_kind_whoever_wrote_them(tmp_path, form):
    document = filled_document()
    document["data"]["foreword_text"] = "Første avsnitt.\r\n\r\nAndre avsnitt.\rTredje linje."
    sub = read_workbook(generate(tmp_path / "crlf.xlsx", prefill=document))
    assert sub.data["foreword_text"] == "Første avsnitt.\n\nAndre avsnitt.\nTredje linje."


# --- saved by LibreOffice ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def saved_by_libreoffice(tmp_path_factory, form):
    """The Oslo sample, a hostile document and one with Windows line breaks, each generated and then
    opened and saved by LibreOffice (one LibreOffice run for all three)."""
    folder = tmp_path_factory.mktemp("libreoffice")
    crlf = filled_document()
    crlf["data"]["foreword_text"] = crlf["data"]["foreword_text"].replace("\n", "\r\n")
    documents = {"oslo": filled_document(), "hostile": hostile_document(form, 5), "crlf": crlf}
    originals = {name: generate(folder / f"{name}.xlsx", prefill=copy.deepcopy(doc)) for name, doc in documents.items()}
    copies = libreoffice_roundtrip(list(originals.values()), folder)
    return {name: (documents[name], originals[name], saved) for name, saved in zip(originals, copies)}


@pytest.mark.libreoffice
@pytest.mark.parametrize("name", ["oslo", "hostile", "crlf"])
def test_a_copy_saved_by_libreoffice_validates_and_exports_the_same(name, saved_by_libreoffice, form):
    document, original, saved = saved_by_libreoffice[name]
    assert canonical(export_document(saved), form) == canonical(export_document(original), form)
    if name != "crlf":
        assert canonical(export_document(saved), form) == canonical(document, form)


@pytest.mark.libreoffice
def test_libreoffice_rewrites_the_file_but_keeps_names_and_tables(saved_by_libreoffice):
    _, original, saved = saved_by_libreoffice["oslo"]
    before, after = open_container(original), open_container(saved)
    try:
        assert after.names == before.names
        assert {k: (t.area, t.headers) for k, t in after.tables.items()} == \
               {k: (t.area, t.headers) for k, t in before.tables.items()}
        assert after.sheets == before.sheets
        # the year comes back as a floating-point property (<vt:r8>), read as the same text
        assert after.properties == before.properties
    finally:
        before.close()
        after.close()


@pytest.mark.libreoffice
def test_export_of_a_libreoffice_copy_through_the_command(saved_by_libreoffice, tmp_path, form):
    document, _, saved = saved_by_libreoffice["hostile"]
    target = tmp_path / "ut.json"
    result = runner.invoke(app, ["export", str(saved), "-o", str(target)])
    assert result.exit_code == 0, result.stderr
    assert json.loads(target.read_text(encoding="utf-8")) == canonical(document, form)
