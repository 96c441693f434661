"""``workbook register collect``: every workbook that comes back is kept, found again by its bytes,
and told back to the central unit as a receipt, whatever state the file is in."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from documents import make_workbook
from hostile import build_corpus
from registers import FJORDVIK, FJORDVIK_AGENCIES, YEAR, add_agencies, build_register, copy_register, every_value
from workbook.cli import app
from workbook.messages import text
from workbook.register import Register
from workbook.register.collect import collect
from workbook.register.db import store_folder
from workbook.register.feedback import write_feedback
from workbook.register.names import name_key
from workbook.validate import validate_file

HELSE = "Fjordvik kommune, Helseetaten"
TEKNISK = "Fjordvik kommune, Teknisk etat"


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Fjordvik samples collected into a register with the Fjordvik list (built once)."""
    return build_register(tmp_path_factory.mktemp("fjordvik") / "mal")


@pytest.fixture
def register(filled: Path, tmp_path: Path) -> Path:
    return copy_register(filled, tmp_path / "kopi")


def sent(tmp_path: Path, name: str, new_name: str | None = None) -> Path:
    """A sample as an agency sends it: a copy in a mail folder of its own."""
    folder = tmp_path / "innboks"
    folder.mkdir(exist_ok=True)
    return Path(shutil.copy(FJORDVIK / name, folder / (new_name or name)))


def count(reg: Register, table: str) -> int:
    return reg.query(f"SELECT count(*) FROM {table}")[0][0]  # noqa: S608 - a fixed name


def new_register(tmp_path: Path, *, agencies: bool = True) -> Register:
    reg = Register.open(tmp_path / "register.sqlite")
    if agencies:
        add_agencies(reg, YEAR, FJORDVIK_AGENCIES)
    return reg


# --- the same bytes, a newer version ---------------------------------------------------------------
def test_the_same_bytes_twice_are_one_submission_with_two_receipts(tmp_path: Path) -> None:
    with new_register(tmp_path) as reg:
        (first,) = collect(reg, [sent(tmp_path, "member.xlsx")], sender="a@fjordvik.no", jobs=1)
        (again,) = collect(reg, [sent(tmp_path, "member.xlsx", "medlem-igjen.xlsx")], sender="b@fjordvik.no", jobs=1)
        assert (first.duplicate, again.duplicate) == (False, True)
        assert again.submission_id == first.submission_id and again.sha256 == first.sha256
        assert (again.version, again.outcome, again.filename, again.sender) == (1, "valid", "medlem-igjen.xlsx",
                                                                                "b@fjordvik.no")
        assert count(reg, "submissions") == 1
        receipts = reg.query("SELECT filename, sender, duplicate, submission_id FROM receipts ORDER BY id")
        assert [tuple(r) for r in receipts] == [("member.xlsx", "a@fjordvik.no", 0, first.submission_id),
                                                ("medlem-igjen.xlsx", "b@fjordvik.no", 1, first.submission_id)]


def test_the_same_bytes_twice_in_one_collect_are_one_submission(tmp_path: Path) -> None:
    with new_register(tmp_path) as reg:
        receipts = collect(reg, [sent(tmp_path, "member.xlsx"), sent(tmp_path, "member.xlsx", "kopi.xlsx")], jobs=1)
        assert [r.duplicate for r in receipts] == [False, True]
        assert count(reg, "submissions") == 1 and count(reg, "receipts") == 2


def test_a_newer_file_from_the_same_agency_is_its_next_version_and_the_first_is_kept(tmp_path: Path) -> None:
    with new_register(tmp_path) as reg:
        (one,) = collect(reg, [sent(tmp_path, "agency-helseetaten.xlsx")], jobs=1)
        (two,) = collect(reg, [sent(tmp_path, "agency-helseetaten-2.xlsx")], jobs=1)
        assert (one.version, two.version) == (1, 2) and one.sha256 != two.sha256
        assert (one.agency, two.agency, two.agency_known) == (HELSE, HELSE, True)
        versions = reg.versions(YEAR, name_key(HELSE))
        assert [r["sha256"] for r in versions] == [one.sha256, two.sha256]
        assert reg.latest(YEAR)[name_key(HELSE)]["sha256"] == two.sha256
        for receipt, name in ((one, "agency-helseetaten.xlsx"), (two, "agency-helseetaten-2.xlsx")):
            assert reg.store.path(receipt.sha256).read_bytes() == (FJORDVIK / name).read_bytes()


# --- agencies not on the list -------------------------------------------------------------------------
def test_an_agency_not_on_the_list_is_recorded_as_unknown_and_matches_once_listed(tmp_path: Path) -> None:
    with new_register(tmp_path, agencies=False) as reg:
        (receipt,) = collect(reg, [sent(tmp_path, "agency-kulturetaten.xlsx")], jobs=1)
        assert (receipt.agency, receipt.agency_known, receipt.outcome) == (
            "Fjordvik kommune, Kultur- og idrettsetaten", False, "valid")
        assert count(reg, "submissions") == 1 and reg.store.verify(receipt.sha256)
        add_agencies(reg, YEAR, [("FJORDVIK KOMMUNE,  Kultur- og idrettsetaten ", "agency", "k@fjordvik.no")])
        (again,) = collect(reg, [sent(tmp_path, "agency-kulturetaten.xlsx", "igjen.xlsx")], jobs=1)
        assert (again.agency_known, again.version, again.duplicate) == (True, 1, True)
        (listed,) = reg.expected_agencies(YEAR)
        assert reg.latest(YEAR)[listed["name_key"]]["id"] == receipt.submission_id


def test_the_receipt_says_unknown_agency(tmp_path: Path) -> None:
    source = sent(tmp_path, "agency-kulturetaten.xlsx")
    result = CliRunner().invoke(app, ["register", "collect", str(source), "--db", str(tmp_path / "r.sqlite")])
    assert result.exit_code == 0, result.output
    assert text("register.unknown_agency") in result.stdout
    assert "Kultur- og idrettsetaten (ukjent virksomhet: ikke på listen for 2020)" in result.stdout


# --- broken and hostile files -------------------------------------------------------------------------
def test_every_broken_file_is_recorded_as_unreadable_with_its_problem(
        tmp_path: Path, broken_files: dict[str, tuple[Path, str]]) -> None:
    with new_register(tmp_path) as reg:
        names = sorted(broken_files)
        receipts = collect(reg, [broken_files[n][0] for n in names], year=YEAR, jobs=2)
        for name, receipt in zip(names, receipts):
            path, code = broken_files[name]
            assert receipt.refused is None and not receipt.duplicate, name
            row = reg.query("SELECT * FROM submissions WHERE id = ?", receipt.submission_id)[0]
            assert row["outcome"] == receipt.outcome != "valid", name
            assert row["outcome"] == ("invalid" if validate_file(path).readable else "unreadable"), name
            assert row["filename"] == path.name and row["year"] == YEAR
            assert code in {p["code"] for p in reg.problems(row["id"])}, name
            assert row["errors"] >= 1
            assert reg.store.path(receipt.sha256).read_bytes() == path.read_bytes(), name
        assert count(reg, "submissions") == len(names)


def test_every_hostile_file_is_recorded_with_the_problems_validate_finds(tmp_path: Path) -> None:
    good = make_workbook(tmp_path / "kilde", name="good.xlsx")
    cases = build_corpus(good, tmp_path / "innsendt")
    with new_register(tmp_path) as reg:
        receipts = collect(reg, [tmp_path / "innsendt"], jobs=2)
        by_file = {r.filename: r for r in receipts}
        assert len(by_file) == len(cases)
        for name, (path, expected) in cases.items():
            receipt = by_file[path.name]
            recorded = {p["code"] for p in reg.problems(receipt.submission_id)}
            assert recorded == expected, name
            assert (receipt.outcome == "valid") == (receipt.errors == 0), name
            assert reg.store.verify(receipt.sha256), name


def test_a_fifo_is_refused_with_a_message_and_nothing_is_stored(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    fifo = tmp_path / "innboks" / "rør.xlsx"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    db = tmp_path / "r.sqlite"
    result = CliRunner().invoke(app, ["register", "collect", str(fifo), "--db", str(db)])
    assert result.exit_code == 0
    assert text("register.collect.refused", file="rør.xlsx") in result.stderr
    with Register.open(db) as reg:
        assert count(reg, "submissions") == count(reg, "receipts") == count(reg, "blobs") == 0
        assert reg.store.names() == set()


@pytest.mark.skipif(os.name != "posix", reason="devices and links as POSIX has them")
def test_what_is_not_a_regular_file_is_refused_and_the_other_files_are_taken(tmp_path: Path) -> None:
    inbox = tmp_path / "innboks"
    sent(tmp_path, "member.xlsx")
    (inbox / "enhet.xlsx").symlink_to("/dev/null")
    (inbox / "borte.xlsx").symlink_to(tmp_path / "finnes-ikke.xlsx")
    with new_register(tmp_path) as reg:
        receipts = collect(reg, [inbox], jobs=1)
        by_name = {r.filename: r for r in receipts}
        for name, code in (("enhet.xlsx", "file-not-regular"), ("borte.xlsx", "file-unreadable")):
            assert by_name[name].refused is not None and by_name[name].sha256 is None, name
            assert [p.code for p in by_name[name].refused.problems] == [code]
        assert by_name["member.xlsx"].outcome == "valid"
        assert count(reg, "submissions") == count(reg, "blobs") == 1 and len(reg.store.names()) == 1


def test_an_unreadable_file_belongs_to_the_agency_whose_address_sent_it(
        tmp_path: Path, broken_files: dict[str, tuple[Path, str]]) -> None:
    with new_register(tmp_path) as reg:
        (receipt,) = collect(reg, [broken_files["truncated"][0]], sender=" POST@teknisk.fjordvik.no ", jobs=1)
        (stranger,) = collect(reg, [broken_files["empty"][0]], sender="ukjent@eksempel.no", jobs=1)
    assert (receipt.outcome, receipt.agency, receipt.agency_known, receipt.version) == ("unreadable", TEKNISK, True, 1)
    assert (stranger.outcome, stranger.agency, stranger.agency_known) == ("unreadable", None, False)
    with Register.open(tmp_path / "register.sqlite") as reg:
        assert reg.latest(YEAR)[name_key(TEKNISK)]["id"] == receipt.submission_id
        assert stranger.submission_id not in {r["id"] for r in reg.latest(YEAR).values()}


# --- the store --------------------------------------------------------------------------------------------
def test_each_file_is_stored_under_its_hash_with_its_bytes(register: Path) -> None:
    store = store_folder(register)
    with Register.open(register) as reg:
        rows = reg.query("SELECT sha256, filename FROM submissions")
        assert {r["filename"] for r in rows} == {p.name for p in FJORDVIK.glob("*.xlsx")}
        for row in rows:
            data = (FJORDVIK / row["filename"]).read_bytes()
            assert row["sha256"] == hashlib.sha256(data).hexdigest()
            assert (store / row["sha256"][:2] / row["sha256"]).read_bytes() == data
        blobs = {r["sha256"]: (r["kind"], r["size"]) for r in reg.query("SELECT * FROM blobs")}
    assert reg.store.names() == set(blobs)  # nothing in the store without its record, and back
    for sha256, (_, size) in blobs.items():
        assert (store / sha256[:2] / sha256).stat().st_size == size
    assert list((store / "tmp").iterdir()) == []  # no temporary file left behind


def test_the_database_holds_no_path(register: Path, tmp_path: Path) -> None:
    places = [str(tmp_path), str(FJORDVIK), str(FJORDVIK.parent.parent), store_folder(register).name, "/", "\\"]
    for table, column, value in every_value(register):
        if not isinstance(value, str) or column in ("document", "problem"):
            continue
        assert not any(place in value for place in places), (table, column, value)
    for table, column, value in every_value(register):  # the answers and problems may hold "/", never a place
        if column in ("document", "problem") and value is not None:
            assert not any(place in value for place in places[:4]), (table, column, value[:200])
            if column == "problem":
                assert json.loads(value)["file"] in {p.name for p in FJORDVIK.glob("*.xlsx")}


def test_an_invalid_workbook_gets_its_feedback_copy_when_feedback_is_written_not_when_collected(
        register: Path, tmp_path: Path) -> None:
    with Register.open(register) as reg:
        assert reg.query("SELECT count(*) FROM submissions WHERE feedback_sha256 IS NOT NULL")[0][0] == 0
        assert count(reg, "blobs") == reg.query("SELECT count(*) FROM blobs WHERE kind = 'workbook'")[0][0]
        write_feedback(reg, YEAR, tmp_path / "ut")
        rows = {r["filename"]: r for r in reg.query("SELECT * FROM submissions")}
        bad = rows["agency-teknisk-med-feil.xlsx"]
        assert bad["outcome"] == "invalid" and bad["feedback_sha256"] is not None
        assert all(r["feedback_sha256"] is None for name, r in rows.items() if r["outcome"] == "valid")
        (kind,) = reg.query("SELECT kind FROM blobs WHERE sha256 = ?", bad["feedback_sha256"])
        assert kind[0] == "feedback" and reg.store.verify(bad["feedback_sha256"])
        copy = reg.store.path(bad["feedback_sha256"])
        stored = reg.store.names()
        write_feedback(reg, YEAR, tmp_path / "igjen")  # the next run sends the kept copy, makes no new one
        assert reg.store.names() == stored
        assert reg.query("SELECT feedback_sha256 FROM submissions WHERE id = ?", bad["id"])[0][0] == bad["feedback_sha256"]
    sent_again = tmp_path / "igjen" / TEKNISK / "agency-teknisk-med-feil-tilbakemelding.xlsx"
    assert sent_again.read_bytes() == copy.read_bytes()
    with zipfile.ZipFile(copy) as package:
        comments = b"".join(package.read(n) for n in package.namelist() if n.startswith("xl/comments"))
    assert "ca. 300".encode() in comments  # the problem is told at its cell in the copy sent back


# --- the command ------------------------------------------------------------------------------------------
def test_the_command_prints_a_receipt_per_file(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    with new_register(tmp_path):
        pass
    files = [sent(tmp_path, "member.xlsx"), sent(tmp_path, "agency-teknisk-med-feil.xlsx")]
    runner = CliRunner()
    args = ["register", "collect", *map(str, files), "--from", "post@fjordvik.no", "--db", str(tmp_path / "register.sqlite")]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    member = hashlib.sha256(files[0].read_bytes()).hexdigest()
    lines = first.stdout.splitlines()
    start = lines.index("Kvittering: member.xlsx")
    assert lines[start + 1] == "  Virksomhet: Fjordvik kommune, versjon 1 for 2020"
    assert lines[start + 2].startswith("  Mottatt: ")
    assert lines[start + 3:start + 6] == ["  Fra: post@fjordvik.no", f"  SHA-256: {member}",
                                          "  Resultat: gyldig (0 feil, 0 advarsler)"]
    assert "  Resultat: ugyldig (10 feil, 1 advarsel)" in lines
    assert "«ca. 300» er ikke et tall" in first.stdout  # the problems themselves, as validate says them
    assert lines[-1] == text("register.collect.totals", files=2, new=2, valid=1, invalid=1, unreadable=0, duplicates=0)
    again = runner.invoke(app, args)
    assert text("register.collect.duplicate", version=1) in again.stdout.splitlines()
    assert again.stdout.splitlines()[-1] == text("register.collect.totals", files=2, new=0, valid=0, invalid=0,
                                                 unreadable=0, duplicates=2)
    assert not db.exists()  # --db named the register; nothing else was made


def test_the_command_gives_the_receipts_as_json(tmp_path: Path) -> None:
    files = [sent(tmp_path, "agency-helseetaten.xlsx"), sent(tmp_path, "agency-helseetaten.xlsx", "igjen.xlsx")]
    result = CliRunner().invoke(app, ["register", "collect", *map(str, files), "--json",
                                      "--db", str(tmp_path / "r.sqlite")])
    assert result.exit_code == 0, result.output
    receipts = json.loads(result.stdout)["receipts"]
    sha256 = hashlib.sha256(files[0].read_bytes()).hexdigest()
    assert [(r["filename"], r["sha256"], r["outcome"], r["duplicate"], r["agency"], r["agency_known"], r["year"])
            for r in receipts] == [("agency-helseetaten.xlsx", sha256, "valid", False, HELSE, False, 2020),
                                   ("igjen.xlsx", sha256, "valid", True, HELSE, False, 2020)]
    conn = sqlite3.connect(tmp_path / "r.sqlite")
    assert conn.execute("SELECT received FROM receipts ORDER BY id").fetchall() == [(r["received"],) for r in receipts]
    conn.close()
