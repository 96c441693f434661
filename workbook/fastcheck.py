"""A fast answer to one question: does this document certainly pass the Cerberus schema?

Cerberus walks every rule of every table row through many small method calls (about 5 ms for a
filled form); most submissions are valid. :func:`compile_schema` turns the schema into plain
Python closures for the rules our schemas use. They are conservative: ``True`` only when Cerberus
(``normalize=False``, ``allow_unknown=False``, ``integer`` without bool) would find nothing;
``False`` whenever in doubt, and then Cerberus runs as before and words the problems. A schema
with any rule not handled here compiles to ``None``: Cerberus always runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from workbook.ooxml_text import utf16_len

Check = Callable[[Any], bool]

_TYPES: dict[str, Check] = {
    "string": lambda v: type(v) is str,
    "integer": lambda v: type(v) is int,  # never bool, as FormValidator
    "boolean": lambda v: type(v) is bool,
    "list": lambda v: type(v) is list,
    "dict": lambda v: type(v) is dict,
}
_HANDLED = frozenset({"type", "required", "nullable", "min", "max", "allowed", "maxlength", "minlength",
                      "regex", "schema", "meta", "empty"})


class _Unsupported(Exception):
    pass


def _value_check(rules: Mapping[str, Any]) -> Check:
    """A check of one present, non-None value against one field's rules."""
    unknown = set(rules) - _HANDLED
    if unknown or isinstance(rules.get("type"), list):
        raise _Unsupported(", ".join(sorted(map(str, unknown))) or "type list")
    checks: list[Check] = []
    kind = rules.get("type")
    if kind is not None:
        if kind not in _TYPES:
            raise _Unsupported(kind)
        checks.append(_TYPES[kind])
    if "empty" in rules and rules["empty"] is False:
        checks.append(lambda v: not (hasattr(v, "__len__") and len(v) == 0))
    if "min" in rules:
        low = rules["min"]
        checks.append(lambda v: v >= low)
    if "max" in rules:
        high = rules["max"]
        checks.append(lambda v: v <= high)
    if "minlength" in rules:
        shortest = rules["minlength"]
        checks.append(lambda v: len(v) >= shortest)
    if "maxlength" in rules:
        longest = rules["maxlength"]
        checks.append(lambda v: (utf16_len(v) if isinstance(v, str) else len(v)) <= longest)  # as Excel counts
    if "allowed" in rules:
        allowed = tuple(rules["allowed"])  # `in` as Cerberus does it
        if kind == "list":
            checks.append(lambda v: all(x in allowed for x in v))
        else:
            checks.append(lambda v: v in allowed)
    if "regex" in rules:
        pattern = rules["regex"]
        matcher = re.compile(pattern if pattern.endswith("$") else pattern + "$").match
        checks.append(lambda v: matcher(v) is not None)
    if "schema" in rules:
        if kind == "list":
            item = _value_check(rules["schema"])
            if rules["schema"].get("nullable"):
                raise _Unsupported("nullable list items")
            checks.append(lambda v: all(x is not None and item(x) for x in v))
        elif kind == "dict":
            checks.append(_mapping_check(rules["schema"]))
        else:
            raise _Unsupported("schema without list or dict type")
    if kind is None and len(checks) != 0:
        raise _Unsupported("rules without a type")  # min/len on an untyped value could raise

    def check(value: Any) -> bool:
        for one in checks:
            if not one(value):
                return False
        return True

    return check


def _mapping_check(schema: Mapping[str, Mapping[str, Any]]) -> Check:
    """A check of a dict against a schema of fields (no unknown keys, required present)."""
    fields = {key: (_value_check(rules), bool(rules.get("nullable"))) for key, rules in schema.items()}
    required = frozenset(key for key, rules in schema.items() if rules.get("required") is True)

    def check(document: Any) -> bool:
        if type(document) is not dict:
            return False
        for key in required:
            if document.get(key) is None:
                return False
        for key, value in document.items():
            found = fields.get(key)
            if found is None:
                return False  # unknown field
            value_check, nullable = found
            if value is None:
                if not nullable:
                    return False
            elif not value_check(value):
                return False
        return True

    return check


def compile_schema(schema: Mapping[str, Mapping[str, Any]]) -> Check | None:
    """``check(document) -> True`` if the document certainly passes; ``None`` if the schema is beyond us."""
    try:
        document_check = _mapping_check(schema)
    except _Unsupported:
        return None

    def check(document: Any) -> bool:
        try:
            return document_check(document)
        except Exception:  # e.g. an unhashable value compared: in doubt, Cerberus decides
            return False

    return check


__all__ = ["compile_schema"]
