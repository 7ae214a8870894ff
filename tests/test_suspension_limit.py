"""The 45-day limit counts every suspension decided for the pupil this school year, on any of their cases."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection

from caseflow.bootstrap import Services
from caseflow.demo import make_upn, walk
from caseflow.domain.errors import GuardFailed
from tests.conftest import SCHOOL, Clock, Database, _services, principal, seed_people
from tests.journey_helpers import services_today

#: when the suspensions here (the first from 20 November 2026) were proposed and decided, recorded on the clock's day:
#: a suspension cannot start before it is proposed and decided (support_journey@10)
PROPOSED_AT = datetime(2026, 11, 19, 12, 0, tzinfo=UTC)


@pytest.fixture
def services(database: Database) -> Iterator[Services]:
    """Services on each backend, as conftest's, with the clock at ``PROPOSED_AT``: a start is bounded around
    today (no more than a year back), so on the real clock these fixed days went stale."""
    svc = _services(database, Clock(PROPOSED_AT))
    seed_people(svc)
    yield svc
    svc.close()


def test_days_decided_on_another_case_count_towards_the_limit(services: Services) -> None:
    dsl, slt, head = (principal(services, name) for name in ("dsl", "slt", "head"))
    pupil = services.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 8), "given_name": "Sam", "family_name": "Two",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    today = services_today(services)
    who = {"dsl": dsl, "senco": principal(services, "senco")}
    first, second = (walk(services, who, pupil.id, "one_plan", today) for _ in range(2))

    def suspend(case_id: str, days: float, start: str) -> None:
        version = services.store.current_version(case_id)
        proposed, _ = services.cases.act(
            slt, case_id, "propose_suspension", version, {"days": days, "start_date": start, "reason": "Disruption."}, PROPOSED_AT
        )
        services.cases.act(
            head,
            case_id,
            "decide_suspension",
            proposed.version,
            {"proposal": proposed.version, "decision": "suspend", "reasons": "As the behaviour policy sets out."},
            PROPOSED_AT,
        )

    suspend(first, 40, "2026-11-20")
    with pytest.raises(GuardFailed) as refused:
        suspend(second, 6, "2027-02-01")  # after the first's 40 days, in the same school year
    assert "suspension_limit" in {unmet.code for unmet in refused.value.unmet}
    suspend(second, 5, "2027-02-01")  # exactly 45 in the school year


def test_two_decisions_at_once_on_two_cases_cannot_pass_the_limit_between_them(services: Services) -> None:
    """Each decision's guard reads the other case's days before either commits. The limit is checked
    again inside each append's transaction, with the pupil held, so one of the two is refused."""
    dsl, slt, head = (principal(services, name) for name in ("dsl", "slt", "head"))
    pupil = services.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 9), "given_name": "Sam", "family_name": "Race",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    today = services_today(services)
    who = {"dsl": dsl, "senco": principal(services, "senco")}
    cases = [walk(services, who, pupil.id, "one_plan", today) for _ in range(2)]
    proposals = []
    for case_id, days, start in zip(cases, (40, 6), ("2026-11-20", "2027-02-01"), strict=True):  # days apart
        version = services.store.current_version(case_id)
        proposed, _ = services.cases.act(
            slt, case_id, "propose_suspension", version, {"days": days, "start_date": start, "reason": "Disruption."}, PROPOSED_AT
        )
        proposals.append(proposed.version)
    inside, release = threading.Event(), threading.Event()

    def hold_first_open(conn: Connection, written: object) -> None:  # the first decision stops before its COMMIT
        if not inside.is_set():
            inside.set()
            release.wait(timeout=10)

    services.store.projectors.append(hold_first_open)  # the last projector: its events written, not committed
    outcomes: dict[str, str] = {}

    def decide(case_id: str, proposal: int) -> None:
        try:
            services.cases.act(
                head,
                case_id,
                "decide_suspension",
                proposal,
                {"proposal": proposal, "decision": "suspend", "reasons": "As the behaviour policy sets out."},
                PROPOSED_AT,
            )
            outcomes[case_id] = "decided"
        except GuardFailed as refused:
            outcomes[case_id] = ",".join(unmet.code for unmet in refused.unmet)

    first = threading.Thread(target=decide, args=(cases[0], proposals[0]))
    first.start()
    assert inside.wait(timeout=10)
    second = threading.Thread(target=decide, args=(cases[1], proposals[1]))
    second.start()
    second.join(timeout=0.5)  # its guard has passed (the first is not committed); now it waits for the first
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    services.store.projectors.remove(hold_first_open)
    assert sorted(outcomes.values()) == ["decided", "suspension_limit"], outcomes
    assert sum(s.days for s in services.reads.other_suspensions(pupil.id).values()) <= 45
