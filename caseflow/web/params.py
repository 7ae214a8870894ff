"""Query-string values, parsed one way for every page and endpoint."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

from flask import current_app, request

from caseflow.domain.dates import EARLIEST_YEAR, early_date_problem, read_day, real_date_wanted
from caseflow.domain.errors import DayNotKnown, InvalidData
from caseflow.domain.events import london_date, long_date
from caseflow.services.cohort import Asked

T = TypeVar("T")


def today() -> date:
    """The day it is in England by the app's clock: what "today" means to a school, every page alike
    (between midnight and one in summer, the UTC date is still yesterday's)."""
    return london_date(current_app.extensions["caseflow"].cases.clock())


def date_arg(name: str) -> date:
    """A YYYY-MM-DD query value (a date-time is cut to its date); today when absent. One before
    ``EARLIEST_YEAR`` is refused: no record is that old, and what is counted back from it leaves the calendar."""
    value = request.args.get(name)
    if not value:
        return today()
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        raise InvalidData({name: ["must be a date written as YYYY-MM-DD"]}) from None
    if day.year < EARLIEST_YEAR:
        raise InvalidData({name: [f"must be a date in {EARLIEST_YEAR} or later"]})
    return day


def page_date_arg(name: str, label: str = "The date") -> date:
    """For a page, not the API (whose contract keeps YYYY-MM-DD): a date in the address as the date picker
    sends it (YYYY-MM-DD) or as a person types it, day first (27/03/2017); today when absent. One that is
    neither, or no day of the calendar, is refused in the words every form uses for a date, naming the box
    by ``label``."""
    value = request.args.get(name)
    if not value:
        return today()
    day = read_day(value[:20])
    if day is None and value[10:11] in {"T", " "}:  # a date-time is cut to its date, as date_arg does (not 01/02/20260)
        day = read_day(value[:10])
    if day is None:
        raise InvalidData({name: [real_date_wanted(label)]})
    if day.year < EARLIEST_YEAR:  # 0001-01-01 took the report pages down: their months count back to the year 0
        raise InvalidData({name: [early_date_problem(label)]})
    return day


def page_date(name: str) -> tuple[date, dict[str, list[str]]]:
    """A page's "as at" date for figures from the address, or today with the problem of the one asked for: the
    page is then shown again with the message on its box, as the due list is, not replaced by an error page.
    A day after today is refused: figures as at next year would be today's under a date they are not (a
    governor read "As at 1 January 2030" over today's roll)."""
    try:
        day = page_date_arg(name)
    except InvalidData as error:
        return today(), error.errors
    if day > today():
        return today(), {name: [f"The date must be today or earlier: figures are known only up to today ({long_date(today())})"]}
    return day, {}


def figures_as_asked(read: Callable[[date, Asked], T], name: str = "as_of") -> tuple[T | None, dict[str, list[str]]]:
    """Figures as at the page's date (``read``: the service's read of them as at a day, as asked), or None with the
    problem of the day asked: one that is no date or a day to come (``page_date``), or one before the school's
    records begin. The service checks who is asking first, then logs the refusal (``DayNotKnown``): the access log
    never names a read of a day whose figures were not given."""
    day, errors = page_date(name)
    typed = request.args.get(name, "")[:20] or day.isoformat()
    try:
        return read(day, Asked(typed, " ".join(errors[name]) if errors else None)), {}
    except DayNotKnown as error:
        return None, errors or dict(error.errors)


def optional_date_arg(name: str) -> date | None:
    """A YYYY-MM-DD query value, or ``None`` when absent or empty."""
    return date_arg(name) if request.args.get(name) else None


def optional_page_date_arg(name: str, label: str) -> date | None:
    """For a page, a date a person may leave empty, read as ``page_date_arg`` reads one; ``None`` when absent
    or empty (the API's ``optional_date_arg`` keeps YYYY-MM-DD)."""
    return page_date_arg(name, label) if request.args.get(name) else None


def days_arg(name: str, default: int) -> int:
    """A whole number of days (ASCII digits, spaces around allowed); ``default`` when absent; -1 for
    anything else, which the service then refuses with its message of the range it takes."""
    value = request.args.get(name)
    if value is None:
        return default
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 6 else -1


def past_date_arg(name: str) -> date:
    """For figures through the API, refused as the report pages refuse them (``page_date``): a YYYY-MM-DD day,
    today when absent, never a day to come (figures as at next year would be today's under a date they are not)."""
    day = date_arg(name)
    if day > today():
        raise InvalidData({name: [f"must be today or earlier: figures are known only up to today ({today().isoformat()})"]})
    return day
