"""Trying the pages as a new user: the case page, the action pages and the auditor's named people by their
usernames ("dsl", "sw") where a person's name was expected, the auditor's list of events read as codes
("DecisionCancelled"), and each action left two or three "View" lines in the case's access log. People are
now named as their accounts name them (the username beside it on the auditor's pages, as the log stores it:
test_names_days_and_programmes), events as the forms that write them are labelled, and a form sent
successfully logs no read of its own: the page it leads to does."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn
from caseflow.domain.events import long_time
from tests.conftest import SCHOOL, access_lines, principal
from tests.journey_helpers import services_today

PASSWORD = "correct horse battery"


def signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def named_people_and_a_proposal(svc: Services) -> str:
    """Dana Shah, a DSL, opens a case; the SLT proposes a suspension; Jo Evans, the child's social worker, gives a view."""
    svc.accounts.add_user("dana", ["dsl"], [SCHOOL], password=PASSWORD, display_name="Dana Shah")
    svc.accounts.add_user("jo", ["social_worker"], password=PASSWORD, display_name="Jo Evans")
    dana = principal(svc, "dana")
    pupil = svc.pupils.register(
        dana,
        {"upn": make_upn("881", "2001", 2019, 93), "given_name": "Noor", "family_name": "Named",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    svc.pupils.record_episode(dana, pupil.id, {"plan": "cin", "start_date": "2025-01-01", "social_worker": "jo"})
    case_id = svc.cases.open_case(dana, {"pupil_id": pupil.id, "need_areas": ["behaviour"], "description": "x"}).id

    def act(who: str, action: str, data: dict[str, object]) -> int:
        return svc.cases.act(principal(svc, who), case_id, action, svc.store.current_version(case_id), data)[0].version

    weekday = next(d for d in (services_today(svc) + timedelta(days=n) for n in range(1, 8)) if d.weekday() < 5)
    proposal = act("slt", "propose_suspension", {"days": 1, "start_date": weekday.isoformat(), "reason": "Fight."})
    act("jo", "add_contribution", {"kind": "exclusion_view", "proposal": proposal, "contribution": "Wait, please."})
    return case_id


def test_pages_name_people_by_their_names(sqlite_services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    svc = sqlite_services
    case_id = named_people_and_a_proposal(svc)
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    asked: list[int] = []
    names = svc.accounts.display_names
    monkeypatch.setattr(svc.accounts, "display_names", lambda: asked.append(1) or names())

    case_page = signed_in(app, "dana").get(f"/cases/{case_id}?timeline=all").get_data(as_text=True)
    assert "By <strong>Dana Shah</strong> as DSL" in case_page  # no job title in the name: the role is said
    assert "Given by Jo Evans as Social worker on " in case_page and "(dana)" not in case_page
    assert "proposed by slt" in case_page  # an account whose name is its username: named once
    assert len(asked) == 1  # the names are read once for the page, not once for each person on it

    deciding = signed_in(app, "head").get(f"/cases/{case_id}/actions/decide_suspension").get_data(as_text=True)
    assert "View of Jo Evans as Social worker" in deciding

    audit = signed_in(app, "auditor").get(f"/audit/cases/{case_id}").get_data(as_text=True)
    events = audit[audit.index("Events up to version") : audit.index('id="access-log-heading"')]
    assert "Dana Shah (username dana) as DSL" in events and "Jo Evans (username jo) as Social worker" in events
    assert "Jo Evans (username jo) as Social worker at version" in audit[audit.index('id="replayed-proposals"') :]
    log = audit[audit.index('id="access-log"') :]
    assert re.search(
        r'<td class="govuk-table__cell">Dana Shah \(username dana\)</td>\s*<td class="govuk-table__cell">DSL</td>', log
    )
    assert '<option value="jo">Jo Evans (username jo)</option>' in audit  # the filter still filters by username
    assert svc.store.load(case_id)[0].actor == "dana"  # what is stored is unchanged


def test_someone_without_an_account_is_named_by_their_username(sqlite_services: Services) -> None:
    from caseflow.web import person

    app = create_app({"TESTING": True, "SERVICES": sqlite_services, "SECRET_KEY": "test-secret"})
    with app.test_request_context():
        assert person("mis-import") == "mis-import"
        assert person("mis-import", "dsl") == "mis-import as DSL"
        assert person("mis-import", with_username=True) == "mis-import"


def test_the_auditor_reads_events_as_words_with_their_codes_beside(sqlite_services: Services) -> None:
    svc = sqlite_services
    case_id = named_people_and_a_proposal(svc)
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    page = signed_in(app, "auditor").get(f"/audit/cases/{case_id}").get_data(as_text=True)
    events = page[page.index("Events up to version") : page.index('id="access-log-heading"')]
    cells = re.findall(r'<td class="govuk-table__cell caseflow-event-type">(.*?)</td>', events)
    assert [re.sub(r"\s*<code.*", "", c) for c in cells] == [
        "Open a case", "Propose a suspension", "Add a contribution",
    ]  # fmt: skip
    assert all('<code class="caseflow-code">' in c for c in cells)
    assert '<code class="caseflow-code">SuspensionProposed</code>' in events  # the code, for one who needs it


def test_an_action_through_its_form_logs_each_page_read_once(sqlite_services: Services) -> None:
    svc = sqlite_services
    case_id = named_people_and_a_proposal(svc)
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    client = signed_in(app, "dana")
    before = len(access_lines(svc))
    form = f"/cases/{case_id}/actions/log_family_contact"
    assert client.get(f"/cases/{case_id}").status_code == 200
    assert client.get(form).status_code == 200
    version = svc.store.current_version(case_id)
    refused = client.post(form, data={"expected_version": version, "date": "", "method": "phone", "summary": "Rang."})
    assert refused.status_code == 422  # the form again, with the case on it: a read of its own
    today = services_today(svc).isoformat()
    sent = client.post(form, data={"expected_version": version, "date": today, "method": "phone", "summary": "Rang."})
    assert sent.status_code == 302
    assert client.get(sent.headers["Location"]).status_code == 200
    logged = [(line["action"], line["outcome"]) for line in access_lines(svc)[before:] if line["case_id"] == case_id]
    assert logged == [
        ("view", "ok"),  # the case page
        ("view", "ok"),  # the form
        ("log_family_contact", "refused"),  # no date
        ("view", "ok"),  # the form again, with what to put right
        ("log_family_contact", "ok"),  # sent: the action's own line, and no read, as the page was not shown
        ("view", "ok"),  # the case page it led to
    ]


def test_a_form_sent_too_late_names_what_changed_in_words(sqlite_services: Services) -> None:
    svc = sqlite_services
    case_id = named_people_and_a_proposal(svc)
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    version = svc.store.current_version(case_id)
    today = services_today(svc).isoformat()
    contact = {"date": today, "method": "phone", "summary": "Rang."}
    svc.cases.act(principal(svc, "dana"), case_id, "log_family_contact", version, contact)
    late = signed_in(app, "senco").post(
        f"/cases/{case_id}/actions/log_family_contact", data={"expected_version": version, **contact}
    )
    page = late.get_data(as_text=True)
    assert late.status_code == 409
    logged = long_time(svc.store.load(case_id)[version].occurred_at)  # what, when and who: no version
    assert f"<li>Log contact with the family, {logged}, by Dana Shah as DSL</li>" in page
    assert "FamilyContactLogged" not in page


def test_a_name_with_its_own_brackets_takes_the_username_inside_them(sqlite_services: Services) -> None:
    """As the top bar does since the third walk: no second pair of brackets, and no role said twice; the
    username only where it is asked for (the auditor's pages), and the role only where the title does not say it."""
    from caseflow.web import person

    svc = sqlite_services
    svc.accounts.add_user("hokafor", ["headteacher"], [SCHOOL], password=PASSWORD, display_name="Harriet Okafor (Headteacher)")
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret"})
    with app.test_request_context():
        assert person("hokafor") == "Harriet Okafor (Headteacher)"
        assert person("hokafor", "headteacher") == "Harriet Okafor (Headteacher)"
        assert person("hokafor", "dsl") == "Harriet Okafor (Headteacher) as DSL"
        assert person("hokafor", "dsl", with_username=True) == "Harriet Okafor (Headteacher, username hokafor) as DSL"
