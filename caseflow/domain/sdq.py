"""Strengths and Difficulties Questionnaire: scores and published bands, never the item wording.

The SDQ is copyright (youthinmind): we store item responses by number, or the
scale scores a school already has, and compute totals and bands from versioned
cut-off tables (domain-facts §2). Items are 0/1/2; items 7, 11, 14, 21 and 25 are
reverse-scored; a scale is prorated when at least 3 of its 5 items are answered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

SCALES: dict[str, tuple[int, ...]] = {
    "emotional": (3, 8, 13, 16, 24),
    "conduct": (5, 7, 12, 18, 22),
    "hyperactivity": (2, 10, 15, 21, 25),
    "peer": (6, 11, 14, 19, 23),
    "prosocial": (1, 4, 9, 17, 20),
}
DIFFICULTIES = ("emotional", "conduct", "hyperactivity", "peer")
REVERSED = frozenset({7, 11, 14, 21, 25})
INFORMANTS = ("parent", "carer", "teacher", "self")
#: impact supplement maximum by informant (teachers answer 3 impact items, others 5)
IMPACT_MAX = {"parent": 10, "carer": 10, "teacher": 6, "self": 10}

#: 3-band scheme: upper bound of "normal" and of "borderline" (for prosocial: lower bounds, low is concern)
THREE_BAND: dict[str, dict[str, tuple[int, int]]] = {
    "parent": {
        "total": (13, 16),
        "emotional": (3, 4),
        "conduct": (2, 3),
        "hyperactivity": (5, 6),
        "peer": (2, 3),
        "prosocial": (6, 5),
        "impact": (0, 1),
    },
    "teacher": {
        "total": (11, 15),
        "emotional": (4, 5),
        "conduct": (2, 3),
        "hyperactivity": (5, 6),
        "peer": (3, 4),
        "prosocial": (6, 5),
        "impact": (0, 1),
    },
    "self": {
        "total": (15, 19),
        "emotional": (5, 6),
        "conduct": (3, 4),
        "hyperactivity": (5, 6),
        "peer": (3, 5),
        "prosocial": (6, 5),
        "impact": (0, 1),
    },
}
THREE_BAND["carer"] = THREE_BAND["parent"]  # England's looked-after statistics use the parent form
BANDS_3 = ("normal", "borderline", "abnormal")

#: 4-band scheme: upper bounds of close to average / slightly raised / high (prosocial: lower bounds)
FOUR_BAND: dict[str, dict[str, tuple[int, int, int]]] = {
    "parent": {
        "total": (13, 16, 19),
        "emotional": (3, 4, 6),
        "conduct": (2, 3, 5),
        "hyperactivity": (5, 7, 8),
        "peer": (2, 3, 4),
        "prosocial": (8, 7, 6),
    },
    "teacher": {
        "total": (11, 15, 18),
        "emotional": (3, 4, 5),
        "conduct": (2, 3, 4),
        "hyperactivity": (5, 7, 8),
        "peer": (2, 4, 5),
        "prosocial": (6, 5, 4),
    },
    #: UNVERIFIED in domain-facts: check against sdqinfo before relying on self-report 4-band results
    "self": {
        "total": (14, 17, 19),
        "emotional": (4, 5, 6),
        "conduct": (2, 3, 4),
        "hyperactivity": (5, 6, 7),
        "peer": (2, 3, 4),
        "prosocial": (7, 6, 5),
    },
}
FOUR_BAND["carer"] = FOUR_BAND["parent"]
BANDS_4 = ("close_to_average", "slightly_raised", "high", "very_high")
BANDS_4_PROSOCIAL = ("close_to_average", "slightly_lowered", "low", "very_low")


class SdqError(ValueError):
    """Responses or scores that cannot be an SDQ, in plain English."""


@dataclass(frozen=True, slots=True)
class SdqScores:
    informant: str
    emotional: int | None
    conduct: int | None
    hyperactivity: int | None
    peer: int | None
    prosocial: int | None
    impact: int | None = None

    @property
    def total(self) -> int | None:
        """Total difficulties (0-40): only when all four difficulty scales are scored."""
        parts = [getattr(self, s) for s in DIFFICULTIES]
        return None if any(p is None for p in parts) else sum(parts)  # type: ignore[arg-type]

    @property
    def externalising(self) -> int | None:
        return None if self.conduct is None or self.hyperactivity is None else self.conduct + self.hyperactivity

    @property
    def internalising(self) -> int | None:
        return None if self.emotional is None or self.peer is None else self.emotional + self.peer

    def band(self, scale: str = "total", scheme: str = "3band") -> str | None:
        value = self.total if scale == "total" else getattr(self, scale)
        return None if value is None else band(self.informant, scale, value, scheme)


def _check_informant(informant: str) -> None:
    if informant not in INFORMANTS:
        raise SdqError(f"{informant!r} is not an SDQ informant; use one of: {', '.join(INFORMANTS)}")


def score_items(informant: str, responses: Mapping[int, int | None]) -> SdqScores:
    """Scale scores from item responses (item number -> 0, 1, 2, or None if unanswered)."""
    _check_informant(informant)
    unknown = sorted(set(responses) - set(range(1, 26)))
    if unknown:
        raise SdqError(f"the SDQ has items 1 to 25; item {unknown[0]} does not exist")
    scores: dict[str, int | None] = {}
    for scale, items in SCALES.items():
        answered = []
        for item in items:
            raw = responses.get(item)
            if raw is None:
                continue
            if isinstance(raw, bool) or raw not in (0, 1, 2):
                raise SdqError(f"item {item} must be 0 (not true), 1 (somewhat true) or 2 (certainly true), not {raw!r}")
            answered.append(2 - raw if item in REVERSED else raw)
        if len(answered) >= 3:
            prorated = Decimal(sum(answered)) / len(answered) * 5
            scores[scale] = int(prorated.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        else:
            scores[scale] = None
    return SdqScores(informant, **scores)


def from_scale_scores(informant: str, scores: Mapping[str, int | None], impact: int | None = None) -> SdqScores:
    """Scores a school already has (0-10 each), checked for range."""
    _check_informant(informant)
    for scale, value in scores.items():
        if scale not in SCALES:
            raise SdqError(f"{scale!r} is not an SDQ scale; use: {', '.join(SCALES)}")
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10):
            raise SdqError(f"the {scale} score must be a whole number from 0 to 10")
    if impact is not None and not 0 <= impact <= IMPACT_MAX[informant]:
        raise SdqError(f"the {informant} impact score runs from 0 to {IMPACT_MAX[informant]}")
    return SdqScores(informant, *(scores.get(s) for s in SCALES), impact=impact)


def band(informant: str, scale: str, value: int, scheme: str = "3band") -> str:
    """The published band of a score; for prosocial a LOW score is the concern."""
    _check_informant(informant)
    if scheme == "3band":
        normal, borderline = THREE_BAND[informant][scale]
        if scale == "prosocial":
            return BANDS_3[0] if value >= normal else BANDS_3[1] if value >= borderline else BANDS_3[2]
        return BANDS_3[0] if value <= normal else BANDS_3[1] if value <= borderline else BANDS_3[2]
    if scheme == "4band":
        if scale == "impact":
            raise SdqError("impact has no verified 4-band cut-offs")
        first, second, third = FOUR_BAND[informant][scale]
        if scale == "prosocial":
            index = 0 if value >= first else 1 if value >= second else 2 if value >= third else 3
            return BANDS_4_PROSOCIAL[index]
        index = 0 if value <= first else 1 if value <= second else 2 if value <= third else 3
        return BANDS_4[index]
    raise SdqError(f"unknown banding scheme {scheme!r}; use 3band or 4band")
