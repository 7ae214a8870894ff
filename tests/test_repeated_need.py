"""From a new user's walk: a teacher raised a need for Ben Carter, who already had an open case. The DSL then saw
two "Carter, Ben" cases, with no marker on the new one and no way to fold it into the open one: the only action was
"Start the One Plan", and a case could be closed only from transition. support_journey@9 lets the DSL close a case at
"Need identified" that only repeats another open case of the same pupil, naming it from a list of the pupil's other
open cases as people know them; each case's page then links the other, and the open case shows the need raised, so
the concern is not lost. The case list marks a need a teacher raised that is not yet started, and the cohort
dashboard shows a pupil with two open cases by the journey that is further along. Version 9 also refuses a review
date before today, which version 8 took (2026-01-10, eleven months back)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from caseflow.adapters.projections import project_cohort_facts
from caseflow.adapters.tables import interventions
from caseflow.bootstrap import Services
from caseflow.demo import make_upn, walk
from caseflow.domain.errors import GuardFailed, InvalidData
from caseflow.domain.guards import CaseContext
from caseflow.domain.roles import Actor
from tests.conftest import SCHOOL, Clock, Database, _services, access_lines, principal, seed_people
from tests.journey_helpers import INTERVENTION, WHEN, WORKFLOW, act, case_at
from tests.test_rules_on_their_fields import _client
from workflows import CURRENT, REGISTRY

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # a Monday
TODAY = NOW.date()
CLOSE = "close_into_other_case"


# --- the rules ----------------------------------------------------------------------------------
def test_a_case_at_need_identified_closes_into_another_open_case_of_the_pupil() -> None:
    ctx = CaseContext(other_open_cases=frozenset({"c2"}), today=TODAY)
    case = case_at("need_identified")
    act(case, CLOSE, "dsl", {"other_case": "c2", "note": "The same worry as the open case."}, ctx)
    assert case.state == "closed"
    assert case.closed_into() == "c2"
    act(case, "reopen", "dsl", {"reason": "It was a different worry after all."}, ctx)
    assert case.state == "need_identified" and case.closed_into() is None


@pytest.mark.parametrize("named", ["c9", "c1", ""])
def test_a_case_that_is_not_another_open_case_of_the_pupil_is_refused_on_its_field(named: str) -> None:
    """c9: closed, or another child's; c1: the case itself; empty: not chosen."""
    ctx = CaseContext(other_open_cases=frozenset({"c2"}), today=TODAY)
    case = case_at("need_identified")
    with pytest.raises((GuardFailed, InvalidData)) as refused:
        act(case, CLOSE, "dsl", {"other_case": named} if named else {}, ctx)
    if isinstance(refused.value, GuardFailed):
        assert [(u.code, u.field) for u in refused.value.unmet] == [("not_another_open_case", "other_case")]
        assert "another open case of this pupil" in refused.value.unmet[0].message
    else:
        assert set(refused.value.errors) == {"other_case"}
    assert case.state == "need_identified"


def test_with_no_other_open_case_the_action_is_not_ready_and_says_why() -> None:
    case = case_at("need_identified")
    [status] = [s for s in WORKFLOW.available(case, frozenset({"dsl"}), CaseContext()) if s.action.name == CLOSE]
    assert [u.code for u in status.unmet] == ["no_other_open_case"]
    with pytest.raises(GuardFailed) as refused:
        act(case, CLOSE, "dsl", {"other_case": "c2"}, CaseContext())
    assert [(u.code, u.field) for u in refused.value.unmet] == [("no_other_open_case", None)]


@pytest.mark.parametrize("step", ["one_plan", "intervention", "transition"])
def test_only_a_case_not_yet_started_closes_into_another(step: str) -> None:
    ctx = CaseContext(other_open_cases=frozenset({"c2"}), today=TODAY)
    case = case_at(step)
    with pytest.raises(GuardFailed) as refused:
        act(case, CLOSE, "dsl", {"other_case": "c2"}, ctx)
    assert [u.code for u in refused.value.unmet] == ["not_available_in_step"]
    assert WORKFLOW.action(CLOSE).roles == {"dsl"}


@pytest.mark.parametrize("action", ["plan_intervention", "continue_intervention"])
def test_a_review_date_before_today_is_refused_on_its_field(action: str) -> None:
    ctx = replace(CaseContext(), today=TODAY)
    step = "multi_agency_review" if action == "plan_intervention" else "evaluation"
    case = case_at(step)
    if action == "continue_intervention":
        act(case, "record_evaluation", "dsl", {"verdict": "effective", "summary": "Better"}, ctx)
    data = INTERVENTION if action == "plan_intervention" else {}
    for past in ("2026-01-10", (TODAY - timedelta(days=1)).isoformat()):
        with pytest.raises(GuardFailed) as refused:
            WORKFLOW.decide(case, action, _dsl(), {**data, "review_date": past}, ctx, WHEN)
        assert [(u.code, u.field, u.message) for u in refused.value.unmet] == [
            ("review_date_past", "review_date", "The review date must be today or later")
        ]
    WORKFLOW.decide(case, action, _dsl(), {**data, "review_date": TODAY.isoformat()}, ctx, WHEN)


def test_a_mistyped_year_is_told_once_as_before() -> None:
    ctx = replace(CaseContext(), today=TODAY)
    case = case_at("multi_agency_review")
    with pytest.raises(GuardFailed) as refused:
        WORKFLOW.decide(case, "plan_intervention", _dsl(), {**INTERVENTION, "review_date": "1026-12-20"}, ctx, WHEN)
    assert [(u.code, u.field) for u in refused.value.unmet] == [("date_out_of_range", "review_date")]


def _dsl() -> Actor:
    return Actor("dsl", "dsl")


def test_version_8_is_kept_as_released() -> None:
    released = json.loads((Path(__file__).parent / "data" / "support_journey_v8.json").read_text())
    assert REGISTRY["support_journey@8"] == released
    assert CURRENT != "support_journey@9"  # version 9, as released, is pinned by test_journey_version_10
    now = {a["name"]: a for a in REGISTRY["support_journey@9"]["actions"]}
    then = {a["name"]: a for a in released["actions"]}
    assert now.keys() - then.keys() == {CLOSE}
    assert {name for name in then if now[name] != then[name]} == {"plan_intervention", "continue_intervention"}
    for name in ("plan_intervention", "continue_intervention"):
        assert now[name] == {**then[name], "guards": [*then[name]["guards"], "review_date_not_past"]}
    assert now[CLOSE]["source"] == "need_identified" and now[CLOSE]["dest"] == "closed"


# --- through the pages ---------------------------------------------------------------------------
@pytest.fixture
def svc(database: Database) -> Iterator[Services]:
    services = _services(database, Clock(NOW))
    seed_people(services)
    yield services
    services.close()


def _pupil(svc: Services, serial: int, given: str = "Ben", family: str = "Carter") -> str:
    pupil = svc.pupils.register(
        principal(svc, "dsl"),
        {"upn": make_upn("881", "2001", 2019, serial), "given_name": given, "family_name": family,
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    return pupil.id


def _raised_by_teacher(svc: Services, pupil_id: str, teacher: str = "teacher") -> str:
    data = {"pupil_id": pupil_id, "need_areas": ["semh", "behaviour"], "description": "Angry outbursts in maths."}
    return svc.cases.open_case(principal(svc, teacher), data).id


def _who(svc: Services) -> dict[str, object]:
    return {name: principal(svc, name) for name in ("dsl", "senco", "mhl", "sw")}


def test_the_dsl_closes_a_teachers_repeat_of_an_open_case_into_it(svc: Services) -> None:
    svc.accounts.add_user("tom", ["teacher"], [SCHOOL], password="correct horse battery", display_name="Tom Reed")
    pupil_id = _pupil(svc, 81)
    first = walk(svc, _who(svc), pupil_id, "intervention", TODAY)  # type: ignore[arg-type]
    repeat = _raised_by_teacher(svc, pupil_id, "tom")
    dsl = _client(svc, "dsl")

    listed = dsl.get("/").get_data(as_text=True)
    rows = re.findall(r"<tr class=\"govuk-table__row\">.*?</tr>", listed, re.S)
    [new_row] = [r for r in rows if f"/cases/{repeat}" in r]
    [old_row] = [r for r in rows if f"/cases/{first}" in r]
    assert "Raised by Tom Reed, not yet started" in new_row
    assert "Raised by" not in old_row

    page = dsl.get(f"/cases/{repeat}").get_data(as_text=True)
    assert f'href="/cases/{repeat}/actions/{CLOSE}"' in page
    form = dsl.get(f"/cases/{repeat}/actions/{CLOSE}").get_data(as_text=True)
    assert re.search(
        rf'<option[^>]*value="{first}"[^>]*>At the step “Intervention”, opened on {TODAY.day} December 2026</option>',
        form,
    ), form
    version = svc.store.current_version(repeat)
    done = dsl.post(
        f"/cases/{repeat}/actions/{CLOSE}",
        data={"expected_version": version, "other_case": first, "note": "The same worry: the maths outbursts."},
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    assert svc.cases.view(principal(svc, "dsl"), repeat).case.state == "closed"

    closed_page = dsl.get(f"/cases/{repeat}").get_data(as_text=True)
    [closed_as_part] = re.findall(r'<div[^>]*id="closed-into".*?</div>', closed_page, re.S)
    assert "Closed as part of" in closed_as_part and f'href="/cases/{first}"' in closed_as_part
    assert "The same worry: the maths outbursts." in closed_as_part

    open_page = dsl.get(f"/cases/{first}").get_data(as_text=True)
    [folded] = re.findall(r'<div[^>]*id="closed-into-this-1".*?</div>', open_page, re.S)
    assert f"A need raised by Tom Reed on {TODAY.day} December 2026 was closed into this case" in folded
    assert "SEMH, Behaviour" in folded and "Angry outbursts in maths." in folded
    assert f'href="/cases/{repeat}"' in folded
    assert "other-open-case-" not in open_page, "the repeat is closed: no longer another open case"


def test_naming_a_case_that_is_not_another_open_case_of_the_pupil_is_told_on_the_field(svc: Services) -> None:
    pupil_id, other_pupil = _pupil(svc, 82), _pupil(svc, 83, "Ava", "Stone")
    dsl = principal(svc, "dsl")
    repeat = _raised_by_teacher(svc, pupil_id)
    others = _raised_by_teacher(svc, other_pupil)
    closed = walk(svc, _who(svc), pupil_id, "closed", TODAY)  # type: ignore[arg-type]
    _raised_by_teacher(svc, pupil_id)  # the one it could be closed into
    for named in (others, closed, repeat, "nonsense"):
        version = svc.store.current_version(repeat)
        with pytest.raises(GuardFailed) as refused:
            svc.cases.act(dsl, repeat, CLOSE, version, {"other_case": named})
        assert [(u.code, u.field) for u in refused.value.unmet] == [("not_another_open_case", "other_case")]
    page = _client(svc, "dsl").post(
        f"/cases/{repeat}/actions/{CLOSE}", data={"expected_version": svc.store.current_version(repeat), "other_case": others}
    )
    assert page.status_code == 422
    body = page.get_data(as_text=True)
    assert 'href="#other_case"' in body and 'id="other_case-error"' in body
    assert svc.cases.view(dsl, repeat).case.state == "need_identified"


def test_a_case_closed_meanwhile_is_caught_in_the_writing(svc: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two DSLs each close one of a child's two new cases into the other at the same moment: the second to write
    read the other case as open before the first closed it. Looked at again as it writes, it is refused."""
    pupil_id = _pupil(svc, 88)
    dsl = principal(svc, "dsl")
    first, second = _raised_by_teacher(svc, pupil_id), _raised_by_teacher(svc, pupil_id)
    read_before = svc.reads.open_cases_of_pupil(pupil_id)
    svc.cases.act(dsl, second, CLOSE, svc.store.current_version(second), {"other_case": first})
    monkeypatch.setattr(svc.reads, "open_cases_of_pupil", lambda _pupil_id: read_before)
    with pytest.raises(GuardFailed) as refused:
        svc.cases.act(dsl, first, CLOSE, svc.store.current_version(first), {"other_case": second})
    assert [u.code for u in refused.value.unmet] == ["no_other_open_case"]
    assert svc.cases.view(dsl, first).case.state == "need_identified"


def _ready_to_close(svc: Services, pupil_id: str) -> str:
    """A case at "Transition" whose file has gone ahead and arrived: the ordinary close is all it waits for."""
    dsl = principal(svc, "dsl")
    case_id = walk(svc, _who(svc), pupil_id, "transition", TODAY)  # type: ignore[arg-type]
    file = {"receiving_setting": "Riverside Academy", "sent_on": TODAY.isoformat(), "how": "secure_transfer_system",
            "sent_separately": True}  # fmt: skip
    sent, _ = svc.cases.act(dsl, case_id, "record_file_transfer", svc.store.current_version(case_id), file)
    receipt = {"transfer": sent.version, "received_on": TODAY.isoformat(), "confirmed_by": "R Osei, DSL"}
    svc.cases.act(dsl, case_id, "record_file_receipt", sent.version, receipt)
    return case_id


@pytest.mark.parametrize("projectors", ["all", "without the cohort facts"])
def test_a_case_closed_while_a_need_closes_into_it_is_caught_in_the_writing(
    svc: Services, monkeypatch: pytest.MonkeyPatch, projectors: str
) -> None:
    """One DSL closes a child's case the ordinary way while another closes the child's new need into it: the need's
    close read the case as open before the first committed. The close holds the child until it commits, so the
    need's look again, as it writes, waits for it, reads the case closed and is refused (on PostgreSQL, where the
    two run side by side; SQLite queues writers). "Without the cohort facts": the close holds the child itself,
    not only through that projector's hold, which a projector run apart from the append would lose."""
    if projectors != "all":
        monkeypatch.setattr(svc.store, "projectors", [p for p in svc.store.projectors if p is not project_cohort_facts])
    pupil_id = _pupil(svc, 89)
    dsl = principal(svc, "dsl")
    held, repeat = _ready_to_close(svc, pupil_id), _raised_by_teacher(svc, pupil_id)
    inside, release = threading.Event(), threading.Event()

    def wait_before_commit(conn: object) -> None:
        inside.set()
        release.wait(timeout=10)

    append = svc.store.append

    def close_stops_before_its_commit(stream_id: str, *args: Any, also: Sequence[Any] = (), **kwargs: Any) -> Any:
        """The ordinary close's every write done, the last thing in its transaction: waiting to commit."""
        return append(stream_id, *args, also=[*also, wait_before_commit] if stream_id == held else also, **kwargs)

    monkeypatch.setattr(svc.store, "append", close_stops_before_its_commit)
    outcomes: dict[str, str] = {}

    def take(case_id: str, action: str, data: dict[str, object]) -> None:
        try:
            svc.cases.act(dsl, case_id, action, svc.store.current_version(case_id), data)
            outcomes[action] = "done"
        except GuardFailed as refused:
            outcomes[action] = ",".join(u.code for u in refused.unmet)

    closing = threading.Thread(
        target=take, args=(held, "close", {"receiving_setting_informed": True, "records_transferred": True})
    )
    closing.start()
    assert inside.wait(timeout=10)
    closing_into = threading.Thread(target=take, args=(repeat, CLOSE, {"other_case": held, "note": "The same worry."}))
    closing_into.start()
    closing_into.join(timeout=0.5)  # its rules passed (the close is not committed); now it waits for the close
    waited = closing_into.is_alive()
    release.set()
    closing.join(timeout=30)
    closing_into.join(timeout=30)
    assert outcomes == {"close": "done", CLOSE: "no_other_open_case"}, outcomes
    assert waited, "the need's close did not wait for the case's close to commit"
    monkeypatch.undo()
    assert svc.cases.view(dsl, held).case.state == "closed"
    assert svc.cases.view(dsl, repeat).case.state == "need_identified", "the need is still open, where it is seen"


def test_the_ordinary_close_still_closes_the_case_and_ends_its_interventions(svc: Services) -> None:
    pupil_id = _pupil(svc, 90)
    dsl = principal(svc, "dsl")
    case_id = _ready_to_close(svc, pupil_id)
    _raised_by_teacher(svc, pupil_id)  # another open case of the child's does not stop it
    data = {"receiving_setting_informed": True, "records_transferred": True}
    closed, event = svc.cases.act(dsl, case_id, "close", svc.store.current_version(case_id), data)
    assert (closed.state, event.event_type) == ("closed", "CaseClosed")
    assert [i["status"] for i in closed.interventions()] == ["closed", "closed"]
    with svc.engine.connect() as conn:
        statuses = conn.execute(select(interventions.c.status).where(interventions.c.case_id == case_id)).scalars()
        assert sorted(statuses) == ["closed", "closed"]
    assert [(line["action"], line["outcome"]) for line in access_lines(svc) if line["case_id"] == case_id][-1] == ("close", "ok")


def test_the_action_is_not_offered_without_another_open_case(svc: Services) -> None:
    pupil_id = _pupil(svc, 84)
    only = _raised_by_teacher(svc, pupil_id)
    page = _client(svc, "dsl").get(f"/cases/{only}").get_data(as_text=True)
    assert f"/actions/{CLOSE}" not in page


def test_the_dashboard_shows_the_journey_further_along_for_a_pupil_with_two_open_cases(svc: Services) -> None:
    dsl = principal(svc, "dsl")
    pupil_id = _pupil(svc, 85)
    svc.pupils.record_episode(dsl, pupil_id, {"plan": "cin", "start_date": "2025-01-01", "social_worker": "sw"})
    first = walk(svc, _who(svc), pupil_id, "intervention", TODAY)  # type: ignore[arg-type]
    _raised_by_teacher(svc, pupil_id)  # the newer case, at "Need identified"
    board = svc.dashboard.cohort(dsl, SCHOOL, TODAY)
    [row] = [r for r in board["pupils"] if r["pupil_id"] == pupil_id]
    assert (row["case_id"], row["step"], row["open_cases"]) == (first, "intervention", 2)
    page = _client(svc, "dsl").get(f"/cohort?school_urn={SCHOOL}").get_data(as_text=True)
    [line] = [r for r in re.findall(r"<tr class=\"govuk-table__row\">.*?</tr>", page, re.S) if pupil_id in r]
    assert f'href="/cases/{first}">Intervention</a>' in line and "2 open cases" in line


def test_a_closed_case_newer_than_an_open_one_does_not_hide_it(svc: Services) -> None:
    dsl = principal(svc, "dsl")
    pupil_id = _pupil(svc, 86)
    svc.pupils.record_episode(dsl, pupil_id, {"plan": "cin", "start_date": "2025-01-01", "social_worker": "sw"})
    first = walk(svc, _who(svc), pupil_id, "one_plan", TODAY)  # type: ignore[arg-type]
    repeat = _raised_by_teacher(svc, pupil_id)
    svc.cases.act(dsl, repeat, CLOSE, svc.store.current_version(repeat), {"other_case": first})
    [row] = [r for r in svc.dashboard.cohort(dsl, SCHOOL, TODAY)["pupils"] if r["pupil_id"] == pupil_id]
    assert (row["case_id"], row["step"], row["open_cases"]) == (first, "one_plan", 1)


def test_a_review_date_before_today_is_told_on_the_form(svc: Services) -> None:
    pupil_id = _pupil(svc, 87)
    case_id = walk(svc, _who(svc), pupil_id, "need_identified", TODAY)  # type: ignore[arg-type]
    form = {"expected_version": svc.store.current_version(case_id), **INTERVENTION, "review_date": "2026-01-10"}
    refused = _client(svc, "senco").post(f"/cases/{case_id}/actions/plan_intervention", data=form)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'href="#review_date"' in body
    assert re.search(r'id="review_date-error">.*?The review date must be today or later', body, re.S)
    assert svc.store.current_version(case_id) == form["expected_version"]
    assert date.fromisoformat(INTERVENTION["review_date"]) < TODAY  # the helpers' date is now in the past


def test_seeing_the_need_closed_into_a_case_is_logged_as_a_view_of_that_case_too(svc: Services) -> None:
    """The open case's page shows the need closed into it (its areas and description), so an auditor asking who saw
    the closed case finds each look at the open one as well (found in review)."""
    pupil_id = _pupil(svc, 84)
    first = walk(svc, _who(svc), pupil_id, "intervention", TODAY)  # type: ignore[arg-type]
    repeat = _raised_by_teacher(svc, pupil_id)
    version = svc.store.current_version(repeat)
    svc.cases.act(principal(svc, "dsl"), repeat, CLOSE, version, {"other_case": first, "note": "The same worry."})
    before = [line for line in access_lines(svc) if line["case_id"] == repeat and line["action"] == "view"]
    svc.cases.view(principal(svc, "head"), first)
    after = [line for line in access_lines(svc) if line["case_id"] == repeat and line["action"] == "view"]
    assert [(line["username"], line["outcome"]) for line in after[len(before) :]] == [("head", "ok")]


def test_a_form_sent_by_a_role_that_may_not_take_it_is_logged_as_refused_not_as_a_view(svc: Services) -> None:
    """The refused attempt is itself recorded in the audit trail (PRODUCT.md); no page of the case was shown, so
    no view is logged (found in review: it logged 'view ok')."""
    pupil_id = _pupil(svc, 85)
    case_id = walk(svc, _who(svc), pupil_id, "intervention", TODAY)  # type: ignore[arg-type]
    version = svc.store.current_version(case_id)
    before = len(access_lines(svc))
    sent = _client(svc, "mhl").post(f"/cases/{case_id}/actions/close", data={"expected_version": version})
    assert sent.status_code == 403 and svc.store.current_version(case_id) == version
    lines = [(line["username"], line["action"], line["outcome"]) for line in access_lines(svc)[before:]]
    assert ("mhl", "close", "forbidden") in lines
    assert ("mhl", "view", "ok") not in lines


def test_a_pupils_record_offers_to_raise_a_need_for_that_pupil(svc: Services) -> None:
    """The fourth walk: the record had no way to start a case; the Cases page made the DSL choose the child again
    from every pupil of the school."""
    pupil_id = _pupil(svc, 86, given="Ivy", family="Stone")
    record = _client(svc, "dsl").get(f"/pupils/{pupil_id}").get_data(as_text=True)
    assert f'href="/cases/new?pupil_id={pupil_id}"' in record and "Raise a need for Ivy" in record
    form = _client(svc, "dsl").get(f"/cases/new?pupil_id={pupil_id}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{pupil_id}">Stone, Ivy', form)
    other = _client(svc, "dsl").get("/cases/new?pupil_id=nobody").get_data(as_text=True)
    assert "<option selected" not in other.split('name="pupil_id"')[1].split("</select>")[0]
    mhl = _client(svc, "mhl").get(f"/pupils/{pupil_id}").get_data(as_text=True)
    assert "/cases/new?pupil_id=" not in mhl, "only those who may open a case are offered it"
