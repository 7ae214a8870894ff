"""The due list: every active intervention of a school's open cases whose review date has passed or
comes soon, with the child, the step and who owns it, so that no review is missed (PRODUCT.md: "overdue
reviews show on a due list"). Read from the interventions projection, never by replaying cases.

Reading it is logged: a line for the list, and a line for each child it names, so the reading is in
that child's subject-access bundle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

from caseflow.domain.errors import InvalidData, NotFound, NotPermitted
from caseflow.services.access import SCHOOL_CASE_ROLES, Principal
from caseflow.services.ports import AccessLog

#: who may read a school's due list: its staff who work its cases
DUE_READERS = SCHOOL_CASE_ROLES
#: how far ahead the list looks unless asked: a fortnight, time to arrange a review meeting
DEFAULT_WITHIN_DAYS = 14
#: the furthest ahead it looks: a school year and a bit
MAX_WITHIN_DAYS = 400


@dataclass(frozen=True, slots=True)
class InterventionDue:
    case_id: str
    intervention: int
    name: str
    owner: str
    review_date: date
    state: str
    pupil_id: str
    given_name: str
    family_name: str

    def days_until(self, as_of: date) -> int:
        """Negative when the review is overdue."""
        return (self.review_date - as_of).days

    def as_dict(self, as_of: date) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "intervention": self.intervention,
            "name": self.name,
            "owner": self.owner,
            "review_date": self.review_date.isoformat(),
            "days_until": self.days_until(as_of),
            "overdue": self.days_until(as_of) < 0,
            "state": self.state,
            "pupil_id": self.pupil_id,
            "given_name": self.given_name,
            "family_name": self.family_name,
        }


class DueReads(Protocol):
    def school_exists(self, school_urn: str) -> bool: ...

    def interventions_due(self, school_urns: list[str], until: date) -> list[dict[str, Any]]: ...


class DueListService:
    def __init__(self, reads: DueReads, audit: AccessLog) -> None:
        self.reads = reads
        self.audit = audit

    def due(
        self, principal: Principal, school_urn: str, as_of: date, within_days: int = DEFAULT_WITHIN_DAYS
    ) -> list[InterventionDue]:
        """Reviews overdue at ``as_of`` or due within ``within_days`` after it, soonest (most overdue) first."""
        if not self.reads.school_exists(school_urn):
            raise NotFound("no such school")
        held = frozenset(role for role, school in principal.grants if school == school_urn)
        readers = held & DUE_READERS
        if not readers:
            if held:
                raise NotPermitted("your role may not see the reviews due at this school")
            raise NotFound("no such school")
        if not 0 <= within_days <= MAX_WITHIN_DAYS:  # after the scope: another school's stays a 404 whatever is asked
            raise InvalidData({"within": [f"must be a number of days from 0 to {MAX_WITHIN_DAYS}"]})
        try:
            until = as_of + timedelta(days=within_days)
        except OverflowError:
            raise InvalidData({"within": ["reaches past the last date there is"]}) from None
        found = [InterventionDue(**row) for row in self.reads.interventions_due([school_urn], until)]
        role = sorted(readers)[0]
        detail = f"school {school_urn}, as of {as_of.isoformat()}, within {within_days} days"
        self.audit.record(username=principal.username, role=role, action="view_due", outcome="ok", detail=detail)
        for case_id, pupil_id in sorted({(item.case_id, item.pupil_id) for item in found}):
            self.audit.record(
                username=principal.username, role=role, action="due_listed", outcome="ok", case_id=case_id, pupil_id=pupil_id
            )
        return found
