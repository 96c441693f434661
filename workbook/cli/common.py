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
    """Library exceptions and failed file operations become ``Feil: …`` on stderr and exit code 2."""
    try:
        yield
    except WorkbookError as error:
        err.print(text("cli.error", message=str(error)), markup=False, highlight=False)
        raise typer.Exit(2) from None
    except OSError as error:  # a folder that is not there, a file open in Excel or Word, a full disk
        message = text("cli.os_error", file=error.filename or "", reason=error.strerror or str(error))
        err.print(text("cli.error", message=message), markup=False, highlight=False)
        raise typer.Exit(2) from None
