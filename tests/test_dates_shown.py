"""Dates and times are shown one way on every page: a date as a letter writes it (7 December 2026), a time on
England's clock after it (7 December 2026, 14:05). The third and fourth walks found three forms side by side
(2026-12-14, 7 December 2026, 07 Dec 2026) and the case's timeline in UTC where the rest is in England's time."""

from __future__ import annotations

from datetime import UTC, datetime

from caseflow.domain.events import long_time


def test_a_time_is_on_englands_clock_in_the_words_of_a_date() -> None:
    assert long_time(datetime(2026, 7, 1, 7, 30, 20, tzinfo=UTC)) == "1 July 2026, 08:30"  # BST
    assert long_time(datetime(2026, 12, 7, 14, 5, 9, tzinfo=UTC), seconds=True) == "7 December 2026, 14:05:09"
    assert long_time(datetime(2026, 10, 24, 23, 30, tzinfo=UTC)) == "25 October 2026, 00:30", "the day in England"
