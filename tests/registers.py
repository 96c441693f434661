"""Registers to test with: a register filled from the bundled Fjordvik samples (built once per
session, copied per test), the Fjordvik list of agencies, and the ways tests look into a register.

- ``FJORDVIK`` the sample workbooks; ``FJORDVIK_AGENCIES`` their list (name, role, e-mail);
- ``add_agencies(reg, year, rows)`` puts a list of agencies in, through ``reg.transaction()``;
- ``build_register(folder, files, ...)`` a new register at ``folder/register.sqlite`` with ``files`` collected;
- ``copy_register(db, folder)`` a copy of a closed register (database and store) in ``folder``;
- ``every_value(db)`` every value of every row of every table (to look for paths);
- ``run_workbook(*args, cwd=...)`` ``python -m workbook ...`` as a real process.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Iterable, Sequence
from pathlib import Path

from workbook.register import Register
from workbook.register.collect import collect
from workbook.register.db import store_folder

ROOT = Path(__file__).resolve().parent.parent
FJORDVIK = ROOT / "samples" / "fjordvik"
YEAR = 2020
#: the expected agencies of the Fjordvik samples: name, role ('member'/'agency'), contact e-mail
FJORDVIK_AGENCIES: tuple[tuple[str, str, str], ...] = (
    ("Fjordvik kommune", "member", "etisk.handel@fjordvik.no"),
    ("Fjordvik kommune, Bymiljøetaten", "agency", "post@bym.fjordvik.no"),
    ("Fjordvik kommune, Helseetaten", "agency", "post@helse.fjordvik.no"),
    ("Fjordvik kommune, Kultur- og idrettsetaten", "agency", "post@kultur.fjordvik.no"),
    ("Fjordvik kommune, Skoleetaten", "agency", "post@skole.fjordvik.no"),
    ("Fjordvik kommune, Teknisk etat", "agency", "post@teknisk.fjordvik.no"),
)


def fjordvik_files() -> list[Path]:
    return sorted(FJORDVIK.glob("*.xlsx"))


def add_agencies(reg: Register, year: int, rows: Iterable[tuple[str, str, str | None]]) -> None:
    """The list of ``year`` (name, role, e-mail), written into the table as the CSV import writes it
    (tests that add agencies in steps: an import replaces the year's list)."""
    from workbook.register.names import name_key

    with reg.transaction() as conn:
        conn.executemany("INSERT INTO agencies (year, name, name_key, role, email) VALUES (?, ?, ?, ?, ?)",
                         [(year, name, name_key(name), role, email) for name, role, email in rows])


def build_register(folder: Path, files: Sequence[Path] | None = None, *, agencies: bool = True,
                   sender: str | None = "post@fjordvik.no", jobs: int = 2) -> Path:
    """A new register in ``folder`` with the Fjordvik list (unless ``agencies`` is false) and
    ``files`` (default: every Fjordvik sample) collected; its database path."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "register.sqlite"
    with Register.open(db) as reg:
        if agencies:
            add_agencies(reg, YEAR, FJORDVIK_AGENCIES)
        collect(reg, fjordvik_files() if files is None else files, sender=sender, jobs=jobs)
    return db


def copy_register(db: Path, folder: Path) -> Path:
    """A copy of the (closed) register ``db`` and its store in ``folder``; the copy's database path."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / db.name
    with sqlite3.connect(db) as conn:  # the WAL into the main file, so one file holds it all
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    shutil.copyfile(db, target)
    shutil.copytree(store_folder(db), store_folder(target))
    return target


def every_value(db: Path) -> list[tuple[str, str, object]]:
    """Every value in the register's database: (table, column, value)."""
    conn = sqlite3.connect(db)
    try:
        found = []
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            cursor = conn.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from sqlite_master
            columns = [d[0] for d in cursor.description]
            for row in cursor:
                found.extend((table, column, value) for column, value in zip(columns, row))
        return found
    finally:
        conn.close()


def run_workbook(*args: str, cwd: Path, timeout: float = 120, **options: object) -> subprocess.CompletedProcess[str]:
    """``python -m workbook ARGS`` in ``cwd`` as a real process, its output as text."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
    env.pop("WORKBOOK_DB", None)
    return subprocess.run([sys.executable, "-m", "workbook", *args], cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", timeout=timeout, env=env, **options)  # type: ignore[call-overload]


def opened_copy(folder: Path, tmp_path: Path) -> Iterator[Register]:
    """A copy of the folder ``folder`` holding a closed register (``register.sqlite`` and its
    store), opened for one test and closed after it: ``yield from opened_copy(filled, tmp_path)``."""
    copy = shutil.copytree(folder, tmp_path / "register")
    register = Register.open(copy / "register.sqlite")
    yield register
    register.close()
