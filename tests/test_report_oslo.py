"""The main example end to end: Oslo kommune's 2020 workbook becomes a report holding every answer."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import docx
import pytest
from typer.testing import CliRunner

from workbook.cli import app
from workbook.document import load_document
from workbook.form import load_form

ROOT = Path(__file__).resolve().parent.parent
OSLO_XLSX = ROOT / "samples" / "oslo-kommune-2020.xlsx"
OSLO_JSON = ROOT / "samples" / "json" / "oslo-kommune-2020.json"
FORM = load_form()
SPACES = re.compile(r"[\s\u00a0\u202f]+")


def _flat(text: str) -> str:
    return SPACES.sub(" ", text).strip()


def _texts(document: Any) -> list[str]:
    found = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            found.extend(cell.text for cell in row.cells)
    return found


def _expected(kind: str, value: Any) -> list[str]:
    """What a person looks for on the page: each line of a text without its bullet mark."""
    if value is None or value == []:
        return []
    if kind == "yesno":
        return ["Ja" if value else "Nei"]
    if kind == "int":
        return [f"{value:,}".replace(",", " ") if value >= 10_000 else str(value)]
    if kind == "choices":
        return [", ".join(value)]
    lines = [line.strip() for line in str(value).split("\n") if line.strip()]
    return [line[2:] if line.startswith(("- ", "• ")) else line for line in lines]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("oslo") / "oslo.docx"
    result = CliRunner().invoke(app, ["report", str(OSLO_XLSX), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return docx.Document(str(out))


def test_every_answer_of_the_oslo_sample_is_in_the_report(report: Any) -> None:
    page = "\n".join(_flat(t) for t in _texts(report))
    data = load_document(OSLO_JSON)["data"]
    missing = []
    for field in FORM.questions():
        value = data[field.key]
        if field.is_table:
            for row in value:
                for column in field.columns:
                    missing += [(field.key, column.key, t) for t in _expected(column.kind, row.get(column.key))
                                if _flat(t) not in page]
        else:
            missing += [(field.key, t) for t in _expected(field.kind, value) if _flat(t) not in page]
    assert not missing


def test_the_report_reads_like_the_reference(report: Any) -> None:
    texts = [_flat(t) for t in _texts(report)]
    assert "Medlemsrapportering for Oslo kommune" in texts
    for heading in ("1. Forankring, organisering og kompetanse",
                    "2. Implementering av etisk handel i anskaffelsesprosessen",
                    "3. Pådriverrolle, dialog og kommunikasjon", "2.1 Risikokartlegging", "3.2 Kommunikasjon"):
        assert heading in texts, heading
    headings = [p for p in report.paragraphs if p.style.name.startswith("Heading")]
    assert len(headings) >= 12
    bullets = [p.text for p in report.paragraphs if p.style.name == "List Bullet"]
    assert "Arbeidsklær, sko og verneutstyr" in bullets and "Årsberetning" in bullets
    requirements = next(t for t in report.tables if "AV-utstyr" in "".join(c.text for r in t.rows for c in r.cells))
    av = next(r for r in requirements.rows if r.cells[0].text == "AV-utstyr")
    assert [c.text for c in av.cells] == ["AV-utstyr", "Rammeavtale", "3", "Nei", "Nei", "Ja"]
