"""The retention review list: the children whose records have reached, or will soon reach, the end of
their retention period, for the auditors who oversee what is held. Reading it is logged.

Caseflow lists them; it does not erase. The decision (keep for a stated reason, or destroy) is the
school's, with its data protection officer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

from caseflow.domain.errors import InvalidData, NotPermitted
from caseflow.domain.retention import review_date
from caseflow.domain.roles import Role
from caseflow.services.access import Principal
from caseflow.services.ports import AccessLog
from workflows.retention import CHILD_PROTECTION_FILE

#: the furthest ahead the list looks: ten years
MAX_WITHIN_DAYS = 3660


@dataclass(frozen=True, slots=True)
class ReviewDue:
    pupil_id: str
    given_name: str
    family_name: str
    upn: str
    school_urn: str
    date_of_birth: date
    review_date: date
    open_cases: int
    cases: int

    def days_until(self, as_of: date) -> int:
        return (self.review_date - as_of).days


class RetentionReads(Protocol):
    def pupils_for_schools(self, school_urns: list[str]) -> list[dict[str, Any]]: ...

    def cases_for_schools(self, school_urns: list[str]) -> list[dict[str, Any]]: ...


class RetentionService:
    def __init__(self, reads: RetentionReads, audit: AccessLog, all_schools: Callable[[], list[str]]) -> None:
        self.reads = reads
        self.audit = audit
        self.all_schools = all_schools

    def due(self, principal: Principal, as_of: date, within_days: int = 0, via: str | None = None) -> list[ReviewDue]:
        """Children whose records are due for review by ``as_of`` plus ``within_days``, soonest first."""
        if not 0 <= within_days <= MAX_WITHIN_DAYS:
            raise InvalidData({"within": [f"must be a number of days from 0 to {MAX_WITHIN_DAYS}"]})
        if Role.AUDITOR not in principal.roles:
            self.audit.record(username=principal.username, role=None, action="retention_due", outcome="forbidden")
            raise NotPermitted("only auditors may read the retention review list")
        schools = self.all_schools() if principal.has(Role.AUDITOR) else sorted(principal.schools_for(Role.AUDITOR))
        years = CHILD_PROTECTION_FILE["years_from_birth"]
        try:
            horizon = as_of + timedelta(days=within_days)
        except OverflowError:
            raise InvalidData({"within": ["reaches past the last date there is"]}) from None
        pupils = self.reads.pupils_for_schools(schools) if schools else []
        cases = self.reads.cases_for_schools(schools) if schools else []
        all_cases = Counter(c["pupil_id"] for c in cases)
        open_cases = Counter(c["pupil_id"] for c in cases if c["state"] != "closed")
        found = [
            ReviewDue(
                pupil_id=p["pupil_id"],
                given_name=p["given_name"],
                family_name=p["family_name"],
                upn=p["upn"],
                school_urn=p["school_urn"],
                date_of_birth=p["date_of_birth"],
                review_date=review_date(p["date_of_birth"], years),
                open_cases=open_cases[p["pupil_id"]],
                cases=all_cases[p["pupil_id"]],
            )
            for p in pupils
            if review_date(p["date_of_birth"], years) <= horizon
        ]
        detail = f"as of {as_of.isoformat()}, within {within_days} days" + (f" via {via}" if via else "")
        self.audit.record(username=principal.username, role=Role.AUDITOR, action="retention_due", outcome="ok", detail=detail)
        for child in found:  # the list shows each child's name, UPN and birth date: a line each, in their bundle too
            self.audit.record(
                username=principal.username, role=Role.AUDITOR, action="retention_listed", outcome="ok", pupil_id=child.pupil_id
            )
        return sorted(found, key=lambda r: (r.review_date, r.family_name, r.given_name))
