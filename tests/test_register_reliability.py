"""The register loses nothing: a collect killed at any moment, two collects at once, a read-only
folder, a full disk, a file that is no register or one from a newer version. Real processes
(``python -m workbook register collect``) where a process's death or company is the point."""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from editing import cell_of, edit
from registers import FJORDVIK, fjordvik_files
from workbook.cli import app
from workbook.messages import text
from workbook.register import Register, RegisterError
from workbook.register import db as register_db
from workbook.register import collect as collect_module
from workbook.register import store as store_module
from workbook.register.check import check
from workbook.register.collect import Receipt, collect
from workbook.register.store import Store

#: files in the corpus of the kill and concurrency tests: each Fjordvik sample in a few byte-distinct copies
COPIES = 3


def corpus(folder: Path, copies: int = COPIES) -> list[Path]:
    """Distinct files (each sample with a different zip comment: other bytes, the same workbook)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for source in fjordvik_files():
        for n in range(copies):
            target = folder / f"{source.stem}-{n}.xlsx"
            shutil.copyfile(source, target)
            with zipfile.ZipFile(target, "a") as package:
                package.comment = f"kopi {n}".encode()
            files.append(target)
    return files


def recorded(db: Path) -> dict[str, int]:
    """sha256 -> submission id of every submission in the register (read without the library)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return dict(conn.execute("SELECT sha256, id FROM submissions").fetchall())
    finally:
        conn.close()


def recorded_so_far(db: Path) -> dict[str, int]:
    """:func:`recorded` of a register that a collect may be making right now (none yet: empty)."""
    try:
        return recorded(db) if db.exists() else {}
    except sqlite3.OperationalError:  # not a database yet (being made)
        return {}


def assert_consistent(db: Path) -> None:
    with Register.open(db) as reg:
        report = check(reg)
    assert report.consistent, report.to_dict()


def start_collect(db: Path, paths: list[Path], *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.Popen([sys.executable, "-m", "workbook", "register", "collect", *map(str, paths),
                             "--db", str(db), *extra], cwd=db.parent, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, encoding="utf-8", env=env,
                            start_new_session=True)  # its own process group: the kill takes its workers too


# --- every change in one transaction ----------------------------------------------------------------
def test_a_failed_change_leaves_nothing_of_itself(tmp_path: Path) -> None:
    with Register.open(tmp_path / "register.sqlite") as reg:
        with pytest.raises(RegisterError), reg.transaction() as conn:
            conn.execute("INSERT INTO blobs (sha256, size, kind) VALUES (?, 1, 'workbook')", ("a" * 64,))
            conn.execute("INSERT INTO blobs (sha256, size, kind) VALUES (?, 1, 'workbook')", ("a" * 64,))
        assert reg.query("SELECT count(*) FROM blobs")[0][0] == 0
        with reg.transaction() as conn:  # and the connection is usable afterwards
            conn.execute("INSERT INTO blobs (sha256, size, kind) VALUES (?, 1, 'workbook')", ("b" * 64,))
        assert reg.query("SELECT count(*) FROM blobs")[0][0] == 1


# --- on the disk before recorded, recorded before told --------------------------------------------------
def _refused_syncfs(fd: int) -> int:
    """syncfs as a sandbox answers it (seccomp): not allowed."""
    ctypes.set_errno(errno.EPERM)
    return -1


@pytest.mark.parametrize("how", ["at once", "each file", "refused"])
def test_no_file_is_recorded_before_it_is_on_the_disk_nor_told_before_it_is_recorded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """Collect records its files in groups: each group's files are synced to the disk before its
    records are committed, and each receipt is given only once its record is committed. Where the
    file system is synced in one call (Linux), where each file is synced (elsewhere), and where the
    one call is refused (a sandbox): each file then."""
    monkeypatch.setattr(store_module, "_NO_SYNCFS", [])
    at_once = how == "at once"
    if at_once and store_module._syncfs() is None:
        pytest.skip("this system cannot sync a file system in one call")
    if how == "each file":
        monkeypatch.setattr(store_module, "_sync_file_system", lambda folder: False)
    if how == "refused":
        monkeypatch.setattr(store_module, "_syncfs", lambda: _refused_syncfs)
    monkeypatch.setattr(collect_module, "GROUP_FILES", 4)  # several groups of a small corpus
    db = tmp_path / "register.sqlite"
    synced: list[str] = []
    each: list[str] = []
    sync_many, sync = Store.sync_many, Store.sync

    def checked_sync_many(self: Store, hashes: list[str]) -> None:
        assert not set(hashes) & set(recorded_so_far(db)), "a file was recorded before it was synced"
        sync_many(self, hashes)
        synced.extend(hashes)

    def counted_sync(self: Store, sha256: str) -> None:
        sync(self, sha256)
        each.append(sha256)

    monkeypatch.setattr(Store, "sync_many", checked_sync_many)
    monkeypatch.setattr(Store, "sync", counted_sync)
    told: list[Receipt] = []

    def progress(receipt: Receipt) -> None:
        assert receipt.sha256 in recorded_so_far(db), "a receipt was given before its file was recorded"
        told.append(receipt)

    files = corpus(tmp_path / "innboks")
    with Register.open(db) as reg:
        receipts = collect(reg, [*files, *files[:2]], jobs=2, progress=progress)
    hashes = {hashlib.sha256(f.read_bytes()).hexdigest() for f in files}
    assert set(recorded(db)) == set(synced) == hashes and len(synced) == len(hashes) > 4
    assert sorted(each) == ([] if at_once else sorted(hashes))
    assert sorted(told, key=id) == sorted(receipts, key=id) and sum(r.duplicate for r in receipts) == 2
    assert_consistent(db)


# --- killed collects --------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "killpg"), reason="SIGKILL to a process group is POSIX")
def test_a_collect_killed_at_random_moments_loses_nothing_recorded(tmp_path: Path) -> None:
    """Round i collects batches 0..i (seven new files each round, the earlier ones again: what a
    killed round left stored but unrecorded is adopted) and is killed, with its workers: an even
    round after a random delay up to the time one batch takes (often before anything is recorded),
    an odd one at a random moment after its first files are recorded (while it records the rest).
    After each kill every recorded submission is still there with its file, and check finds the
    register consistent."""
    rounds = 12
    files = corpus(tmp_path / "innboks", copies=rounds)
    batches = [files[i::rounds] for i in range(rounds)]  # one copy of each sample per batch
    db = tmp_path / "register" / "register.sqlite"
    db.parent.mkdir()
    seed = int(os.environ.get("KILL_SEED", time.time_ns() % 10_000))
    rng = random.Random(seed)
    start = time.perf_counter()
    whole = start_collect(tmp_path / "prøve.sqlite", batches[0], "--jobs", "1")
    assert whole.wait(120) == 0, whole.communicate()[1]
    whole.communicate()
    one_batch = time.perf_counter() - start
    before: dict[str, int] = {}
    kills = killed_recording = 0
    for round_ in range(rounds):
        process = start_collect(db, [f for batch in batches[: round_ + 1] for f in batch], "--jobs", "1")
        try:
            if round_ % 2:
                while process.poll() is None and len(recorded_so_far(db)) <= len(before):
                    time.sleep(0.01)
                process.wait(timeout=rng.uniform(0, 0.3))
            else:
                process.wait(timeout=rng.uniform(0.2, one_batch))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            kills += 1
            killed_recording += round_ % 2
        process.communicate(timeout=30)
        if not db.exists():  # killed before the register was even made
            continue
        now = recorded(db)
        assert before.items() <= now.items(), f"seed {seed}: a recorded submission was lost"
        with Register.open(db) as reg:
            report = check(reg)
            assert report.consistent, (seed, report.to_dict())
            assert all(reg.store.verify(sha) for sha in now), seed
        print(f"round {round_}: killed {kills}, recorded {len(now)}, unrecorded {len(report.unrecorded)},"
              f" temporary {len(report.temporary)}")
        before = now
    # killed often, and not only while starting: some rounds were killed while recording
    assert kills >= rounds // 2 and killed_recording, f"seed {seed}: kills {kills}, while recording {killed_recording}"
    last = start_collect(db, files, "--jobs", "2")  # a collect left alone takes in the rest
    assert last.wait(180) == 0, last.communicate()[1]
    last.communicate()
    final = recorded(db)
    assert before.items() <= final.items() and len(final) == len(files), seed
    with Register.open(db) as reg:
        report = check(reg)
        assert report.consistent and not set(final) & set(report.unrecorded), seed  # every stored workbook adopted


# --- collects at once -----------------------------------------------------------------------------------
@pytest.mark.slow
def test_two_collects_at_once_keep_both_and_corrupt_nothing(tmp_path: Path) -> None:
    files = corpus(tmp_path / "innboks")
    db = tmp_path / "register.sqlite"  # new: both processes make and migrate it at the same moment
    half = len(files) // 2
    first, second = files[: half + 3], files[half - 3:]
    processes = [start_collect(db, first, "--from", "a@fjordvik.no", "--json"),
                 start_collect(db, second, "--from", "b@fjordvik.no", "--json")]
    outputs = [p.communicate(timeout=180) for p in processes]
    for process, (stdout, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr
    receipts = [json.loads(stdout)["receipts"] for stdout, _ in outputs]
    assert [len(r) for r in receipts] == [len(first), len(second)]
    assert sum(r["duplicate"] for batch in receipts for r in batch) == 6  # the files both were given
    final = recorded(db)
    assert len(final) == len(files)
    assert {r["sha256"] for batch in receipts for r in batch} == set(final)
    with Register.open(db) as reg:
        assert reg.query("SELECT count(*) FROM receipts")[0][0] == len(first) + len(second)
        report = check(reg)
        assert report.consistent, report.to_dict()


@pytest.mark.slow
def test_two_feedback_runs_at_once_record_one_copy_per_submission(tmp_path: Path) -> None:
    """Both runs make the missing copies at the same moment: each submission keeps the one
    recorded first, and both runs send that one."""
    inbox = tmp_path / "innboks"
    inbox.mkdir()
    source = FJORDVIK / "agency-teknisk-med-feil.xlsx"
    files = [edit(source, {cell_of(source, "agency"): f"Fjordvik kommune, Etat {n}"}, out=inbox / f"etat-{n}.xlsx")
             for n in range(4)]
    db = tmp_path / "register.sqlite"
    with Register.open(db) as reg:
        collect(reg, files, jobs=2)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    runs = [subprocess.Popen([sys.executable, "-m", "workbook", "register", "feedback", "--year", "2020",
                              "-o", str(tmp_path / f"ut-{n}"), "--db", str(db)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, encoding="utf-8", env=env) for n in range(2)]
    outputs = [run.communicate(timeout=180) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    with Register.open(db) as reg:
        copies = {row[0]: row[1] for row in reg.query("SELECT filename, feedback_sha256 FROM submissions")}
        assert len(copies) == 4 and all(copies.values())
        # every feedback copy recorded is one submission's; one a run made too late is only unrecorded
        assert reg.query("SELECT count(*) FROM blobs WHERE kind = 'feedback'")[0][0] == 4
        report = check(reg)
        assert report.consistent, report.to_dict()
        for filename, sha256 in copies.items():
            sent = [next((tmp_path / f"ut-{n}").glob(f"*/{Path(filename).stem}-tilbakemelding.xlsx")) for n in range(2)]
            assert [hashlib.sha256(f.read_bytes()).hexdigest() for f in sent] == [sha256, sha256]


def test_several_processes_making_one_new_register_at_once_all_succeed(tmp_path: Path) -> None:
    db = tmp_path / "register.sqlite"
    code = "import sys; from workbook.register import Register; Register.open(sys.argv[1]).close()"
    processes = [subprocess.Popen([sys.executable, "-c", code, str(db)], stderr=subprocess.PIPE, text=True)
                 for _ in range(6)]
    errors = [p.communicate(timeout=60)[1] for p in processes]
    assert [p.returncode for p in processes] == [0] * 6, errors
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == register_db.SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


# --- a folder that cannot be written, a full disk -------------------------------------------------------
def _without_override() -> list[str]:
    """A command prefix under which a folder's permissions hold: root may write anything, so as
    root the process runs without the capabilities that let it (``setpriv``, util-linux)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permissions cannot be made to hold")
    drop = "-dac_override,-dac_read_search"
    return [setpriv, f"--bounding-set={drop}", f"--inh-caps={drop}", "--"]


@pytest.mark.skipif(os.name != "posix", reason="permissions as POSIX has them")
@pytest.mark.parametrize("case", ["new register", "existing register", "store"])
def test_a_folder_that_cannot_be_written_gives_its_message(tmp_path: Path, case: str) -> None:
    folder = tmp_path / "register"
    folder.mkdir()
    source = FJORDVIK / "member.xlsx"
    db = folder / "register.sqlite"
    if case != "new register":
        with Register.open(db) as reg:
            reg.store.folder.mkdir()
        if case == "existing register":
            db.chmod(0o444)
    if case == "store":  # the database may be written, the store not
        db.with_name("register-lager").chmod(0o555)
    else:
        folder.chmod(0o555)
    command = [*_without_override(), sys.executable, "-m", "workbook", "register", "collect", str(source),
               "--db", str(db)]
    try:
        result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, encoding="utf-8",
                                timeout=120, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    finally:
        for path in (folder, db.with_name("register-lager")):
            if path.exists():
                path.chmod(0o755)
    assert result.returncode == 2, result.stdout + result.stderr
    where = db.with_name("register-lager") if case == "store" else db
    assert result.stderr.strip() == text("cli.error", message=text("register.error_readonly", path=where))
    assert "Traceback" not in result.stderr
    if db.exists():
        assert recorded(db) == {}


def test_a_full_disk_while_storing_gives_its_message_and_records_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(self: Store, source: object, **_: object) -> tuple[str, int]:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Store, "put", full)
    db = tmp_path / "register.sqlite"
    result = CliRunner().invoke(app, ["register", "collect", str(FJORDVIK / "member.xlsx"), "--db", str(db)])
    assert result.exit_code == 2
    assert result.stderr.strip() == text("cli.error", message=text("register.error_full",
                                                                   path=db.with_name("register-lager")))
    assert recorded(db) == {}


def test_a_full_database_gives_its_message_and_keeps_what_was_recorded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "register.sqlite"
    with Register.open(db) as reg:
        (kept,) = collect(reg, [FJORDVIK / "member.xlsx"], jobs=1)
    connect = register_db.connect

    def no_room(path: Path) -> sqlite3.Connection:  # the database may not grow by one page
        conn = connect(path)
        conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
        return conn

    monkeypatch.setattr(register_db, "connect", no_room)
    result = CliRunner().invoke(app, ["register", "collect", str(FJORDVIK / "agency-teknisk-med-feil.xlsx"),
                                      "--db", str(db)])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == text("cli.error", message=text("register.error_full", path=db))
    assert recorded(db) == {kept.sha256: kept.submission_id}
    monkeypatch.undo()
    assert_consistent(db)  # the file stored before the database refused is listed, not an error


# --- an older register ---------------------------------------------------------------------------------------
def test_a_register_of_an_older_version_is_migrated_and_keeps_everything(tmp_path: Path) -> None:
    db = tmp_path / "register.sqlite"
    with Register.open(db) as reg:
        (kept,) = collect(reg, [FJORDVIK / "agency-teknisk-med-feil.xlsx"], jobs=1)
    conn = sqlite3.connect(db)
    conn.execute("ALTER TABLE submissions DROP COLUMN feedback_failed")  # as version 1 made it
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Register.open(db) as reg:
        assert reg.query("PRAGMA user_version")[0][0] == register_db.SCHEMA_VERSION == 2
        (row,) = reg.query("SELECT sha256, errors, feedback_failed FROM submissions")
        assert tuple(row) == (kept.sha256, 10, 0)
    assert_consistent(db)


# --- files that are no register ------------------------------------------------------------------------------
@pytest.mark.parametrize("content", ["text", "other sqlite", "newer"])
def test_a_file_that_is_no_register_of_ours_gives_its_message_and_is_left_alone(tmp_path: Path, content: str) -> None:
    db = tmp_path / "register.sqlite"
    if content == "text":
        db.write_text("navn;rolle\nFjordvik kommune;medlem\n", encoding="utf-8")
    else:
        conn = sqlite3.connect(db)
        if content == "other sqlite":
            conn.execute("CREATE TABLE kunder (navn TEXT)")
        else:
            conn.executescript(register_db.MIGRATIONS[0])
            conn.execute(f"PRAGMA user_version = {register_db.SCHEMA_VERSION + 1}")
        conn.commit()
        conn.close()
    before = db.read_bytes()
    result = CliRunner().invoke(app, ["register", "collect", str(FJORDVIK / "member.xlsx"), "--db", str(db)])
    assert result.exit_code == 2
    expected = (text("register.error_newer", path=db, version=register_db.SCHEMA_VERSION + 1) if content == "newer"
                else text("register.error_not_register", path=db))
    assert result.stderr.strip() == text("cli.error", message=expected)
    assert db.read_bytes() == before  # not turned into a register, not switched to WAL
    assert not db.with_name("register-lager").exists()
