"""Trying the pages as a new user: the timeline showed a meeting's "Aspirations discussed: True", its attendees'
agencies and a case's need areas as stored codes ("social_care", "attendance; semh"). It reads them as the
rest of the page does: yes or no, and codes as the school writes them; and an earlier entry an entry names (the
proposal a view answers) by what it is and when, not by its version number."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from flask.testing import FlaskClient

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn, walk
from caseflow.domain.events import london_date, long_date, long_time
from tests.conftest import SCHOOL, principal
from tests.journey_helpers import services_today


def test_the_timeline_reads_yes_no_and_codes_as_words(sqlite_services: Services) -> None:
    svc = sqlite_services
    dsl = principal(svc, "dsl")
    pupil = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 91), "given_name": "Ola", "family_name": "Words",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    who = {"dsl": dsl, "senco": principal(svc, "senco"), "mhl": principal(svc, "mhl")}
    case_id = walk(svc, who, pupil.id, "multi_agency_review", services_today(svc))
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": "dsl", "password": "correct horse battery"}).status_code == 302
    page = client.get(f"/cases/{case_id}?timeline=all").get_data(as_text=True)
    timeline = page[page.index('id="timeline"') :]
    found = re.findall(r'__key">([^<]*)</dt>\s*<dd class="govuk-summary-list__value">([^<]*)</dd>', timeline)
    values = {unescape(key): value for key, value in found}
    assert values["The pupil's aspirations were discussed"] == "Yes"  # as the meeting's form asked it
    assert values["Attendees"] == "School – Dana Shah; Social care – Jo Evans; Family – Mum"
    assert values["Need areas"] == "Attendance; SEMH"
    assert "True" not in timeline and "False" not in timeline


def test_the_auditors_page_reads_roles_decisions_and_recipients_as_words(sqlite_services: Services) -> None:
    svc = sqlite_services
    dsl = principal(svc, "dsl")
    pupil = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 92), "given_name": "Pia", "family_name": "Words",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    svc.pupils.record_episode(dsl, pupil.id, {"plan": "cin", "start_date": "2025-01-01", "social_worker": "sw"})
    case_id = svc.cases.open_case(dsl, {"pupil_id": pupil.id, "need_areas": ["behaviour"], "description": "x"}).id

    def act(who: str, action: str, data: dict[str, object]) -> int:
        return svc.cases.act(principal(svc, who), case_id, action, svc.store.current_version(case_id), data)[0].version

    weekday = next(d for d in (services_today(svc) + timedelta(days=n) for n in range(1, 8)) if d.weekday() < 5)
    proposal = act("slt", "propose_suspension", {"days": 1, "start_date": weekday.isoformat(), "reason": "Fight."})
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    social_worker = app.test_client()
    assert social_worker.post("/login", data={"username": "sw", "password": "correct horse battery"}).status_code == 302
    awaiting = social_worker.get("/").get_data(as_text=True)
    assert "(1 day) from" in awaiting and "1.0" not in awaiting
    act("sw", "add_contribution", {"kind": "exclusion_view", "proposal": proposal, "contribution": "Wait, please."})
    act(
        "head", "decide_suspension", {"proposal": proposal, "decision": "suspend", "reasons": "As the behaviour policy sets out."}
    )
    today = services_today(svc).isoformat()
    act("head", "record_decision_notice", {"proposal": proposal, "recipient": "social_worker", "notified_on": today})
    cancel = {"proposal": proposal, "cancelled_on": today, "days_served": 0, "reason": "Reconsidered."}
    act("head", "cancel_decision", cancel)  # before it began: no day served
    head = app.test_client()
    assert head.post("/login", data={"username": "head", "password": "correct horse battery"}).status_code == 302
    case_page = head.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'Suspend <strong class="govuk-tag govuk-tag--grey">Cancelled</strong>' in case_page
    client = app.test_client()
    assert client.post("/login", data={"username": "auditor", "password": "correct horse battery"}).status_code == 302
    page = client.get(f"/audit/cases/{case_id}").get_data(as_text=True)
    row = page[page.index('id="replayed-proposals"') : page.index("</table>", page.index('id="replayed-proposals"'))]
    assert "sw as Social worker at version" in row and "Suspend at version" in row and "Social worker told " in row
    assert "social_worker" not in row and "social worker)" not in row


def _signed_in(svc: Services, username: str) -> FlaskClient:
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": "correct horse battery"}).status_code == 302
    return client


def _timeline(page: str, key: str) -> list[str]:
    """Each value the timeline gives ``key``, newest first."""
    timeline = page[page.index('id="timeline"') :]
    return re.findall(rf'__key">{re.escape(key)}</dt>\s*<dd class="govuk-summary-list__value">([^<]*)</dd>', timeline)


def test_the_case_page_names_earlier_entries_as_staff_know_them(sqlite_services: Services) -> None:
    """From a new user's walk: the timeline read "Proposal 7" and "Intervention 12", the interventions "(no. 12)",
    the proposals "(version 7)" and "Given by … at version 9": version numbers, as if staff knew them. A proposal
    is named by its kind, days and dates, an intervention by its name and the day it was planned, a view by its day,
    as the forms that choose them name them, any other entry by its form and time; the auditor's page keeps the version
    beside the intervention."""
    svc = sqlite_services
    dsl = principal(svc, "dsl")
    pupil = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 94), "given_name": "Ada", "family_name": "Dated",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    svc.pupils.record_episode(dsl, pupil.id, {"plan": "cin", "start_date": "2025-01-01", "social_worker": "sw"})
    who = {"dsl": dsl, "senco": principal(svc, "senco"), "mhl": principal(svc, "mhl"), "sw": principal(svc, "sw")}
    case_id = walk(svc, who, pupil.id, "evaluation", services_today(svc))

    def act(user: str, action: str, data: dict[str, object]) -> int:
        return svc.cases.act(principal(svc, user), case_id, action, svc.store.current_version(case_id), data)[0].version

    weekday = next(d for d in (services_today(svc) + timedelta(days=n) for n in range(1, 8)) if d.weekday() < 5)
    proposal = act("slt", "propose_suspension", {"days": 1, "start_date": weekday.isoformat(), "reason": "Fight."})
    events = {e.version: e for e in svc.store.load(case_id)}
    proposed = events[proposal].occurred_at
    awaiting = _signed_in(svc, "dsl").get(f"/cases/{case_id}").get_data(as_text=True)
    assert f"The suspension from {long_date(weekday)} awaits the social worker&#39;s view." in awaiting
    view = act("sw", "add_contribution", {"kind": "exclusion_view", "proposal": proposal, "contribution": "Wait, please."})
    act(
        "head", "decide_suspension", {"proposal": proposal, "decision": "suspend", "reasons": "As the behaviour policy sets out."}
    )
    meeting = next(e for e in svc.store.load(case_id) if e.event_type == "MeetingRecorded")
    act("dsl", "record_correction", {"corrects": meeting.version, "correction": "Jo Evans sent apologies."})
    events = {e.version: e for e in svc.store.load(case_id)}

    page = _signed_in(svc, "dsl").get(f"/cases/{case_id}?timeline=all").get_data(as_text=True)
    corrected = f"Record a meeting, {long_time(meeting.occurred_at)}, by dsl as DSL"  # as the correction's list names it
    assert _timeline(page, "Corrects") == [corrected]
    on = {version: long_date(london_date(event.occurred_at)) for version, event in events.items()}
    assert not re.findall(r"at version|\(version|\(no\. |Proposal \d", page)
    assert _timeline(page, "Proposal") == [f"Suspension of 1 day from {long_date(weekday)} (proposed {long_time(proposed)})"] * 2
    planned = {e.data["intervention"]: on[v] for v, e in events.items() if e.event_type == "InterventionPlanned"}
    outcomes = [v for v in _timeline(page, "Intervention") if v not in planned]  # each planning names its own
    assert sorted(outcomes) == sorted(f"{name} (planned {day})" for name, day in planned.items())
    assert f"Suspension of 1 day from {long_date(weekday)}, proposed by slt on {on[proposal]}" in page
    assert f"Given by sw as Social worker on {on[view]}" in page
    interventions = page[page.index('id="interventions"') : page.index("</table>", page.index('id="interventions"'))]
    assert all(f'{name} <span class="govuk-body-s">(planned {day})</span>' in interventions for name, day in planned.items())
    decided = f"The suspension from {long_date(weekday)}, decided on {on[proposal + 2]}: no notice recorded yet to"
    assert decided in page

    audit = _signed_in(svc, "auditor").get(f"/audit/cases/{case_id}").get_data(as_text=True)
    kept = [v for v, e in events.items() if e.event_type == "InterventionPlanned"]
    assert all(f'<span class="govuk-body-s">(planned at version {v})</span>' in audit for v in kept)


def test_a_file_sent_and_a_social_care_plan_are_named_without_their_numbers(sqlite_services: Services) -> None:
    svc = sqlite_services
    dsl = principal(svc, "dsl")
    pupil = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 95), "given_name": "Bo", "family_name": "Sent",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    svc.pupils.record_episode(dsl, pupil.id, {"plan": "cin", "start_date": "2025-01-01", "social_worker": "sw"})
    who = {"dsl": dsl, "senco": principal(svc, "senco"), "mhl": principal(svc, "mhl"), "sw": principal(svc, "sw")}
    today = services_today(svc)
    case_id = walk(svc, who, pupil.id, "closed", today)
    client = _signed_in(svc, "dsl")
    page = client.get(f"/cases/{case_id}?timeline=all").get_data(as_text=True)
    assert _timeline(page, "Transfer") == [f"Sent to Riverside Academy on {long_date(today)}"]
    sent = page[page.index('id="cp-file-sent"') : page.index("</ul>", page.index('id="cp-file-sent"'))]
    assert "recorded by dsl:" in sent  # who recorded it, and no version
    assert not re.findall(r"\(version|\(no\. ", page)
    record = client.get(f"/pupils/{pupil.id}").get_data(as_text=True)
    assert "(no. " not in record and "CIN" in record
