"""A social worker's case list names the proposals still waiting for their view. It reads them from
the report facts, not by replaying each case, and must agree with what a replay of the case says."""

from __future__ import annotations

from typing import Any

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn, walk
from caseflow.domain.roles import Role
from caseflow.services.streams import load_case
from tests.conftest import SCHOOL, principal
from tests.journey_helpers import services_today, weekday_to_come

NOTIFIED = {"notified_social_worker": True, "notified_virtual_school": True, "notified_la": True}
#: the suspensions' and exclusions' start, still to come by the real clock the services keep: one is proposed and
#: decided no later than its start (support_journey@10) and no more than a year before it
START = weekday_to_come(14).isoformat()


def _pending_by_replay(services: Services, case_ids: list[str]) -> list[tuple[str, int, str]]:
    return [
        (case_id, p["id"], p["kind"])
        for case_id in sorted(case_ids)
        for p in load_case(services.store, case_id).proposals()
        if p["decision"] is None and not any(v["role"] == Role.SOCIAL_WORKER for v in p["views"])
    ]


def _listed(services: Services, case_ids: list[str]) -> list[tuple[str, int, str]]:
    return [(p["case_id"], p["id"], p["kind"]) for p in services.reads.proposals_awaiting_social_worker(case_ids)]


def test_proposals_wait_until_a_social_worker_gives_a_view_or_the_head_decides(services: Services) -> None:
    dsl, slt, head, sw = (principal(services, name) for name in ("dsl", "slt", "head", "sw"))
    pupil = services.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 21), "given_name": "Ada", "family_name": "Waits",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    services.pupils.record_episode(dsl, pupil.id, {"plan": "cin", "start_date": "2025-01-01", "social_worker": "sw"})
    today = services_today(services)
    who = {"dsl": dsl, "senco": principal(services, "senco"), "sw": sw}
    heard, overridden, elsewhere = (walk(services, who, pupil.id, "one_plan", today) for _ in range(3))

    def propose(case_id: str, kind: str, data: dict[str, Any]) -> int:
        version = services.store.current_version(case_id)
        data = {"start_date": START, "reason": "x", **data}
        return services.cases.act(slt, case_id, f"propose_{kind}", version, data)[0].version

    suspension = propose(heard, "suspension", {"days": 2})
    exclusion = propose(overridden, "exclusion", {})
    propose(elsewhere, "suspension", {"days": 1})
    mine = [heard, overridden]
    listed = services.reads.proposals_awaiting_social_worker(mine)
    assert sorted((p["case_id"], p["id"], p["kind"]) for p in listed) == _pending_by_replay(services, mine)
    assert {(p["kind"], p.get("days"), p["start_date"]) for p in listed} == {
        ("suspension", 2, START), ("exclusion", None, START)
    }  # fmt: skip

    services.cases.act(sw, heard, "add_contribution", suspension,
                       {"kind": "exclusion_view", "contribution": "Please wait", "proposal": suspension})  # fmt: skip
    assert _listed(services, mine) == [(overridden, exclusion, "exclusion")] == _pending_by_replay(services, mine)

    decision = {
        "proposal": exclusion,
        "decision": "exclude",
        "reasons": "As the behaviour policy sets out.",
        "override_reason": "Immediate risk",
        **NOTIFIED,
    }
    services.cases.act(head, overridden, "decide_exclusion", exclusion, decision)
    assert _listed(services, mine) == [] == _pending_by_replay(services, mine)
    assert _listed(services, []) == []


def test_the_head_sees_the_proposals_waiting_for_a_decision_with_whether_the_social_worker_has_spoken(
    services: Services,
) -> None:
    """From the third new user's walk: the head had no list of proposals waiting for a decision; each case
    had to be opened to find one."""
    dsl, slt, sw = (principal(services, name) for name in ("dsl", "slt", "sw"))
    pupil = services.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 22), "given_name": "Bo", "family_name": "Decides",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    services.pupils.record_episode(dsl, pupil.id, {"plan": "cin", "start_date": "2025-01-01", "social_worker": "sw"})
    today = services_today(services)
    case_id = walk(services, {"dsl": dsl, "senco": principal(services, "senco"), "sw": sw}, pupil.id, "one_plan", today)
    data = {"days": 2, "start_date": START, "reason": "x"}
    version = services.store.current_version(case_id)
    heard = services.cases.act(slt, case_id, "propose_suspension", version, data)[0].version
    view = {"kind": "exclusion_view", "contribution": "Please wait", "proposal": heard}
    services.cases.act(sw, case_id, "add_contribution", heard, view)
    data = {"start_date": START, "reason": "y"}
    unheard = services.cases.act(slt, case_id, "propose_exclusion", heard + 1, data)[0].version
    listed = services.reads.proposals_awaiting_decision([case_id])
    assert [(p["id"], p["kind"], p["heard"]) for p in listed] == [(heard, "suspension", True), (unheard, "exclusion", False)]
    app = create_app({"TESTING": True, "SERVICES": services, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    for who, shown in [("head", True), ("dsl", False), ("slt", False)]:
        client = app.test_client()
        assert client.post("/login", data={"username": who, "password": "correct horse battery"}).status_code == 302
        page = client.get("/").get_data(as_text=True)
        assert ("Waiting for your decision" in page) is shown, who
        if shown:
            banner = page[page.index('id="awaiting-decision"') :]
            assert f"/cases/{case_id}/actions/decide_suspension?proposal={heard}" in banner
            assert f"/cases/{case_id}/actions/decide_exclusion?proposal={unheard}" in banner
            assert "the social worker has given a view" in banner and "no view from the social worker yet" in banner
    services.cases.act(
        principal(services, "head"),
        case_id,
        "decide_suspension",
        unheard,
        {"proposal": heard, "decision": "suspend", "reasons": "As the behaviour policy sets out."},
    )
    assert [p["id"] for p in services.reads.proposals_awaiting_decision([case_id])] == [unheard]
