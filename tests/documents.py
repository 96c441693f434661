"""The sample document and the workbooks made of it.

- ``filled_document()`` a fresh, complete, valid document (the Oslo sample, JSON format);
- ``make_workbook(folder, document=None, name="form.xlsx")`` the generated workbook of a document.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from workbook.generate import generate

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "json" / "oslo-kommune-2020.json"


def filled_document() -> dict[str, Any]:
    with SAMPLE.open(encoding="utf-8") as handle:
        return json.load(handle)


def make_workbook(folder: Path, document: dict[str, Any] | None = None, name: str = "form.xlsx") -> Path:
    return generate(Path(folder) / name, prefill=copy.deepcopy(document) if document is not None
                    else filled_document())
