"""School terms and school days: which term a day falls in, and which day is the Nth school day after
another (domain facts, section 5: the 5- and 15-day thresholds are per term; the governing board meets
within 15 or 50 *school* days; alternative provision starts on the sixth school day).

Term dates differ between local authorities and schools, so a school may set its own for a school year,
with the days it is closed (training days, bank holidays). Where it has, its dates decide; where it has
not, terms are computed (autumn from September, spring from January to Easter Day, summer after it) and
no deadline is dated, since a school day cannot be told from a holiday without the school's dates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from caseflow.domain.errors import InvalidData

TERMS = ("autumn", "spring", "summer")
#: the most closure days a school year may list (a year has about 190 school days)
MAX_CLOSURES = 60
#: how far a count of school days may run before it stops looking (past any summer holiday)
_LONGEST_SEARCH = timedelta(days=400)


@dataclass(frozen=True, slots=True, order=True)
class Term:
    """A school term, named by the calendar year its school year began in (as ``school_year``)."""

    school_year: int
    name: str

    @property
    def label(self) -> str:
        year = self.school_year if self.name == "autumn" else self.school_year + 1
        return f"{self.name} term {year}"


def school_year(day: date) -> int:
    """The calendar year in which the school year containing ``day`` began (1 September)."""
    return day.year if day.month >= 9 else day.year - 1


def easter_sunday(year: int) -> date:
    """Easter Day in the Gregorian calendar (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (b - (b + 8) // 25 + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday) // 451
    month, day = divmod(h + weekday - 7 * m + 114, 31)
    return date(year, month, day + 1)


def school_term(day: date) -> Term:
    """The term a day falls in without the school's own dates. The Easter holidays always surround
    Easter Day, so spring runs from January to Easter Day and summer from the day after, which puts
    nearly every school day in the term its school would put it in."""
    year = school_year(day)
    if day.month >= 9:
        return Term(year, "autumn")
    return Term(year, "spring" if day <= easter_sunday(day.year) else "summer")


@dataclass(frozen=True, slots=True)
class TermDates:
    """One term of a school's year: its first and last day."""

    name: str
    first_day: date
    last_day: date

    @property
    def term(self) -> Term:
        return Term(school_year(self.first_day), self.name)

    def holds(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


@dataclass(frozen=True, slots=True)
class SchoolCalendar:
    """The term dates and closure days a school has set (none: every answer is computed or unknown)."""

    terms: tuple[TermDates, ...] = ()
    closures: frozenset[date] = field(default_factory=frozenset)

    def years(self) -> frozenset[int]:
        """The school years whose three terms are all set."""
        named: dict[int, set[str]] = {}
        for t in self.terms:
            named.setdefault(t.term.school_year, set()).add(t.name)
        return frozenset(year for year, names in named.items() if names == set(TERMS))

    def term_on(self, day: date) -> Term:
        """The school's term holding ``day``; a holiday, the term of the next school day in the same
        school year (a suspension from 21 December is served in the spring term); otherwise, or in a
        year not set, as computed."""
        for t in self.terms:
            if t.holds(day):
                return t.term
        following = self.school_day(day, 1) if school_year(day) in self.years() else None
        if following is not None and school_year(following) == school_year(day):
            return self.term_on(following)
        return school_term(day)

    def is_school_day(self, day: date) -> bool | None:
        """A weekday in a term and not a closure; None if the school has not set that year."""
        if school_year(day) not in self.years():
            return None
        return day.weekday() < 5 and day not in self.closures and any(t.holds(day) for t in self.terms)

    def school_day(self, after: date, count: int) -> date | None:
        """The ``count``-th school day after ``after`` (not counting it), or None if the school's dates
        do not reach that far."""
        found, day = 0, after
        while day - after < _LONGEST_SEARCH:
            if day == date.max:
                return None
            day += timedelta(days=1)
            open_ = self.is_school_day(day)
            if open_ is None:
                return None
            found += open_
            if found == count:
                return day
        return None

    def nth_day_of(self, start: date, count: int) -> date | None:
        """The ``count``-th school day of a period beginning on ``start`` (which is its first, if it
        is a school day): the sixth day of a suspension, from which full-time provision is due."""
        first = self.is_school_day(start)
        if first is None:
            return None
        return start if first and count == 1 else self.school_day(start, count - int(first))


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(text: str, field_name: str) -> date:
    """One date written as YYYY-MM-DD; anything else is refused, quoting it."""
    piece = text.strip()
    if not _DATE.fullmatch(piece):
        raise InvalidData({field_name: [f"'{piece[:20]}' is not a date written as YYYY-MM-DD"]})
    try:
        return date.fromisoformat(piece)
    except ValueError:
        raise InvalidData({field_name: [f"{piece} is not a real date"]}) from None


def parse_dates(text: str, field_name: str = "closures") -> list[date]:
    """Dates written as YYYY-MM-DD, or a run of them as "YYYY-MM-DD to YYYY-MM-DD" (its weekdays: a
    half-term week in one line), separated by new lines, commas or semicolons; sorted and without
    repeats. Anything else is refused with the piece that is wrong."""
    found: set[date] = set()
    for piece in re.split(r"[\n,;]+", text):
        line = piece.strip()
        if not line:
            continue
        ends = re.split(r"\s+(?:to|-|\u2013|\u2014)\s+", line, flags=re.IGNORECASE)
        try:
            if len(ends) > 2:
                raise InvalidData({})
            first, last = parse_date(ends[0], field_name), parse_date(ends[-1], field_name)
        except InvalidData as error:
            wrong = error.errors.get(field_name, [""])[0]
            if "real date" in wrong:
                raise
            raise InvalidData(
                {field_name: [f"'{line[:40]}' is not a date (YYYY-MM-DD) or a run of dates (YYYY-MM-DD to YYYY-MM-DD)"]}
            ) from None
        if last < first:
            raise InvalidData({field_name: [f"the run {first} to {last} ends before it begins"]})
        if (last - first).days > _LONGEST_SEARCH.days:
            raise InvalidData({field_name: [f"the run {first} to {last} is longer than a school year"]})
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        found.update(d for d in days if d.weekday() < 5 or len(days) == 1)
    return sorted(found)


def runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Days as runs of weekdays (a half term's Monday to Friday is one run, so is a Friday and the
    Monday after it), for writing them as ``parse_dates`` reads them."""
    found: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if found and _next_weekday(found[-1][1]) == day:
            found[-1] = (found[-1][0], day)
        else:
            found.append((day, day))
    return found


def _next_weekday(day: date) -> date:
    step = {4: 3, 5: 2}.get(day.weekday(), 1)
    return day + timedelta(days=step)


def school_year_calendar(
    year: int, dates: Mapping[str, tuple[date | None, date | None]], closures: Iterable[date]
) -> SchoolCalendar:
    """A school year's terms and closures as a school sets them, checked: each term has a first and a
    last day, in order, inside the school year (1 September to 31 August), the terms one after another
    without overlapping, and each closure a weekday inside a term. Raises ``InvalidData`` naming every
    field that is wrong, so a form can say all of it at once."""
    errors: dict[str, list[str]] = {}
    begins, ends = date(year, 9, 1), date(year + 1, 8, 31)
    terms: list[TermDates] = []
    for name in TERMS:
        first, last = dates.get(name, (None, None))
        if first is None or last is None:
            errors[name] = [f"give the {name} term's first and last day"]
        elif last < first:
            errors[name] = [f"the {name} term's last day is before its first"]
        elif first < begins or last > ends:
            errors[name] = [f"the {name} term must fall between 1 September {year} and 31 August {year + 1}"]
        else:
            if terms and first <= terms[-1].last_day:
                errors[name] = [f"the {name} term must begin after the {terms[-1].name} term ends"]
            terms.append(TermDates(name, first, last))
    listed = sorted(set(closures))
    if len(listed) > MAX_CLOSURES:
        errors["closures"] = [f"at most {MAX_CLOSURES} closure days"]
    elif not errors:
        wrong = [d for d in listed if d.weekday() >= 5 or not any(t.holds(d) for t in terms)]
        if wrong:
            errors["closures"] = ["a closure must be a weekday inside a term: " + ", ".join(d.isoformat() for d in wrong[:5])]
    if errors:
        raise InvalidData(errors)
    return SchoolCalendar(tuple(terms), frozenset(listed))
