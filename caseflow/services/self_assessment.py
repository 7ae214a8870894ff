"""A school's self-assessment against the guidance's evidence of good practice: its leaders rate
each indicator with their evidence; those who read the governors' report read the ratings.

Every rating is an event on the school's own stream, checked by the self-assessment workflow
(roles, fields) like any action on a case, and logged with the access log line in the same
transaction. The first rating also starts the stream, in the same append.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from caseflow.domain.errors import CaseflowError, ConcurrencyConflict, InvalidData, NotPermitted
from caseflow.domain.events import NewEvent, now_utc
from caseflow.domain.guards import CaseContext
from caseflow.domain.roles import Actor
from caseflow.domain.self_assessment import STREAM_TYPE, SelfAssessment, stream_id_for
from caseflow.domain.workflow import Workflow
from caseflow.services.access import Principal, choose_role
from caseflow.services.cohort import CohortReads
from caseflow.services.ports import AccessLog, EventStore
from caseflow.services.repeats import logged_outcome, refuse_unconfirmed_repeat
from caseflow.services.reports import report_role
from workflows import REGISTRY, SELF_ASSESSMENT

ASSESS = "assess_indicator"


class SelfAssessmentService:
    def __init__(self, store: EventStore, reads: CohortReads, audit: AccessLog, clock: Callable[[], datetime] = now_utc) -> None:
        self.store = store
        self.reads = reads
        self.audit = audit
        self.clock = clock
        self.workflow = Workflow(REGISTRY[SELF_ASSESSMENT])

    def as_at(self, school_urn: str, recorded_by: datetime | None = None) -> SelfAssessment:
        """The school's ratings as recorded by then (or now). No access check: for callers that made theirs."""
        stream_id = stream_id_for(school_urn)
        return SelfAssessment.replay(stream_id, self.store.load(stream_id), recorded_by)

    def assessor_role(self, principal: Principal, school_urn: str) -> str | None:
        """The role in which this person may rate the school's indicators, if any."""
        held = frozenset(role for role, school in principal.grants if school == school_urn)
        return choose_role(held, self.workflow.action(ASSESS).roles)

    def view(self, principal: Principal, school_urn: str) -> SelfAssessment:
        """The ratings as they stand, for those who read the governors' report (the view is logged)."""
        role = report_role(self.reads, principal, school_urn)
        assessment = self.as_at(school_urn)
        self.audit.record(
            username=principal.username, role=role, action="view_self_assessment", outcome="ok", detail=f"school {school_urn}"
        )
        return assessment

    def assess(
        self,
        principal: Principal,
        school_urn: str,
        expected_version: Any,
        data: Any,
        *,
        ask_repeat: bool = False,
        repeat_of: int | None = None,
    ) -> SelfAssessment:
        """Rate one indicator, stating the version of the self-assessment you read (0 before the first rating).
        ``ask_repeat``, ``repeat_of``: as a case's action takes them (``CaseService.act``)."""
        role = self.assessor_role(principal, school_urn)
        indicator = data.get("indicator") if isinstance(data, dict) else None
        detail = f"school {school_urn} indicator {indicator}"
        try:
            if role is None:
                report_role(self.reads, principal, school_urn)  # outsiders are told there is no such school
                raise NotPermitted("only the school's DSL, headteacher or senior leaders may rate its practice")
            if isinstance(expected_version, bool) or not isinstance(expected_version, int):
                raise InvalidData({"expected_version": ["must be the whole-number version you last read"]})
            assessment = self.as_at(school_urn)
            if expected_version != assessment.version:
                raise ConcurrencyConflict(assessment.id, expected_version, assessment.version)
            actor, now = Actor(principal.username, role), self.clock()
            started: list[NewEvent] = []
            if assessment.version == 0:
                creation = self.workflow.creation.name
                started.append(self.workflow.decide(assessment, creation, actor, {"school_urn": school_urn}, CaseContext(), now))  # type: ignore[arg-type]
            under_way = assessment if started == [] else SelfAssessment(assessment.id, version=1, school_urn=school_urn)
            rated = self.workflow.decide(under_way, ASSESS, actor, data, CaseContext(), now)  # type: ignore[arg-type]
            if ask_repeat:
                refuse_unconfirmed_repeat(self.store, assessment.id, assessment.version, rated, now, repeat_of)
            logged = self.audit.entry(username=principal.username, role=role, action=ASSESS, outcome="ok", detail=detail)
            stored = self.store.append(assessment.id, STREAM_TYPE, assessment.version, [*started, rated], also=[logged])
        except CaseflowError as error:
            outcome = logged_outcome(error)
            self.audit.record(username=principal.username, role=role, action=ASSESS, outcome=outcome, detail=detail)
            raise
        for event in stored:
            assessment.apply(event)
        return assessment
