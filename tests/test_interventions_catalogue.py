"""The evidence catalogue: seeded only with what the sources confirm, chosen from when an intervention is
planned (a new workflow version, the old one kept for the record), and readable by every user."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn
from caseflow.domain.errors import InvalidData
from caseflow.domain.fields import FieldSpec
from tests.conftest import SCHOOL, principal
from tests.journey_helpers import days_to_come
from tests.test_web_security import csrf_token, sign_in
from workflows import CURRENT, REGISTRY
from workflows.interventions import DELIVERY_TYPES, PROGRAMME_IDS, PROGRAMMES

#: the six "signs of potential" programmes the domain facts confirm (§1); the other four are unverified
CONFIRMED = {
    "Affordable Maths Tuition",
    "Embedding Formative Assessment",
    "Family Skills",
    "Vocabulary Enrichment (Intervention) Programme",
    "Catch Up Literacy",
    "Research Learning Communities",
}
FIELDS = ("id", "name", "provider", "subject", "phase", "delivery", "dose", "eef_result", "sources")


def test_the_catalogue_holds_the_confirmed_programmes_and_nothing_guessed() -> None:
    assert {p["name"] for p in PROGRAMMES} == CONFIRMED
    assert len(PROGRAMME_IDS) == len(set(PROGRAMME_IDS))
    for programme in PROGRAMMES:
        assert all(programme[field] for field in FIELDS), programme["id"]
        assert re.fullmatch(r"[a-z_]+", programme["id"])
        assert programme["delivery"] in DELIVERY_TYPES
        assert programme["wwcsc_signs_of_potential"] is True
        assert all(url.startswith("https://") or url.startswith("http://www.beib") for url in programme["sources"])
    parents = [p["name"] for p in PROGRAMMES if p["delivery"] == "parental_engagement"]
    assert parents == ["Family Skills"]


def test_planning_may_name_a_programme_in_a_new_workflow_version_and_the_old_version_is_kept() -> None:
    def planning(definition: dict[str, Any]) -> dict[str, Any]:
        return next(a for a in definition["actions"] if a["name"] == "plan_intervention")["fields"]

    assert CURRENT == "support_journey@11"  # the programme came with version 2
    assert "programme" not in planning(REGISTRY["support_journey@1"])
    programme = FieldSpec.from_dict("programme", planning(REGISTRY[CURRENT])["programme"])
    assert programme.choices == tuple(PROGRAMME_IDS) and not programme.required
    assert dict(programme.labels)["catch_up_literacy"] == "Catch Up Literacy"
    # version 1 is still exactly the definition released as version 1 (stored when version 2 came)
    released = json.loads((Path(__file__).parent / "data" / "support_journey_v1.json").read_text())
    assert json.loads(json.dumps(REGISTRY["support_journey@1"])) == released
    new = REGISTRY[CURRENT]
    assert {k: v for k, v in planning(new).items() if k != "programme"} == planning(released)


def test_labels_for_choices_a_field_does_not_have_are_refused() -> None:
    with pytest.raises(ValueError, match="labels"):
        FieldSpec.from_dict("x", {"type": "choice", "choices": ["a"], "labels": {"b": "B"}})


def _case(svc: Services) -> Any:
    dsl = principal(svc, "dsl")
    pupil = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 11), "given_name": "Rae", "family_name": "Reads",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    return svc.cases.open_case(dsl, {"pupil_id": pupil.id, "need_areas": ["learning"], "description": "x"})


PLAN = {
    "intervention": "Catch Up Literacy with Ms Ortiz",
    "programme": "catch_up_literacy",
    "owner": "Sam Ortiz",
    "baseline": "Reading age 7y 2m",
    "review_date": days_to_come(10),  # today or later by the services' real clock
}


def test_a_planned_intervention_records_its_programme_and_the_version_that_applied(services: Services) -> None:
    case = _case(services)
    senco = principal(services, "senco")
    planned, _ = services.cases.act(senco, case.id, "plan_intervention", case.version, PLAN)
    event = services.store.load(case.id)[-1]
    assert event.event_type == "InterventionPlanned"
    assert event.data["programme"] == "catch_up_literacy"
    assert event.workflow_version == CURRENT
    assert planned.interventions()[0]["programme"] == "catch_up_literacy"
    own = {k: v for k, v in PLAN.items() if k != "programme"} | {"intervention": "Breakfast club"}
    again, _ = services.cases.act(senco, case.id, "plan_intervention", planned.version, own)
    assert "programme" not in again.interventions()[1]


def test_a_programme_not_in_the_catalogue_is_refused_and_changes_nothing(services: Services) -> None:
    case = _case(services)
    before = services.store.count()
    with pytest.raises(InvalidData) as refused:
        services.cases.act(
            principal(services, "dsl"), case.id, "plan_intervention", case.version, PLAN | {"programme": "homeopathy"}
        )
    assert set(refused.value.errors) == {"programme"}
    assert services.store.count() == before


@pytest.fixture
def app(sqlite_services: Services) -> Iterator[Flask]:
    yield create_app({"TESTING": True, "SERVICES": sqlite_services, "SECRET_KEY": "test-secret"})


def _signed_in(app: Flask, username: str = "dsl") -> FlaskClient:
    client = app.test_client()
    sign_in(client, username)
    return client


def test_the_catalogue_page_shows_every_programme_with_its_caution(app: Flask) -> None:
    page = _signed_in(app).get("/interventions")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    for programme in PROGRAMMES:
        assert f'id="{programme["id"]}"' in text and programme["eef_result"] in text
    assert "for all pupils" in text and 'id="caution"' in text


def test_the_catalogue_narrows_to_one_kind_of_delivery_and_says_so_of_an_unknown_one(app: Flask) -> None:
    client = _signed_in(app, "governor")
    parents = client.get("/interventions?delivery=parental_engagement").get_data(as_text=True)
    assert 'id="family_skills"' in parents and 'id="catch_up_literacy"' not in parents
    unknown = client.get("/interventions?delivery=<script>")
    assert unknown.status_code == 400
    text = unknown.get_data(as_text=True)
    assert "There is no such kind of delivery" in text
    assert all(f'id="{p["id"]}"' in text for p in PROGRAMMES)


def test_a_dsl_plans_a_catalogue_programme_through_the_form_and_the_case_links_to_its_evidence(
    app: Flask, sqlite_services: Services
) -> None:
    case = _case(sqlite_services)
    client = _signed_in(app)
    path = f"/cases/{case.id}/actions/plan_intervention"
    form = client.get(path).get_data(as_text=True)
    assert '<option value="catch_up_literacy">Catch Up Literacy</option>' in form
    token = csrf_token(client, path)
    sent = client.post(path, data=PLAN | {"expected_version": case.version, "csrf_token": token})
    assert sent.status_code == 302, sent.get_data(as_text=True)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'href="/interventions#catch_up_literacy">Catch Up Literacy</a>' in page
    refused = client.post(path, data=PLAN | {"programme": "nope", "expected_version": case.version + 1, "csrf_token": token})
    assert refused.status_code == 422
    assert "Not a valid choice" in refused.get_data(as_text=True) or "must be one of" in refused.get_data(as_text=True)
    assert sqlite_services.store.current_version(case.id) == case.version + 1


def test_the_api_refuses_an_unknown_programme_as_problem_json(app: Flask, sqlite_services: Services) -> None:
    case = _case(sqlite_services)
    token = sqlite_services.accounts.issue_token("dsl")
    response = app.test_client().post(
        f"/api/v1/cases/{case.id}/actions/plan_intervention",
        json={"expected_version": case.version, "data": PLAN | {"programme": "nope"}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert "programme" in response.get_json()["errors"]
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    assert "catch_up_literacy" in str(spec)
