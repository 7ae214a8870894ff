"""From a new user's walk: a DSL saved a behaviour incident, pressed the browser's Back and saved again, and two
identical incidents were recorded; a contact with the family logged twice the same way. The form Back brings is
fetched again (pages are not cached), so it carries the version now and the version check passes; the values typed
are put back by the browser. Each duplicate counts twice in the figures. A form that would record an entry identical
to one the same person recorded on the same case or record in the last 30 minutes now says so, and records it only
once the person ticks that it is another one. The API is unchanged: its clients state the version they read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn
from caseflow.domain.repeats import REPEAT_WINDOW
from tests.conftest import SCHOOL, Clock, Database, _services, access_lines, principal, seed_people

PASSWORD = "correct horse battery"
CONTACT = {"date": "2026-11-02", "method": "phone", "summary": "Mum called: Sam slept badly all week."}
INCIDENT = {"date": "2026-11-02", "category": "disruption", "severity": "low", "description": "Threw a pencil case."}
ASKED_CONTACT = "You recorded this contact with the family at 09:00 today, with the same details. Record it again?"
ASKED_INCIDENT = "You recorded this behaviour incident at 09:00 today, with the same details. Record it again?"


@pytest.fixture
def clock() -> Clock:
    return Clock()  # 2 November 2026, 09:00 in England


@pytest.fixture
def svc(sqlite_database: Database, clock: Clock) -> Iterator[Services]:
    services = _services(sqlite_database, clock)
    seed_people(services)
    yield services
    services.close()


def client_for(svc: Services, username: str) -> FlaskClient:
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def a_pupil(svc: Services) -> str:
    pupil = svc.pupils.register(
        principal(svc, "dsl"),
        {"upn": make_upn("881", "2001", 2019, 61), "given_name": "Sam", "family_name": "Again",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    return pupil.id


def a_case(svc: Services) -> str:
    data = {"pupil_id": a_pupil(svc), "need_areas": ["semh"], "description": "Tired and withdrawn."}
    return svc.cases.open_case(principal(svc, "dsl"), data).id


def shown_version(page: str) -> str:
    """The version the form was given, as Back fetches it again (the browser keeps the values typed, not this)."""
    found = re.search(r'name="expected_version" type="hidden" value="(\d+)"', page)
    assert found, "the form carries the version read"
    return found.group(1)


def repeat_of(page: str) -> str:
    found = re.search(r'name="repeat_of" type="hidden" value="(\d+)"', page)
    assert found, "the question names the entry it is about"
    return found.group(1)


def send(client: FlaskClient, path: str, data: dict[str, Any], **extra: str) -> Any:
    """Open the form (as Back does: fetched again) and send it with the values typed."""
    version = shown_version(client.get(path).get_data(as_text=True))
    return client.post(path, data={**data, "expected_version": version, **extra})


def types_of(svc: Services, stream_id: str, event_type: str) -> int:
    return sum(1 for event in svc.store.load(stream_id) if event.event_type == event_type)


# --- a case's action ------------------------------------------------------------------------------


def test_a_contact_logged_again_within_the_window_is_asked_about_and_not_recorded(svc: Services) -> None:
    case_id = a_case(svc)
    client = client_for(svc, "dsl")
    path = f"/cases/{case_id}/actions/log_family_contact"
    assert send(client, path, CONTACT).status_code == 302
    events = svc.store.count()
    asked = send(client, path, CONTACT)
    assert asked.status_code == 409
    assert svc.store.count() == events, "nothing is written before the DSL confirms"
    page = asked.get_data(as_text=True)
    assert ASKED_CONTACT in page
    assert 'class="govuk-warning-text"' in page
    assert "Yes, this is another contact" in page and 'name="repeat_confirmed"' in page
    assert "Mum called: Sam slept badly all week." in page, "what the DSL typed is kept"
    assert "There is a problem" not in page, "nothing typed was wrong"
    assert types_of(svc, case_id, "FamilyContactLogged") == 1
    tried = [line["outcome"] for line in access_lines(svc) if line["action"] == "log_family_contact"]
    assert tried == ["ok", "unconfirmed"], "the attempt is logged, as not recorded"


def test_a_contact_confirmed_as_another_is_recorded(svc: Services) -> None:
    case_id = a_case(svc)
    client = client_for(svc, "dsl")
    path = f"/cases/{case_id}/actions/log_family_contact"
    assert send(client, path, CONTACT).status_code == 302
    asked = send(client, path, CONTACT).get_data(as_text=True)
    version = shown_version(asked)
    confirmed = client.post(
        path, data={**CONTACT, "expected_version": version, "repeat_of": repeat_of(asked), "repeat_confirmed": "y"}
    )
    assert confirmed.status_code == 302
    assert types_of(svc, case_id, "FamilyContactLogged") == 2


def test_a_tick_left_on_a_form_fetched_again_asks_again(svc: Services) -> None:
    """Back after confirming: the form is fetched again, and a tick the browser put back names no entry asked about
    (or an older one), so a third identical contact is asked about too."""
    case_id = a_case(svc)
    client = client_for(svc, "dsl")
    path = f"/cases/{case_id}/actions/log_family_contact"
    send(client, path, CONTACT)
    first_asked = repeat_of(send(client, path, CONTACT).get_data(as_text=True))
    assert send(client, path, CONTACT, repeat_of=first_asked, repeat_confirmed="y").status_code == 302
    assert send(client, path, CONTACT, repeat_confirmed="y").status_code == 409
    assert send(client, path, CONTACT, repeat_of=first_asked, repeat_confirmed="y").status_code == 409
    assert types_of(svc, case_id, "FamilyContactLogged") == 2


def test_a_contact_with_other_details_or_by_another_person_or_later_is_not_asked_about(svc: Services, clock: Clock) -> None:
    case_id = a_case(svc)
    path = f"/cases/{case_id}/actions/log_family_contact"
    dsl, head = client_for(svc, "dsl"), client_for(svc, "head")
    assert send(dsl, path, CONTACT).status_code == 302
    assert send(dsl, path, {**CONTACT, "summary": "Mum called again: better night."}).status_code == 302
    assert send(dsl, path, {**CONTACT, "method": "email"}).status_code == 302
    assert send(head, path, CONTACT).status_code == 302, "the head's own record of the same call is theirs"
    clock.now += REPEAT_WINDOW + timedelta(minutes=1)
    dsl = client_for(svc, "dsl")  # signed in again: a session idle as long ends
    assert send(dsl, path, CONTACT).status_code == 302, "the same call after the window is another call"
    assert types_of(svc, case_id, "FamilyContactLogged") == 5


def test_a_form_refused_then_corrected_records_once_without_asking(svc: Services) -> None:
    case_id = a_case(svc)
    client = client_for(svc, "dsl")
    path = f"/cases/{case_id}/actions/log_family_contact"
    assert send(client, path, {**CONTACT, "summary": ""}).status_code == 422
    assert send(client, path, CONTACT).status_code == 302
    assert types_of(svc, case_id, "FamilyContactLogged") == 1


def test_the_api_still_records_what_a_client_sends_at_the_version_it_read(svc: Services) -> None:
    """The API's clients state the version they read: the same body sent twice at two versions is two entries."""
    case_id = a_case(svc)
    client = client_for(svc, "dsl")
    bearer = {"Authorization": f"Bearer {svc.accounts.issue_token('dsl')}"}
    for version in (1, 2):
        sent = client.post(
            f"/api/v1/cases/{case_id}/actions/log_family_contact",
            json={"expected_version": version, "data": CONTACT},
            headers=bearer,
        )
        assert sent.status_code in (200, 201), sent.get_data(as_text=True)
    assert types_of(svc, case_id, "FamilyContactLogged") == 2


# --- a pupil's record -----------------------------------------------------------------------------


def test_an_incident_recorded_again_within_the_window_is_asked_about_and_not_recorded(svc: Services) -> None:
    pupil_id = a_pupil(svc)
    client = client_for(svc, "dsl")
    path = f"/pupils/{pupil_id}/actions/record_behaviour_incident"
    assert send(client, path, INCIDENT).status_code == 302
    events = svc.store.count()
    asked = send(client, path, INCIDENT)
    assert asked.status_code == 409
    assert svc.store.count() == events
    page = asked.get_data(as_text=True)
    assert ASKED_INCIDENT in page
    assert "Yes, this is another incident" in page
    assert "Threw a pencil case." in page
    assert types_of(svc, pupil_id, "BehaviourIncidentRecorded") == 1


def test_an_incident_confirmed_as_another_is_recorded(svc: Services) -> None:
    pupil_id = a_pupil(svc)
    client = client_for(svc, "dsl")
    path = f"/pupils/{pupil_id}/actions/record_behaviour_incident"
    send(client, path, INCIDENT)
    asked = send(client, path, INCIDENT).get_data(as_text=True)
    assert send(client, path, INCIDENT, repeat_of=repeat_of(asked), repeat_confirmed="y").status_code == 302
    assert types_of(svc, pupil_id, "BehaviourIncidentRecorded") == 2


def test_an_incident_with_other_details_or_by_another_person_is_not_asked_about(svc: Services) -> None:
    pupil_id = a_pupil(svc)
    path = f"/pupils/{pupil_id}/actions/record_behaviour_incident"
    dsl, head = client_for(svc, "dsl"), client_for(svc, "head")
    assert send(dsl, path, INCIDENT).status_code == 302
    assert send(dsl, path, {**INCIDENT, "severity": "medium"}).status_code == 302
    assert send(dsl, path, {**INCIDENT, "date": "2026-10-30"}).status_code == 302
    assert send(head, path, INCIDENT).status_code == 302
    assert types_of(svc, pupil_id, "BehaviourIncidentRecorded") == 4


def test_attendance_for_another_day_is_not_asked_about(svc: Services) -> None:
    """Marks are recorded day after day, and each day's differ: only the same marks again are asked about."""
    pupil_id = a_pupil(svc)
    client = client_for(svc, "dsl")
    path = f"/pupils/{pupil_id}/actions/record_attendance"
    assert send(client, path, {"marks": "2026-10-29 AM /\n2026-10-29 PM \\"}).status_code == 302
    assert send(client, path, {"marks": "2026-10-30 AM /\n2026-10-30 PM \\"}).status_code == 302
    asked = send(client, path, {"marks": "2026-10-30 AM /\n2026-10-30 PM \\"})
    assert asked.status_code == 409
    assert "You recorded this entry at 09:00 today, with the same details. Record it again?" in asked.get_data(as_text=True)


# --- the self-assessment, through the same form submission ----------------------------------------


def test_the_same_rating_again_is_asked_about(svc: Services) -> None:
    client = client_for(svc, "dsl")
    path = f"/self-assessment/1?school_urn={SCHOOL}"
    rating = {"rating": "developing", "evidence": "Cohort tracked half-termly by the DSL."}
    assert send(client, path, rating).status_code == 302
    asked = send(client, path, rating)
    assert asked.status_code == 409
    page = asked.get_data(as_text=True)
    assert "You recorded this rating at 09:00 today, with the same details. Record it again?" in page
    assert send(client, path, rating, repeat_of=repeat_of(page), repeat_confirmed="y").status_code == 302
    assert sum(1 for e in svc.store.load(f"self-assessment-{SCHOOL}") if e.event_type == "IndicatorAssessed") == 2
