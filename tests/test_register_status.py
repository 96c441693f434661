"""The register's list of agencies, deadline, status and history: the list imported from the CSV
files Excel writes (BOM, cp1252, semicolon, comma, bad lines), status of missing, invalid, valid
and unknown agencies after collecting the Fjordvik samples, the overview read back from its xlsx and
CSV, an agency's history with two versions and a duplicate, and the deadline."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from workbook.cli import app
from workbook.register import Register, RegisterError
from workbook.register.agencies import import_agencies, read_agencies
from workbook.register.collect import collect
from workbook.register.deadline import parse_date, set_deadline
from workbook.register.feedback import write_feedback
from workbook.register.history import history
from workbook.register.names import feedback_file
from workbook.register.status import COLUMNS, status, write_status

ROOT = Path(__file__).resolve().parent.parent
FJORDVIK = ROOT / "samples" / "fjordvik"
MEMBER = "Fjordvik kommune"
HEALTH = "Fjordvik kommune, Helseetaten"
TECHNICAL = "Fjordvik kommune, Teknisk etat"
WATER = "Fjordvik kommune, Vannetaten"  # on the list, never delivers
LIST = [
    ("navn", "rolle", "e-post"),
    (MEMBER, "medlem", "post@fjordvik.no"),
    ("Fjordvik kommune, Bymiljøetaten", "virksomhet", "bym@fjordvik.no"),
    (HEALTH, "virksomhet", "helse@fjordvik.no"),
    (TECHNICAL, "virksomhet", "teknisk@fjordvik.no"),
    (WATER, "virksomhet", "vann@fjordvik.no"),
]


def list_file(path: Path, rows=LIST, *, delimiter: str = ";", encoding: str = "utf-8-sig") -> Path:  # noqa: ANN001
    """The list as Excel saves it: cells holding the separator quoted, CRLF line ends."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def invoke(*args: str):  # noqa: ANN201
    return CliRunner().invoke(app, ["register", *args])


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A register with the Fjordvik list for 2020 and every sample collected (helseetaten twice
    as two versions, then its newest once more as a duplicate), plus an unreadable file."""
    folder = tmp_path_factory.mktemp("filled")
    db = folder / "register.sqlite"
    with Register.open(db) as reg:
        import_agencies(reg, list_file(folder / "liste.csv"), 2020)
        samples = sorted(p for p in FJORDVIK.glob("*.xlsx") if p.name != "agency-helseetaten.xlsx")
        collect(reg, samples, sender="post@fjordvik.no")
        collect(reg, [FJORDVIK / "agency-helseetaten.xlsx"], sender="helse@fjordvik.no")
        collect(reg, [FJORDVIK / "agency-helseetaten.xlsx"], sender="helse@fjordvik.no")
        broken = folder / "tull.xlsx"
        broken.write_bytes(b"dette er ingen arbeidsbok")
        collect(reg, [broken], sender="ukjent@example.com", year=2020)
    return db


# --- the list of agencies ------------------------------------------------------------------------
@pytest.mark.parametrize(("delimiter", "encoding"), [(";", "utf-8-sig"), (";", "utf-8"), (",", "utf-8"),
                                                     (";", "cp1252"), (",", "cp1252"), ("\t", "utf-16")])
def test_the_list_reads_as_excel_writes_it(tmp_path: Path, delimiter: str, encoding: str) -> None:
    path = list_file(tmp_path / "liste.csv", delimiter=delimiter, encoding=encoding)
    agencies, ignored, warnings = read_agencies(path)
    assert [(a.name, a.role, a.email) for a in agencies] == [
        (name, {"medlem": "member", "virksomhet": "agency"}[role], email) for name, role, email in LIST[1:]]
    assert agencies[2].line == 4 and ignored == [] and warnings == []


def test_headers_match_loosely_and_extra_columns_are_named(tmp_path: Path) -> None:
    rows = [("Kommentar", " NAVN ", "Rolle", "Epost")] + [("x", *row) for row in LIST[1:]]
    agencies, ignored, _ = read_agencies(list_file(tmp_path / "liste.csv", rows))
    assert ignored == ["Kommentar"] and agencies[0].name == MEMBER and agencies[0].email == "post@fjordvik.no"


def test_every_bad_line_is_named_and_nothing_is_imported(tmp_path: Path) -> None:
    rows = [*LIST, ("", "virksomhet", "a@b.no"), ("Etat X", "etat", "x@b.no"), ("Etat Y", "virksomhet", "y(at)b.no"),
            (HEALTH.upper() + "  ", "virksomhet", ""), ("Fjordvik fylke", "medlem", "f@b.no")]
    path = list_file(tmp_path / "liste.csv", rows)
    with Register.open(tmp_path / "r.sqlite") as reg:
        with pytest.raises(RegisterError) as caught:
            import_agencies(reg, path, 2020)
        assert reg.query("SELECT count(*) FROM agencies")[0][0] == 0
    message = str(caught.value)
    assert "5 feil" in message
    for expected in ("linje 7: navnet er tomt", "linje 8: ukjent rolle «etat»", "linje 9: «y(at)b.no»",
                     "linje 10: FJORDVIK KOMMUNE, HELSEETATEN står allerede på listen (linje 4)",
                     "linje 11: Fjordvik fylke er et medlem nummer to"):
        assert expected in message


def test_a_list_without_its_member_or_a_header_is_refused(tmp_path: Path) -> None:
    no_member = list_file(tmp_path / "a.csv", [LIST[0], *LIST[2:]])
    with pytest.raises(RegisterError, match="ikke noe medlem"):
        read_agencies(no_member)
    no_header = list_file(tmp_path / "b.csv", LIST[1:])
    with pytest.raises(RegisterError, match="mangler kolonnen navn, rolle, e-post"):
        read_agencies(no_header)
    workbook = tmp_path / "c.csv"
    shutil.copyfile(FJORDVIK / "member.xlsx", workbook)
    with pytest.raises(RegisterError, match="er en Excel-fil"):
        read_agencies(workbook)


def test_an_empty_email_is_a_warning_only(tmp_path: Path) -> None:
    rows = [*LIST[:-1], (WATER, "virksomhet", "")]
    agencies, _, warnings = read_agencies(list_file(tmp_path / "liste.csv", rows))
    assert agencies[-1].email is None
    assert warnings == [f"Advarsel: linje 6: {WATER} har ingen e-postadresse, og kommer uten kontakt på flettelistene."]


def test_a_reimport_replaces_the_list_and_keeps_the_ids(tmp_path: Path) -> None:
    with Register.open(tmp_path / "r.sqlite") as reg:
        import_agencies(reg, list_file(tmp_path / "a.csv"), 2020)
        ids = {r["name"]: r["id"] for r in reg.expected_agencies(2020)}
        reg.conn.execute("INSERT INTO links (agency_id, year, token_sha256, created) VALUES (?, 2020, 'x', 'now')",
                         (ids[WATER],))
        rows = [*LIST[:3], (HEALTH, "virksomhet", "ny@fjordvik.no"), LIST[4], ("Fjordvik kommune, Havna", "virksomhet", "")]
        result = import_agencies(reg, list_file(tmp_path / "b.csv", rows), 2020)
        after = {r["name"]: r["id"] for r in reg.expected_agencies(2020)}
        emails = {r["name"]: r["email"] for r in reg.expected_agencies(2020)}
    assert (result.added, result.changed, result.removed, result.unchanged, result.links_removed) == (
        ["Fjordvik kommune, Havna"], [HEALTH], [WATER], 3, 1)
    assert all(after[name] == ids[name] for name in after if name in ids)
    assert emails[HEALTH] == "ny@fjordvik.no" and WATER not in after


def test_a_formula_like_name_stays_text_everywhere(tmp_path: Path) -> None:
    hostile = '=HYPERLINK("http://x","klikk")'
    rows = [*LIST, (hostile, "virksomhet", "x@fjordvik.no")]
    with Register.open(tmp_path / "r.sqlite") as reg:
        import_agencies(reg, list_file(tmp_path / "a.csv", rows), 2020)
        assert hostile in [r["name"] for r in reg.expected_agencies(2020)]
        result = status(reg, 2020)
    xlsx, csv_path = write_status(result, tmp_path / "s.xlsx"), write_status(result, tmp_path / "s.csv")
    with zipfile.ZipFile(xlsx) as package:
        sheets = [package.read(n) for n in package.namelist() if n.startswith("xl/worksheets/")]
    assert not any(b"<f>" in sheet or b"<f " in sheet for sheet in sheets)
    names = [row[0].value for row in openpyxl.load_workbook(xlsx).worksheets[0].iter_rows(min_row=2)]
    assert hostile in names
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        assert "'" + hostile in [row[0] for row in csv.reader(handle, delimiter=";")]


def test_agencies_cli(tmp_path: Path) -> None:
    db = str(tmp_path / "r.sqlite")
    path = list_file(tmp_path / "liste.csv", encoding="cp1252")
    imported = invoke("agencies", "import", str(path), "--year", "2020", "--db", db)
    assert imported.exit_code == 0, imported.output
    assert "Listen for 2020 er importert: 5 virksomheter (5 nye, 0 endret, 0 fjernet, 0 uendret)" in imported.stdout
    shown = invoke("agencies", "list", "--year", "2021", "--json", "--db", db)
    payload = json.loads(shown.stdout)
    assert payload["list_year"] == 2020 and [a["name"] for a in payload["agencies"]][:2] == [
        MEMBER, "Fjordvik kommune, Bymiljøetaten"]
    assert payload["agencies"][0]["role"] == "member"
    text = invoke("agencies", "list", "--db", db).stdout
    assert "Bymiljøetaten" in text and "medlem" in text
    bad = list_file(tmp_path / "bad.csv", [*LIST, ("X", "sjef", "")])
    refused = invoke("agencies", "import", str(bad), "--year", "2020", "--db", db)
    assert refused.exit_code == 2 and "linje 7: ukjent rolle «sjef»" in refused.stderr
    assert "Traceback" not in refused.output


# --- deadline --------------------------------------------------------------------------------------
def test_the_deadline_takes_both_forms_and_shows_the_norwegian_one(tmp_path: Path) -> None:
    assert parse_date("2021-02-15") == parse_date("15.02.2021") == parse_date("15.2.2021") == dt.date(2021, 2, 15)
    for bad in ("15/02/2021", "30.02.2021", "i morgen"):
        with pytest.raises(RegisterError):
            parse_date(bad)
    db = str(tmp_path / "r.sqlite")
    result = invoke("deadline", "2021-02-15", "--year", "2020", "--db", db)
    assert result.exit_code == 0 and "Fristen for 2020 er 15.02.2021." in result.stdout
    again = invoke("deadline", "1.3.2021", "--year", "2020", "--db", db)
    assert "01.03.2021" in again.stdout
    with Register.open(db) as reg:
        assert reg.deadline(2020) == "2021-03-01"
    wrong = invoke("deadline", "31.02.2021", "--year", "2020", "--db", db)
    assert wrong.exit_code == 2 and "«31.02.2021» er ingen dato som finnes" in wrong.stderr


# --- status ----------------------------------------------------------------------------------------
def test_status_of_every_expected_and_unknown_agency(filled: Path) -> None:
    with Register.open(filled) as reg:
        result = status(reg, 2020)
    by_name = {a.agency: a for a in result.agencies}
    assert [a.agency for a in result.agencies][0] == MEMBER
    assert by_name[WATER].status == "missing" and by_name[WATER].version is None
    assert by_name[TECHNICAL].status == "invalid" and by_name[TECHNICAL].errors == 10
    assert by_name[TECHNICAL].feedback_file == f"{TECHNICAL}/agency-teknisk-med-feil-tilbakemelding.xlsx"
    assert by_name[TECHNICAL].feedback_sha256 is None  # named before ``register feedback`` has made the copy
    assert (by_name[HEALTH].status, by_name[HEALTH].version, by_name[HEALTH].sender) == ("valid", 2, "helse@fjordvik.no")
    assert by_name[MEMBER].status == "valid" and by_name[MEMBER].role == "member"
    assert {a.agency for a in result.unknown} == {"Fjordvik kommune, Kultur- og idrettsetaten",
                                                  "Fjordvik kommune, Skoleetaten"}
    assert [a.filename for a in result.unreadable] == ["tull.xlsx"]
    assert result.counts() | {} == {"expected": 5, "valid": 3, "invalid": 1, "unreadable": 0, "missing": 1, "late": 0,
                                    "unknown": 2, "unreadable_no_agency": 1}


def test_status_names_the_feedback_file_that_feedback_writes(filled: Path, tmp_path: Path) -> None:
    shutil.copy(filled, tmp_path / "register.sqlite")
    shutil.copytree(filled.with_name("register-lager"), tmp_path / "register-lager")
    with Register.open(tmp_path / "register.sqlite") as reg:
        named = status(reg, 2020).agencies
        run = write_feedback(reg, 2020, tmp_path / "ut")
        after = status(reg, 2020).agencies
    invalid = [a for a in named if a.status == "invalid"]
    assert invalid and all(a.feedback_file for a in invalid)
    assert all(a.feedback_file is None for a in named if a.status != "invalid")
    assert [e.file.as_posix() for e in run.entries if e.kind == "copy"] == [a.feedback_file for a in invalid]
    assert [a.feedback_file for a in after] == [a.feedback_file for a in named]  # the same before and after
    assert all(a.feedback_sha256 for a in after if a.status == "invalid")



def test_past_the_deadline_missing_is_late(filled: Path, tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    shutil.copyfile(filled, db)
    shutil.copytree(filled.with_name("register-lager"), tmp_path / "r-lager")
    with Register.open(db) as reg:
        set_deadline(reg, 2020, "2021-02-15")
        before = status(reg, 2020, today=dt.date(2021, 2, 15))
        after = status(reg, 2020, today=dt.date(2021, 2, 16))
    assert not before.past_deadline and not any(a.late for a in before.agencies)
    assert after.past_deadline and [a.agency for a in after.agencies if a.late] == [WATER]


def test_the_overview_as_xlsx(filled: Path, tmp_path: Path) -> None:
    with Register.open(filled) as reg:
        path = write_status(status(reg, 2020), tmp_path / "status.xlsx")
    book = openpyxl.load_workbook(path)
    ws = book.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["Virksomhet", "Rolle", "E-post", "Status"] and len(header) == len(COLUMNS)
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, len(COLUMNS)).column_letter}{ws.max_row}"
    assert ws.freeze_panes == "B2"
    rows = {row[0]: dict(zip(header, row)) for row in ws.iter_rows(min_row=2, values_only=True)}
    assert rows[WATER]["Status"] == "ikke levert" and rows[WATER]["E-post"] == "vann@fjordvik.no"
    assert rows[TECHNICAL]["Status"] == "ugyldig" and rows[TECHNICAL]["Feil"] == 10
    assert rows[TECHNICAL]["Tilbakemeldingsfil"] == f"{TECHNICAL}/agency-teknisk-med-feil-tilbakemelding.xlsx"
    assert rows[HEALTH]["Versjon"] == 2 and rows[HEALTH]["Fra"] == "helse@fjordvik.no"
    assert rows["Fjordvik kommune, Skoleetaten"]["Merknad"] == "ukjent virksomhet"
    assert rows[None]["Filnavn"] == "tull.xlsx" and rows[None]["Status"] == "kan ikke leses"
    assert ws.column_dimensions["A"].width > 30
    summary = {r[0]: r[1] for r in book.worksheets[1].iter_rows(min_row=3, values_only=True)}
    assert summary["Ikke levert"] == 1 and summary["Levert gyldig"] == 3


def test_the_overview_as_csv_for_the_mail_merge(filled: Path, tmp_path: Path) -> None:
    with Register.open(filled) as reg:
        path = write_status(status(reg, 2020), tmp_path / "status.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    by_name = {row["Virksomhet"]: row for row in rows}
    assert len(rows) == 5 + 2 + 1
    assert by_name[TECHNICAL]["E-post"] == "teknisk@fjordvik.no" and by_name[TECHNICAL]["Feil"] == "10"
    assert by_name[TECHNICAL]["Tilbakemeldingsfil"] == f"{TECHNICAL}/agency-teknisk-med-feil-tilbakemelding.xlsx"
    assert by_name[WATER]["Status"] == "ikke levert" and by_name[WATER]["Versjon"] == ""


def test_status_cli(filled: Path, tmp_path: Path) -> None:
    result = invoke("status", "--year", "2020", "--db", str(filled))
    assert result.exit_code == 0, result.output
    assert "Status for 2020: 5 virksomheter, 3 gyldige, 1 ugyldig, 1 ikke levert." in result.stdout
    assert f"  {WATER}: ikke levert" in result.stdout
    assert "ukjent virksomhet" in result.stdout and "tull.xlsx: kan ikke leses" in result.stdout
    payload = json.loads(invoke("status", "--year", "2020", "--json", "--db", str(filled)).stdout)
    assert payload["counts"]["missing"] == 1 and payload["agencies"][0]["agency"] == MEMBER
    written = invoke("status", "--year", "2020", "-o", str(tmp_path / "s.csv"), "--db", str(filled))
    assert written.exit_code == 0 and (tmp_path / "s.csv").is_file()
    wrong = invoke("status", "--year", "2020", "-o", str(tmp_path / "s.pdf"), "--db", str(filled))
    assert wrong.exit_code == 2 and "ikke som «s.pdf»" in wrong.stderr


def test_status_without_a_list_shows_every_submission_as_unknown(tmp_path: Path) -> None:
    with Register.open(tmp_path / "r.sqlite") as reg:
        collect(reg, [FJORDVIK / "member.xlsx"])
        result = status(reg, 2020)
    assert result.agencies == [] and [a.agency for a in result.unknown] == [MEMBER]
    assert "Ingen liste over virksomheter for 2020" in invoke("status", "--year", "2020", "--db",
                                                             str(tmp_path / "r.sqlite")).stdout


# --- history ---------------------------------------------------------------------------------------
def test_history_of_two_versions_and_a_duplicate(filled: Path) -> None:
    with Register.open(filled) as reg:
        result = history(reg, 2020, "  fjordvik KOMMUNE,  helseetaten")
    assert result.agency == HEALTH and result.listed and len(result.versions) == 2
    first, second = result.versions
    assert (first.number, first.filename, first.sender) == (1, "agency-helseetaten-2.xlsx", "post@fjordvik.no")
    assert (second.number, second.filename, second.outcome) == (2, "agency-helseetaten.xlsx", "valid")
    assert first.duplicates == 0 and second.duplicates == 1 and len(second.receipts) == 2
    assert second.form_version == "2020.1" and len(second.sha256) == 64


def test_history_counts_problems_by_code(filled: Path) -> None:
    with Register.open(filled) as reg:
        (version,) = history(reg, 2020, TECHNICAL).versions
    assert version.outcome == "invalid" and sum(version.problems.values()) == version.errors + version.warnings
    assert version.problems["required"] == 3


def test_history_cli(filled: Path) -> None:
    result = invoke("history", HEALTH, "--year", "2020", "--db", str(filled))
    assert result.exit_code == 0, result.output
    assert f"{HEALTH}: 2 versjoner for 2020" in result.stdout
    assert "Versjon 2: gyldig (0 feil, 0 advarsler)" in result.stdout and "– gjeldende" in result.stdout
    assert "Mottatt på nytt (samme filinnhold)" in result.stdout
    payload = json.loads(invoke("history", HEALTH, "--year", "2020", "--json", "--db", str(filled)).stdout)
    assert [v["duplicates"] for v in payload["versions"]] == [0, 1]
    nothing = invoke("history", WATER, "--year", "2020", "--db", str(filled))
    assert nothing.exit_code == 0 and "Ingenting levert ennå." in nothing.stdout
    unknown = invoke("history", "Fjordvik kommune, Helse", "--year", "2020", "--db", str(filled))
    assert unknown.exit_code == 2 and "Mente du «Fjordvik kommune, Helseetaten»" in unknown.stderr
    none = invoke("history", "Oslo kommune", "--year", "2020", "--db", str(filled))
    assert none.exit_code == 2 and "Registeret kjenner ingen virksomhet «Oslo kommune» for 2020" in none.stderr


def test_the_feedback_file_name_is_safe_on_windows() -> None:
    assert feedback_file('A B C', "skjema.xlsx", copy=True) == "A B C/skjema-tilbakemelding.xlsx"
    assert feedback_file("CON_", "con.xlsx", copy=True) == "CON_/con_-tilbakemelding.xlsx"
    assert feedback_file("CON_", 'a:b"?.xlsx', copy=False) == "CON_/a b-problemer.txt"


def test_a_nynorsk_list_reads_too(tmp_path: Path) -> None:
    rows = [("Namn", "Rolle", "E-post"), (MEMBER, "Medlem", "post@fjordvik.no"), (HEALTH, "verksemd", "")]
    agencies, _, _ = read_agencies(list_file(tmp_path / "liste.csv", rows))
    assert [(a.name, a.role) for a in agencies] == [(MEMBER, "member"), (HEALTH, "agency")]


def test_an_unreadable_file_from_a_listed_agency_counts_as_its_delivery(tmp_path: Path) -> None:
    broken = tmp_path / "vann.xlsx"
    broken.write_bytes(b"PK\x03\x04 avkuttet")
    with Register.open(tmp_path / "r.sqlite") as reg:
        import_agencies(reg, list_file(tmp_path / "liste.csv"), 2020)
        collect(reg, [broken], sender="vann@fjordvik.no", year=2020)
        result = status(reg, 2020)
    (water,) = [a for a in result.agencies if a.agency == WATER]
    assert (water.status, water.version, water.filename) == ("unreadable", 1, "vann.xlsx")
    assert result.counts()["unreadable"] == 1 and result.unreadable == []


def test_a_deadline_in_the_reporting_year_is_warned_about(tmp_path: Path) -> None:
    result = invoke("deadline", "2020-06-30", "--year", "2020", "--db", str(tmp_path / "r.sqlite"))
    assert result.exit_code == 0 and "fristen 30.06.2020 er ikke etter rapporteringsåret 2020" in result.stderr


@pytest.mark.parametrize("command", [["agencies", "import"], ["agencies", "list"], ["deadline"], ["status"],
                                     ["history"]])
def test_every_command_explains_itself(command: list[str]) -> None:
    result = invoke(*command, "--help")
    assert result.exit_code == 0 and "--db" in result.stdout and len(result.stdout.splitlines()) > 5
