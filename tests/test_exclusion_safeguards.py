"""After a head decides a suspension or exclusion (domain facts, section 5): the notices owed to the
parents, the social worker, the Virtual School Head, the governing board and the LA; the board's duty to
consider reinstatement by the pupil's days in the term; the running per-term and per-year counters. A new
version of the support journey (support_journey@3); version 2 is kept exactly as released."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from caseflow import create_app
from caseflow.adapters.database import make_engine
from caseflow.adapters.migrate import downgrade, upgrade
from caseflow.adapters.projections import rebuild
from caseflow.adapters.tables import case_report_facts, pupil_status, suspension_days
from caseflow.bootstrap import Services
from caseflow.demo import make_upn
from caseflow.domain.errors import GuardFailed, NotPermitted
from caseflow.domain.events import london_date
from caseflow.domain.exclusions import board_duty, required_recipients
from caseflow.domain.guards import warnings
from caseflow.domain.school_calendar import Term, easter_sunday, school_term
from tests.conftest import LA, SCHOOL, Clock, Database, _services, access_lines, principal, seed_people
from tests.test_web_security import csrf_token, sign_in
from workflows import CURRENT, REGISTRY

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # a Friday in the autumn term
TODAY = NOW.date()


@pytest.fixture
def svc(database: Database) -> Iterator[Services]:
    services = _services(database, Clock(NOW))
    seed_people(services)
    yield services
    services.close()


# --- terms and the board's duty --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("year", "easter"),
    [(2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)), (2026, date(2026, 4, 5)), (2027, date(2027, 3, 28))],
)
def test_easter_day(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


@pytest.mark.parametrize(
    ("day", "term"),
    [
        (date(2026, 9, 1), Term(2026, "autumn")),
        (date(2026, 12, 18), Term(2026, "autumn")),
        (date(2027, 1, 4), Term(2026, "spring")),
        (date(2027, 3, 26), Term(2026, "spring")),
        (date(2027, 3, 28), Term(2026, "spring")),  # Easter Day
        (date(2027, 3, 29), Term(2026, "summer")),
        (date(2027, 7, 21), Term(2026, "summer")),
        (date(2027, 8, 31), Term(2026, "summer")),
    ],
)
def test_school_terms(day: date, term: Term) -> None:
    assert school_term(day) == term


def test_term_labels_name_the_calendar_year() -> None:
    assert [Term(2026, t).label for t in ("autumn", "spring", "summer")] == [
        "autumn term 2026",
        "spring term 2027",
        "summer term 2027",
    ]


@pytest.mark.parametrize(
    ("kind", "days", "code"),
    [
        ("suspension", 0.5, "representations"),
        ("suspension", 5, "representations"),
        ("suspension", 5.5, "if_parents_ask"),
        ("suspension", 15, "if_parents_ask"),
        ("suspension", 15.5, "must_consider"),
        ("exclusion", 0, "must_consider"),
    ],
)
def test_the_board_duty_by_days_in_the_term(kind: str, days: float, code: str) -> None:
    assert board_duty(kind, days).code == code


@given(st.floats(min_value=0.5, max_value=45), st.floats(min_value=0, max_value=45))
def test_more_days_never_lessen_the_board_duty(days: float, more: float) -> None:
    order = ["representations", "if_parents_ask", "must_consider"]
    assert order.index(board_duty("suspension", days + more).code) >= order.index(board_duty("suspension", days).code)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_every_day_falls_in_one_term_of_its_school_year(day: date) -> None:
    term = school_term(day)
    assert term.school_year == (day.year if day.month >= 9 else day.year - 1)
    assert (term.name == "autumn") == (day.month >= 9)
    if term.name != "autumn":  # spring ends on Easter Day, which falls between 22 March and 25 April
        assert (term.name == "spring") == (day <= easter_sunday(day.year))
        assert date(day.year, 3, 22) <= easter_sunday(day.year) <= date(day.year, 4, 25)


def test_who_is_owed_a_notice() -> None:
    assert required_recipients(False, False) == ["parents", "governing_board", "local_authority"]
    assert required_recipients(True, True) == [
        "parents",
        "social_worker",
        "virtual_school",
        "governing_board",
        "local_authority",
    ]


# --- on a case -------------------------------------------------------------------------------------
def _pupil(svc: Services, serial: int = 1, social_worker: bool = True) -> str:
    dsl = principal(svc, "dsl")
    pupil = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, serial), "given_name": "Ada", "family_name": f"Able{serial}",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    if social_worker:
        svc.pupils.record_episode(dsl, pupil.id, {"plan": "cin", "start_date": "2025-01-01", "social_worker": "sw"})
    return pupil.id


def _case(svc: Services, pupil_id: str) -> str:
    return svc.cases.open_case(principal(svc, "dsl"), {"pupil_id": pupil_id, "need_areas": ["behaviour"], "description": "x"}).id


def _act(svc: Services, who: str, case_id: str, action: str, data: dict[str, Any], when: datetime | None = None) -> int:
    after, _ = svc.cases.act(principal(svc, who), case_id, action, svc.store.current_version(case_id), data, when)
    return after.version


def _decide(
    svc: Services, case_id: str, days: float | None, start: str = "2026-11-23", decision: str = "suspend", heard: bool = True
) -> int:
    """Propose, hear the social worker, decide: the proposal's version. One that began before today was proposed and
    decided the morning it began, as recorded now: it cannot start before it is decided (support_journey@10)."""
    first = date.fromisoformat(start)
    when = datetime.combine(first, time(8), tzinfo=UTC) if first < london_date(svc.cases.clock()) else None
    if days is None:
        proposal = _act(svc, "slt", case_id, "propose_exclusion", {"start_date": start, "reason": "Assault on a pupil."}, when)
    else:
        proposal = _act(svc, "slt", case_id, "propose_suspension", {"days": days, "start_date": start, "reason": "Fight."}, when)
    if heard:
        view = {"kind": "exclusion_view", "proposal": proposal, "contribution": "Try a reduced day first."}
        _act(svc, "sw", case_id, "add_contribution", view, when)  # given by the decision's day, as it counts then
    kind = "exclusion" if days is None else "suspension"
    if kind == "exclusion" and decision == "suspend":
        decision = "exclude"
    decided = {"proposal": proposal, "decision": decision, "reasons": "As the policy sets out."}
    _act(svc, "head", case_id, f"decide_{kind}", decided, when)
    return proposal


def _notice(svc: Services, case_id: str, proposal: int, recipient: str, on: str = "2026-11-20", who: str = "head") -> int:
    return _act(svc, who, case_id, "record_decision_notice", {"proposal": proposal, "recipient": recipient, "notified_on": on})


def test_a_decision_owes_notices_until_each_is_recorded(svc: Services) -> None:
    case_id = _case(svc, _pupil(svc))
    proposal = _decide(svc, case_id, 3)
    view = svc.cases.view(principal(svc, "dsl"), case_id)
    (duties,) = view.safeguards.decisions
    assert duties.missing == ["parents", "social_worker", "governing_board", "local_authority"]
    assert duties.duty.code == "representations" and not duties.board_review_owed
    assert any("no notice recorded yet to the parents, the social worker, the governing board and the local authority" in w
               for w in view.warnings)  # fmt: skip
    _notice(svc, case_id, proposal, "parents")
    _notice(svc, case_id, proposal, "social_worker", who="dsl")
    _notice(svc, case_id, proposal, "governing_board", who="slt")
    view = svc.cases.view(principal(svc, "dsl"), case_id)
    assert view.safeguards.decisions[0].missing == ["local_authority"]
    assert [n["actor"] for n in view.safeguards.decisions[0].notices["social_worker"]] == ["dsl"]
    _notice(svc, case_id, proposal, "local_authority")
    view = svc.cases.view(principal(svc, "dsl"), case_id)
    assert view.safeguards.decisions[0].missing == []
    assert not any("notice" in w for w in view.warnings)
    event = svc.store.load(case_id)[-1]
    assert event.event_type == "DecisionNoticeRecorded" and event.workflow_version == CURRENT == "support_journey@11"
    assert event.data == {"proposal": proposal, "recipient": "local_authority", "notified_on": "2026-11-20"}


def test_the_virtual_school_and_the_social_worker_are_owed_a_notice_for_a_looked_after_child(svc: Services) -> None:
    pupil_id = _pupil(svc, social_worker=False)
    dsl = principal(svc, "dsl")
    svc.pupils.act(dsl, pupil_id, "record_care_status", svc.pupils.load(pupil_id).version,
                   {"status": "looked_after", "since": "2024-05-01"})  # fmt: skip
    case_id = _case(svc, pupil_id)
    proposal = _act(svc, "slt", case_id, "propose_suspension", {"days": 1, "start_date": "2026-11-23", "reason": "x"})
    _act(
        svc,
        "head",
        case_id,
        "decide_suspension",
        {"proposal": proposal, "decision": "suspend", "reasons": "As the behaviour policy sets out."},
    )
    view = svc.cases.view(dsl, case_id)
    everyone = ["parents", "social_worker", "virtual_school", "governing_board", "local_authority"]
    assert view.safeguards.decisions[0].missing == everyone  # a looked-after child has a social worker


def test_a_withdrawn_proposal_owes_nothing_and_cannot_be_named(svc: Services) -> None:
    case_id = _case(svc, _pupil(svc))
    proposal = _decide(svc, case_id, 2, decision="withdraw")
    assert svc.cases.view(principal(svc, "dsl"), case_id).safeguards.decisions == []
    version = svc.store.current_version(case_id)
    with pytest.raises(GuardFailed) as refused:
        _notice(svc, case_id, proposal, "parents")
    assert {u.code for u in refused.value.unmet} == {"no_such_decision"}
    assert svc.store.current_version(case_id) == version


def test_a_notice_names_a_decided_proposal_and_a_date_from_the_decision_to_today(svc: Services) -> None:
    case_id = _case(svc, _pupil(svc))
    pending = _act(svc, "slt", case_id, "propose_suspension", {"days": 1, "start_date": "2026-11-23", "reason": "x"})
    version = svc.store.current_version(case_id)
    for proposal, on, code in [
        (pending, "2026-11-20", "no_such_decision"),  # not decided yet
        (999, "2026-11-20", "no_such_decision"),
        (1, "2026-11-20", "no_such_decision"),  # the case's opening, not a proposal
    ]:
        with pytest.raises(GuardFailed) as refused:
            _notice(svc, case_id, proposal, "parents", on)
        assert code in {u.code for u in refused.value.unmet}
    proposal = _decide(svc, case_id, 2)
    version = svc.store.current_version(case_id)
    for on, code in [("2026-11-19", "before_decision"), ("2026-11-21", "date_in_future")]:
        with pytest.raises(GuardFailed) as refused:
            _notice(svc, case_id, proposal, "parents", on)
        assert {u.code for u in refused.value.unmet} == {code}
    assert svc.store.current_version(case_id) == version  # nothing written


def test_who_may_record_a_notice_and_a_board_review(svc: Services) -> None:
    case_id = _case(svc, _pupil(svc))
    proposal = _decide(svc, case_id, 2)
    for who in ("head", "slt", "dsl"):
        _notice(svc, case_id, proposal, "parents", who=who)
    for who in ("senco", "mhl", "teacher", "sw", "governor", "auditor"):
        version = svc.store.current_version(case_id)
        with pytest.raises(Exception) as refused:
            _notice(svc, case_id, proposal, "parents", who=who)
        assert refused.type.__name__ in {"NotPermitted", "NotFound"}
        assert svc.store.current_version(case_id) == version
    with pytest.raises(NotPermitted):
        _act(svc, "sw", case_id, "record_board_review", {"proposal": proposal, "met_on": "2026-11-20", "outcome": "uphold"})


def test_suspensions_on_the_pupils_other_cases_count_towards_the_term(svc: Services) -> None:
    pupil_id = _pupil(svc)
    first, second = _case(svc, pupil_id), _case(svc, pupil_id)
    _decide(svc, first, 10, start="2026-10-05")
    _decide(svc, first, 4, start="2026-06-01")  # last school year's summer term
    view = svc.cases.view(principal(svc, "dsl"), second)
    assert (view.safeguards.term, view.safeguards.term_days, view.safeguards.year_days) == (Term(2026, "autumn"), 10, 10)
    proposal = _decide(svc, second, 6)
    view = svc.cases.view(principal(svc, "head"), second)
    assert (view.safeguards.term_days, view.safeguards.year_days) == (16, 16)
    (duties,) = view.safeguards.decisions
    assert duties.duty.code == "must_consider" and duties.board_review_owed
    assert any("the governing board must consider reinstatement within 15 school days" in w for w in view.warnings)
    _act(svc, "head", second, "record_board_review",
         {"proposal": proposal, "met_on": "2026-11-20", "outcome": "uphold", "social_worker_attended": True})  # fmt: skip
    view = svc.cases.view(principal(svc, "head"), second)
    assert not view.safeguards.decisions[0].board_review_owed
    assert view.safeguards.decisions[0].board_reviews[0]["social_worker_attended"] is True
    assert not any("15 school days" in w for w in view.warnings)
    assert svc.cases.view(principal(svc, "dsl"), first).safeguards.term_days == 16  # seen from the first case too


def test_a_board_cannot_direct_reinstatement_after_five_days_or_fewer(svc: Services) -> None:
    case_id = _case(svc, _pupil(svc))
    short = _decide(svc, case_id, 5)
    version = svc.store.current_version(case_id)
    with pytest.raises(GuardFailed) as refused:
        _act(svc, "head", case_id, "record_board_review", {"proposal": short, "met_on": "2026-11-20", "outcome": "reinstate"})
    assert {u.code for u in refused.value.unmet} == {"board_cannot_reinstate"}
    assert svc.store.current_version(case_id) == version
    _act(svc, "head", case_id, "record_board_review",
         {"proposal": short, "met_on": "2026-11-20", "outcome": "representations_considered"})  # fmt: skip
    longer = _decide(svc, case_id, 1, start="2026-11-30")  # 6 days in the term: the board may reinstate if the parents ask
    _act(svc, "head", case_id, "record_board_review", {"proposal": longer, "met_on": "2026-11-20", "outcome": "reinstate"})


def test_a_permanent_exclusion_owes_a_board_meeting_and_names_the_las_provision(svc: Services) -> None:
    case_id = _case(svc, _pupil(svc))
    _decide(svc, case_id, None)
    (duties,) = svc.cases.view(principal(svc, "head"), case_id).safeguards.decisions
    assert duties.kind == "exclusion" and duties.board_review_owed and duties.days is None
    assert "the local authority arranges suitable full-time education" in duties.provision


def test_the_counters_are_the_pupils_in_the_term_of_today(database: Database) -> None:
    """In the spring term the autumn's days no longer count for the term, but still for the year."""
    clock = Clock(NOW)
    svc = _services(database, clock)
    seed_people(svc)
    try:
        case_id = _case(svc, _pupil(svc))
        _decide(svc, case_id, 7)
        clock.now = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)
        found = svc.cases.view(principal(svc, "dsl"), case_id).safeguards
        assert (found.term, found.term_days, found.year_days) == (Term(2026, "spring"), 0, 7)
        clock.now = datetime(2027, 9, 6, 9, 0, tzinfo=UTC)
        found = svc.cases.view(principal(svc, "dsl"), case_id).safeguards
        assert (found.term_days, found.year_days) == (0, 0)
    finally:
        svc.close()


def test_version_2_of_the_journey_is_kept_as_released() -> None:
    released = json.loads((Path(__file__).parent / "data" / "support_journey_v2.json").read_text())
    assert json.loads(json.dumps(REGISTRY["support_journey@2"])) == released
    added = {a["name"] for a in REGISTRY["support_journey@3"]["actions"]} - {a["name"] for a in released["actions"]}
    assert added == {"record_decision_notice", "cancel_decision", "record_review_request", "record_board_review"}


# --- through the pages and the API -----------------------------------------------------------------
@pytest.fixture
def app(svc: Services) -> Flask:
    return create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": True})


def test_the_case_page_shows_counters_notices_and_the_board_and_links_to_record_them(app: Flask, svc: Services) -> None:
    case_id = _case(svc, _pupil(svc))
    proposal = _decide(svc, case_id, 16)
    _notice(svc, case_id, proposal, "parents")
    client = app.test_client()
    sign_in(client, "head")
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'id="suspension-counters"' in page and "16 days" in page and "autumn term 2026" in page
    assert "of 45" in page
    assert "The parents:\n    told 20 November 2026" in page
    assert "Not yet recorded" in page  # the social worker, the board and the LA
    assert "must consider reinstatement within 15 school days" in page
    link = f"/cases/{case_id}/actions/record_decision_notice?proposal={proposal}"
    assert f"{link}&amp;recipient=social_worker" in page
    form = client.get(link).get_data(as_text=True)
    assert f'value="{proposal}"' in form
    before = svc.store.current_version(case_id)
    refused = client.post(
        link,
        data={"csrf_token": csrf_token(client, link), "expected_version": str(before), "proposal": str(proposal),
              "recipient": "governing_board", "notified_on": "2026-12-25"},
    )  # fmt: skip
    assert refused.status_code == 422 and "cannot be in the future" in refused.get_data(as_text=True)
    assert svc.store.current_version(case_id) == before
    done = client.post(
        link,
        data={"csrf_token": csrf_token(client, link), "expected_version": str(before), "proposal": str(proposal),
              "recipient": "governing_board", "notified_on": "2026-11-20", "how": "email"},
    )  # fmt: skip
    assert done.status_code == 302
    assert "The governing board:\n    told 20 November 2026 (email)" in client.get(f"/cases/{case_id}").get_data(as_text=True)


def test_the_api_answers_the_counters_and_takes_a_notice(app: Flask, svc: Services) -> None:
    case_id = _case(svc, _pupil(svc))
    proposal = _decide(svc, case_id, 3)
    token = svc.accounts.issue_token("head")
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    case = client.get(f"/api/v1/cases/{case_id}", headers=headers).get_json()
    assert case["suspensions"]["term_days"] == 3 and case["suspensions"]["school_year_limit"] == 45
    assert case["suspensions"]["decisions"][0]["notices_missing"] == [
        "parents",
        "social_worker",
        "governing_board",
        "local_authority",
    ]
    version = case["version"]
    bad = client.post(f"/api/v1/cases/{case_id}/actions/record_decision_notice", headers=headers,
                      json={"expected_version": version, "data": {"proposal": proposal, "recipient": "the_press", "notified_on": "2026-11-20"}})  # fmt: skip
    assert bad.status_code == 422 and bad.content_type.startswith("application/problem+json")
    ok = client.post(f"/api/v1/cases/{case_id}/actions/record_decision_notice", headers=headers,
                     json={"expected_version": version, "data": {"proposal": proposal, "recipient": "parents", "notified_on": "2026-11-20"}})  # fmt: skip
    assert ok.status_code in (200, 201), ok.get_data(as_text=True)
    case = client.get(f"/api/v1/cases/{case_id}", headers=headers).get_json()
    assert case["suspensions"]["decisions"][0]["notices"]["parents"][0]["notified_on"] == "2026-11-20"


def test_today_is_the_date_in_england(database: Database) -> None:
    """At 00:30 in England in summer it is still yesterday in UTC: a notice dated today is not 'in the future'."""
    clock = Clock(datetime(2027, 6, 14, 9, 0, tzinfo=UTC))
    svc = _services(database, clock)
    seed_people(svc)
    try:
        case_id = _case(svc, _pupil(svc))
        proposal = _decide(svc, case_id, 1, start="2027-06-15")
        clock.now = datetime(2027, 6, 14, 23, 30, tzinfo=UTC) + timedelta(0)  # 00:30 on 15 June in England
        _notice(svc, case_id, proposal, "parents", on="2027-06-15")
        assert svc.cases.view(principal(svc, "dsl"), case_id).safeguards.decisions[0].notices["parents"]
    finally:
        svc.close()


def test_an_upgraded_database_gets_what_the_projections_would_have_written(database: Database, svc: Services) -> None:
    """Migration 0012 fills, for what was recorded before it: each suspension's term and when it was
    decided, the care status's date, and a decision's missed exam, as the projections write them."""
    pupil_id = _pupil(svc, social_worker=False)
    svc.pupils.act(principal(svc, "dsl"), pupil_id, "record_care_status", svc.pupils.load(pupil_id).version,
                   {"status": "looked_after", "since": "2024-05-01"})  # fmt: skip
    case_id = _case(svc, pupil_id)
    _decide(svc, case_id, 2, start="2026-11-23", heard=False)
    proposal = _act(svc, "slt", case_id, "propose_suspension", {"days": 1, "start_date": "2027-03-29", "reason": "x"})
    _act(
        svc,
        "head",
        case_id,
        "decide_suspension",
        {"proposal": proposal, "decision": "suspend", "reasons": "As the behaviour policy sets out.", "misses_public_exam": True},
    )
    svc.close()

    def held() -> list[Any]:
        engine = make_engine(database.owner_url, app_role=False)
        with engine.connect() as conn:
            days = sorted(tuple(r) for r in conn.execute(select(suspension_days).order_by(suspension_days.c.decided_version)))
            since = conn.execute(select(pupil_status.c.care_since).where(pupil_status.c.pupil_id == pupil_id)).scalar_one()
            facts = select(case_report_facts.c.version, case_report_facts.c.misses_exam, case_report_facts.c.decided_on)
            exams = sorted(tuple(r) for r in conn.execute(facts))
        engine.dispose()
        return [days, since, exams]

    projected = held()
    columns = [c.name for c in suspension_days.columns]
    rows = [dict(zip(columns, row, strict=True)) for row in projected[0]]
    assert [(r["school_year"], r["term"], r["days"], r["start_date"]) for r in rows] == [
        (2026, "autumn", 2.0, date(2026, 11, 23)),
        (2026, "summer", 1.0, date(2027, 3, 29)),
    ]  # the day after Easter Day
    assert all(r["decided_at"] is not None and r["decided_days"] == r["days"] and r["cancelled_at"] is None for r in rows)
    assert projected[1] == date(2024, 5, 1)
    assert [version for version, exam, _ in projected[2] if exam] == [proposal + 1]
    assert [day for _, _, day in projected[2] if day] == [TODAY, TODAY]  # the two decisions
    downgrade(database.owner_url, "0011")
    upgrade(database.owner_url)
    assert held() == projected


# --- the school's list of what is still owed ---------------------------------------------------------
def _owing(svc: Services, who: str = "dsl") -> list[Any]:
    return svc.due.due(principal(svc, who), SCHOOL, TODAY).decisions


def test_the_due_list_names_each_decision_still_owing_as_its_case_page_does(svc: Services) -> None:
    first = _case(svc, _pupil(svc, 1))
    short = _decide(svc, first, 2)
    longer = _decide(svc, first, 14, start="2026-11-25")  # 16 in the term: a board meeting is owed
    looked_after = _pupil(svc, 2, social_worker=False)
    svc.pupils.act(principal(svc, "dsl"), looked_after, "record_care_status", svc.pupils.load(looked_after).version,
                   {"status": "looked_after", "since": "2024-05-01"})  # fmt: skip
    second = _case(svc, looked_after)
    excluded = _decide(svc, second, None, heard=False)  # no social worker to hear
    owing = _owing(svc)
    assert [(o.case_id, o.duties.proposal) for o in owing] == [(first, short), (first, longer), (second, excluded)]
    for item in owing:  # the same duties as the case page works out
        on_page = {d.proposal: d for d in svc.cases.view(principal(svc, "dsl"), item.case_id).safeguards.decisions}
        assert (item.duties.missing, item.duties.duty, item.duties.board_review_owed, item.duties.term) == (
            on_page[item.duties.proposal].missing,
            on_page[item.duties.proposal].duty,
            on_page[item.duties.proposal].board_review_owed,
            on_page[item.duties.proposal].term,
        )
    assert owing[2].duties.missing == ["parents", "social_worker", "virtual_school", "governing_board", "local_authority"]
    for recipient in ("parents", "social_worker", "governing_board", "local_authority"):
        _notice(svc, first, short, recipient)
        _notice(svc, first, longer, recipient)
    assert [(o.case_id, o.duties.proposal, o.duties.missing) for o in _owing(svc)][:1] == [(first, longer, [])]
    _act(svc, "head", first, "record_board_review", {"proposal": longer, "met_on": "2026-11-20", "outcome": "uphold"})
    assert [o.case_id for o in _owing(svc)] == [second]


def test_the_due_page_and_api_show_what_is_owing_and_the_reading_is_logged(app: Flask, svc: Services) -> None:
    pupil_id = _pupil(svc)
    case_id = _case(svc, pupil_id)
    proposal = _decide(svc, case_id, 3)
    _notice(svc, case_id, proposal, "parents")
    client = app.test_client()
    sign_in(client, "head")
    page = client.get(f"/due?school_urn={SCHOOL}").get_data(as_text=True)
    assert 'id="decisions-owing-list"' in page and f"/cases/{case_id}#decision-{proposal}" in page
    assert "The social worker; The governing board; The local authority" in page
    token = svc.accounts.issue_token("head")
    answer = client.get(f"/api/v1/due?school_urn={SCHOOL}", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [(d["case_id"], d["proposal"], d["notices_missing"]) for d in answer["decisions_owing"]] == [
        (case_id, proposal, ["social_worker", "governing_board", "local_authority"])
    ]
    listed = [line for line in access_lines(svc) if line["action"] == "due_listed"]
    assert listed and listed[-1]["case_id"] == case_id and listed[-1]["pupil_id"] == pupil_id
    for recipient in ("social_worker", "governing_board", "local_authority"):
        _notice(svc, case_id, proposal, recipient)
    assert 'id="decisions-none"' in client.get(f"/due?school_urn={SCHOOL}").get_data(as_text=True)


# --- from the review of the first version ----------------------------------------------------------
def test_a_later_suspension_on_another_case_does_not_change_an_earlier_decisions_duty(database: Database) -> None:
    """Across cases, decisions are ordered by when they were written."""
    clock = Clock(NOW)
    svc = _services(database, clock)
    seed_people(svc)
    try:
        pupil_id = _pupil(svc)
        first, second = _case(svc, pupil_id), _case(svc, pupil_id)
        _decide(svc, first, 3)
        clock.now = NOW + timedelta(minutes=5)
        _decide(svc, second, 13, start="2026-11-26")
        (earlier,) = svc.cases.view(principal(svc, "head"), first).safeguards.decisions
        assert (earlier.term_days, earlier.duty.code, earlier.board_review_owed) == (3, "representations", False)
        (later,) = svc.cases.view(principal(svc, "head"), second).safeguards.decisions
        assert (later.term_days, later.duty.code) == (16, "must_consider")
        assert [(o.case_id, o.duties.term_days) for o in _owing(svc) if o.duties.board_review_owed] == [(second, 16)]
    finally:
        svc.close()


def test_the_duty_follows_the_order_of_decisions_not_of_proposals(svc: Services) -> None:
    case_id = _case(svc, _pupil(svc))
    long_one = _act(svc, "slt", case_id, "propose_suspension", {"days": 10, "start_date": "2026-11-23", "reason": "x"})
    short_one = _act(svc, "slt", case_id, "propose_suspension", {"days": 6, "start_date": "2026-12-07", "reason": "y"})
    for proposal in (long_one, short_one):
        view = {"kind": "exclusion_view", "proposal": proposal, "contribution": "v"}
        _act(svc, "sw", case_id, "add_contribution", view)
    for proposal in (short_one, long_one):
        _act(
            svc,
            "head",
            case_id,
            "decide_suspension",
            {"proposal": proposal, "decision": "suspend", "reasons": "As the behaviour policy sets out."},
        )
    duties = {d.proposal: d.duty.code for d in svc.cases.view(principal(svc, "head"), case_id).safeguards.decisions}
    assert duties == {short_one: "if_parents_ask", long_one: "must_consider"}


def test_who_is_owed_a_notice_is_judged_on_the_day_of_the_decision(database: Database) -> None:
    clock = Clock(NOW)
    svc = _services(database, clock)
    seed_people(svc)
    try:
        pupil_id = _pupil(svc)
        case_id = _case(svc, pupil_id)
        _decide(svc, case_id, 3)
        clock.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        dsl = principal(svc, "dsl")
        episode = svc.pupils.load(pupil_id).episodes[0].id
        svc.pupils.act(dsl, pupil_id, "end_social_care_episode", svc.pupils.load(pupil_id).version,
                       {"episode": episode, "end_date": "2026-11-27"})  # fmt: skip
        assert "social_worker" in svc.cases.view(dsl, case_id).safeguards.decisions[0].missing
        assert "social_worker" in _owing(svc)[0].duties.missing
    finally:
        svc.close()


def test_what_a_decision_owes_can_be_recorded_after_the_case_closes() -> None:
    from tests.journey_helpers import IN_NEED, act, case_at

    case = case_at("transition")
    act(case, "propose_exclusion", "slt", {"start_date": "2026-11-03", "reason": "Assault"})
    proposal = case.version
    view = {"kind": "exclusion_view", "proposal": proposal, "contribution": "v"}
    act(case, "add_contribution", "social_worker", view, user="sw")
    act(
        case,
        "decide_exclusion",
        "headteacher",
        {"proposal": proposal, "decision": "exclude", "reasons": "As the behaviour policy sets out."},
    )
    act(case, "close", "dsl", {"records_transferred": True})
    assert case.state == "closed"
    act(
        case, "record_decision_notice", "headteacher", {"proposal": proposal, "recipient": "parents", "notified_on": "2026-11-02"}
    )
    act(case, "record_board_review", "headteacher", {"proposal": proposal, "met_on": "2026-11-02", "outcome": "uphold"})
    assert not any("No meeting" in w for w in warnings(case, IN_NEED, date(2026, 11, 2)))


@pytest.mark.parametrize("query", ["proposal=%C2%B2", "proposal=" + "9" * 5000, "proposal=-1"])
def test_odd_links_to_the_notice_form_are_not_a_500(app: Flask, svc: Services, query: str) -> None:
    case_id = _case(svc, _pupil(svc))
    _decide(svc, case_id, 3)
    client = app.test_client()
    sign_in(client, "head")
    assert client.get(f"/cases/{case_id}/actions/record_decision_notice?{query}").status_code == 200


def test_a_missed_exam_makes_the_board_meet_and_lets_it_reinstate(svc: Services) -> None:
    case_id = _case(svc, _pupil(svc))
    proposal = _act(svc, "slt", case_id, "propose_suspension", {"days": 2, "start_date": "2026-11-23", "reason": "x"})
    _act(svc, "sw", case_id, "add_contribution", {"kind": "exclusion_view", "proposal": proposal, "contribution": "v"})
    _act(
        svc,
        "head",
        case_id,
        "decide_suspension",
        {"proposal": proposal, "decision": "suspend", "reasons": "As the behaviour policy sets out.", "misses_public_exam": True},
    )
    (duties,) = svc.cases.view(principal(svc, "head"), case_id).safeguards.decisions
    assert duties.duty.code == "must_consider" and "public exam" in duties.duty.text and duties.board_review_owed
    assert [o.duties.duty.code for o in _owing(svc)] == ["must_consider"]  # the due list reads it from the report facts
    _act(svc, "head", case_id, "record_board_review", {"proposal": proposal, "met_on": "2026-11-20", "outcome": "reinstate"})


def test_once_the_parents_ask_a_board_meeting_is_owed(svc: Services) -> None:
    case_id = _case(svc, _pupil(svc))
    proposal = _decide(svc, case_id, 8)
    (duties,) = svc.cases.view(principal(svc, "head"), case_id).safeguards.decisions
    assert duties.duty.code == "if_parents_ask" and not duties.board_review_owed
    _act(svc, "dsl", case_id, "record_review_request", {"proposal": proposal, "requested_on": "2026-11-20"})
    view = svc.cases.view(principal(svc, "head"), case_id)
    assert view.safeguards.decisions[0].board_review_owed
    assert any("The parents asked for it. No meeting is recorded yet." in w for w in view.warnings)
    assert [o.duties.board_review_owed for o in _owing(svc)] == [True]
    _act(svc, "head", case_id, "record_board_review", {"proposal": proposal, "met_on": "2026-11-20", "outcome": "reinstate"})
    assert not svc.cases.view(principal(svc, "head"), case_id).safeguards.decisions[0].board_review_owed


@pytest.mark.parametrize("days", [2.3, 5.1, 0.75 + 0.1])
def test_suspension_days_are_whole_or_half_days(svc: Services, days: float) -> None:
    case_id = _case(svc, _pupil(svc))
    before = svc.store.current_version(case_id)
    with pytest.raises(GuardFailed) as refused:
        _act(svc, "slt", case_id, "propose_suspension", {"days": days, "start_date": "2026-11-23", "reason": "x"})
    assert {u.code for u in refused.value.unmet} == {"half_days"}
    assert svc.store.current_version(case_id) == before
    _act(svc, "slt", case_id, "propose_suspension", {"days": 2.5, "start_date": "2026-11-23", "reason": "x"})


def test_the_social_worker_sees_the_case_on_the_day_england_says_their_plan_starts(database: Database) -> None:
    clock = Clock(datetime(2027, 6, 14, 9, 0, tzinfo=UTC))
    svc = _services(database, clock)
    seed_people(svc)
    try:
        pupil_id = _pupil(svc, social_worker=False)
        svc.pupils.record_episode(
            principal(svc, "dsl"), pupil_id, {"plan": "cin", "start_date": "2027-06-15", "social_worker": "sw"}
        )
        case_id = _case(svc, pupil_id)
        clock.now = datetime(2027, 6, 14, 23, 30, tzinfo=UTC)  # 00:30 on 15 June in England
        assert svc.cases.view(principal(svc, "sw"), case_id).case.id == case_id
        assert svc.pupils.roles_on(principal(svc, "sw"), svc.pupils.load(pupil_id)) == {"social_worker"}
    finally:
        svc.close()


def _backdated(svc: Services, pupil_id: str, day: datetime, **decision: Any) -> str:
    case_id = _case(svc, pupil_id)
    # proposed that day too: a decision is not dated before its proposal (support_journey@11)
    proposal = svc.cases.act(principal(svc, "slt"), case_id, "propose_suspension", svc.store.current_version(case_id),
                             {"days": 2, "start_date": "2026-11-23", "reason": "x"}, occurred_at=day)[0].version  # fmt: skip
    if not decision:  # the view given by the day of the decision, as it counts only then (support_journey@11)
        svc.cases.act(principal(svc, "sw"), case_id, "add_contribution", svc.store.current_version(case_id),
                      {"kind": "exclusion_view", "proposal": proposal, "contribution": "v"}, occurred_at=day)  # fmt: skip
    svc.cases.act(principal(svc, "head"), case_id, "decide_suspension", svc.store.current_version(case_id),
                  {"proposal": proposal, "decision": "suspend", "reasons": "As the behaviour policy sets out.", **decision}, occurred_at=day)  # fmt: skip
    return case_id


def test_a_backdated_decision_is_judged_on_its_day_on_the_due_list_as_on_the_case(svc: Services) -> None:
    """The child's plan ended between the decision and its recording: the social worker is still owed."""
    dsl = principal(svc, "dsl")
    pupil_id = _pupil(svc)
    episode = svc.pupils.load(pupil_id).episodes[0].id
    svc.pupils.act(dsl, pupil_id, "end_social_care_episode", svc.pupils.load(pupil_id).version,
                   {"episode": episode, "end_date": "2026-11-15"})  # fmt: skip
    override = {
        "override_reason": "Urgent.",
        "notified_social_worker": True,
        "notified_virtual_school": True,
        "notified_la": True,
    }
    case_id = _backdated(svc, pupil_id, datetime(2026, 11, 12, 10, tzinfo=UTC), **override)
    (on_page,) = svc.cases.view(dsl, case_id).safeguards.decisions
    assert on_page.decided_on == date(2026, 11, 12) and "social_worker" in on_page.missing
    (listed,) = _owing(svc)
    assert (listed.duties.decided_on, listed.duties.missing) == (on_page.decided_on, on_page.missing)


@pytest.mark.parametrize("occurred", ["0999-06-01T00:00:00Z", "0001-01-01T00:00:00+14:00", "1899-12-31T23:00:00Z"])
def test_an_ancient_occurred_at_is_refused_and_the_case_still_loads(app: Flask, svc: Services, occurred: str) -> None:
    case_id = _case(svc, _pupil(svc))
    proposal = _decide(svc, case_id, 3)
    before = svc.store.current_version(case_id)
    headers = {"Authorization": f"Bearer {svc.accounts.issue_token('head')}"}
    client = app.test_client()
    answer = client.post(
        f"/api/v1/cases/{case_id}/actions/record_decision_notice",
        headers=headers,
        json={"expected_version": before, "occurred_at": occurred,
              "data": {"proposal": proposal, "recipient": "parents", "notified_on": "2026-11-20"}},
    )  # fmt: skip
    assert answer.status_code == 422 and "1900 or later" in answer.get_data(as_text=True)
    assert svc.store.current_version(case_id) == before
    assert client.get(f"/api/v1/cases/{case_id}", headers=headers).status_code == 200


def test_the_governors_and_la_reports_count_what_decisions_still_owe_as_at_their_date(svc: Services) -> None:
    """Governors hold the board's duty: the report says how many decisions still owe a notice or a
    board meeting, as the due list finds them, with counts under 5 shown as such."""
    cases = []
    for serial in range(1, 6):
        case_id = _case(svc, _pupil(svc, serial))
        cases.append((case_id, _decide(svc, case_id, None)))  # a permanent exclusion: the board must meet
    report = svc.reports.governors(principal(svc, "governor"), SCHOOL, TODAY)
    assert (report["decisions_owing_notices"], report["board_meetings_owed"]) == (5, 5)
    la = svc.reports.la(principal(svc, "vs"), LA, TODAY)
    assert (la["decisions_owing_notices"], la["board_meetings_owed"]) == (5, 5)
    case_id, proposal = cases[0]
    for recipient in ("parents", "social_worker", "governing_board", "local_authority"):
        _notice(svc, case_id, proposal, recipient)
    report = svc.reports.governors(principal(svc, "governor"), SCHOOL, TODAY)
    assert (report["decisions_owing_notices"], report["board_meetings_owed"]) == ("fewer than 5", 5)
    before = svc.reports.governors(principal(svc, "governor"), SCHOOL, TODAY - timedelta(days=1))
    assert (before["decisions_owing_notices"], before["board_meetings_owed"]) == ("fewer than 5", "fewer than 5")


# --- a decision cancelled --------------------------------------------------------------------------
def _cancel(svc: Services, case_id: str, proposal: int, served: float, who: str = "head") -> int:
    data = {"proposal": proposal, "cancelled_on": "2026-11-20", "days_served": served, "reason": "Reintegration agreed."}
    return _act(svc, who, case_id, "cancel_decision", data)


def test_a_cancelled_suspension_counts_only_the_days_served_and_still_owes_its_notices(svc: Services) -> None:
    pupil_id = _pupil(svc)
    case_id = _case(svc, pupil_id)
    proposal = _decide(svc, case_id, 16, start="2026-11-16")
    assert svc.cases.view(principal(svc, "head"), case_id).safeguards.decisions[0].board_review_owed
    _cancel(svc, case_id, proposal, 2)
    view = svc.cases.view(principal(svc, "head"), case_id)
    (duties,) = view.safeguards.decisions
    assert (view.safeguards.term_days, view.safeguards.year_days) == (2, 2)
    assert duties.cancelled is not None and duties.cancelled["days_served"] == 2
    assert not duties.board_review_owed  # the pupil is back: nothing to reinstate
    assert duties.missing == ["parents", "social_worker", "governing_board", "local_authority"]
    assert [s.days for s in svc.reads.other_suspensions(pupil_id).values()] == [2.0]  # the 45-day limit's count
    rebuild(svc.store)  # a rebuild from the log writes the same
    assert [s.days for s in svc.reads.other_suspensions(pupil_id).values()] == [2.0]
    (listed,) = _owing(svc)
    assert (listed.duties.missing, listed.duties.board_review_owed, listed.duties.term_days) == (
        duties.missing, duties.board_review_owed, duties.term_days,
    )  # fmt: skip
    assert (listed.duties.days, listed.duties.provision, listed.duties.cancelled["days_served"]) == (  # type: ignore[index]
        16, duties.provision, 2,
    )  # fmt: skip
    other = _case(svc, pupil_id)
    _decide(svc, other, 43)  # 2 + 43 = 45: the cancelled days no longer stand in the way


def test_only_the_head_cancels_once_within_the_days_decided(svc: Services) -> None:
    case_id = _case(svc, _pupil(svc))
    proposal = _decide(svc, case_id, 3)
    before = svc.store.current_version(case_id)
    for served, code in [(4, "served_too_many"), (1.3, "half_days")]:
        with pytest.raises(GuardFailed) as refused:
            _cancel(svc, case_id, proposal, served)
        assert {u.code for u in refused.value.unmet} == {code}
    for who in ("slt", "dsl", "sw"):
        with pytest.raises(NotPermitted):
            _cancel(svc, case_id, proposal, 0, who=who)
    assert svc.store.current_version(case_id) == before
    _cancel(svc, case_id, proposal, 0)
    with pytest.raises(GuardFailed) as again:
        _cancel(svc, case_id, proposal, 0)
    assert {u.code for u in again.value.unmet} == {"already_cancelled"}


def test_the_case_page_says_a_decision_was_cancelled_and_offers_the_head_to_cancel(app: Flask, svc: Services) -> None:
    case_id = _case(svc, _pupil(svc))
    proposal = _decide(svc, case_id, 3, start="2026-11-16")
    client = app.test_client()
    sign_in(client, "head")
    assert f"/cases/{case_id}/actions/cancel_decision?proposal={proposal}" in client.get(f"/cases/{case_id}").get_data(
        as_text=True
    )
    _cancel(svc, case_id, proposal, 1)
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f'id="cancelled-{proposal}"' in page and "after 1 day served (only those count): Reintegration agreed." in page
    assert f"cancel_decision?proposal={proposal}" not in page  # no link to cancel it again


def test_what_a_cancelled_suspension_owed_before_it_was_cancelled_stays_in_earlier_reports(database: Database) -> None:
    clock = Clock(NOW - timedelta(days=2))
    svc = _services(database, clock)
    seed_people(svc)
    try:
        cases = []
        for serial in range(1, 6):
            case_id = _case(svc, _pupil(svc, serial))
            cases.append((case_id, _decide(svc, case_id, 16, start="2026-11-16")))
        day_before = TODAY - timedelta(days=1)
        assert svc.reports.governors(principal(svc, "governor"), SCHOOL, day_before)["board_meetings_owed"] == 5
        clock.now = NOW
        for case_id, proposal in cases:
            _cancel(svc, case_id, proposal, 0)
        assert svc.reports.governors(principal(svc, "governor"), SCHOOL, day_before)["board_meetings_owed"] == 5
        assert svc.reports.governors(principal(svc, "governor"), SCHOOL, TODAY)["board_meetings_owed"] == "fewer than 5"
    finally:
        svc.close()


def test_days_served_belong_to_a_suspension_that_had_begun(svc: Services) -> None:
    case_id = _case(svc, _pupil(svc))
    later = _decide(svc, case_id, 5, start="2026-11-23")
    for served, code in [(5, "not_begun"), (None, "days_served_needed")]:
        data = {"proposal": later, "cancelled_on": "2026-11-20", "reason": "x"} | ({"days_served": served} if served else {})
        with pytest.raises(GuardFailed) as refused:
            _act(svc, "head", case_id, "cancel_decision", data)
        assert {u.code for u in refused.value.unmet} == {code}
    _cancel(svc, case_id, later, 0)
    excluded = _decide(svc, case_id, None)
    with pytest.raises(GuardFailed) as refused:
        _cancel(svc, case_id, excluded, 30)
    assert {u.code for u in refused.value.unmet} == {"no_days_for_exclusion"}
    _act(svc, "head", case_id, "cancel_decision", {"proposal": excluded, "cancelled_on": "2026-11-20", "reason": "x"})


def test_no_minus_zero_and_no_double_full_stop_on_the_page(app: Flask, svc: Services) -> None:
    case_id = _case(svc, _pupil(svc))
    proposal = _decide(svc, case_id, 3)
    _cancel(svc, case_id, proposal, -0.0)
    client = app.test_client()
    sign_in(client, "head")
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "after 0 days served" in page and "-0" not in page and "agreed.." not in page


def test_the_pupil_record_shows_their_suspension_days_on_all_their_cases(app: Flask, svc: Services) -> None:
    pupil_id = _pupil(svc)
    _decide(svc, _case(svc, pupil_id), 4)
    _decide(svc, _case(svc, pupil_id), 3, start="2026-06-01")  # last school year
    client = app.test_client()
    sign_in(client, "dsl")
    page = client.get(f"/pupils/{pupil_id}").get_data(as_text=True)
    assert "4 this term (autumn term 2026); 4 of 45 this school year" in page
    _decide(svc, _case(svc, pupil_id), 2, start="2026-11-30")
    page = client.get(f"/pupils/{pupil_id}").get_data(as_text=True)
    assert "6 this term (autumn term 2026); 6 of 45 this school year" in page and "More than 5 this term" in page


def test_a_cancelled_decision_says_no_board_meeting_is_owed_as_the_due_list_does(app: Flask, svc: Services) -> None:
    """The fourth walk: after the head cancelled a suspension, the case page still said the board 'must consider
    the parents' representations' and offered 'Record the governing board's review', while the due list owed
    no meeting."""
    case_id = _case(svc, _pupil(svc))
    proposal = _decide(svc, case_id, 3, start="2026-11-16")
    client = app.test_client()
    sign_in(client, "head")
    before = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "must consider the parents&#39; representations" in before or "must consider the parents' representations" in before
    _cancel(svc, case_id, proposal, 0)
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    board = page[page.index(f'id="cancelled-{proposal}"') :]
    assert "No governing board meeting is owed: the decision was cancelled." in board
    assert "must consider the parents" not in board
    assert f"record_board_review?proposal={proposal}" not in page
