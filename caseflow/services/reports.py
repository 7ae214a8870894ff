"""Anonymised reports for governors and leaders, reproducible as at any past date.

No names, no UPNs, no ids: only counts, and any count under five is shown as
"fewer than 5" so that no child can be identified in a small school.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time
from typing import Any

from caseflow.domain.case import SupportCase
from caseflow.domain.errors import NotFound, NotPermitted
from caseflow.domain.guards import school_year
from caseflow.domain.pupil import cohort_status
from caseflow.domain.roles import Role
from caseflow.services.access import Principal
from caseflow.services.cohort import CohortReads
from caseflow.services.ports import AccessLog, EventStore

SMALL_NUMBER = 5
SUPPRESSED = "fewer than 5"
REPORT_ROLES = frozenset({Role.GOVERNOR, Role.HEADTEACHER, Role.SLT, Role.DSL})


def suppress(count: int) -> int | str:
    return SUPPRESSED if count < SMALL_NUMBER else count


class CaseReads(CohortReads):
    def cases_for_schools(self, school_urns: list[str]) -> list[dict[str, Any]]: ...


class ReportService:
    def __init__(self, store: EventStore, reads: CaseReads, audit: AccessLog) -> None:
        self.store = store
        self.reads = reads
        self.audit = audit

    def _role(self, principal: Principal, school_urn: str) -> str:
        if not self.reads.school_exists(school_urn):
            raise NotFound("no such school")
        for role in sorted(REPORT_ROLES):
            if principal.has(role, school_urn):
                return role
        if Role.AUDITOR in principal.roles and (principal.has(Role.AUDITOR) or principal.has(Role.AUDITOR, school_urn)):
            return Role.AUDITOR
        la = self.reads.school_la(school_urn)
        if Role.VIRTUAL_SCHOOL in principal.roles and la and principal.la_code == la:
            return Role.VIRTUAL_SCHOOL
        if any(school == school_urn for _, school in principal.grants):
            raise NotPermitted("your role may not read governors' reports")
        raise NotFound("no such school")

    def governors(self, principal: Principal, school_urn: str, as_of: date) -> dict[str, Any]:
        role = self._role(principal, school_urn)
        cutoff = datetime.combine(as_of, time.max, tzinfo=UTC)
        pupils = self.reads.pupils_for_schools([school_urn])
        episodes = self.reads.episodes_by_pupil([school_urn])
        statuses = Counter(cohort_status(episodes.get(p["pupil_id"], []), as_of) for p in pupils)
        steps: Counter[str] = Counter()
        active = evaluated = suspensions = exclusions = overrides = pending_views = 0
        year = school_year(as_of)
        for summary in self.reads.cases_for_schools([school_urn]):
            case = SupportCase.replay(summary["case_id"], self.store.load(summary["case_id"]), as_of=cutoff)
            if case.version == 0:
                continue
            steps[case.state or "unknown"] += 1
            active += sum(1 for item in case.interventions() if item["status"] == "active")
            evaluated += len(case.facts_of("EvaluationRecorded"))
            for proposal in case.proposals():
                decision = proposal["decision"]
                if decision is None:
                    pending_views += not proposal["views"]
                    continue
                if (
                    decision.get("decision") in {"suspend", "exclude"}
                    and school_year(date.fromisoformat(proposal["start_date"])) == year
                ):
                    suspensions += proposal["kind"] == "suspension"
                    exclusions += proposal["kind"] == "exclusion"
                overrides += bool(decision.get("override"))
        self.audit.record(
            username=principal.username, role=role, action="governors_report", outcome="ok", detail=f"school {school_urn}"
        )
        return {
            "school_urn": school_urn,
            "as_of": as_of.isoformat(),
            "suppression": f"counts under {SMALL_NUMBER} are shown as '{SUPPRESSED}'",
            "whole_school_pupils": suppress(len(pupils)),
            "cohort": {
                "open": suppress(statuses.get("open", 0)),
                "previous": suppress(statuses.get("previous", 0)),
                "total": suppress(statuses.get("open", 0) + statuses.get("previous", 0)),
            },
            "cases_by_step": {step: suppress(count) for step, count in sorted(steps.items())},
            "interventions_in_place": suppress(active),
            "evaluations_recorded": suppress(evaluated),
            "suspensions_this_school_year": suppress(suspensions),
            "exclusions_this_school_year": suppress(exclusions),
            "exclusion_overrides": suppress(overrides),
            "proposals_awaiting_social_worker": suppress(pending_views),
        }
