"""From the third new user's walk: the auditor's page of a case did not say whose case it was, and its access
log said "refused" for a form sent with a wrong value as for a role not permitted; the governors' report, the
cohort dashboard and the due list named the school by its number; a teacher who raised a need was told "The
case is open" above "There are no cases for you to see"."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn
from caseflow.domain.errors import GuardFailed, InvalidData
from tests.conftest import SCHOOL, principal
from tests.journey_helpers import weekday_to_come


def _client(svc: Services, username: str) -> FlaskClient:
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": "correct horse battery"}).status_code == 302
    return client


def _pupil(svc: Services) -> str:
    return svc.pupils.register(
        principal(svc, "dsl"),
        {"upn": make_upn("881", "2001", 2019, 88), "given_name": "Wren", "family_name": "Whose",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    ).id  # fmt: skip


def test_the_auditor_sees_whose_case_it_is_and_each_outcome_in_words(sqlite_services: Services) -> None:
    svc = sqlite_services
    case_id = svc.cases.open_case(
        principal(svc, "dsl"), {"pupil_id": _pupil(svc), "need_areas": ["attendance"], "description": "x"}
    ).id
    with pytest.raises(InvalidData):
        svc.cases.act(principal(svc, "dsl"), case_id, "record_meeting", 1, {"date": "not a date"})
    page = _client(svc, "auditor").get(f"/audit/cases/{case_id}").get_data(as_text=True)
    caption = page[page.index('id="whose-case"') :]
    assert caption.startswith('id="whose-case">Wren Whose · case opened on ')
    log = page[page.index('id="access-log"') :]
    assert "Refused: what was entered for “Date of the meeting” and “Attendees” was missing or not valid" in log
    assert "Done" in log and '<td class="govuk-table__cell">refused</td>' not in log


def test_the_auditor_reads_what_a_refusal_was_about(sqlite_services: Services) -> None:
    """From the fourth new user's walk: a refusal read "Refused: a value or a rule of the form", and an auditor could
    not tell what had been refused. The log line keeps the fields whose values were not valid, or the rule's words:
    the page names them, each field as its form labels it."""
    svc = sqlite_services
    dsl = principal(svc, "dsl")
    case_id = svc.cases.open_case(dsl, {"pupil_id": _pupil(svc), "need_areas": ["attendance"], "description": "x"}).id
    with pytest.raises(InvalidData):
        svc.cases.act(dsl, case_id, "log_family_contact", 1, {"date": "2026-11-02", "method": "phone"})
    future = svc.cases.clock() + timedelta(days=3)
    with pytest.raises(GuardFailed):
        svc.cases.act(dsl, case_id, "start_one_plan", 1, {}, occurred_at=future)
    svc.audit.record(username="dsl", role="dsl", action="record_meeting", outcome="refused", case_id=case_id)  # no detail
    page = _client(svc, "auditor").get(f"/audit/cases/{case_id}").get_data(as_text=True)
    outcomes = re.findall(r'<td class="govuk-table__cell">(Refused[^<]*)</td>', page[page.index('id="access-log"') :])
    assert [html.unescape(o) for o in outcomes] == [
        "Refused: what was entered was not accepted (the person was told why)",
        "Refused by the rules: When it happened cannot be in the future.",
        "Refused: what was entered for “Summary” was missing or not valid",
    ]  # newest first


def test_the_school_is_named_by_its_name(sqlite_services: Services) -> None:
    svc = sqlite_services
    for who, address in [
        ("governor", f"/reports/governors?school_urn={SCHOOL}"),
        ("dsl", "/cohort"),
        ("dsl", "/due"),
        ("dsl", f"/terms?school_urn={SCHOOL}"),
        ("dsl", f"/self-assessment?school_urn={SCHOOL}"),
        ("dsl", f"/self-assessment/1?school_urn={SCHOOL}"),
    ]:
        page = _client(svc, who).get(address).get_data(as_text=True)
        assert f"Oakfield Primary School ({SCHOOL})" in page, address
        assert f">School {SCHOOL}" not in page, address


def test_a_teacher_raising_a_need_is_told_who_takes_it_from_there(sqlite_services: Services) -> None:
    svc = sqlite_services
    pupil_id = _pupil(svc)
    client = _client(svc, "teacher")
    page = client.get("/").get_data(as_text=True)
    assert 'id="raise-only"' in page and "There are no cases for you to see" not in page and "My classes</a>" in page
    form = client.get("/cases/new").get_data(as_text=True)  # the sixth walk: a teacher opens no case
    assert ">Send it to the safeguarding team</button>" in form and "Open the case" not in form
    assert ">Open the case</button>" in _client(svc, "dsl").get("/cases/new").get_data(as_text=True)
    missing = client.get("/cases/nowhere").get_data(as_text=True)
    assert "Go to your first page" in missing and "Go to your cases" not in missing, "a teacher has no cases"
    need = {"pupil_id": pupil_id, "need_areas": ["attendance"], "description": "Often late, tired."}
    raised = client.post("/cases/new", data=need, follow_redirects=True).get_data(as_text=True)
    assert "The designated safeguarding lead sees it now" in raised and "The case is open." not in raised


def test_a_list_with_one_entry_to_choose_has_it_chosen(sqlite_services: Services) -> None:
    """The receipt's sending was not chosen from the 'Record something' list even when there was only one."""
    svc = sqlite_services
    case_id = svc.cases.open_case(
        principal(svc, "dsl"), {"pupil_id": _pupil(svc), "need_areas": ["behaviour"], "description": "x"}
    ).id
    version = svc.store.current_version(case_id)
    svc.cases.act(principal(svc, "dsl"), case_id, "start_one_plan", version, {})
    data = {"days": 1, "start_date": weekday_to_come(7).isoformat(), "reason": "Fight."}
    proposal = svc.cases.act(principal(svc, "slt"), case_id, "propose_suspension", version + 1, data)[0].version
    page = _client(svc, "head").get(f"/cases/{case_id}/actions/decide_suspension").get_data(as_text=True)
    assert re.search(rf'<option selected value="{proposal}"|<option value="{proposal}" selected', page)
    data = {"days": 2, "start_date": weekday_to_come(14).isoformat(), "reason": "Another fight."}
    svc.cases.act(principal(svc, "slt"), case_id, "propose_suspension", proposal, data)
    page = _client(svc, "head").get(f"/cases/{case_id}/actions/decide_suspension").get_data(as_text=True)
    listed = page[page.index('name="proposal"') : page.index("</select>", page.index('name="proposal"'))]
    assert '<option selected value="">Choose…</option>' in listed and listed.count("selected") == 1, "two: none chosen"


def test_a_view_on_a_suspension_is_not_called_an_exclusion_view(sqlite_services: Services) -> None:
    svc = sqlite_services
    case_id = svc.cases.open_case(
        principal(svc, "dsl"), {"pupil_id": _pupil(svc), "need_areas": ["behaviour"], "description": "x"}
    ).id
    page = _client(svc, "dsl").get(f"/cases/{case_id}/actions/add_contribution").get_data(as_text=True)
    assert ">View on a proposed suspension or exclusion</option>" in page and "Exclusion view" not in page


def test_the_box_the_file_needs_ticked_says_so() -> None:
    from workflows import CURRENT, REGISTRY

    (sending,) = [a for a in REGISTRY[CURRENT]["actions"] if a["name"] == "record_file_transfer"]
    assert sending["fields"]["sent_separately"]["help"].startswith("Tick to confirm")


def test_record_something_offers_no_form_that_must_name_an_entry_the_case_has_not(sqlite_services: Services) -> None:
    """The 'Record something' list offered the follow-ups of a suspension (its notices, its cancellation, the
    board's review) when there was none to name."""
    svc = sqlite_services
    case_id = svc.cases.open_case(
        principal(svc, "dsl"), {"pupil_id": _pupil(svc), "need_areas": ["behaviour"], "description": "x"}
    ).id
    svc.cases.act(principal(svc, "dsl"), case_id, "start_one_plan", 1, {})

    def offered() -> str:
        page = _client(svc, "head").get(f"/cases/{case_id}").get_data(as_text=True)
        return page[page.index("Record something") : page.index('id="timeline"')]

    before = offered()
    for name in ("decide_suspension", "record_decision_notice", "cancel_decision", "record_board_review"):
        assert f"/actions/{name}" not in before, name
    assert "/actions/propose_suspension" in before
    data = {"days": 1, "start_date": weekday_to_come(7).isoformat(), "reason": "Fight."}
    proposal = svc.cases.act(principal(svc, "slt"), case_id, "propose_suspension", 2, data)[0].version
    assert "/actions/decide_suspension" in offered() and "/actions/cancel_decision" not in offered()
    svc.cases.act(
        principal(svc, "head"),
        case_id,
        "decide_suspension",
        proposal,
        {
            "proposal": proposal,
            "decision": "suspend",
            "reasons": "As the behaviour policy sets out.",
            "override_reason": "Risk",
            "notified_social_worker": True,
            "notified_virtual_school": True,
            "notified_la": True,
        },
    )
    after = offered()
    assert (
        "/actions/decide_suspension" not in after
        and "/actions/cancel_decision" in after
        and "/actions/record_decision_notice" in after
    )
