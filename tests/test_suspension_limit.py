"""The 45-day limit counts every suspension decided for the pupil this school year, on any of their cases."""

from __future__ import annotations

import pytest

from caseflow.bootstrap import Services
from caseflow.demo import make_upn, walk
from caseflow.domain.errors import GuardFailed
from tests.conftest import SCHOOL, principal


def test_days_decided_on_another_case_count_towards_the_limit(services: Services) -> None:
    dsl, slt, head = (principal(services, name) for name in ("dsl", "slt", "head"))
    pupil = services.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 8), "given_name": "Sam", "family_name": "Two",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    today = services.cases.clock().date()
    who = {"dsl": dsl, "senco": principal(services, "senco")}
    first, second = (walk(services, who, pupil.id, "one_plan", today) for _ in range(2))

    def suspend(case_id: str, days: float) -> None:
        version = services.store.current_version(case_id)
        proposed, _ = services.cases.act(
            slt, case_id, "propose_suspension", version, {"days": days, "start_date": "2026-11-20", "reason": "Disruption."}
        )
        services.cases.act(
            head, case_id, "decide_suspension", proposed.version, {"proposal": proposed.version, "decision": "suspend"}
        )

    suspend(first, 40)
    with pytest.raises(GuardFailed) as refused:
        suspend(second, 6)
    assert "suspension_limit" in {unmet.code for unmet in refused.value.unmet}
    suspend(second, 5)  # exactly 45 in the school year
