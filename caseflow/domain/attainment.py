"""Attainment against expected: which judgement stands for a pupil's subject in a school year, and
what counts as at the expected standard.

A school judges each pupil termly in each subject. For the year, the latest term judged stands: a
spring judgement replaces the autumn one. Within a term, the judgement recorded last stands (a
correction). A judgement for an earlier term recorded after a later one changes nothing for the year.
"""

from __future__ import annotations

from caseflow.domain.school_calendar import TERMS

#: the judgements at or above the expected standard
AT_EXPECTED = frozenset({"expected", "greater_depth"})
#: the subjects the cohort is set beside the whole school in
CORE_SUBJECTS = ("reading", "writing", "maths")
_ORDER = {term: rank for rank, term in enumerate(TERMS)}


def supersedes(term: str, held_term: str | None) -> bool:
    """Whether a judgement for ``term`` replaces the one held for the same subject and year."""
    return held_term is None or _ORDER[term] >= _ORDER[held_term]
