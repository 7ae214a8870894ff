"""Attendance codes, possible sessions and the persistent/severe absence thresholds, at their exact edges."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseflow.domain.attendance import CODES_2024, NOT_COUNTED, AttendanceError, parse_mark, summarise

DAY = date(2026, 9, 7)


def marks(present: int, absent: int, not_counted: int = 0, absent_code: str = "O") -> list[tuple[date, str, str]]:
    codes = ["/"] * present + [absent_code] * absent + ["Y4"] * not_counted
    return [(DAY + timedelta(days=i // 2), "AM" if i % 2 == 0 else "PM", code) for i, code in enumerate(codes)]


@pytest.mark.parametrize(
    ("absent", "persistent", "severe"),
    [(99, False, False), (100, True, False), (101, True, False), (499, True, False), (500, True, True), (501, True, True)],
)
def test_thresholds_at_the_boundaries(absent: int, persistent: bool, severe: bool) -> None:
    summary = summarise(marks(1000 - absent, absent))
    assert summary.possible == 1000
    assert (summary.persistent, summary.severe) == (persistent, severe)


def test_nine_point_nine_is_not_ten() -> None:
    summary = summarise(marks(901, 99))
    assert summary.percent() == 90.1 and not summary.persistent
    assert summarise(marks(900, 100)).persistent


def test_not_counted_codes_leave_possible_sessions() -> None:
    summary = summarise(marks(90, 10, not_counted=50))
    assert summary.possible == 100 and summary.absent == 10 and summary.persistent
    assert all(
        kind == NOT_COUNTED for code, kind in CODES_2024.items() if code.startswith("Y") or code in {"Q", "D", "X", "Z", "#"}
    )


def test_authorised_and_unauthorised_both_count_as_absence() -> None:
    assert summarise(marks(90, 10, absent_code="I")).persistent
    assert summarise(marks(90, 10, absent_code="N")).persistent
    assert summarise(marks(90, 10, absent_code="K")).absent == 0  # LA-arranged provision counts as attending


@pytest.mark.parametrize(
    ("day", "session", "code", "problem"),
    [
        ("2026-13-01", "AM", "/", "not a real date"),
        ("yesterday", "AM", "/", "'yesterday' is not a date"),
        ("2026-10-01", "EVE", "/", "not a session"),
        ("2026-10-01", "AM", "H", "not an attendance code"),
        ("2026-10-01", "PM", "/", "afternoon"),
        ("2023-10-01", "AM", "/", "pre-2024"),
    ],
)
def test_bad_marks_are_named(day: str, session: str, code: str, problem: str) -> None:
    with pytest.raises(AttendanceError, match=problem):
        parse_mark(day, session, code)


@given(day=st.text(max_size=12), session=st.text(max_size=4), code=st.text(max_size=4))
def test_any_text_is_a_clean_mark_or_a_clear_error(day: str, session: str, code: str) -> None:
    try:
        when, sess, clean = parse_mark(day, session, code)
    except AttendanceError as error:
        assert str(error)
    else:
        assert sess in {"AM", "PM"} and clean in CODES_2024 and when >= date(2024, 8, 19)


@given(present=st.integers(0, 400), absent=st.integers(0, 400))
def test_flags_follow_the_exact_fraction(present: int, absent: int) -> None:
    summary = summarise(marks(present, absent))
    total = present + absent
    assert summary.persistent == (total > 0 and absent * 10 >= total)
    assert summary.severe == (total > 0 and absent * 2 >= total)
