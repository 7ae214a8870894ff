"""From a second new user's walk: recording an outcome asked for "Intervention" as a bare number, with no list
and no hint, and a new DSL was stuck. A field that names an earlier entry of the case offers the entries it may
name, as people know them: the interventions still running, the proposals still pending or already decided."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn, walk
from caseflow.domain.events import long_date, long_time
from tests.conftest import SCHOOL, principal
from tests.journey_helpers import services_today, weekday_to_come

PASSWORD = "correct horse battery"


def client_for(svc: Services, username: str) -> FlaskClient:
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def a_case_at(svc: Services, step: str, serial: int) -> str:
    dsl = principal(svc, "dsl")
    pupil = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, serial), "given_name": "Rae", "family_name": "Choose",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    who = {"dsl": dsl, "senco": principal(svc, "senco"), "mhl": principal(svc, "mhl")}
    return walk(svc, who, pupil.id, step, services_today(svc))


def options_of(page: str, field: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select[^>]*name="{field}".*?</select>', page, re.S)
    assert select, f"{field} is a list to choose from"
    return re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', select.group(0))


def test_an_outcome_names_a_running_intervention_from_a_list(sqlite_services: Services) -> None:
    svc = sqlite_services
    case_id = a_case_at(svc, "intervention", 94)
    case = svc.cases.view(principal(svc, "dsl"), case_id).case
    running = next(i for i in case.interventions() if i["status"] == "active")
    client = client_for(svc, "dsl")
    page = client.get(f"/cases/{case_id}/actions/record_outcome").get_data(as_text=True)
    offered = options_of(page, "intervention")
    assert offered[0] == ("", "Choose…")
    assert offered[1] == (
        str(running["id"]),
        f"{running['intervention']} (owner {running['owner']}; review {long_date(running['review_date'])})",
    )
    version = svc.store.current_version(case_id)
    form = {"expected_version": version, "intervention": str(running["id"]), "measure": "Attends 96%", "status": "continuing"}
    assert client.post(f"/cases/{case_id}/actions/record_outcome", data=form).status_code == 302
    assert svc.store.load(case_id)[-1].data["intervention"] == running["id"]


def test_a_decision_names_a_pending_proposal_described(sqlite_services: Services) -> None:
    svc = sqlite_services
    case_id = a_case_at(svc, "one_plan", 95)
    version = svc.store.current_version(case_id)
    start = weekday_to_come(6)  # no earlier than it is proposed, on the services' real clock
    data = {"days": 2, "start_date": start.isoformat(), "reason": "Fight."}
    proposal = svc.cases.act(principal(svc, "slt"), case_id, "propose_suspension", version, data)[0].version
    page = client_for(svc, "head").get(f"/cases/{case_id}/actions/decide_suspension").get_data(as_text=True)
    proposed = long_time(svc.store.load(case_id)[proposal - 1].occurred_at)  # when, not the version staff never see
    assert (str(proposal), f"Suspension of 2 days from {long_date(start)} (proposed {proposed})") in options_of(page, "proposal")
    notice = client_for(svc, "head").get(f"/cases/{case_id}/actions/record_decision_notice").get_data(as_text=True)
    assert options_of(notice, "proposal") == [("", "Choose…")], "nothing decided yet: nothing to record a notice of"
    linked = client_for(svc, "head").get(f"/cases/{case_id}/actions/decide_suspension?proposal={proposal}")
    assert re.search(rf'<option selected value="{proposal}"|<option value="{proposal}" selected', linked.get_data(as_text=True))


def test_a_number_not_offered_is_still_judged_by_the_rules(sqlite_services: Services) -> None:
    svc = sqlite_services
    case_id = a_case_at(svc, "intervention", 96)
    version = svc.store.current_version(case_id)
    form = {"expected_version": version, "intervention": "1", "measure": "x", "status": "continuing"}
    refused = client_for(svc, "dsl").post(f"/cases/{case_id}/actions/record_outcome", data=form)
    assert refused.status_code == 422 and svc.store.current_version(case_id) == version
    html = refused.get_data(as_text=True)
    assert "Name an intervention planned on this case." in html and "Not a valid choice" not in html


def test_a_receipt_names_a_sending_still_awaiting_confirmation_from_a_list(sqlite_services: Services) -> None:
    svc = sqlite_services
    case_id = a_case_at(svc, "evaluation", 97)
    today = services_today(svc)
    dsl = principal(svc, "dsl")

    def do(action: str, data: dict[str, object]) -> int:
        return svc.cases.act(dsl, case_id, action, svc.store.current_version(case_id), data)[0].version

    do("record_evaluation", {"verdict": "effective", "summary": "Better"})
    do("prepare_transition", {"kind": "school_move", "date": today.isoformat(), "receiving_setting": "Riverside Academy"})
    sending = {"receiving_setting": "Riverside Academy", "sent_on": today.isoformat(), "how": "secure_transfer_system"}
    sent = do("record_file_transfer", sending | {"sent_separately": True})
    client = client_for(svc, "dsl")
    page = client.get(f"/cases/{case_id}/actions/record_file_receipt").get_data(as_text=True)
    assert options_of(page, "transfer") == [("", "Choose…"), (str(sent), f"Sent to Riverside Academy on {long_date(today)}")]
    do("record_file_receipt", {"transfer": sent, "received_on": today.isoformat(), "confirmed_by": "J Bell"})
    page = client.get(f"/cases/{case_id}/actions/record_file_receipt").get_data(as_text=True)
    assert options_of(page, "transfer") == [("", "Choose…")], "a confirmed sending is not offered again"


def test_a_field_chosen_from_a_list_is_labelled_as_people_know_it() -> None:
    """From the third new user's walk: 'The sending (version)', hinted 'The link beside the sending … fills
    this in', read like notes for a developer once the field became a list (support_journey@7)."""
    from workflows import CURRENT, REGISTRY

    for action in REGISTRY[CURRENT]["actions"]:
        for name, spec in action["fields"].items():
            if spec["type"] == "ref":
                assert "version" not in spec["label"] + spec.get("help", ""), (action["name"], name)
                assert "fills this in" not in spec.get("help", ""), (action["name"], name)
