"""``workbook register check``: finds a stored file that is missing or altered and names whose it
was; lists files without a record (which the next collect adopts) without calling them errors."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from registers import FJORDVIK, build_register, copy_register
from workbook.cli import app
from workbook.messages import text
from workbook.register import Register
from workbook.register.collect import collect
from workbook.register.feedback import write_feedback

TEKNISK = "agency-teknisk-med-feil.xlsx"


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Fjordvik samples collected, and the feedback written (so the invalid one's copy is kept)."""
    folder = tmp_path_factory.mktemp("fjordvik")
    db = build_register(folder / "mal")
    with Register.open(db) as reg:
        write_feedback(reg, 2020, folder / "tilbakemelding")
    return db


@pytest.fixture
def register(filled: Path, tmp_path: Path) -> Path:
    return copy_register(filled, tmp_path / "kopi")


def run_check(db: Path, *extra: str):  # noqa: ANN201 - typer's Result
    return CliRunner().invoke(app, ["register", "check", "--db", str(db), *extra])


def submission(db: Path, filename: str) -> sqlite3.Row:
    with Register.open(db) as reg:
        return reg.query("SELECT * FROM submissions WHERE filename = ?", filename)[0]


def test_a_whole_register_is_consistent(register: Path) -> None:
    result = run_check(register)
    assert result.exit_code == 0, result.output
    with Register.open(register) as reg:
        blobs = reg.query("SELECT count(*) FROM blobs")[0][0]
    assert blobs == 8  # seven workbooks and the feedback copy of the invalid one
    assert result.stdout.strip() == text("register.check.ok", checked=blobs, unrecorded=0)
    report = json.loads(run_check(register, "--json").stdout)
    assert (report["consistent"], report["checked"], report["missing"], report["altered"], report["unrecorded"],
            report["integrity"], report["references"]) == (True, 8, [], [], [], [], [])


def test_a_tampered_stored_file_is_found_and_named(register: Path) -> None:
    row = submission(register, "agency-skoleetaten.xlsx")
    with Register.open(register) as reg:
        stored = reg.store.path(row["sha256"])
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit, same size
    stored.write_bytes(bytes(data))
    result = run_check(register)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert text("register.check.altered", kind=text("register.check.kind_workbook"), sha256=row["sha256"]) in lines
    assert text("register.check.owner", submission=row["id"], agency="Fjordvik kommune, Skoleetaten",
                file="agency-skoleetaten.xlsx", year=2020) in lines
    assert lines[-1] == text("register.check.not_ok", checked=8, missing=0, altered=1, database=0)
    report = json.loads(run_check(register, "--json").stdout)
    assert report["consistent"] is False and report["missing"] == []
    (altered,) = report["altered"]
    assert (altered["sha256"], altered["kind"], altered["submissions"]) == (
        row["sha256"], "workbook", [{"id": row["id"], "agency": "Fjordvik kommune, Skoleetaten",
                                     "filename": "agency-skoleetaten.xlsx", "year": 2020}])
    assert stored.read_bytes() == bytes(data)  # reported, not repaired


def test_a_missing_feedback_copy_is_found_and_named(register: Path) -> None:
    row = submission(register, TEKNISK)
    with Register.open(register) as reg:
        reg.store.path(row["feedback_sha256"]).unlink()
    result = run_check(register)
    assert result.exit_code == 1
    assert text("register.check.missing", kind=text("register.check.kind_feedback"),
                sha256=row["feedback_sha256"]) in result.stderr.splitlines()
    assert f"Innlevering {row['id']}: Fjordvik kommune, Teknisk etat, {TEKNISK} (2020)" in result.stderr


def test_a_file_without_a_record_is_listed_not_an_error_and_the_next_collect_adopts_it(
        tmp_path: Path) -> None:
    db = tmp_path / "register.sqlite"
    source = FJORDVIK / "member.xlsx"
    with Register.open(db) as reg:  # as a collect killed after storing the file, before recording it
        with source.open("rb") as handle:
            sha256, _ = reg.store.put(handle)
        stored = reg.store.path(sha256)
        (reg.store.folder / "tmp" / "inn-avbrutt").write_bytes(b"halvveis")
    inode = stored.stat().st_ino
    result = run_check(db)
    assert result.exit_code == 0, result.output
    assert text("register.check.unrecorded", sha256=sha256) in result.stdout.splitlines()
    assert text("register.check.temporary", count=1) in result.stdout.splitlines()
    assert json.loads(run_check(db, "--json").stdout)["unrecorded"] == [sha256]
    with Register.open(db) as reg:
        (receipt,) = collect(reg, [source], jobs=1)
    assert (receipt.sha256, receipt.duplicate, receipt.outcome) == (sha256, False, "valid")
    assert stored.stat().st_ino == inode and stored.read_bytes() == source.read_bytes()  # adopted as it was
    report = json.loads(run_check(db, "--json").stdout)
    assert (report["consistent"], report["checked"], report["unrecorded"]) == (True, 1, [])


def test_collecting_the_same_bytes_again_puts_a_damaged_file_right(register: Path) -> None:
    row = submission(register, "member.xlsx")
    with Register.open(register) as reg:
        reg.store.path(row["sha256"]).write_bytes(b"skadet")
        assert run_check(register).exit_code == 1
        (receipt,) = collect(reg, [FJORDVIK / "member.xlsx"], jobs=1)
        assert receipt.duplicate and reg.store.verify(row["sha256"]) is True
    assert run_check(register).exit_code == 0


def test_a_broken_reference_in_the_database_is_found(register: Path) -> None:
    conn = sqlite3.connect(register)  # foreign keys off, as another program might write it
    conn.execute("INSERT INTO receipts (submission_id, received, filename, duplicate) VALUES (999, 'x', 'y', 0)")
    conn.commit()
    conn.close()
    result = run_check(register)
    assert result.exit_code == 1
    assert text("register.check.reference", table="receipts", rowid=8, parent="submissions") in result.stderr
    assert json.loads(run_check(register, "--json").stdout)["references"] == [
        {"table": "receipts", "rowid": 8, "refers_to": "submissions"}]


def test_checking_a_register_that_is_not_there_says_so_and_makes_none(tmp_path: Path) -> None:
    db = tmp_path / "skrivefeil.sqlite"
    result = run_check(db)
    assert result.exit_code == 2
    assert result.stderr.strip() == text("cli.error", message=text("register.check.no_register", path=db))
    assert list(tmp_path.iterdir()) == []


def _damage_page(db: Path, name: str) -> None:
    """Make the b-tree page of table or index ``name`` lie about how many cells it holds."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (root,), (size,) = (conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)).fetchone(),
                        conn.execute("PRAGMA page_size").fetchone())
    conn.close()
    data = bytearray(db.read_bytes())
    start = (root - 1) * size + (100 if root == 1 else 0)  # page 1 starts after the file header
    data[start + 3:start + 5] = b"\x00\x63"
    db.write_bytes(bytes(data))


def test_a_damaged_database_is_found_by_sqlites_own_check(register: Path) -> None:
    _damage_page(register, "sqlite_autoindex_blobs_1")
    result = run_check(register)
    assert result.exit_code == 1
    damaged = [line for line in result.stderr.splitlines() if line.startswith("Databasen er skadet: ")]
    assert "Databasen er skadet: wrong # of entries in index sqlite_autoindex_blobs_1" in damaged
    report = json.loads(run_check(register, "--json").stdout)
    assert report["consistent"] is False and report["integrity"]


def test_a_register_damaged_where_its_tables_are_described_gives_its_message(register: Path) -> None:
    conn = sqlite3.connect(register)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(register.read_bytes())
    data[100:108] = b"\xff" * 8  # the page of the schema: its header is nonsense
    register.write_bytes(bytes(data))
    result = run_check(register)
    assert result.exit_code == 2
    assert result.stderr.strip() == text("cli.error", message=text("register.error_damaged", path=register))
