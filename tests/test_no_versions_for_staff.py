"""From a reviewer of the case page: staff were still asked to deal in version numbers. The case page had a
"Version" row ("18"), the timeline numbered its entries ("18. Record a meeting"), the correction form asked for
"Event corrected (version)" as a number, and rules told a DSL "cancelled at version 12", "confirmed at version 15"
or "version 9" of the transition. The case page says when it was last recorded and by whom; the timeline keeps
each entry's anchor but shows no number and offers "Correct this entry" to those who may; the correction form
chooses the entry from a list of the case's entries in words, as the timeline names them; the rules name an entry
by when it happened. The API still takes and gives versions; the auditor's pages keep them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn, walk
from caseflow.domain.errors import GuardFailed
from caseflow.domain.events import london_date, long_date, long_time
from caseflow.web import person
from tests.conftest import SCHOOL, Clock, Database, _services, principal, seed_people
from tests.journey_helpers import act, services_today
from tests.test_entries_to_name import options_of
from tests.test_exclusion_safeguards import NOW
from tests.test_exclusion_safeguards import _cancel as cancel
from tests.test_exclusion_safeguards import _case as open_case
from tests.test_exclusion_safeguards import _decide as decide
from tests.test_exclusion_safeguards import _pupil as suspension_pupil
from tests.test_file_transfer import CTX, SENT, moving

PASSWORD = "correct horse battery"


def _app(svc: Services) -> Flask:
    return create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})


def _client(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def _case(svc: Services, serial: int) -> str:
    dsl = principal(svc, "dsl")
    pupil = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, serial), "given_name": "Vi", "family_name": "Unnumbered",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    who = {"dsl": dsl, "senco": principal(svc, "senco"), "mhl": principal(svc, "mhl")}
    return walk(svc, who, pupil.id, "multi_agency_review", services_today(svc))


def _in_words(app: Flask, svc: Services, case_id: str) -> dict[int, str]:
    """Each entry of the case as staff know it: its form, when it happened and who recorded it."""
    labels = svc.workflow.event_labels
    with app.test_request_context():
        return {
            e.version: f"{labels[e.event_type]}, {long_time(e.occurred_at)}, by {person(e.actor, e.role)}"
            for e in svc.store.load(case_id)
        }


def test_the_case_page_says_when_it_was_last_recorded_not_its_version(sqlite_services: Services) -> None:
    svc = sqlite_services
    case_id = _case(svc, 71)
    app = _app(svc)
    page = _client(app, "dsl").get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'id="case-version"' not in page and ">Version<" not in page
    last = svc.store.load(case_id)[-1]
    with app.test_request_context():
        by = person(last.actor, last.role)
    row = re.search(r'id="case-last-recorded">([^<]*)</dd>', page)
    assert row is not None and unescape(row.group(1)) == f"{long_time(last.recorded_at)} by {by}"
    summary = page[: page.index('id="case-last-recorded"')]
    assert "Last recorded" in summary


def test_the_timeline_shows_no_numbers_but_keeps_each_entrys_anchor(sqlite_services: Services) -> None:
    svc = sqlite_services
    case_id = _case(svc, 72)
    page = _client(_app(svc), "dsl").get(f"/cases/{case_id}?timeline=all").get_data(as_text=True)
    timeline = page[page.index('id="timeline"') :]
    versions = [e.version for e in svc.store.load(case_id)]
    assert all(f'id="event-{v}"' in timeline for v in versions), "links to an entry still find it"
    headings = re.findall(r'<h3 class="govuk-heading-s">\s*([^<]*)', timeline)
    assert len(headings) == len(versions)
    assert not [h for h in headings if re.match(r"\d+\.", h)], headings


def test_each_entry_offers_its_correction_to_those_who_may_correct(sqlite_services: Services) -> None:
    svc = sqlite_services
    case_id = _case(svc, 73)
    app = _app(svc)
    page = _client(app, "dsl").get(f"/cases/{case_id}?timeline=all").get_data(as_text=True)
    for event in svc.store.load(case_id):
        entry = re.search(rf'id="event-{event.version}">.*?</li>', page, re.S)
        assert entry is not None
        link = f'href="/cases/{case_id}/actions/record_correction?corrects={event.version}"'
        assert link in entry.group(0) and "Correct this entry" in entry.group(0), event.version
    head = _client(app, "head").get(f"/cases/{case_id}").get_data(as_text=True)  # a head records no corrections
    assert "record_correction" not in head and "Correct this entry" not in head


def test_the_correction_form_chooses_the_entry_from_the_case_entries_in_words(sqlite_services: Services) -> None:
    svc = sqlite_services
    case_id = _case(svc, 74)
    app = _app(svc)
    client = _client(app, "dsl")
    named = _in_words(app, svc, case_id)
    page = client.get(f"/cases/{case_id}/actions/record_correction").get_data(as_text=True)
    offered = [(value, unescape(text)) for value, text in options_of(page, "corrects")]
    assert offered == [("", "Choose…")] + [(str(v), named[v]) for v in sorted(named, reverse=True)], "newest first"
    label = re.search(r'<label[^>]*for="corrects"[^>]*>\s*([^<]*?)\s*</label>', page)
    assert label is not None and "version" not in label.group(1).casefold(), label.group(1)

    meeting = next(e for e in svc.store.load(case_id) if e.event_type == "MeetingRecorded")
    linked = client.get(f"/cases/{case_id}/actions/record_correction?corrects={meeting.version}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{meeting.version}"|<option value="{meeting.version}" selected', linked)

    version = svc.store.current_version(case_id)
    form = {"expected_version": version, "corrects": str(meeting.version), "correction": "Jo Evans sent apologies."}
    assert client.post(f"/cases/{case_id}/actions/record_correction", data=form).status_code == 302
    recorded = svc.store.load(case_id)[-1]
    assert recorded.event_type == "CorrectionRecorded" and recorded.data["corrects"] == meeting.version, "stored as before"
    timeline = client.get(f"/cases/{case_id}").get_data(as_text=True)
    corrects = re.search(r'__key">Corrects</dt>\s*<dd class="govuk-summary-list__value">([^<]*)</dd>', timeline)
    assert corrects is not None and unescape(corrects.group(1)) == named[meeting.version], "as the list named it"


@pytest.mark.parametrize("chosen", ["", "99", "0"])
def test_a_bad_choice_is_told_on_the_field_in_words(sqlite_services: Services, chosen: str) -> None:
    svc = sqlite_services
    case_id = _case(svc, 75)
    version = svc.store.current_version(case_id)
    form = {"expected_version": version, "corrects": chosen, "correction": "Jo Evans sent apologies."}
    refused = _client(_app(svc), "dsl").post(f"/cases/{case_id}/actions/record_correction", data=form)
    assert refused.status_code == 422 and svc.store.current_version(case_id) == version, "nothing recorded"
    page = unescape(refused.get_data(as_text=True))
    message = re.search(r'id="corrects-error"[^>]*>\s*<span class="govuk-visually-hidden">Error:</span>\s*([^<]*)', page)
    assert message is not None, "the message is on the field"
    assert "version" not in message.group(1).casefold() and not re.search(r"\d", message.group(1)), message.group(1)
    assert "href=\"#corrects\"" in page, "the error summary links to the field"
    assert "(1 to" not in page and "version" not in page.replace('name="expected_version"', "").replace(
        'id="expected_version"', ""
    ).casefold()


def test_the_api_still_names_the_entry_corrected_by_its_version(sqlite_services: Services) -> None:
    svc = sqlite_services
    case_id = _case(svc, 76)
    dsl = principal(svc, "dsl")
    version = svc.store.current_version(case_id)
    after, _ = svc.cases.act(dsl, case_id, "record_correction", version, {"corrects": 2, "correction": "A slip."})
    assert svc.store.load(case_id)[-1].data == {"corrects": 2, "correction": "A slip."}
    with pytest.raises(GuardFailed) as refused:
        svc.cases.act(dsl, case_id, "record_correction", after.version, {"corrects": 99, "correction": "A slip."})
    [unmet] = refused.value.unmet
    assert (unmet.code, unmet.field) == ("corrected_event_unknown", "corrects")


# --- the rules' words ---------------------------------------------------------------------------------------
def _refused(case: object, action: str, data: dict[str, object]) -> dict[str, str]:
    with pytest.raises(GuardFailed) as caught:
        act(case, action, "dsl", data, CTX)  # type: ignore[arg-type]
    return {u.code: u.message for u in caught.value.unmet}


def test_a_sending_to_another_setting_names_the_transition_by_when_it_happened() -> None:
    case = moving()
    transition = case.facts[-1]
    message = _refused(case, "record_file_transfer", SENT | {"receiving_setting": "Hilltop School"})["not_the_receiving_setting"]
    assert "version" not in message, message
    assert f"the transition of {long_time(transition.occurred_at)}" in message, message


def test_a_receipt_confirmed_already_says_when_and_by_whom() -> None:
    case = moving()
    sent = act(case, "record_file_transfer", "dsl", SENT, CTX).version
    receipt = {"transfer": sent, "received_on": "2026-11-20", "confirmed_by": "J Bell, DSL at Riverside"}
    act(case, "record_file_receipt", "dsl", receipt, CTX)
    message = _refused(case, "record_file_receipt", receipt)["already_confirmed"]
    assert "version" not in message, message
    assert "20 November 2026" in message and "J Bell, DSL at Riverside" in message, message


@pytest.fixture
def svc(database: Database) -> Iterator[Services]:
    services = _services(database, Clock(NOW))
    seed_people(services)
    yield services
    services.close()


def test_a_decision_cancelled_already_says_when(svc: Services) -> None:
    case_id = open_case(svc, suspension_pupil(svc))
    proposal = decide(svc, case_id, 3)
    cancel(svc, case_id, proposal, 0)  # on 20 November 2026
    with pytest.raises(GuardFailed) as again:
        cancel(svc, case_id, proposal, 0)
    [unmet] = again.value.unmet
    assert unmet.code == "already_cancelled" and "version" not in unmet.message, unmet.message
    assert unmet.message == "This suspension was cancelled on 20 November 2026.", unmet.message


def test_someone_elses_change_is_told_in_words_not_versions(sqlite_services: Services) -> None:
    svc = sqlite_services
    case_id = _case(svc, 77)
    app = _app(svc)
    stale = svc.store.current_version(case_id)
    svc.cases.act(principal(svc, "senco"), case_id, "celebrate_success", stale, {"success": "Came every day this week."})
    form = {"expected_version": stale, "success": "Read aloud in assembly."}
    page = _client(app, "dsl").post(f"/cases/{case_id}/actions/celebrate_success", data=form)
    assert page.status_code == 409 and svc.store.current_version(case_id) == stale + 1
    html = unescape(page.get_data(as_text=True))
    start = html.index("Someone else changed this case")
    banner = html[start : html.index('<form method="post"', start)]
    changed = _in_words(app, svc, case_id)[stale + 1]
    assert changed in banner and "version" not in banner.casefold(), banner


def test_an_outcome_still_needed_names_its_intervention_by_the_day_it_was_planned(sqlite_services: Services) -> None:
    """The case page's "Still needed" read 'Record an outcome measure for “Mentoring” (intervention 8)'."""
    svc = sqlite_services
    dsl = principal(svc, "dsl")
    pupil = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 78), "given_name": "Vi", "family_name": "Unnumbered",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    who = {"dsl": dsl, "senco": principal(svc, "senco"), "mhl": principal(svc, "mhl")}
    case_id = walk(svc, who, pupil.id, "intervention", services_today(svc))
    planned = [e for e in svc.store.load(case_id) if e.event_type == "InterventionPlanned"]
    page = unescape(_client(_app(svc), "dsl").get(f"/cases/{case_id}").get_data(as_text=True))
    needed = [text.strip() for text in re.findall(r'<li data-code="outcome_missing">([^<]*)', page)]
    assert sorted(needed) == sorted(
        f"Record an outcome measure for “{e.data['intervention']}” (planned {long_date(london_date(e.occurred_at))})."
        for e in planned
    ), needed
