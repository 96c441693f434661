"""The JSON format: one filled form as ``{"form_id", "form_version", "reporting_year", "agency",
"role", "data": {key: value}}`` (``role``: ``member`` or ``agency``, absent meaning an agency). Tables are lists of objects keyed by column keys, Ja/Nei are
true/false, numbers are integers, choices are lists of the chosen options, and an unanswered
question is null (an empty table ``[]``). ``--prefill`` reads it; ``export`` writes it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from workbook.errors import DataFormatError
from workbook.messages import DEFAULT_LANGUAGE
from workbook.form import METADATA_KEYS, ROLE_AGENCY, Form

METADATA = METADATA_KEYS  # the form's metadata keys: one home, workbook.form


def load_document(path: Path | str) -> dict[str, Any]:
    """Read a JSON document; raise :class:`DataFormatError` with the reason if it is not one
    (an unreadable file raises its ``OSError``)."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as handle:
            document = json.load(handle)
    except json.JSONDecodeError as error:
        raise DataFormatError("error.data_not_json", path=path, line=error.lineno, column=error.colno) from None
    except UnicodeDecodeError as error:
        raise DataFormatError("error.data_not_utf8", path=path, position=error.start) from None
    except ValueError:  # a number of over 4,300 digits
        raise DataFormatError("error.data_number_too_long", path=path) from None
    if not isinstance(document, dict) or not isinstance(document.get("data"), dict):
        raise DataFormatError("error.data_no_object", path=path)
    return document


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False) + "\n"  # never NaN: invalid JSON


def save_document(document: dict[str, Any], path: Path | str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(document), encoding="utf-8", newline="\n")
    return path


def canonical(document: dict[str, Any], form: Form) -> dict[str, Any]:
    """Every key of the form in the form's order (absent answers as null, tables as lists)."""
    data = document.get("data", {})
    ordered: dict[str, Any] = {}
    for field_ in form.questions():
        value = data.get(field_.key)
        if field_.is_table:
            keys = [c.key for c in field_.columns]
            value = [{k: row[k] if k in row else None for k in keys
                      if k in row or not field_.column(k).consolidated_only} for row in value or []]
        elif field_.layout == "options":
            value = list(value or [])
        ordered[field_.key] = value
    meta = {k: document.get(k) for k in METADATA}
    meta["role"] = meta["role"] or ROLE_AGENCY  # absent: an agency's, as the reader reads it
    meta["language"] = meta["language"] or DEFAULT_LANGUAGE  # absent: bokmål, as the reader reads it
    return {**meta, "data": ordered}
