"""Personal upload links for the web intake: one unguessable token per agency and year.

A token is ``secrets.token_urlsafe(32)`` (256 random bits); the register keeps only its SHA-256
(``links.token_sha256``), so a link is shown once, when it is made, and a copy of the database
gives no one a working link. Making a new link for an agency and year revokes its earlier ones
(``links.revoked`` is the time); :func:`revoke` revokes without a new one. The web intake finds
the agency behind a link with :func:`agency_for_token`, which honours revocation.

The link is ``BASE/TOKEN``. BASE is the web intake's address: ``--base-url`` or the environment
variable :data:`BASE_URL_ENV`; there is no default, since a link to a made-up address mailed to
every agency cannot be called back.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from workbook.csv_safe import write_csv
from workbook.messages import text
from workbook.register.collect import now
from workbook.register.core import Register
from workbook.register.db import RegisterError
from workbook.register.names import name_key

#: where the web intake's address is read from when ``--base-url`` is not given
BASE_URL_ENV = "WORKBOOK_LINK_BASE"
TOKEN_BYTES = 32
#: a token longer than this is no token of ours (token_urlsafe(32) gives 43 characters)
TOKEN_LIMIT = 128


@dataclass(frozen=True)
class Link:
    """A link just made: shown (or written) once, never stored as such."""

    agency: str
    email: str | None
    url: str


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def base_url(given: str | None) -> str:
    """The web intake's address: ``given``, else ``$WORKBOOK_LINK_BASE``; an http(s) address with a
    host and no query or fragment (the token is added as the last part of the path)."""
    base = (given or os.environ.get(BASE_URL_ENV) or "").strip()
    if not base:
        raise RegisterError("register.link.error_no_base", env=BASE_URL_ENV)
    parts = urlsplit(base)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        raise RegisterError("register.link.error_bad_base", url=base)
    return base.rstrip("/") + "/"


def _agency(reg: Register, name: str, year: int) -> sqlite3.Row:
    agencies = reg.expected_agencies(year)
    if not agencies:
        raise RegisterError("register.link.error_no_agencies", year=year)
    for row in agencies:
        if row["name_key"] == name_key(name):
            return row
    raise RegisterError("register.link.error_unknown_agency", agency=name, year=year)


def _revoke(conn: sqlite3.Connection, agency_id: int, year: int, when: str) -> int:
    cursor = conn.execute("UPDATE links SET revoked = ? WHERE agency_id = ? AND year = ? AND revoked IS NULL",
                          (when, agency_id, year))
    return cursor.rowcount


def _new(conn: sqlite3.Connection, agency: sqlite3.Row, year: int, base: str, when: str) -> Link:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    conn.execute("INSERT INTO links (agency_id, year, token_sha256, created) VALUES (?, ?, ?, ?)",
                 (agency["id"], year, token_sha256(token), when))
    return Link(agency["name"], agency["email"], base + token)


def make_link(reg: Register, agency: str, year: int, base: str) -> tuple[Link, int]:
    """A new link for ``agency`` (by name, as on the year's list) and ``year``; with the number of
    earlier links of it that this revoked."""
    row, when = _agency(reg, agency, year), now()
    with reg.transaction() as conn:
        revoked = _revoke(conn, row["id"], year, when)
        return _new(conn, row, year, base, when), revoked


def revoke(reg: Register, agency: str | None, year: int) -> int:
    """Revoke the links of ``agency`` for ``year`` (None: of every agency); how many were live."""
    row, when = (_agency(reg, agency, year) if agency is not None else None), now()
    with reg.transaction() as conn:
        if row is None:
            return conn.execute("UPDATE links SET revoked = ? WHERE year = ? AND revoked IS NULL",
                                (when, year)).rowcount
        return _revoke(conn, row["id"], year, when)


def make_all_links(reg: Register, year: int, base: str, output: Path | str) -> tuple[list[Link], int]:
    """A new link for every expected agency of ``year`` (earlier ones revoked), written to the CSV
    ``output`` for the mail merge (agency, contact e-mail, link); the links and how many earlier
    links were revoked. The CSV is in place before the links count, so a file that cannot be
    written leaves the old links live and nothing changed."""
    agencies = reg.expected_agencies(year)
    if not agencies:
        raise RegisterError("register.link.error_no_agencies", year=year)
    output = Path(output)
    partial = output.with_name(output.name + ".part")
    when = now()
    try:
        with reg.transaction() as conn:
            revoked = sum(_revoke(conn, row["id"], year, when) for row in agencies)
            links = [_new(conn, row, year, base, when) for row in agencies]
            header = [text("register.link.column_agency"), text("register.link.column_email"),
                      text("register.link.column_link")]
            write_csv(partial, [header, *([link.agency, link.email, link.url] for link in links)])
            os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return links, revoked


def agency_for_token(reg: Register, token: str) -> sqlite3.Row | None:
    """The agency a live link's token belongs to (its ``agencies`` row, with ``year`` the link's
    reporting year and ``link_id``), or None for an unknown or revoked token.

    No constant-time comparison is needed: the token is looked up by its SHA-256, so the time the
    look-up takes depends on the hash of what was sent, and learning how much of a hash matched
    tells nothing about a token that would give a matching hash (SHA-256 has no known preimages)."""
    if not isinstance(token, str) or not token or len(token) > TOKEN_LIMIT:
        return None
    rows = reg.query(
        "SELECT agencies.id, agencies.name, agencies.name_key, agencies.role, agencies.email,"
        " links.year AS year, links.id AS link_id"
        " FROM links JOIN agencies ON agencies.id = links.agency_id"
        " WHERE links.token_sha256 = ? AND links.revoked IS NULL", token_sha256(token))
    return rows[0] if rows else None
