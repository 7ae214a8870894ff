"""Dates and times are shown one way on every page: a date as a letter writes it (7 December 2026), a time on
England's clock after it (7 December 2026, 14:05). The third and fourth walks found three forms side by side
(2026-12-14, 7 December 2026, 07 Dec 2026) and the case's timeline in UTC where the rest is in England's time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn
from caseflow.domain.events import long_month, long_time
from caseflow.domain.wording import HAPPENED_ON
from caseflow.domain.workflow import Workflow
from tests.conftest import LA, SCHOOL, Clock, Database, _services, principal, seed_people
from workflows import CURRENT, REGISTRY


def test_a_time_is_on_englands_clock_in_the_words_of_a_date() -> None:
    assert long_time(datetime(2026, 7, 1, 7, 30, 20, tzinfo=UTC)) == "1 July 2026, 08:30"  # BST
    assert long_time(datetime(2026, 12, 7, 14, 5, 9, tzinfo=UTC), seconds=True) == "7 December 2026, 14:05:09"
    assert long_time(datetime(2026, 10, 24, 23, 30, tzinfo=UTC)) == "25 October 2026, 00:30", "the day in England"


def test_a_month_is_written_as_a_letter_writes_it() -> None:
    assert long_month("2026-09") == "September 2026" and long_month(date(2027, 2, 12)) == "February 2027"


# --- on the pages: the walk found ISO dates where the rest of the page wrote them out ----------------------
NOW = datetime(2026, 12, 7, 23, 25, tzinfo=UTC)  # a Monday evening in the autumn term, as in the walk
ISO = re.compile(r"\b\d{4}-\d{2}(-\d{2})?\b")


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def svc(sqlite_database: Database, clock: Clock) -> Iterator[Services]:
    """On SQLite alone: what is tested is how pages write what they read, the same from either backend."""
    services = _services(sqlite_database, clock)
    seed_people(services)
    yield services
    services.close()


def _signed_in(svc: Services, username: str) -> FlaskClient:
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": "correct horse battery"}).status_code == 302
    return client


def _read(html: str) -> str:
    """What a person reads of a page: its text, not its tags, links or hidden values."""
    return " ".join(re.sub(r"<[^>]*>", " ", html).split())


def _act(svc: Services, who: str, case_id: str, action: str, data: dict[str, Any]) -> int:
    after, _ = svc.cases.act(principal(svc, who), case_id, action, svc.store.current_version(case_id), data)
    return after.version


def _a_case_with_dates(svc: Services) -> tuple[str, str]:
    """A case with a dated entry of each kind the walk met: a meeting and a call on days before the one they
    were written down, an intervention's review, a suspension proposed, decided and told; the pupil's key
    contact named today. (pupil, case)"""
    dsl = principal(svc, "dsl")
    pupil = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 61), "given_name": "Dot", "family_name": "Dates",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    svc.pupils.record_episode(dsl, pupil.id, {"plan": "cin", "start_date": "2025-01-01", "social_worker": "sw"})
    contact = {"name": "Ms Key", "job_title": "Learning mentor"}
    svc.pupils.act(dsl, pupil.id, "name_key_contact", svc.pupils.load(pupil.id).version, contact)
    case_id = svc.cases.open_case(dsl, {"pupil_id": pupil.id, "need_areas": ["behaviour"], "description": "x"}).id
    attendees = [{"name": "A", "agency": "school"}, {"name": "B", "agency": "social_care"}]
    _act(svc, "dsl", case_id, "record_meeting", {"date": "2026-12-01", "attendees": attendees, "notes": "Met mum."})
    _act(svc, "dsl", case_id, "log_family_contact", {"date": "2026-12-02", "method": "phone", "summary": "Called dad."})
    intervention = {"intervention": "Mentoring", "owner": "Ms Key", "baseline": "3 incidents a week", "review_date": "2027-02-12"}
    _act(svc, "dsl", case_id, "plan_intervention", intervention)
    proposal = _act(svc, "slt", case_id, "propose_suspension", {"days": 2, "start_date": "2026-12-10", "reason": "Fight."})
    view = {"kind": "exclusion_view", "proposal": proposal, "contribution": "Try a reduced day first."}
    _act(svc, "sw", case_id, "add_contribution", view)
    _act(svc, "head", case_id, "decide_suspension", {"proposal": proposal, "decision": "suspend", "reasons": "Policy."})
    notice = {"proposal": proposal, "recipient": "parents", "notified_on": "2026-12-07"}
    _act(svc, "head", case_id, "record_decision_notice", notice)
    return pupil.id, case_id


def _entry(page: str, event_type_label: str) -> str:
    """The timeline's entry headed ``event_type_label``, as read."""
    timeline = page[page.index('id="timeline"') :]
    for item in timeline.split('class="caseflow-timeline__item"')[1:]:
        if event_type_label in item[: item.index("</h3>")]:
            return _read(item[item.index(">") + 1 :])
    raise AssertionError(f"no entry {event_type_label!r}")


def test_a_timeline_shows_each_date_an_entry_holds_as_a_date_is_written(svc: Services) -> None:
    _, case_id = _a_case_with_dates(svc)
    for who in ("dsl", "head"):
        page = _signed_in(svc, who).get(f"/cases/{case_id}").get_data(as_text=True)
        timeline = _read(page[page.index('id="timeline"') :])
        assert ISO.search(timeline) is None, ISO.search(timeline)
        assert "Review date 12 February 2027" in _entry(page, "Plan an intervention")
        assert "Proposed start date 10 December 2026" in _entry(page, "Propose a suspension")
        assert "2 December 2026" in _entry(page, "Log contact with the family")


def test_a_workflow_tells_which_fields_of_each_event_are_dates() -> None:
    dates = Workflow(REGISTRY[CURRENT]).date_fields
    assert dates["MeetingRecorded"] == {"date"} and dates["InterventionPlanned"] == {"review_date"}
    assert dates["SuspensionProposed"] == {"start_date"} and "SuspensionDecided" not in dates


def test_the_key_contact_is_named_on_a_date_written_out(svc: Services) -> None:
    pupil_id, case_id = _a_case_with_dates(svc)
    client = _signed_in(svc, "dsl")
    for address in (f"/cases/{case_id}", f"/pupils/{pupil_id}"):
        page = client.get(address).get_data(as_text=True)
        contact = _read(page[page.index('id="key-contact"') :][:600])
        assert "Named 7 December 2026." in contact and "2026-12-07" not in contact, address


def test_the_suspensions_table_dates_each_proposal_and_names_no_version(svc: Services) -> None:
    _, case_id = _a_case_with_dates(svc)
    page = _signed_in(svc, "head").get(f"/cases/{case_id}").get_data(as_text=True)
    table = _read(page[page.index('id="proposals"') : page.index("</table>", page.index('id="proposals"'))])
    assert "Suspension of 2 days from 10 December 2026, proposed by" in table
    assert "(version" not in table and ISO.search(table) is None


def test_two_proposals_from_one_day_are_still_told_apart(svc: Services) -> None:
    _, case_id = _a_case_with_dates(svc)
    first = _act(svc, "slt", case_id, "propose_suspension", {"days": 1, "start_date": "2026-12-14", "reason": "Again."})
    again = _act(svc, "head", case_id, "propose_suspension", {"days": 3, "start_date": "2026-12-14", "reason": "Again."})
    page = _signed_in(svc, "head").get(f"/cases/{case_id}").get_data(as_text=True)
    table = _read(page[page.index('id="proposals"') : page.index("</table>", page.index('id="proposals"'))])
    assert "Suspension of 2 days from 10 December 2026, proposed by slt on 7 December 2026 " in table, "alone on its day: the date says which"
    assert re.search(r"Suspension of 1 day from 14 December 2026, proposed by slt on 7 December 2026, \d\d:\d\d", table), table
    assert re.search(r"Suspension of 3 days from 14 December 2026, proposed by head on 7 December 2026, \d\d:\d\d", table), "the same day: when each was proposed"
    assert "version" not in table and str(first) and str(again)


def test_an_entry_that_holds_its_own_day_leads_with_it(svc: Services) -> None:
    _, case_id = _a_case_with_dates(svc)
    page = _signed_in(svc, "dsl").get(f"/cases/{case_id}").get_data(as_text=True)
    meeting = _entry(page, "Record a meeting")
    assert "Record a meeting Meeting on 1 December 2026 (recorded by dsl as DSL, 7 December 2026, 23:25)" in meeting, meeting
    assert "happened" not in meeting
    shown = meeting.split("Correct this entry")[0]  # the link's hidden words name the entry for a screen reader
    assert shown.count("December 2026") == 2, "the day it happened, and when it was written down: once each"
    assert "Contact with the family on 2 December 2026 (recorded by " in _entry(page, "Log contact with the family")
    assert "Told on 7 December 2026 (recorded by " in _entry(page, "Record who was told")
    planned = _entry(page, "Plan an intervention")
    assert "happened 7 December 2026, 23:25" in planned, "an entry with no day of its own: when it happened"


def test_each_day_an_entry_leads_with_is_a_date_it_declares() -> None:
    workflow = Workflow(REGISTRY[CURRENT])
    assert HAPPENED_ON["MeetingRecorded"] == ("date", "Meeting on")
    for event_type, (name, words) in HAPPENED_ON.items():
        assert name in workflow.date_fields[event_type], event_type
        assert words.endswith(" on"), event_type


def test_the_auditor_still_sees_when_an_entry_happened_and_was_recorded_to_the_second(svc: Services) -> None:
    _, case_id = _a_case_with_dates(svc)
    page = _signed_in(svc, "auditor").get(f"/audit/cases/{case_id}").get_data(as_text=True)
    assert "7 December 2026, 23:25</td>" in page and "7 December 2026, 23:25:00</td>" in page


def test_the_governors_report_writes_its_dates_and_months_out(svc: Services) -> None:
    _a_case_with_dates(svc)
    rating = {"indicator": "1", "rating": "developing", "evidence": "Tracked half-termly."}
    svc.self_assessment.assess(principal(svc, "dsl"), SCHOOL, 0, rating)
    client = _signed_in(svc, "governor")
    page = client.get(f"/reports/governors?school_urn={SCHOOL}&as_of=2026-12-07").get_data(as_text=True)
    read = _read(page)
    assert "The school year from September 2026 to the end of December 2026" in read
    assert "recorded from the school's MIS by 7 December 2026" in read
    assert "as they stood at 7 December 2026" in read
    ratings = _read(page[page.index('id="self-assessment"') :])
    assert "Developing 7 December 2026" in ratings
    assert ISO.search(read) is None, ISO.search(read)
    csv = client.get(f"/reports/governors.csv?school_urn={SCHOOL}&as_of=2026-12-07").get_data(as_text=True)
    assert "As at,2026-12-07" in csv and "(2026-12-07)" in csv, "a spreadsheet keeps the dates machines read"
    la = _read(_signed_in(svc, "vs").get(f"/reports/la?la_code={LA}&as_of=2026-12-07").get_data(as_text=True))
    assert "at 7 December 2026: where support" in la and ISO.search(la) is None, ISO.search(la)


def test_a_rating_is_dated_by_the_day_in_england(svc: Services, clock: Clock) -> None:
    """Rated at 00:30 on 2 July in England (23:30 on the 1st in UTC): the report says the 2nd, as the page does."""
    clock.now = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
    rating = {"indicator": "1", "rating": "embedded", "evidence": "Tracked half-termly."}
    svc.self_assessment.assess(principal(svc, "dsl"), SCHOOL, 0, rating)
    report = svc.reports.governors(principal(svc, "governor"), SCHOOL, date(2026, 7, 2))
    assert report["self_assessment"]["indicators"][0]["rated_on"] == "2026-07-02"
    page = _signed_in(svc, "governor").get(f"/reports/governors?school_urn={SCHOOL}&as_of=2026-07-02").get_data(as_text=True)
    assert "Embedded 2 July 2026" in _read(page[page.index('id="self-assessment"') :])


def test_the_self_assessment_pages_date_each_rating_in_words(svc: Services) -> None:
    rating = {"indicator": "1", "rating": "developing", "evidence": "Tracked half-termly."}
    svc.self_assessment.assess(principal(svc, "dsl"), SCHOOL, 0, rating)
    client = _signed_in(svc, "dsl")
    page = _read(client.get(f"/self-assessment?school_urn={SCHOOL}").get_data(as_text=True))
    assert "Rated 7 December 2026 by" in page and ISO.search(page) is None
    form = _read(client.get(f"/self-assessment/1?school_urn={SCHOOL}").get_data(as_text=True))
    assert "Last rated developing on 7 December 2026 by" in form and ISO.search(form) is None


def test_the_pupil_record_dates_incidents_and_wellbeing_in_words(svc: Services) -> None:
    pupil_id, _ = _a_case_with_dates(svc)
    dsl = principal(svc, "dsl")
    incident = {"date": "2026-12-03", "category": "disruption", "severity": "low", "description": "Threw a book."}
    svc.pupils.act(dsl, pupil_id, "record_behaviour_incident", svc.pupils.load(pupil_id).version, incident)
    sdq = {"measure": "sdq", "informant": "teacher", "administered_on": "2026-12-04",
           "emotional": 3, "conduct": 2, "hyperactivity": 4, "peer": 1, "prosocial": 8}  # fmt: skip
    svc.pupils.act(dsl, pupil_id, "record_wellbeing", svc.pupils.load(pupil_id).version, sdq)
    page = _signed_in(svc, "dsl").get(f"/pupils/{pupil_id}").get_data(as_text=True)
    assert "3 December 2026" in _read(page[page.index('id="incidents"') :])
    assert "4 December 2026" in _read(page[page.index('id="wellbeing"') :])
    assert ISO.search(_read(page)) is None, ISO.search(_read(page))


def test_the_cohort_dashboard_writes_its_months_and_reviews_out(svc: Services) -> None:
    _a_case_with_dates(svc)
    page = _read(_signed_in(svc, "dsl").get("/cohort").get_data(as_text=True))
    assert "12 February 2027" in page and "December 2026" in page
    assert ISO.search(page) is None, ISO.search(page)
