"""What a form says once it has recorded something: what is now so ('Meeting recorded.'), as a GOV.UK success
banner says it, not the form's own label with 'done' after it ('Record a meeting: done.'), which the third walk
found read like an instruction."""

from __future__ import annotations

import pytest

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn
from caseflow.domain.wording import done
from tests.conftest import SCHOOL, principal
from tests.test_web_security import csrf_token, sign_in
from workflows import REGISTRY


@pytest.mark.parametrize(
    ("event_type", "words"),
    [
        ("MeetingRecorded", "Meeting recorded"),
        ("SuspensionProposed", "Suspension proposed"),
        ("DecisionCancelled", "Decision cancelled"),
        ("OnePlanStarted", "One Plan started"),
        ("PlanRecorded", "One Plan recorded"),
        ("SendStatusRecorded", "SEND status recorded"),
        ("FileTransferSent", "Child protection file recorded as sent"),
        ("SocialCareEpisodeRecorded", "Social care plan recorded"),
    ],
)
def test_an_event_is_told_as_what_is_now_so(event_type: str, words: str) -> None:
    assert done(event_type) == words


def test_every_event_of_every_workflow_reads_as_words() -> None:
    every = {action["event"] for definition in REGISTRY.values() for action in definition["actions"]}
    for event_type in every:
        words = done(event_type)
        rest = words.replace("One Plan", "one plan").replace("SEND", "send")[1:]
        assert words[0].isupper() and " " in words and rest == rest.lower(), (event_type, words)


def test_the_page_says_what_was_recorded(sqlite_services: Services) -> None:
    app = create_app({"TESTING": True, "SERVICES": sqlite_services, "SECRET_KEY": "test-secret"})
    dsl = principal(sqlite_services, "dsl")
    pupil = sqlite_services.pupils.register(
        dsl,
        {
            "upn": make_upn("881", "2001", 2019, 9),
            "given_name": "A",
            "family_name": "B",
            "date_of_birth": "2016-01-01",
            "school_urn": SCHOOL,
        },
    )
    case = sqlite_services.cases.open_case(dsl, {"pupil_id": pupil.id, "need_areas": ["send"], "description": "x"})
    client = app.test_client()
    sign_in(client)
    path = f"/cases/{case.id}/actions/log_family_contact"
    sent = {"csrf_token": csrf_token(client, path), "expected_version": "1", "date": "2026-10-01", "method": "phone"}
    page = client.post(path, data=sent | {"summary": "Mum rang."}, follow_redirects=True).get_data(as_text=True)
    assert '<p class="govuk-notification-banner__heading">Family contact logged.</p>' in page
    assert ": done." not in page
