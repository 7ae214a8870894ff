"""Query-string values, parsed one way for every page and endpoint."""

from __future__ import annotations

from datetime import date

from flask import current_app, request

from caseflow.domain.errors import InvalidData
from caseflow.domain.events import london_date


def today() -> date:
    """The day it is in England by the app's clock: what "today" means to a school, every page alike
    (between midnight and one in summer, the UTC date is still yesterday's)."""
    return london_date(current_app.extensions["caseflow"].cases.clock())


def date_arg(name: str) -> date:
    """A YYYY-MM-DD query value (a date-time is cut to its date); today when absent."""
    value = request.args.get(name)
    if not value:
        return today()
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise InvalidData({name: ["must be a date written as YYYY-MM-DD"]}) from None


def optional_date_arg(name: str) -> date | None:
    """A YYYY-MM-DD query value, or ``None`` when absent or empty."""
    return date_arg(name) if request.args.get(name) else None


def days_arg(name: str, default: int) -> int:
    """A whole number of days (ASCII digits, spaces around allowed); ``default`` when absent; -1 for
    anything else, which the service then refuses with its message of the range it takes."""
    value = request.args.get(name)
    if value is None:
        return default
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 6 else -1
