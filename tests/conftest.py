"""Fixtures only; the helpers are plain modules that tests import:

- ``documents``: the sample document and the workbooks made of it (``filled_document``, ``make_workbook``);
- ``editing``: typing into cells and the cells of keys (``edit``, ``cell_of``, ``table_cell``);
- ``office``: LibreOffice runs and edits (``libreoffice_roundtrip``, ``libreoffice_edit``);
- ``hostile``: rewriting parts of a package, the part of a sheet, the corpus of hostile files;
- ``broken``: one of each broken file, with the problem code it must give.

Fixtures: ``form`` (the default form, loaded once) and ``broken_files`` (every broken or hostile
file, built once: name -> (path, the one problem code it must give)).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from broken import build_broken
from workbook.form import Form, load_form


@pytest.fixture(scope="session")
def form() -> Form:
    return load_form()


@pytest.fixture(scope="session")
def broken_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """Every broken or hostile file, built once: name -> (path, the code it must give)."""
    return build_broken(tmp_path_factory.mktemp("broken"))
