"""The register's database: one SQLite file, opened in WAL mode with foreign keys on, its schema
versioned (``PRAGMA user_version``) and migrated when opened.

SQLite is the embedded database Python ships; WAL lets ``status`` read while a ``collect`` writes,
and ``BEGIN IMMEDIATE`` makes two collects at once take turns instead of failing mid-way.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from workbook.errors import WorkbookError

DEFAULT_DB = "register.sqlite"
#: a submission's outcome (``submissions.outcome``; the schema allows these three)
VALID, INVALID, UNREADABLE = "valid", "invalid", "unreadable"
#: how long a command waits for another one's transaction before it gives up (seconds)
BUSY_TIMEOUT = 60.0

#: The schema, one script per version: version N is reached by running scripts 1..N in order. A new
#: version is a new script at the end (never an edit of an old one). See README "The register".
#: ``submissions.document`` is left empty (NULL) since collect stopped keeping the answers in the
#: database: they are read from the stored file when needed (workbook/register/answers.py).
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE agencies (
        id INTEGER PRIMARY KEY,
        year INTEGER NOT NULL,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('member', 'agency')),
        email TEXT,
        UNIQUE (year, name_key)
    );
    CREATE TABLE deadlines (
        year INTEGER PRIMARY KEY,
        deadline TEXT NOT NULL
    );
    CREATE TABLE blobs (
        sha256 TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('workbook', 'feedback'))
    );
    CREATE TABLE submissions (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL UNIQUE REFERENCES blobs (sha256),
        year INTEGER,
        agency TEXT,
        agency_key TEXT,
        role TEXT,
        form_id TEXT,
        form_version TEXT,
        language TEXT,
        filename TEXT NOT NULL,
        received TEXT NOT NULL,
        sender TEXT,
        outcome TEXT NOT NULL CHECK (outcome IN ('valid', 'invalid', 'unreadable')),
        errors INTEGER NOT NULL,
        warnings INTEGER NOT NULL,
        document TEXT,
        feedback_sha256 TEXT REFERENCES blobs (sha256)
    );
    CREATE INDEX submissions_by_agency ON submissions (year, agency_key, received);
    CREATE TABLE problems (
        submission_id INTEGER NOT NULL REFERENCES submissions (id),
        seq INTEGER NOT NULL,
        code TEXT NOT NULL,
        severity TEXT NOT NULL,
        sheet TEXT,
        cell TEXT,
        field TEXT,
        problem TEXT NOT NULL,
        PRIMARY KEY (submission_id, seq)
    );
    CREATE TABLE receipts (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions (id),
        received TEXT NOT NULL,
        sender TEXT,
        filename TEXT NOT NULL,
        duplicate INTEGER NOT NULL
    );
    CREATE TABLE links (
        id INTEGER PRIMARY KEY,
        agency_id INTEGER NOT NULL REFERENCES agencies (id),
        year INTEGER NOT NULL,
        token_sha256 TEXT NOT NULL UNIQUE,
        created TEXT NOT NULL,
        revoked TEXT
    );
    """,
    # 2: a feedback copy that could not be made (status then names the text of problems sent instead)
    """
    ALTER TABLE submissions ADD COLUMN feedback_failed INTEGER NOT NULL DEFAULT 0;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class RegisterError(WorkbookError):
    """The register cannot be opened or written: a catalogue key (``register.error_*``) and its params."""


def register_path(path: Path | str | None = None) -> Path:
    """The register's file: ``path``, else ``$WORKBOOK_DB``, else ``register.sqlite`` in the current folder."""
    return Path(path or os.environ.get("WORKBOOK_DB") or DEFAULT_DB)


def store_folder(db_path: Path) -> Path:
    """The store beside the database: ``register.sqlite`` keeps its files in ``register-lager/``."""
    return db_path.with_name(db_path.stem + "-lager")


def connect(db_path: Path) -> sqlite3.Connection:
    """Open (creating if need be) and migrate the register at ``db_path``."""
    if db_path.exists() and not db_path.is_file():
        raise RegisterError("register.error_not_register", path=db_path)
    try:
        conn = sqlite3.connect(db_path, timeout=BUSY_TIMEOUT, isolation_level=None)
    except sqlite3.Error as error:
        raise as_register_error(error, db_path) from None
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        _schema_version(conn, db_path)  # refuse another program's file before changing anything in it
        _use_wal(conn)
        # FULL: each commit is on the disk before collect prints its receipt, even through a power
        # cut (NORMAL would survive a killed process too, but a power cut could take the last
        # records). Measured with bench_register.py: NORMAL saves 0.15-0.35 s a 1,000 files.
        conn.execute("PRAGMA synchronous = FULL")
        _migrate(conn, db_path)
    except sqlite3.DatabaseError as error:
        conn.close()
        raise as_register_error(error, db_path) from None
    except RegisterError:
        conn.close()
        raise
    return conn


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL once (it stays so). The switch needs the file to itself and SQLite
    answers "locked" at once, without waiting, while another process has it open: so wait here."""
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                return
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _schema_version(conn: sqlite3.Connection, db_path: Path) -> int:
    """The register's schema version (0: a new, empty file); RegisterError for a newer version or
    a database that is not a register."""
    # one statement, so one snapshot: another process may be making the tables at this moment
    version, objects = conn.execute("SELECT (SELECT user_version FROM pragma_user_version),"
                                    " (SELECT count(*) FROM sqlite_master)").fetchone()
    if version > SCHEMA_VERSION:
        raise RegisterError("register.error_newer", path=db_path, version=version)
    if version == 0 and objects:
        raise RegisterError("register.error_not_register", path=db_path)
    return version


def _migrate(conn: sqlite3.Connection, db_path: Path) -> None:
    if _schema_version(conn, db_path) == SCHEMA_VERSION:
        return
    with transaction(conn):
        # asked again inside the transaction: another process may have made the tables meanwhile
        version = _schema_version(conn, db_path)
        for script in MIGRATIONS[version:]:
            for statement in filter(str.strip, script.split(";")):
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One change, all or nothing: ``BEGIN IMMEDIATE`` (waits for a writer in another process),
    ``COMMIT``, or ``ROLLBACK`` on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        # SQLite has already rolled back by itself after some failures (a full disk, an I/O
        # error): a ROLLBACK then would fail and hide the real error.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def as_register_error(error: BaseException, path: Path) -> RegisterError:
    """A database or file-system failure as one message naming the file: a read-only folder, a full
    disk, another program's lock, a file that is no register."""
    words = str(error).lower()
    code = getattr(error, "errno", None)
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)) or "disk is full" in words or "database or disk is full" in words:
        return RegisterError("register.error_full", path=path)
    if code in (errno.EROFS, errno.EACCES, errno.EPERM) or "readonly" in words or "unable to open" in words:
        return RegisterError("register.error_readonly", path=path)
    if "locked" in words or "busy" in words:
        return RegisterError("register.error_locked", path=path)
    if "malformed" in words:  # SQLite's own file, damaged (not another program's file)
        return RegisterError("register.error_damaged", path=path)
    if "not a database" in words:
        return RegisterError("register.error_not_register", path=path)
    return RegisterError("register.error_io", path=path, detail=errno.errorcode.get(code, str(error)) if code else str(error))
