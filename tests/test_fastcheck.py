"""The fast check may only ever say "certainly valid" where Cerberus finds nothing: otherwise a
wrong value would pass without a word. Checked on real documents and on many broken copies."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest

from workbook.fastcheck import compile_schema
from workbook.form import available_forms, load_form
from workbook.validate import fast_check_for, validator_for

ROOT = Path(__file__).resolve().parent.parent
ODD_VALUES = [None, "", "   ", True, False, 0, -1, 1.5, 10**20, "x" * 40000, "Ja", "Annet", "Egen mal", [], {},
              [1], ["Egen mal", "Egen mal"], [None], {"a": 1}, "a@b.c", "a@b", "+47 1", "2020", 1999, 2101, 2020.0]


def _documents(form: Any) -> list[dict[str, Any]]:
    docs = []
    for path in sorted((ROOT / "samples" / "json").rglob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("form_id") == form.form_id and doc.get("form_version") == form.form_version:
            docs.append(_pruned({**{k: doc.get(k) for k in ("form_id", "form_version", "reporting_year", "agency")},
                                 **doc["data"]}))
    return docs


def _pruned(value: Any) -> Any:  # as validate._document: no None values
    if isinstance(value, dict):
        return {k: _pruned(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def _places(doc: dict[str, Any]):
    for key, value in doc.items():
        yield (key,)
        if isinstance(value, list):
            for i, item in enumerate(value):
                yield (key, i)
                if isinstance(item, dict):
                    for column in item:
                        yield (key, i, column)


def _broken(doc: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    place = rng.choice(list(_places(doc)))
    target: Any = doc
    for part in place[:-1]:
        target = target[part]
    roll = rng.random()
    if roll < 0.7:
        target[place[-1]] = rng.choice(ODD_VALUES)
    elif roll < 0.85:
        del target[place[-1]]
    elif isinstance(target, dict):
        target[f"unknown_{rng.randint(0, 3)}"] = 1
    else:
        target.append(rng.choice(ODD_VALUES))
    return doc


@pytest.mark.parametrize("form_id,version", available_forms())
def test_every_rules_file_compiles_so_the_fast_path_is_used(form_id, version):
    assert compile_schema(load_form(form_id, version).schema) is not None


@pytest.mark.parametrize("form_id,version", available_forms())
def test_the_fast_check_never_passes_what_cerberus_refuses(form_id, version):
    form = load_form(form_id, version)
    fast, cerberus = fast_check_for(form), validator_for(form)
    docs = _documents(form)
    if not docs:
        pytest.skip("no sample document of this form version")
    rng = random.Random(2020)
    passed = 0
    for doc in docs:
        assert fast(doc) == cerberus.validate(doc, normalize=False), cerberus.errors
        for _ in range(300):
            broken = _broken(doc, rng)
            if fast(broken):
                assert cerberus.validate(broken, normalize=False), (broken, cerberus.errors)
                passed += 1
    assert passed  # some broken copies are still valid (e.g. an optional answer removed)


def test_a_schema_with_a_rule_it_does_not_know_always_asks_cerberus():
    assert compile_schema({"a": {"type": "string", "dependencies": "b"}}) is None
    assert compile_schema({"a": {"type": ["string", "integer"]}}) is None
    assert compile_schema({"a": {"type": "string", "coerce": int}}) is None
