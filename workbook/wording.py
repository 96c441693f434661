"""The form's wording in a language: what a sheet, a question or a column is called and its help.

Bokmål is the form's own wording and comes from the rules as loaded into the :class:`Form`
(``form.yaml``, ``schema.yaml``). Any other language comes from ``<language>.yaml`` beside them
(e.g. ``rules/ehn-offentlig/2020.1/nn.yaml``, whose header describes its structure). Only shown
text differs between languages: keys and stored values (the JSON contract) never do.

Nothing here changes how the rest of the package gets bokmål today (``Field.label`` and so on);
these lookups are the one place a language's text is found, for the ``--lang`` plumbing to use.
A missing text is a bug in the language file and raises ``KeyError``, as
:func:`workbook.messages.text` does.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import yaml

from workbook.form import AGENCY_COLUMN_KEY, Form, SafeLoader
from workbook.messages import DEFAULT_LANGUAGE

#: A language code as the rules' file names use it (``nn``); the language may come from a workbook
#: being read, so nothing else ever becomes part of a path.
_LANGUAGE = re.compile(r"[a-z]{2,3}")


@functools.lru_cache(maxsize=None)
def translation(form: Form, language: str) -> dict[str, Any]:
    """The parsed ``<language>.yaml`` of ``form`` (KeyError if the form has none)."""
    path = form.path / f"{language}.yaml"
    if not _LANGUAGE.fullmatch(str(language)) or language == DEFAULT_LANGUAGE or not path.is_file():
        raise KeyError(f"{form.form_id} {form.form_version} has no wording in «{language}»")
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=SafeLoader) or {}


def languages(form: Form) -> list[str]:
    """Every language the form's wording exists in: bokmål first, then the translations, sorted."""
    others = sorted(p.stem for p in form.path.glob("*.yaml") if _LANGUAGE.fullmatch(p.stem))
    return [DEFAULT_LANGUAGE, *others]


def _entry(form: Form, key: str, column: str | None, language: str) -> dict[str, Any]:
    entry = translation(form, language)["fields"][key]
    if column is None:
        return entry
    columns = entry.get("columns", {})
    if column == AGENCY_COLUMN_KEY and column not in columns:
        return translation(form, language)["agency_column"]
    return columns[column]


def _bokmal(form: Form, key: str, column: str | None) -> Any:
    field = form.field(key)
    return field if column is None else field.column(column)


def label(form: Form, key: str, column: str | None = None, language: str = DEFAULT_LANGUAGE) -> str:
    """The label of field ``key`` (or of its table column ``column``) in ``language``."""
    if language == DEFAULT_LANGUAGE:
        return _bokmal(form, key, column).label
    return str(_entry(form, key, column, language)["label"])


def help_text(form: Form, key: str, column: str | None = None, language: str = DEFAULT_LANGUAGE) -> str:
    """The help of field ``key`` (or of its table column ``column``) in ``language``."""
    if language == DEFAULT_LANGUAGE:
        return _bokmal(form, key, column).help
    return str(_entry(form, key, column, language)["help"])


def choice_text(form: Form, key: str, value: str, column: str | None = None,
                language: str = DEFAULT_LANGUAGE) -> str:
    """How the stored choice ``value`` of ``key`` (or of ``column``) is shown in ``language``.

    The value itself is what the data holds in every language; only its shown text differs."""
    allowed = _bokmal(form, key, column).allowed
    if value not in allowed:
        raise KeyError(f"«{value}» is not a choice of {key}{'.' + column if column else ''}")
    if language == DEFAULT_LANGUAGE:
        return value
    return str(_entry(form, key, column, language)["allowed"][value])


def _section(form: Form, section: str, language: str) -> dict[str, Any]:
    return translation(form, language)["sections"][section]


def _bokmal_section(form: Form, section: str) -> Any:
    for found in form.sections:
        if found.key == section:
            return found
    raise KeyError(section)


def section_title(form: Form, section: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The heading of section ``section`` (its key in form.yaml) in ``language``."""
    if language == DEFAULT_LANGUAGE:
        return _bokmal_section(form, section).title
    return str(_section(form, section, language)["title"])


def sheet_name(form: Form, section: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The worksheet name of section ``section`` in ``language``."""
    if language == DEFAULT_LANGUAGE:
        return _bokmal_section(form, section).sheet
    return str(_section(form, section, language)["sheet"])


def chapter(form: Form, section: str, language: str = DEFAULT_LANGUAGE) -> str | None:
    """The report chapter opened before section ``section`` in ``language`` (None where none is)."""
    bokmal = _bokmal_section(form, section).chapter
    if language == DEFAULT_LANGUAGE or bokmal is None:
        return bokmal
    return str(_section(form, section, language)["chapter"])


def form_title(form: Form, language: str = DEFAULT_LANGUAGE) -> str:
    """The form's title (the workbook's and the report's heading) in ``language``."""
    if language == DEFAULT_LANGUAGE:
        return form.title
    return str(translation(form, language)["form"]["title"])
