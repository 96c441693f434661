"""``workbook register export``: the year's archive package. Each accepted submission (per agency on
the list its newest valid one) with its JSON and validation result, one metadata file whose
checksums verify and whose every field is filled, Windows-safe names, never written over anything."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from registers import add_agencies, opened_copy
from workbook.cli import app
from workbook.register import Register, RegisterError
from workbook.register.archive import METADATA_FILE, export_archive
from workbook.register.collect import collect
from workbook.register.names import name_key

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "fjordvik"
HELSE = "Fjordvik kommune, Helseetaten"
AGENCIES = [("Fjordvik kommune", "member", "post@fjordvik.no"),
            ("Fjordvik kommune, Bymiljøetaten", "agency", "bym@fjordvik.no"),
            (HELSE, "agency", "helse@fjordvik.no"),
            ("Fjordvik kommune, Kultur- og idrettsetaten", "agency", "kultur@fjordvik.no"),
            ("Fjordvik kommune, Teknisk etat", "agency", "teknisk@fjordvik.no"),
            ("Fjordvik kommune, Vannetaten", "agency", "vann@fjordvik.no")]  # Skoleetaten is not on the list
#: what a name in the package may hold (see workbook.register.names.safe_file_name)
SAFE_PART = re.compile(r"[A-Za-z0-9 ._,()&'+-]+")
RESERVED = re.compile(r"(con|prn|aux|nul|com\d|lpt\d)(\..*)?", re.IGNORECASE)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Fjordvik samples collected once into a register (its folder), Helseetaten's two files one
    after the other; tests take copies."""
    folder = tmp_path_factory.mktemp("filled")
    with Register.open(folder / "register.sqlite") as reg:
        add_agencies(reg, 2020, AGENCIES)
        others = [p for p in sorted(SAMPLES.glob("*.xlsx")) if "helseetaten" not in p.name]
        collect(reg, others, sender="post@fjordvik.no")
        collect(reg, [SAMPLES / "agency-helseetaten.xlsx"], sender="ola@helse.fjordvik.no")
        collect(reg, [SAMPLES / "agency-helseetaten-2.xlsx"], sender="kari@helse.fjordvik.no")
    return folder


@pytest.fixture
def reg(filled: Path, tmp_path: Path) -> Iterator[Register]:
    yield from opened_copy(filled, tmp_path)


def _empty_fields(value: Any, where: str = "") -> list[str]:
    if isinstance(value, dict):
        return [e for key, inner in value.items() for e in _empty_fields(inner, f"{where}.{key}")]
    if isinstance(value, list):
        return [where] if not value else [e for i, inner in enumerate(value) for e in _empty_fields(inner, f"{where}[{i}]")]
    return [where] if value is None or value == "" else []


def test_the_package_holds_each_accepted_submission_and_its_checksums_verify(reg: Register, tmp_path: Path) -> None:
    run = export_archive(reg, 2020, tmp_path / "arkiv")
    metadata = json.loads((tmp_path / "arkiv" / METADATA_FILE).read_text(encoding="utf-8"))
    assert _empty_fields(metadata) == []
    assert (metadata["rapporteringsaar"], metadata["antallRegistreringer"]) == (2020, 4) == (2020, run.records)
    records = {r["virksomhet"]: r for r in metadata["registreringer"]}
    assert list(records) == ["Fjordvik kommune", "Fjordvik kommune, Bymiljøetaten", HELSE,
                             "Fjordvik kommune, Kultur- og idrettsetaten"]  # the member first, then by name
    assert "Fjordvik kommune, Teknisk etat" not in records and "Fjordvik kommune, Skoleetaten" not in records
    assert run.missing == ["Fjordvik kommune, Teknisk etat", "Fjordvik kommune, Vannetaten"] and run.unknown == 1
    accepted = reg.latest(2020, valid_only=True)
    listed = set()
    for name, record in records.items():
        row = accepted[name_key(name)]
        original, document, result = record["dokumenter"]
        assert original["sjekksum"] == row["sha256"] and record["mottattDato"] == row["received"]
        assert record["korrespondansepart"]["kontaktperson"] == row["sender"]
        for entry in record["dokumenter"]:
            path = tmp_path / "arkiv" / entry["referanseDokumentfil"]
            data = path.read_bytes()
            assert entry["sjekksumAlgoritme"] == "SHA-256"
            assert (hashlib.sha256(data).hexdigest(), len(data)) == (entry["sjekksum"], entry["filstoerrelse"])
            listed.add(path)
        assert (original["format"], document["format"]) == ("fmt/214", "fmt/817")
        exported = tmp_path / f"export-{row['id']}.json"  # the answers as `workbook export` writes them
        assert CliRunner().invoke(app, ["export", str(tmp_path / "arkiv" / original["referanseDokumentfil"]),
                                        "-o", str(exported)]).exit_code == 0
        assert json.loads((tmp_path / "arkiv" / document["referanseDokumentfil"]).read_text("utf-8")) == \
            json.loads(exported.read_text("utf-8"))
        checked = json.loads((tmp_path / "arkiv" / result["referanseDokumentfil"]).read_text("utf-8"))
        assert (checked["utfall"], checked["antallFeil"], len(checked["problemer"])) == \
            ("gyldig", 0, len(reg.problems(row["id"])))
    files = {p for p in (tmp_path / "arkiv").rglob("*") if p.is_file()}
    assert files == listed | {tmp_path / "arkiv" / METADATA_FILE}  # nothing unlisted


def test_the_accepted_version_is_the_newest_valid_one(reg: Register, tmp_path: Path) -> None:
    export_archive(reg, 2020, tmp_path / "arkiv")
    metadata = json.loads((tmp_path / "arkiv" / METADATA_FILE).read_text(encoding="utf-8"))
    helse = next(r for r in metadata["registreringer"] if r["virksomhet"] == HELSE)
    assert helse["versjonsnummer"] == 2 and helse["korrespondansepart"]["kontaktperson"] == "kari@helse.fjordvik.no"
    assert helse["tittel"] == "Medlemsrapport til Etisk handel Norge 2020: Fjordvik kommune, Helseetaten, versjon 2"
    assert helse["dokumenter"][0]["referanseDokumentfil"] == f"{HELSE}/agency-helseetaten-2.xlsx"
    assert not list((tmp_path / "arkiv").rglob("agency-helseetaten.xlsx"))  # the superseded one stays in the register


def test_names_in_the_package_are_windows_safe(reg: Register, tmp_path: Path) -> None:
    with reg.transaction() as conn:  # an agency whose name no file system takes as it is
        for old, new in (("Fjordvik kommune, Bymiljøetaten", "Con. "), (HELSE, "Helse/etaten: «Sør»?")):
            conn.execute("UPDATE agencies SET name = ?, name_key = ? WHERE name_key = ?", (new, name_key(new), name_key(old)))
            conn.execute("UPDATE submissions SET agency_key = ? WHERE agency_key = ?", (name_key(new), name_key(old)))
    export_archive(reg, 2020, tmp_path / "arkiv")
    for path in (tmp_path / "arkiv").rglob("*"):
        part = path.name
        assert SAFE_PART.fullmatch(part) and not RESERVED.fullmatch(part.split(".")[0]), part
        assert not part.endswith((".", " ")) and len(part) <= 100
    assert (tmp_path / "arkiv" / "Con_" / "agency-bymiljoetaten.xlsx").is_file()
    assert (tmp_path / "arkiv" / "Helse etaten Sor" / "agency-helseetaten-2.xlsx").is_file()


def test_it_never_writes_into_a_folder_that_holds_anything(reg: Register, tmp_path: Path) -> None:
    (tmp_path / "arkiv").mkdir()
    (tmp_path / "arkiv" / METADATA_FILE).write_text("{}", encoding="utf-8")
    result = CliRunner().invoke(app, ["register", "export", "--year", "2020", "-o", str(tmp_path / "arkiv"),
                                      "--db", str(reg.path)])
    assert result.exit_code == 2 and "er ikke tom" in result.output
    assert (tmp_path / "arkiv" / METADATA_FILE).read_text(encoding="utf-8") == "{}"


def test_a_tampered_stored_file_stops_the_export_before_anything_is_written(reg: Register, tmp_path: Path) -> None:
    row = reg.latest(2020, valid_only=True)[name_key("Fjordvik kommune")]
    stored = reg.store.path(row["sha256"])
    stored.chmod(0o644)
    stored.write_bytes(stored.read_bytes() + b"x")
    with pytest.raises(RegisterError, match="stemmer ikke lenger med kontrollsummen"):
        export_archive(reg, 2020, tmp_path / "arkiv")
    assert not (tmp_path / "arkiv").exists()


def test_the_command_says_what_is_in_the_package_and_what_is_not(reg: Register, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["register", "export", "--year", "2020", "-o", str(tmp_path / "arkiv"),
                                      "--db", str(reg.path)])
    assert result.exit_code == 0, result.output
    assert "Arkivpakken for 2020 med 4 innleveringer" in result.output
    assert "Uten gyldig innlevering, ikke med: Fjordvik kommune, Teknisk etat, Fjordvik kommune, Vannetaten." in result.output
    assert "1 gyldig innlevering fra virksomheter som ikke er på listen" in result.output
