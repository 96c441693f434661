from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from workbook.cli.common import (collect_workbooks, err, json_text, library_errors, out, say, styled, whole_number,
                                 write_stdout)
from workbook.cli.common import text  # the catalogue, in the CLI's language

if TYPE_CHECKING:  # the library is imported when a command runs, so `--help` stays quick
    from rich.console import Console

    from workbook.problems import Problem
    from workbook.validate import FileResult

PLACES_SHOWN = 5


def validate(
    paths: Annotated[list[str], typer.Argument(help=text("help.validate.paths"), metavar=text("help.paths"),
                                               show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help=text("help.validate.json"), metavar="")] = False,
    annotate: Annotated[Optional[Path], typer.Option(help=text("help.validate.annotate"),
                                                     metavar=text("help.folder"))] = None,
    strict: Annotated[bool, typer.Option("--strict", help=text("help.validate.strict"), metavar="")] = False,
    jobs: Annotated[Optional[str], typer.Option(help=text("help.jobs"), metavar=text("help.count"))] = None,
) -> None:
    """Check filled workbooks against the rules of their own form version (help: cli.yaml)."""
    files = collect_workbooks(paths)
    jobs_wanted = whole_number(jobs, "--jobs", minimum=1)
    if as_json and annotate is None:  # streamed: the parent holds one file's result at a time
        raise typer.Exit(_stream_json(files, jobs_wanted, strict))
    with library_errors():
        results = _run(files, jobs_wanted, annotate)
    for result in results:
        if result.annotated is False:
            say(err, text("cli.annotate_failed", file=result.file))
        elif result.annotated is not None:
            say(err, text("cli.annotated", path=result.annotated))
    ok = all(r.valid and not (strict and r.warnings) for r in results)
    if as_json:
        write_stdout(json_text({"valid": ok, "strict": strict, "files": [r.to_dict() for r in results]}))
    else:
        print_summary(results, out)
        print_problems([p for r in results for p in r.problems], out, {r.file: r.language for r in results})
        print_totals(results, out)
    raise typer.Exit(0 if ok else 1)


def _stream_json(files: list[Path], jobs: int | None, strict: bool) -> int:
    """``--json`` written file by file as results arrive (in input order); ``valid`` comes last,
    when it is known. Returns the exit code."""
    from workbook.validate import iter_validate

    ok = True
    write_stdout('{\n  "strict": ' + ("true" if strict else "false") + ',\n  "files": [')
    for number, result in enumerate(iter_validate(files, jobs=1 if len(files) == 1 else jobs)):
        ok = ok and result.valid and not (strict and result.warnings)
        entry = json_text(result.to_dict()).rstrip("\n").replace("\n", "\n    ")
        write_stdout(("," if number else "") + "\n    " + entry)
    write_stdout('\n  ],\n  "valid": ' + ("true" if ok else "false") + "\n}\n")
    return 0 if ok else 1


def _run(files: list[Path], jobs: int | None, annotate: Path | None) -> list[FileResult]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from workbook.validate import validate_paths

    if len(files) == 1:
        return validate_paths(files, jobs=1, annotate=annotate)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(text("cli.progress"), total=len(files))
        return validate_paths(files, jobs=jobs, progress=lambda _: progress.advance(task), annotate=annotate)


def _status(result: FileResult) -> str:
    if not result.readable:
        return text("cli.status_unreadable")
    return text("cli.status_valid") if result.valid else text("cli.status_invalid")


def print_summary(results: list[FileResult], console: Console) -> None:
    from rich.table import Table

    table = Table(title=text("cli.summary_title"), title_justify="left")
    for key in ("col_file", "col_agency", "col_status", "col_errors", "col_warnings"):
        table.add_column(text(f"cli.{key}"), justify="right" if key in ("col_errors", "col_warnings") else "left",
                         overflow="fold")
    for r in results:
        style = "green" if r.valid else "red"
        table.add_row(r.file, r.metadata.get("agency") or "", styled(_status(r), style),
                      str(len(r.errors)), str(len(r.warnings)))
    console.print(table)


def print_problems(problems: list[Problem], console: Console, languages: dict[str, str] | None = None) -> None:
    """Problems grouped by kind, errors first, the first few places of each with their message,
    worded in the language of its file's workbook (``languages``: file -> language; bokmål else)."""
    if not problems:
        return
    from workbook.messages import DEFAULT_LANGUAGE
    from workbook.problems import render

    groups: dict[tuple[str, str], list[Problem]] = defaultdict(list)
    for problem in problems:
        groups[(problem.severity, problem.code)].append(problem)
    console.print()
    say(console, text("cli.kinds_title"), "bold")
    for (severity, code), items in sorted(groups.items(), key=lambda g: (g[0][0] != "error", -len(g[1]))):
        title = text(f"kind.{code}")
        shown = text(f"cli.severity_{severity}")
        style = "red" if severity == "error" else "yellow"
        say(console, text("cli.kind_line", title=title, code=code, severity=shown, count=len(items)), style)
        for problem in items[:PLACES_SHOWN]:
            message = render(problem, (languages or {}).get(problem.file, DEFAULT_LANGUAGE))
            say(console, "  " + text("cli.problem_line", file=problem.file, message=message))
        if len(items) > PLACES_SHOWN:
            say(console, "  " + text("cli.more_places", count=len(items) - PLACES_SHOWN))


def print_totals(results: list[FileResult], console: Console) -> None:
    valid = sum(r.valid for r in results)
    console.print()
    say(console, text("cli.totals", files=len(results), valid=valid, invalid=len(results) - valid,
                      errors=sum(len(r.errors) for r in results), warnings=sum(len(r.warnings) for r in results)))
