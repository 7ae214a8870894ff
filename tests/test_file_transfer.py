"""The child protection file when a child leaves for another setting (domain facts, section 6: KCSIE): the
DSL sends it within 5 school days for an in-year move, or within the first 5 school days of a new term,
separately from the main pupil file, and records the new setting's confirmation that it arrived. The case
page and the due list say what is still owed and by when; support_journey@3 is kept as released."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from caseflow import create_app
from caseflow.adapters.projections import rebuild
from caseflow.bootstrap import Services
from caseflow.domain.case import SupportCase
from caseflow.domain.errors import GuardFailed
from caseflow.domain.file_transfer import due_by
from caseflow.domain.guards import case_file_duty
from tests.conftest import SCHOOL, Clock, Database, _services, principal, seed_people
from tests.journey_helpers import IN_NEED, act, case_at
from tests.test_school_calendar import BODY, calendar
from tests.test_web_security import sign_in
from workflows import REGISTRY

TODAY = date(2026, 11, 20)
CTX = replace(IN_NEED, today=TODAY, school_calendar=calendar)
SENT = {
    "receiving_setting": "Riverside Academy",
    "sent_on": "2026-11-20",
    "how": "secure_transfer_system",
    "sent_separately": True,
}


def moving(kind: str = "school_move", on: str = "2026-11-11") -> SupportCase:
    case = act(case_at("evaluation"), "record_evaluation", "dsl", {"verdict": "effective", "summary": "Better"}, CTX)
    return act(case, "prepare_transition", "dsl", {"kind": kind, "date": on, "receiving_setting": "Riverside Academy"}, CTX)


def refused(case: SupportCase, action: str, data: dict[str, Any]) -> set[str]:
    with pytest.raises(GuardFailed) as caught:
        act(case, action, "dsl", data, CTX)
    return {u.code for u in caught.value.unmet}


# --- when it is due -----------------------------------------------------------------------------------
def test_within_5_school_days_in_year_or_the_first_5_of_a_new_term() -> None:
    cal = calendar()
    assert due_by(date(2026, 11, 11), cal) == (date(2026, 11, 18), False)  # a Wednesday in term
    assert due_by(date(2026, 10, 23), cal) == (date(2026, 11, 6), False)  # over the half term, still the autumn term
    assert due_by(date(2026, 12, 18), cal) == (date(2027, 1, 11), True)  # the last day of term: 5 Jan is day 1
    assert due_by(date(2026, 12, 23), cal) == (date(2027, 1, 11), True)  # in the holidays
    assert due_by(date(2027, 7, 21), cal) == (None, True)  # the last day of the year; the next is not set
    assert due_by(date(2027, 7, 19), cal) == (None, False)  # in term, but the days run past the year set
    assert due_by(date(2026, 11, 11), type(cal)()) == (None, None)  # no dates: neither dated nor judged


def test_a_weekend_or_half_term_leaver_during_a_term_is_an_in_year_move() -> None:
    """From a review: these were called new-term moves, and the page gave the new-term rule."""
    assert due_by(date(2026, 11, 14), calendar()) == (date(2026, 11, 20), False)  # a Saturday
    assert due_by(date(2026, 10, 28), calendar()) == (date(2026, 11, 6), False)  # in the October half term


def test_a_far_off_date_is_refused_and_never_overflows() -> None:
    """From a review: a move dated 9999-12-31 made the case page and the whole due list a 500."""
    case = act(case_at("evaluation"), "record_evaluation", "dsl", {"verdict": "effective", "summary": "Better"}, CTX)
    for far in ("9999-12-31", "2024-11-01", "2029-01-01"):
        move = {"kind": "school_move", "date": far, "receiving_setting": "Riverside Academy"}
        assert refused(case, "prepare_transition", move) == {"transition_date"}
    assert calendar().school_day(date.max, 1) is None and type(calendar())().school_day(date.max, 5) is None
    assert due_by(date.max, calendar()) == (None, None)


@given(st.dates(min_value=date(2026, 9, 1), max_value=date(2027, 6, 30)))
def test_the_last_day_is_a_school_day_five_on_from_the_day_after_leaving(leaving: date) -> None:
    cal = calendar()
    last, new_term = due_by(leaving, cal)
    assert last is not None and last > leaving and cal.is_school_day(last)
    first = cal.school_day(leaving, 1)
    assert first is not None and cal.school_day(first if new_term else leaving, 4 if new_term else 5) == last


# --- the rules -----------------------------------------------------------------------------------------
def test_sending_needs_a_move_to_another_setting_separately_and_not_in_the_future() -> None:
    step_down = moving("step_down")
    assert refused(step_down, "record_file_transfer", SENT) == {"not_moving"}
    case = moving()
    assert refused(case, "record_file_transfer", SENT | {"sent_separately": False}) == {"not_separate"}
    assert refused(case, "record_file_transfer", SENT | {"sent_on": "2026-11-21"}) == {"date_in_future"}
    act(case, "record_file_transfer", "dsl", SENT, CTX)
    duty = case_file_duty(case, CTX)
    assert duty is not None and duty.sent and not duty.confirmed and duty.due_by == date(2026, 11, 18)


def test_a_receipt_names_a_sending_once_and_not_before_it() -> None:
    case = moving()
    sent = act(case, "record_file_transfer", "dsl", SENT, CTX).version
    receipt = {"transfer": sent, "received_on": "2026-11-20", "confirmed_by": "J Bell, DSL at Riverside"}
    assert refused(case, "record_file_receipt", receipt | {"transfer": sent - 1}) == {"no_such_transfer"}
    assert refused(case, "record_file_receipt", receipt | {"received_on": "2026-11-18"}) == {"before_sent"}
    act(case, "record_file_receipt", "dsl", receipt, CTX)
    assert refused(case, "record_file_receipt", receipt) == {"nothing_sent", "already_confirmed"}
    duty = case_file_duty(case, CTX)
    assert duty is not None and duty.confirmed
    closed = act(case, "close", "dsl", {"receiving_setting_informed": True, "records_transferred": True}, CTX)
    assert case_file_duty(closed, CTX) is not None  # the file's record stays with the closed case


def test_only_the_dsl_sends_and_confirms() -> None:
    spec = REGISTRY["support_journey@4"]["actions"]
    roles = {a["name"]: set(a["roles"]) for a in spec}
    assert roles["record_file_transfer"] == roles["record_file_receipt"] == {"dsl"}


def test_a_reopened_case_owes_no_file_until_a_move_is_prepared_again() -> None:
    case = moving()
    assert refused(case, "close", {"reason": "Moved"}) == {"file_not_sent"}, "support_journey@5: the file goes first"
    act(case, "record_file_transfer", "dsl", SENT, CTX)
    act(case, "close", "dsl", {"reason": "Moved; the file is sent, its receipt not yet confirmed"}, CTX)
    assert case_file_duty(case, CTX) is not None
    act(case, "reopen", "dsl", {"reason": "The move fell through"}, CTX)
    assert case_file_duty(case, CTX) is None


def test_version_3_of_the_journey_is_kept_as_released() -> None:
    released = json.loads((Path(__file__).parent / "data" / "support_journey_v3.json").read_text())
    assert json.loads(json.dumps(REGISTRY["support_journey@3"])) == released
    added = {a["name"] for a in REGISTRY["support_journey@4"]["actions"]} - {a["name"] for a in released["actions"]}
    assert added == {"record_file_transfer", "record_file_receipt"}


# --- the case page, the due list and the API, on both backends ----------------------------------------
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def svc(database: Database) -> Iterator[Services]:
    services = _services(database, Clock(NOW))
    seed_people(services)
    services.calendars.set_year(principal(services, "head"), SCHOOL, 2026, BODY)
    yield services
    services.close()


def _walk_to_evaluation(svc: Services) -> str:
    """A case of a pupil never in the cohort, walked through every guard to its evaluation."""
    from tests.test_exclusion_safeguards import _case, _pupil

    case_id = _case(svc, _pupil(svc, social_worker=False))
    dsl = principal(svc, "dsl")

    def do(action: str, data: dict[str, Any] | None = None) -> int:
        return svc.cases.act(dsl, case_id, action, svc.store.current_version(case_id), data or {})[0].version

    do("start_one_plan")
    do("record_plan", {"outcomes": ["Attend"], "strengths": "Kind", "aspirations": "Vet"})
    do("record_family_views", {"views": "Supportive"})
    do("record_pupil_voice", {"voice": "I like art"})
    do("convene_review")
    do("record_meeting", {"date": "2026-10-01", "aspirations_discussed": True,
                          "attendees": [{"name": "A", "agency": "school"}, {"name": "B", "agency": "health"}]})  # fmt: skip
    planned = do(
        "plan_intervention", {"intervention": "Mentoring", "owner": "Mr P", "baseline": "85%", "review_date": "2026-12-01"}
    )
    do("agree_interventions")
    do("record_outcome", {"intervention": planned, "measure": "92%", "status": "continuing"})
    do("evaluate")
    do("record_evaluation", {"verdict": "effective", "summary": "Attendance up"})
    return case_id


def test_the_due_list_and_the_case_page_say_what_is_owed(svc: Services) -> None:
    case_id = _walk_to_evaluation(svc)
    dsl = principal(svc, "dsl")

    def do(action: str, data: dict[str, Any]) -> int:
        return svc.cases.act(dsl, case_id, action, svc.store.current_version(case_id), data)[0].version

    do("prepare_transition", {"kind": "school_move", "date": "2026-11-11", "receiving_setting": "Riverside Academy"})
    owed = svc.due.due(dsl, SCHOOL, TODAY).files
    assert [(o.case_id, o.duty.due_by, o.duty.overdue(TODAY), o.duty.sent) for o in owed] == [
        (case_id, date(2026, 11, 18), True, False)
    ]
    assert owed[0].duty == svc.cases.view(dsl, case_id).file  # as the case page works it out
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    sign_in(client, "dsl")
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Not yet sent" in page and "Due by <strong>18 November 2026</strong>" in page and "Overdue" in page
    sent = do("record_file_transfer", SENT)
    assert [o.duty.sent for o in svc.due.due(dsl, SCHOOL, TODAY).files] == [True]
    due_page = client.get(f"/due?school_urn={SCHOOL}&as_of=2026-11-20").get_data(as_text=True)
    assert "Receipt not confirmed" in due_page and "Riverside Academy" in due_page
    api = client.get(f"/api/v1/cases/{case_id}", headers={"Authorization": f"Bearer {svc.accounts.issue_token('dsl')}"})
    assert api.get_json()["child_protection_file"]["sent"][0]["version"] == sent
    do("record_file_receipt", {"transfer": sent, "received_on": "2026-11-20", "confirmed_by": "J Bell"})
    assert svc.due.due(dsl, SCHOOL, TODAY).files == []
    assert "received 20 November 2026, confirmed by J Bell" in client.get(f"/cases/{case_id}").get_data(as_text=True)
    rebuild(svc.store)  # the rebuilt report facts say the same
    assert svc.due.due(dsl, SCHOOL, TODAY).files == []


def test_the_file_is_the_dsls_on_the_page_too(svc: Services) -> None:
    case_id = _walk_to_evaluation(svc)
    dsl = principal(svc, "dsl")
    svc.cases.act(dsl, case_id, "prepare_transition", svc.store.current_version(case_id),
                  {"kind": "post_16", "date": "2026-11-11", "receiving_setting": "Riverside College"})  # fmt: skip
    app: Flask = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": True})
    for who, link in (("dsl", True), ("head", False)):
        client = app.test_client()
        sign_in(client, who)
        page = client.get(f"/cases/{case_id}").get_data(as_text=True)
        assert "Child protection file" in page and ("Record that the file was sent" in page) is link


def test_an_upgraded_database_knows_the_moves_already_prepared(svc: Services, database: Database) -> None:
    """Migration 0013 gives a transition prepared before it the report fact the due list reads."""
    from caseflow.adapters.migrate import downgrade, upgrade

    case_id = _walk_to_evaluation(svc)
    dsl = principal(svc, "dsl")
    svc.cases.act(dsl, case_id, "prepare_transition", svc.store.current_version(case_id),
                  {"kind": "school_move", "date": "2026-11-11", "receiving_setting": "Riverside Academy"})  # fmt: skip
    before = svc.due.due(dsl, SCHOOL, TODAY).files
    assert [o.case_id for o in before] == [case_id]
    downgrade(database.owner_url, "0012")
    assert svc.reads.file_facts([SCHOOL]) == []  # as the projection wrote it before 0013
    upgrade(database.owner_url)
    svc.calendars.set_year(dsl, SCHOOL, 2026, BODY)  # dropped with its table
    assert svc.due.due(dsl, SCHOOL, TODAY).files == before


# --- from a new user's walk ------------------------------------------------------------------------------
def test_a_sending_is_for_this_move_and_a_receipt_waits_for_one() -> None:
    case = moving()
    assert refused(case, "record_file_transfer", SENT | {"sent_on": "2020-01-01"}) == {"before_move"}
    assert refused(case, "record_file_receipt", {"transfer": 1, "received_on": "2026-11-20", "confirmed_by": "J"}) >= {
        "nothing_sent"
    }
    from caseflow.domain.guards import warnings

    assert any("child protection file is not yet sent" in w for w in warnings(case, CTX, TODAY))
    act(case, "record_file_transfer", "dsl", SENT, CTX)
    assert not any("child protection file" in w for w in warnings(case, CTX, TODAY))
