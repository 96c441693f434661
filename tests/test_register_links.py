"""``workbook register link``: personal upload links, stored only as the SHA-256 of their token,
revoked when a new one is made or on request, found again by the web intake through
``agency_for_token``."""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from registers import add_agencies
from workbook.cli import app
from workbook.register import Register, RegisterError
from workbook.register.links import agency_for_token, base_url, make_all_links, make_link, revoke, token_sha256

BASE = "https://innlevering.fjordvik.example/last-opp/"
AGENCIES = [("Fjordvik kommune", "member", "post@fjordvik.no"),
            ("Fjordvik kommune, Bymiljøetaten", "agency", "bym@fjordvik.no"),
            ("Fjordvik kommune, Helseetaten", "agency", "=HYPERLINK(\"http://x\")"),
            ("Fjordvik kommune, Teknisk etat", "agency", None)]


@pytest.fixture
def reg(tmp_path: Path) -> Register:
    register = Register.open(tmp_path / "register.sqlite")
    add_agencies(register, 2020, AGENCIES)
    yield register
    register.close()


def _token(url: str) -> str:
    assert url.startswith(BASE)
    token = url[len(BASE):]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token), token  # token_urlsafe(32): 256 random bits
    return token


def _database_bytes(reg: Register) -> bytes:
    reg.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return b"".join(p.read_bytes() for p in reg.path.parent.glob("register.sqlite*"))


def test_a_link_is_found_by_its_token_which_the_database_holds_only_as_a_hash(reg: Register) -> None:
    link, revoked = make_link(reg, "fjordvik kommune,  BYMILJØETATEN", 2020, BASE)
    token = _token(link.url)
    assert (link.agency, link.email, revoked) == ("Fjordvik kommune, Bymiljøetaten", "bym@fjordvik.no", 0)
    stored = reg.query("SELECT * FROM links")
    assert [row["token_sha256"] for row in stored] == [hashlib.sha256(token.encode()).hexdigest()]
    assert stored[0]["revoked"] is None and stored[0]["year"] == 2020
    everything = _database_bytes(reg)
    assert token.encode() not in everything and token_sha256(token).encode() in everything
    found = agency_for_token(reg, token)
    assert found is not None and (found["name"], found["email"], found["year"]) == (link.agency, link.email, 2020)
    assert agency_for_token(reg, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert agency_for_token(reg, "") is None and agency_for_token(reg, "x" * 10_000) is None


def test_a_new_link_revokes_the_old_one_and_revoke_makes_none(reg: Register) -> None:
    first, _ = make_link(reg, "Fjordvik kommune, Helseetaten", 2020, BASE)
    second, revoked = make_link(reg, "Fjordvik kommune, Helseetaten", 2020, BASE)
    assert revoked == 1 and first.url != second.url
    assert agency_for_token(reg, _token(first.url)) is None
    assert agency_for_token(reg, _token(second.url))["name"] == "Fjordvik kommune, Helseetaten"
    other, _ = make_link(reg, "Fjordvik kommune", 2020, BASE)
    assert revoke(reg, "Fjordvik kommune, Helseetaten", 2020) == 1
    assert agency_for_token(reg, _token(second.url)) is None
    assert agency_for_token(reg, _token(other.url)) is not None  # another agency's link still works
    assert revoke(reg, "Fjordvik kommune, Helseetaten", 2020) == 0
    rows = reg.query("SELECT revoked FROM links ORDER BY id")
    assert [row["revoked"] is not None for row in rows] == [True, True, False]


def test_all_links_go_to_a_csv_that_reads_back_and_each_says_how_many_it_revoked(reg: Register, tmp_path: Path) -> None:
    make_link(reg, "Fjordvik kommune", 2020, BASE)
    runner = CliRunner()
    db = ["--db", str(reg.path)]
    made = runner.invoke(app, ["register", "link", "--all", "--year", "2020", "-o", str(tmp_path / "lenker.csv"),
                               "--base-url", BASE, *db])
    assert made.exit_code == 0, made.output
    assert "4 nye opplastingslenker for 2020" in made.output and "1 tidligere lenke er trukket tilbake" in made.output
    raw = (tmp_path / "lenker.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
    assert rows[0] == ["Virksomhet", "E-post", "Lenke"]
    assert [(r[0], r[1]) for r in rows[1:]] == [
        ("Fjordvik kommune", "post@fjordvik.no"), ("Fjordvik kommune, Bymiljøetaten", "bym@fjordvik.no"),
        ("Fjordvik kommune, Helseetaten", "'=HYPERLINK(\"http://x\")"),  # never a live formula
        ("Fjordvik kommune, Teknisk etat", "")]
    tokens = [_token(r[2]) for r in rows[1:]]
    assert len(set(tokens)) == 4
    assert [agency_for_token(reg, t)["name"] for t in tokens] == [r[0] for r in rows[1:]]
    again = runner.invoke(app, ["register", "link", "--all", "--year", "2020", "-o", str(tmp_path / "lenker2.csv"),
                                "--base-url", BASE, *db])
    assert "4 tidligere lenker er trukket tilbake" in again.output
    assert all(agency_for_token(reg, t) is None for t in tokens)
    revoked = runner.invoke(app, ["register", "link", "--all", "--revoke", "--year", "2020", *db])
    assert revoked.exit_code == 0 and "4 tidligere lenker er trukket tilbake" in revoked.output
    assert reg.query("SELECT count(*) FROM links WHERE revoked IS NULL")[0][0] == 0


def test_one_link_is_shown_once_on_the_command_line(reg: Register, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBOOK_LINK_BASE", "https://intake.example")
    result = CliRunner().invoke(app, ["register", "link", "Fjordvik kommune, Teknisk etat", "--year", "2020",
                                      "--db", str(reg.path)])
    assert result.exit_code == 0, result.output
    url = re.search(r"https://intake\.example/(\S+)", result.output)
    assert url and agency_for_token(reg, url.group(1))["name"] == "Fjordvik kommune, Teknisk etat"
    assert "vises bare nå" in result.output


@pytest.mark.parametrize("arguments, message", [
    (["Fjordvik kommune, Vannetaten", "--base-url", BASE], "«Fjordvik kommune, Vannetaten» er ikke på listen"),
    (["Fjordvik kommune"], "Adressen til nettinnleveringen mangler"),
    (["Fjordvik kommune", "--base-url", "innlevering.example"], "ingen gyldig adresse"),
    (["Fjordvik kommune", "--base-url", "https://x.example/?a=1"], "ingen gyldig adresse"),
    (["--all", "--base-url", BASE], "oppgi -o"),
    ([], "Oppgi virksomheten"),
])
def test_what_cannot_make_a_link_is_said_in_one_line(reg: Register, arguments: list[str], message: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKBOOK_LINK_BASE", raising=False)
    result = CliRunner().invoke(app, ["register", "link", *arguments, "--year", "2020", "--db", str(reg.path)])
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output
    assert reg.query("SELECT count(*) FROM links")[0][0] == 0


def test_a_year_without_a_list_has_no_links(tmp_path: Path) -> None:
    with Register.open(tmp_path / "r.sqlite") as reg, pytest.raises(RegisterError) as error:
        make_all_links(reg, 2020, base_url(BASE), tmp_path / "l.csv")
    assert "ingen liste over virksomheter for 2020" in str(error.value)
    assert not (tmp_path / "l.csv").exists()


def test_a_list_that_cannot_be_written_leaves_the_old_links_live(reg: Register, tmp_path: Path) -> None:
    old, _ = make_link(reg, "Fjordvik kommune", 2020, BASE)
    (tmp_path / "lenker.csv").mkdir()  # the name is taken by a folder
    result = CliRunner().invoke(app, ["register", "link", "--all", "--year", "2020", "-o", str(tmp_path / "lenker.csv"),
                                      "--base-url", BASE, "--db", str(reg.path)])
    assert result.exit_code == 2 and "Feil:" in result.output and "Traceback" not in result.output
    assert agency_for_token(reg, _token(old.url))["name"] == "Fjordvik kommune"
    assert reg.query("SELECT count(*) FROM links")[0][0] == 1
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("lenker")] == ["lenker.csv"]
