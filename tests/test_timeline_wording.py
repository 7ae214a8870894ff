"""Trying the pages as a new user: the timeline showed a meeting's "Aspirations discussed: True", its attendees'
agencies and a case's need areas as stored codes ("social_care", "attendance; semh"). It reads them as the
rest of the page does: yes or no, and codes as the school writes them."""

from __future__ import annotations

import re
from datetime import timedelta

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn, walk
from tests.conftest import SCHOOL, principal


def test_the_timeline_reads_yes_no_and_codes_as_words(sqlite_services: Services) -> None:
    svc = sqlite_services
    dsl = principal(svc, "dsl")
    pupil = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 91), "given_name": "Ola", "family_name": "Words",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    who = {"dsl": dsl, "senco": principal(svc, "senco"), "mhl": principal(svc, "mhl")}
    case_id = walk(svc, who, pupil.id, "multi_agency_review", svc.cases.clock().date())
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": "dsl", "password": "correct horse battery"}).status_code == 302
    page = client.get(f"/cases/{case_id}?timeline=all").get_data(as_text=True)
    timeline = page[page.index('id="timeline"') :]
    values = dict(re.findall(r'__key">([^<]*)</dt>\s*<dd class="govuk-summary-list__value">([^<]*)</dd>', timeline))
    assert values["Aspirations discussed"] == "Yes"
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

    weekday = next(d for d in (svc.cases.clock().date() + timedelta(days=n) for n in range(1, 8)) if d.weekday() < 5)
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
    today = svc.cases.clock().date().isoformat()
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
    assert "sw (Social worker)" in row and "Suspend at version" in row and "Social worker told " in row
    assert "social_worker" not in row and "social worker)" not in row
