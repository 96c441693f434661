"""Realistic filled documents for the benchmarks, made from the form itself.

Every question of :func:`workbook.form.load_form` gets a value of its kind within its rules
(allowed values, minimum, maximum, maximum length, number of rows); the form's rules across fields
are then kept (a yes with its rows, a year not after the reporting year). A new question, column
or rule in the rules is in the corpus without touching this file. Where no rule says how large a
value is, the Oslo sample gives the scale (numbers) or the value (answers with a pattern, such as
an e-mail address).

About one document in ten carries deliberate mistakes, chosen by kind (text in a number cell, a
required answer left empty, a value outside its choices, a broken rule across fields...), so the
error paths run too.
"""

from __future__ import annotations

import functools
import json
import random
from pathlib import Path
from typing import Any

from workbook.form import Column, Field, Form, load_form

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "json" / "oslo-kommune-2020.json"
FORM = ("ehn-offentlig", "2020.1")
#: How often an answer the rules let stay empty is left empty.
EMPTY_SHARE = 0.3
#: The share of documents with deliberate mistakes.
FAULTY_SHARE = 0.10

WORDS = (
    "leverandør leverandører anskaffelse anskaffelser kontrakt kontraktsvilkår oppfølging risiko "
    "risikovurdering arbeidsforhold menneskerettigheter etisk handel sosiale krav revisjon egenrapportering "
    "dialog produksjonssted leverandørkjede innkjøp rammeavtale kompetanseheving opplæring virksomheten "
    "kommunen etaten rutiner systemer aktsomhetsvurderinger tekstiler arbeidsklær IKT-utstyr medisinsk "
    "forbruksmateriell mat drikke bygg anlegg naturstein stål fairtrade samarbeid nettverk rapportering "
    "ledelsen strategi plan årsplan tiltak status gjennomført videreføres pågående høy lav middels og i på "
    "for med til av som er det de en et å ble har vil kan skal også blant annet gjennom samt"
).split()
AGENCY_WORDS = ("Bymiljøetaten Helseetaten Kulturetaten Skoleetaten Utdanningsetaten Vann- og avløpsetaten "
                "Eiendomsetaten Sykehjemsetaten Velferdsetaten Renovasjonsetaten Brann- og redningsetaten").split()
PLACES = ("Fjordvik", "Nordby", "Sørvik", "Østmark", "Vestbyen", "Havnes", "Lia", "Dalen")


def _sentence(rng: random.Random, low: int = 6, high: int = 22) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def _paragraph(rng: random.Random, sentences: tuple[int, int] = (2, 6)) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(*sentences)))


def long_text(rng: random.Random) -> str:
    """1-6 paragraphs separated by blank lines; some paragraphs are bullet lists."""
    parts = []
    for _ in range(rng.randint(1, 6)):
        if rng.random() < 0.25:
            parts.append("\n".join("- " + _sentence(rng, 2, 10)[:-1] for _ in range(rng.randint(2, 7))))
        else:
            parts.append(_paragraph(rng))
    return "\n\n".join(parts)


def short_text(rng: random.Random, low: int = 2, high: int = 8, limit: int = 200) -> str:
    return _sentence(rng, low, high)[:-1][:limit]


# --- what the form says about an answer ----------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _sample() -> dict[str, Any]:
    with SAMPLE.open(encoding="utf-8") as handle:
        return json.load(handle)


def _sample_values(sample: dict[str, Any], field: Field, column: Column | None) -> list[Any]:
    value = sample["data"].get(field.key)
    if column is None:
        return [] if value is None else [value]
    return [row[column.key] for row in value or () if row.get(column.key) is not None]


def _value(rng: random.Random, form: Form, sample: dict[str, Any], field: Field,
           column: Column | None = None) -> Any:
    """A value of the kind of a question (or column), within its rules; None where it may be empty."""
    item = column or field  # its limits (minimum, maximum, minlength, maxlength, pattern) are the schema's
    if not item.required and rng.random() < EMPTY_SHARE:
        return None
    kind, in_table = item.kind, column is not None
    if kind == "int":
        low = item.minimum or 0
        seen = [v for v in _sample_values(sample, field, column) if isinstance(v, int)]
        # no maximum: up to as far above the sample's value as that is above the minimum
        fallback = 2 * max(seen) - low if seen else 10 ** rng.randint(1, 6)
        high = fallback if item.maximum is None else item.maximum
        return rng.randint(low, max(low, high))
    if kind == "yesno":
        return rng.random() < 0.5
    if kind == "choice":
        return rng.choice(item.allowed)
    if kind == "choices":
        return rng.sample(list(item.allowed), rng.randint(max(1, item.minlength or 1), len(item.allowed)))
    if item.pattern is not None:  # a pattern (e-mail, phone): the sample's own answer, which matches it
        return rng.choice(_sample_values(sample, field, column))
    limit = 32767 if item.maxlength is None else item.maxlength
    if kind == "longtext":
        text = _paragraph(rng, (1, 3)) if in_table else long_text(rng)
        return text[:limit]
    return short_text(rng, 2, 8, limit)


def _rows(rng: random.Random, form: Form, sample: dict[str, Any], field: Field) -> list[dict[str, Any]]:
    count = rng.randint(field.minlength or 0, field.rows or 10)
    columns = [c for c in field.columns if not c.consolidated_only]
    return [{c.key: _value(rng, form, sample, field, c) for c in columns} for _ in range(count)]


def keep_cross_rules(form: Form, document: dict[str, Any]) -> dict[str, Any]:
    """Make the answers agree with the form's rules across fields (the checks of workbook.crossrules)."""
    data = document["data"]
    values = {**document, **data}
    for rule in form.cross_rules:
        p = rule.params
        if rule.check == "yes_means_rows":
            data[p["answer"]] = len(data.get(p["table"]) or ()) >= p["min_rows"]
        elif rule.check == "yes_requires_rows" and len(data.get(p["table"]) or ()) < p["min_rows"]:
            data[p["answer"]] = False
        elif rule.check == "not_greater":
            value, limit = data.get(p["field"]), values.get(p["limit"])
            if isinstance(value, int) and isinstance(limit, int) and value > limit:
                data[p["field"]] = limit
        elif rule.check == "positive_requires_rows" and not data.get(p["table"]):
            data[p["field"]] = 0
    return document


def make_document(index: int, seed: int, form: Form | None = None) -> tuple[dict[str, Any], bool]:
    """One submission as the JSON format has it; ``True`` if it carries deliberate mistakes."""
    form = form or load_form(*FORM)
    sample = _sample()
    rng = random.Random(f"{seed}:{index}")
    data = {field.key: _rows(rng, form, sample, field) if field.is_table else _value(rng, form, sample, field)
            for field in form.questions()}
    agency = f"{rng.choice(AGENCY_WORDS)} {rng.choice(PLACES)} {index}"
    document = keep_cross_rules(form, {"form_id": form.form_id, "form_version": form.form_version,
                                       "reporting_year": sample["reporting_year"], "agency": agency, "data": data})
    faulty = rng.random() < FAULTY_SHARE
    if faulty:
        for _ in range(rng.randint(1, 3)):
            _mistake(rng, form, document)
    return document, faulty


# --- deliberate mistakes ---------------------------------------------------------------------------
def _mistake(rng: random.Random, form: Form, document: dict[str, Any]) -> None:
    """One mistake a person makes, on a question (or column) of the kind it needs."""
    data = document["data"]
    questions = form.questions()
    cells = [(f, c, row) for f in questions if f.is_table for row in data[f.key] for c in f.columns
             if not c.consolidated_only]
    choices = {
        "text in a number cell": [(f, None, None) for f in questions if f.kind == "int"],
        "a required answer left empty": [(f, None, None) for f in questions if f.required and not f.is_table],
        "text in a table's number column": [cell for cell in cells if cell[1].kind == "int"],
        "an answer not matching its pattern": [(f, None, None) for f in questions if f.pattern is not None],
        "a value outside its choices": [cell for cell in cells if cell[1].kind == "choice"],
        "a required column left empty": [cell for cell in cells if cell[1].required],
        "a rule across fields broken": [(r, None, None) for r in form.cross_rules if r.severity == "error"],
    }
    kind = rng.choice([name for name, found in choices.items() if found])
    target, column, row = rng.choice(choices[kind])
    if kind == "text in a number cell":
        data[target.key] = f"ca. {rng.randint(20, 900)}"
    elif kind == "a required answer left empty":
        data[target.key] = None
    elif kind == "text in a table's number column":
        row[column.key] = rng.choice(("mange", "tre", "2-3"))
    elif kind == "an answer not matching its pattern":
        data[target.key] = "se nettsiden vår"
    elif kind == "a value outside its choices":
        row[column.key] = "Noe annet"
    elif kind == "a required column left empty":
        row[column.key] = None
    else:
        _break(target, document)


def _break(rule: Any, document: dict[str, Any]) -> None:
    """Answers that break one rule across fields."""
    data, p = document["data"], rule.params
    if rule.check in ("yes_means_rows", "yes_requires_rows"):
        data[p["answer"]] = True
        data[p["table"]] = data[p["table"]][: p["min_rows"] - 1]
    elif rule.check == "not_greater":
        limit = {**document, **data}.get(p["limit"])
        data[p["field"]] = (limit if isinstance(limit, int) else 0) + 1
    elif rule.check == "positive_requires_rows":
        data[p["field"]], data[p["table"]] = 1, []
