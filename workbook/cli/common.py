"""What the commands share: consoles and turning library exceptions into a one-line error."""

from __future__ import annotations

from contextlib import contextmanager
from collections.abc import Iterator

import typer
from rich.console import Console

from workbook.errors import WorkbookError
from workbook.messages import text

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


@contextmanager
def library_errors() -> Iterator[None]:
    """Library exceptions become ``Feil: …`` on stderr and exit code 2."""
    try:
        yield
    except WorkbookError as error:
        err.print(text("cli.error", message=str(error)), markup=False, highlight=False)
        raise typer.Exit(2) from None
