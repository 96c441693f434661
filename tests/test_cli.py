"""The command line as a whole: every command explains itself and is documented; exit codes."""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from editing import cell_of
from workbook.cli import app
from workbook.document import load_document
from workbook.generate import generate

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ["generate", "validate", "export", "consolidate", "report"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_in_the_readme(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert len(result.output.strip().splitlines()) > 5
    assert f"`workbook {command}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_top_level_help_lists_every_command() -> None:
    output = CliRunner().invoke(app, ["--help"]).output
    assert all(command in output for command in COMMANDS)


@pytest.fixture(scope="module")
def warned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid workbook with one warning: the covered value exceeds total purchases."""
    document = load_document(ROOT / "samples" / "json" / "oslo-kommune-2020.json")
    document["data"]["covered_value_nok"] = document["data"]["total_purchases_nok"] + 1
    return generate(tmp_path_factory.mktemp("warned") / "warned.xlsx", prefill=document)


def test_warnings_pass_unless_strict(warned: Path) -> None:  # noqa: ANN001
    runner = CliRunner()
    plain = runner.invoke(app, ["validate", str(warned), "--json"])
    assert plain.exit_code == 0
    payload = json.loads(plain.stdout)
    (problem,) = payload["files"][0]["problems"]
    assert (problem["code"], problem["severity"], problem["cell"]) == ("covered-value-over-total", "warning", cell_of(warned, "covered_value_nok")[1])
    strict = runner.invoke(app, ["validate", str(warned), "--strict", "--json"])
    assert strict.exit_code == 1 and json.loads(strict.stdout)["valid"] is False


def test_report_refuses_a_workbook_with_errors(tmp_path: Path) -> None:
    bad = ROOT / "samples" / "fjordvik" / "agency-teknisk-med-feil.xlsx"
    result = CliRunner().invoke(app, ["report", str(bad), "-o", str(tmp_path / "r.docx")])
    assert result.exit_code == 1
    assert "ca. 300" in result.stderr and not (tmp_path / "r.docx").exists()


def test_report_pdf_says_clearly_when_libreoffice_is_missing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no soffice to be found
    import workbook.pdf

    monkeypatch.setattr(workbook.pdf, "find_soffice", lambda: None)
    result = CliRunner().invoke(app, ["report", str(ROOT / "samples" / "oslo-kommune-2020.xlsx"),
                                      "-o", str(tmp_path / "r.docx"), "--pdf"])
    assert result.exit_code == 2
    assert (tmp_path / "r.docx").exists()  # the Word report is still written
    assert "LibreOffice" in result.stderr and "Traceback" not in result.stderr


def test_outputs_go_into_new_folders_and_unwritable_targets_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    oslo = str(ROOT / "samples" / "oslo-kommune-2020.xlsx")
    made = runner.invoke(app, ["report", oslo, "-o", str(tmp_path / "new" / "folder" / "r.docx")])
    assert made.exit_code == 0 and (tmp_path / "new" / "folder" / "r.docx").exists()
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    for args in (["report", oslo, "-o", str(blocker / "r.docx")], ["export", oslo, "-o", str(blocker / "d.json")],
                 ["generate", "-o", str(blocker / "g.xlsx")]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, args
        assert result.stderr.startswith("Feil:") and "Traceback" not in result.stderr, args


# --- Norwegian everywhere: help, usage errors, library messages ---------------------------------
#: Words typer and click print in English, and the type names of typer's help.
ENGLISH = re.compile(r"Usage|Options|Arguments|Commands|Show this|\[default|\[required|Error|Try |Missing|"
                     r"No such|Invalid|does not|Got unexpected|requires|Did you mean|Possible|Aborted|"
                     r"<bool>|<int|<str>|<list|<path>|<dir>|<file>|\bPATH\b|\bTEXT\b|\bINTEGER\b|"
                     r"unknown key|no rules|expected|not valid")


@pytest.mark.parametrize("args", [[], ["-h"], ["--help"], *([c, "-h"] for c in COMMANDS), *([c, "--help"]
                                                                                               for c in COMMANDS)])
def test_help_is_norwegian_with_h_and_help(args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == (2 if not args else 0)  # no arguments: the help, as a usage error
    assert "Bruk: workbook" in result.output and "Vis denne hjelpen og avslutt." in result.output
    assert not ENGLISH.search(result.output), ENGLISH.search(result.output)


def test_version() -> None:
    from workbook import __version__

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"workbook {__version__}"


@pytest.mark.parametrize(("args", "said"), [
    (["validate"], "«STI» mangler."),
    (["generate"], "Valget «--output» / «-o» må oppgis."),
    (["validate", "--bogus", "x.xlsx"], "Ukjent valg: «--bogus»."),
    (["valdate", "x"], "Ukjent kommando: «valdate». Mente du «validate»?"),
    (["export", "a.xlsx", "b.xlsx", "-o", "x.json"], "For mange argumenter: b.xlsx."),
    (["generate", "-o"], "Valget «-o» trenger en verdi."),
    (["validate", "--json=ja", "x.xlsx"], "Valget «--json» tar ingen verdi."),
    (["generate", "-o", "x.xlsx", "--year", "tjue"], "--year: «tjue» er ikke et helt tall."),
    (["validate", "--jobs", "0", "samples"], "--jobs: «0» er mindre enn 1."),
    (["validate", "finnes-ikke.xlsx"], "«finnes-ikke.xlsx» finnes ikke."),
    (["export", "finnes-ikke.xlsx", "-o", "x.json"], "«finnes-ikke.xlsx» finnes ikke."),
    (["report", "samples", "-o", "x.docx"], "«samples» er ikke en fil."),
    (["generate", "-o", "x.xlsx", "--prefill", "finnes-ikke.json"], "--prefill: «finnes-ikke.json» finnes ikke."),
    (["validate", "samples/*.xlsb"], "Ingen filer passer til mønsteret «samples/*.xlsb»."),
])
def test_usage_errors_are_norwegian_and_exit_2(args: list[str], said: str, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert f"Feil: {said}" in result.stderr or said in result.stderr, result.stderr
    assert not ENGLISH.search(result.stderr), ENGLISH.search(result.stderr)
    assert result.stdout == ""


def test_an_empty_folder_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "tom").mkdir()
    result = CliRunner().invoke(app, ["validate", str(tmp_path / "tom")])
    assert result.exit_code == 2 and "Fant ingen arbeidsbøker" in result.stderr
    consolidated = CliRunner().invoke(app, ["consolidate", str(tmp_path / "tom"), "-o", str(tmp_path / "s.xlsx")])
    assert consolidated.exit_code == 2 and "Fant ingen arbeidsbøker" in consolidated.stderr


def test_patterns_in_paths_are_expanded_by_the_tool(tmp_path: Path, monkeypatch) -> None:
    for name in ("innkomne/a.xlsx", "innkomne/b.xlsx", "innkomne/gammel/c.xlsx"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "samples" / "fjordvik" / "agency-skoleetaten.xlsx", tmp_path / name)
    monkeypatch.chdir(tmp_path)
    files = lambda args: [f["file"] for f in json.loads(CliRunner().invoke(app, ["validate", "--json", *args])
                                                         .stdout)["files"]]
    assert files(["innkomne/*.xlsx"]) == [str(Path("innkomne/a.xlsx")), str(Path("innkomne/b.xlsx"))]
    assert files(["innkomne/**/*.xlsx"]) == [str(Path(p)) for p in
                                             ("innkomne/a.xlsx", "innkomne/b.xlsx", "innkomne/gammel/c.xlsx")]
    assert files(["innkomne/[b]*.xlsx"]) == [str(Path("innkomne/b.xlsx"))]
    literal = tmp_path / "innkomne" / "[b].xlsx"  # a file whose name looks like a pattern is itself
    shutil.copy(tmp_path / "innkomne" / "a.xlsx", literal)
    assert files(["innkomne/[b].xlsx"]) == [str(Path("innkomne/[b].xlsx"))]


def test_library_refusals_are_norwegian(tmp_path: Path) -> None:
    document = load_document(ROOT / "samples" / "json" / "oslo-kommune-2020.json")
    cases = {"ukjent": ({**document, "data": {**document["data"], "antall_ansatte": 3}},
                        "JSON-filen har ukjente nøkler i «data»: antall_ansatte."),
             "versjon": ({**document, "form_version": "1999.9"},
                         "Fant ingen regler for skjemaet «ehn-offentlig», versjon «1999.9»."),
             "tabell": ({**document, "data": {**document["data"], "requirements": [{"vare": "x"}]}},
                        "Rad 1 av «requirements» i JSON-filen har kolonner som skjemaet ikke har: vare.")}
    for name, (data, said) in cases.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")
    (tmp_path / "ødelagt.json").write_text('{"data": {', encoding="utf-8")
    cases["ødelagt"] = (None, "ødelagt.json er ikke gyldig JSON (linje 1, kolonne 11).")
    for name, (_, said) in cases.items():
        result = CliRunner().invoke(app, ["generate", "-o", str(tmp_path / "x.xlsx"),
                                          "--prefill", str(tmp_path / f"{name}.json")])
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("Feil: ") and said in result.stderr, result.stderr
        assert not ENGLISH.search(result.stderr), result.stderr
    assert not (tmp_path / "x.xlsx").exists()


def test_every_library_exception_is_raised_with_a_catalogue_key() -> None:
    """A raise of a WorkbookError names a key of the catalogue (or passes text(...)): never English."""
    import importlib

    from workbook.errors import WorkbookError
    from workbook.messages import catalogue

    for path in sorted(p for p in (ROOT / "workbook").rglob("*.py") if p.name != "__main__.py"):
        importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"))
    classes, pending = set(), [WorkbookError]
    while pending:
        for sub in pending.pop().__subclasses__():
            classes.add(sub.__name__)
            pending.append(sub)
    wrong = []
    for path in sorted((ROOT / "workbook").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            call = node.exc
            name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")
            if name not in classes or name in ("UnknownFormError", "WorkerStartError"):  # they name their key
                continue
            first = call.args[0] if call.args else None
            keyed = isinstance(first, ast.Constant) and first.value in catalogue()
            worded = isinstance(first, ast.Call) and getattr(first.func, "id", "") == "text"
            if not (keyed or worded):
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not wrong, f"raised without a catalogue key: {wrong}"


def test_agency_and_year_given_with_prefill_are_used_and_said(tmp_path: Path) -> None:
    from workbook.read import read_workbook

    prefill = str(ROOT / "samples" / "json" / "oslo-kommune-2020.json")
    result = CliRunner().invoke(app, ["generate", "-o", str(tmp_path / "x.xlsx"), "--prefill", prefill,
                                      "--agency", "Bymiljøetaten", "--year", "2021"])
    assert result.exit_code == 0, result.output
    assert "--agency «Bymiljøetaten» brukes i stedet for «Oslo kommune» fra JSON-filen." in result.stderr
    assert "--year «2021» brukes i stedet for «2020»" in result.stderr
    metadata = read_workbook(tmp_path / "x.xlsx").metadata
    assert (metadata["agency"], metadata["reporting_year"]) == ("Bymiljøetaten", 2021)
    other = CliRunner().invoke(app, ["generate", "-o", str(tmp_path / "y.xlsx"), "--prefill", prefill,
                                     "--form-version", "2021.1"])
    assert other.exit_code == 2 and "skjemaversjon «2020.1», ikke «2021.1»" in other.stderr


def test_output_and_library_errors_are_one_escaped_line(tmp_path: Path) -> None:
    blocker = tmp_path / "fil\x1b[2J"
    blocker.write_text("ikke en mappe", encoding="utf-8")
    result = CliRunner().invoke(app, ["generate", "-o", str(blocker / "g.xlsx")])
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr and "fil\\x1b[2J" in result.stderr
    assert "det finnes allerede en fil med dette navnet der det trengs en mappe" in result.stderr


def test_the_readme_quotes_the_help_and_lists_every_option() -> None:
    from typer.main import get_command

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = "\n".join(line.rstrip() for line in CliRunner().invoke(app, ["-h"]).output.splitlines()).strip("\n")
    assert f"```\n{shown}\n```" in readme
    group = get_command(app)
    for name in COMMANDS:
        (row,) = [line for line in readme.splitlines() if line.startswith(f"| `workbook {name} ")]
        usage = row.split("`")[1]
        options = [p for p in group.commands[name].params if p.param_type_name == "option"]
        tokens = set(re.findall(r"(?<![\w-])--?[a-z][a-z-]*", usage))
        assert tokens <= {opt for o in options for opt in o.opts}, (name, tokens)  # nothing the command lacks
        assert all(tokens & set(o.opts) for o in options), name  # and every option it has
        for option in options:
            if option.metavar:
                assert any(f"{opt} {option.metavar}" in usage for opt in option.opts), (name, option.opts)
