"""UPN check letters (with the published worked examples) and cohort membership across the six-year edge."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseflow.domain.pupil import Episode, cohort_status, years_before
from caseflow.domain.upn import ALPHABET, UpnError, check_letter, is_temporary, is_valid_upn, normalise_upn


@pytest.mark.parametrize(
    "upn", ["H801200001001", "G80120000101A", "B801200005001", "A950000178301", "H243278544154", "P207000016049"]
)
def test_published_valid_examples(upn: str) -> None:
    assert is_valid_upn(upn)
    assert normalise_upn(f"  {upn.lower()} ") == upn


@pytest.mark.parametrize(
    ("upn", "expected"),
    [("Z801200001001", "H"), ("A801200005001", "B"), ("Q207000016049", "P")],  # the last is Juniper's wrong "correction"
)
def test_wrong_check_letters_name_the_right_one(upn: str, expected: str) -> None:
    assert not is_valid_upn(upn)
    with pytest.raises(UpnError, match=f"should be {expected}"):
        normalise_upn(upn)


def test_invalid_check_letter_example_from_cin_validator() -> None:
    assert not is_valid_upn("R247962919251")


@pytest.mark.parametrize(
    ("upn", "problem"),
    [
        ("H80120000100", "13 characters"),
        ("I801200001001", "never I, O or S"),
        ("H8012000010X1", "digits"),
        ("H80120000100O", "other than I, O or S"),
    ],
)
def test_malformed_upns_are_explained(upn: str, problem: str) -> None:
    with pytest.raises(UpnError, match=problem):
        normalise_upn(upn)


@given(body=st.text(alphabet="0123456789", min_size=11, max_size=11), last=st.sampled_from(list("0123456789" + ALPHABET)))
def test_generated_upns_validate_and_any_other_check_letter_fails(body: str, last: str) -> None:
    tail = body + last
    upn = check_letter(tail) + tail
    assert is_valid_upn(upn)
    assert is_temporary(upn) == last.isalpha()
    for other in ALPHABET:
        if other != upn[0]:
            assert not is_valid_upn(other + tail)


def episode(start: str, end: str | None, plan: str = "cin") -> Episode:
    return Episode(1, plan, date.fromisoformat(start), date.fromisoformat(end) if end else None, "sw")


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2019-12-31", None),  # before the plan
        ("2020-01-01", "open"),
        ("2020-06-30", "open"),  # the last day of the plan
        ("2020-07-01", "previous"),
        ("2026-06-30", "previous"),  # exactly six years after it ended
        ("2026-07-01", None),  # six years and a day
    ],
)
def test_cohort_as_at_across_the_six_year_edge(as_of: str, expected: str | None) -> None:
    assert cohort_status([episode("2020-01-01", "2020-06-30")], date.fromisoformat(as_of)) == expected


def test_a_running_plan_outweighs_an_old_one_and_leap_days_fall_back() -> None:
    episodes = [episode("2010-01-01", "2011-01-01"), episode("2025-01-01", None, "cp")]
    assert cohort_status(episodes, date(2026, 1, 1)) == "open"
    assert years_before(date(2028, 2, 29), 6) == date(2022, 2, 28)
