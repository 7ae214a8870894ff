"""From a new user's walk: a requirement about the case, not about a field, links to the form that meets it,
on the case page and in the error summary of a refused action; a requirement about the form's own fields
links to the field, as the GOV.UK error summary pattern has it."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn, walk
from caseflow.domain.guards import GUARDS, REMEDIES
from caseflow.web.cases import remedy_links
from tests.conftest import SCHOOL, principal
from tests.journey_helpers import services_today
from workflows import CURRENT, REGISTRY

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
        {"upn": make_upn("881", "2001", 2019, serial), "given_name": "Lee", "family_name": "Link",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    who = {"dsl": dsl, "senco": principal(svc, "senco"), "mhl": principal(svc, "mhl")}
    return walk(svc, who, pupil.id, step, services_today(svc))


def test_every_remedy_is_an_action_of_the_journey() -> None:
    actions = {a["name"] for a in REGISTRY[CURRENT]["actions"]}
    assert set(REMEDIES.values()) <= actions
    assert all(code and code.islower() for code in REMEDIES), "codes as the guards write them"
    assert GUARDS  # the registry the codes come from is loaded


def test_agreeing_interventions_links_each_requirement_to_the_form_that_meets_it(sqlite_services: Services) -> None:
    svc = sqlite_services
    case_id = a_case_at(svc, "multi_agency_review", 61)
    client = client_for(svc, "dsl")
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    still = re.search(r"<li data-code=\"intervention\">(.*?)</li>", page)
    assert still and f'href="/cases/{case_id}/actions/plan_intervention"' in still.group(1)
    version = svc.store.current_version(case_id)
    refused = client.post(f"/cases/{case_id}/actions/agree_interventions", data={"expected_version": version})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    summary = html[html.index("govuk-error-summary__list") : html.index("</ul>", html.index("govuk-error-summary__list"))]
    intervention = "Plan at least one intervention with an owner, a baseline and a review date."
    assert f'<a href="/cases/{case_id}/actions/plan_intervention">{intervention}</a>' in summary
    assert svc.store.current_version(case_id) == version


def test_no_link_to_a_form_the_user_may_not_fill_in(sqlite_services: Services) -> None:
    svc = sqlite_services
    case_id = a_case_at(svc, "multi_agency_review", 62)
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret"})
    view = svc.cases.view(principal(svc, "dsl"), case_id)
    with app.test_request_context():
        assert remedy_links(view)("intervention") == (f"/cases/{case_id}/actions/plan_intervention", "Plan an intervention")
        assert remedy_links(view)("file_not_sent") is None, "not an action at this step"
        assert remedy_links(view)("empty") is None, "a requirement about the form itself"
        head = svc.cases.view(principal(svc, "head"), case_id)
        assert remedy_links(head)("intervention") is None, "the head does not plan interventions"


@pytest.mark.parametrize("username", ["dsl", "head"])
def test_closing_with_nothing_ticked_links_to_the_first_checkbox(sqlite_services: Services, username: str) -> None:
    svc = sqlite_services
    case_id = a_case_at(svc, "transition", 63 if username == "dsl" else 64)
    version = svc.store.current_version(case_id)
    html = (
        client_for(svc, username)
        .post(f"/cases/{case_id}/actions/close", data={"expected_version": version})
        .get_data(as_text=True)
    )
    assert 'href="#receiving_setting_informed"' in html
    assert 'id="receiving_setting_informed-error"' in html, "the message is on the field"
    assert svc.store.current_version(case_id) == version
