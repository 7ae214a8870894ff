"""Driving a support case in pure Python (no database): decide, then apply, as the services do."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta
from typing import Any

from caseflow.domain.case import SupportCase
from caseflow.domain.case_report import Tally
from caseflow.domain.events import NewEvent, StoredEvent, london_date, now_utc
from caseflow.domain.exclusions import school_year
from caseflow.domain.guards import CaseContext
from caseflow.domain.roles import Actor
from caseflow.domain.workflow import Workflow
from workflows import CURRENT, REGISTRY

WORKFLOW = Workflow(REGISTRY[CURRENT])
WHEN = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
IN_NEED = CaseContext(cohort_status="open", open_plan="cin", allocated_social_workers=frozenset({"sw"}))
NEVER_IN_COHORT = CaseContext()


def england_today() -> date:
    """Today in England by the real clock: what services built without a fixed ``Clock`` (the ``services``
    fixture, the API walk's gunicorn) take as today. The app bounds dates around it (a meeting no more than a
    year back, a suspension starting no earlier than it is proposed), so a fixed date in a test on the real
    clock goes stale: give one relative to this."""
    return london_date(now_utc())


def services_today(svc: Any) -> date:
    """Today in England by the services' own clock (fixed or real): the day their rules take as today. The
    clock's ``.date()`` is the day in UTC, a day behind England's from midnight to 1 a.m. in summer."""
    return london_date(svc.cases.clock())


def days_ago(days: int) -> str:
    """The ISO day ``days`` before today in England (a meeting held, a plan begun, on the real clock)."""
    return (england_today() - timedelta(days=days)).isoformat()


def days_to_come(days: int) -> str:
    """The ISO day ``days`` after today in England (a review still to come, on the real clock)."""
    return (england_today() + timedelta(days=days)).isoformat()


def weekday_to_come(days: int) -> date:
    """The first Monday to Friday ``days`` or more after today in England: a suspension's start still to come at a
    school that has set no term dates (only weekends are closed; a school's own holidays need its calendar)."""
    day = england_today() + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def stored(case: SupportCase, new: NewEvent) -> StoredEvent:
    version = case.version + 1
    return StoredEvent(
        stream_id=case.id, stream_type="case", version=version, position=version, event_type=new.event_type,
        schema_version=new.schema_version, data=dict(new.data), actor=new.actor, role=new.role, occurred_at=new.occurred_at,
        recorded_at=WHEN, workflow_version=new.workflow_version, prev_hash="", hash="",
    )  # fmt: skip


def act(
    case: SupportCase, action: str, role: str, data: dict[str, Any] | None = None, ctx: CaseContext = IN_NEED,
    workflow: Workflow = WORKFLOW, user: str | None = None, log: list[StoredEvent] | None = None, when: datetime = WHEN,
) -> SupportCase:  # fmt: skip
    """Take an action (raising the domain error if refused) and apply the event it causes (kept in ``log`` if given);
    ``when``: when it happened."""
    new = workflow.decide(
        case, action, Actor(user or role, role), data or {}, ctx, when, {"school_urn": "100001"} if case.version == 0 else None
    )
    event = stored(case, new)
    case.apply(event)
    if log is not None:
        log.append(event)
    return case


OPEN = {"pupil_id": "p1", "need_areas": ["attendance"], "description": "Attendance falling"}
PLAN = {"outcomes": ["Attend every day"], "strengths": "Kind", "aspirations": "Vet"}
MEETING = {
    "date": "2026-10-01",
    "attendees": [{"name": "A", "agency": "school"}, {"name": "B", "agency": "social_care"}],
    "aspirations_discussed": True,
}
INTERVENTION = {"intervention": "Mentoring", "owner": "Mr P", "baseline": "85%", "review_date": "2026-12-01"}


def case_at(
    step: str,
    ctx: CaseContext = IN_NEED,
    workflow: Workflow = WORKFLOW,
    log: list[StoredEvent] | None = None,
    case_id: str = "c1",
) -> SupportCase:
    """A case walked, through every guard, to ``step`` (its events kept in ``log`` if given)."""
    do = functools.partial(act, log=log)
    order = ["need_identified", "one_plan", "multi_agency_review", "intervention", "evaluation", "transition", "closed"]
    case = do(SupportCase(case_id), "open_case", "dsl", OPEN, ctx, workflow)
    target = order.index(step)
    if target >= 1:
        do(case, "start_one_plan", "dsl", ctx=ctx, workflow=workflow)
    if target >= 2:
        do(case, "record_plan", "dsl", PLAN, ctx, workflow)
        do(case, "record_family_views", "dsl", {"views": "Supportive"}, ctx, workflow)
        do(case, "record_pupil_voice", "senco", {"voice": "I like art"}, ctx, workflow)
        if ctx.open_plan:
            do(
                case,
                "add_contribution",
                "social_worker",
                {"kind": "social_care_view", "contribution": "Agree"},
                ctx,
                workflow,
                "sw",
            )
        do(case, "convene_review", "dsl", ctx=ctx, workflow=workflow)
    if target >= 3:
        do(case, "record_meeting", "dsl", MEETING, ctx, workflow)
        do(case, "plan_intervention", "senco", INTERVENTION, ctx, workflow)
        do(case, "agree_interventions", "dsl", ctx=ctx, workflow=workflow)
    if target >= 4:
        planned = case.interventions()[-1]["id"]
        do(case, "record_outcome", "senco", {"intervention": planned, "measure": "92%", "status": "continuing"}, ctx, workflow)
        do(case, "evaluate", "dsl", ctx=ctx, workflow=workflow)
    if target >= 5:
        do(case, "record_evaluation", "dsl", {"verdict": "effective", "summary": "Better"}, ctx, workflow)
        do(case, "prepare_transition", "dsl", {"kind": "step_down", "date": "2027-09-01"}, ctx, workflow)
    if target >= 6:
        do(case, "close", "dsl", {"records_transferred": True}, ctx, workflow)
    assert case.state == step
    return case


def replayed_tally(cases: list[SupportCase], as_of: date) -> Tally:
    """The governors' report's counts as the report first computed them, from each case replayed
    (the oracle for ``tally`` over the projected facts)."""
    counted = Tally()
    year = school_year(as_of)
    for case in cases:
        if case.version == 0:
            continue
        counted.steps[case.state or "unknown"] += 1
        counted.interventions_in_place += sum(1 for item in case.interventions() if item["status"] == "active")
        counted.evaluations_recorded += len(case.facts_of("EvaluationRecorded"))
        for proposal in case.proposals():
            decision = proposal["decision"]
            if decision is None:
                counted.awaiting_social_worker += not proposal["views"]
                continue
            if (
                decision.get("decision") in {"suspend", "exclude"}
                and school_year(date.fromisoformat(proposal["start_date"])) == year
            ):
                counted.suspensions += proposal["kind"] == "suspension"
                counted.exclusions += proposal["kind"] == "exclusion"
                counted.suspensions_cancelled += proposal["kind"] == "suspension" and proposal["cancelled"] is not None
                counted.exclusions_cancelled += proposal["kind"] == "exclusion" and proposal["cancelled"] is not None
            counted.overrides += bool(decision.get("override"))
    return counted
