"""From a new user's walk: a DSL opened a second case for a pupil who already had one, with no question
asked, and the case list then showed two rows for the child that could not be told apart. The form now
names the open case and asks for a confirmation before it opens another; the API asks when a client
says it wants to be asked (its contract promised a case for every valid request); the list shows when
each case was opened."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask.testing import FlaskClient

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn, walk
from caseflow.web.openapi import openapi_document
from tests.conftest import OTHER_SCHOOL, SCHOOL, principal
from tests.journey_helpers import services_today

PASSWORD = "correct horse battery"
CONFIRM = "Open a second case for this pupil anyway"


def client_for(svc: Services, username: str) -> FlaskClient:
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def a_pupil(svc: Services, serial: int, given: str) -> str:
    pupil = svc.pupils.register(
        principal(svc, "dsl"),
        {"upn": make_upn("881", "2001", 2019, serial), "given_name": given, "family_name": "Twice",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    return pupil.id


def open_case(svc: Services, pupil_id: str, occurred_at: datetime | None = None) -> str:
    data = {"pupil_id": pupil_id, "need_areas": ["attendance"], "description": "Missing Mondays."}
    return svc.cases.open_case(principal(svc, "dsl"), data, occurred_at).id


def form(pupil_id: str, **extra: str) -> dict[str, Any]:
    return {"pupil_id": pupil_id, "need_areas": ["semh"], "description": "Withdrawn in class.", **extra}


def pupil_error(page: str) -> str:
    found = re.search(r'<p class="govuk-error-message" id="pupil_id-error">(.*?)</p>', page, re.S)
    assert found, "no message on the pupil field"
    return found.group(1)


def test_a_second_case_waits_for_a_confirmation_naming_the_open_one(services: Services) -> None:
    svc = services
    pupil_id = a_pupil(svc, 91, "Ria")
    first = open_case(svc, pupil_id, datetime(2026, 10, 5, 10, 0, tzinfo=UTC))
    client = client_for(svc, "dsl")
    events = svc.store.count()
    asked = client.post("/cases/new", data=form(pupil_id))
    assert asked.status_code == 409
    assert svc.store.count() == events, "nothing is opened before the DSL confirms"
    assert svc.reads.cases_of_pupil(pupil_id) == [first]
    page = asked.get_data(as_text=True)
    message = pupil_error(page)
    assert "Ria already has an open case" in message
    assert "at the step &ldquo;Need identified&rdquo;, opened on 5 October 2026" in message
    assert f'href="/cases/{first}"' in message
    assert re.search(r'<a href="#pupil_id">Ria already has an open case: at the step', page), "the summary links to it"
    assert CONFIRM in page and 'name="confirm_second_case"' in page
    assert "Withdrawn in class." in page, "what the DSL wrote is kept"

    confirmed = client.post("/cases/new", data=form(pupil_id, confirm_second_case="y", second_case_of=pupil_id))
    assert confirmed.status_code == 302
    [second] = [c for c in svc.reads.cases_of_pupil(pupil_id) if c != first]
    assert confirmed.headers["Location"].endswith(f"/cases/{second}")


def test_a_pupil_without_an_open_case_is_opened_at_once(services: Services) -> None:
    svc = services
    pupil_id = a_pupil(svc, 92, "Sol")
    client = client_for(svc, "dsl")
    assert CONFIRM not in client.get("/cases/new").get_data(as_text=True)
    opened = client.post("/cases/new", data=form(pupil_id))
    assert opened.status_code == 302
    assert len(svc.reads.cases_of_pupil(pupil_id)) == 1


def test_a_closed_case_needs_no_confirmation(sqlite_services: Services) -> None:
    svc = sqlite_services
    pupil_id = a_pupil(svc, 93, "Tam")
    who = {"dsl": principal(svc, "dsl"), "senco": principal(svc, "senco"), "mhl": principal(svc, "mhl")}
    walk(svc, who, pupil_id, "closed", services_today(svc))
    assert client_for(svc, "dsl").post("/cases/new", data=form(pupil_id)).status_code == 302
    assert len(svc.reads.cases_of_pupil(pupil_id)) == 2


def test_a_confirmation_counts_only_for_the_pupil_it_was_asked_about(sqlite_services: Services) -> None:
    """The DSL was asked about one child, ticked the box, then chose another child who also has a case."""
    svc = sqlite_services
    asked_about, chosen = a_pupil(svc, 94, "Uma"), a_pupil(svc, 95, "Vic")
    open_case(svc, asked_about)
    open_case(svc, chosen)
    refused = client_for(svc, "dsl").post("/cases/new", data=form(chosen, confirm_second_case="y", second_case_of=asked_about))
    assert refused.status_code == 409
    assert "Vic already has an open case" in pupil_error(refused.get_data(as_text=True))
    assert len(svc.reads.cases_of_pupil(chosen)) == 1


def test_every_problem_of_the_form_at_once_with_the_open_case(sqlite_services: Services) -> None:
    svc = sqlite_services
    pupil_id = a_pupil(svc, 96, "Wyn")
    open_case(svc, pupil_id)
    response = client_for(svc, "dsl").post("/cases/new", data={"pupil_id": pupil_id, "need_areas": ["semh"]})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="description-error"' in page
    assert "Wyn already has an open case" in pupil_error(page)
    assert CONFIRM in page


def test_a_teacher_raising_a_need_is_not_told_of_a_case_she_may_not_read(sqlite_services: Services) -> None:
    """The form does not mark the pupils with a case to a teacher, so it does not ask her either."""
    svc = sqlite_services
    pupil_id = a_pupil(svc, 97, "Xan")
    open_case(svc, pupil_id)
    raised = client_for(svc, "teacher").post("/cases/new", data=form(pupil_id))
    assert raised.status_code == 302
    assert len(svc.reads.cases_of_pupil(pupil_id)) == 2


def test_a_teacher_here_who_is_a_dsl_elsewhere_is_not_asked_either(sqlite_services: Services) -> None:
    svc = sqlite_services
    svc.accounts.add_user("teachdsl", ["teacher"], [SCHOOL], password=PASSWORD)
    svc.accounts.grant("teachdsl", "dsl", [OTHER_SCHOOL])
    pupil_id = a_pupil(svc, 104, "Eve")
    open_case(svc, pupil_id)
    assert svc.cases.open_cases_to_confirm(principal(svc, "teachdsl"), pupil_id) == []
    assert client_for(svc, "teachdsl").post("/cases/new", data=form(pupil_id)).status_code == 302
    assert len(svc.reads.cases_of_pupil(pupil_id)) == 2


def test_a_tampered_confirmation_is_a_form_error_not_a_500(sqlite_services: Services) -> None:
    svc = sqlite_services
    pupil_id = a_pupil(svc, 98, "Yul")
    open_case(svc, pupil_id)
    sent = form(pupil_id, confirm_second_case="\x00" * 300, second_case_of="x" * 5000)
    response = client_for(svc, "dsl").post("/cases/new", data=sent)
    assert response.status_code in {409, 422}
    assert len(svc.reads.cases_of_pupil(pupil_id)) == 1


# --- the API --------------------------------------------------------------------------------------


def api(svc: Services) -> tuple[FlaskClient, dict[str, str]]:
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test"})
    return app.test_client(), {"Authorization": f"Bearer {svc.accounts.issue_token('dsl')}"}


def new_case(pupil_id: str, **extra: Any) -> dict[str, Any]:
    return {"pupil_id": pupil_id, "need_areas": ["semh"], "description": "Withdrawn in class.", **extra}


def test_the_api_still_opens_a_second_case_for_a_client_that_does_not_ask(services: Services) -> None:
    """API-CONTRACT promises 201 for {pupil_id, need_areas, description}; an MIS sending that is not broken.
    The case it gets back names the pupil's other open case, as the case page does."""
    svc = services
    pupil_id = a_pupil(svc, 99, "Zed")
    first = open_case(svc, pupil_id, datetime(2026, 10, 5, 10, 0, tzinfo=UTC))
    client, auth = api(svc)
    created = client.post("/api/v1/cases", json=new_case(pupil_id), headers=auth)
    assert created.status_code == 201
    body = client.get(f"/api/v1/cases/{created.get_json()['id']}", headers=auth).get_json()
    assert body["other_open_cases"] == [{"case_id": first, "state": "need_identified", "opened_on": "2026-10-05"}]


def test_the_api_asks_a_client_that_wants_to_confirm_a_second_case(services: Services) -> None:
    svc = services
    pupil_id = a_pupil(svc, 100, "Abe")
    first = open_case(svc, pupil_id, datetime(2026, 10, 5, 10, 0, tzinfo=UTC))
    client, auth = api(svc)
    events = svc.store.count()
    refused = client.post("/api/v1/cases", json=new_case(pupil_id, confirm_second_case=False), headers=auth)
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"
    problem = refused.get_json()
    assert problem["open_cases"] == [{"case_id": first, "state": "need_identified", "opened_on": "2026-10-05"}]
    assert "already has an open case" in problem["detail"] and "confirm_second_case" in problem["detail"]
    assert svc.store.count() == events
    confirmed = client.post("/api/v1/cases", json=new_case(pupil_id, confirm_second_case=True), headers=auth)
    assert confirmed.status_code == 201
    assert len(svc.reads.cases_of_pupil(pupil_id)) == 2


def test_the_api_opens_a_first_case_whatever_the_confirmation_says(sqlite_services: Services) -> None:
    svc = sqlite_services
    pupil_id = a_pupil(svc, 101, "Bea")
    client, auth = api(svc)
    assert client.post("/api/v1/cases", json=new_case(pupil_id, confirm_second_case=False), headers=auth).status_code == 201


def test_the_api_refuses_a_confirmation_that_is_not_true_or_false(sqlite_services: Services) -> None:
    svc = sqlite_services
    pupil_id = a_pupil(svc, 102, "Cal")
    client, auth = api(svc)
    for sent in ("yes", 1, None, [True]):
        response = client.post("/api/v1/cases", json=new_case(pupil_id, confirm_second_case=sent), headers=auth)
        assert response.status_code == 422, sent
        assert "confirm_second_case" in response.get_json()["errors"]
    assert svc.reads.cases_of_pupil(pupil_id) == []


def test_the_openapi_document_describes_the_confirmation(services: Services) -> None:
    document = openapi_document(services.workflow)
    confirm = document["components"]["schemas"]["NewCase"]["properties"]["confirm_second_case"]
    assert confirm["type"] == "boolean" and confirm["default"] is True
    responses = document["paths"]["/cases"]["post"]["responses"]
    assert "409" in responses and "open_cases" in responses["409"]["description"]
    assert "open_cases" in document["components"]["schemas"]["Problem"]["properties"]
    assert "other_open_cases" in document["components"]["schemas"]["Case"]["properties"]


# --- the case list --------------------------------------------------------------------------------


def test_the_case_list_tells_a_pupils_two_cases_apart_by_when_each_opened(services: Services) -> None:
    svc = services
    pupil_id = a_pupil(svc, 103, "Dee")
    earlier = open_case(svc, pupil_id, datetime(2026, 10, 5, 10, 0, tzinfo=UTC))
    later = open_case(svc, pupil_id, datetime(2026, 10, 5, 13, 30, tzinfo=UTC))
    page = client_for(svc, "dsl").get("/").get_data(as_text=True)
    assert '<th scope="col" class="govuk-table__header">Opened</th>' in page
    rows = {
        case_id: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for row in re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', page, re.S)
        for case_id in re.findall(r'href="/cases/([0-9a-f]+)"', row)
    }
    # 10:00 and 13:30 UTC are 11:00 and 14:30 in England (BST until 25 October)
    assert "5 October 2026, 11:00" in rows[earlier]
    assert "5 October 2026, 14:30" in rows[later]
    assert rows[earlier] != rows[later]
