"""CSV files that a spreadsheet opens without running anything an agency typed.

A spreadsheet reads a CSV cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or
carriage return before one) as a formula: ``=cmd|' /C calc'!A0`` in a sheet name or an answer
would run when the central unit opens the file. As OWASP advises ("CSV Injection"), such a text
cell is written with a leading apostrophe, and every cell is quoted. Numbers (int, float) are
left as they are. Every CSV the tool writes goes through :func:`write_csv`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

#: How a cell may start that a spreadsheet would read as a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would read as a formula, with ``'`` in front; others unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


#: The list separator of Norwegian Excel: a file with it opens into columns by a double click.
DELIMITER = ";"


def write_csv(path: Path | str, rows: Iterable[Iterable[Any]], *, delimiter: str = DELIMITER) -> Path:
    """Write ``rows`` (the first one the header) as UTF-8 CSV with a byte order mark (so Excel reads
    æøå right), every cell quoted and neutralised, separated by ``;`` as Norwegian Excel writes and
    reads it; ``None`` is an empty cell."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, delimiter=delimiter)
        for row in rows:
            writer.writerow(["" if cell is None else neutralise(cell) for cell in row])
    return path
