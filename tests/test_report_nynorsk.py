"""The published report in nynorsk (``report --lang nn``): every word the report adds is nynorsk
(the template's fixed texts, the form's headings, labels, table headers and shown choices, the
consolidation's sentences, the document's language), while the answers are the agency's, exactly as
in the bokmål report. Bokmål stays the default (the other report tests run without ``--lang``).

The checks read the real output: the Word file's paragraphs, tables, footer, styles and core
properties, and the PDF LibreOffice makes of it (pikepdf for /Lang, pdftotext for the pages).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import docx
import pikepdf
import pytest
from docxtpl import DocxTemplate
from lxml import etree
from typer.testing import CliRunner

from test_nynorsk import BOKMAL_WORDS
from test_report import APPENDIX, all_paragraphs, full_document
from test_report_published import REFERENCE_HEADINGS, _flat, _need_soffice, _page_texts
from workbook import messages, wording
from workbook.cli import app
from workbook.document import load_document
from workbook.form import load_form
from workbook.report import LANGUAGES, default_template, jinja_env, render_report, template_name
from workbook.report_template import build_templates

ROOT = Path(__file__).resolve().parent.parent
OSLO_XLSX = ROOT / "samples" / "oslo-kommune-2020.xlsx"
OSLO_JSON = ROOT / "samples" / "json" / "oslo-kommune-2020.json"
FORM = load_form()
W = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
BYLINE = "Gunnar Wedde, Avdelingsdirektør, Innkjøpstjenester, UKE"


def _template_text(key: str, language: str, **values: str) -> str:
    return messages.text(f"report.template.{key}", language, **values)


def _report(tmp_path: Path, *args: str) -> Path:
    out = tmp_path / "report.docx"
    result = CliRunner().invoke(app, ["report", str(OSLO_XLSX), "-o", str(out), *args])
    assert result.exit_code == 0, result.output
    return out


def _texts(document: Any) -> list[str]:
    """Every paragraph's text: the body, the tables (one entry per cell paragraph), the footer."""
    found = [p.text for p in all_paragraphs(document)]
    return found + [p.text for p in document.sections[0].footer.paragraphs]


@pytest.fixture(scope="module")
def oslo_nn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _report(tmp_path_factory.mktemp("oslo-nn"), "--lang", "nn")


@pytest.fixture(scope="module")
def oslo_nb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _report(tmp_path_factory.mktemp("oslo-nb"))


# --- The Oslo sample in nynorsk ------------------------------------------------------------------

def test_the_oslo_report_has_nynorsk_headings_labels_and_fixed_texts(oslo_nn: Path) -> None:
    document = docx.Document(str(oslo_nn))
    texts = _texts(document)
    page = "\n".join(texts)
    for fixed in ("Innhald", "Til lesarar av rapporten", f"Forord frå: {BYLINE}", "Om verksemda",
                  "Offentleg sektor", "Kontakt:"):
        assert fixed in texts, fixed
    assert "ikkje" in page and "verksemd" in page and "Dagleg leiar Etisk handel Norge" in page
    for paragraph in messages.lines("report.template.to_readers", "nn"):
        assert paragraph in texts
    for key in ("ehn_quote", "requirements_instruction", "requirements_group"):
        assert _template_text(key, "nn") in texts, key
    headings = {p.text for p in document.paragraphs if p.style.name.startswith("Heading")}
    shown = {s.key for s in FORM.sections} - {"foreword"}
    for key in shown:
        assert wording.section_title(FORM, key, "nn") in headings, key
        if wording.chapter(FORM, key, "nn"):
            assert wording.chapter(FORM, key, "nn") in headings, key
    data = load_document(OSLO_JSON)["data"]
    questions = {p.text for p in document.paragraphs if p.style.name == "Heading 3"}
    answered = [f for f in FORM.questions() if data.get(f.key) not in (None, "", [])
                and f.section != "foreword" and not f.key.startswith("contact_") and f.key != "highlight_quote"]
    assert len(answered) > 25
    assert [f.key for f in answered if wording.label(FORM, f.key, language="nn") not in questions] == []
    table_headers = {c.text for t in document.tables for r in t.rows[:2] for c in r.cells}
    requirements = FORM.field("requirements")
    for column in requirements.columns:
        if not column.consolidated_only:
            assert wording.label(FORM, "requirements", column.key, "nn") in table_headers, column.key


def test_none_of_the_bokmal_fixed_texts_is_left(oslo_nn: Path, oslo_nb: Path) -> None:
    nn, nb = _texts(docx.Document(str(oslo_nn))), _texts(docx.Document(str(oslo_nb)))
    values = {"org_name": "Oslo kommune", "year": "2020", "byline": BYLINE}
    differing = [key for key, value in messages.catalogue("nb").items()
                 if key.startswith("report.template.") and not key.startswith("report.template.style_")
                 and value != messages.catalogue("nn")[key]]
    checked = 0
    for key in differing:  # those of a consolidated report: test_every_word_the_report_adds_is_nynorsk
        bokmal = (messages.lines(key) if key.endswith("to_readers") else [_template_text(key[16:], "nb", **values)])
        for text in bokmal:
            text = text.split("\t")[0]  # the footer: its text before the page number
            if any(text in t for t in nb):  # the bokmål report has it: this test can fail
                assert not any(text in t for t in nn), key
                checked += 1
    assert checked >= 10
    bokmal_headings = {wording.section_title(FORM, s.key) for s in FORM.sections} | \
        {wording.label(FORM, f.key) for f in FORM.questions()}
    nynorsk_headings = {wording.section_title(FORM, s.key, "nn") for s in FORM.sections} | \
        {wording.label(FORM, f.key, language="nn") for f in FORM.questions()}
    assert not (bokmal_headings - nynorsk_headings) & set(nn)
    assert (bokmal_headings - nynorsk_headings) & set(nb)


def test_the_answers_are_the_same_as_in_the_bokmal_report(oslo_nn: Path, oslo_nb: Path) -> None:
    nn, nb = docx.Document(str(oslo_nn)), docx.Document(str(oslo_nb))
    answers = {"Normal", "List Bullet", "Tabelltekst", "Tabelltekst liten"}

    contact = tuple(f"{wording.label(FORM, f.key, language=lang).rpartition(': ')[2]}: "
                    for f in FORM.questions() if f.key.startswith("contact_") for lang in LANGUAGES)

    def typed(document: Any) -> list[str]:
        """The text of the answers' paragraphs, in order (the contact block's lines left out)."""
        paragraphs = [p for p in all_paragraphs(document) if p.style.name in answers and p.text.strip()]
        return [p.text for p in paragraphs if not p.text.startswith(contact)]

    fixed = set(messages.lines("report.template.to_readers", "nb")) | set(messages.lines("report.template.to_readers", "nn"))
    fixed |= {_template_text(k, lang) for k in ("requirements_instruction",) for lang in ("nb", "nn")}
    fixed |= {f"{_template_text('signature_name', lang)}\n{_template_text('signature_title', lang)}" for lang in ("nb", "nn")}
    choices = {value: wording.choice_text(FORM, key, value, column, "nn")
               for key, column, values in _choices() for value in values}
    shown_nb = [_nynorsk_choices(t, choices) for t in typed(nb) if t not in fixed]
    shown_nn = [t for t in typed(nn) if t not in fixed]
    assert len(shown_nn) > 100 and shown_nn == shown_nb
    rows_nb = [[c.text for c in r.cells] for t in nb.tables for r in t.rows[2:]]
    rows_nn = [[c.text for c in r.cells] for t in nn.tables for r in t.rows[2:]]
    assert rows_nn == [[_nynorsk_choices(c, choices) for c in row] for row in rows_nb]
    assert any("Anna" in row or "Rammeavtale" in row for row in rows_nn)
    lines_nb = [p.text.split(": ", 1) for p in nb.paragraphs if p.text.startswith(contact)]
    lines_nn = [p.text.split(": ", 1) for p in nn.paragraphs if p.text.startswith(contact)]
    assert [label for label, _ in lines_nn][:2] == ["Namn", "Stilling"]  # the labels nynorsk,
    assert [value for _, value in lines_nn] == [value for _, value in lines_nb]  # the values typed


def _choices() -> list[tuple[str, str | None, tuple[str, ...]]]:
    found: list[tuple[str, str | None, tuple[str, ...]]] = []
    for field in FORM.questions():
        if field.kind in ("choice", "choices"):
            found.append((field.key, None, field.allowed))
        found += [(field.key, c.key, c.allowed) for c in field.columns if c.kind in ("choice", "choices")]
    return found


def _nynorsk_choices(shown: str, choices: dict[str, str]) -> str:
    """A bokmål answer with its stored choices as nynorsk shows them (a cell or a list of them)."""
    parts = shown.split(", ")
    return ", ".join(choices.get(part, part) for part in parts) if all(p in choices for p in parts) else shown


def test_the_document_is_in_nynorsk(oslo_nn: Path) -> None:
    document = docx.Document(str(oslo_nn))
    props = document.core_properties
    assert props.language == "nn-NO"
    assert props.title == "Medlemsrapportering for Oslo kommune for 2020"
    assert props.subject == "Medlemsrapportering, offentleg sektor"
    with zipfile.ZipFile(oslo_nn) as package:
        styles = etree.fromstring(package.read("word/styles.xml"))
    lang = styles.find("w:docDefaults/w:rPrDefault/w:rPr/w:lang", W)
    assert lang.get(f"{{{W['w']}}}val") == "nn-NO"  # spelling and hyphenation in Word: nynorsk
    names = {s.name for s in document.styles}
    assert {"Sitat frå medlemmen", "Innhaldsoverskrift", "Framside undertittel"} <= names
    assert "Sitat fra medlemmet" not in names


# --- A document whose answers hold no bokmål word: the report adds none ------------------------

def test_every_word_the_report_adds_is_nynorsk(tmp_path: Path) -> None:
    """A consolidated report (agency column, appendix, coverage) of answers free of bokmål words:
    in nynorsk not one bokmål-only word appears, while the bokmål report has many."""
    document = full_document(agency=True)
    # as coverage_from_tables reads a consolidation back; the reason is the consolidated
    # workbook's own text (data), so it is kept free of bokmål-only words here
    employees = document["data"]["employees"]
    coverage = {
        "member": "Oslo kommune", "included": ["Bymiljøetaten", "Helseetaten"],
        "left_out": [{"agency": "Etat 3", "file": "etat3.xlsx", "reason": "Feil i A1"}],
        "figures": {"employees": {"member": None, "sum": employees, "count": 2, "source": "sum"}},
    }
    kwargs = {"appendix": APPENDIX, "coverage": coverage}
    nb = " ".join(_texts(docx.Document(str(render_report(document, tmp_path / "nb.docx", **kwargs)))))
    nn_path = render_report(document, tmp_path / "nn.docx", language="nn", **kwargs)
    nn = " ".join(_texts(docx.Document(str(nn_path))))
    assert len(set(BOKMAL_WORDS.findall(nb.lower()))) >= 10
    assert BOKMAL_WORDS.findall(nn) == []
    assert "summen av 2 verksemder" in nn and "Desse arbeidsbøkene er ikkje med:" in nn
    assert "Vedlegg: Svar frå verksemdene" in nn and "Om samanstillinga" in nn
    assert wording.label(FORM, "employees", language="nn") in nn  # the appendix's figures, by key
    assert wording.label(FORM, "employees") not in nn


# --- The template per language ---------------------------------------------------------------------

def test_each_language_has_its_template_and_they_agree_with_the_context() -> None:
    assert list(LANGUAGES) == ["nb", "nn"] and template_name("nb") == "report.docx"
    committed = {lang: DocxTemplate(str(default_template(lang))).get_undeclared_template_variables(jinja_env())
                 for lang in LANGUAGES}
    assert committed["nn"] == committed["nb"]


def test_the_builder_makes_the_committed_templates(tmp_path: Path) -> None:
    built = build_templates(tmp_path)
    assert [p.name for p in built] == ["report.docx", "report-nn.docx"]
    for path, language in zip(built, LANGUAGES):
        with zipfile.ZipFile(path) as new, zipfile.ZipFile(default_template(language)) as old:
            for part in ("word/document.xml", "word/styles.xml", "word/footer1.xml", "docProps/core.xml"):
                if part in old.namelist():
                    assert new.read(part) == old.read(part), (language, part)
    texts = [p.text for p in docx.Document(str(built[1])).paragraphs]
    assert "Til lesarar av rapporten" in texts and "Til lesere av rapporten" not in texts


# --- The language is chosen, and only a known one -------------------------------------------------

def test_an_unknown_language_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", str(OSLO_XLSX), "-o", str(tmp_path / "r.docx"), "--lang", "se"])
    assert result.exit_code == 2
    assert "Rapporten finnes ikke på «se». Velg nb (bokmål) eller nn (nynorsk)." in result.output
    assert not (tmp_path / "r.docx").exists()
    with pytest.raises(ValueError, match="«nn/../nb»"):
        render_report(full_document(), tmp_path / "r.docx", language="nn/../nb")


def test_the_help_names_the_languages() -> None:
    result = CliRunner().invoke(app, ["report", "--help"])
    assert result.exit_code == 0
    assert "--lang" in result.output and "nynorsk" in result.output


# --- The PDF --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def oslo_nn_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _need_soffice()
    out = _report(tmp_path_factory.mktemp("oslo-nn-pdf"), "--lang", "nn", "--pdf")
    return out.with_suffix(".pdf")


def _nynorsk_heading(bokmal: str) -> str:
    """A reference heading (bokmål) as the nynorsk report has it, through the catalogue and rules."""
    if bokmal == _template_text("to_readers_heading", "nb"):
        return _template_text("to_readers_heading", "nn")
    if bokmal.startswith("Forord fra: "):
        return _template_text("foreword", "nn", byline=bokmal.removeprefix("Forord fra: "))
    for section in FORM.sections:
        if section.title == bokmal:
            return wording.section_title(FORM, section.key, "nn")
        if section.chapter == bokmal:
            return wording.chapter(FORM, section.key, "nn") or ""
    raise AssertionError(bokmal)


@pytest.mark.libreoffice
def test_the_pdf_is_in_nynorsk_with_its_contents_filled(oslo_nn_pdf: Path) -> None:
    with pikepdf.open(oslo_nn_pdf) as pdf:
        assert str(pdf.Root.Lang) == "nn-NO"
        assert "/StructTreeRoot" in pdf.Root
        assert str(pdf.docinfo.Title) == "Medlemsrapportering for Oslo kommune for 2020"
    pages = _page_texts(oslo_nn_pdf)
    contents = pages[1]
    assert contents.lstrip().startswith("Innhald")
    entries = [(_flat(m.group(1)), int(m.group(2)))
               for m in re.finditer(r"^\s*(\S.*?)\s*\.{3,}\s*(\d+)\s*$", contents, re.M)]
    expected = [_nynorsk_heading(h) for h in REFERENCE_HEADINGS]
    assert expected[:2] == ["Til lesarar av rapporten", f"Forord frå: {BYLINE}"]
    assert [title for title, _ in entries] == expected
    for title, page in entries:
        assert title in _flat(pages[page - 1]), (title, page)
    assert "Side 3" in _flat(pages[2])
