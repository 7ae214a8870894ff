"""Driving a support case in pure Python (no database): decide, then apply, as the services do."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from caseflow.domain.case import SupportCase
from caseflow.domain.events import NewEvent, StoredEvent
from caseflow.domain.guards import CaseContext
from caseflow.domain.roles import Actor
from caseflow.domain.workflow import Workflow
from workflows import CURRENT, REGISTRY

WORKFLOW = Workflow(REGISTRY[CURRENT])
WHEN = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
IN_NEED = CaseContext(cohort_status="open", open_plan="cin", allocated_social_workers=frozenset({"sw"}))
NEVER_IN_COHORT = CaseContext()


def stored(case: SupportCase, new: NewEvent) -> StoredEvent:
    version = case.version + 1
    return StoredEvent(
        stream_id=case.id, stream_type="case", version=version, position=version, event_type=new.event_type,
        schema_version=new.schema_version, data=dict(new.data), actor=new.actor, role=new.role, occurred_at=new.occurred_at,
        recorded_at=WHEN, workflow_version=new.workflow_version, prev_hash="", hash="",
    )  # fmt: skip


def act(
    case: SupportCase, action: str, role: str, data: dict[str, Any] | None = None, ctx: CaseContext = IN_NEED,
    workflow: Workflow = WORKFLOW, user: str | None = None,
) -> SupportCase:  # fmt: skip
    """Take an action (raising the domain error if refused) and apply the event it causes."""
    new = workflow.decide(
        case, action, Actor(user or role, role), data or {}, ctx, WHEN, {"school_urn": "100001"} if case.version == 0 else None
    )
    case.apply(stored(case, new))
    return case


OPEN = {"pupil_id": "p1", "need_areas": ["attendance"], "description": "Attendance falling"}
PLAN = {"outcomes": ["Attend every day"], "strengths": "Kind", "aspirations": "Vet"}
MEETING = {
    "date": "2026-10-01",
    "attendees": [{"name": "A", "agency": "school"}, {"name": "B", "agency": "social_care"}],
    "aspirations_discussed": True,
}
INTERVENTION = {"intervention": "Mentoring", "owner": "Mr P", "baseline": "85%", "review_date": "2026-12-01"}


def case_at(step: str, ctx: CaseContext = IN_NEED, workflow: Workflow = WORKFLOW) -> SupportCase:
    """A case walked, through every guard, to ``step``."""
    order = ["need_identified", "one_plan", "multi_agency_review", "intervention", "evaluation", "transition", "closed"]
    case = act(SupportCase("c1"), "open_case", "dsl", OPEN, ctx, workflow)
    target = order.index(step)
    if target >= 1:
        act(case, "start_one_plan", "dsl", ctx=ctx, workflow=workflow)
    if target >= 2:
        act(case, "record_plan", "dsl", PLAN, ctx, workflow)
        act(case, "record_family_views", "dsl", {"views": "Supportive"}, ctx, workflow)
        act(case, "record_pupil_voice", "senco", {"voice": "I like art"}, ctx, workflow)
        if ctx.open_plan:
            act(
                case,
                "add_contribution",
                "social_worker",
                {"kind": "social_care_view", "contribution": "Agree"},
                ctx,
                workflow,
                "sw",
            )
        act(case, "convene_review", "dsl", ctx=ctx, workflow=workflow)
    if target >= 3:
        act(case, "record_meeting", "dsl", MEETING, ctx, workflow)
        act(case, "plan_intervention", "senco", INTERVENTION, ctx, workflow)
        act(case, "agree_interventions", "dsl", ctx=ctx, workflow=workflow)
    if target >= 4:
        planned = case.interventions()[-1]["id"]
        act(case, "record_outcome", "senco", {"intervention": planned, "measure": "92%", "status": "continuing"}, ctx, workflow)
        act(case, "evaluate", "dsl", ctx=ctx, workflow=workflow)
    if target >= 5:
        act(case, "record_evaluation", "dsl", {"verdict": "effective", "summary": "Better"}, ctx, workflow)
        act(case, "prepare_transition", "dsl", {"kind": "phase_change", "date": "2027-09-01"}, ctx, workflow)
    if target >= 6:
        act(case, "close", "dsl", {"records_transferred": True}, ctx, workflow)
    assert case.state == step
    return case
