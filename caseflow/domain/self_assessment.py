"""A school's self-assessment against the guidance's evidence of good practice, as its log says it
stood at any moment: the governors' report as at a past date shows the ratings the school had
recorded by then, not the ones it holds today.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from caseflow.domain.events import StoredEvent
from workflows.good_practice import INDICATORS, RATINGS

STREAM_TYPE = "self_assessment"  # the events table allows 16 characters
RATING_LABELS = dict(RATINGS)
INDICATOR_TEXT = dict(INDICATORS)


def stream_id_for(school_urn: str) -> str:
    """One self-assessment per school, found by its URN (no index to keep)."""
    return f"self-assessment-{school_urn}"


@dataclass(frozen=True)
class Rating:
    """One indicator as last rated: who rated it, in which role, and when it was written."""

    indicator: str
    rating: str
    evidence: str
    next_steps: str | None
    by: str
    role: str
    occurred_at: datetime
    recorded_at: datetime
    version: int

    @property
    def label(self) -> str:
        return RATING_LABELS.get(self.rating, self.rating)


@dataclass
class SelfAssessment:
    """The latest rating of each indicator, and every rating ever recorded (corrections are new ratings)."""

    id: str
    version: int = 0
    school_urn: str = ""
    latest: dict[str, Rating] = field(default_factory=dict)
    history: list[Rating] = field(default_factory=list)

    @property
    def state(self) -> str | None:
        return "assessing" if self.version else None

    @classmethod
    def replay(cls, stream_id: str, events: Iterable[StoredEvent], recorded_by: datetime | None = None) -> SelfAssessment:
        """The assessment from its events; with ``recorded_by``, only what had been written by then."""
        assessment = cls(stream_id)
        for event in events:
            if recorded_by is not None and event.recorded_at > recorded_by:
                break  # a stream's recorded_at never goes back (the store's rule)
            assessment.apply(event)
        return assessment

    def apply(self, event: StoredEvent) -> None:
        self.version = event.version
        data = event.data
        if event.event_type == "SelfAssessmentStarted":
            self.school_urn = data["school_urn"]
        elif event.event_type == "IndicatorAssessed":
            rating = Rating(
                indicator=data["indicator"],
                rating=data["rating"],
                evidence=data["evidence"],
                next_steps=data.get("next_steps"),
                by=event.actor,
                role=event.role,
                occurred_at=event.occurred_at,
                recorded_at=event.recorded_at,
                version=event.version,
            )
            self.latest[rating.indicator] = rating
            self.history.append(rating)

    def rows(self) -> list[tuple[str, str, Rating | None]]:
        """Every indicator in the guidance's order, with its latest rating or None."""
        return [(number, text, self.latest.get(number)) for number, text in INDICATORS]

    def counts(self) -> dict[str, int]:
        """How many indicators stand at each rating, and how many are not yet rated."""
        counted = Counter(r.rating for r in self.latest.values() if r.indicator in INDICATOR_TEXT)
        found = {value: counted.get(value, 0) for value, _ in RATINGS}
        found["not_rated"] = len(INDICATORS) - sum(found.values())
        return found
