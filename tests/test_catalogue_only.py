"""No user-facing text is built outside the catalogues (``workbook/locale/<lang>/``) and the rules.

Two checks. The source scan reads every module of the package and fails on a string literal
(docstrings aside) that holds Norwegian prose: a letter æ, ø or å, or a word of the list below.
The pseudo-locale run renders what the CLI prints and what a consolidation writes through a
transformed catalogue (every text marked): a line or a cell the tool wrote itself without the mark
was built outside the catalogue.
"""

from __future__ import annotations

import ast
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from editing import cell_of, edit
from workbook import docx_columns, messages, report_template

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "workbook"

#: Norwegian prose: its letters, or a word of either written standard that English code never uses.
NORWEGIAN = re.compile(
    r"[æøåÆØÅ]|\b(ikke|ikkje|feil|og|av|fra|frå|virksomhet\w*|verksemd\w*|arbeidsbok\w*|skjema\w*|celle\w*|"
    r"arket|svar\w*|tall|tallet|tal|mangler|skriv\w*|skrev|skreiv|velg|rapporten|medlem\w*|nei|annet|advarsel|"
    r"avsnitt\w*|tabell\w*|raden|rada|vedlegg\w*|sammenstill\w*|samanstill\w*|fylles|kommer)\b", re.IGNORECASE)

#: The few literals that hold Norwegian on purpose: values, not texts the tool shows in a language.
ALLOWED = {
    # what a person may type for yes and no (the same in both standards); a yes/no cell read as text
    ("normalize.py", "ja"), ("normalize.py", "nei"), ("normalize.py", "Ja"), ("normalize.py", "Nei"),
    # the archive package's metadata vocabulary (docs/archive-format.md): codes and field names of a
    # documented format, the same whatever language the tool speaks
    *{("archive.py", word) for word in ("medlem", "virksomhet", "kan ikke leses", "skjema")},
    # the folding table of file names made from agencies' names (letters, not a text)
    *{("filenames.py", letter) for letter in "æÆøØ"},
    # the characters whose widths measure a text (not a text itself)
    ("docx_columns.py", docx_columns._MEASURED),
    # the custom styles are built under these names, then renamed from the catalogue (STYLE_NAMES)
    *{("report_template.py", name) for name, _ in report_template.STYLE_NAMES},
}


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def prose_literals(source: str) -> list[tuple[int, str]]:
    """(line, literal) of every string literal of ``source`` with Norwegian prose in it; an
    f-string's fixed parts count, docstrings do not."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
            and NORWEGIAN.search(node.value)]


def test_no_module_holds_norwegian_prose_outside_the_catalogues() -> None:
    found = [f"{path.relative_to(ROOT)}:{line}: {value!r}"
             for path in sorted(PACKAGE.rglob("*.py"))
             for line, value in prose_literals(path.read_text(encoding="utf-8"))
             if (path.name, value) not in ALLOWED]
    assert not found, "move these into workbook/locale/<lang>/ (both languages):\n" + "\n".join(found)


def test_the_scan_finds_prose_in_plain_and_formatted_strings() -> None:
    source = 'def f(n):\n    """Skriv ut feil."""\n    say(f"{n} feil")\n    return "Verksemd", "a key"\n'
    assert sorted(value for _, value in prose_literals(source)) == [" feil", "Verksemd"]


# --- the pseudo-locale run ---------------------------------------------------------------------
MARK = "\u00a7"  # «§»: no text of the catalogue holds it


def _marked(value: Any) -> Any:
    return [MARK + item for item in value] if isinstance(value, list) else MARK + value


def _pseudo(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on every catalogue text, in every language, begins with the mark."""
    real = messages.catalogue
    monkeypatch.setattr(messages, "catalogue", lambda language="nb": {
        key: _marked(value) for key, value in real(language).items()})


@pytest.fixture()
def pseudo(monkeypatch: pytest.MonkeyPatch) -> None:
    _pseudo(monkeypatch)


def test_every_line_validate_prints_comes_from_the_catalogue(tmp_path: Path, pseudo: None,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from documents import filled_document
    from workbook.generate import generate

    path = generate(tmp_path / "oslo.xlsx", prefill=filled_document())
    edit(path, {cell_of(path, "employees"): "mange"})
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app(), ["validate", path.name])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if re.search(r"[^\W\d_]", line)]
    rows = [line for line in lines if line.lstrip().startswith(("│", "┃"))]  # the summary table's
    assert all(MARK in line for line in rows[:1]) and MARK in next(r for r in rows if path.name in r)
    said = [line for line in lines if line not in rows]
    assert len(said) >= 4
    for line in said:
        assert MARK in line, line


def test_every_text_the_consolidation_writes_itself_comes_from_the_catalogue(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The agencies' workbooks are read with the real catalogue (the reader knows the words they
    show); what the consolidation writes is then written through the marked one."""
    from workbook.consolidate import consolidate, write_consolidated
    from workbook.document import load_document
    from workbook.generate import generate

    samples = ROOT / "samples" / "json" / "fjordvik"
    typed: set[str] = set()
    for source in samples.glob("*.json"):
        document = load_document(source)
        typed |= {v for v in _leaves(document) if isinstance(v, str)}
        generate(tmp_path / "in" / f"{source.stem}.xlsx", prefill=document, created=datetime(2021, 2, 15))
    outcome = consolidate([tmp_path / "in"], jobs=1)
    _pseudo(monkeypatch)
    write_consolidated(outcome, tmp_path / "samlet.xlsx")
    _every_line_printed_is_marked(outcome)
    form = outcome.form
    book = openpyxl.load_workbook(tmp_path / "samlet.xlsx")
    extra = [ws for ws in book.worksheets if ws.title.startswith(MARK) and ws.title != book.worksheets[0].title]
    assert len(extra) == 3
    from_rules = {f.label for f in form.fields.values()} | {s.title for s in form.sections} | set(form.fields)
    for ws in extra:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if not isinstance(value, str) or not value or ws.column_dimensions[cell.column_letter].hidden:
                    continue  # the hidden key columns hold keys, read back by the tool
                ours = value not in typed and value not in from_rules and not value.endswith(".xlsx") \
                    and "/" not in value and value not in {r.metadata.get("agency") for r in outcome.agencies}
                assert not ours or value.startswith(MARK) or value in outcome.document["data"].values(), \
                    (ws.title, cell.coordinate, value)


def _every_line_printed_is_marked(outcome: Any) -> None:
    """What ``consolidate`` prints about a batch: every line but the figures table's rows (the
    form's labels and numbers) is the catalogue's."""
    from workbook.cli.common import SafeConsole
    from workbook.cli.consolidate import print_outcome
    from workbook.cli.validate import print_problems

    console = SafeConsole(record=True, width=200)
    print_outcome(outcome, console)
    print_problems([p for r in outcome.invalid for p in r.problems], console)
    lines = [line for line in console.export_text().splitlines() if re.search(r"[^\W\d_]", line)]
    said = [line for line in lines if not line.lstrip().startswith(("│", "┃"))]
    assert outcome.invalid and len(said) >= 8
    for line in said:
        assert MARK in line, line


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for inner in value.values() for leaf in _leaves(inner)]
    if isinstance(value, list):
        return [leaf for inner in value for leaf in _leaves(inner)]
    return [value]


def app() -> Any:
    from workbook.cli import app as command

    return command
