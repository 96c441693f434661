"""What the commands share: the consoles and the one way anything reaches them, usage errors,
library exceptions as a one-line error, patterns in PATH arguments, JSON on stdout.

Everything the CLI prints as a string goes through :func:`printable` (in :class:`SafeConsole`,
whose ``render_str`` every printed text, table cell and title passes), so a control character
from a cell, a sheet name or a file name is shown escaped, never emitted.
"""

from __future__ import annotations

import errno
import glob
import json
import math
import os
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from workbook import messages
from workbook.errors import WorkbookError

#: The environment variable that chooses the language of the CLI's own words (nb, nn; default nb).
#: An environment variable, not an option, because the help texts are read when the CLI is imported.
LANGUAGE_VARIABLE = "WORKBOOK_LANG"


def cli_language() -> str:
    """The language of everything the CLI says itself (``WORKBOOK_LANG``; unknown or unset:
    bokmål). Problems are worded in each workbook's own language, not in this one."""
    wanted = os.environ.get(LANGUAGE_VARIABLE, "").strip()
    return wanted if wanted in messages.languages() else messages.DEFAULT_LANGUAGE


def text(key: str, /, **values: Any) -> str:
    """The catalogue's text for ``key`` in the CLI's language (:func:`cli_language`): the one
    way the CLI's modules word anything."""
    return messages.text(key, cli_language(), **values)


def warn_unknown_language() -> None:
    """One line on stderr when ``WORKBOOK_LANG`` names no language the catalogue has."""
    wanted = os.environ.get(LANGUAGE_VARIABLE, "").strip()
    if wanted and wanted not in messages.languages():
        say(err, text("cli.env_language_unknown", variable=LANGUAGE_VARIABLE, value=wanted,
                      languages=", ".join(messages.languages())))


class SafeConsole(Console):
    """A rich console that shows every string it renders (printed text, table cells, titles)
    through :func:`printable`; markup, emoji codes (":warning:") and highlighting are off, so what
    is printed is exactly the text given."""

    def __init__(self, **options: Any) -> None:
        super().__init__(soft_wrap=True, markup=False, emoji=False, highlight=False, **options)

    def render_str(self, text: str, **options: Any) -> Text:  # type: ignore[override]
        return super().render_str(self.showable(printable(text)), **options)

    def showable(self, text: str) -> str:
        """``text`` with what the console's encoding cannot show written as ``\\u014b`` before
        rendering, so tables keep their columns aligned."""
        try:
            text.encode(self.encoding)
        except (UnicodeEncodeError, LookupError):
            text = text.encode(self.encoding, "backslashreplace").decode(self.encoding)
        return text


#: Control characters (C0, DEL, C1), bidi embeddings, overrides and isolates, line and paragraph
#: separators, the byte order mark and lone surrogates: shown as ``\x1b`` / ``\u202e``.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")
_GLOB_MAGIC = re.compile(r"[*?[]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(value: object) -> str:
    """``value`` as text that is safe on a terminal: every control character shown escaped."""
    return _UNSAFE.sub(_escape, str(value))


def say(console: Console, message: object, style: str | None = None) -> None:
    """Print one message on ``console`` (a :class:`SafeConsole`: escaped)."""
    console.print(str(message), style=style)


def say_lines(console: Console, lines: list[tuple[str, str | None]]) -> None:
    """Print several messages, each ``(message, style)`` on its own line, in one go (rich's cost is
    per call: a collect's 1,000 receipts of six lines each cost half as much so)."""
    console.print(Text("\n").join(console.render_str(message, style=style or "") for message, style in lines))


def styled(catalogue_text: str, style: str) -> Text:
    """A table cell in a style: only for the catalogue's own words (other cells are plain strings,
    which :class:`SafeConsole` escapes)."""
    return Text(catalogue_text, style=style)


def setup_streams() -> None:
    """Never crash on a console or redirect that cannot show a character (Windows cp1252/cp850):
    such a character is written as ``\\u014b`` instead."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


out = SafeConsole()
err = SafeConsole(stderr=True)


def usage_error(message: str) -> NoReturn:
    """A usage error: ``Feil: …`` on stderr and exit code 2."""
    say(err, text("cli.error", message=message))
    raise typer.Exit(2)


def whole_number(value: str | None, option: str, minimum: int) -> int | None:
    """An option's value as a whole number of at least ``minimum``, or a usage error."""
    if value is None:
        return None
    try:
        number = int(value.strip())
    except ValueError:
        usage_error(text("usage.not_a_number", option=option, value=value))
    if number < minimum:
        usage_error(text("usage.too_small", option=option, value=value, minimum=minimum))
    return number


def existing_file(value: str | None, option: str) -> Path | None:
    """An option naming a file that must exist, or a usage error."""
    if value is None:
        return None
    path = Path(value)
    if not path.is_file():
        usage_error(text("usage.not_a_file" if path.exists() else "usage.no_such_file", option=option, path=value))
    return path


def expand_patterns(arguments: Iterable[str]) -> list[Path]:
    """PATH arguments as paths, with patterns (``innkomne/*.xlsx``, ``**``) expanded here, since
    Windows shells do not do it. A pattern that matches nothing, or a path that is not there, is a
    usage error naming it. A path that exists is taken as it is, even with ``*`` or ``[`` in it."""
    found: list[Path] = []
    for argument in arguments:
        if Path(argument).exists() or Path(argument).is_symlink():  # a dangling link: the library says why
            found.append(Path(argument))
        elif _GLOB_MAGIC.search(argument):
            matches = sorted(glob.glob(argument, recursive=True))
            if not matches:
                usage_error(text("usage.no_match", pattern=argument))
            found.extend(Path(match) for match in matches)
        else:
            usage_error(text("usage.no_such_path", path=argument))
    return found


def collect_workbooks(arguments: Iterable[str]) -> list[Path]:
    """The workbooks named by PATH arguments: patterns expanded, folders searched, other files in
    folders named as skipped. No workbook at all is a usage error."""
    from workbook.validate import expand_paths

    paths = expand_patterns(arguments)
    skipped: list[Path] = []
    files = expand_paths(paths, skipped)
    if skipped:
        say(err, text("cli.skipped", count=len(skipped), files=", ".join(p.name for p in skipped[:10])
                      + (" …" if len(skipped) > 10 else "")))
    if not files:
        usage_error(text("cli.no_files", paths=", ".join(map(str, paths))))
    return files


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # NaN and Infinity are not JSON
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def json_text(payload: Any) -> str:
    """``payload`` as JSON whose every character is ASCII (others escaped as ``\\u00e5``): valid
    UTF-8 and safe on a terminal, whatever the console's or the redirect's encoding."""
    return json.dumps(_jsonable(payload), ensure_ascii=True, indent=2, allow_nan=False, default=str) + "\n"


def ascii_json(json_source: str) -> str:
    """A JSON text with every non-ASCII character escaped (outside strings there are none), as
    ``ensure_ascii`` would have written it."""
    return re.sub(r"[^\x00-\x7f]", lambda m: json.dumps(m.group())[1:-1], json_source)


def write_stdout(content: str) -> None:
    sys.stdout.write(content)
    sys.stdout.flush()


_OS_REASONS = {
    errno.ENOENT: "missing", errno.EACCES: "denied", errno.EPERM: "denied", errno.EISDIR: "is_folder",
    errno.ENOTDIR: "not_folder", errno.ENOSPC: "disk_full", errno.EROFS: "read_only", errno.EEXIST: "exists",
    errno.ENAMETOOLONG: "name_too_long", errno.EBUSY: "denied",
}


def os_reason(error: OSError) -> str:
    """Why a file operation failed, in words from the catalogue (the system's own are English)."""
    if error.errno in _OS_REASONS:
        return text(f"oserror.{_OS_REASONS[error.errno]}")
    if error.errno is None:  # raised by this tool with a worded message
        return str(error)
    return text("oserror.other", code=errno.errorcode.get(error.errno, error.errno))


@contextmanager
def library_errors() -> Iterator[None]:
    """Library exceptions and failed file operations become ``Feil: …`` on stderr and exit code 2."""
    try:
        yield
    except WorkbookError as error:
        say(err, text("cli.error", message=error.worded(cli_language())))
        raise typer.Exit(2) from None
    except OSError as error:  # a folder that is not there, a file open in Excel or Word, a full disk
        if error.filename is None and error.errno is None:
            message = str(error)
        else:
            message = text("cli.os_error", file=error.filename or "", reason=os_reason(error))
        say(err, text("cli.error", message=message))
        raise typer.Exit(2) from None
