"""The deadline shown to agencies for a reporting year: typed as an ISO date (2021-02-15) or as
Norwegians write it (15.02.2021), kept as an ISO date, shown back in the Norwegian form."""

from __future__ import annotations

import datetime as dt
import re

from workbook.messages import text
from workbook.register.core import Register
from workbook.register.db import RegisterError

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NORWEGIAN = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


def parse_date(value: str) -> dt.date:
    """``2021-02-15`` or ``15.02.2021`` as a date; a :class:`RegisterError` for anything else."""
    value = value.strip()
    if match := _ISO.fullmatch(value):
        year, month, day = match.groups()
    elif match := _NORWEGIAN.fullmatch(value):
        day, month, year = match.groups()
    else:
        raise RegisterError("register.deadline.error_format", value=value)
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise RegisterError("register.deadline.error_no_such_date", value=value) from None


def shown_date(date: dt.date | str) -> str:
    """A date as the central unit and the agencies read it (15.02.2021)."""
    if isinstance(date, str):
        date = dt.date.fromisoformat(date)
    return date.strftime(text("register.deadline.date_format"))


def set_deadline(reg: Register, year: int, value: str | dt.date) -> dt.date:
    """Make ``value`` the deadline of ``year`` (replacing an earlier one); the date set."""
    date = value if isinstance(value, dt.date) else parse_date(value)
    with reg.transaction() as conn:
        conn.execute("INSERT INTO deadlines (year, deadline) VALUES (?, ?)"
                     " ON CONFLICT (year) DO UPDATE SET deadline = excluded.deadline", (year, date.isoformat()))
    return date
