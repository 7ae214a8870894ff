"""Every role and guard rule of PRODUCT.md §1, each with a test that fails when the rule is removed.

The role table below is written out from PRODUCT.md, independently of the workflow
definition; the "mutation" tests at the end rebuild the workflow without a rule
and show the same scenario then goes through, so these tests can bite.
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any

import pytest

from caseflow.domain.case import SupportCase
from caseflow.domain.errors import GuardFailed, InvalidData, NotPermitted, UnknownAction
from caseflow.domain.guards import CaseContext
from caseflow.domain.roles import Role
from caseflow.domain.workflow import Workflow
from tests.journey_helpers import IN_NEED, INTERVENTION, MEETING, NEVER_IN_COHORT, OPEN, PLAN, WORKFLOW, act, case_at
from workflows import CURRENT, REGISTRY

# PRODUCT.md §1, "The journey's steps and guards" and "Social workers before exclusions"
STEP_ROLES = {
    "open_case": {"dsl", "slt", "headteacher", "senco", "teacher"},
    "start_one_plan": {"dsl", "senco"},
    "convene_review": {"dsl"},
    "agree_interventions": {"dsl"},
    "evaluate": {"dsl", "senco", "mental_health_lead"},
    "revise_plan": {"dsl"},
    "continue_intervention": {"dsl"},
    "prepare_transition": {"dsl"},
    "close": {"dsl", "headteacher"},
    "reopen": {"dsl"},
    "propose_suspension": {"slt", "headteacher"},
    "propose_exclusion": {"slt", "headteacher"},
    "decide_suspension": {"headteacher"},
    "decide_exclusion": {"headteacher"},
}
NEVER_WRITE = {"auditor", "governor", "admin"}
ALL_ROLES = [r.value for r in Role]


@pytest.mark.parametrize("action", sorted(STEP_ROLES))
@pytest.mark.parametrize("role", ALL_ROLES)
def test_step_roles_are_exactly_as_the_product_says(action: str, role: str) -> None:
    spec = WORKFLOW.action(action)
    state = next(iter(spec.sources)) if "__new__" not in spec.sources else None
    if role in STEP_ROLES[action]:
        try:
            WORKFLOW.authorise(state, action, role)
        except GuardFailed:
            pytest.fail("the role is allowed, so only a guard may refuse it")
    else:
        with pytest.raises(NotPermitted):
            WORKFLOW.authorise(state, action, role)


@pytest.mark.parametrize("action", sorted(WORKFLOW.actions))
def test_auditors_governors_and_admins_never_write(action: str) -> None:
    assert not WORKFLOW.action(action).roles & NEVER_WRITE
    for role in NEVER_WRITE:
        with pytest.raises(NotPermitted):
            WORKFLOW.authorise("one_plan", action, role)


def test_social_workers_and_the_virtual_school_contribute() -> None:
    assert {"social_worker", "virtual_school"} <= WORKFLOW.action("add_contribution").roles
    case = case_at("one_plan")
    act(case, "add_contribution", "social_worker", {"kind": "agency_view", "contribution": "x"}, user="sw")
    assert case.facts[-1].role == "social_worker"


def test_unknown_action_and_wrong_step() -> None:
    with pytest.raises(UnknownAction):
        WORKFLOW.authorise("one_plan", "teleport", "dsl")
    with pytest.raises(GuardFailed) as refused:
        act(case_at("need_identified"), "evaluate", "dsl")
    assert refused.value.unmet[0].code == "not_available_in_step"
    with pytest.raises(GuardFailed):
        act(case_at("closed"), "record_plan", "dsl", PLAN)  # facts only at open steps


def codes(error: pytest.ExceptionInfo[GuardFailed]) -> set[str]:
    return {u.code for u in error.value.unmet}


def test_opening_needs_a_pupil_of_the_school_a_need_area_and_a_description() -> None:
    with pytest.raises(GuardFailed) as refused:
        act(SupportCase("c"), "open_case", "dsl", OPEN, CaseContext(pupil_in_school=False))
    assert codes(refused) == {"pupil_not_in_school"}
    with pytest.raises(InvalidData) as invalid:
        act(SupportCase("c"), "open_case", "dsl", {"pupil_id": "p1", "need_areas": []})
    assert set(invalid.value.errors) == {"need_areas", "description"}
    with pytest.raises(InvalidData):
        act(SupportCase("c"), "open_case", "dsl", {**OPEN, "need_areas": ["astrology"]})


def test_convening_the_review_needs_plan_family_views_pupil_voice_and_social_care() -> None:
    case = case_at("one_plan")
    with pytest.raises(GuardFailed) as refused:
        act(case, "convene_review", "dsl")
    assert codes(refused) == {
        "plan_outcomes",
        "plan_strengths",
        "plan_aspirations",
        "family_views",
        "pupil_voice",
        "social_care_view",
    }
    act(case, "record_plan", "dsl", {"outcomes": ["Attend"]})
    act(case, "record_plan", "dsl", {"strengths": "Kind", "aspirations": "Vet"})  # later recordings add to the plan
    act(case, "record_family_views", "dsl", {"not_obtained_reason": "Family declined; letter sent"})
    act(case, "record_pupil_voice", "mental_health_lead", {"voice": "ok"})
    with pytest.raises(GuardFailed) as refused:
        act(case, "convene_review", "dsl")
    assert codes(refused) == {"social_care_view"}
    act(case, "add_contribution", "social_worker", {"kind": "social_care_view", "contribution": "Agree"}, user="sw2")
    with pytest.raises(GuardFailed):  # sw2 is not the allocated social worker
        act(case, "convene_review", "dsl")
    act(case, "add_contribution", "social_worker", {"kind": "social_care_view", "contribution": "Agree"}, user="sw")
    assert act(case, "convene_review", "dsl").state == "multi_agency_review"


def test_social_care_view_only_while_a_plan_is_open() -> None:
    case = case_at("one_plan", NEVER_IN_COHORT)
    act(case, "record_plan", "dsl", PLAN, NEVER_IN_COHORT)
    act(case, "record_family_views", "dsl", {"views": "ok"}, NEVER_IN_COHORT)
    act(case, "record_pupil_voice", "dsl", {"voice": "ok"}, NEVER_IN_COHORT)
    assert act(case, "convene_review", "dsl", ctx=NEVER_IN_COHORT).state == "multi_agency_review"
    no_worker = CaseContext(cohort_status="open", open_plan="cp")
    with pytest.raises(GuardFailed) as refused:
        act(case_at("one_plan", NEVER_IN_COHORT), "convene_review", "dsl", ctx=no_worker)
    assert "social_worker_not_allocated" in codes(refused)


def test_family_views_need_views_or_a_reason() -> None:
    with pytest.raises(GuardFailed) as refused:
        act(case_at("one_plan"), "record_family_views", "dsl", {})
    assert codes(refused) == {"views_or_reason"}


@pytest.mark.parametrize(
    ("attendees", "aspirations", "missing"),
    [
        ([{"name": "A", "agency": "social_care"}], True, {"meeting_school"}),
        ([{"name": "A", "agency": "school"}, {"name": "M", "agency": "family"}], True, {"meeting_agency"}),
        ([{"name": "A", "agency": "school"}, {"name": "B", "agency": "health"}], False, {"meeting_aspirations"}),
    ],
)
def test_agreeing_interventions_needs_a_proper_meeting(
    attendees: list[dict[str, str]], aspirations: bool, missing: set[str]
) -> None:
    case = case_at("multi_agency_review")
    with pytest.raises(GuardFailed) as refused:
        act(case, "agree_interventions", "dsl")
    assert codes(refused) == {"review_meeting", "intervention"}
    act(case, "plan_intervention", "senco", INTERVENTION)
    act(case, "record_meeting", "dsl", {"date": "2026-10-01", "attendees": attendees, "aspirations_discussed": aspirations})
    with pytest.raises(GuardFailed) as refused:
        act(case, "agree_interventions", "dsl")
    assert codes(refused) == missing
    act(case, "record_meeting", "dsl", MEETING)
    assert act(case, "agree_interventions", "dsl").state == "intervention"


def test_interventions_need_owner_baseline_and_review_date() -> None:
    with pytest.raises(InvalidData) as invalid:
        act(case_at("multi_agency_review"), "plan_intervention", "senco", {"intervention": "Mentoring"})
    assert set(invalid.value.errors) == {"owner", "baseline", "review_date"}


def test_evaluation_needs_an_outcome_for_every_active_intervention() -> None:
    case = case_at("intervention")
    act(case, "plan_intervention", "senco", {**INTERVENTION, "intervention": "Nurture group"})
    with pytest.raises(GuardFailed) as refused:
        act(case, "evaluate", "senco")
    assert codes(refused) == {"outcome_missing"} and len(refused.value.unmet) == 2
    first, second = (i["id"] for i in case.interventions())
    act(case, "record_outcome", "senco", {"intervention": first, "measure": "90%", "status": "continuing"})
    act(case, "record_outcome", "mental_health_lead", {"intervention": second, "measure": "SDQ 12", "status": "completed"})
    assert act(case, "evaluate", "mental_health_lead").state == "evaluation"
    with pytest.raises(GuardFailed) as refused:
        act(case, "record_outcome", "senco", {"intervention": 999, "measure": "x", "status": "continuing"})
    assert codes(refused) == {"intervention_unknown"}


@pytest.mark.parametrize(
    ("action", "data", "state"),
    [
        ("revise_plan", {}, "one_plan"),
        ("continue_intervention", {"review_date": "2027-01-10"}, "intervention"),
        ("prepare_transition", {"kind": "post_16", "date": "2027-07-01", "receiving_setting": "Riverside College"}, "transition"),
    ],
)
def test_leaving_evaluation_needs_a_verdict(action: str, data: dict[str, Any], state: str) -> None:
    case = case_at("evaluation")
    with pytest.raises(GuardFailed) as refused:
        act(case, action, "dsl", data)
    assert codes(refused) == {"verdict"}
    act(case, "record_evaluation", "senco", {"verdict": "partly_effective", "summary": "Some progress"})
    assert act(case, action, "dsl", data).state == state


def test_continuing_needs_a_review_date_and_transition_needs_kind_and_date() -> None:
    case = case_at("evaluation")
    act(case, "record_evaluation", "dsl", {"verdict": "effective", "summary": "ok"})
    with pytest.raises(InvalidData) as invalid:
        act(case, "continue_intervention", "dsl", {})
    assert set(invalid.value.errors) == {"review_date"}
    with pytest.raises(InvalidData) as invalid:
        act(case, "prepare_transition", "dsl", {"kind": "gap_year"})
    assert set(invalid.value.errors) == {"kind", "date"}


def test_closing_needs_a_handover_and_reopening_a_reason() -> None:
    case = case_at("transition")
    with pytest.raises(GuardFailed) as refused:
        act(case, "close", "headteacher", {})
    assert codes(refused) == {"handover"}
    act(case, "close", "headteacher", {"reason": "Family moved abroad; no receiving school known"})
    with pytest.raises(InvalidData):
        act(case, "reopen", "dsl", {})
    assert act(case, "reopen", "dsl", {"reason": "New concerns"}).state == "need_identified"


def proposal(case: SupportCase, kind: str = "suspension", days: float = 3) -> int:
    data = (
        {"days": days, "start_date": "2026-11-20", "reason": "x"}
        if kind == "suspension"
        else {"start_date": "2026-11-20", "reason": "x"}
    )
    act(case, f"propose_{kind}", "slt", data)
    return case.version


@pytest.mark.parametrize("kind", ["suspension", "exclusion"])
def test_decisions_wait_for_the_social_worker(kind: str) -> None:
    case = case_at("intervention")
    number = proposal(case, kind)
    decide = {
        "proposal": number,
        "decision": "suspend" if kind == "suspension" else "exclude",
        "reasons": "As the policy sets out.",
    }
    with pytest.raises(GuardFailed) as refused:
        act(case, f"decide_{kind}", "headteacher", decide)
    assert codes(refused) == {"social_worker_view"}
    with pytest.raises(GuardFailed):  # a reason alone is not enough: everyone must have been notified
        act(case, f"decide_{kind}", "headteacher", {**decide, "override_reason": "Risk to staff", "notified_social_worker": True})
    act(
        case,
        "add_contribution",
        "social_worker",
        {"kind": "exclusion_view", "contribution": "Please wait", "proposal": number},
        user="sw",
    )
    act(case, f"decide_{kind}", "headteacher", decide)
    assert case.proposals()[-1]["decision"]["override"] is False
    with pytest.raises(GuardFailed) as refused:  # decided already
        act(case, f"decide_{kind}", "headteacher", decide)
    assert codes(refused) == {"proposal_not_pending"}


def test_a_recorded_override_is_flagged() -> None:
    case = case_at("intervention")
    number = proposal(case)
    notified = {"notified_social_worker": True, "notified_virtual_school": True, "notified_la": True}
    act(
        case,
        "decide_suspension",
        "headteacher",
        {
            "proposal": number,
            "decision": "suspend",
            "reasons": "As the behaviour policy sets out.",
            "override_reason": "Immediate risk",
            **notified,
        },
    )
    assert case.proposals()[-1]["decision"]["override"] is True


def test_pupils_never_in_the_cohort_and_withdrawals_need_no_view() -> None:
    case = case_at("one_plan", NEVER_IN_COHORT)
    act(case, "propose_suspension", "slt", {"days": 1, "start_date": "2026-11-20", "reason": "x"}, NEVER_IN_COHORT)
    act(
        case,
        "decide_suspension",
        "headteacher",
        {"proposal": case.version, "decision": "suspend", "reasons": "As the behaviour policy sets out."},
        NEVER_IN_COHORT,
    )
    in_cohort = case_at("one_plan")
    number = proposal(in_cohort)
    act(in_cohort, "decide_suspension", "headteacher", {"proposal": number, "decision": "withdraw"})
    previous = CaseContext(cohort_status="previous")
    old = case_at("one_plan", previous)
    act(old, "propose_suspension", "slt", {"days": 1, "start_date": "2026-11-20", "reason": "x"}, previous)
    with pytest.raises(GuardFailed):  # had a social worker in the last six years: the rule still applies
        act(
            old,
            "decide_suspension",
            "headteacher",
            {"proposal": old.version, "decision": "suspend", "reasons": "As the behaviour policy sets out."},
            previous,
        )


def test_exclusion_views_must_name_a_pending_proposal() -> None:
    with pytest.raises(GuardFailed) as refused:
        act(case_at("one_plan"), "add_contribution", "social_worker", {"kind": "exclusion_view", "contribution": "x"}, user="sw")
    assert codes(refused) == {"proposal_not_pending"}


def test_forty_five_days_a_school_year() -> None:
    ctx = CaseContext(cohort_status=None, other_suspension_days={2026: 40})
    case = case_at("one_plan", NEVER_IN_COHORT)
    act(case, "propose_suspension", "slt", {"days": 5, "start_date": "2026-11-20", "reason": "x"}, ctx)
    act(
        case,
        "decide_suspension",
        "headteacher",
        {"proposal": case.version, "decision": "suspend", "reasons": "As the behaviour policy sets out."},
        ctx,
    )  # exactly 45
    act(case, "propose_suspension", "slt", {"days": 0.5, "start_date": "2027-03-01", "reason": "x"}, ctx)
    with pytest.raises(GuardFailed) as refused:
        act(
            case,
            "decide_suspension",
            "headteacher",
            {"proposal": case.version, "decision": "suspend", "reasons": "As the behaviour policy sets out."},
            ctx,
        )
    assert codes(refused) == {"suspension_limit"}
    act(case, "propose_suspension", "slt", {"days": 2, "start_date": "2027-09-02", "reason": "x"}, ctx)  # a new school year
    act(
        case,
        "decide_suspension",
        "headteacher",
        {"proposal": case.version, "decision": "suspend", "reasons": "As the behaviour policy sets out."},
        ctx,
    )


def test_corrections_name_an_event_of_the_case() -> None:
    case = case_at("one_plan")
    with pytest.raises(GuardFailed):
        act(case, "record_correction", "dsl", {"corrects": 99, "correction": "x"})
    before = case.version
    act(case, "record_correction", "dsl", {"corrects": 1, "correction": "The need was first raised on 1 October"})
    assert case.version == before + 1


# --- the tests above can fail: remove a rule and the same scenario goes through ------------------
def without(action: str, *, guard: str | None = None, add_role: str | None = None) -> Workflow:
    definition = copy.deepcopy(REGISTRY[CURRENT])
    spec = next(a for a in definition["actions"] if a["name"] == action)
    if guard:
        spec["guards"] = [g for g in spec.get("guards", []) if g != guard]
    if add_role:
        spec["roles"] = [*spec["roles"], add_role]
    return Workflow(definition)


@pytest.mark.parametrize(
    ("action", "guard", "step", "data"),
    [
        ("convene_review", "family_views_recorded", "one_plan", {}),
        ("agree_interventions", "review_meeting_recorded", "multi_agency_review", {}),
        ("revise_plan", "verdict_recorded", "evaluation", {}),
        ("close", "handover_recorded", "transition", {}),
    ],
)
def test_removing_a_guard_lets_the_refused_scenario_through(action: str, guard: str, step: str, data: dict[str, Any]) -> None:
    weakened = without(action, guard=guard)
    case = case_at(step, NEVER_IN_COHORT, weakened)
    if action == "convene_review":
        act(case, "record_plan", "dsl", PLAN, NEVER_IN_COHORT, weakened)
        act(case, "record_pupil_voice", "dsl", {"voice": "ok"}, NEVER_IN_COHORT, weakened)
    if action == "agree_interventions":
        act(case, "plan_intervention", "dsl", INTERVENTION, NEVER_IN_COHORT, weakened)
    with pytest.raises(GuardFailed):
        act(case_at(step, NEVER_IN_COHORT), action, "dsl", data, NEVER_IN_COHORT)  # the real rule refuses
    assert act(case, action, "dsl", data, NEVER_IN_COHORT, weakened).version > 0  # without it, it goes through


def test_removing_the_social_worker_rule_lets_the_decision_through() -> None:
    weakened = without("decide_suspension", guard="social_worker_heard_by_then")
    case = case_at("intervention", IN_NEED, weakened)
    act(case, "propose_suspension", "slt", {"days": 1, "start_date": "2026-11-20", "reason": "x"}, IN_NEED, weakened)
    act(
        case,
        "decide_suspension",
        "headteacher",
        {"proposal": case.version, "decision": "suspend", "reasons": "As the behaviour policy sets out."},
        IN_NEED,
        weakened,
    )
    assert case.proposals()[-1]["decision"] is not None


@pytest.mark.parametrize(("action", "role"), [("convene_review", "teacher"), ("decide_exclusion", "dsl")])
def test_adding_a_role_is_what_would_let_it_act(action: str, role: str) -> None:
    with pytest.raises(NotPermitted):
        WORKFLOW.authorise("one_plan", action, role)
    widened = without(action, add_role=role)
    with contextlib.suppress(GuardFailed):  # past the role check: only the step or a guard stands in the way now
        widened.authorise("one_plan", action, role)


def test_a_definition_with_a_role_less_action_is_refused() -> None:
    definition = copy.deepcopy(REGISTRY[CURRENT])
    definition["actions"][1]["roles"] = []
    with pytest.raises(ValueError, match="names no role"):
        Workflow(definition)
    definition = copy.deepcopy(REGISTRY[CURRENT])
    definition["actions"][1]["roles"] = ["wizard"]
    with pytest.raises(ValueError, match="unknown roles"):
        Workflow(definition)
