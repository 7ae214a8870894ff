"""School attendance at session level (DfE 2024 codes), and the absence measures derived from it.

Possible sessions exclude the codes that do not count (unable to attend through
an unavoidable cause, administrative codes). Persistent absence is missing 10% or
more of possible sessions; severe absence is 50% or more. The thresholds are
compared with exact fractions, never floats, so 9.9% is not persistent and 10% is.
The code table is from domain-facts §4, which asks for it to be checked against
the guidance annex before release: it is data here, keyed by the date it applies from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

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


class AttendanceError(ValueError):
    """A mark that cannot be recorded, in plain English."""


def classify(code: str, on: date) -> str:
    """The category of an attendance code on a given day."""
    if on < CODES_2024_FROM:
        raise AttendanceError(f"Marks before {CODES_2024_FROM.isoformat()} use the pre-2024 codes, which are not loaded.")
    try:
        return CODES_2024[code]
    except KeyError:
        raise AttendanceError(f"{code!r} is not an attendance code; use one of: {' '.join(CODES_2024)}") from None


def parse_mark(day: str, session: str, code: str) -> tuple[date, str, str]:
    """Check one CSV mark: an ISO date, AM or PM, and a 2024 code."""
    try:
        when = date.fromisoformat(day.strip())
    except ValueError:
        raise AttendanceError(f"{day!r} is not a date written as YYYY-MM-DD") from None
    session = session.strip().upper()
    if session not in SESSIONS:
        raise AttendanceError(f"{session!r} is not a session; use AM or PM")
    code = code.strip().upper()
    classify(code, when)
    if (code, session) in {("/", "PM"), ("\\", "AM")}:
        raise AttendanceError("Present is / in the morning session and \\ in the afternoon")
    return when, session, code


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
