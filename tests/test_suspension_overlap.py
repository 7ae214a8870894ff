"""A pupil cannot be suspended twice on one day (support_journey@6): a suspension over school days already
decided, on this case or another of the pupil's, is refused when it is proposed and when it is decided,
and again inside the decision's transaction, so two heads deciding at once cannot both pass. A duplicate
would count the same days twice towards the 45-day limit and the board's term totals."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn
from caseflow.domain.errors import GuardFailed
from caseflow.domain.exclusions import DaysAway, days_away
from caseflow.domain.school_calendar import SchoolCalendar, TermDates, parse_dates
from caseflow.services.school_calendars import calendar_body
from tests.conftest import SCHOOL, Clock, Database, _services, principal, seed_people
from tests.test_school_calendar import CLOSED, DATES
from workflows import REGISTRY

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # a Friday in the autumn term


@pytest.fixture
def svc(database: Database) -> Iterator[Services]:
    services = _services(database, Clock(NOW))
    seed_people(services)
    yield services
    services.close()


_serial = iter(range(40, 99))


def a_pupil(svc: Services) -> str:
    pupil = svc.pupils.register(
        principal(svc, "dsl"),
        {"upn": make_upn("881", "2001", 2019, next(_serial)), "given_name": "Noor", "family_name": "Twice",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    return pupil.id


def a_case(svc: Services, pupil_id: str) -> str:
    data = {"pupil_id": pupil_id, "need_areas": ["behaviour"], "description": "Fights at break."}
    return svc.cases.open_case(principal(svc, "dsl"), data).id


def act(svc: Services, who: str, case_id: str, action: str, data: dict[str, Any], when: datetime | None = None) -> int:
    after, _ = svc.cases.act(principal(svc, who), case_id, action, svc.store.current_version(case_id), data, when)
    return after.version


def propose(svc: Services, case_id: str, start: str, days: float, when: datetime | None = None) -> int:
    return act(svc, "slt", case_id, "propose_suspension", {"days": days, "start_date": start, "reason": "Fight."}, when)


def decide(svc: Services, case_id: str, proposal: int, decision: str = "suspend", when: datetime | None = None) -> int:
    data = {"proposal": proposal, "decision": decision, "reasons": "As the behaviour policy sets out."}
    return act(svc, "head", case_id, "decide_suspension", data, when)


def suspend(svc: Services, case_id: str, start: str, days: float, when: datetime | None = None) -> int:
    """Propose and decide (``when``: the day it was, for one that has begun: support_journey@10)."""
    proposal = propose(svc, case_id, start, days, when)
    decide(svc, case_id, proposal, when=when)
    return proposal


def refused(call: Any, *args: Any) -> list[tuple[str, str | None, str]]:
    with pytest.raises(GuardFailed) as error:
        call(*args)
    return [(u.code, u.field, u.message) for u in error.value.unmet]


# --- the days a suspension takes --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("start", "days", "last"),
    [
        (date(2026, 11, 23), 3, date(2026, 11, 25)),  # Monday to Wednesday
        (date(2026, 11, 20), 2, date(2026, 11, 23)),  # Friday and Monday: not the weekend
        (date(2026, 11, 24), 0.5, date(2026, 11, 24)),  # a lunchtime takes its day
        (date(2026, 11, 26), 2.5, date(2026, 11, 30)),  # Thursday, Friday, half of Monday
        (date(2026, 11, 16), 10, date(2026, 11, 27)),
    ],
)
def test_without_term_dates_a_suspension_takes_weekdays(start: date, days: float, last: date) -> None:
    assert days_away(start, days, SchoolCalendar()) == DaysAway(start, last)


def test_with_term_dates_a_suspension_skips_the_holidays_and_closures() -> None:
    terms = tuple(TermDates(name, first, last) for name, (first, last) in DATES.items())
    calendar = SchoolCalendar(terms, frozenset(parse_dates(CLOSED)))
    assert days_away(date(2026, 12, 17), 3, calendar) == DaysAway(date(2026, 12, 17), date(2027, 1, 5))
    assert days_away(date(2026, 10, 23), 2, calendar) == DaysAway(date(2026, 10, 23), date(2026, 11, 2))  # half term


def test_nothing_served_takes_no_day_and_a_mistyped_year_does_not_break_the_check() -> None:
    assert days_away(date(2026, 11, 23), 0, SchoolCalendar()) is None
    assert days_away(date(9999, 12, 30), 5, SchoolCalendar()).last == date.max  # type: ignore[union-attr]


def test_spans_overlap_when_they_share_a_day() -> None:
    monday_to_wednesday = DaysAway(date(2026, 11, 23), date(2026, 11, 25))
    assert monday_to_wednesday.overlaps(DaysAway(date(2026, 11, 25), date(2026, 11, 26)))
    assert not monday_to_wednesday.overlaps(DaysAway(date(2026, 11, 26), date(2026, 11, 26)))
    assert DaysAway(date(2026, 11, 26), date(2026, 11, 26)).text() == "on 26 November 2026"


# --- refused when proposed, when decided, and against the pupil's other cases -------------------------
def test_a_proposal_over_days_already_decided_on_the_case_is_refused_on_its_start_date(svc: Services) -> None:
    case_id = a_case(svc, a_pupil(svc))
    suspend(svc, case_id, "2026-11-23", 3)
    before = svc.store.current_version(case_id)
    [(code, field, message)] = refused(propose, svc, case_id, "2026-11-25", 2)
    assert (code, field) == ("overlaps_suspension", "start_date")
    assert message.startswith("The pupil is already suspended from 23 November 2026 to 25 November 2026 (decided on this case)")
    assert "this suspension would run from 25 November 2026 to 26 November 2026" in message
    assert svc.store.current_version(case_id) == before
    assert propose(svc, case_id, "2026-11-26", 2) > before, "the day after the last is free"


def test_a_suspension_on_another_of_the_pupils_cases_counts(svc: Services) -> None:
    pupil_id = a_pupil(svc)
    first, second = a_case(svc, pupil_id), a_case(svc, pupil_id)
    suspend(svc, first, "2026-11-20", 2)  # Friday and Monday
    [(code, _, message)] = refused(propose, svc, second, "2026-11-23", 1)
    assert code == "overlaps_suspension" and "(decided on another of their cases)" in message
    other_pupil_case = a_case(svc, a_pupil(svc))
    assert suspend(svc, other_pupil_case, "2026-11-23", 1) > 0, "another child's suspension is no bar"


def test_of_two_overlapping_proposals_only_the_first_decided_stands(svc: Services) -> None:
    case_id = a_case(svc, a_pupil(svc))
    first, second = propose(svc, case_id, "2026-11-23", 3), propose(svc, case_id, "2026-11-24", 1)
    decide(svc, case_id, second)
    [(code, field, _)] = refused(decide, svc, case_id, first)
    assert (code, field) == ("overlaps_suspension", "proposal")
    decide(svc, case_id, first, "withdraw")  # withdrawing it is still possible
    view = svc.cases.view(principal(svc, "head"), case_id)
    assert [(d.proposal, d.days) for d in view.safeguards.decisions] == [(second, 1.0)]
    assert view.safeguards.term_days == 1


def test_only_the_days_served_of_a_cancelled_suspension_are_taken(svc: Services) -> None:
    case_id = a_case(svc, a_pupil(svc))
    proposal = suspend(svc, case_id, "2026-11-19", 5, NOW - timedelta(days=1))  # Thursday 19th to Wednesday 25th
    cancel = {"proposal": proposal, "cancelled_on": "2026-11-20", "days_served": 1, "reason": "Reintegration agreed."}
    act(svc, "head", case_id, "cancel_decision", cancel)
    assert refused(propose, svc, case_id, "2026-11-19", 1)[0][0] == "overlaps_suspension"
    assert propose(svc, case_id, "2026-11-20", 1) > 0


def test_the_schools_term_dates_decide_which_days_a_suspension_takes(svc: Services) -> None:
    case_id = a_case(svc, a_pupil(svc))
    svc.calendars.set_year(principal(svc, "head"), SCHOOL, 2026, calendar_body(DATES, parse_dates(CLOSED)))
    calendar = svc.reads.school_calendar(SCHOOL)
    suspend(svc, case_id, "2026-12-17", 3)
    last = days_away(date(2026, 12, 17), 3, calendar).last  # type: ignore[union-attr]
    assert last > date(2026, 12, 21), "the Christmas holidays are not school days"
    assert refused(propose, svc, case_id, last.isoformat(), 1)[0][0] == "overlaps_suspension"


# --- two heads at once --------------------------------------------------------------------------------
def test_two_decisions_at_once_on_two_cases_cannot_both_take_a_day(svc: Services) -> None:
    """Each decision's guard reads the other case before either commits; the rule is checked again in each
    append's transaction with the pupil held, so one of the two is refused."""
    pupil_id = a_pupil(svc)
    cases = [a_case(svc, pupil_id), a_case(svc, pupil_id)]
    proposals = [propose(svc, cases[0], "2026-11-23", 3), propose(svc, cases[1], "2026-11-25", 2)]
    inside, release = threading.Event(), threading.Event()

    def hold_first_open(conn: Connection, written: object) -> None:
        if not inside.is_set():
            inside.set()
            release.wait(timeout=10)

    svc.store.projectors.append(hold_first_open)
    outcomes: dict[str, str] = {}

    def decide_in_thread(case_id: str, proposal: int) -> None:
        try:
            decide(svc, case_id, proposal)
            outcomes[case_id] = "decided"
        except GuardFailed as error:
            outcomes[case_id] = ",".join(u.code for u in error.unmet)

    first = threading.Thread(target=decide_in_thread, args=(cases[0], proposals[0]))
    first.start()
    assert inside.wait(timeout=10)
    second = threading.Thread(target=decide_in_thread, args=(cases[1], proposals[1]))
    second.start()
    second.join(timeout=0.5)
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    svc.store.projectors.remove(hold_first_open)
    assert sorted(outcomes.values()) == ["decided", "overlaps_suspension"], outcomes
    assert len(svc.reads.other_suspensions(pupil_id)) == 1


# --- the version, the form and the API --------------------------------------------------------------
def test_version_5_is_kept_as_released_and_version_6_adds_the_rule() -> None:
    released = json.loads((Path(__file__).parent / "data" / "support_journey_v5.json").read_text())
    assert REGISTRY["support_journey@5"] == released
    for name in ("propose_suspension", "decide_suspension"):
        (now,) = [a for a in REGISTRY["support_journey@6"]["actions"] if a["name"] == name]
        (then,) = [a for a in released["actions"] if a["name"] == name]
        assert now["guards"] == [*then.get("guards", []), "suspensions_do_not_overlap"]
        (current,) = [a for a in REGISTRY["support_journey@7"]["actions"] if a["name"] == name]
        # unchanged in version 7, but for its words for a field chosen from a list
        assert {**current, "fields": {k: v for k, v in current["fields"].items() if k != "proposal"}} == {
            **now,
            "fields": {k: v for k, v in now["fields"].items() if k != "proposal"},
        }, "unchanged since"


def test_the_form_puts_the_message_on_the_start_date_and_the_api_names_the_field(svc: Services) -> None:
    case_id = a_case(svc, a_pupil(svc))
    suspend(svc, case_id, "2026-11-23", 3)
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": "slt", "password": "correct horse battery"}).status_code == 302
    version = svc.store.current_version(case_id)
    form = {"expected_version": version, "days": "1", "start_date": "2026-11-24", "reason": "Disruption."}
    page = client.post(f"/cases/{case_id}/actions/propose_suspension", data=form)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert 'href="#start_date"' in html and "The pupil is already suspended from 23 November 2026 to 25 November 2026" in html
    token = svc.accounts.issue_token("slt")
    body = {"expected_version": version, "data": {"days": 1, "start_date": "2026-11-24", "reason": "Disruption."}}
    answer = app.test_client().post(
        f"/api/v1/cases/{case_id}/actions/propose_suspension", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert [(u["code"], u["field"]) for u in answer.get_json()["unmet"]] == [("overlaps_suspension", "start_date")]
    assert svc.store.current_version(case_id) == version


# --- from a review: past the school's set year, and the first day away ----------------------------------
def _calendar_2026() -> SchoolCalendar:
    terms = tuple(TermDates(name, first, last) for name, (first, last) in DATES.items())
    return SchoolCalendar(terms, frozenset(parse_dates(CLOSED)))


def test_a_suspension_running_past_the_set_year_skips_the_summer_holiday() -> None:
    """Monday 19 July 2027, 5 days: the summer term ends on Wednesday 21 July, so days 4 and 5 fall in
    September (2027-28 not set: weekdays, Wed 1 and Thu 2). nth_day_of answers None once the search
    reaches the unset year, and days_away then counts the set year's holiday weekdays (22, 23 July)."""
    assert days_away(date(2027, 7, 19), 5, _calendar_2026()) == DaysAway(date(2027, 7, 19), date(2027, 9, 2))


def test_a_second_suspension_in_september_over_the_first_ones_days_is_refused(svc: Services) -> None:
    svc.calendars.set_year(principal(svc, "head"), SCHOOL, 2026, calendar_body(DATES, parse_dates(CLOSED)))
    case_id = a_case(svc, a_pupil(svc))
    suspend(svc, case_id, "2027-07-19", 5)  # Mon 19 to Wed 21 July, then Wed 1 and Thu 2 September
    assert refused(propose, svc, case_id, "2027-09-01", 1)[0][0] == "overlaps_suspension"


def test_the_first_day_away_is_a_school_day() -> None:
    """DaysAway is documented as 'the first and last school day'; a start on a Saturday or in a holiday
    keeps that day as ``first`` (only ``last`` is moved), so a one-day suspension reads as three days."""
    assert days_away(date(2026, 11, 21), 1, SchoolCalendar()) == DaysAway(date(2026, 11, 23), date(2026, 11, 23))
    assert days_away(date(2026, 12, 21), 1, _calendar_2026()) == DaysAway(date(2027, 1, 5), date(2027, 1, 5))


def test_a_weekend_start_is_not_described_as_a_run_from_the_saturday(svc: Services) -> None:
    case_id = a_case(svc, a_pupil(svc))
    suspend(svc, case_id, "2026-11-20", 2)  # Friday and Monday
    found = refused(propose, svc, case_id, "2026-11-21", 1)  # a Saturday, mistyped
    [overlap] = [message for code, _, message in found if code == "overlaps_suspension"]
    assert "this suspension would run on 23 November 2026" in overlap, overlap  # not "from 21 November" (Saturday)
