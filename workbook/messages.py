"""The message catalogue: every user-facing text, by key, in one place per language.

Texts live in ``workbook/locale/<lang>/*.yaml`` (one file per area; together one catalogue).
Each file maps a top-level area to keys, so ``text("problem.required", cell="B4")`` reads
``problem: {required: ...}`` and formats it with ``str.format``. Adding a language is adding a
folder beside ``nb/`` with the same keys.
"""

from __future__ import annotations

import functools
import string
from pathlib import Path
from typing import Any

import yaml

#: libyaml's loader where PyYAML has it (ten times faster), the pure-Python one otherwise.
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT_LANGUAGE = "nb"


@functools.lru_cache(maxsize=None)
def catalogue(language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """All texts of one language, flattened to dotted keys (``area.key``); lists stay lists."""
    flat: dict[str, Any] = {}
    for path in sorted((LOCALE_DIR / language).glob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            _flatten(yaml.load(handle, Loader=SafeLoader) or {}, "", flat)
    return flat


def languages() -> list[str]:
    """Every language the catalogue has (a folder of ``locale/``): bokmål first, then sorted."""
    return list(_languages(LOCALE_DIR))


@functools.lru_cache(maxsize=None)
def _languages(folder: Path) -> tuple[str, ...]:
    # Looked up once a folder: the CLI asks at every text it prints (1,000 receipts: 7,000 times).
    others = sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name != DEFAULT_LANGUAGE)
    return (DEFAULT_LANGUAGE, *others)


def _flatten(tree: dict[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            _flatten(value, dotted + ".", out)
        elif isinstance(value, list):
            out[dotted] = [str(item) for item in value]
        else:
            out[dotted] = str(value)


class _Formatter(string.Formatter):
    """``str.format`` with one addition for counts: ``{count:virksomhet|virksomheter}`` is the
    number and the word that agrees with it (``1 virksomhet``, ``2 virksomheter``, ``0 virksomheter``),
    as both Norwegian standards count. Written here because the catalogue is plain YAML read with
    ``str.format``, and gettext's plural forms would need a catalogue in another format."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if "|" in format_spec:
            one, other = format_spec.split("|", 1)
            return f"{value} {one if value == 1 else other}"
        return super().format_field(value, format_spec)


_FORMATTER = _Formatter()


def text(key: str, language: str = DEFAULT_LANGUAGE, /, **values: Any) -> str:
    """The text for ``key``, formatted with ``values``; a missing key is a bug and raises KeyError."""
    template = catalogue(language)[key]
    if not isinstance(template, str):
        raise KeyError(f"{key} is a list: use lines()")
    return _FORMATTER.format(template, **values) if values else template


def lines(key: str, language: str = DEFAULT_LANGUAGE) -> list[str]:
    """A list of texts (e.g. numbered steps) for ``key``."""
    value = catalogue(language)[key]
    if not isinstance(value, list):
        raise KeyError(f"{key} is not a list")
    return list(value)
