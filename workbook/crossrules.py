"""The rules across fields, by the name ``form.yaml`` gives them (``check:``).

Each check takes the rule's parameters and the submission's values (metadata and answers in one
mapping) and returns the keys of the fields it found at fault, with details for the message.
A check says nothing when a value it needs is missing or unreadable: that has its own problem.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Finding = tuple[str, dict[str, Any]]
Check = Callable[[Mapping[str, Any], Mapping[str, Any]], list[Finding]]


def _count(values: Mapping[str, Any], table: str) -> int | None:
    """The table's number of rows, or None when the table could not be read (e.g. it was deleted)."""
    rows = values.get(table)
    return len(rows) if isinstance(rows, list) else None


def yes_means_rows(params: Mapping[str, Any], values: Mapping[str, Any]) -> list[Finding]:
    """Ja needs at least ``min_rows`` rows in the table; Nei with rows is just as wrong."""
    answer, rows = values.get(params["answer"]), _count(values, params["table"])
    if rows is None:
        return []
    if (answer is True and rows < params["min_rows"]) or (answer is False and rows > 0):
        # the answer itself (True/False): the message words it Ja/Nei in its language
        return [(params["answer"], {"rows": rows, "min_rows": params["min_rows"], "answer_text": answer})]
    return []


def yes_requires_rows(params: Mapping[str, Any], values: Mapping[str, Any]) -> list[Finding]:
    """Ja needs at least ``min_rows`` rows in the table; Nei asks nothing of it."""
    rows = _count(values, params["table"])
    if rows is not None and values.get(params["answer"]) is True and rows < params["min_rows"]:
        return [(params["answer"], {"rows": rows, "min_rows": params["min_rows"]})]
    return []


def not_greater(params: Mapping[str, Any], values: Mapping[str, Any]) -> list[Finding]:
    """``field`` must not exceed ``limit`` (both whole numbers)."""
    value, limit = values.get(params["field"]), values.get(params["limit"])
    if isinstance(value, int) and isinstance(limit, int) and not isinstance(value, bool) and value > limit:
        return [(params["field"], {"limit": limit})]
    return []


def positive_requires_rows(params: Mapping[str, Any], values: Mapping[str, Any]) -> list[Finding]:
    """A count above zero should come with at least one row in the table."""
    value = values.get(params["field"])
    if isinstance(value, int) and not isinstance(value, bool) and value > 0 and _count(values, params["table"]) == 0:
        return [(params["field"], {})]
    return []


CHECKS: dict[str, Check] = {
    "yes_means_rows": yes_means_rows,
    "yes_requires_rows": yes_requires_rows,
    "not_greater": not_greater,
    "positive_requires_rows": positive_requires_rows,
}
