"""support_journey@11: dates a DSL, a head or an auditor would expect, found in earlier reviews.

A head could record a decision dated before the proposal it decides (the form's "Date of the decision", the API's
``occurred_at``), and a view on a proposal could be dated before it too (through the API). A contact with the family
could be logged on a day to come, and an intervention's review planned two years away. And a day typed into "Date of
the proposal" or "Date of the decision" was recorded at 12:00 in England, which the timeline then showed as the time
it happened.

Version 11 refuses a decision or a view dated before its proposal (on the date it gives), a contact after today (on
its date) and a review more than a year away (reviews are termly, or at least three times a year: domain facts,
section 7). An event whose day was given without its time of day holds that day (``occurred_on`` in its data) beside
the moment it is placed at, and the timeline shows the day alone. Version 10 is pinned as released, and what was
recorded under it stays as it was."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn, walk
from caseflow.domain.case import OCCURRED_ON, SupportCase
from caseflow.domain.errors import GuardFailed
from caseflow.domain.events import LONDON
from caseflow.domain.guards import CaseContext
from caseflow.domain.roles import Actor
from caseflow.domain.workflow import Workflow
from tests.conftest import SCHOOL, Clock, Database, _services, principal, seed_people
from tests.journey_helpers import INTERVENTION, WORKFLOW, case_at, stored
from tests.test_rules_on_their_fields import _client
from workflows import CURRENT, REGISTRY

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # a Monday
TODAY = NOW.date()
VERSION_10 = Workflow(REGISTRY["support_journey@10"])
#: proposed today, to start tomorrow (a Tuesday)
TOMORROW = {"days": 2, "start_date": "2026-12-08", "reason": "Fight in the playground."}
SUSPEND = {"decision": "suspend", "reasons": "Physical aggression, as the behaviour policy sets out."}
EARLIER = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
PROPOSED_ON = "The decision cannot be dated before the proposal: it was proposed on 7 December 2026."
VIEWED_ON = "The view cannot be dated before the proposal it answers: it was proposed on 7 December 2026."


def _decide(
    case: SupportCase, action: str, role: str, data: dict[str, Any], when: datetime, workflow: Workflow = WORKFLOW
) -> SupportCase:
    new = workflow.decide(case, action, Actor(role, role), data, CaseContext(today=TODAY), when)
    case.apply(stored(case, new))
    return case


def _proposed(kind: str = "suspension") -> tuple[SupportCase, int]:
    case = case_at("one_plan", CaseContext(today=TODAY))
    data = TOMORROW if kind == "suspension" else {"start_date": "2026-12-08", "reason": "Serious assault."}
    _decide(case, f"propose_{kind}", "slt", data, NOW)
    return case, case.version


# --- the rules, in the domain ---------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["suspension", "exclusion"])
@pytest.mark.parametrize("decision", ["decide", "withdraw"])
def test_a_decision_dated_before_its_proposal_is_refused_on_its_date(kind: str, decision: str) -> None:
    case, proposal = _proposed(kind)
    data = {"proposal": proposal, "decision": "withdraw"} if decision == "withdraw" else {
        **SUSPEND, "decision": "suspend" if kind == "suspension" else "exclude", "proposal": proposal
    }  # fmt: skip
    with pytest.raises(GuardFailed) as refused:
        _decide(case, f"decide_{kind}", "headteacher", data, EARLIER)
    assert [(u.code, u.field, u.message) for u in refused.value.unmet] == [
        ("decided_before_proposed", "occurred_at", PROPOSED_ON)
    ]
    _decide(case, f"decide_{kind}", "headteacher", data, NOW)  # on the day it was proposed: taken
    assert case.proposals()[0]["decision"]["decided_on"] == "2026-12-07"
    again, proposal = _proposed(kind)
    _decide(again, f"decide_{kind}", "headteacher", {**data, "proposal": proposal}, EARLIER, VERSION_10)  # as 10 took it


def test_a_view_dated_before_the_proposal_it_answers_is_refused_on_its_date() -> None:
    case, proposal = _proposed()
    view = {"kind": "exclusion_view", "proposal": proposal, "contribution": "Please try a reduced day first."}
    with pytest.raises(GuardFailed) as refused:
        _decide(case, "add_contribution", "social_worker", view, EARLIER)
    assert [(u.code, u.field, u.message) for u in refused.value.unmet] == [("viewed_before_proposed", "occurred_at", VIEWED_ON)]
    other = {"kind": "social_care_view", "contribution": "Mornings at home remain chaotic."}
    _decide(case, "add_contribution", "social_worker", other, EARLIER)  # a view on the child, not on the proposal
    _decide(case, "add_contribution", "social_worker", view, NOW)
    again, proposal = _proposed()
    _decide(again, "add_contribution", "social_worker", {**view, "proposal": proposal}, EARLIER, VERSION_10)


def test_a_contact_with_the_family_after_today_is_refused_on_its_date() -> None:
    case = case_at("one_plan", CaseContext(today=TODAY))
    contact = {"method": "phone", "summary": "Called mum about mornings."}
    with pytest.raises(GuardFailed) as refused:
        _decide(case, "log_family_contact", "dsl", {**contact, "date": "2026-12-08"}, NOW)
    assert [(u.code, u.field, u.message) for u in refused.value.unmet] == [
        ("date_in_future", "date", "The contact date cannot be in the future.")
    ]
    with pytest.raises(GuardFailed) as mistyped:
        _decide(case, "log_family_contact", "dsl", {**contact, "date": "1026-12-07"}, NOW)
    assert [(u.code, u.field) for u in mistyped.value.unmet] == [("date_out_of_range", "date")]
    _decide(case, "log_family_contact", "dsl", {**contact, "date": "2026-12-07"}, NOW)
    _decide(case, "log_family_contact", "dsl", {**contact, "date": "2026-09-01"}, NOW)
    _decide(case, "log_family_contact", "dsl", {**contact, "date": "2026-12-08"}, NOW, VERSION_10)  # as 10 took it


@pytest.mark.parametrize("action", ["plan_intervention", "continue_intervention"])
def test_a_review_more_than_a_year_away_is_refused_on_its_date(action: str) -> None:
    ctx = CaseContext(today=TODAY)
    case = case_at("evaluation") if action == "continue_intervention" else case_at("one_plan", ctx)
    if action == "continue_intervention":
        _decide(case, "record_evaluation", "dsl", {"verdict": "partly_effective", "summary": "Better mornings."}, NOW)
    data = {**INTERVENTION} if action == "plan_intervention" else {}
    far = (TODAY + timedelta(days=400)).isoformat()
    with pytest.raises(GuardFailed) as refused:
        _decide(case, action, "dsl", {**data, "review_date": far}, NOW)
    [unmet] = refused.value.unmet
    assert (unmet.code, unmet.field) == ("review_too_far", "review_date")
    assert unmet.message == (
        "The review date is more than a year away: reviews are held termly, or at least three times a year. "
        "Give a date no later than 7 December 2027."
    )
    with pytest.raises(GuardFailed) as mistyped:  # a year mistyped is told once, as before
        _decide(case, action, "dsl", {**data, "review_date": "3026-12-07"}, NOW)
    assert [u.code for u in mistyped.value.unmet] == ["date_out_of_range"]
    before = case.version
    _decide(case, action, "dsl", {**data, "review_date": "2027-12-07"}, NOW)
    assert case.version == before + 1
    if action == "plan_intervention":
        _decide(case, action, "dsl", {**data, "review_date": far}, NOW, VERSION_10)  # as version 10 took it


# --- the released version ---------------------------------------------------------------------------
def test_version_10_is_kept_as_released() -> None:
    released = json.loads((Path(__file__).parent / "data" / "support_journey_v10.json").read_text())
    assert REGISTRY["support_journey@10"] == released
    assert CURRENT == "support_journey@11"
    now = {a["name"]: a for a in REGISTRY[CURRENT]["actions"]}
    then = {a["name"]: a for a in released["actions"]}
    assert now.keys() == then.keys()
    added = {
        "decide_suspension": ["decided_from_its_proposal"],
        "decide_exclusion": ["decided_from_its_proposal"],
        "add_contribution": ["viewed_from_its_proposal"],
        "log_family_contact": ["not_in_the_future", "date_in_range"],
        "plan_intervention": ["review_within_a_year"],
        "continue_intervention": ["review_within_a_year"],
    }
    assert {name for name in then if now[name] != then[name]} == {*added, "record_reasonable_adjustment", "record_correction"}
    corrects = now["record_correction"]["fields"]["corrects"]  # words only: chosen from the entries, not typed
    assert corrects == {**then["record_correction"]["fields"]["corrects"], "label": "The entry to correct"}
    assert now["record_correction"] == {**then["record_correction"], "fields": {**then["record_correction"]["fields"], "corrects": corrects}}
    adjustment_now, adjustment_then = now["record_reasonable_adjustment"], then["record_reasonable_adjustment"]
    assert "class teachers see this" in adjustment_now["fields"]["adjustment"]["help"]
    assert {**adjustment_now["fields"]["adjustment"], "help": ""} == {**adjustment_then["fields"]["adjustment"], "help": ""}
    assert {**adjustment_now, "fields": {}} == {**adjustment_then, "fields": {}}
    assert {**adjustment_now["fields"], "adjustment": None} == {**adjustment_then["fields"], "adjustment": None}
    replaced = {"social_worker_heard": "social_worker_heard_by_then"}  # the view given by the decision's day
    for name, guards in added.items():
        assert now[name]["guards"] == [*(replaced.get(g, g) for g in then[name].get("guards", [])), *guards]
        assert {k: v for k, v in now[name].items() if k != "guards"} == {k: v for k, v in then[name].items() if k != "guards"}


# --- through the service, the pages and the API -----------------------------------------------------
@pytest.fixture
def svc(database: Database) -> Iterator[Services]:
    services = _services(database, Clock(NOW))
    seed_people(services)
    yield services
    services.close()


def _case(svc: Services, serial: int) -> str:
    pupil = svc.pupils.register(
        principal(svc, "dsl"),
        {"upn": make_upn("881", "2001", 2019, serial), "given_name": "Ben", "family_name": "Carter",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    ).id  # fmt: skip
    who = {name: principal(svc, name) for name in ("dsl", "senco", "mhl", "sw")}
    return walk(svc, who, pupil, "one_plan", TODAY)  # type: ignore[arg-type]


def _errors(body: str) -> dict[str, str]:
    return {name: unescape(text).strip() for name, text in re.findall(r'id="([a-z_]+)-error">(.*?)</p>', body, re.S)}


def _entry(page: str, version: int) -> str:
    found = re.search(rf'<li class="caseflow-timeline__item" id="event-{version}">.*?</li>', page, re.S)
    assert found is not None
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", found.group(0))).split())


def test_the_decision_form_tells_a_date_before_the_proposal_on_its_box_and_writes_nothing(svc: Services) -> None:
    case_id = _case(svc, 61)
    version = svc.store.current_version(case_id)
    proposal = svc.cases.act(principal(svc, "slt"), case_id, "propose_suspension", version, TOMORROW)[0].version
    form = {"expected_version": proposal, "proposal": proposal, **SUSPEND, "occurred_at": "03/12/2026"}
    sent = _client(svc, "head").post(f"/cases/{case_id}/actions/decide_suspension", data=form)
    body = sent.get_data(as_text=True)
    assert sent.status_code == 422 and 'href="#occurred_at"' in body
    assert _errors(body)["occurred_at"].endswith(PROPOSED_ON)
    assert svc.store.current_version(case_id) == proposal


def test_a_day_given_without_its_time_is_recorded_as_a_day_and_shown_as_one(svc: Services) -> None:
    case_id = _case(svc, 62)
    version = svc.store.current_version(case_id)
    slt = _client(svc, "slt")
    sent = slt.post(
        f"/cases/{case_id}/actions/propose_suspension",
        data={
            "expected_version": version,
            "days": "2",
            "start_date": "08/12/2026",
            "reason": "Fight.",
            "occurred_at": "03/12/2026",
        },
    )
    assert sent.status_code == 302, sent.get_data(as_text=True)
    proposed = svc.store.load(case_id)[-1]
    # who, in which role, when it happened (the day given, placed at midday in England), when written, under which version
    assert (proposed.actor, proposed.role, proposed.workflow_version) == ("slt", "slt", "support_journey@11")
    assert proposed.occurred_at == datetime(2026, 12, 3, 12, 0, tzinfo=LONDON) and proposed.recorded_at == NOW
    assert proposed.data[OCCURRED_ON] == "2026-12-03"
    head = _client(svc, "head")
    form = {"expected_version": proposed.version, "proposal": proposed.version, **SUSPEND, "occurred_at": "04/12/2026"}
    assert head.post(f"/cases/{case_id}/actions/decide_suspension", data=form).status_code == 302
    decided = svc.store.load(case_id)[-1]
    assert decided.data[OCCURRED_ON] == "2026-12-04"
    page = head.get(f"/cases/{case_id}").get_data(as_text=True)
    shown = _entry(page, decided.version)
    assert re.search(r"Decision on 4 December 2026 \(recorded by .+, 7 December 2026, 10:00\)", shown), shown
    assert "12:00" not in shown and "Occurred on" not in shown
    assert re.search(r"Proposed on 3 December 2026 \(recorded by .+, 7 December 2026, 10:00\)", _entry(page, proposed.version))
    # where the time is real, it is kept
    svc.cases.act(principal(svc, "dsl"), case_id, "record_pupil_voice", decided.version, {"voice": "Mornings are hard."})
    voice = svc.store.load(case_id)[-1]
    assert OCCURRED_ON not in voice.data
    assert "happened 7 December 2026, 10:00" in _entry(
        _client(svc, "dsl").get(f"/cases/{case_id}").get_data(as_text=True), voice.version
    )
    named = head.get(f"/cases/{case_id}/actions/record_decision_notice").get_data(as_text=True)
    assert "(proposed 3 December 2026)" in unescape(named) and "3 December 2026, 12:00" not in named


def test_the_api_takes_a_day_alone_as_the_day_it_happened_and_a_time_as_its_time(svc: Services) -> None:
    case_id = _case(svc, 63)
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test"})
    client = app.test_client()
    auth = {"Authorization": f"Bearer {svc.accounts.issue_token('slt')}"}
    path = f"/api/v1/cases/{case_id}/actions/propose_suspension"
    version = svc.store.current_version(case_id)
    day = client.post(path, json={"expected_version": version, "occurred_at": "2026-12-03", "data": TOMORROW}, headers=auth)
    assert day.status_code == 201, day.get_json()
    assert day.get_json()["event"]["data"][OCCURRED_ON] == "2026-12-03"
    timed = client.post(
        path, json={"expected_version": version + 1, "occurred_at": "2026-12-04T09:30:00Z",
                    "data": {**TOMORROW, "start_date": "2026-12-10"}}, headers=auth,
    )  # fmt: skip
    assert timed.status_code == 201, timed.get_json()
    assert OCCURRED_ON not in timed.get_json()["event"]["data"]
    events = client.get(f"/api/v1/cases/{case_id}/events", headers=auth).get_json()["events"]
    assert [e["occurred_at"] for e in events[-2:]] == ["2026-12-03T12:00:00.000000Z", "2026-12-04T09:30:00.000000Z"]
    ahead = client.post(path, json={"expected_version": version + 2, "occurred_at": "2026-12-08", "data": TOMORROW}, headers=auth)
    assert ahead.status_code == 422 and [u["code"] for u in ahead.get_json()["unmet"]] == ["occurred_in_future"]
    view = {"kind": "exclusion_view", "proposal": version + 1, "contribution": "Please try a reduced day first."}
    dsl = {"Authorization": f"Bearer {svc.accounts.issue_token('dsl')}"}
    early = client.post(
        f"/api/v1/cases/{case_id}/actions/add_contribution",
        json={"expected_version": version + 2, "occurred_at": "2026-12-02", "data": view}, headers=dsl,
    )  # fmt: skip
    assert early.status_code == 422
    assert [(u["code"], u.get("field")) for u in early.get_json()["unmet"]] == [("viewed_before_proposed", "occurred_at")]
    assert "proposed on 3 December 2026" in early.get_json()["unmet"][0]["message"]


def test_a_day_given_as_today_is_placed_no_later_than_now(svc: Services) -> None:
    """At 10:00, midday is still to come: the day is kept, placed at the moment it was recorded."""
    case_id = _case(svc, 64)
    version = svc.store.current_version(case_id)
    svc.cases.act(principal(svc, "slt"), case_id, "propose_suspension", version, TOMORROW, TODAY)
    proposed = svc.store.load(case_id)[-1]
    assert proposed.occurred_at == NOW and proposed.data[OCCURRED_ON] == "2026-12-07"


def test_the_auditor_sees_the_day_alone_where_no_time_was_given(svc: Services) -> None:
    case_id = _case(svc, 65)
    version = svc.store.current_version(case_id)
    svc.cases.act(principal(svc, "slt"), case_id, "propose_suspension", version, TOMORROW, date(2026, 12, 3))
    page = unescape(_client(svc, "auditor").get(f"/audit/cases/{case_id}").get_data(as_text=True))
    assert "3 December 2026 (no time of day given)" in page and "3 December 2026, 12:00" not in page


def test_a_contact_after_today_is_told_on_the_form(svc: Services) -> None:
    case_id = _case(svc, 66)
    version = svc.store.current_version(case_id)
    form = {"expected_version": version, "date": "08/12/2026", "method": "phone", "summary": "Called mum."}
    sent = _client(svc, "dsl").post(f"/cases/{case_id}/actions/log_family_contact", data=form)
    assert sent.status_code == 422 and _errors(sent.get_data(as_text=True))["date"].endswith(
        "Error:</span> The contact date cannot be in the future."
    )
    assert svc.store.current_version(case_id) == version


def test_the_day_an_event_holds_is_no_field_of_an_action() -> None:
    """The engine writes it, as it writes the steps a transition moves between: a field of that name would be read as
    the day given."""
    field = {"type": "date", "label": "Day"}
    broken = {**REGISTRY[CURRENT], "actions": [{**REGISTRY[CURRENT]["actions"][1], "fields": {OCCURRED_ON: field}}]}
    with pytest.raises(ValueError, match="reserved"):
        Workflow(broken)


# --- the social worker heard before the decision, not after it (the seventh walk) -------------------
def test_a_decision_dated_before_the_social_worker_s_view_was_given_did_not_wait_for_it() -> None:
    """The seventh walk: proposed on 3 December, the social worker's view given on the 7th, and the head's decision
    dated the 4th, which version 11 took as having heard the social worker. A view counts for a decision only if it
    was given by the day of the decision; one given later asks for the reason the decision could not wait."""
    heard = CaseContext(today=TODAY, cohort_status="open", open_plan="cin", allocated_social_workers=frozenset({"sw"}))

    def decide(case: SupportCase, action: str, role: str, data: dict[str, Any], when: datetime, workflow: Workflow = WORKFLOW) -> None:
        new = workflow.decide(case, action, Actor(role if role != "social_worker" else "sw", role), data, heard, when)
        case.apply(stored(case, new))

    def proposed_on_the_3rd() -> tuple[SupportCase, int]:
        case = case_at("one_plan", heard)
        decide(case, "propose_suspension", "slt", TOMORROW, datetime(2026, 12, 3, 12, 0, tzinfo=UTC))
        return case, case.version

    case, proposal = proposed_on_the_3rd()
    view = {"kind": "exclusion_view", "proposal": proposal, "contribution": "Please try a reduced day first."}
    decide(case, "add_contribution", "social_worker", view, NOW)  # given on the 7th
    decision = {**SUSPEND, "proposal": proposal}
    on_the_4th = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    with pytest.raises(GuardFailed) as refused:
        decide(case, "decide_suspension", "headteacher", decision, on_the_4th)
    assert "social_worker_view" in {u.code for u in refused.value.unmet}
    decide(case, "decide_suspension", "headteacher", decision, NOW)  # decided once it was heard: taken
    assert case.proposals()[0]["decision"]["override"] is False
    earlier, proposal = proposed_on_the_3rd()
    decide(earlier, "add_contribution", "social_worker", {**view, "proposal": proposal}, datetime(2026, 12, 3, 15, 0, tzinfo=UTC))
    decide(earlier, "decide_suspension", "headteacher", {**SUSPEND, "proposal": proposal}, on_the_4th)  # heard on the 3rd
    as_10, proposal = proposed_on_the_3rd()
    decide(as_10, "add_contribution", "social_worker", {**view, "proposal": proposal}, NOW)
    decide(as_10, "decide_suspension", "headteacher", {**SUSPEND, "proposal": proposal}, on_the_4th, VERSION_10)


def test_the_social_worker_dates_a_view_given_on_an_earlier_day_and_the_decision_counts_it(svc: Services) -> None:
    """The seventh walk: the view's form had no date box, so a view given by phone on the 3rd was dated the day it
    was typed in, after a decision dated the 4th."""
    case_id = _case(svc, 71)
    pupil_id = svc.reads.pupil_id_for_upn(make_upn("881", "2001", 2019, 71))
    svc.pupils.record_episode(principal(svc, "dsl"), pupil_id, {"plan": "cin", "start_date": "2025-01-06", "social_worker": "sw"})
    proposal = svc.cases.act(
        principal(svc, "slt"), case_id, "propose_suspension", svc.store.current_version(case_id), TOMORROW, EARLIER
    )[0].version  # proposed on the 3rd
    client = _client(svc, "sw")
    path = f"/cases/{case_id}/actions/add_contribution?kind=exclusion_view&proposal={proposal}"
    form = client.get(path).get_data(as_text=True)
    assert "Date it was given" in form
    sent = client.post(path, data={"kind": "exclusion_view", "proposal": str(proposal), "contribution": "Reduced day first.",
                                   "occurred_at": "4/12/2026", "expected_version": str(proposal)})  # fmt: skip
    assert sent.status_code == 302, _errors(sent.get_data(as_text=True))
    [given] = svc.cases.view(principal(svc, "head"), case_id).case.proposals()[0]["views"]
    assert given["given_on"] == "2026-12-04"
    decision = {**SUSPEND, "proposal": proposal}  # decided on the 5th, the view given on the 4th: heard, no override
    svc.cases.act(principal(svc, "head"), case_id, "decide_suspension", svc.store.current_version(case_id), decision,
                  datetime(2026, 12, 5, 12, 0, tzinfo=UTC))  # fmt: skip
