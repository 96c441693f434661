"""The Word report: template and context agree, every answer reaches the page, text comes out as
typed, and LibreOffice turns the report into a PDF.

Test documents are built from the form itself (every question filled with a value that names its
key), so a new question in the rules is tested without touching this file.
"""

from __future__ import annotations

import copy
import dataclasses
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph
from docxtpl import DocxTemplate
from lxml import etree

from workbook.errors import PdfError
from workbook.form import Field, Form, load_form
from workbook.pdf import convert, convert_to_pdf, find_soffice
from workbook.report import (
    DEFAULT_TEMPLATE,
    TemplateShapeError,
    build_context,
    fit_form_tables,
    format_int,
    format_value,
    jinja_env,
    render_report,
    split_blocks,
)
from workbook.report_template import build_template

FORM = load_form("ehn-offentlig", "2020.1")
NBSP = "\u00a0"
BULLET_STYLE = "List Bullet"
ROOT = Path(__file__).resolve().parent.parent


# --- Building documents from the form ------------------------------------------------------------

def grouped(number: int) -> str:
    """The report's number format, written out independently of the code under test."""
    return f"{number:,}".replace(",", NBSP) if number >= 10_000 else str(number)


def longtext(tag: str) -> str:
    return (f"Første avsnitt {tag}.\nAndre linje {tag}.\n\n"
            f"- Punkt en {tag}\n• Punkt to {tag}\n\nSiste avsnitt {tag}.")


def value_for(kind: str, tag: str, index: int, allowed: tuple[str, ...]) -> Any:
    if kind == "text":
        return f"Tekst {tag}"
    if kind == "longtext":
        return longtext(tag)
    if kind == "int":
        return 10_000 + 1_234_567 * index
    if kind == "yesno":
        return index % 2 == 0
    if kind == "choice":
        return allowed[index % len(allowed)]
    if kind == "choices":
        return list(allowed[:2])
    raise AssertionError(kind)


def rows_for(field: Field, *, agency: bool = False, count: int = 2) -> list[dict[str, Any]]:
    rows = []
    for r in range(count):
        row = {c.key: value_for(c.kind, f"{field.key}.{c.key}.r{r}", r + i, c.allowed)
               for i, c in enumerate(field.columns) if not c.consolidated_only}
        if agency:
            row["agency"] = f"Etat {r % 2 + 1}"
        rows.append(row)
    return rows


def full_document(form: Form = FORM, *, agency: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for index, field in enumerate(form.questions()):
        if field.is_table:
            data[field.key] = rows_for(field, agency=agency)
        else:
            data[field.key] = value_for(field.kind, field.key, index, field.allowed)
    return {"form_id": form.form_id, "form_version": form.form_version, "reporting_year": 2020,
            "agency": None, "data": data}


APPENDIX = [
    {"agency": "Bymiljøetaten",
     "figures": [{"key": "employees", "label": "Antall ansatte", "value": 1234},
                 {"key": "total_purchases_nok", "label": "Samlet innkjøp", "value": 98_765_432},
                 {"key": "supplier_count", "label": "Antall leverandører", "value": None}],
     "answers": [{"key": "risk_assessment", "label": "Risikokartlegging hos BYM",
                  "text": "BYM svarer.\n\n- Naturstein\n- Asfalt"}]},
    {"agency": "Helseetaten", "figures": [],
     "answers": [{"key": "training_done", "label": "Kurs hos HEL", "text": "HEL svarer."}]},
]


# --- Reading the rendered report back ------------------------------------------------------------

def table_paragraphs(table: Table) -> Iterator[Paragraph]:
    for row in table.rows:
        for cell in row.cells:
            yield from cell.paragraphs
            for inner in cell.tables:
                yield from table_paragraphs(inner)


def all_paragraphs(document: Any) -> list[Paragraph]:
    paragraphs = list(document.paragraphs)
    for table in document.tables:
        paragraphs.extend(table_paragraphs(table))
    return paragraphs


def table_rows(document: Any) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]


def render(tmp_path: Path, document: dict[str, Any], name: str = "report.docx", **kwargs: Any) -> Any:
    output = render_report(document, tmp_path / name, **kwargs)
    return docx.Document(str(output))


def expected_blocks(kind: str, value: Any) -> list[tuple[str, bool]]:
    """(paragraph text, is a bullet) for each paragraph a value should become."""
    if kind == "longtext":
        tag = value.split("avsnitt ", 1)[1].split(".\n", 1)[0]
        return [(f"Første avsnitt {tag}.\nAndre linje {tag}.", False), (f"Punkt en {tag}", True),
                (f"Punkt to {tag}", True), (f"Siste avsnitt {tag}.", False)]
    if kind == "int":
        return [(grouped(value), False)]
    if kind == "yesno":
        return [("Ja" if value else "Nei", False)]
    if kind == "choices":
        return [(", ".join(value), False)]
    return [(str(value), False)]


def expected_cell(kind: str, value: Any) -> str:
    return "\n".join(text for text, _ in expected_blocks(kind, value))


# --- (a) template and context agree ------------------------------------------------------------

def test_template_variables_are_exactly_the_context() -> None:
    template = DocxTemplate(str(DEFAULT_TEMPLATE))
    undeclared = template.get_undeclared_template_variables(jinja_env())
    context = build_context(full_document(), appendix=APPENDIX)
    assert undeclared <= set(context), f"the template uses what the context lacks: {undeclared - set(context)}"
    assert set(context) <= undeclared, f"the context gives what the template ignores: {set(context) - undeclared}"


def test_build_script_makes_a_template_that_renders(tmp_path: Path) -> None:
    built = build_template(tmp_path / "report.docx")
    committed = DocxTemplate(str(DEFAULT_TEMPLATE)).get_undeclared_template_variables(jinja_env())
    assert DocxTemplate(str(built)).get_undeclared_template_variables(jinja_env()) == committed
    out = render(tmp_path, full_document(), template=built)
    assert "Medlemsrapportering for Tekst org_name" in [p.text for p in out.paragraphs]


def test_template_is_a4_with_real_fonts_styles_and_page_numbers() -> None:
    document = docx.Document(str(DEFAULT_TEMPLATE))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    xml = document.styles.element.xml
    assert "Calibri" in xml and "asciiTheme" not in xml
    for name in ("Heading 1", "Heading 2", "Heading 3", BULLET_STYLE, "Quote"):
        assert document.styles[name] is not None
    assert 'w:instr="PAGE"' in section.footer._element.xml
    texts = [p.text for p in document.paragraphs]
    assert "Til lesere av rapporten" in texts and "Heidi Furustøl\nDaglig leder Etisk handel Norge" in texts


# --- (b) every answer reaches the report ---------------------------------------------------------

def test_every_question_and_answer_is_in_the_report(tmp_path: Path) -> None:
    document = full_document()
    out = render(tmp_path, document)
    paragraphs = all_paragraphs(out)
    texts = [p.text for p in paragraphs]
    styled = {(p.text, p.style.name == BULLET_STYLE) for p in paragraphs}
    rows = table_rows(out)
    joined = "\n".join(texts)
    for field in FORM.questions():
        value = document["data"][field.key]
        if field.is_table:
            columns = [c for c in field.columns if not c.consolidated_only]
            assert field.label in texts, field.key
            for row in value:
                assert [expected_cell(c.kind, row[c.key]) for c in columns] in rows, (field.key, row)
            continue
        for text, bullet in expected_blocks(field.kind, value):
            if field.kind == "longtext":
                assert (text, bullet) in styled, (field.key, text)
            else:
                assert text in joined, (field.key, text)
        if field.kind == "yesno":
            at = texts.index(field.label)
            assert texts[at + 1] == ("Ja" if value else "Nei"), field.key
    headings = {p.text for p in out.paragraphs if p.style.name.startswith("Heading")}
    for section in FORM.sections:
        if section.key != "foreword":
            assert section.title in headings, section.key
        if section.chapter:
            assert section.chapter in headings
    assert "Forord fra: Tekst foreword_author, Tekst foreword_author_title" in headings
    assert "Navn: Tekst contact_name" in texts
    assert "None" not in joined and "{{" not in joined and "{%" not in joined


def test_numbers_are_grouped_norwegian_style() -> None:
    assert format_int(51619) == f"51{NBSP}619"
    assert format_int(27_000_000_000) == f"27{NBSP}000{NBSP}000{NBSP}000"
    assert format_int(2017) == "2017" and format_int(166) == "166"


def test_empty_optional_answers_are_left_out(tmp_path: Path) -> None:
    document = full_document()
    note = FORM.field("requirement_templates_note")
    document["data"].update(requirement_templates_note=None, deviations=[], supplier_count=None)
    texts = [p.text for p in all_paragraphs(render(tmp_path, document))]
    assert note.label not in texts and FORM.field("deviations").label not in texts
    assert FORM.field("supplier_count").label not in texts


def test_a_new_question_appears_without_touching_the_template(tmp_path: Path) -> None:
    new = Field(key="new_question", kind="longtext", section="risk", label="Et nytt spørsmål?",
                help="", required=True, consolidate="text")
    sections = tuple(dataclasses.replace(s, fields=(*s.fields, new)) if s.key == "risk" else s
                     for s in FORM.sections)
    form = dataclasses.replace(FORM, sections=sections, fields={**FORM.fields, new.key: new})
    document = full_document(form)
    texts = [p.text for p in render(tmp_path, document, form=form).paragraphs]
    assert "Et nytt spørsmål?" in texts and "Siste avsnitt new_question." in texts


# --- (c) text comes out exactly as typed ---------------------------------------------------------

def test_special_characters_come_out_as_typed(tmp_path: Path) -> None:
    typed = "Smith & Sønn <AS> \"x\" 'y'"
    document = full_document()
    document["data"]["org_name"] = typed
    document["data"]["anchoring_strategy"] = f"{typed}\nneste linje & mer"
    document["data"]["deviations"][0]["location"] = typed
    out = render(tmp_path, document)
    texts = [p.text for p in all_paragraphs(out)]
    assert f"{typed}\nneste linje & mer" in texts
    assert typed in texts  # "Om virksomheten: Navn" and the closing contact block
    assert f"Medlemsrapportering for {typed}" in texts
    assert any(typed in row for row in table_rows(out))
    assert typed in out.sections[0].footer.paragraphs[0].text
    assert out.core_properties.title == f"Medlemsrapportering for {typed} for 2020"


# --- (d) bullets are real list paragraphs --------------------------------------------------------

def test_split_blocks() -> None:
    text = "Intro:\nline two\n\n- a\n• b\n  - c\nafter\n\n\nlast"
    assert split_blocks(text) == [
        {"text": "Intro:\nline two", "bullet": False}, {"text": "a", "bullet": True},
        {"text": "b", "bullet": True}, {"text": "c", "bullet": True},
        {"text": "after", "bullet": False}, {"text": "last", "bullet": False},
    ]
    assert split_blocks("a\r\nb") == [{"text": "a\nb", "bullet": False}]
    assert split_blocks(None) == [] and split_blocks("") == []
    assert split_blocks("-1 grad\n-ikke punkt") == [{"text": "-1 grad\n-ikke punkt", "bullet": False}]


def test_bullets_are_list_bullet_paragraphs(tmp_path: Path) -> None:
    out = render(tmp_path, full_document())
    paragraphs = all_paragraphs(out)
    bullets = [p for p in paragraphs if p.style.name == BULLET_STYLE]
    assert "Punkt en training_needs" in {p.text for p in bullets}
    assert "Punkt to deviations.type.r0" in {p.text for p in bullets}  # inside a table cell
    assert not any(p.text.startswith(("- ", "• ")) for p in paragraphs)
    line_break = next(p for p in paragraphs if p.text.startswith("Første avsnitt training_needs"))
    assert "<w:br/>" in line_break._p.xml and line_break.style.name != BULLET_STYLE


# --- (e) data is never run as template code -------------------------------------------------------

def test_template_code_in_data_renders_literally(tmp_path: Path) -> None:
    document = full_document()
    document["data"]["foreword_text"] = "{{ 7*7 }}"
    document["data"]["org_name"] = "{% for x in range(3) %}x{% endfor %}"
    document["data"]["goals_next_year"][0]["goal"] = "{{ ''.__class__.__mro__ }}"
    out = render(tmp_path, document)
    texts = [p.text for p in all_paragraphs(out)]
    assert "{{ 7*7 }}" in texts and "49" not in texts
    assert "{% for x in range(3) %}x{% endfor %}" in texts and "xxx" not in texts
    assert any("{{ ''.__class__.__mro__ }}" in row for row in table_rows(out))


def test_sandbox_blocks_unsafe_attributes_in_an_edited_template() -> None:
    from jinja2.exceptions import SecurityError

    with pytest.raises(SecurityError):
        jinja_env().from_string("{{ x.__class__.__mro__[1].__subclasses__() }}").render(x="")


# --- (f) LibreOffice makes a PDF -------------------------------------------------------------------

@pytest.mark.libreoffice
def test_report_converts_to_pdf(tmp_path: Path) -> None:
    if find_soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed, so no PDF can be made")
    document = full_document()
    document["data"]["org_name"] = "Fjordvik kommune"
    pdf = convert_to_pdf(render_report(document, tmp_path / "rapport.docx"), tmp_path / "pdf")
    assert pdf == tmp_path / "pdf" / "rapport.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "Fjordvik kommune" in text and "Til lesere av rapporten" in text


def test_pdf_errors_are_clear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "rapport.docx"
    source.write_bytes(b"PK\x03\x04 not really a document")
    with pytest.raises(PdfError, match="soffice"):
        convert_to_pdf(source, tmp_path, soffice=tmp_path / "no-such-soffice")
    monkeypatch.setattr("workbook.pdf.find_soffice", lambda: None)
    with pytest.raises(PdfError, match="LibreOffice"):
        convert_to_pdf(source, tmp_path)


@pytest.mark.libreoffice
def test_failed_conversion_is_an_error_not_a_missing_file(tmp_path: Path) -> None:
    if find_soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    good = render_report(full_document(), tmp_path / "good.docx")
    broken = tmp_path / "broken.docx"
    broken.write_bytes(good.read_bytes()[:3000])  # a truncated zip: LibreOffice exits 0 anyway
    with pytest.raises(PdfError, match="broken.docx"):
        convert_to_pdf(broken, tmp_path / "pdf")
    assert not (tmp_path / "pdf" / "broken.pdf").exists()


@pytest.mark.libreoffice
def test_libreoffice_converts_many_files_in_one_run_and_names_the_one_it_could_not(tmp_path: Path) -> None:
    if find_soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    first = render_report(full_document(), tmp_path / "first.docx")
    second = render_report(full_document(agency=True), tmp_path / "second.docx")
    pdfs = convert([first, second], tmp_path / "pdf", "pdf")
    assert pdfs == [tmp_path / "pdf" / "first.pdf", tmp_path / "pdf" / "second.pdf"]
    assert all(pdf.read_bytes()[:5] == b"%PDF-" for pdf in pdfs)
    broken = tmp_path / "broken.docx"
    broken.write_bytes(first.read_bytes()[:3000])
    with pytest.raises(PdfError, match="broken.docx"):
        convert([first, broken], tmp_path / "again", "pdf")
    with pytest.raises(ValueError, match="overwrite"):
        convert([first], tmp_path, "docx")
    assert first.read_bytes()[:2] == b"PK"


# --- (g) consolidated reports ------------------------------------------------------------------------

def test_consolidated_report_shows_agencies_and_appendix(tmp_path: Path) -> None:
    document = full_document(agency=True)
    out = render(tmp_path, document, appendix=copy.deepcopy(APPENDIX))
    rows = table_rows(out)
    for field in FORM.questions():
        if not field.is_table:
            continue
        for row in document["data"][field.key]:
            cells = [expected_cell(c.kind, row.get(c.key)) for c in field.columns]
            assert cells in rows, (field.key, row)  # the agency column first, as in the form
    with_agency = [t for t in out.tables if t.rows[0].cells[0].text == "Virksomhet"]
    assert len(with_agency) == sum(1 for f in FORM.questions() if f.is_table)
    paragraphs = out.paragraphs
    heading2 = [p.text for p in paragraphs if p.style.name == "Heading 2"]
    assert "Bymiljøetaten" in heading2 and "Helseetaten" in heading2
    assert "Vedlegg: Svar fra virksomhetene" in [p.text for p in paragraphs if p.style.name == "Heading 1"]
    texts = [p.text for p in paragraphs]
    assert "Risikokartlegging hos BYM" in texts and "BYM svarer." in texts and "HEL svarer." in texts
    assert "Naturstein" in {p.text for p in paragraphs if p.style.name == BULLET_STYLE}
    assert ["Samlet innkjøp", grouped(98_765_432)] in rows and ["Antall leverandører", "–"] in rows


def test_plain_report_has_no_agency_column_and_no_appendix(tmp_path: Path) -> None:
    out = render(tmp_path, full_document())
    assert not any("Virksomhet" in row for row in table_rows(out))
    assert "Vedlegg: Svar fra virksomhetene" not in [p.text for p in out.paragraphs]


def test_many_rows_and_agencies_all_reach_the_report(tmp_path: Path) -> None:
    # Speed is measured by benchmarks/bench_consolidate.py; this checks that nothing is cut off.
    document = full_document(agency=True)
    for field in FORM.questions():
        if field.is_table:
            document["data"][field.key] = rows_for(field, agency=True, count=2_000)
    appendix = [{**copy.deepcopy(APPENDIX[0]), "agency": f"Etat {i}"} for i in range(1_000)]
    output = render_report(document, tmp_path / "big.docx", appendix=appendix)
    with zipfile.ZipFile(output) as package:
        xml = package.read("word/document.xml").decode("utf-8")
    assert "Etat 0<" in xml and "Etat 999<" in xml
    for field in FORM.questions():
        if field.is_table:
            first = next(c for c in field.columns if not c.consolidated_only and c.kind in ("text", "longtext"))
            assert f"{field.key}.{first.key}.r0" in xml and f"{field.key}.{first.key}.r1999" in xml, field.key


def body_xml(path: Path) -> bytes:
    """The document's body in canonical form: equal when Word reads the same XML."""
    with zipfile.ZipFile(path) as package:
        return etree.tostring(etree.fromstring(package.read("word/document.xml")), method="c14n")


def render_with_docxtpl_alone(context: dict[str, Any], output: Path) -> Path:
    """The report as docxtpl renders the whole context by itself, every row through Jinja, with
    the first body row of each form table kept with the next."""
    template = DocxTemplate(str(DEFAULT_TEMPLATE))
    template.render(context, jinja_env=jinja_env())
    fit_form_tables(template.docx)
    for tbl in template.docx.element.body.iter(qn("w:tbl")):
        style = tbl.find(f"{qn('w:tblPr')}/{qn('w:tblStyle')}")
        if style is None or style.get(qn("w:val")) != "FormTable":
            continue
        first = next((tr for tr in tbl.iterchildren(qn("w:tr"))
                      if tr.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is None), None)
        for p in [] if first is None else first.iter(qn("w:p")):
            p_pr = p.get_or_add_pPr()
            p_pr.insert(1 if p_pr.find(qn("w:pStyle")) is not None else 0, OxmlElement("w:keepNext"))
    template.save(str(output))
    return output


def test_repeated_rows_and_agencies_are_the_xml_docxtpl_makes(tmp_path: Path) -> None:
    typed = "Smith & Sønn <AS> \"x\" 'y' {{ 7*7 }} a\tb\r\nc\x0bd\x01e  "
    document = full_document(agency=True)
    for field in FORM.questions():
        if field.is_table:
            rows = document["data"][field.key] = rows_for(field, agency=True, count=5)
            for row in rows[::2]:
                for key, value in row.items():
                    if isinstance(value, str):
                        row[key] = f"{value}{typed}\n- punkt {typed}\n\nnytt avsnitt\nlinje"
    appendix = copy.deepcopy(APPENDIX)
    appendix[0]["agency"] = typed
    appendix[0]["answers"][0]["text"] += f"\n{typed}\n- b\t{typed}"
    appendix += [{"agency": "Uten svar", "figures": [{"label": "Tall", "value": "1\n2"}],
                  "answers": []},
                 {"agency": "Uten noe", "figures": [], "answers": [{"label": "Tom", "text": " "}]}]
    context = build_context(document, appendix=appendix)
    alone = render_with_docxtpl_alone(context, tmp_path / "alone.docx")
    rendered = render_report(document, tmp_path / "report.docx", appendix=appendix)
    assert body_xml(rendered) == body_xml(alone)


def test_an_edited_template_without_the_appendix_figures_is_reported(tmp_path: Path) -> None:
    edited = docx.Document(str(DEFAULT_TEMPLATE))
    for table in edited.tables:
        if "{{ f.label }}" in table._tbl.xml:
            table._tbl.getparent().remove(table._tbl)
    edited.save(str(tmp_path / "edited.docx"))
    render_report(full_document(), tmp_path / "plain.docx", template=tmp_path / "edited.docx")
    with pytest.raises(TemplateShapeError, match="Rapportmalen"):
        render_report(full_document(), tmp_path / "x.docx", appendix=copy.deepcopy(APPENDIX),
                      template=tmp_path / "edited.docx")


def test_missing_template_is_reported(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="rapportmalen"):
        render_report(full_document(), tmp_path / "x.docx", template=tmp_path / "none.docx")


def test_an_empty_document_still_renders(tmp_path: Path) -> None:
    document = {"form_id": "ehn-offentlig", "form_version": "2020.1", "reporting_year": 2020,
                "agency": "Tom etat", "data": {}}
    out = render(tmp_path, document)
    texts = [p.text for p in out.paragraphs]
    assert "Medlemsrapportering for Tom etat" in texts
    assert "Til lesere av rapporten" in texts and "None" not in "\n".join(texts)
    headings = [p for p in out.paragraphs if p.style.name == "Heading 1"]
    assert headings[1].text == "Om virksomheten" and headings[1].paragraph_format.page_break_before


def test_control_characters_do_not_break_the_document(tmp_path: Path) -> None:
    document = full_document()
    document["data"]["org_name"] = "A\x0bB\x01C\x07D"
    document["data"]["deviations"][0]["status"] = "før\x0cetter"
    out = render(tmp_path, document)
    texts = [p.text for p in all_paragraphs(out)]
    assert "A\nBCD" in texts and "før\netter" in texts


def test_characters_xml_cannot_hold_are_dropped(tmp_path: Path) -> None:
    assert format_value("a\ufffeb\uffffc\ud800d\x00e") == "abcde"
    document = full_document()
    document["data"]["org_name"] = "Fjord\uffffvik"
    texts = [p.text for p in render(tmp_path, document).paragraphs]
    assert "Medlemsrapportering for Fjordvik" in texts
