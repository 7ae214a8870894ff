"""Schools' own term dates and closure days: the one place they are read and written."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Engine, delete, insert, select

from caseflow.adapters.database import read_transaction, write_transaction
from caseflow.adapters.tables import school_closures, school_terms, schools
from caseflow.domain.school_calendar import SchoolCalendar, TermDates, school_year


def read_calendars(conn: Connection, school_urns: Sequence[str]) -> dict[str, SchoolCalendar]:
    """Every school year each school has set (a few rows a year), by URN; a school that set none has
    an empty calendar."""
    terms: dict[str, list[TermDates]] = {urn: [] for urn in school_urns}
    closed: dict[str, set] = {urn: set() for urn in school_urns}
    query = select(school_terms).where(school_terms.c.school_urn.in_(school_urns)).order_by(school_terms.c.first_day)
    for row in conn.execute(query).mappings():
        terms[row["school_urn"]].append(TermDates(row["name"], row["first_day"], row["last_day"]))
    for urn, day in conn.execute(select(school_closures).where(school_closures.c.school_urn.in_(school_urns))):
        closed[urn].add(day)
    return {urn: SchoolCalendar(tuple(terms[urn]), frozenset(closed[urn])) for urn in school_urns}


class SqlSchoolCalendars:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def calendars(self, school_urns: Sequence[str]) -> dict[str, SchoolCalendar]:
        with read_transaction(self.engine) as conn:
            return read_calendars(conn, school_urns)

    def calendar(self, school_urn: str) -> SchoolCalendar:
        return self.calendars([school_urn])[school_urn]

    def set_year(self, school_urn: str, year: int, calendar: SchoolCalendar) -> SchoolCalendar:
        """Replace the school's dates for one school year with ``calendar``'s (checked by
        ``school_year_calendar``), in one transaction; returns what was there before."""
        with write_transaction(self.engine) as conn:
            # two saves of one school at once take turns (SQLite's BEGIN IMMEDIATE already makes them)
            conn.execute(select(schools.c.urn).where(schools.c.urn == school_urn).with_for_update())
            before = read_calendars(conn, [school_urn])[school_urn]
            conn.execute(delete(school_terms).where(school_terms.c.school_urn == school_urn, school_terms.c.school_year == year))
            held = [d for d in before.closures if school_year(d) == year]
            if held:
                conn.execute(
                    delete(school_closures).where(school_closures.c.school_urn == school_urn, school_closures.c.day.in_(held))
                )
            rows = [
                {"school_urn": school_urn, "school_year": year, "name": t.name, "first_day": t.first_day, "last_day": t.last_day}
                for t in calendar.terms
            ]
            conn.execute(insert(school_terms), rows)
            if calendar.closures:
                conn.execute(insert(school_closures), [{"school_urn": school_urn, "day": d} for d in sorted(calendar.closures)])
        return before
