"""From a new user's walk: a mistyped year (1026 for 2026, or 9999) is refused wherever a date is typed,
not only in a date of birth; a meeting cannot be recorded before it is held; a move to another setting
names it; and such a move's case closes only once the child protection file has been sent (KCSIE)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from caseflow.bootstrap import Services
from caseflow.demo import make_upn, walk
from caseflow.domain.errors import GuardFailed
from tests.conftest import SCHOOL, Clock, Database, _services, principal, seed_people

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # a Friday in the autumn term


@pytest.fixture
def svc(database: Database) -> Iterator[Services]:
    services = _services(database, Clock(NOW))
    seed_people(services)
    yield services
    services.close()


def _pupil(svc: Services, n: int = 61) -> str:
    return svc.pupils.register(
        principal(svc, "dsl"),
        {"upn": make_upn("881", "2001", 2019, n), "given_name": "Eli", "family_name": "Frost",
         "date_of_birth": "2015-06-01", "school_urn": SCHOOL},
    ).id  # fmt: skip


def _walked(svc: Services, step: str) -> str:
    who = {"dsl": principal(svc, "dsl"), "senco": principal(svc, "senco"), "mhl": principal(svc, "mhl")}
    return walk(svc, who, _pupil(svc), step, NOW.date())


def _refused(svc: Services, who: str, case_id: str, action: str, data: dict[str, Any]) -> list[tuple[str, str | None]]:
    before = svc.store.current_version(case_id)
    with pytest.raises(GuardFailed) as refused:
        svc.cases.act(principal(svc, who), case_id, action, before, data)
    assert svc.store.current_version(case_id) == before
    return [(u.code, u.field) for u in refused.value.unmet]


@pytest.mark.parametrize("start", ["1026-12-11", "9999-12-31", "2027-12-01"])
def test_a_suspension_dated_far_from_today_is_refused_on_its_start_date(svc: Services, start: str) -> None:
    case_id = _walked(svc, "one_plan")
    found = _refused(svc, "slt", case_id, "propose_suspension", {"days": 2, "start_date": start, "reason": "x"})
    assert ("date_out_of_range", "start_date") in found


def test_a_review_date_or_a_meeting_with_a_mistyped_year_is_refused(svc: Services) -> None:
    case_id = _walked(svc, "multi_agency_review")
    plan = {"intervention": "Mentoring", "owner": "Mr P", "baseline": "85%", "review_date": "1027-01-20"}
    assert _refused(svc, "senco", case_id, "plan_intervention", plan) == [("date_out_of_range", "review_date")]
    meeting = {"date": "2026-11-23", "attendees": [{"name": "A", "agency": "social_care"}], "aspirations_discussed": True}
    assert ("date_in_future", "date") in _refused(svc, "dsl", case_id, "record_meeting", meeting)


def test_an_incident_or_a_send_status_from_a_mistyped_year_is_refused(svc: Services) -> None:
    pupil_id = _pupil(svc)
    dsl = principal(svc, "dsl")
    incident = {"date": "1026-12-08", "category": "other", "severity": "low", "description": "x"}
    with pytest.raises(GuardFailed) as refused:
        svc.pupils.act(dsl, pupil_id, "record_behaviour_incident", 1, incident)
    assert [(u.code, u.field) for u in refused.value.unmet] == [("date_out_of_range", "date")]
    with pytest.raises(GuardFailed):
        svc.pupils.act(
            dsl, pupil_id, "record_send_status", 1, {"status": "sen_support", "primary_need": "MLD", "since": "1026-09-01"}
        )


def test_a_move_names_its_setting_and_its_case_closes_once_the_file_is_sent(svc: Services) -> None:
    case_id = _walked(svc, "evaluation")
    dsl = principal(svc, "dsl")
    svc.cases.act(
        dsl, case_id, "record_evaluation", svc.store.current_version(case_id), {"verdict": "effective", "summary": "Better"}
    )
    move = {"kind": "school_move", "date": "2026-12-14"}
    assert _refused(svc, "dsl", case_id, "prepare_transition", move) == [("no_receiving_setting", "receiving_setting")]
    svc.cases.act(
        dsl, case_id, "prepare_transition", svc.store.current_version(case_id), move | {"receiving_setting": "Riverside"}
    )
    assert _refused(svc, "dsl", case_id, "close", {"records_transferred": True}) == [("file_not_sent", None)]
    sent = {"receiving_setting": "Riverside", "sent_on": "2026-11-20", "how": "secure_transfer_system", "sent_separately": True}
    svc.cases.act(dsl, case_id, "record_file_transfer", svc.store.current_version(case_id), sent)
    after, _ = svc.cases.act(dsl, case_id, "close", svc.store.current_version(case_id), {"records_transferred": True})
    assert after.state == "closed"


def test_a_step_down_closes_without_a_file_to_send(svc: Services) -> None:
    case_id = _walked(svc, "evaluation")
    dsl = principal(svc, "dsl")
    svc.cases.act(
        dsl, case_id, "record_evaluation", svc.store.current_version(case_id), {"verdict": "effective", "summary": "Better"}
    )
    svc.cases.act(
        dsl, case_id, "prepare_transition", svc.store.current_version(case_id), {"kind": "step_down", "date": "2026-12-14"}
    )
    after, _ = svc.cases.act(dsl, case_id, "close", svc.store.current_version(case_id), {"records_transferred": True})
    assert after.state == "closed"
