"""From the second new user's walk: cancelling a suspension took three submits (the date and reason, then the
days served over the days decided, then the days served left empty), and a social worker's view naming a
proposal already decided was refused with no field marked. The rules about a decision's proposal, its date and
its days served now name the field they are about, and a rule whose fields are all good is judged at once,
beside the problems of the form's other values."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pytest

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.domain.case import SupportCase
from caseflow.domain.errors import GuardFailed, InvalidData
from caseflow.domain.guards import GUARDS
from caseflow.domain.roles import Actor
from tests.conftest import Clock, Database, _services, seed_people
from tests.journey_helpers import IN_NEED, WHEN, WORKFLOW, act, case_at
from tests.test_exclusion_safeguards import NOW, _case, _decide, _pupil
from tests.test_file_transfer import CTX as FILE_CTX
from tests.test_file_transfer import SENT, moving

TODAY = date(2026, 11, 20)  # a Friday
CTX = replace(IN_NEED, today=TODAY)
HEAD = Actor("head", "headteacher")


def _suspended(days: float = 3, start: str = "2026-11-16") -> tuple[SupportCase, int]:
    """A case whose suspension of ``days`` from ``start`` the head decided, and that proposal's version."""
    case = case_at("one_plan")
    act(case, "propose_suspension", "slt", {"days": days, "start_date": start, "reason": "Assault"}, CTX)
    proposal = case.version
    view = {"kind": "exclusion_view", "contribution": "Known to us", "proposal": proposal}
    act(case, "add_contribution", "social_worker", view, CTX, user="sw")
    act(case, "decide_suspension", "headteacher", {"proposal": proposal, "decision": "suspend"}, CTX)
    return case, proposal


def _refused(case: SupportCase, action: str, data: dict[str, object], actor: Actor = HEAD) -> dict[str, list[str]]:
    version = case.version
    with pytest.raises(InvalidData) as refused:
        WORKFLOW.decide(case, action, actor, data, CTX, WHEN)
    assert case.version == version
    return refused.value.errors


def test_days_served_over_the_days_decided_come_with_the_missing_date_and_reason() -> None:
    case, proposal = _suspended(days=3)
    errors = _refused(case, "cancel_decision", {"proposal": proposal, "days_served": 5})
    assert set(errors) == {"cancelled_on", "reason", "days_served"}
    assert errors["days_served"] == ["The suspension was of 3 days: no more can have been served."]


def test_days_served_left_empty_are_asked_for_with_the_missing_date() -> None:
    case, proposal = _suspended()
    errors = _refused(case, "cancel_decision", {"proposal": proposal, "reason": "Reintegration agreed"})
    assert set(errors) == {"cancelled_on", "days_served"}
    assert "Say how many school days" in errors["days_served"][0]


def test_a_rule_that_reads_a_wrong_value_still_waits() -> None:
    case, proposal = _suspended(start="2026-11-23")
    errors = _refused(case, "cancel_decision", {"proposal": proposal, "days_served": 2, "cancelled_on": "20/11/2026"})
    assert "not_begun" not in str(errors) and "no days had been served" not in str(errors), "judged on a wrong date"
    assert set(errors) == {"cancelled_on", "reason"}


def test_every_rule_of_a_cancellation_names_its_field() -> None:
    case, proposal = _suspended(days=3)
    for data, field in [
        ({"proposal": proposal + 1, "cancelled_on": "2026-11-20", "days_served": 0, "reason": "x"}, "proposal"),
        ({"proposal": proposal, "cancelled_on": "2026-11-20", "days_served": 1.3, "reason": "x"}, "days_served"),
        ({"proposal": proposal, "cancelled_on": "2026-11-20", "reason": "x"}, "days_served"),
        ({"proposal": proposal, "cancelled_on": "2026-11-01", "days_served": 0, "reason": "x"}, "cancelled_on"),
    ]:
        with pytest.raises(GuardFailed) as refused:
            WORKFLOW.decide(case, "cancel_decision", HEAD, data, CTX, WHEN)
        assert [u.field for u in refused.value.unmet] == [field], data
    act(
        case,
        "cancel_decision",
        "headteacher",
        {"proposal": proposal, "cancelled_on": "2026-11-20", "days_served": 0, "reason": "x"},
        CTX,
    )
    with pytest.raises(GuardFailed) as again:
        WORKFLOW.decide(
            case,
            "cancel_decision",
            HEAD,
            {"proposal": proposal, "cancelled_on": "2026-11-20", "days_served": 0, "reason": "x"},
            CTX,
            WHEN,
        )
    assert [u.field for u in again.value.unmet] == ["proposal"]


def test_a_social_workers_view_on_a_decided_proposal_is_refused_on_the_proposal_with_the_empty_view() -> None:
    case, proposal = _suspended()
    sw = Actor("sw", "social_worker")
    errors = _refused(case, "add_contribution", {"kind": "exclusion_view", "proposal": proposal}, sw)
    assert set(errors) == {"contribution", "proposal"}
    assert "still awaiting a decision" in errors["proposal"][0]


def test_a_decision_on_a_proposal_not_pending_is_refused_on_the_proposal_with_the_missing_choice() -> None:
    case, proposal = _suspended()
    errors = _refused(case, "decide_suspension", {"proposal": proposal})
    assert set(errors) == {"decision", "proposal"}
    assert "still awaiting a decision" in errors["proposal"][0]


def test_a_receipt_naming_no_sending_is_refused_on_its_field_with_the_missing_name() -> None:
    case = moving()
    sent = act(case, "record_file_transfer", "dsl", SENT, FILE_CTX).version
    version = case.version
    with pytest.raises(InvalidData) as refused:
        WORKFLOW.decide(
            case, "record_file_receipt", Actor("dsl", "dsl"), {"transfer": sent - 1, "received_on": "2026-11-20"}, FILE_CTX, WHEN
        )
    assert set(refused.value.errors) == {"transfer", "confirmed_by"} and case.version == version
    assert refused.value.errors["transfer"] == ["Choose a sending of the file for this move."]


def test_every_rule_that_is_judged_early_says_which_fields_it_reads() -> None:
    """A rule judged beside wrong values must name what it reads, or it could judge a value it never saw."""
    for rule in GUARDS.values():
        if rule.fields is not None:
            assert rule.needs_input and rule.fields, rule.code


@pytest.fixture
def svc(database: Database) -> Iterator[Services]:
    services = _services(database, Clock(NOW))
    seed_people(services)
    yield services
    services.close()


def test_the_cancel_form_shows_every_problem_on_its_field_in_one_submit(svc: Services) -> None:
    case_id = _case(svc, _pupil(svc))
    proposal = _decide(svc, case_id, 3, start="2026-11-16")
    before = svc.store.current_version(case_id)
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": "head", "password": "correct horse battery"}).status_code == 302
    page = client.post(
        f"/cases/{case_id}/actions/cancel_decision",
        data={"expected_version": before, "proposal": str(proposal), "days_served": "5"},
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    for field in ("cancelled_on", "reason", "days_served"):
        assert f'href="#{field}' in html and f'id="{field}-error"' in html, field
    assert "no more can have been served" in html
    assert svc.store.current_version(case_id) == before
