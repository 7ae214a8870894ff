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
from flask.testing import FlaskClient

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.domain.case import SupportCase
from caseflow.domain.errors import GuardFailed, InvalidData
from caseflow.domain.guards import GUARDS
from caseflow.domain.roles import Actor
from tests.conftest import Clock, Database, _services, principal, seed_people
from tests.journey_helpers import IN_NEED, WHEN, WORKFLOW, act, case_at
from tests.test_entries_to_name import a_case_at
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
    act(
        case,
        "decide_suspension",
        "headteacher",
        {"proposal": proposal, "decision": "suspend", "reasons": "As the behaviour policy sets out."},
        CTX,
    )
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


# --- from the third new user's walk -------------------------------------------------------------------------
def _proposed() -> tuple[SupportCase, int]:
    case = case_at("one_plan")
    act(case, "propose_suspension", "slt", {"days": 2, "start_date": "2026-11-23", "reason": "Assault"}, CTX)
    return case, case.version


def test_deciding_without_the_view_says_on_each_field_what_is_still_missing() -> None:
    """The head's override was refused with one long message, the same whatever was already given, on no field."""
    case, proposal = _proposed()
    decide = {"proposal": proposal, "decision": "suspend", "reasons": "As the behaviour policy sets out."}
    with pytest.raises(GuardFailed) as nothing:
        WORKFLOW.decide(case, "decide_suspension", HEAD, decide, CTX, WHEN)
    assert [(u.code, u.field) for u in nothing.value.unmet] == [("social_worker_view", "override_reason")]
    assert "wait for the social worker's view" in nothing.value.unmet[0].message
    given = decide | {"override_reason": "Risk to staff", "notified_social_worker": True}
    with pytest.raises(GuardFailed) as partly:
        WORKFLOW.decide(case, "decide_suspension", HEAD, given, CTX, WHEN)
    assert {u.field for u in partly.value.unmet} == {"notified_virtual_school", "notified_la"}
    assert {u.code for u in partly.value.unmet} == {"social_worker_view"}
    ticked = decide | {"notified_social_worker": True, "notified_virtual_school": True, "notified_la": True}
    with pytest.raises(GuardFailed) as unexplained:
        WORKFLOW.decide(case, "decide_suspension", HEAD, ticked, CTX, WHEN)
    assert [u.field for u in unexplained.value.unmet] == ["override_reason"]
    assert "could not wait" in unexplained.value.unmet[0].message


def test_a_move_without_its_setting_is_told_with_the_missing_date() -> None:
    case = case_at("evaluation")
    act(case, "record_evaluation", "dsl", {"verdict": "effective", "summary": "Better"}, CTX)
    errors = _refused(case, "prepare_transition", {"kind": "school_move"}, Actor("dsl", "dsl"))
    assert set(errors) == {"date", "receiving_setting"}


def test_a_file_not_sent_separately_is_told_with_the_missing_date() -> None:
    case = moving()
    errors = _refused(case, "record_file_transfer", {"receiving_setting": "Riverside Academy"}, Actor("dsl", "dsl"))
    assert "sent_separately" in errors and "sent_on" in errors


def _client(svc: Services, username: str) -> FlaskClient:
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": "correct horse battery"}).status_code == 302
    return client


def test_the_head_decides_with_the_social_workers_view_in_front_of_them(svc: Services) -> None:
    case_id = _case(svc, _pupil(svc))
    version = svc.store.current_version(case_id)
    data = {"days": 2, "start_date": "2026-11-23", "reason": "Fight in the playground."}
    heard = svc.cases.act(principal(svc, "slt"), case_id, "propose_suspension", version, data)[0].version
    view = {"kind": "exclusion_view", "proposal": heard, "contribution": "Mum is in hospital; please try a reduced day."}
    svc.cases.act(principal(svc, "sw"), case_id, "add_contribution", heard, view)
    data = {"days": 1, "start_date": "2026-11-30", "reason": "Threw a chair."}
    unheard = svc.cases.act(principal(svc, "slt"), case_id, "propose_suspension", heard + 1, data)[0].version
    page = _client(svc, "head").get(f"/cases/{case_id}/actions/decide_suspension").get_data(as_text=True)
    given = page[page.index(f'id="awaiting-{heard}"') :]
    assert "Fight in the playground." in given and "Mum is in hospital; please try a reduced day." in given
    waiting = page[page.index(f'id="awaiting-{unheard}"') :]
    assert "Threw a chair." in waiting and "No view has been given on it yet." in waiting


def test_a_value_the_page_cannot_read_is_told_with_what_the_rules_say_of_the_rest(svc: Services) -> None:
    case_id = a_case_at(svc, "evaluation", 91)
    version = svc.store.current_version(case_id)
    svc.cases.act(principal(svc, "dsl"), case_id, "record_evaluation", version, {"verdict": "effective", "summary": "Better"})
    form = {"expected_version": version + 1, "kind": "school_move", "date": "31/02/2027"}
    refused = _client(svc, "dsl").post(f"/cases/{case_id}/actions/prepare_transition", data=form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and svc.store.current_version(case_id) == version + 1
    assert 'id="date-error"' in html and 'id="receiving_setting-error"' in html
    assert "Name the setting the child is moving to." in html
