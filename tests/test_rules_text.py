"""Every text of the rules and catalogues is whole: no YAML scalar cut by an unquoted ", " or ": ".

In a flow mapping (``meta: {label: …, help: …}``) an unquoted comma ends the value and starts a
new key, so ``help: Velg A, B eller C.`` silently became the help "Velg A" and a key "B eller C."
with no value. These tests read the raw YAML, as the program does, and would catch any such cut.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from workbook.form import RULES_DIR

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = sorted(RULES_DIR.glob("*/*/schema.yaml"))
FORMS = sorted(RULES_DIR.glob("*/*/form.yaml"))
CATALOGUES = sorted((ROOT / "workbook" / "locale").glob("*/*.yaml"))
# What a field's `meta` may hold (schema.yaml's header): anything else is a cut-off piece of text.
META_KEYS = {"kind", "section", "label", "help", "consolidate", "rows", "consolidated_only", "format", "pattern_code",
             "carry", "carry_from"}
SENTENCE_END = re.compile(r"[.!?)»]$")


def _metas(rules: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """(key path, meta) of every field and table column in a schema."""
    found = []
    for key, rule in rules.items():
        where = f"{path}{key}"
        if "meta" in rule:
            found.append((where, rule["meta"]))
        columns = rule.get("schema", {}).get("schema")
        if isinstance(columns, dict):
            found.extend(_metas(columns, where + "."))
    return found


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_every_label_and_help_is_one_whole_text(schema: Path) -> None:
    metas = _metas(yaml.safe_load(schema.read_text(encoding="utf-8")))
    assert len(metas) > 20
    for where, meta in metas:
        assert set(meta) <= META_KEYS, f"{where}: meta has {sorted(set(meta) - META_KEYS)} (an unquoted ', '?)"
        assert all(value is not None for value in meta.values()), f"{where}: a meta entry without a value"
        for name in ("label", "help"):
            assert isinstance(meta[name], str) and meta[name].strip(), f"{where}: {name} is {meta[name]!r}"
        assert SENTENCE_END.search(meta["help"]), f"{where}: help does not end like a sentence: {meta['help']!r}"


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_the_type_of_agreement_help_names_every_choice(schema: Path) -> None:
    rules = yaml.safe_load(schema.read_text(encoding="utf-8"))
    column = rules["requirements"]["schema"]["schema"]["agreement_type"]
    for choice in column["allowed"]:
        assert choice in column["meta"]["help"]


@pytest.mark.parametrize("form", FORMS, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_section_titles_and_sheet_names_are_texts(form: Path) -> None:
    for section in yaml.safe_load(form.read_text(encoding="utf-8"))["sections"]:
        for name in ("key", "sheet", "title", "chapter"):
            if name in section:
                assert isinstance(section[name], str) and section[name].strip(), (section, name)


def _leaves(value: Any, path: str) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [leaf for key, inner in value.items() for leaf in _leaves(inner, f"{path}.{key}")]
    return [(path, value)]


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_catalogue_text_is_a_text_or_a_list_of_texts(catalogue: Path) -> None:
    leaves = _leaves(yaml.safe_load(catalogue.read_text(encoding="utf-8")), catalogue.stem)
    assert leaves
    for where, value in leaves:
        items = value if isinstance(value, list) else [value]
        assert items and all(isinstance(item, str) and item.strip() for item in items), f"{where}: {value!r}"
