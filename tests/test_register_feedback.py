"""``workbook register feedback``: a folder per agency whose latest submission is invalid, holding
its annotated copy (or its problems as text where no copy could be made, or the file could not be
read), and a mail-merge list (CSV and xlsx) that reads back; Windows-safe names throughout."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from hostile import _strict
from registers import add_agencies, opened_copy
from workbook.cli import app
from workbook.messages import text
from workbook.register import Register, RegisterError
from workbook.register.collect import collect
from workbook.register.feedback import write_feedback
from workbook.filenames import safe_file_name, unique_names
from workbook.register.names import feedback_plan, name_key
from workbook.register.status import status

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "fjordvik"
TEKNISK = "Fjordvik kommune, Teknisk etat"
AGENCIES = [("Fjordvik kommune", "member", "post@fjordvik.no"),
            ("Fjordvik kommune, Bymiljøetaten", "agency", "bym@fjordvik.no"),
            ("Fjordvik kommune, Helseetaten", "agency", "helse@fjordvik.no"),
            ("Fjordvik kommune, Kultur- og idrettsetaten", "agency", "kultur@fjordvik.no"),
            (TEKNISK, "agency", "=teknisk@fjordvik.no"),
            ("Fjordvik kommune, Vannetaten", "agency", "vann@fjordvik.no")]  # Skoleetaten is not on the list


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Fjordvik samples collected once into a register (its folder); tests take copies."""
    folder = tmp_path_factory.mktemp("filled")
    with Register.open(folder / "register.sqlite") as reg:
        add_agencies(reg, 2020, AGENCIES)
        collect(reg, [SAMPLES], sender="post@fjordvik.no")
    return folder


@pytest.fixture
def reg(filled: Path, tmp_path: Path) -> Iterator[Register]:
    yield from opened_copy(filled, tmp_path)


def _list(folder: Path) -> list[dict[str, str]]:
    raw = (folder / "utsending.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))


def test_the_invalid_agency_gets_its_annotated_copy_and_a_line_in_the_list(reg: Register, tmp_path: Path) -> None:
    run = write_feedback(reg, 2020, tmp_path / "ut")
    rows = _list(tmp_path / "ut")
    assert [r["Virksomhet"] for r in rows] == [TEKNISK]  # the valid ones get nothing
    row = rows[0]
    assert (row["E-post"], row["Versjon"], row["Feil"]) == ("'=teknisk@fjordvik.no", "1", "10")
    assert Path(row["Fil"]) == Path(TEKNISK) / "agency-teknisk-med-feil-tilbakemelding.xlsx"
    assert row["Merknad"] == text("register.feedback.note_copy")
    copy = tmp_path / "ut" / row["Fil"]
    stored = reg.query("SELECT feedback_sha256 FROM submissions WHERE agency_key = ?", name_key(TEKNISK))[0][0]
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == stored
    assert load_workbook(copy, read_only=True).sheetnames[0] == text("annotate.sheet")
    sheet = load_workbook(tmp_path / "ut" / "utsending.xlsx").active
    values = [[cell.value for cell in line] for line in sheet.iter_rows()]
    assert values[0] == list(rows[0].keys())
    assert values[1][0] == TEKNISK and values[1][1] == "=teknisk@fjordvik.no" and values[1][4] == 10
    assert sheet["B2"].data_type == "s"  # a text, not a formula
    assert [e.agency for e in run.entries] == [TEKNISK] and run.unattributed == 0


def test_no_copy_and_unreadable_files_get_their_problems_as_text(reg: Register, tmp_path: Path) -> None:
    inbox = tmp_path / "inn"
    inbox.mkdir()
    _strict(SAMPLES / "agency-teknisk-med-feil.xlsx", inbox / "teknisk-strict.xlsx")  # openpyxl cannot open it
    (inbox / "bym.xlsx").write_bytes((SAMPLES / "agency-bymiljoetaten.xlsx").read_bytes()[:5000])
    collect(reg, [inbox / "teknisk-strict.xlsx"])
    collect(reg, [inbox / "bym.xlsx"], sender="bym@fjordvik.no")  # unreadable: its agency by the sender
    (tmp_path / "stray.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    collect(reg, [tmp_path / "stray.xlsx"], year=2020)  # unreadable, from no one known
    run = write_feedback(reg, 2020, tmp_path / "ut")
    rows = {r["Virksomhet"]: r for r in _list(tmp_path / "ut")}
    assert list(rows) == ["Fjordvik kommune, Bymiljøetaten", TEKNISK]
    strict, broken = rows[TEKNISK], rows["Fjordvik kommune, Bymiljøetaten"]
    assert (strict["Versjon"], strict["Feil"], strict["Merknad"]) == ("2", "10", text("register.feedback.note_no_copy"))
    assert Path(strict["Fil"]) == Path(TEKNISK) / "teknisk-strict-problemer.txt"
    lines = (tmp_path / "ut" / strict["Fil"]).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("Problemer i teknisk-strict.xlsx") and len(lines) == 2 + 11
    assert any("celle B5 (Antall ansatte): «ca. 300» er ikke et tall" in line for line in lines)
    assert (broken["Merknad"], broken["Versjon"]) == (text("register.feedback.note_unreadable"), "2")
    assert Path(broken["Fil"]) == Path("Fjordvik kommune, Bymiljoetaten") / "bym-problemer.txt"
    assert "skadet eller ufullstendig" in (tmp_path / "ut" / broken["Fil"]).read_text(encoding="utf-8-sig")
    assert run.unattributed == 1


def test_status_names_the_very_files_feedback_writes(reg: Register, tmp_path: Path) -> None:
    """The status list is the mail merge too: for every agency it names the file that ``register
    feedback`` writes for it, relative to its folder: the annotated copy, the problems as text where
    the file cannot be read, and, once a copy was found impossible (Strict Open XML), the text."""
    inbox = tmp_path / "inn"
    inbox.mkdir()
    _strict(SAMPLES / "agency-teknisk-med-feil.xlsx", inbox / "teknisk-strict.xlsx")
    (inbox / "bym.xlsx").write_bytes((SAMPLES / "agency-bymiljoetaten.xlsx").read_bytes()[:5000])
    collect(reg, [inbox / "teknisk-strict.xlsx"])
    collect(reg, [inbox / "bym.xlsx"], sender="bym@fjordvik.no")

    def named() -> dict[str, str]:
        return {line.agency: line.feedback_file for line in status(reg, 2020).rows() if line.feedback_file}

    before = named()  # no copy tried yet: the copy is what is expected
    assert before[TEKNISK] == f"{TEKNISK}/teknisk-strict-tilbakemelding.xlsx"
    write_feedback(reg, 2020, tmp_path / "ut")
    sent = {r["Virksomhet"]: r["Fil"].replace("\\", "/") for r in _list(tmp_path / "ut")}
    assert named() == sent and len(sent) == 2
    assert sent[TEKNISK] == f"{TEKNISK}/teknisk-strict-problemer.txt"
    assert all((tmp_path / "ut" / file).is_file() for file in sent.values())
    write_feedback(reg, 2020, tmp_path / "igjen")  # tried again, and still the same
    assert {r["Virksomhet"]: r["Fil"].replace("\\", "/") for r in _list(tmp_path / "igjen")} == named()


def test_agencies_whose_names_are_one_folder_on_windows_get_a_folder_each() -> None:
    expected = {name_key(n): {"name": n} for n in ("Etat A/B", "Etat A:B", "etat a b")}
    latest = {key: {"id": n, "agency_key": key, "agency": None, "outcome": outcome}
              for n, (key, outcome) in enumerate(zip(expected, ("invalid", "unreadable", "valid")))}
    latest["uten liste"] = {"id": 9, "agency_key": "uten liste", "agency": "Etat A B", "outcome": "invalid"}
    plan = feedback_plan(expected, latest)
    assert [(row["id"], folder) for row, folder in plan] == [(0, "Etat A B"), (1, "Etat A B (2)"), (9, "Etat A B (3)")]


def test_the_output_folder_must_be_new_or_empty(reg: Register, tmp_path: Path) -> None:
    (tmp_path / "ut").mkdir()
    (tmp_path / "ut" / "utsending.csv").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(app, ["register", "feedback", "--year", "2020", "-o", str(tmp_path / "ut"),
                                      "--db", str(reg.path)])
    assert result.exit_code == 2 and "er ikke tom" in result.output
    assert (tmp_path / "ut" / "utsending.csv").read_text(encoding="utf-8") == "mine"
    assert [p.name for p in (tmp_path / "ut").iterdir()] == ["utsending.csv"]


def test_the_command_says_what_it_wrote(reg: Register, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["register", "feedback", "--year", "2020", "-o", str(tmp_path / "ut"),
                                      "--db", str(reg.path)])
    assert result.exit_code == 0, result.output
    assert "Tilbakemelding til 1 virksomhet for 2020" in result.output
    assert "Fjordvik kommune, Teknisk etat: versjon 1, 10 feil" in result.output
    empty = CliRunner().invoke(app, ["register", "feedback", "--year", "2019", "-o", str(tmp_path / "tom"),
                                     "--db", str(reg.path)])
    assert empty.exit_code == 0 and "ingen tilbakemelding å sende" in empty.output


@pytest.mark.parametrize("name, safe", [
    ("Fjordvik kommune, Bymiljøetaten", "Fjordvik kommune, Bymiljoetaten"),
    ("Porsáŋgu gielda / Æøå", "Porsangu gielda AEoa"),
    ("CON", "CON_"), ("nul.xlsx", "nul_.xlsx"), ("LPT1", "LPT1_"),
    ('a<b>c:d"e/f\\g|h?i*j', "a b c d e f g h i j"),
    ("  Etaten. . ", "Etaten"), ("...", "_"), ("", "_"), ("\x00\x1b", "_"),
    ("-rf Etat", "rf Etat"), ("+=SUM(A1)", "SUM(A1)"), ("'Etat'", "Etat'"),
])
def test_names_on_disk_are_windows_safe(name: str, safe: str) -> None:
    assert safe_file_name(name) == safe
    assert len(safe_file_name("x" * 300)) <= 80


def test_names_are_made_unique_as_windows_compares_them() -> None:
    assert unique_names(["Etat", "ETAT", "etat", "Annen"]) == ["Etat", "ETAT (2)", "etat (3)", "Annen"]


def test_an_invalid_workbook_from_an_agency_not_on_the_list_is_listed_too(reg: Register, tmp_path: Path) -> None:
    with reg.transaction() as conn:
        conn.execute("DELETE FROM agencies WHERE name = ?", (TEKNISK,))
    rows = _list(write_feedback(reg, 2020, tmp_path / "ut").folder)
    assert [(r["Virksomhet"], r["E-post"]) for r in rows] == [(TEKNISK, "")]
    assert rows[0]["Merknad"].startswith("ukjent virksomhet: ikke på listen")
    assert (tmp_path / "ut" / rows[0]["Fil"]).is_file()


def test_a_file_is_no_output_folder(reg: Register, tmp_path: Path) -> None:
    (tmp_path / "fil").write_text("x", encoding="utf-8")
    with pytest.raises(RegisterError, match="er en fil, ikke en mappe"):
        write_feedback(reg, 2020, tmp_path / "fil")
