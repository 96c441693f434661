"""The published report as Norwegian public bodies must publish it (universell utforming): a tagged
PDF/UA-1 with title and language, headings to navigate by, a table of contents that is filled in,
tables whose headers repeat and whose rows and header words stay whole, the report's own document
properties, and the reference report's order and wording.

The PDF tests read the real PDF that LibreOffice writes (pikepdf: structure tree, metadata; poppler's
pdftotext: what each page shows).
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import docx
import pikepdf
import pytest
from docx.oxml.ns import qn
from lxml import etree
from typer.testing import CliRunner

from test_report import APPENDIX, full_document, rows_for
from workbook.cli import app
from workbook.form import load_form
from workbook.errors import PdfError
from workbook.pdf import PDF_EXPORT, convert, convert_to_pdf, find_soffice
from workbook.report import render_report

ROOT = Path(__file__).resolve().parent.parent
OSLO_XLSX = ROOT / "samples" / "oslo-kommune-2020.xlsx"
FORM = load_form()
TITLE = "Medlemsrapportering for Oslo kommune for 2020"
W = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
SPACES = re.compile(r"[\s\u00a0]+")

#: The reference report's headings down to its sections, in its order
#: (shared/reference/oslo-kommune-2020-member-report.md, with its typo "Etske" put right).
REFERENCE_HEADINGS = [
    "Til lesere av rapporten",
    "Forord fra: Gunnar Wedde, Avdelingsdirektør, Innkjøpstjenester, UKE",
    "Om virksomheten",
    "Anskaffelser og leverandører som omfattes av årsrapporten",
    "Prioriterte mål / aktiviteter",
    "1. Forankring, organisering og kompetanse",
    "1.1 Hvordan arbeid med etisk handel er forankret og organisert i virksomheten",
    "1.2 Kompetanseutvikling og opplæring",
    "2. Implementering av etisk handel i anskaffelsesprosessen",
    "2.1 Risikokartlegging",
    "2.2 Etiske/sosiale krav i anskaffelsesprosessen",
    "2.3 Oppfølging av etiske- og sosiale krav i kontraktsfasen",
    "3. Pådriverrolle, dialog og kommunikasjon",
    "3.1 Øke oppslutning internt og eksternt",
    "3.2 Kommunikasjon",
]
EHN_QUOTE_START = "”Å stille etiske- og sosiale krav i offentlige anskaffelser er nødvendig"
OSLO_QUOTE = "“Oslo kommune vil gå i front for å skape tryggere arbeidsforhold i globale leverandørkjede”"
REQUIREMENTS_INSTRUCTION_START = "Oppgi i hvilke anskaffelser etiske- og sosiale krav er anvendt"


def _flat(text: str) -> str:
    return SPACES.sub(" ", text).strip()


def _need_soffice() -> None:
    if find_soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed, so no PDF can be made")


def _need_pdftotext() -> str:
    found = shutil.which("pdftotext")
    if found is None:
        pytest.skip("poppler's pdftotext is not installed: the PDF's pages cannot be read as text")
    return found


def _convert(docxs: list[Path], outdir: Path) -> list[Path]:
    """Many reports to PDF in one LibreOffice run, with the export filter the tool uses."""
    _need_soffice()
    pdfs = convert(docxs, outdir, PDF_EXPORT, timeout=600)
    assert all(p.is_file() for p in pdfs), [p.name for p in pdfs if not p.is_file()]
    return pdfs


def _page_texts(pdf: Path) -> list[str]:
    """What each page shows, as pdftotext reads it (pages split at form feeds)."""
    out = subprocess.run([_need_pdftotext(), "-layout", str(pdf), "-"], capture_output=True,
                         text=True, check=True).stdout
    return out.split("\f")


# --- Reading the PDF's structure tree ---------------------------------------------------------------

class Structure:
    """The PDF's structure elements in reading order, with their standard type and page."""

    def __init__(self, pdf: pikepdf.Pdf) -> None:
        self.pdf = pdf
        tree = pdf.Root.StructTreeRoot
        self.role_map = {str(k): str(v) for k, v in tree.get("/RoleMap", {}).items()}
        self.pages = {page.objgen: number for number, page in enumerate(pdf.pages, start=1)}
        self.elements: list[pikepdf.Dictionary] = []
        self._walk(tree.K)

    def kind(self, element: pikepdf.Dictionary) -> str:
        own = str(element.S)
        return self.role_map.get(own, own)

    def _walk(self, node: Any) -> None:
        if isinstance(node, pikepdf.Array):
            for child in node:
                self._walk(child)
        elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
            self.elements.append(node)
            self._walk(node.get("/K"))

    def children(self, element: pikepdf.Dictionary) -> list[pikepdf.Dictionary]:
        kids = element.get("/K")
        kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
        return [k for k in kids if isinstance(k, pikepdf.Dictionary) and "/S" in k]

    def descendants(self, element: pikepdf.Dictionary, kind: str) -> list[pikepdf.Dictionary]:
        found = []
        for child in self.children(element):
            if self.kind(child) == kind:
                found.append(child)
            else:
                found.extend(self.descendants(child, kind))
        return found

    def page(self, element: pikepdf.Dictionary) -> int | None:
        if "/Pg" in element:
            return self.pages[element.Pg.objgen]
        return next((p for c in self.children(element) if (p := self.page(c)) is not None), None)


# --- Fixtures ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def oslo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("oslo-published") / "oslo.docx"
    result = CliRunner().invoke(app, ["report", str(OSLO_XLSX), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def oslo_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _need_soffice()
    out = tmp_path_factory.mktemp("oslo-pdf") / "oslo.docx"
    result = CliRunner().invoke(app, ["report", str(OSLO_XLSX), "-o", str(out), "--pdf"])
    assert result.exit_code == 0, result.output
    return out.with_suffix(".pdf")


def _document_xml(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as package:
        return etree.fromstring(package.read("word/document.xml"))


# --- The tagged PDF -------------------------------------------------------------------------------

@pytest.mark.libreoffice
def test_pdf_is_tagged_pdf_ua_with_its_title_and_language(oslo_pdf: Path) -> None:
    with pikepdf.open(oslo_pdf) as pdf:
        root = pdf.Root
        assert "/StructTreeRoot" in root and root.MarkInfo.Marked is True
        assert str(root.Lang) == "nb-NO"
        assert root.ViewerPreferences.DisplayDocTitle is True
        assert str(pdf.docinfo.Title) == TITLE
        with pdf.open_metadata() as xmp:
            assert xmp["pdfuaid:part"] == "1"
            assert xmp["dc:title"] == TITLE
        structure = Structure(pdf)
        kinds = {structure.kind(e) for e in structure.elements}
        assert {"/H1", "/H2", "/H3", "/L", "/LI", "/LBody", "/Table", "/TR", "/TH", "/TD"} <= kinds
        tables = [e for e in structure.elements if structure.kind(e) == "/Table"]
        assert len(tables) == 5  # both goal tables, 2.2, deviations, measures
        for table in tables:
            rows = structure.descendants(table, "/TR")
            cells = [{structure.kind(c) for c in structure.children(row)} for row in rows]
            assert cells[0] == {"/TH"} and cells[-1] == {"/TD"}, cells  # header row marked
        questions = sum(1 for e in structure.elements if structure.kind(e) == "/H3")
        assert questions >= 30  # every question Oslo answered is a heading to jump to


@pytest.mark.libreoffice
def test_pdf_table_of_contents_is_filled_with_the_right_pages(oslo_pdf: Path) -> None:
    pages = _page_texts(oslo_pdf)
    contents = pages[1]
    assert contents.lstrip().startswith("Innhold")
    entries = [(_flat(m.group(1)), int(m.group(2)))
               for m in re.finditer(r"^\s*(\S.*?)\s*\.{3,}\s*(\d+)\s*$", contents, re.M)]
    assert [title for title, _ in entries] == REFERENCE_HEADINGS
    for title, page in entries:
        assert title in _flat(pages[page - 1]), (title, page)
        assert not any(title in _flat(text) for text in pages[2:page - 1]), (title, page)


# --- Headings, contents, alt text (the Word file) -----------------------------------------------------

def test_questions_are_heading_3(oslo: Path) -> None:
    document = docx.Document(str(oslo))
    heading3 = {_flat(p.text) for p in document.paragraphs if p.style.name == "Heading 3"}
    answered = [f for f in FORM.questions()
                if f.key not in {"highlight_quote", "foreword_author", "foreword_author_title",
                                 "foreword_text", "supplier_count", "covered_value_nok",
                                 "followup_supplier_count"}
                and not f.key.startswith("contact_")]
    missing = [f.key for f in answered if _flat(f.label) not in heading3]
    assert not missing
    assert "Kontaktinformasjon for rapporten" in heading3


def test_contents_entries_link_to_their_headings(oslo: Path) -> None:
    body = _document_xml(oslo)
    heading_of = {}
    for p in body.iter(qn("w:p")):
        style = p.find("w:pPr/w:pStyle", W)
        for mark in p.findall("w:bookmarkStart", W):
            heading_of[mark.get(qn("w:name"))] = (style.get(qn("w:val")) if style is not None else "",
                                                  _flat("".join(p.itertext())))
    entries = []
    for p in body.iter(qn("w:p")):
        style = p.find("w:pPr/w:pStyle", W)
        if style is not None and style.get(qn("w:val")) in ("TOC1", "TOC2"):
            link = p.find("w:hyperlink", W)
            entries.append((link.get(qn("w:anchor")), _flat("".join(link.itertext(qn("w:t")))),
                            "".join(link.itertext(qn("w:instrText")))))
    assert [text for _, text, _ in entries] == REFERENCE_HEADINGS
    for anchor, text, field in entries:
        assert heading_of[anchor][1] == text and heading_of[anchor][0].startswith("Heading")
        assert field.split() == ["PAGEREF", anchor, "\\h"]
    ids = [m.get(qn("w:id")) for m in body.iter(qn("w:bookmarkStart"))]
    assert len(ids) == len(set(ids))


def test_tables_carry_their_question_as_alt_text(oslo: Path) -> None:
    body = _document_xml(oslo)
    labels = {f.label for f in FORM.questions() if f.is_table}
    captions = [c.get(qn("w:val")) for c in body.iter(qn("w:tblCaption"))]
    assert len(captions) == 5 and set(captions) <= labels
    assert not list(body.iter(qn("w:tblDescription")))


# --- Document properties ------------------------------------------------------------------------------

def test_document_properties_are_the_reports_own(oslo: Path) -> None:
    props = docx.Document(str(oslo)).core_properties
    now = datetime.now(timezone.utc)
    for stamp in (props.created, props.modified):
        assert now - timedelta(minutes=10) <= stamp <= now + timedelta(minutes=1), stamp
    assert props.author == props.last_modified_by == "Oslo kommune"
    assert props.title == TITLE and props.language == "nb-NO"
    with zipfile.ZipFile(oslo) as package:
        app_xml = package.read("docProps/app.xml").decode("utf-8")
        core_xml = package.read("docProps/core.xml").decode("utf-8")
    application = etree.fromstring(app_xml.encode()).find(
        "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}Application")
    assert application.text == "workbook"
    assert "Microsoft" not in app_xml and "2013-" not in core_xml


@pytest.mark.libreoffice
def test_pdf_names_the_member_as_author(oslo_pdf: Path) -> None:
    with pikepdf.open(oslo_pdf) as pdf:
        assert str(pdf.docinfo.Author) == "Oslo kommune"


# --- Tables ----------------------------------------------------------------------------------------------

def _form_tables(body: etree._Element) -> list[etree._Element]:
    return [t for t in body.iter(qn("w:tbl"))
            if t.find("w:tblPr/w:tblStyle", W) is not None
            and t.find("w:tblPr/w:tblStyle", W).get(qn("w:val")) == "FormTable"]


def _keeps_with_next(row: etree._Element) -> bool:
    return all(p.find("w:pPr/w:keepNext", W) is not None for p in row.iter(qn("w:p")))


def test_header_rows_repeat_and_rows_stay_whole(tmp_path: Path) -> None:
    document = full_document(agency=True)
    output = render_report(document, tmp_path / "r.docx", appendix=copy.deepcopy(APPENDIX))
    tables = _form_tables(_document_xml(output))
    assert len(tables) == sum(1 for f in FORM.questions() if f.is_table)
    for table in tables:
        rows = table.findall("w:tr", W)
        header = [r for r in rows if r.find("w:trPr/w:tblHeader", W) is not None]
        body = rows[len(header):]
        assert header and rows[:len(header)] == header and len(body) == 2
        assert all(r.find("w:trPr/w:cantSplit", W) is not None for r in rows)
        assert all(_keeps_with_next(r) for r in header)
        assert _keeps_with_next(body[0]) and not _keeps_with_next(body[1])


@pytest.mark.libreoffice
def test_no_header_word_is_broken(oslo_pdf: Path, tmp_path: Path) -> None:
    """Oslo's 2.2 table (six columns) and a consolidated one (seven, with long agency names)."""
    document = full_document(agency=True)
    rows = rows_for(FORM.field("requirements"), agency=True, count=4)
    for row, name in zip(rows, ("Bymiljøetaten", "Helseetaten", "Kulturetaten", "Enkeltkontrakt")):
        row["agency"] = f"Fjordvik kommune, {name}"
        row["procurement"] = "Medisinsk forbruksmateriell (storhusholdninger)"
    document["data"]["requirements"] = rows
    consolidated = render_report(document, tmp_path / "samlet.docx")
    columns = FORM.field("requirements").columns
    group = "Anvendt etiske/sosiale krav i anskaffelsesprosessen"  # the template's, over Ja/Nei
    for pdf, shown in ((oslo_pdf, [c for c in columns if not c.consolidated_only]),
                       (_convert([consolidated], tmp_path)[0], columns)):
        words = {w for label in [group, *(c.label for c in shown)] for w in label.split()}
        page = next(t for t in _page_texts(pdf) if "Anvendt etiske/sosiale" in t)
        found = set(re.findall(r"[\w/]+", page))
        assert words <= found, (pdf.name, words - found)
        assert ("Virksomhet" in found) == (shown is columns)


@pytest.mark.libreoffice
def test_a_table_never_starts_with_one_lonely_row(tmp_path: Path) -> None:
    """The deviations table pushed down the page step by step: wherever the page ends, the table
    starts with its heading, its header and at least two rows on the same page."""
    docxs = []
    for step in range(0, 42, 3):
        document = full_document()
        document["data"]["experiences"] = "Kort."
        document["data"]["followup_supplier_note"] = " ".join(
            ["Ord og flere ord her."] * (40 + step * 6))
        document["data"]["deviations"] = rows_for(FORM.field("deviations"), count=6)
        docxs.append(render_report(document, tmp_path / f"step{step:02d}.docx"))
    split = 0
    for pdf in _convert(docxs, tmp_path):
        with pikepdf.open(pdf) as opened:
            structure = Structure(opened)
            elements = structure.elements
            table = next(e for e in elements if structure.kind(e) == "/Table"
                         and len(structure.descendants(e, "/TR")) == 7)
            at = next(i for i, e in enumerate(elements) if e.objgen == table.objgen)
            heading = next(e for e in reversed(elements[:at]) if structure.kind(e) == "/H3")
            pages = [structure.page(r) for r in structure.descendants(table, "/TR")]
            assert pages.count(pages[0]) >= 3, (pdf.name, pages)
            assert structure.page(heading) == pages[0], pdf.name
            split += len(set(pages)) > 1
    assert split, "no step ran the table over a page break: the test proves nothing"


# --- Fidelity to the reference ------------------------------------------------------------------------------

def test_sections_come_in_the_reference_order(oslo: Path) -> None:
    document = docx.Document(str(oslo))
    headings = [_flat(p.text) for p in document.paragraphs
                if p.style.name in ("Heading 1", "Heading 2")]
    assert headings == REFERENCE_HEADINGS


def test_ehn_quote_stays_and_the_members_quote_is_the_members(oslo: Path) -> None:
    texts = [(_flat(p.text), p.style.name) for p in docx.Document(str(oslo)).paragraphs]
    plain = [t for t, _ in texts]
    ehn = next(i for i, (t, _) in enumerate(texts) if t.startswith(EHN_QUOTE_START))
    assert texts[ehn][1] == "Quote" and plain[ehn + 1] == "Til lesere av rapporten"
    assert sum(t.startswith(EHN_QUOTE_START) for t in plain) == 1
    own = plain.index(OSLO_QUOTE)
    assert texts[own][1] == "Sitat fra medlemmet"
    membership = texts.index(("Innmeldingsår i Etisk handel Norge", "Heading 3"))
    goals = texts.index(("Prioriterte mål / aktiviteter", "Heading 1"))
    assert membership < own < goals


def test_typed_quotation_marks_are_not_doubled(tmp_path: Path) -> None:
    document = full_document()
    document["data"]["highlight_quote"] = " «Vi går foran» "
    texts = [p.text for p in docx.Document(str(render_report(document, tmp_path / "r.docx"))).paragraphs]
    assert "“Vi går foran”" in texts


def test_no_quote_no_quote_paragraph(tmp_path: Path) -> None:
    document = full_document()
    document["data"]["highlight_quote"] = None
    out = docx.Document(str(render_report(document, tmp_path / "r.docx")))
    assert not [p for p in out.paragraphs if p.style.name == "Sitat fra medlemmet"]
    assert sum(p.style.name == "Quote" for p in out.paragraphs) == 1  # Etisk handel Norge's


def test_the_instruction_under_2_2_is_there(oslo: Path) -> None:
    body = _document_xml(oslo).find("w:body", W)
    blocks = [(child.tag, _flat("".join(child.itertext()))) for child in body.iterchildren()]
    at = next(i for i, (_, t) in enumerate(blocks) if t.startswith(REQUIREMENTS_INSTRUCTION_START))
    assert "minst fem anskaffelser der kravene anses som relevante" in blocks[at][1]
    assert blocks[at - 1][1] == _flat(FORM.field("requirements").label)
    assert blocks[at + 1][0] == qn("w:tbl") and "AV-utstyr" in blocks[at + 1][1]


_UNTAGGED_SOFFICE = '''#!{python}
import sys
from pathlib import Path
import pikepdf
args = sys.argv[1:]
outdir = Path(args[args.index("--outdir") + 1])
pdf = pikepdf.new()
pdf.add_blank_page()
pdf.save(outdir / (Path(args[-1]).stem + ".pdf"))
'''


@pytest.mark.skipif(os.name != "posix", reason="the stand-in for LibreOffice is a POSIX script")
def test_an_untagged_pdf_is_refused_not_published(tmp_path: Path) -> None:
    """An older LibreOffice ignores the export options and writes an untagged PDF."""
    soffice = tmp_path / "soffice"
    soffice.write_text(_UNTAGGED_SOFFICE.format(python=sys.executable), encoding="utf-8")
    soffice.chmod(0o755)
    report = render_report(full_document(), tmp_path / "rapport.docx")
    with pytest.raises(PdfError, match="7.4"):
        convert_to_pdf(report, tmp_path / "pdf", soffice=soffice)
    assert not (tmp_path / "pdf" / "rapport.pdf").exists()
