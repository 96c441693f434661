"""``workbook generate --db DB --year 2021 --out-dir DIR``: next year's workbooks from a register
filled by collecting the Fjordvik samples: one per expected agency, named after it, prefilled from
its newest valid submission (in its language), a blank form for one without; the year's own list
where one was imported."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from documents import ROOT
from workbook.carry import file_names
from workbook.cli import app
from workbook.form import ROLE_AGENCY, ROLE_MEMBER, load_form
from workbook.generate import generate
from workbook.register import Register
from workbook.register.collect import collect
from workbook.register.names import name_key
from workbook.validate import check_file, validate_file

FJORDVIK = ROOT / "samples" / "fjordvik"
MEMBER = "Fjordvik kommune"
AGENCIES_2020 = [
    (MEMBER, ROLE_MEMBER), ("Fjordvik kommune, Bymiljøetaten", ROLE_AGENCY),
    ("Fjordvik kommune, Helseetaten", ROLE_AGENCY), ("Fjordvik kommune, Kultur- og idrettsetaten", ROLE_AGENCY),
    ("Fjordvik kommune, Skoleetaten", ROLE_AGENCY), ("Fjordvik kommune, Teknisk etat", ROLE_AGENCY),
    ("Fjordvik kommune, Havnevesenet", ROLE_AGENCY),  # on the list, never delivered
]


def _list(reg: Register, year: int, agencies: list[tuple[str, str]]) -> None:
    """The year's list of agencies, as `register agencies import` records it."""
    with reg.transaction() as conn:
        conn.executemany("INSERT INTO agencies (year, name, name_key, role, email) VALUES (?, ?, ?, ?, ?)",
                         [(year, name, name_key(name), role, None) for name, role in agencies])


@pytest.fixture()
def register(tmp_path: Path) -> Path:
    """A register of 2020: the Fjordvik list and every sample collected (Teknisk etat's is invalid)."""
    db = tmp_path / "register.sqlite"
    with Register.open(db) as reg:
        _list(reg, 2020, AGENCIES_2020)
        receipts = collect(reg, [FJORDVIK], sender="innkjop@fjordvik.kommune.no")
    assert {r.outcome for r in receipts} == {"valid", "invalid"}
    return db


def _exported(db: Path, row: Any) -> dict[str, Any]:
    """A submission's answers as ``workbook export`` writes them from its stored file."""
    with Register.open(db) as reg:
        return check_file(reg.store.path(row["sha256"])).json_document()


def _run(*args: str) -> Any:
    return CliRunner().invoke(app, ["generate", *map(str, args)])


def _read(path: Path) -> Any:
    result = validate_file(path, keep_document=True)
    assert result.readable and result.document is not None
    return result


def test_one_workbook_per_expected_agency_prefilled_from_its_newest_valid_submission(
        register: Path, tmp_path: Path) -> None:
    out = tmp_path / "2021"
    result = _run("--db", register, "--year", "2021", "--out-dir", out)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    names = file_names(name for name, _ in AGENCIES_2020)
    assert sorted(p.name for p in out.iterdir()) == sorted(names)

    with Register.open(register) as reg:
        accepted = reg.latest(2020, valid_only=True)
    form = load_form()
    for (agency, role), name in zip(AGENCIES_2020, names):
        path = out / name
        line = next(line for line in lines if line.startswith(f"{agency} -> "))
        read = _read(path)
        assert read.metadata["agency"] == agency and read.metadata["role"] == role
        assert read.metadata["reporting_year"] == 2021
        data = read.document["data"]
        last = accepted.get(name_key(agency))
        if last is None:  # Havnevesenet never delivered; Teknisk etat's only workbook is invalid
            assert line == f"{agency} -> {path}: tomt skjema"
            assert all(value in (None, []) for value in data.values())
            continue
        assert re.fullmatch(rf"{re.escape(agency)} -> {re.escape(str(path))}: forhåndsutfylt fra innlevering av "
                            r"\d\d\.\d\d\.\d{4} kl\. \d\d:\d\d:\d\d", line), line
        document = _exported(register, last)
        for field_ in form.questions():
            if field_.carry:
                assert data[field_.key] == document["data"][field_.key], (agency, field_.key)
        goals = [row["goal"] for row in document["data"]["goals_next_year"]]
        assert [(row["goal"], row["status"]) for row in data["goals_reporting_year"]] == [(g, None) for g in goals]
        assert data["employees"] is None and data["requirements"] == []
    assert lines[-1] == f"Skrev 7 arbeidsbøker for 2021 i {out}: 5 forhåndsutfylt fra siste gyldige innlevering, 2 tomme."
    # Helseetaten came twice: the newer of its two valid versions is the one carried
    with Register.open(register) as reg:
        versions = reg.versions(2020, name_key("Fjordvik kommune, Helseetaten"))
    assert len(versions) == 2 and accepted[name_key("Fjordvik kommune, Helseetaten")]["id"] == versions[-1]["id"]


def test_the_years_own_list_counts_and_each_workbook_keeps_its_language(register: Path, tmp_path: Path) -> None:
    # Skoleetaten sends a corrected copy in nynorsk: its next workbook is in nynorsk
    source = json.loads((ROOT / "samples" / "json" / "fjordvik" / "agency-skoleetaten.json").read_text("utf-8"))
    source["data"]["contact_name"] = "Marte Lunde Haugen"
    nynorsk = generate(tmp_path / "skole-nn.xlsx", prefill=source, language="nn")
    with Register.open(register) as reg:
        assert collect(reg, [nynorsk])[0].outcome == "valid"
        _list(reg, 2021, [(MEMBER, ROLE_MEMBER), ("FJORDVIK KOMMUNE, SKOLEETATEN", ROLE_AGENCY),
                          ("Fjordvik kommune, Vannverket", ROLE_AGENCY)])
    out = tmp_path / "2021"
    result = _run("--db", register, "--year", "2021", "--out-dir", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["fjordvik-kommune-skoleetaten.xlsx",
                                                     "fjordvik-kommune-vannverket.xlsx", "fjordvik-kommune.xlsx"]
    school = _read(out / "fjordvik-kommune-skoleetaten.xlsx")
    assert school.language == "nn" and school.metadata["agency"] == "FJORDVIK KOMMUNE, SKOLEETATEN"
    assert school.document["data"]["contact_name"] == "Marte Lunde Haugen"
    assert _read(out / "fjordvik-kommune.xlsx").language == "nb"
    assert "Fjordvik kommune, Vannverket -> " in result.stdout and "tomt skjema" in result.stdout
    # --lang writes them all in one language
    again = _run("--db", register, "--year", "2021", "--out-dir", tmp_path / "nb", "--lang", "nb")
    assert again.exit_code == 0 and _read(tmp_path / "nb" / "fjordvik-kommune-skoleetaten.xlsx").language == "nb"


def test_an_earlier_years_submission_counts_and_a_value_the_rules_now_refuse_is_named(tmp_path: Path) -> None:
    db = tmp_path / "register.sqlite"
    source = json.loads((ROOT / "samples" / "json" / "fjordvik" / "agency-bymiljoetaten.json").read_text("utf-8"))
    source["data"]["contact_email"] = "post(at)x.no"
    with Register.open(db) as reg:
        (receipt,) = collect(reg, [generate(tmp_path / "b.xlsx", prefill=source)])
        assert receipt.outcome == "invalid" and receipt.errors == 1
    result = _run("--db", db, "--year", "2021", "--out-dir", tmp_path / "out")
    assert result.exit_code == 2 and not (tmp_path / "out").exists()  # no list for 2021 or before
    assert "Registeret har ingen virksomheter for 2021" in result.output
    with Register.open(db) as reg:
        _list(reg, 2022, [(source["agency"], ROLE_AGENCY)])
        # accepted under rules that took what today's refuse (as a later form version may): left out, named
        reg.conn.execute("UPDATE submissions SET outcome = 'valid', errors = 0")
        reg.conn.commit()
    result = _run("--db", db, "--year", "2022", "--out-dir", tmp_path / "out")  # nothing from 2021: 2020's
    assert result.exit_code == 0, result.output
    first, second = result.stdout.splitlines()[:2]
    assert first.startswith(f"{source['agency']} -> {tmp_path / 'out' / 'fjordvik-kommune-bymiljoetaten.xlsx'}: "
                            "forhåndsutfylt fra innlevering av "), first
    assert second == "  Ikke overført fordi svaret ikke lenger følger reglene (virksomheten fyller det ut på nytt): Epost"
    data = _read(tmp_path / "out" / "fjordvik-kommune-bymiljoetaten.xlsx").document["data"]
    assert data["contact_email"] is None and data["contact_name"] == source["data"]["contact_name"]


@pytest.mark.parametrize(("args", "said"), [
    (["--db", "r.sqlite", "--year", "2021"], "--db lager én arbeidsbok per virksomhet"),
    (["--out-dir", "ut", "--year", "2021"], "--db lager én arbeidsbok per virksomhet"),
    (["--db", "r.sqlite", "--out-dir", "ut"], "--db lager én arbeidsbok per virksomhet"),
    (["--db", "r.sqlite", "--year", "2021", "--out-dir", "ut", "-o", "x.xlsx"], "-o kan ikke brukes sammen med --db"),
    (["--db", "r.sqlite", "--year", "2021", "--out-dir", "ut", "--agency", "X"], "--agency kan ikke brukes"),
    ([], "Valget «--output» / «-o» må oppgis."),
])
def test_usage_errors(args: list[str], said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = _run(*args)
    assert result.exit_code == 2 and said in result.output, result.output
    assert not (tmp_path / "r.sqlite").exists() and not (tmp_path / "ut").exists()


def test_a_corrected_workbook_collected_later_is_the_one_carried(register: Path, tmp_path: Path) -> None:
    corrected = ROOT / "samples" / "register" / "agency-teknisk-rettet.xlsx"
    with Register.open(register) as reg:
        assert collect(reg, [corrected])[0].outcome == "valid"
        last = _exported(register, reg.latest(2020, valid_only=True)[name_key("Fjordvik kommune, Teknisk etat")])
    result = _run("--db", register, "--year", "2021", "--out-dir", tmp_path / "2021")
    assert result.exit_code == 0, result.output
    assert "Fjordvik kommune, Teknisk etat -> " in result.stdout and result.stdout.count("tomt skjema") == 1
    data = _read(tmp_path / "2021" / "fjordvik-kommune-teknisk-etat.xlsx").document["data"]
    assert data["contact_email"] == last["data"]["contact_email"] and "@" in data["contact_email"]
    assert data["membership_year"] == last["data"]["membership_year"] <= 2021


def test_a_stored_file_altered_since_it_came_is_said_not_carried(register: Path, tmp_path: Path) -> None:
    with Register.open(register) as reg:
        row = reg.latest(2020, valid_only=True)[name_key("Fjordvik kommune, Skoleetaten")]
        stored = reg.store.path(row["sha256"])
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0x01
    stored.write_bytes(bytes(data))
    result = _run("--db", register, "--year", "2021", "--out-dir", tmp_path / "2021")
    assert result.exit_code == 2, result.output  # a clear message, no traceback
    assert f"Den lagrede filen til Fjordvik kommune, Skoleetaten (SHA-256 {row['sha256']}) mangler eller er endret" \
        in result.output
    assert not (tmp_path / "2021").exists()  # nothing written
