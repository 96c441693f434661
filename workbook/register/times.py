"""The register's times: stored as UTC ISO 8601 (sortable, unambiguous), shown in local time."""

from __future__ import annotations

import datetime as dt

from workbook.messages import DEFAULT_LANGUAGE, text


def now() -> str:
    """This moment as the register stores it: UTC, ISO 8601, microseconds (so times sort as received)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def local_time(received: str, language: str = DEFAULT_LANGUAGE) -> str:
    """A stored UTC time as the central unit reads it: local time, Norwegian order."""
    return dt.datetime.fromisoformat(received).astimezone().strftime(text("register.time_format", language))
