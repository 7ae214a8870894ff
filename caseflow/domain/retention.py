"""When a child's records come up for review under a retention policy counted from their birth."""

from __future__ import annotations

from datetime import date


def review_date(date_of_birth: date, years: int) -> date:
    """The birthday ``years`` on; for a child born on 29 February, 1 March in a year without one, the
    day the law says they reach that age (Family Law Reform Act 1969, s. 9)."""
    try:
        return date_of_birth.replace(year=date_of_birth.year + years)
    except ValueError:
        return date(date_of_birth.year + years, 3, 1)
