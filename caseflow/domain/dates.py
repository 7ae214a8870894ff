"""Dates as people in English schools write them: day first (27/03/2017), as the MIS exports them and as a
date typed into a form reads, beside the YYYY-MM-DD the API and the browser's date picker send. Never month
first: a school in England does not write 03/27/2017, and reading 05/06/2017 as the 6th of May would
record the wrong day without a word.

The API and the stored events keep YYYY-MM-DD; the friendlier form is read where a person types or a
school's MIS writes a date, and each message about a date says what to enter, in one wording."""

from __future__ import annotations

import re
from datetime import date

#: the example every date message gives: day first, as people in England write a date
EXAMPLE = "27/03/2017"
#: what the import files take, as their messages say it
FORMS = "DD/MM/YYYY or YYYY-MM-DD"
#: ASCII digits only: Python's ``\d`` also takes other scripts' digits ('٠١/٠٢/٢٠٢٦'), which are no date a form or a
#: file is asked for
_DAY_FIRST = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
#: no child's support, figure or record asked for is dated before this year: an earlier one is a typing slip, and
#: the first years of the calendar break what is counted back from a day (the month before 1 January of the year 1)
EARLIEST_YEAR = 1900


def read_day(text: str) -> date | None:
    """The day ``text`` names, written as YYYY-MM-DD (or any form ``date.fromisoformat`` takes, as before)
    or as DD/MM/YYYY (a day or month of one digit allowed); ``None`` for anything else, or a day that is
    not in the calendar (31/02/2017)."""
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    found = _DAY_FIRST.fullmatch(text)
    if found is None:
        return None
    day, month, year = (int(part) for part in found.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def looks_like_a_date(text: str) -> bool:
    """Whether ``text`` is written in one of the forms taken, whatever its numbers (31/02/2017 is: it is
    not a real date, which is what the person is then told)."""
    text = text.strip()
    return bool(_DAY_FIRST.fullmatch(text) or re.fullmatch(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}", text))


def real_date_wanted(label: str) -> str:
    """What a form says of a date it cannot read, naming the field by its label: what to enter, not
    "Not a valid date value"."""
    return f"{label} must be a real date, for example {EXAMPLE}"


def early_date_problem(label: str) -> str:
    """What a page or the API says of a day before ``EARLIEST_YEAR``, naming the field by its label."""
    return f"{label} must be in {EARLIEST_YEAR} or later"


def import_date_problem(label: str, text: str) -> str:
    """What an import says of a date it cannot read: the forms taken, and whether the one written is a
    day that does not exist (31/02/2017) or in no form taken (02-05-2017, 5 May 2017)."""
    shown = text.strip()[:20]
    if looks_like_a_date(text):
        return f"{label} must be a real date: {shown} is not one (write dates as {FORMS}, for example {EXAMPLE})"
    return f"{label} must be a date written as {FORMS}, for example {EXAMPLE} (not {shown!r})"
