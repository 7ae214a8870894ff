"""support_journey@8: a head who suspends or excludes gives the reasons. The notice to the parents must give
them (domain facts, section 5: "the notice gives the period and the reasons"), and the governing board and the
auditor read them from the decision; a decision to withdraw the proposal needs none. Version 8 also words the
head's cancelling as a record of what happened ("Record that a decided suspension or exclusion was cancelled"),
which the third walk found read like a button that cancels the form."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from caseflow.bootstrap import Services
from caseflow.domain.case import SupportCase
from caseflow.domain.errors import GuardFailed
from tests.conftest import Clock, Database, _services, principal, seed_people
from tests.journey_helpers import WHEN, WORKFLOW, act, case_at
from tests.test_exclusion_safeguards import NOW, _case, _pupil
from tests.test_rules_on_their_fields import CTX, HEAD, _client
from workflows import CURRENT, REGISTRY

REASONS = "Assaulted a member of staff; the behaviour policy sets this out."


def _proposed(kind: str) -> tuple[SupportCase, int]:
    case = case_at("one_plan")
    data = {"start_date": "2026-11-23", "reason": "Assault"} | ({"days": 2} if kind == "suspension" else {})
    act(case, f"propose_{kind}", "slt", data, CTX)
    proposal = case.version
    view = {"kind": "exclusion_view", "contribution": "Known to us", "proposal": proposal}
    act(case, "add_contribution", "social_worker", view, CTX, user="sw")
    return case, proposal


@pytest.mark.parametrize(("kind", "decided"), [("suspension", "suspend"), ("exclusion", "exclude")])
def test_a_decision_to_suspend_or_exclude_without_reasons_is_refused_on_the_reasons(kind: str, decided: str) -> None:
    case, proposal = _proposed(kind)
    version = case.version
    for reasons in (None, "", "   "):
        data = {"proposal": proposal, "decision": decided} | ({"reasons": reasons} if reasons is not None else {})
        with pytest.raises(GuardFailed) as refused:
            WORKFLOW.decide(case, f"decide_{kind}", HEAD, data, CTX, WHEN)
        assert [(u.code, u.field) for u in refused.value.unmet] == [("decision_reasons_missing", "reasons")]
        assert "the notice to the parents must give them" in refused.value.unmet[0].message
        assert case.version == version
    WORKFLOW.decide(case, f"decide_{kind}", HEAD, {"proposal": proposal, "decision": decided, "reasons": REASONS}, CTX, WHEN)


@pytest.mark.parametrize("kind", ["suspension", "exclusion"])
def test_withdrawing_a_proposal_needs_no_reasons(kind: str) -> None:
    case, proposal = _proposed(kind)
    event = WORKFLOW.decide(case, f"decide_{kind}", HEAD, {"proposal": proposal, "decision": "withdraw"}, CTX, WHEN)
    assert event.data["decision"] == "withdraw" and "reasons" not in event.data


def test_version_7_is_kept_as_released() -> None:
    released = json.loads((Path(__file__).parent / "data" / "support_journey_v7.json").read_text())
    assert REGISTRY["support_journey@7"] == released
    assert CURRENT != "support_journey@8"  # version 8, as released, is pinned by test_repeated_need
    now = {a["name"]: a for a in REGISTRY["support_journey@8"]["actions"]}
    then = {a["name"]: a for a in released["actions"]}
    assert now.keys() == then.keys()
    assert {name for name in now if now[name] != then[name]} == {"decide_suspension", "decide_exclusion", "cancel_decision"}
    for name in ("decide_suspension", "decide_exclusion"):
        assert now[name]["guards"] == [*then[name]["guards"], "decision_gives_reasons"]
        assert {k: v for k, v in now[name].items() if k not in ("guards", "fields")} == {
            k: v for k, v in then[name].items() if k not in ("guards", "fields")
        }
        assert now[name]["fields"]["reasons"]["label"] == "Reasons (for the notice to the parents)"
    assert now["cancel_decision"]["label"] == "Record that a decided suspension or exclusion was cancelled"
    assert {k: v for k, v in now["cancel_decision"].items() if k != "label"} == {
        k: v for k, v in then["cancel_decision"].items() if k != "label"
    }


@pytest.fixture
def svc(database: Database) -> Iterator[Services]:
    services = _services(database, Clock(NOW))
    seed_people(services)
    yield services
    services.close()


def test_the_head_is_told_on_the_form_to_give_the_reasons(svc: Services) -> None:
    case_id = _case(svc, _pupil(svc))
    version = svc.store.current_version(case_id)
    data = {"days": 2, "start_date": "2026-11-23", "reason": "Fight in the playground."}
    proposal = svc.cases.act(principal(svc, "slt"), case_id, "propose_suspension", version, data)[0].version
    view = {"kind": "exclusion_view", "proposal": proposal, "contribution": "Please try a reduced day first."}
    svc.cases.act(principal(svc, "sw"), case_id, "add_contribution", proposal, view)
    form = {"expected_version": proposal + 1, "proposal": proposal, "decision": "suspend"}
    refused = _client(svc, "head").post(f"/cases/{case_id}/actions/decide_suspension", data=form)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and svc.store.current_version(case_id) == proposal + 1
    assert 'href="#reasons"' in page and 'id="reasons-error"' in page
    decided = _client(svc, "head").post(f"/cases/{case_id}/actions/decide_suspension", data=form | {"reasons": REASONS})
    assert decided.status_code == 302 and svc.store.current_version(case_id) == proposal + 2
