"""The time limit of a subject-access request, as the ICO counts it.

"Calculate the time limit from the day you receive the request ... until the corresponding calendar
date in the next month"; where the next month has no such date, its last day; where the date falls on
a weekend, the next working day (ico.org.uk, right of access, "How long do we have to comply?"). Bank
holidays also move it on: they are not known here, so the reviewer is told to check them.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

#: what whoever answers the request must do with the bundle before anything is released
REVIEWER_NOTES = (
    "This bundle is for the person answering the request, not for release as it stands.",
    "Check that the requester is entitled: the child, or a parent or carer acting in the child's best interests.",
    "Redact information about other people (staff, family members, other children) unless they consent or it is "
    "reasonable to disclose without consent.",
    "Social work and safeguarding information may be withheld where disclosure would be likely to cause serious harm.",
    "Respond within one calendar month of receipt; this may be extended by two further months for a complex request.",
    "The respond-by date moves to the next working day over a weekend; check bank holidays too.",
)


def respond_by(received: date) -> date:
    """The last day to respond to a request received on ``received`` (before any extension)."""
    year, month = (received.year + 1, 1) if received.month == 12 else (received.year, received.month + 1)
    due = date(year, month, min(received.day, calendar.monthrange(year, month)[1]))
    while due.weekday() >= 5:  # Saturday or Sunday
        due += timedelta(days=1)
    return due
