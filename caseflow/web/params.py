"""Query-string values, parsed one way for every page and endpoint."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import request

from caseflow.domain.errors import InvalidData


def date_arg(name: str) -> date:
    """A YYYY-MM-DD query value (a date-time is cut to its date); today when absent."""
    value = request.args.get(name)
    if not value:
        return datetime.now(UTC).date()
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
