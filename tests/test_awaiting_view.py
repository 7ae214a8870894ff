"""A social worker's case list names the proposals still waiting for their view. It reads them from
the report facts, not by replaying each case, and must agree with what a replay of the case says."""

from __future__ import annotations

from typing import Any

from caseflow.bootstrap import Services
from caseflow.demo import make_upn, walk
from caseflow.domain.roles import Role
from caseflow.services.streams import load_case
from tests.conftest import SCHOOL, principal

NOTIFIED = {"notified_social_worker": True, "notified_virtual_school": True, "notified_la": True}


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
    today = services.cases.clock().date()
    who = {"dsl": dsl, "senco": principal(services, "senco"), "sw": sw}
    heard, overridden, elsewhere = (walk(services, who, pupil.id, "one_plan", today) for _ in range(3))

    def propose(case_id: str, kind: str, data: dict[str, Any]) -> int:
        version = services.store.current_version(case_id)
        data = {"start_date": "2026-11-20", "reason": "x", **data}
        return services.cases.act(slt, case_id, f"propose_{kind}", version, data)[0].version

    suspension = propose(heard, "suspension", {"days": 2})
    exclusion = propose(overridden, "exclusion", {})
    propose(elsewhere, "suspension", {"days": 1})
    mine = [heard, overridden]
    listed = services.reads.proposals_awaiting_social_worker(mine)
    assert sorted((p["case_id"], p["id"], p["kind"]) for p in listed) == _pending_by_replay(services, mine)
    assert {(p["kind"], p.get("days"), p["start_date"]) for p in listed} == {
        ("suspension", 2, "2026-11-20"), ("exclusion", None, "2026-11-20")
    }  # fmt: skip

    services.cases.act(sw, heard, "add_contribution", suspension,
                       {"kind": "exclusion_view", "contribution": "Please wait", "proposal": suspension})  # fmt: skip
    assert _listed(services, mine) == [(overridden, exclusion, "exclusion")] == _pending_by_replay(services, mine)

    decision = {"proposal": exclusion, "decision": "exclude", "override_reason": "Immediate risk", **NOTIFIED}
    services.cases.act(head, overridden, "decide_exclusion", exclusion, decision)
    assert _listed(services, mine) == [] == _pending_by_replay(services, mine)
    assert _listed(services, []) == []
