"""The auditor's case page: the case as its record stood at a date and time in England, and what each event recorded."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from caseflow import create_app
from caseflow.bootstrap import Services, bootstrap
from caseflow.demo import make_upn
from tests.conftest import SCHOOL, Clock, Database, principal, seed_people


@pytest.fixture
def clock() -> Clock:
    return Clock()  # 2 November 2026, 09:00 UTC (09:00 in England too)


@pytest.fixture
def svc(database: Database, clock: Clock) -> Iterator[Services]:
    """On both backends: on PostgreSQL the page once failed on every request (a streaming option left on
    the request's shared connection broke the access-log read after the verification)."""
    services = bootstrap(database.url, clock=clock)
    seed_people(services)
    yield services
    services.close()


def a_case_written_over_two_days(svc: Services, clock: Clock) -> str:
    dsl = principal(svc, "dsl")
    pupil = svc.pupils.register(
        dsl,
        {
            "upn": make_upn("881", "2001", 2019, 7),
            "given_name": "A",
            "family_name": "B",
            "date_of_birth": "2016-01-01",
            "school_urn": SCHOOL,
        },
    )
    case = svc.cases.open_case(dsl, {"pupil_id": pupil.id, "need_areas": ["attendance"], "description": "Late most mornings"})
    clock.now += timedelta(days=2)
    svc.cases.act(dsl, case.id, "start_one_plan", 1, {})
    return case.id


def auditor(svc: Services) -> Flask:
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    return app


def test_the_case_as_its_record_stood_at_a_date_and_time(svc: Services, clock: Clock) -> None:
    case_id = a_case_written_over_two_days(svc, clock)
    client = auditor(svc).test_client()
    assert client.post("/login", data={"username": "auditor", "password": "correct horse battery"}).status_code == 302
    first_day = client.get(f"/audit/cases/{case_id}?on=2026-11-02").get_data(as_text=True)
    assert "Case as at version 1 of 2" in first_day and "As the record stood at 2 November 2026, 23:59" in first_day
    assert "Late most mornings" in first_day, "what the event recorded is on the page"
    later = client.get(f"/audit/cases/{case_id}?on=2026-11-04").get_data(as_text=True)
    assert "Case as at version 2 of 2" in later
    before = client.get(f"/audit/cases/{case_id}?on=2026-11-02&at=08:59").get_data(as_text=True)
    assert "Case as at version 0 of 2" in before, "nothing had been written a minute before"
    opened = "it was opened at version 1, on 2 November 2026, 09:00 in England"
    assert f"The case had not been opened yet at that moment: {opened}" in before
    assert ">None<" not in before, "no step, workflow or need areas read 'None'"
    at_nine = client.get(f"/audit/cases/{case_id}?on=2026-11-02&at=09:00").get_data(as_text=True)
    assert "Case as at version 1 of 2" in at_nine


@pytest.mark.parametrize(
    ("query", "told"),
    [
        # written as asked, but no day of the calendar: told so, not asked for the form it is in (the fourth walk)
        ("on=2026-13-01", "2026-13-01 is not a real date"),
        ("on=yesterday", "Enter the date as DD/MM/YYYY, for example 27/3/2026"),
        ("on=2026-11-02&at=25:00", "Enter the time as HH:MM, for example 14:05, or leave it empty"),
        ("on=2026-11-02&at=9am", "Enter the time as HH:MM, for example 14:05, or leave it empty"),
        ("on=2026-11-02T10:00", "Enter the date as DD/MM/YYYY, for example 27/3/2026"),
    ],
)
def test_a_date_that_is_not_one_is_a_message(svc: Services, clock: Clock, query: str, told: str) -> None:
    case_id = a_case_written_over_two_days(svc, clock)
    client = auditor(svc).test_client()
    client.post("/login", data={"username": "auditor", "password": "correct horse battery"})
    response = client.get(f"/audit/cases/{case_id}?{query}")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert told in page and "Case as at version 2 of 2" in page


def test_in_summer_the_times_asked_and_shown_are_england_s(svc: Services, clock: Clock) -> None:
    clock.now = datetime(2026, 7, 1, 7, 30, 20, tzinfo=UTC)  # 08:30:20 in England (summer time)
    case_id = a_case_written_over_two_days(svc, clock)
    clock.now = datetime(2026, 7, 3, 22, 59, 59, 700000, tzinfo=UTC)  # 23:59:59.7 on 3 July in England
    svc.cases.act(principal(svc, "dsl"), case_id, "record_plan", 2, {"strengths": "Loves reading"})
    client = auditor(svc).test_client()
    client.post("/login", data={"username": "auditor", "password": "correct horse battery"})

    def version_at(query: str) -> str:
        found = re.search(r"Case as at version (\d+) of", client.get(f"/audit/cases/{case_id}?{query}").get_data(as_text=True))
        assert found, query
        return found.group(1)

    assert version_at("on=2026-07-01&at=08:29") == "0"
    assert version_at("on=2026-07-01&at=08:30") == "1", "written at 08:30:20 in England: within that minute"
    assert version_at("on=2026-07-03") == "3", "written at 23:59:59.7 on the 3rd: part of that day"
    assert version_at("on=2026-07-03&at=23:59") == "3"
    page = client.get(f"/audit/cases/{case_id}").get_data(as_text=True)
    assert "1 July 2026, 08:30:20" in page, "recorded, in England's time"
    assert client.get(f"/audit/cases/{case_id}?version=%C2%B2").status_code == 404, "a superscript two is no version"


def test_the_page_shows_what_the_case_held_at_the_version_asked(svc: Services, clock: Clock) -> None:
    """The plan, the interventions and the suspensions as they stood then, not as they stand now."""
    from caseflow.demo import walk

    who = {name: principal(svc, name) for name in ("dsl", "senco", "sw", "head", "slt")}
    pupil = svc.pupils.register(
        who["dsl"],
        {"upn": make_upn("881", "2001", 2019, 8), "given_name": "C", "family_name": "D",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    svc.pupils.record_episode(who["dsl"], pupil.id, {"plan": "cin", "start_date": "2025-01-01", "social_worker": "sw"})
    case_id = walk(svc, who, pupil.id, "intervention", clock.now.date())
    planned = next(e.version for e in svc.store.load(case_id) if e.event_type == "InterventionPlanned")

    def act(user: str, action: str, data: dict[str, object]) -> int:
        after, _ = svc.cases.act(who[user], case_id, action, svc.store.current_version(case_id), data)
        return after.version

    proposed = act("slt", "propose_suspension", {"days": 2, "start_date": "2026-11-09", "reason": "Fight."})
    then = svc.store.current_version(case_id)
    act("sw", "add_contribution", {"kind": "exclusion_view", "proposal": proposed, "contribution": "Keep it short."})
    act(
        "head", "decide_suspension", {"proposal": proposed, "decision": "suspend", "reasons": "As the behaviour policy sets out."}
    )
    act("head", "record_decision_notice", {"proposal": proposed, "recipient": "parents", "notified_on": "2026-11-02"})
    act("senco", "record_outcome", {"intervention": planned, "measure": "Attendance 97%", "status": "completed"})
    client = auditor(svc).test_client()
    assert client.post("/login", data={"username": "auditor", "password": "correct horse battery"}).status_code == 302

    def state(version: int | None = None) -> str:
        page = client.get(f"/audit/cases/{case_id}" + (f"?version={version}" if version else "")).get_data(as_text=True)
        found = re.search(r'<div id="state-at-version">(.*?)</div>\s*<table class="govuk-table">', page, re.S)
        assert found, "the state at the version is on the page"
        return found.group(1)

    earlier, now = state(then), state()
    assert "Attendance above 95% by the end of term" in earlier and "Attendance above 95% by the end of term" in now
    assert "Active" in earlier and "Completed" in now
    assert "Not decided" in earlier and "Parents told 2 November 2026" not in earlier
    assert f"Suspend at version {proposed + 2}" in now and "Parents told 2 November 2026" in now


def test_the_access_log_shows_the_latest_fifty_newest_first_and_all_a_link_away(svc: Services, clock: Clock) -> None:
    """From a second new user's walk: one demo case's "Who viewed" list ran to about 130 rows, oldest first."""
    case_id = a_case_written_over_two_days(svc, clock)
    for minute in range(60):  # sixty more views, each a minute apart
        clock.now += timedelta(minutes=1)
        svc.cases.view(principal(svc, "dsl" if minute % 2 else "head"), case_id)
    client = auditor(svc).test_client()
    assert client.post("/login", data={"username": "auditor", "password": "correct horse battery"}).status_code == 302
    page = client.get(f"/audit/cases/{case_id}").get_data(as_text=True)
    log = page[page.index('id="access-log"') :]
    shown = re.findall(r"<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\">(\d+ \w+ \d{4}, [0-9:]+)</td>", log)
    rows = [datetime.strptime(moment, "%d %B %Y, %H:%M:%S") for moment in shown]
    assert len(rows) == 50 and rows == sorted(rows, reverse=True), "the latest fifty, newest first"
    counted = re.search(r"The latest 50 of (\d+), newest first", log)
    assert counted and int(counted.group(1)) > 60, "every entry counted, not only those shown"
    total = int(counted.group(1))
    assert f"Show all {total} entries" in log
    whole = client.get(f"/audit/cases/{case_id}?access=all").get_data(as_text=True)
    assert (
        len(re.findall(r"<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\">\d+ \w+ \d{4}, [0-9:]+</td>", whole))
        >= total - 2
    )


def _access_rows(page: str) -> list[tuple[str, str, str]]:
    """(who, role, what) of each row of the access log shown."""
    log = page[page.index('id="access-log"') :]
    cells = r'<td class="govuk-table__cell">([^<]*)</td>'
    row = rf'<tr class="govuk-table__row"><td class="govuk-table__cell">\d+ \w+ \d{{4}}, [0-9:]+</td>{cells}\s*{cells}{cells}'
    return re.findall(row, log)


def test_the_auditor_filters_the_access_log_by_person_and_by_what_was_done(svc: Services, clock: Clock) -> None:
    """From the second new user's walk: the access list had no filter by person or by action."""
    case_id = a_case_written_over_two_days(svc, clock)
    for minute in range(55):
        clock.now += timedelta(minutes=1)
        svc.cases.view(principal(svc, "dsl" if minute % 5 else "head"), case_id)
    client = auditor(svc).test_client()
    assert client.post("/login", data={"username": "auditor", "password": "correct horse battery"}).status_code == 302
    page = client.get(f"/audit/cases/{case_id}").get_data(as_text=True)
    assert re.search(r'<select[^>]*name="who"', page) and re.search(r'<select[^>]*name="what"', page)
    assert '<option value="head">head</option>' in page, "the people in this case's log are offered"
    heads = _access_rows(client.get(f"/audit/cases/{case_id}?who=head").get_data(as_text=True))
    assert len(heads) == 11 and {who for who, _, _ in heads} == {"head"}, "every look by the head, however old"
    filtered = client.get(f"/audit/cases/{case_id}?who=dsl&what=start_one_plan").get_data(as_text=True)
    assert [(who, what) for who, _, what in _access_rows(filtered)] == [("dsl", "Start the One Plan")]
    assert "1 entry by dsl: Start the One Plan" in filtered and "Show all" not in filtered
    assert '<option value="start_one_plan" selected>' in filtered, "the filter stays chosen"
    nobody = client.get(f"/audit/cases/{case_id}?who=%3Cscript%3E&what=x").get_data(as_text=True)
    assert _access_rows(nobody) == [] and "<script>" not in nobody and "No entries match" in nobody
    kept = client.get(f"/audit/cases/{case_id}?version=1&who=head").get_data(as_text=True)
    assert 'name="version" value="1"' in kept, "filtering keeps the version being looked at"


def test_a_date_not_understood_says_the_case_shown_is_as_it_stands_now(svc: Services, clock: Clock) -> None:
    """From the fifth walk: under the message about the date, the page showed "Case as at version 2 of 2", which an
    auditor could take for the case on the day they typed."""
    case_id = a_case_written_over_two_days(svc, clock)
    client = auditor(svc).test_client()
    assert client.post("/login", data={"username": "auditor", "password": "correct horse battery"}).status_code == 302
    response = client.get(f"/audit/cases/{case_id}?on=31/02/2026")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The date was not understood, so it was not used: this is the case at version 2 of 2, as it stands now." in page
    assert "The date was not understood" not in client.get(f"/audit/cases/{case_id}?on=02/11/2026").get_data(as_text=True)
    timed = client.get(f"/audit/cases/{case_id}?on=02/11/2026&at=25:99").get_data(as_text=True)  # the seventh walk
    assert "The time of day was not understood, so it was not used" in timed and "The date was not understood" not in timed
