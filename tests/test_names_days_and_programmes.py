"""From a new user's walk: people's names said their role twice and showed a username staff never use ("By Alex
Brown (Class teacher; teacher) as Teacher", "Raised by Alex Brown (Class teacher; teacher)", "The allocated social
worker is Jo Evans (Social worker; sw)"). Staff pages now name a person by their name and job title, and say the
role they acted in only where the title does not say it ("By Sam Lewis (Deputy head) as SLT"); the username is
shown where it is needed: on the auditor's pages, which match log lines to accounts by it, and wherever two active
accounts bear one name. One day was "1 days" (the decision's heading, the suspension counter, the auditor's
replayed proposals), and the timeline wrote a catalogue programme as its code in words ("Catch up literacy")
where the interventions table names it as the catalogue does ("Catch Up Literacy")."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn
from caseflow.domain.errors import GuardFailed
from caseflow.domain.wording import day_count, name_and_title, title_says
from tests.conftest import SCHOOL, Clock, Database, _services, principal, seed_people

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # a Friday in the autumn term
MONDAY = "2026-11-23"
PASSWORD = "correct horse battery"


@pytest.fixture
def svc(sqlite_database: Database) -> Iterator[Services]:
    """On SQLite alone: what is tested is how pages write what they read, the same from either backend."""
    services = _services(sqlite_database, Clock(NOW))
    seed_people(services)
    for username, role, name in (
        ("abrown", "teacher", "Alex Brown (Class teacher)"),
        ("slewis", "slt", "Sam Lewis (Deputy head)"),
        ("pnair", "dsl", "Priya Nair (Head of inclusion)"),
        ("hokafor", "headteacher", "Harriet Okafor (Headteacher)"),
    ):
        services.accounts.add_user(username, [role], [SCHOOL], password=PASSWORD, display_name=name)
    services.accounts.add_user("jevans", ["social_worker"], [], password=PASSWORD, display_name="Jo Evans (Social worker)")
    yield services
    services.close()


def _client(svc: Services, username: str) -> FlaskClient:
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def _act(svc: Services, who: str, case_id: str, action: str, data: dict[str, Any]) -> int:
    return svc.cases.act(principal(svc, who), case_id, action, svc.store.current_version(case_id), data)[0].version


def _raised_by_the_teacher(svc: Services, serial: int = 1) -> str:
    """A pupil with a child in need plan and Jo Evans its social worker; Alex Brown, their teacher, raises a need."""
    dsl = principal(svc, "pnair")
    pupil = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, serial), "given_name": "Noor", "family_name": "Named",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    svc.pupils.record_episode(dsl, pupil.id, {"plan": "cin", "start_date": "2025-01-01", "social_worker": "jevans"})
    data = {"pupil_id": pupil.id, "need_areas": ["behaviour"], "description": "Angry outbursts in maths."}
    return svc.cases.open_case(principal(svc, "abrown"), data).id


def _suspended_for_a_day(svc: Services, case_id: str) -> int:
    """Sam Lewis proposes a day's suspension, Jo Evans gives a view, Harriet Okafor decides it: the proposal."""
    proposal = _act(svc, "slewis", case_id, "propose_suspension", {"days": 1, "start_date": MONDAY, "reason": "Fight."})
    view = {"kind": "exclusion_view", "proposal": proposal, "contribution": "Try a reduced day first."}
    _act(svc, "jevans", case_id, "add_contribution", view)
    decision = {"proposal": proposal, "decision": "suspend", "reasons": "As the policy sets out."}
    _act(svc, "hokafor", case_id, "decide_suspension", decision)
    return proposal


def _timeline_entry(page: str, version: int) -> str:
    [entry] = re.findall(rf'<li class="caseflow-timeline__item" id="event-{version}">.*?</li>', page, re.S)
    return entry


# --- people ---------------------------------------------------------------------------------------------------
def test_a_job_title_says_a_role_only_as_a_word_of_its_own() -> None:
    assert name_and_title("Alex Brown (Class teacher)") == ("Alex Brown", "Class teacher")
    assert name_and_title("Dana Shah") == ("Dana Shah", "")
    assert title_says("Class teacher", "teacher") and title_says("Headteacher", "headteacher")
    assert title_says("Designated Safeguarding Lead", "dsl") and title_says("Senior mental health lead", "mental_health_lead")
    assert not title_says("Headteacher", "teacher"), "teacher inside another word"
    assert not title_says("Deputy head", "headteacher"), "a deputy is not the head"
    assert not title_says("Deputy head", "slt") and not title_says("Head of inclusion", "dsl") and not title_says("", "dsl")


def test_staff_pages_name_a_person_by_name_and_job_title_and_say_a_role_once(svc: Services) -> None:
    case_id = _raised_by_the_teacher(svc)
    dsl = _client(svc, "pnair")
    listed = dsl.get("/").get_data(as_text=True)
    assert "Raised by Alex Brown (Class teacher), not yet started" in listed

    started = _act(svc, "pnair", case_id, "start_one_plan", {})
    page = dsl.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "The allocated social worker is Jo Evans (Social worker)." in page
    opened = _timeline_entry(page, 1)
    assert "By <strong>Alex Brown (Class teacher)</strong> · happened" in opened, "the title says Teacher: not again"
    assert "By <strong>Priya Nair (Head of inclusion)</strong> as DSL · happened" in _timeline_entry(page, started)

    proposal = _suspended_for_a_day(svc, case_id)
    page = dsl.get(f"/cases/{case_id}?timeline=all").get_data(as_text=True)
    assert "By <strong>Sam Lewis (Deputy head)</strong> as SLT · happened" in _timeline_entry(page, proposal)
    assert "By <strong>Harriet Okafor (Headteacher)</strong> · happened" in _timeline_entry(page, proposal + 2)
    assert "proposed by Sam Lewis (Deputy head) on" in page and "Given by Jo Evans (Social worker) on" in page
    for said_twice in ("username", "abrown", "slewis", "jevans", "; teacher", "as Teacher", "as Head ", "as Social worker"):
        assert said_twice not in page, said_twice


def test_the_auditor_reads_each_name_with_its_username(svc: Services) -> None:
    case_id = _raised_by_the_teacher(svc)
    _suspended_for_a_day(svc, case_id)
    assert _client(svc, "pnair").get(f"/cases/{case_id}").status_code == 200
    audit = _client(svc, "auditor").get(f"/audit/cases/{case_id}").get_data(as_text=True)
    events = audit[audit.index("Events up to version") : audit.index('id="access-log-heading"')]
    assert "Alex Brown (Class teacher, username abrown)</td>" in events, "the title says the role it was done in"
    assert "Sam Lewis (Deputy head, username slewis) as SLT</td>" in events
    replayed = audit[audit.index('id="replayed-proposals"') :]
    assert "proposed by Sam Lewis (Deputy head, username slewis)</td>" in replayed
    assert "Jo Evans (Social worker, username jevans) at version" in replayed
    log = audit[audit.index('id="access-log"') :]
    assert re.search(
        r'<td class="govuk-table__cell">Priya Nair \(Head of inclusion, username pnair\)</td>\s*<td class="govuk-table__cell">DSL</td>',
        log,
    )
    assert '<option value="pnair">Priya Nair (Head of inclusion, username pnair)</option>' in audit


def test_two_active_accounts_of_one_name_are_told_apart_by_their_usernames(svc: Services) -> None:
    case_id = _raised_by_the_teacher(svc)
    svc.accounts.add_user("abrown2", ["teacher"], [SCHOOL], password=PASSWORD, display_name="Alex  Brown (Teaching assistant)")
    page = _client(svc, "pnair").get(f"/cases/{case_id}").get_data(as_text=True)
    assert "By <strong>Alex Brown (Class teacher, username abrown)</strong> · happened" in page

    svc.accounts.deactivate("abrown2")  # a leaver's account: one active Alex Brown again
    page = _client(svc, "pnair").get(f"/cases/{case_id}").get_data(as_text=True)
    assert "By <strong>Alex Brown (Class teacher)</strong> · happened" in page


def test_the_plan_to_end_names_its_social_worker_once(svc: Services) -> None:
    """A social worker whose title says so is not "social worker Jo Evans (Social worker)"."""
    case_id = _raised_by_the_teacher(svc)
    pupil_id = svc.cases.view(principal(svc, "pnair"), case_id).pupil.id
    form = _client(svc, "pnair").get(f"/pupils/{pupil_id}/actions/end_social_care_episode").get_data(as_text=True)
    assert ">Child in need plan from 1 January 2025, Jo Evans (Social worker)</option>" in form


# --- one day --------------------------------------------------------------------------------------------------
def test_one_day_is_a_day_and_half_days_are_written_as_before() -> None:
    assert [day_count(n) for n in (1, 1.0, 0.5, 1.5, 2, 45.0, -0.0)] == [
        "1 day", "1 day", "0.5 days", "1.5 days", "2 days", "45 days", "0 days",
    ]  # fmt: skip


def test_a_days_suspension_is_of_1_day_on_every_page(svc: Services) -> None:
    case_id = _raised_by_the_teacher(svc)
    proposal = _suspended_for_a_day(svc, case_id)
    page = _client(svc, "hokafor").get(f"/cases/{case_id}").get_data(as_text=True)
    assert re.search(r'<h3 class="govuk-heading-s">Suspension of 1 day from 23 November 2026, decided', page)
    counters = page[page.index('id="suspension-counters"') :]
    assert re.search(r"1 day of suspension\s", counters)
    audit = _client(svc, "auditor").get(f"/audit/cases/{case_id}").get_data(as_text=True)
    assert f"Suspension (version {proposal}), 1 day from 23 November 2026" in audit
    due = _client(svc, "pnair").get("/due").get_data(as_text=True)
    assert "Suspension of 1 day from 23 November 2026, decided" in due
    for page_of in (page, audit, due):
        assert "1 days" not in page_of

    cancel = {"proposal": proposal, "cancelled_on": NOW.date().isoformat(), "days_served": 2, "reason": "Agreed."}
    with pytest.raises(GuardFailed) as refused:
        _act(svc, "hokafor", case_id, "cancel_decision", cancel)
    assert "The suspension was of 1 day: no more can have been served." in [u.message for u in refused.value.unmet]


# --- a programme from the catalogue ---------------------------------------------------------------------------
def test_the_timeline_names_a_catalogue_programme_as_the_catalogue_does(svc: Services) -> None:
    case_id = _raised_by_the_teacher(svc)
    planned = {"intervention": "Reading catch-up", "programme": "catch_up_literacy", "owner": "Mrs Hill",
               "baseline": "Reading age 6", "review_date": "2026-12-18"}  # fmt: skip
    version = _act(svc, "pnair", case_id, "plan_intervention", planned)
    page = _client(svc, "pnair").get(f"/cases/{case_id}").get_data(as_text=True)
    entry = _timeline_entry(page, version)
    assert re.search(r"<dt[^>]*>Programme[^<]*</dt>\s*<dd[^>]*>Catch Up Literacy</dd>", entry), entry
    assert "Catch up literacy" not in page
