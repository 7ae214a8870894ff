"""The family's key contact in school (PRODUCT.md, family and child voice): named on the pupil's record
by the school's leads, shown on the record and on every one of the child's cases; a new version of the
pupil-record workflow, the old one kept exactly as released."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn
from caseflow.domain.errors import InvalidData, NotFound, NotPermitted
from caseflow.domain.events import StoredEvent
from caseflow.domain.pupil import Pupil
from tests.conftest import SCHOOL, principal
from tests.test_web_security import csrf_token, sign_in
from workflows import PUPIL_RECORD, REGISTRY

CONTACT = {"name": "Priya Nair", "job_title": "Family support worker", "preferred_contact": "text_message", "note": "After 3pm"}


def _pupil(svc: Services) -> tuple[str, str]:
    """A pupil with a CiN plan (social worker 'sw') and an open case: (pupil id, case id)."""
    dsl = principal(svc, "dsl")
    pupil = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 1), "given_name": "Ada", "family_name": "Able",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    svc.pupils.record_episode(dsl, pupil.id, {"plan": "cin", "start_date": "2025-01-01", "social_worker": "sw"})
    case = svc.cases.open_case(dsl, {"pupil_id": pupil.id, "need_areas": ["family"], "description": "x"})
    return pupil.id, case.id


def _name(svc: Services, pupil_id: str, who: str = "dsl", data: dict[str, str] | None = None) -> tuple[Pupil, StoredEvent]:
    version = svc.pupils.load(pupil_id).version
    return svc.pupils.act(principal(svc, who), pupil_id, "name_key_contact", version, data or CONTACT)


def test_the_leads_name_the_key_contact_and_the_latest_one_stands(services: Services) -> None:
    pupil_id, _ = _pupil(services)
    pupil, event = _name(services, pupil_id)
    assert event.event_type == "KeyContactNamed" and event.workflow_version == PUPIL_RECORD == "pupil_record@6"
    assert pupil.key_contact == {"version": event.version, "named_on": event.occurred_at.date().isoformat(), **CONTACT}
    again, _ = _name(services, pupil_id, "senco", {"name": "Sam Ahmed", "job_title": "SENCo"})
    assert again.key_contact is not None and again.key_contact["name"] == "Sam Ahmed" and "note" not in again.key_contact
    assert services.pupils.load(pupil_id).key_contact == again.key_contact
    assert [e.event_type for e in services.store.load(pupil_id)][-2:] == ["KeyContactNamed", "KeyContactNamed"]  # both kept


def test_who_may_name_the_key_contact(services: Services) -> None:
    pupil_id, _ = _pupil(services)
    for user in ("dsl", "head", "slt", "senco", "mhl"):
        assert _name(services, pupil_id, user)[0].key_contact is not None
    for user in ("sw", "vs", "auditor"):  # they may read the child's record, not keep it
        with pytest.raises(NotPermitted):
            _name(services, pupil_id, user)
    for user in ("teacher", "governor", "admin", "other_dsl", "sw2"):
        with pytest.raises((NotFound, NotPermitted)):
            _name(services, pupil_id, user)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"job_title": "Teacher"}, "name"),
        ({"name": "A"}, "job_title"),
        ({"name": "A", "job_title": "B", "preferred_contact": "pigeon"}, "preferred_contact"),
    ],
)
def test_a_key_contact_without_a_name_or_role_or_with_an_unknown_preference_is_refused(
    services: Services, data: dict[str, str], field: str
) -> None:
    pupil_id, _ = _pupil(services)
    before = services.pupils.load(pupil_id).version
    with pytest.raises(InvalidData) as error:
        _name(services, pupil_id, data=data)
    assert field in error.value.errors and services.pupils.load(pupil_id).version == before


def test_version_1_of_the_pupil_record_is_kept_as_released_and_its_records_replay() -> None:
    released = json.loads((Path(__file__).parent / "data" / "pupil_record_v1.json").read_text())
    assert json.loads(json.dumps(REGISTRY["pupil_record@1"])) == released
    assert "name_key_contact" not in {a["name"] for a in released["actions"]}
    assert {a["name"] for a in REGISTRY["pupil_record@2"]["actions"]} - {a["name"] for a in released["actions"]} == {
        "name_key_contact"
    }
    when = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    registered = {"upn": "A881500112001", "given_name": "Ana", "family_name": "Ng", "date_of_birth": "2015-03-04",
                  "school_urn": SCHOOL, "year_group": 6}  # fmt: skip
    pupil = Pupil("p1")
    for version, (event_type, data, workflow) in enumerate(
        [("PupilRegistered", registered, "pupil_record@1"), ("KeyContactNamed", CONTACT, "pupil_record@2")], start=1
    ):
        pupil.apply(StoredEvent("p1", "pupil", version, version, event_type, 1, data, "dsl", "dsl", when, when, workflow, "", ""))
    assert pupil.key_contact is not None and pupil.key_contact["named_on"] == "2026-11-02"
    state = json.loads(json.dumps(pupil.to_snapshot()))
    assert Pupil.from_snapshot(state) == pupil
    assert Pupil.from_snapshot({**state, "schema": "pupil-1"}) is None  # a snapshot from before: replayed instead


@pytest.fixture
def app(services: Services) -> Flask:
    return create_app({"TESTING": True, "SERVICES": services, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": True})


def test_the_key_contact_is_named_from_the_record_and_shown_there_and_on_each_case(app: Flask, services: Services) -> None:
    pupil_id, case_id = _pupil(services)
    client = app.test_client()
    sign_in(client, "dsl")
    record = client.get(f"/pupils/{pupil_id}").get_data(as_text=True)
    assert "Name the family&#39;s key contact" in record and "None named" in record
    form = client.get(f"/pupils/{pupil_id}/actions/name_key_contact").get_data(as_text=True)
    assert "How the family prefers to be contacted" in form and "Text message" in form
    version = services.pupils.load(pupil_id).version
    token = csrf_token(client, f"/pupils/{pupil_id}/actions/name_key_contact")
    refused = client.post(
        f"/pupils/{pupil_id}/actions/name_key_contact",
        data={"csrf_token": token, "expected_version": version, "name": "Priya Nair"},
    )
    assert refused.status_code == 422 and services.pupils.load(pupil_id).version == version
    done = client.post(
        f"/pupils/{pupil_id}/actions/name_key_contact",
        data={"csrf_token": token, "expected_version": version, **CONTACT},
    )
    assert done.status_code == 302
    for page in (client.get(f"/pupils/{pupil_id}"), client.get(f"/cases/{case_id}")):
        text = page.get_data(as_text=True)
        assert "Priya Nair (Family support worker); the family prefers text messages." in text and "After 3pm" in text
    sign_in(social_worker := app.test_client(), "sw")
    assert "Priya Nair (Family support worker)" in social_worker.get(f"/cases/{case_id}").get_data(as_text=True)
