"""Folders the register writes packages into (``feedback``, ``export``): never over anything there."""

from __future__ import annotations

from pathlib import Path

from workbook.register.db import RegisterError


def fresh_folder(folder: Path | str) -> Path:
    """``folder``, created if need be; a :class:`RegisterError` when it holds anything already (the
    tool never overwrites or mixes in a file it did not just write) or is a file."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise RegisterError("register.out.error_not_folder", path=folder)
    if folder.is_dir() and any(folder.iterdir()):
        raise RegisterError("register.out.error_not_empty", path=folder)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_new(path: Path, data: bytes) -> Path:
    """Write ``data`` to a new file ``path`` (its folder created); never replaces a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("xb") as handle:
        handle.write(data)
    return path
