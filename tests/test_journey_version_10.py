"""support_journey@10, from a new user's walk. A DSL gave both the family's views and why they could not be obtained,
and both were kept (the second shown under the raw "Not obtained reason"). A head proposed a suspension of 2 days from
2 November 2026 on 7 December 2026 and decided it, with no word: a suspension cannot start before it is decided. And a
need closed into the pupil's other case said "Case closed into other.", showed the other case as a raw id and still
offered to record the sending of the child protection file, which is the open case's to send.

Version 10 takes the family's views or why they could not be obtained, not both; holds a suspension's or exclusion's
start to the day it is proposed and the day it is decided (a proposal or decision recorded after the day it was made
gives that day: the API's ``occurred_at``, the form's "Date of the proposal" or "Date of the decision"). Version 9 is
pinned as released, and what was recorded under it stays as it was."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn, walk
from caseflow.domain.case import SupportCase
from caseflow.domain.errors import GuardFailed
from caseflow.domain.events import london_date
from caseflow.domain.guards import CaseContext
from caseflow.domain.roles import Actor
from caseflow.domain.workflow import Workflow
from tests.conftest import SCHOOL, Clock, Database, _services, principal, seed_people
from tests.journey_helpers import WORKFLOW, act, case_at, stored
from tests.test_rules_on_their_fields import _client
from workflows import CURRENT, REGISTRY

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # a Monday
TODAY = NOW.date()
VERSION_9 = Workflow(REGISTRY["support_journey@9"])
BOTH = {"views": "Mum says mornings are calmer now.", "not_obtained_reason": "Dad did not answer the phone."}
#: a suspension that had begun before the day the head decided it (the walk's: typed on 7 December 2026)
PAST_START = {"days": 2, "start_date": "2026-11-02", "reason": "Fight in the playground."}
SUSPEND = {"decision": "suspend", "reasons": "Physical aggression, as the behaviour policy sets out."}
#: the day the suspension was in truth proposed and decided, recorded later
DECIDED_ON = datetime(2026, 10, 30, 12, 0, tzinfo=UTC)


# --- the rules, in the domain ---------------------------------------------------------------------
def test_the_family_views_and_why_they_could_not_be_obtained_are_not_both_taken() -> None:
    case = case_at("one_plan")
    with pytest.raises(GuardFailed) as refused:
        act(case, "record_family_views", "dsl", BOTH)
    [unmet] = refused.value.unmet
    assert (unmet.code, unmet.field) == ("views_and_reason", "not_obtained_reason")
    assert "not both" in unmet.message
    with pytest.raises(GuardFailed) as neither:
        act(case, "record_family_views", "dsl", {})
    assert [(u.code, u.field) for u in neither.value.unmet] == [("views_or_reason", "views")]
    act(case, "record_family_views", "dsl", {"not_obtained_reason": "Dad did not answer the phone."})
    act(case, "record_family_views", "dsl", {"views": "Mum says mornings are calmer now."})
    act(case_at("one_plan"), "record_family_views", "dsl", BOTH, workflow=VERSION_9)  # as version 9 took it


@pytest.mark.parametrize("kind", ["suspension", "exclusion"])
def test_a_start_before_the_day_it_is_proposed_is_refused_on_the_start_date(kind: str) -> None:
    ctx = CaseContext(today=TODAY)
    data = PAST_START if kind == "suspension" else {"start_date": "2026-11-02", "reason": "Serious assault."}
    case = case_at("one_plan", ctx)
    with pytest.raises(GuardFailed) as refused:
        _decide(case, f"propose_{kind}", "slt", data, ctx, NOW)
    [unmet] = refused.value.unmet
    noun = "suspension" if kind == "suspension" else "permanent exclusion"
    assert (unmet.code, unmet.field) == ("starts_before_proposed", "start_date")
    assert unmet.message == (
        f"A {noun} cannot start before it is proposed: the start date is 2 November 2026 and the proposal is dated "
        "7 December 2026. If it was proposed earlier, give the day it was proposed."
    )
    _decide(case, f"propose_{kind}", "slt", data, ctx, DECIDED_ON)  # proposed on 30 October: taken
    _decide(case_at("one_plan", ctx), f"propose_{kind}", "slt", data, ctx, NOW, VERSION_9)  # as version 9 took it


def test_a_mistyped_year_is_told_once_as_before() -> None:
    ctx = CaseContext(today=TODAY)
    with pytest.raises(GuardFailed) as refused:
        _decide(case_at("one_plan", ctx), "propose_suspension", "slt", {**PAST_START, "start_date": "1026-11-02"}, ctx, NOW)
    assert [(u.code, u.field) for u in refused.value.unmet] == [("date_out_of_range", "start_date")]


@pytest.mark.parametrize("kind", ["suspension", "exclusion"])
def test_a_start_before_the_day_it_is_decided_is_refused_on_the_proposal(kind: str) -> None:
    ctx = CaseContext(today=TODAY)
    case = case_at("one_plan", ctx)
    data = PAST_START if kind == "suspension" else {"start_date": "2026-11-02", "reason": "Serious assault."}
    proposal = _decide(case, f"propose_{kind}", "slt", data, ctx, DECIDED_ON).version
    decision = {**SUSPEND, "decision": "suspend" if kind == "suspension" else "exclude", "proposal": proposal}
    with pytest.raises(GuardFailed) as refused:
        _decide(case, f"decide_{kind}", "headteacher", decision, ctx, NOW)
    [unmet] = refused.value.unmet
    noun = "suspension" if kind == "suspension" else "permanent exclusion"
    assert (unmet.code, unmet.field) == ("starts_before_decided", "proposal")
    assert unmet.message == (
        f"A {noun} cannot start before it is decided: the start date is 2 November 2026 and the decision is dated "
        "7 December 2026. If the decision was made earlier, give the day it was made."
    )
    _decide(case, f"decide_{kind}", "headteacher", {"proposal": proposal, "decision": "withdraw"}, ctx, NOW, apply=False)
    on_the_day = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # decided the morning it began: taken
    decided = _decide(case, f"decide_{kind}", "headteacher", decision, ctx, on_the_day)
    assert decided.proposals()[0]["decision"]["decided_on"] == "2026-11-02"


def test_a_proposal_of_version_9_is_decided_by_the_rules_of_today() -> None:
    """Each event is decided under the version current when it is taken, and keeps it: the proposal made under
    version 9, starting before it was made, stays recorded; its decision today is judged by version 10."""
    ctx = CaseContext(today=TODAY)
    case = _decide(case_at("one_plan", ctx), "propose_suspension", "slt", PAST_START, ctx, NOW, VERSION_9)
    proposal = case.facts[-1]
    assert proposal.workflow_version == "support_journey@9" and case.proposals()[0]["start_date"] == "2026-11-02"
    with pytest.raises(GuardFailed) as refused:
        _decide(case, "decide_suspension", "headteacher", {**SUSPEND, "proposal": proposal.version}, ctx, NOW)
    assert [u.code for u in refused.value.unmet] == ["starts_before_decided"]


def _decide(
    case: SupportCase, action: str, role: str, data: dict[str, Any], ctx: CaseContext, when: datetime,
    workflow: Workflow = WORKFLOW, *, apply: bool = True,
) -> SupportCase:  # fmt: skip
    """Decide ``action`` as happening ``when`` (the helpers' ``act`` decides all at one moment) and apply it."""
    new = workflow.decide(case, action, Actor(role, role), data, ctx, when)
    if apply:
        case.apply(stored(case, new))
    return case


def test_version_9_is_kept_as_released() -> None:
    released = json.loads((Path(__file__).parent / "data" / "support_journey_v9.json").read_text())
    assert REGISTRY["support_journey@9"] == released
    assert CURRENT == "support_journey@11"  # version 10 is pinned in its turn: tests/test_journey_version_11.py
    now = {a["name"]: a for a in REGISTRY["support_journey@10"]["actions"]}
    then = {a["name"]: a for a in released["actions"]}
    assert now.keys() == then.keys()
    added = {
        "record_family_views": ["views_or_reason_not_both"],
        "propose_suspension": ["starts_from_its_proposal"],
        "propose_exclusion": ["starts_from_its_proposal"],
        "decide_suspension": ["starts_from_its_decision"],
        "decide_exclusion": ["starts_from_its_decision"],
    }
    assert {name for name in then if now[name] != then[name]} == set(added)
    for name, guards in added.items():
        assert now[name]["guards"] == [*then[name]["guards"], *guards]
        assert {k: v for k, v in now[name].items() if k not in ("guards", "fields")} == {
            k: v for k, v in then[name].items() if k not in ("guards", "fields")
        }
    worded = now["record_family_views"]["fields"]
    assert worded["not_obtained_reason"]["label"] == "Why the family's views could not be obtained"
    assert worded == {**then["record_family_views"]["fields"], "not_obtained_reason": worded["not_obtained_reason"]}
    assert all(now[name]["fields"] == then[name]["fields"] for name in added if name != "record_family_views")


# --- through the service, the pages and the API -----------------------------------------------------
@pytest.fixture
def svc(database: Database) -> Iterator[Services]:
    services = _services(database, Clock(NOW))
    seed_people(services)
    yield services
    services.close()


def _pupil(svc: Services, serial: int, given: str = "Ben", family: str = "Carter") -> str:
    return svc.pupils.register(
        principal(svc, "dsl"),
        {"upn": make_upn("881", "2001", 2019, serial), "given_name": given, "family_name": family,
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    ).id  # fmt: skip


def _case(svc: Services, serial: int, step: str = "one_plan") -> str:
    who = {name: principal(svc, name) for name in ("dsl", "senco", "mhl", "sw")}
    return walk(svc, who, _pupil(svc, serial), step, TODAY)  # type: ignore[arg-type]


def _errors(body: str) -> dict[str, str]:
    """Each field's message on the page, by the field's id."""
    return {name: unescape(text) for name, text in re.findall(r'id="([a-z_]+)-error">(.*?)</p>', body, re.S)}


def test_the_family_views_form_tells_both_on_the_reason_and_writes_nothing(svc: Services) -> None:
    case_id = _case(svc, 41)
    version = svc.store.current_version(case_id)
    with pytest.raises(GuardFailed) as refused:
        svc.cases.act(principal(svc, "dsl"), case_id, "record_family_views", version, BOTH)
    assert [(u.code, u.field) for u in refused.value.unmet] == [("views_and_reason", "not_obtained_reason")]
    sent = _client(svc, "dsl").post(f"/cases/{case_id}/actions/record_family_views", data={"expected_version": version, **BOTH})
    body = sent.get_data(as_text=True)
    assert sent.status_code == 422 and 'href="#not_obtained_reason"' in body
    assert "not both" in _errors(body)["not_obtained_reason"]
    assert "Why the family&#39;s views could not be obtained" in body or "Why the family's views could not be obtained" in body
    assert svc.store.current_version(case_id) == version


def test_the_timeline_words_the_reason_the_views_could_not_be_obtained(svc: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """Recorded under version 9 with both, as it then could be: kept, and shown in words."""
    case_id = _case(svc, 42)
    monkeypatch.setattr(svc.cases, "workflow", VERSION_9)
    svc.cases.act(principal(svc, "dsl"), case_id, "record_family_views", svc.store.current_version(case_id), BOTH)
    monkeypatch.undo()
    assert svc.store.load(case_id)[-1].workflow_version == "support_journey@9"
    page = _client(svc, "dsl").get(f"/cases/{case_id}").get_data(as_text=True)
    entry = unescape(re.search(r'<li class="caseflow-timeline__item" id="event-\d+">.*?</li>', page, re.S).group(0))
    assert "Why the family's views could not be obtained" in entry and "Dad did not answer the phone." in entry
    assert "Family's views" in entry and "Not obtained reason" not in page


def _propose_earlier(svc: Services, case_id: str) -> int:
    """Proposed on 30 October, recorded now: the suspension from 2 November then lay ahead."""
    version = svc.store.current_version(case_id)
    return svc.cases.act(principal(svc, "slt"), case_id, "propose_suspension", version, PAST_START, DECIDED_ON)[0].version


def test_a_decision_dated_after_the_start_is_refused_on_the_proposal_and_writes_nothing(svc: Services) -> None:
    case_id = _case(svc, 43)
    proposal = _propose_earlier(svc, case_id)
    head = principal(svc, "head")
    with pytest.raises(GuardFailed) as refused:
        svc.cases.act(head, case_id, "decide_suspension", proposal, {**SUSPEND, "proposal": proposal})
    assert [(u.code, u.field) for u in refused.value.unmet] == [("starts_before_decided", "proposal")]
    form = {"expected_version": proposal, "proposal": proposal, **SUSPEND}
    page = _client(svc, "head").get(f"/cases/{case_id}/actions/decide_suspension").get_data(as_text=True)
    assert 'name="occurred_at"' in page and "Date of the decision" in page
    sent = _client(svc, "head").post(f"/cases/{case_id}/actions/decide_suspension", data=form)
    body = sent.get_data(as_text=True)
    assert sent.status_code == 422 and 'href="#proposal"' in body
    told = _errors(body)["proposal"].strip()
    assert told.endswith(
        "A suspension cannot start before it is decided: the start date is 2 November 2026 and the decision is dated "
        "7 December 2026. If the decision was made earlier, give the day it was made."
    )
    assert svc.store.current_version(case_id) == proposal
    future = _client(svc, "head").post(f"/cases/{case_id}/actions/decide_suspension", data={**form, "occurred_at": "08/12/2026"})
    assert future.status_code == 422 and "occurred_at" in _errors(future.get_data(as_text=True))
    assert svc.store.current_version(case_id) == proposal


def test_a_decision_made_earlier_is_recorded_with_the_day_it_was_made(svc: Services) -> None:
    case_id = _case(svc, 44)
    proposal = _propose_earlier(svc, case_id)
    form = {"expected_version": proposal, "proposal": proposal, **SUSPEND, "occurred_at": "30/10/2026"}
    sent = _client(svc, "head").post(f"/cases/{case_id}/actions/decide_suspension", data=form)
    assert sent.status_code == 302, sent.get_data(as_text=True)
    decided = svc.store.load(case_id)[-1]
    assert decided.event_type == "SuspensionDecided" and london_date(decided.occurred_at) == date(2026, 10, 30)
    assert decided.workflow_version == CURRENT == "support_journey@11"


def test_a_proposal_dated_after_its_start_is_refused_on_the_start_date_unless_given_its_day(svc: Services) -> None:
    case_id = _case(svc, 45)
    version = svc.store.current_version(case_id)
    form = {"expected_version": version, "days": "2", "start_date": "02/11/2026", "reason": "Fight in the playground."}
    slt = _client(svc, "slt")
    assert "Date of the proposal" in slt.get(f"/cases/{case_id}/actions/propose_suspension").get_data(as_text=True)
    sent = slt.post(f"/cases/{case_id}/actions/propose_suspension", data=form)
    body = sent.get_data(as_text=True)
    assert sent.status_code == 422 and 'href="#start_date"' in body
    assert "A suspension cannot start before it is proposed" in _errors(body)["start_date"]
    assert svc.store.current_version(case_id) == version
    taken = slt.post(f"/cases/{case_id}/actions/propose_suspension", data={**form, "occurred_at": "30/10/2026"})
    assert taken.status_code == 302, taken.get_data(as_text=True)
    assert london_date(svc.store.load(case_id)[-1].occurred_at) == date(2026, 10, 30)


def test_the_api_gives_the_day_of_the_decision_as_occurred_at(svc: Services) -> None:
    case_id = _case(svc, 46)
    proposal = _propose_earlier(svc, case_id)
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test"})
    client, auth = app.test_client(), {"Authorization": f"Bearer {svc.accounts.issue_token('head')}"}
    path = f"/api/v1/cases/{case_id}/actions/decide_suspension"
    body = {"expected_version": proposal, "data": {**SUSPEND, "proposal": proposal}}
    refused = client.post(path, json=body, headers=auth)
    assert refused.status_code == 422 and refused.content_type.startswith("application/problem+json")
    assert [(u["code"], u.get("field")) for u in refused.get_json()["unmet"]] == [("starts_before_decided", "proposal")]
    taken = client.post(path, json={**body, "occurred_at": "2026-10-30T12:00:00Z"}, headers=auth)
    assert taken.status_code == 201, taken.get_json()


def test_a_proposal_whose_start_has_passed_is_flagged_on_the_case(svc: Services) -> None:
    """Proposed in time, its start passed while it waited: it cannot now be decided as it stands."""
    case_id = _case(svc, 47)
    _propose_earlier(svc, case_id)
    view = svc.cases.view(principal(svc, "head"), case_id)
    [flagged] = [w for w in view.warnings if "cannot start before it is decided" in w]
    assert "2 November 2026" in flagged and "give the day it was made" in flagged


# --- a need closed into the pupil's other case -----------------------------------------------------
def _closed_into(svc: Services, serial: int) -> tuple[str, str, Any]:
    """The pupil's journey at "Intervention", a need a teacher raised again, closed into it through the form."""
    pupil_id = _pupil(svc, serial)
    who = {name: principal(svc, name) for name in ("dsl", "senco", "mhl", "sw")}
    first = walk(svc, who, pupil_id, "intervention", TODAY)  # type: ignore[arg-type]
    data = {"pupil_id": pupil_id, "need_areas": ["semh"], "description": "Angry outbursts in maths."}
    repeat = svc.cases.open_case(principal(svc, "teacher"), data).id
    dsl = _client(svc, "dsl")
    sent = dsl.post(
        f"/cases/{repeat}/actions/close_into_other_case",
        data={"expected_version": svc.store.current_version(repeat), "other_case": first, "note": "The same worry."},
        follow_redirects=True,
    )
    assert sent.status_code == 200
    return first, repeat, sent


def test_closing_into_the_other_case_says_so_in_plain_words(svc: Services) -> None:
    _, _, sent = _closed_into(svc, 48)
    page = unescape(sent.get_data(as_text=True))
    assert "Closed as part of Ben's other case." in page
    assert "Case closed into other" not in page


def test_the_timeline_links_the_other_case_by_its_day_and_step(svc: Services) -> None:
    first, repeat, _ = _closed_into(svc, 49)
    page = _client(svc, "dsl").get(f"/cases/{repeat}").get_data(as_text=True)
    timeline = page[page.index('id="timeline"') :]
    entry = re.search(r'<li class="caseflow-timeline__item" id="event-2">.*?</li>', timeline, re.S).group(0)
    link = re.search(rf'<a class="govuk-link" href="/cases/{first}">(.*?)</a>', entry)
    assert link is not None, entry
    assert unescape(link.group(1)) == f"The case opened on {TODAY.day} December 2026 (now at Intervention)"
    assert "Closed as part of" in entry and "Other case" not in entry and f">{first}<" not in entry


def test_a_case_closed_into_another_does_not_offer_the_file_transfer(svc: Services) -> None:
    """The child protection file goes from the open case, where a move is prepared; the closed need can be reopened."""
    _, repeat, _ = _closed_into(svc, 50)
    page = _client(svc, "dsl").get(f"/cases/{repeat}").get_data(as_text=True)
    offered = page[page.index("What you can do now") : page.index('id="timeline"')]
    assert "/actions/record_file_transfer" not in offered and "/actions/record_file_receipt" not in offered
    assert f'href="/cases/{repeat}/actions/reopen"' in offered
    assert "other-open-case-" not in page, "the case it was closed into is said once, as what it is part of"
