"""Random action sequences by random roles never break the journey's invariants.

A Hypothesis state machine drives one case with valid and invalid commands by every
role, for a pupil whose social-care context is drawn too. After every step: the
state moved only along a declared edge (facts never move it), a refusal appended
nothing, versions have no gaps, replaying any prefix gives the state seen then,
and auditors, governors and admins never succeeded.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from caseflow.domain.case import SupportCase
from caseflow.domain.case_report import report_fact, tally
from caseflow.domain.errors import CaseflowError
from caseflow.domain.events import StoredEvent
from caseflow.domain.guards import CaseContext
from caseflow.domain.roles import Actor, Role
from tests.journey_helpers import INTERVENTION, MEETING, OPEN, PLAN, WHEN, WORKFLOW, replayed_tally, stored

ROLES = [r.value for r in Role]
ACTIONS = sorted(WORKFLOW.actions)
EDGES = {(source, spec.dest) for spec in WORKFLOW.actions.values() if spec.dest for source in spec.sources}
REACHED: Counter[str] = Counter()


def valid_data(case: SupportCase, action: str, choice: int) -> dict[str, Any]:
    """Data that passes field validation for ``action`` (guards may still refuse it)."""
    interventions = [i["id"] for i in case.interventions()] or [1]
    proposals = [p["id"] for p in case.proposals() if p["decision"] is None] or [1]
    pick_i, pick_p = interventions[choice % len(interventions)], proposals[choice % len(proposals)]
    return {
        "open_case": OPEN,
        "record_plan": PLAN,
        "record_family_views": {"views": "ok"},
        "record_pupil_voice": {"voice": "ok"},
        "add_contribution": {"kind": ["social_care_view", "exclusion_view", "agency_view"][choice % 3], "contribution": "x", "proposal": pick_p},
        "record_meeting": MEETING,
        "plan_intervention": INTERVENTION,
        "record_outcome": {"intervention": pick_i, "measure": "x", "status": ["continuing", "completed"][choice % 2]},
        "record_evaluation": {"verdict": "effective", "summary": "x"},
        "continue_intervention": {"review_date": "2027-01-01"},
        "prepare_transition": {"kind": "step_down", "date": "2027-09-01"},
        "close": {"records_transferred": True},
        "close_into_other_case": {"other_case": ["c2", "c3"][choice % 2], "note": "The same need as the open case."},
        "reopen": {"reason": "again"},
        "log_family_contact": {"date": "2026-10-01", "method": "phone", "summary": "x"},
        "record_aspiration": {"kind": "career", "aspiration": "x"},
        "record_reasonable_adjustment": {"area": "rse", "adjustment": "x", "consulted": ["child"]},
        "celebrate_success": {"success": "x"},
        "refer_to_service": {"service": "virtual_school", "reason": "x"},
        "record_correction": {"corrects": 1, "correction": "x"},
        "propose_suspension": {"days": 1 + choice % 3, "start_date": "2026-11-20", "reason": "x"},
        "propose_exclusion": {"start_date": "2026-11-20", "reason": "x"},
        "decide_suspension": {"proposal": pick_p, "decision": "suspend", "reasons": "As the behaviour policy sets out.", "override_reason": "risk", "notified_social_worker": True,
                              "notified_virtual_school": True, "notified_la": True},
        "decide_exclusion": {"proposal": pick_p, "decision": ["exclude", "withdraw"][choice % 2]},
    }.get(action, {})  # fmt: skip


#: what each step usually needs next, so random walks also make progress (any order, any subset)
PATH = {
    None: [("open_case", "dsl", {})],
    "need_identified": [("start_one_plan", "senco", {}), ("close_into_other_case", "dsl", {"other_case": "c2"}),
                        ("start_one_plan", "dsl", {})],
    "one_plan": [("record_plan", "dsl", {}), ("record_family_views", "dsl", {}), ("record_pupil_voice", "senco", {}),
                 ("add_contribution", "social_worker", {"kind": "social_care_view"}), ("convene_review", "dsl", {})],
    "multi_agency_review": [("record_meeting", "dsl", {}), ("plan_intervention", "senco", {}), ("agree_interventions", "dsl", {})],
    "intervention": [("record_outcome", "mental_health_lead", {"status": "continuing"}), ("evaluate", "dsl", {})],
    "evaluation": [("record_evaluation", "dsl", {}), ("prepare_transition", "dsl", {}), ("continue_intervention", "dsl", {}),
                   ("revise_plan", "dsl", {})],
    "transition": [("close", "headteacher", {})],
    "closed": [("reopen", "dsl", {})],
}  # fmt: skip

JUNK = st.one_of(st.none(), st.integers(), st.text(max_size=5), st.dictionaries(st.text(max_size=6), st.integers(), max_size=3))


class Journey(RuleBasedStateMachine):
    @initialize(
        status=st.sampled_from([None, "open", "previous"]),
        allocated=st.booleans(),
        another_open_case=st.booleans(),
    )
    def start(self, status: str | None, allocated: bool, another_open_case: bool) -> None:
        self.ctx = CaseContext(
            cohort_status=status,
            open_plan="cin" if status == "open" else None,
            allocated_social_workers=frozenset({"sw"}) if allocated else frozenset(),
            other_open_cases=frozenset({"c2"}) if another_open_case else frozenset(),  # never c3: a case closed since
        )
        self.case = SupportCase("c1")
        self.log: list[StoredEvent] = []
        self.states_seen: list[str | None] = [None]

    def _try(self, action: str, role: str, data: Any) -> None:
        before = (self.case.state, self.case.version)
        user = "sw" if role == "social_worker" else role
        try:
            new = WORKFLOW.decide(
                self.case,
                action,
                Actor(user, role),
                data,
                self.ctx,
                WHEN,
                {"school_urn": "1"} if self.case.version == 0 else None,
            )
        except CaseflowError:
            assert (self.case.state, self.case.version) == before  # a refusal changes nothing
            return
        assert role not in {"auditor", "governor", "admin"}, f"{role} took {action}"
        event = stored(self.case, new)
        self.case.apply(event)
        self.log.append(event)
        self.states_seen.append(self.case.state)
        spec = WORKFLOW.action(action)
        if spec.dest:
            assert (before[0] or "__new__", self.case.state) in EDGES
        else:
            assert self.case.state == before[0]
        REACHED[self.case.state or "new"] += 1

    @rule(action=st.sampled_from(ACTIONS), role=st.sampled_from(ROLES), choice=st.integers(0, 5))
    def valid_command(self, action: str, role: str, choice: int) -> None:
        self._try(action, role, valid_data(self.case, action, choice))

    @rule(action=st.sampled_from(ACTIONS), choice=st.integers(0, 5))
    def allowed_role_takes_the_next_step(self, action: str, choice: int) -> None:
        """Bias towards progress: someone allowed tries the action with good data."""
        role = sorted(WORKFLOW.action(action).roles)[choice % len(WORKFLOW.action(action).roles)]
        self._try(action, role, valid_data(self.case, action, choice))

    @rule(choice=st.integers(0, 20))
    def someone_does_what_the_step_needs(self, choice: int) -> None:
        options = PATH[self.case.state]
        action, role, override = options[choice % len(options)]
        self._try(action, role, {**valid_data(self.case, action, choice), **override})

    @rule(choice=st.integers(0, 20))
    def the_step_moves_on(self, choice: int) -> None:
        """Twice as likely as any other rule: the walk should often reach the late steps."""
        self.someone_does_what_the_step_needs(choice)

    @rule(action=st.sampled_from(ACTIONS), role=st.sampled_from(ROLES), data=JUNK)
    def junk_command(self, action: str, role: str, data: Any) -> None:
        self._try(action, role, data)

    @invariant()
    def versions_have_no_gaps(self) -> None:
        if hasattr(self, "case"):
            assert [e.version for e in self.log] == list(range(1, self.case.version + 1))

    @invariant()
    def replaying_any_prefix_gives_the_state_seen_then(self) -> None:
        if not hasattr(self, "case"):
            return
        for n in {0, len(self.log) // 2, len(self.log)}:
            replayed = SupportCase.replay("c1", self.log, upto_version=n)
            assert (replayed.state, replayed.version) == (self.states_seen[n], n)
        assert SupportCase.replay("c1", self.log).summary() == self.case.summary()

    @invariant()
    def the_report_facts_count_what_a_replay_counts(self) -> None:
        """The governors' report tallies the projected facts; a replay of the case is the oracle."""
        if not hasattr(self, "case"):
            return
        for n in {0, len(self.log) // 2, len(self.log)}:
            facts = [fact for event in self.log[:n] if (fact := report_fact(event)) is not None]
            for as_of in (date(2026, 11, 22), date(2027, 10, 1)):
                expected = replayed_tally([SupportCase.replay("c1", self.log, upto_version=n)], as_of)
                assert tally(facts, as_of) == expected


Journey.TestCase.settings = settings(
    max_examples=60, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestJourney = Journey.TestCase


def test_the_machine_really_walks_the_journey() -> None:
    """The invariants are not vacuous: the random walks reach the late steps and close cases."""
    REACHED.clear()
    state = settings(max_examples=100, stateful_step_count=100, deadline=None, database=None, derandomize=True)
    Journey.TestCase.settings = state
    Journey.TestCase().runTest()
    assert REACHED["evaluation"] > 0 and REACHED["transition"] > 0 and REACHED["closed"] > 0, dict(REACHED)
