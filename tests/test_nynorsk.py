"""Nynorsk (``nn``) beside bokmål (``nb``): every word the tool shows exists in both.

The catalogue (``workbook/locale/nn/``) has the same files, keys, placeholders and list lengths
as bokmål and renders with the same parameters; the form's wording (``rules/.../nn.yaml``) has a
text for every sheet, heading, label, help and shown choice of the rules, and no other; sheet
names and table headers stay valid in Excel; and the texts are translated, not copied.
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any

import pytest
import yaml

from workbook import messages, wording
from workbook.form import AGENCY_COLUMN_KEY, Form, available_forms, load_form

LOCALE = Path(messages.__file__).resolve().parent / "locale"
NB_FILES = sorted(p.name for p in (LOCALE / "nb").glob("*.yaml"))
FORMS = [load_form(*pair) for pair in available_forms()]
SENTENCE_END = re.compile(r"[.!?)»]$")
# Excel refuses these in a sheet name, and names longer than 31 characters.
SHEET_FORBIDDEN = set("[]:*?/\\")
# Sheets the tool adds beside the form's: the guide, the feedback sheet, the consolidation's.
CATALOGUE_SHEETS = ("workbook.guide_sheet", "annotate.sheet", "consolidate.figures_sheet",
                    "consolidate.texts_sheet", "consolidate.coverage_sheet")
# Words that are bokmål and not nynorsk: one of them in a nynorsk text is a line left untranslated.
BOKMAL_WORDS = re.compile(
    r"\b(ikke|virksomhet\w*|hva|hvem|hvilke\w*|hvordan|hvor|hvis|noen|noe|bare|ble|fra|egen|eget|egne|"
    r"tjenester|leverandører\w*|anskaffelse\w*|arbeidsboken|filen|cellen|tallet|tallene|svarene|meldingen|"
    r"kommer|gjelder|finnes|fylles|brukes|leses|skrives|sammenstill\w*|selv|deres|dere|hele|helt|høyst|"
    r"eksempel|tegn|flere|mangler|velg|være|lavest\w*|høyest\w*|uten|utenfor)\b", re.IGNORECASE)
LONG = 40  # a text this long (placeholders left out) is one a translator must have changed


def _names(template: str | list[str]) -> list[tuple[str, str]]:
    """(name, format spec) of every placeholder, sorted: ``{seconds:g}`` is ``("seconds", "g")``; a
    count with its words (``{count:virksomhet|virksomheter}``) is ``("count", "|")``, its words the language's."""
    items = template if isinstance(template, list) else [template]
    return sorted((name, "|" if spec and "|" in spec else spec or "") for item in items
                  for _, name, spec, _ in string.Formatter().parse(item) if name is not None)


def _bare(text: str) -> str:
    return re.sub(r"\{[^{}]*\}", "", text).strip()


def _tree(language: str, name: str) -> dict[str, Any]:
    return yaml.safe_load((LOCALE / language / name).read_text(encoding="utf-8"))


def _paths(tree: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(tree, dict):
        return {prefix: tree}
    return {path: leaf for key, inner in tree.items()
            for path, leaf in _paths(inner, f"{prefix}.{key}" if prefix else key).items()}


# --- the catalogue -------------------------------------------------------------------------------
def test_nynorsk_has_a_catalogue_file_for_each_bokmal_one_and_no_other() -> None:
    assert len(NB_FILES) >= 7
    assert sorted(p.name for p in (LOCALE / "nn").glob("*.yaml")) == NB_FILES


@pytest.mark.parametrize("name", NB_FILES)
def test_each_file_has_the_same_keys_placeholders_and_list_lengths(name: str) -> None:
    nb, nn = _paths(_tree("nb", name)), _paths(_tree("nn", name))
    assert sorted(set(nb) - set(nn)) == [], "missing in nynorsk"
    assert sorted(set(nn) - set(nb)) == [], "only in nynorsk"
    for key, bokmal in nb.items():
        nynorsk = nn[key]
        assert type(nynorsk) is type(bokmal), key
        if isinstance(bokmal, list):
            assert len(nynorsk) == len(bokmal), key
            for nb_item, nn_item in zip(bokmal, nynorsk):
                assert _names(nn_item) == _names(nb_item), key
        else:
            assert _names(nynorsk) == _names(bokmal), key


def test_every_text_with_placeholders_renders_in_nynorsk_with_bokmals_parameters() -> None:
    rendered = 0
    for key, template in messages.catalogue("nb").items():
        names = {name for name, _ in _names(template)}
        if isinstance(template, list) or not names:
            continue
        if "" in names:  # typer's own "{}" slots (help.default, help.envvar): filled by position
            assert messages.catalogue("nn")[key].format("X").count("X") == template.format("X").count("X")
            continue
        values = {name: 1000 + i for i, name in enumerate(sorted(names))}  # numbers suit every spec (:g)
        bokmal, nynorsk = messages.text(key, "nb", **values), messages.text(key, "nn", **values)
        for value in values.values():
            assert str(value) in nynorsk, (key, nynorsk)
        assert "{" not in nynorsk.replace("{{", ""), (key, nynorsk)
        rendered += 1 if nynorsk != bokmal else 0
    assert rendered > 100


def test_lists_read_in_nynorsk_too() -> None:
    assert len(messages.lines("workbook.guide_steps", "nn")) == len(messages.lines("workbook.guide_steps"))


@pytest.mark.parametrize("name", NB_FILES)
def test_no_catalogue_file_is_left_in_bokmal(name: str) -> None:
    """At most a small share of the long texts may be the same in both (a few read alike)."""
    nb, nn = _paths(_tree("nb", name)), _paths(_tree("nn", name))
    long = [key for key, value in nb.items() if len(_bare(" ".join(value) if isinstance(value, list) else value)) >= LONG]
    same = [key for key in long if nn[key] == nb[key]]
    assert long and len(same) <= max(1, len(long) // 10), same
    for key, value in nn.items():
        for item in value if isinstance(value, list) else [value]:
            assert not BOKMAL_WORDS.search(item), (key, BOKMAL_WORDS.findall(item), item)


def test_the_guide_says_the_forms_wording_is_bokmal_only_and_this_a_faithful_translation() -> None:
    guide = " ".join(messages.lines("workbook.guide_steps", "nn"))
    assert "berre på bokmål" in guide and "tru omsetjing" in guide
    assert "bokmål" not in " ".join(messages.lines("workbook.guide_steps", "nb"))


def test_the_workbooks_input_and_error_texts_fit_excel_in_nynorsk() -> None:
    """Excel refuses a data validation whose title is longer than 32 characters, its message 255."""
    for key in ("input_title_required", "input_title_optional", "error_title"):
        assert 0 < len(messages.text(f"workbook.{key}", "nn")) <= 32
    form = load_form()
    longest = max((", ".join(wording.choice_text(form, key, value, column, "nn") for value in values)
                   for key, column, values in _shown_choices(form)), key=len)
    errors = [messages.text("workbook.error_list", "nn", choices=longest),
              messages.text("workbook.error_int", "nn", min=2000),
              messages.text("workbook.error_length", "nn", max=32767)]
    assert "Eigen mal" in longest and all(0 < len(error) <= 255 for error in errors), errors  # Excel's limit


# --- the form's wording --------------------------------------------------------------------------
def _nn(form: Form) -> dict[str, Any]:
    return yaml.safe_load((form.path / "nn.yaml").read_text(encoding="utf-8"))


def _texts(form: Form, language: str) -> list[tuple[str, str]]:
    """(where, text) of every text the rules show, through the lookup."""
    found = [("title", wording.form_title(form, language))]
    for section in form.sections:
        found += [(f"{section.key}.sheet", wording.sheet_name(form, section.key, language)),
                  (f"{section.key}.title", wording.section_title(form, section.key, language))]
        if section.chapter:
            found.append((f"{section.key}.chapter", wording.chapter(form, section.key, language) or ""))
    for field in form.fields.values():
        for column in [None, *(c.key for c in field.columns)]:
            where = f"{field.key}.{column}" if column else field.key
            found += [(f"{where}.label", wording.label(form, field.key, column, language)),
                      (f"{where}.help", wording.help_text(form, field.key, column, language))]
    return found


def _shown_choices(form: Form) -> list[tuple[str, str | None, tuple[str, ...]]]:
    """(field, column, values) of every choice a person picks from words (not the metadata's codes)."""
    found = []
    for field in form.fields.values():
        if field.section != "metadata" and field.kind in ("choice", "choices"):
            found.append((field.key, None, field.allowed))
        found += [(field.key, c.key, c.allowed) for c in field.columns if c.kind in ("choice", "choices")]
    return found


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f"{f.form_id}/{f.form_version}")
def test_every_rules_text_has_a_nynorsk_text_and_there_are_no_others(form: Form) -> None:
    nn = _nn(form)
    assert set(nn) == {"form", "sections", "fields", "agency_column"} and set(nn["form"]) == {"title"}
    assert set(nn["sections"]) == {s.key for s in form.sections}
    for section in form.sections:
        assert set(nn["sections"][section.key]) == {"sheet", "title"} | ({"chapter"} if section.chapter else set())
    assert set(nn["fields"]) == set(form.fields)
    choices = {(key, column): values for key, column, values in _shown_choices(form)}
    for field in form.fields.values():
        entry = nn["fields"][field.key]
        tables = {"columns"} if field.is_table else set()
        assert set(entry) == {"label", "help"} | tables | ({"allowed"} if (field.key, None) in choices else set())
        if (field.key, None) in choices:
            assert set(entry["allowed"]) == set(choices[field.key, None]), field.key
        columns = {c.key for c in field.columns if c.key != AGENCY_COLUMN_KEY}
        assert set(entry.get("columns", {})) == columns, field.key
        for column in columns:
            shown = {"allowed"} if (field.key, column) in choices else set()
            assert set(entry["columns"][column]) == {"label", "help"} | shown, (field.key, column)
            if shown:
                assert set(entry["columns"][column]["allowed"]) == set(choices[field.key, column]), column
    assert set(nn["agency_column"]) == {"label", "help"}
    texts = _texts(form, "nn")
    assert len(texts) > 100
    for where, text in texts:
        assert isinstance(text, str) and text.strip() == text and text, where
        if where.endswith(".help"):
            assert len(text) <= 255 and SENTENCE_END.search(text), (where, text)  # Excel's input message
        assert not BOKMAL_WORDS.search(text), (where, BOKMAL_WORDS.findall(text), text)


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f"{f.form_id}/{f.form_version}")
def test_the_rules_wording_is_translated_not_copied(form: Form) -> None:
    pairs = list(zip(_texts(form, "nb"), _texts(form, "nn")))
    long = [(nb, nn) for (_, nb), (_, nn) in pairs if len(nb) >= LONG]
    same = [nb for nb, nn in long if nb == nn]
    assert len(long) > 40 and len(same) <= len(long) // 10, same


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f"{f.form_id}/{f.form_version}")
@pytest.mark.parametrize("language", ["nb", "nn"])
def test_sheet_names_are_valid_in_excel_and_distinct(form: Form, language: str) -> None:
    names = [wording.sheet_name(form, s.key, language) for s in form.sections]
    names += [messages.text(key, language) for key in CATALOGUE_SHEETS]
    for name in names:
        assert 0 < len(name) <= 31 and not SHEET_FORBIDDEN & set(name), name
        assert name == name.strip() and not name.startswith("'") and not name.endswith("'"), name
        assert name.casefold() != "history", name  # Excel keeps that name for itself
    assert len({n.casefold() for n in names}) == len(names), names  # Excel compares names case-blind


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f"{f.form_id}/{f.form_version}")
def test_table_headers_stay_distinct_in_nynorsk(form: Form) -> None:
    """An Excel table's header cells must differ; the consolidation's agency column is one of them."""
    for field in form.fields.values():
        if field.is_table:
            headers = [wording.label(form, field.key, c.key, "nn").casefold() for c in field.columns]
            assert AGENCY_COLUMN_KEY in {c.key for c in field.columns}
            assert len(set(headers)) == len(headers), (field.key, headers)


# --- the lookup ----------------------------------------------------------------------------------
@pytest.mark.parametrize("form", FORMS, ids=lambda f: f"{f.form_id}/{f.form_version}")
def test_bokmal_comes_from_the_rules_as_today(form: Form) -> None:
    assert wording.languages(form) == ["nb", "nn"]
    assert wording.form_title(form) == form.title
    for section in form.sections:
        assert wording.sheet_name(form, section.key) == section.sheet
        assert wording.section_title(form, section.key) == section.title
        assert wording.chapter(form, section.key) == section.chapter
    for field in form.fields.values():
        assert (wording.label(form, field.key), wording.help_text(form, field.key)) == (field.label, field.help)
        for column in field.columns:
            assert wording.label(form, field.key, column.key) == column.label
            assert wording.help_text(form, field.key, column.key) == column.help


def test_shown_choices_are_worded_while_the_stored_values_stay() -> None:
    form = load_form()
    assert wording.choice_text(form, "requirements", "Annet", "agreement_type", "nn") == "Anna"
    assert wording.choice_text(form, "requirements", "Annet", "agreement_type") == "Annet"
    assert wording.choice_text(form, "requirement_templates", "Egen mal", language="nn") == "Eigen mal"
    assert form.field("requirements").column("agreement_type").allowed == ("Rammeavtale", "Enkeltkontrakt", "Annet")
    for key, column, values in _shown_choices(form):
        shown = [wording.choice_text(form, key, value, column, "nn") for value in values]
        assert all(shown) and len(set(shown)) == len(values), (key, column, shown)
    with pytest.raises(KeyError):
        wording.choice_text(form, "requirements", "Anna", "agreement_type", "nn")  # a shown text is no value


def test_a_language_without_wording_is_a_clear_key_error() -> None:
    with pytest.raises(KeyError, match="se"):
        wording.label(load_form(), "org_name", language="se")
    for odd in ("../2020.1/form", "schema", "NN", "nn/../nn"):  # a language from a workbook is no path
        with pytest.raises(KeyError):
            wording.label(load_form(), "org_name", language=odd)
    assert wording.label(load_form(), "org_name", language="nn") == "Namn"
    assert wording.label(load_form(), "requirements", AGENCY_COLUMN_KEY, "nn") == "Verksemd"
