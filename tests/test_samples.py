"""The samples are the project's main examples: the workbooks hold exactly their JSON."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbook.document import canonical, load_document
from workbook.read import read_workbook
from workbook.validate import validate_file

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "samples" / "json").rglob("*.json"))


def _workbook(source: Path) -> Path:
    return ROOT / "samples" / source.relative_to(ROOT / "samples" / "json").with_suffix(".xlsx")


@pytest.mark.parametrize("source", SOURCES, ids=[s.stem for s in SOURCES])
def test_each_sample_workbook_holds_its_json(source: Path) -> None:
    workbook = _workbook(source)
    assert workbook.exists(), f"{workbook.name} is missing: run scripts/make_samples.py"
    sub = read_workbook(workbook)
    document = load_document(source)
    if source.stem == "agency-teknisk-med-feil":
        # typed the Norwegian way in the workbook; read as the number it is
        assert document["data"]["total_purchases_nok"] == "12 500 000 kr"
        document["data"]["total_purchases_nok"] = 12_500_000
    assert canonical(sub.document(), sub.form) == canonical(document, sub.form), \
        f"{workbook.name} is out of date: run scripts/make_samples.py"


@pytest.mark.parametrize("source", SOURCES, ids=[s.stem for s in SOURCES])
def test_only_the_sample_with_mistakes_is_invalid(source: Path) -> None:
    result = validate_file(_workbook(source))
    if "med-feil" in source.stem:
        assert not result.valid and len(result.errors) >= 8
    else:
        assert result.valid and not result.warnings, [p.message for p in result.problems]
