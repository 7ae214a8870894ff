"""A school's own term dates and closure days: its staff who work its cases read them (the case
pages and the due list count terms and school days by them); its head, senior leaders and DSL set
them, a school year at a time. Every change is in the access log with what it replaced, since the
dates decide which term a suspension counts in and by when a governing board must meet."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, Protocol

from caseflow.domain.errors import CaseflowError, InvalidData, NotFound, NotPermitted
from caseflow.domain.roles import Role
from caseflow.domain.school_calendar import TERMS, SchoolCalendar, parse_date, parse_dates, school_year, school_year_calendar
from caseflow.services.access import SCHOOL_CASE_ROLES, Principal, choose_role
from caseflow.services.ports import AccessLog

CALENDAR_READERS = SCHOOL_CASE_ROLES
CALENDAR_SETTERS = frozenset({Role.HEADTEACHER, Role.SLT, Role.DSL})
#: the school years the dates may be set for
FIRST_YEAR, LAST_YEAR = 2000, 2099


class CalendarStore(Protocol):
    def calendar(self, school_urn: str) -> SchoolCalendar: ...

    def set_year(self, school_urn: str, year: int, calendar: SchoolCalendar) -> SchoolCalendar: ...


class SchoolReads(Protocol):
    def school_exists(self, school_urn: str) -> bool: ...


def year_summary(calendar: SchoolCalendar, year: int) -> str:
    """One school year's dates in a line, for the access log."""
    terms = [
        f"{t.name} {t.first_day.isoformat()} to {t.last_day.isoformat()}" for t in calendar.terms if t.term.school_year == year
    ]
    closed = sum(1 for d in calendar.closures if school_year(d) == year)
    return (", ".join(terms) or "none set") + f"; {closed} closure days"


def school_year_arg(value: Any) -> int:
    """A school year named by the calendar year it begins in (2026 for 2026 to 2027)."""
    text = str(value).strip() if isinstance(value, int | str) and not isinstance(value, bool) else ""
    if not (text.isascii() and text.isdigit() and len(text) == 4 and FIRST_YEAR <= int(text) <= LAST_YEAR):
        raise InvalidData({"year": [f"give the year the school year begins in, from {FIRST_YEAR} to {LAST_YEAR}"]})
    return int(text)


def term_dates_from(body: Mapping[str, Any]) -> dict[str, tuple[date | None, date | None]]:
    """Each term's first and last day from ``{"autumn": {"first_day": ..., "last_day": ...}, ...}``."""
    found: dict[str, tuple[date | None, date | None]] = {}
    errors: dict[str, list[str]] = {}
    for name in TERMS:
        given = body.get(name)
        days: list[date | None] = [None, None]
        for i, key in enumerate(("first_day", "last_day")):
            value = given.get(key) if isinstance(given, Mapping) else None
            if value is None:
                continue
            try:
                days[i] = parse_date(value if isinstance(value, str) else "", name)
            except InvalidData:
                errors[name] = [f"the {name} term's {key.replace('_', ' ')} must be a date written as YYYY-MM-DD"]
        found[name] = (days[0], days[1])
    if errors:
        raise InvalidData(errors)
    return found


class SchoolCalendarService:
    def __init__(self, store: CalendarStore, reads: SchoolReads, audit: AccessLog) -> None:
        self.store = store
        self.reads = reads
        self.audit = audit

    def _held(self, principal: Principal, school_urn: str, wanted: frozenset[str]) -> str | None:
        """The role in which ``principal`` may do this at the school; outsiders are told there is none."""
        held = frozenset(role for role, school in principal.grants if school == school_urn)
        if not held or not self.reads.school_exists(school_urn):
            raise NotFound("no such school")
        return choose_role(held, wanted)

    def view(self, principal: Principal, school_urn: str) -> SchoolCalendar:
        if self._held(principal, school_urn, CALENDAR_READERS) is None:
            raise NotPermitted("your role may not see this school's term dates")
        return self.store.calendar(school_urn)

    def may_set(self, principal: Principal, school_urn: str) -> bool:
        return any(principal.has(role, school_urn) for role in CALENDAR_SETTERS)

    def set_year(self, principal: Principal, school_urn: str, year: Any, body: Mapping[str, Any]) -> SchoolCalendar:
        """Replace one school year's terms and closure days from ``body`` (each term's first and last day,
        and ``closures``: text as ``parse_dates`` reads it, or a list of such lines); refused whole, with
        every message at once, if any of it is wrong. Outsiders are told there is no such school before
        anything they sent is read; every refusal is logged."""
        role = self._held(principal, school_urn, CALENDAR_SETTERS)
        try:
            if role is None:
                raise NotPermitted("only the school's headteacher, senior leaders or DSL may set its term dates")
            chosen, calendar = _checked_body(year, body)
            before = self.store.set_year(school_urn, chosen, calendar)
        except CaseflowError as error:
            outcome = "forbidden" if error.status == 403 else "refused"
            self.audit.record(
                username=principal.username, role=role, action="set_term_dates", outcome=outcome, detail=f"school {school_urn}"
            )
            raise
        detail = (
            f"school {school_urn}, {chosen} to {chosen + 1}: {year_summary(calendar, chosen)} "
            f"(was: {year_summary(before, chosen)})"
        )
        self.audit.record(username=principal.username, role=role, action="set_term_dates", outcome="ok", detail=detail)
        return self.store.calendar(school_urn)


def calendar_body(dates: Mapping[str, tuple[date, date]], closures: Iterable[date]) -> dict[str, Any]:
    """What ``SchoolCalendarService.set_year`` reads, from dates (for the demo and the CLI's callers)."""
    terms = {name: {"first_day": first.isoformat(), "last_day": last.isoformat()} for name, (first, last) in dates.items()}
    return terms | {"closures": [d.isoformat() for d in sorted(closures)]}


#: the longest closures text read (a year's closures as single days take under 1,000 characters)
MAX_CLOSURES_TEXT = 20_000


def _checked_body(year: Any, body: Mapping[str, Any]) -> tuple[int, SchoolCalendar]:
    """The year and its calendar, or ``InvalidData`` naming everything wrong with them at once: a closure
    written wrongly does not hide terms out of order, nor they a closure on a Saturday."""
    errors: dict[str, list[str]] = {}
    found: list[Any] = [None, None, None]
    closures = body.get("closures", "")
    if isinstance(closures, list) and all(isinstance(line, str) for line in closures):
        closures = "\n".join(closures)
    for i, (parse, arg) in enumerate(((school_year_arg, year), (term_dates_from, body), (_closures, closures))):
        try:
            found[i] = parse(arg)
        except InvalidData as error:
            errors.update(error.errors)
    calendar = None
    if found[0] is not None and found[1] is not None:
        try:
            calendar = school_year_calendar(found[0], found[1], found[2] or [])
        except InvalidData as error:
            errors = error.errors | errors  # a closure's own wording first
    if errors:
        raise InvalidData(errors)
    assert calendar is not None
    return found[0], calendar


def _closures(text: Any) -> list[date]:
    if not isinstance(text, str):
        raise InvalidData({"closures": ["must be dates written as YYYY-MM-DD, a list of them, or runs of them"]})
    if len(text) > MAX_CLOSURES_TEXT:
        raise InvalidData({"closures": [f"is longer than {MAX_CLOSURES_TEXT:,} characters"]})
    return parse_dates(text)
