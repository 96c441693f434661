"""The ``workbook`` command: a thin layer over the library (parse, call, print, exit).

Only this package knows typer and rich. Exit codes: 0 all good, 1 a file is invalid or a step
failed on the data, 2 a usage error or a run that could not start. Every word it prints, typer's
own included, comes from the catalogue (``workbook/locale/<lang>/cli.yaml``; see ``localized.py``),
in the language ``WORKBOOK_LANG`` chooses (``common.cli_language``).
"""

from __future__ import annotations

from typing import Annotated

import typer

from workbook.cli import consolidate, export, generate, register, report, validate
from workbook.cli.common import out, say, setup_streams, warn_unknown_language
from workbook.cli.localized import Command, Group
from workbook.cli.common import text  # the catalogue, in the CLI's language

app = typer.Typer(
    name="workbook",
    cls=Group,
    help=text("help.app"),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    options_metavar=text("help.options_metavar"),
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("workbook")
        except PackageNotFoundError:  # run from a checkout without installing
            from workbook import __version__ as number
        say(out, text("help.version", version=number))
        raise typer.Exit(0)


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", help=text("help.version_option"), is_eager=True,
                                                callback=_show_version, metavar="", show_default=False)] = False,
          ) -> None:
    pass


for _name, _module in (("generate", generate), ("validate", validate), ("export", export),
                       ("consolidate", consolidate), ("report", report)):
    app.command(_name, cls=Command, help=text(f"help.{_name}.command"))(getattr(_module, _name))
app.add_typer(register.app, name="register", help=text("register.help"))


def main() -> None:
    setup_streams()
    warn_unknown_language()
    app()
