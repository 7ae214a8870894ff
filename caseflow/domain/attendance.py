"""School attendance at session level (DfE 2024 codes), and the absence measures derived from it.

Possible sessions exclude the codes that do not count (unable to attend through
an unavoidable cause, administrative codes). Persistent absence is missing 10% or
more of possible sessions; severe absence is 50% or more. The thresholds are
compared with exact fractions, never floats, so 9.9% is not persistent and 10% is.
The code table is from domain-facts §4, which asks for it to be checked against
the guidance annex before release: it is data here, keyed by the date it applies from.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from caseflow.domain.dates import looks_like_a_date, read_day
from caseflow.domain.events import long_date
from caseflow.domain.school_calendar import SchoolCalendar

PRESENT = "present"
APPROVED_OFFSITE = "approved_offsite"
AUTHORISED = "authorised"
UNAUTHORISED = "unauthorised"
NOT_COUNTED = "not_counted"

#: classification of each code; present and approved off-site count as attending
CODES_2024: dict[str, str] = {
    "/": PRESENT,
    "\\": PRESENT,
    "L": PRESENT,
    "K": APPROVED_OFFSITE,
    "V": APPROVED_OFFSITE,
    "P": APPROVED_OFFSITE,
    "W": APPROVED_OFFSITE,
    "B": APPROVED_OFFSITE,
    "C1": AUTHORISED,
    "M": AUTHORISED,
    "J1": AUTHORISED,
    "S": AUTHORISED,
    "C2": AUTHORISED,
    "C": AUTHORISED,
    "T": AUTHORISED,
    "R": AUTHORISED,
    "I": AUTHORISED,
    "E": AUTHORISED,
    "Q": NOT_COUNTED,
    "Y1": NOT_COUNTED,
    "Y2": NOT_COUNTED,
    "Y3": NOT_COUNTED,
    "Y4": NOT_COUNTED,
    "Y5": NOT_COUNTED,
    "Y6": NOT_COUNTED,
    "Y7": NOT_COUNTED,
    "G": UNAUTHORISED,
    "N": UNAUTHORISED,
    "O": UNAUTHORISED,
    "U": UNAUTHORISED,
    "D": NOT_COUNTED,
    "X": NOT_COUNTED,
    "Z": NOT_COUNTED,
    "#": NOT_COUNTED,
}
#: the date from which the 2024 codes apply (the guidance became statutory)
CODES_2024_FROM = date(2024, 8, 19)
SESSIONS = ("AM", "PM")
PERSISTENT = Fraction(10, 100)
SEVERE = Fraction(50, 100)


#: how a register's hint names each kind of code, in the order a register lists them
KINDS_IN_WORDS = {
    PRESENT: "present",
    APPROVED_OFFSITE: "attending elsewhere",
    AUTHORISED: "authorised absence",
    UNAUTHORISED: "unauthorised absence",
    NOT_COUNTED: "not a possible session",
}
#: the code for a day the school planned to be closed to every pupil (a training day, a holiday)
CLOSED = "#"


class AttendanceError(ValueError):
    """A mark that cannot be recorded, in plain English: each part wrong (``problems``: "date", "session" or
    "code" to its message), so an import can name the column of each."""

    def __init__(self, message: str, problems: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.problems: dict[str, str] = dict(problems or {"code": message})


def classify(code: str, on: date) -> str:
    """The category of an attendance code on a given day."""
    if on < CODES_2024_FROM:
        raise AttendanceError(f"Marks before {CODES_2024_FROM.isoformat()} use the pre-2024 codes, which are not loaded.")
    try:
        return CODES_2024[code]
    except KeyError:
        raise AttendanceError(f"{code!r} is not an attendance code; use one of: {' '.join(CODES_2024)}") from None


def _not_a_date(text: str) -> str:
    """What is wrong with a mark's date that is not written as YYYY-MM-DD. A day written day first reaches
    here only from the API, which takes dates as YYYY-MM-DD (a form and an import read it first)."""
    shown = text.strip()[:20]
    if read_day(text) is not None:
        return f"{shown!r} is not a date written as YYYY-MM-DD"
    if looks_like_a_date(text):
        return f"{shown!r} is not a real date"
    return f"{shown!r} is not a date"


def parse_mark(day: str, session: str, code: str) -> tuple[date, str, str]:
    """Check one mark: a date as YYYY-MM-DD, AM or PM, and a 2024 code; every part that is wrong is told."""
    problems: dict[str, str] = {}
    try:
        when: date | None = date.fromisoformat(day.strip())
    except ValueError:
        when = None
        problems["date"] = _not_a_date(day)
    session = session.strip().upper()
    if session not in SESSIONS:
        problems["session"] = f"{session!r} is not a session; use AM or PM"
    code = code.strip().upper()
    if code not in CODES_2024:
        problems["code"] = f"{code!r} is not an attendance code; use one of: {' '.join(CODES_2024)}"
    elif (code, session) in {("/", "PM"), ("\\", "AM")}:
        problems["code"] = "Present is / in the morning session and \\ in the afternoon"
    if when is not None and when < CODES_2024_FROM:
        problems["date"] = f"Marks before {long_date(CODES_2024_FROM)} use the pre-2024 codes, which are not loaded."
    if problems or when is None:
        raise AttendanceError("; ".join(problems.values()), problems)
    return when, session, code


def day_in_words(day: date) -> str:
    """A day as a register's reader names it: 'Sunday 6 December 2026'."""
    return f"{day:%A} {long_date(day)}"


def day_problem(day: date, codes: Collection[str], today: date | None, calendar: SchoolCalendar) -> tuple[str, str] | None:
    """Why marks with ``codes`` cannot be on ``day``, as (a requirement's code, its message), or None. A mark is
    of a session held: none is after today (``today`` None: not checked) nor on a Saturday or Sunday. Where the
    school has set its term dates, a day it was closed (a closure day, or outside its terms) takes only codes
    that are no possible session ('#' above all, which a register shows such a day with): a mark counted as
    attended or missed would move the absence figures for a session never held."""
    if today is not None and day > today:
        return "mark_in_future", f"{day_in_words(day)} is after today: a session is marked once it is held."
    if day.weekday() >= 5:
        return "not_a_school_day", f"{day_in_words(day)} is not a school day: no session is held on a {day:%A}."
    counted = sorted({code for code in codes if CODES_2024.get(code) not in (None, NOT_COUNTED)}, key=list(CODES_2024).index)
    if counted and calendar.is_school_day(day) is False:
        told = f"The school is closed on {day_in_words(day)}, by its term dates: mark it {CLOSED} (planned whole-school closure)"
        return "school_closed", f"{told}, not {' or '.join(counted)}."
    return None


def codes_in_words() -> str:
    """The codes a register takes, by kind, for a form's hint: from the table, so the hint is the codes known."""
    kinds: dict[str, list[str]] = {}
    for code, kind in CODES_2024.items():
        kinds.setdefault(kind, []).append(f"{code} (planned whole-school closure)" if code == CLOSED else code)
    return "; ".join(f"{words} {' '.join(kinds[kind])}" for kind, words in KINDS_IN_WORDS.items() if kind in kinds)


@dataclass(frozen=True, slots=True)
class AttendanceSummary:
    possible: int
    attended: int
    authorised: int
    unauthorised: int

    @property
    def absent(self) -> int:
        return self.authorised + self.unauthorised

    @property
    def absence_rate(self) -> Fraction:
        return Fraction(self.absent, self.possible) if self.possible else Fraction(0)

    @property
    def attendance_rate(self) -> Fraction:
        return Fraction(self.attended, self.possible) if self.possible else Fraction(0)

    @property
    def persistent(self) -> bool:
        return self.possible > 0 and self.absence_rate >= PERSISTENT

    @property
    def severe(self) -> bool:
        return self.possible > 0 and self.absence_rate >= SEVERE

    def percent(self) -> float | None:
        """Attendance as a percentage for display (one decimal place), or None with no sessions."""
        return round(float(self.attendance_rate) * 100, 1) if self.possible else None


def summarise(marks: Iterable[tuple[date, str, str]]) -> AttendanceSummary:
    """Count a pupil's sessions by category; not-counted codes are left out of possible sessions."""
    counts = {PRESENT: 0, APPROVED_OFFSITE: 0, AUTHORISED: 0, UNAUTHORISED: 0, NOT_COUNTED: 0}
    for day, _session, code in marks:
        counts[classify(code, day)] += 1
    attended = counts[PRESENT] + counts[APPROVED_OFFSITE]
    possible = attended + counts[AUTHORISED] + counts[UNAUTHORISED]
    return AttendanceSummary(possible, attended, counts[AUTHORISED], counts[UNAUTHORISED])
