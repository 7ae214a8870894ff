"""SDQ scoring and bands against the published cut-offs, for each informant, at every edge."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseflow.domain.sdq import REVERSED, SCALES, SdqError, band, from_scale_scores, score_items

# (informant, scale, last normal, last borderline) straight from domain-facts §2, 3-band table
THREE_BAND_EDGES = [
    ("parent", "total", 13, 16), ("teacher", "total", 11, 15), ("self", "total", 15, 19),
    ("parent", "emotional", 3, 4), ("teacher", "emotional", 4, 5), ("self", "emotional", 5, 6),
    ("parent", "conduct", 2, 3), ("teacher", "conduct", 2, 3), ("self", "conduct", 3, 4),
    ("parent", "hyperactivity", 5, 6), ("teacher", "hyperactivity", 5, 6), ("self", "hyperactivity", 5, 6),
    ("parent", "peer", 2, 3), ("teacher", "peer", 3, 4), ("self", "peer", 3, 5),
    ("parent", "impact", 0, 1), ("teacher", "impact", 0, 1), ("self", "impact", 0, 1),
]  # fmt: skip


@pytest.mark.parametrize(("informant", "scale", "normal", "borderline"), THREE_BAND_EDGES)
def test_three_band_edges(informant: str, scale: str, normal: int, borderline: int) -> None:
    assert band(informant, scale, normal) == "normal"
    assert band(informant, scale, normal + 1) == "borderline"
    assert band(informant, scale, borderline) == "borderline"
    assert band(informant, scale, borderline + 1) == "abnormal"


@pytest.mark.parametrize("informant", ["parent", "teacher", "self"])
def test_prosocial_low_is_the_concern(informant: str) -> None:
    assert [band(informant, "prosocial", v) for v in (10, 6, 5, 4, 0)] == [
        "normal",
        "normal",
        "borderline",
        "abnormal",
        "abnormal",
    ]


def test_carer_uses_the_parent_form_bands() -> None:
    assert [band("carer", "total", v) for v in (13, 14, 16, 17)] == ["normal", "borderline", "borderline", "abnormal"]


@pytest.mark.parametrize(
    ("informant", "edges", "expected"),
    [
        (
            "parent",
            (13, 14, 16, 17, 19, 20),
            ["close_to_average", "slightly_raised", "slightly_raised", "high", "high", "very_high"],
        ),
        (
            "teacher",
            (11, 12, 15, 16, 18, 19),
            ["close_to_average", "slightly_raised", "slightly_raised", "high", "high", "very_high"],
        ),
    ],
)
def test_four_band_totals(informant: str, edges: tuple[int, ...], expected: list[str]) -> None:
    assert [band(informant, "total", v, "4band") for v in edges] == expected
    assert band(informant, "prosocial", 0, "4band") == "very_low"


def test_reverse_scoring_and_totals() -> None:
    all_true = score_items("parent", dict.fromkeys(range(1, 26), 2))
    # 5 items per scale at 2, except reverse-scored items which become 0
    for scale, items in SCALES.items():
        assert getattr(all_true, scale) == 2 * sum(1 for i in items if i not in REVERSED)
    assert all_true.total == all_true.emotional + all_true.conduct + all_true.hyperactivity + all_true.peer
    assert all_true.externalising == all_true.conduct + all_true.hyperactivity
    assert all_true.internalising == all_true.emotional + all_true.peer


def test_prorating_needs_three_of_five_and_rounds_half_up() -> None:
    # emotional items 3, 8, 13, 16, 24: three answered 1, 1, 0 -> mean 2/3 * 5 = 3.33 -> 3
    scores = score_items("parent", {3: 1, 8: 1, 13: 0})
    assert scores.emotional == 3
    # 1, 1, 1, 0 -> 0.75 * 5 = 3.75 -> 4 ; 1, 0, 0, 1 -> 2.5 -> 3 (half up)
    assert score_items("parent", {3: 1, 8: 1, 13: 1, 16: 0}).emotional == 4
    assert score_items("parent", {3: 1, 8: 0, 13: 0, 16: 1}).emotional == 3
    assert score_items("parent", {3: 1, 8: 1}).emotional is None
    assert score_items("parent", {3: 1, 8: 1}).total is None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: score_items("parent", {26: 1}), "items 1 to 25"),
        (lambda: score_items("parent", {1: 3}), "must be 0"),
        (lambda: score_items("grandparent", {}), "not an SDQ informant"),
        (lambda: from_scale_scores("teacher", {"emotional": 11}), "0 to 10"),
        (lambda: from_scale_scores("teacher", {"emotional": 1}, impact=7), "0 to 6"),
        (lambda: from_scale_scores("parent", {"mood": 1}), "not an SDQ scale"),
    ],
)
def test_bad_input_is_named(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SdqError, match=message):
        call()


@given(
    informant=st.sampled_from(["parent", "teacher", "self", "carer"]),
    responses=st.dictionaries(st.integers(1, 25), st.one_of(st.none(), st.integers(0, 2))),
)
def test_scores_stay_in_range_and_bands_are_monotonic(informant: str, responses: dict[int, int | None]) -> None:
    scores = score_items(informant, responses)
    for scale in SCALES:
        value = getattr(scores, scale)
        assert value is None or 0 <= value <= 10
    assert scores.total is None or 0 <= scores.total <= 40
    order = ["normal", "borderline", "abnormal"]
    ranks = [order.index(band(informant, "total", v)) for v in range(41)]
    assert ranks == sorted(ranks)
