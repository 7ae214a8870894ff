"""From a second new user's walk: the cohort dashboard as at 15 September showed a suspension decided on
7 December, and each child's step, interventions and next review as they are now. As at a day, a child's case,
its step and its running interventions are as the record stood at that day's end, as the governors' report
counts them, and only the suspensions decided by then count."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from caseflow.bootstrap import Services
from caseflow.demo import make_upn, walk
from tests.conftest import SCHOOL, Clock, Database, _services, principal, seed_people

OPENED = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def clock() -> Clock:
    return Clock(OPENED)


@pytest.fixture
def svc(database: Database, clock: Clock) -> Iterator[Services]:
    services = _services(database, clock)
    seed_people(services)
    yield services
    services.close()


def row_on(svc: Services, pupil_id: str, day: date) -> dict[str, object]:
    board = svc.dashboard.cohort(principal(svc, "dsl"), SCHOOL, day)
    return next(r for r in board["pupils"] if r["pupil_id"] == pupil_id)


def test_a_day_before_the_case_shows_no_case_and_the_day_after_shows_it(svc: Services, clock: Clock) -> None:
    dsl = principal(svc, "dsl")
    clock.now = OPENED - timedelta(days=1)  # on the roll the day before the case, whose row shows no case
    pupil = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 97), "given_name": "Sol", "family_name": "Asat",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    clock.now = OPENED
    svc.pupils.record_episode(dsl, pupil.id, {"plan": "cin", "start_date": "2025-01-01", "social_worker": "sw"})
    who = {"dsl": dsl, "senco": principal(svc, "senco"), "mhl": principal(svc, "mhl"), "sw": principal(svc, "sw")}
    case_id = walk(svc, who, pupil.id, "intervention", OPENED.date())
    clock.now = OPENED + timedelta(days=7)  # a week later: a suspension proposed and decided
    version = svc.store.current_version(case_id)
    proposed = svc.cases.act(
        principal(svc, "slt"), case_id, "propose_suspension", version, {"days": 2, "start_date": "2026-11-17", "reason": "x"}
    )[0]
    svc.cases.act(principal(svc, "sw"), case_id, "add_contribution", proposed.version,
                  {"kind": "exclusion_view", "proposal": proposed.version, "contribution": "Please wait."})  # fmt: skip
    svc.cases.act(
        principal(svc, "head"),
        case_id,
        "decide_suspension",
        proposed.version + 1,
        {"proposal": proposed.version, "decision": "suspend", "reasons": "As the behaviour policy sets out."},
    )
    before = row_on(svc, pupil.id, date(2026, 11, 8))
    assert (before["case_id"], before["step"], before["open_interventions"], before["suspension_days"]) == (None, None, 0, 0.0)
    opened = row_on(svc, pupil.id, OPENED.date())
    assert (opened["case_id"], opened["step"], opened["suspension_days"]) == (case_id, "intervention", 0.0)
    assert opened["open_interventions"] >= 1 and opened["next_review"] is not None
    later = row_on(svc, pupil.id, (OPENED + timedelta(days=7)).date())
    assert later["suspension_days"] == 2.0
    board = svc.dashboard.cohort(principal(svc, "dsl"), SCHOOL, date(2026, 11, 8))
    assert board["cohort"]["pupils_suspended"] == 0
    clock.now = OPENED + timedelta(days=14)  # a week after that, the head cancels it after 1 day served
    version = svc.store.current_version(case_id)
    cancel = {"proposal": proposed.version, "cancelled_on": "2026-11-23", "days_served": 1, "reason": "Reintegration agreed."}
    svc.cases.act(principal(svc, "head"), case_id, "cancel_decision", version, cancel)
    assert row_on(svc, pupil.id, (OPENED + timedelta(days=7)).date())["suspension_days"] == 2.0, "not yet cancelled then"
    assert row_on(svc, pupil.id, (OPENED + timedelta(days=14)).date())["suspension_days"] == 1.0, "only the day served now"


def test_the_la_view_as_at_a_day_counts_the_suspensions_as_the_school_dashboard_does(svc: Services, clock: Clock) -> None:
    """The LA view summed every suspension of the school year, whenever decided; each school's row is held
    equal to its own dashboard, which counts only those decided by the day's end, and a later cancellation's
    days served only from when it was cancelled."""
    dsl = principal(svc, "dsl")
    pupil = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 96), "given_name": "Lu", "family_name": "Lasat",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    svc.pupils.record_episode(dsl, pupil.id, {"plan": "cin", "start_date": "2025-01-01", "social_worker": "sw"})
    who = {"dsl": dsl, "senco": principal(svc, "senco"), "mhl": principal(svc, "mhl"), "sw": principal(svc, "sw")}
    case_id = walk(svc, who, pupil.id, "intervention", OPENED.date())
    clock.now = OPENED + timedelta(days=7)
    version = svc.store.current_version(case_id)
    data = {"days": 3, "start_date": "2026-11-17", "reason": "x"}
    proposed = svc.cases.act(principal(svc, "slt"), case_id, "propose_suspension", version, data)[0].version
    view = {"kind": "exclusion_view", "proposal": proposed, "contribution": "Please wait."}
    svc.cases.act(principal(svc, "sw"), case_id, "add_contribution", proposed, view)
    svc.cases.act(
        principal(svc, "head"),
        case_id,
        "decide_suspension",
        proposed + 1,
        {"proposal": proposed, "decision": "suspend", "reasons": "As the behaviour policy sets out."},
    )
    clock.now = OPENED + timedelta(days=14)
    cancel = {"proposal": proposed, "cancelled_on": "2026-11-23", "days_served": 1, "reason": "Reintegration agreed."}
    svc.cases.act(principal(svc, "head"), case_id, "cancel_decision", proposed + 2, cancel)
    vs = principal(svc, "vs")
    for day, days in [
        (OPENED.date(), 0.0),
        ((OPENED + timedelta(days=7)).date(), 3.0),
        ((OPENED + timedelta(days=14)).date(), 1.0),
    ]:
        (row,) = [s for s in svc.la.la(vs, day)["schools"] if s["urn"] == SCHOOL]
        board = svc.dashboard.cohort(vs, SCHOOL, day)["cohort"]
        assert (row["pupils_suspended"], row["suspension_days"]) == (int(days > 0), days), day
        assert (board["pupils_suspended"], board["suspension_days"]) == (int(days > 0), days), day


def test_a_past_day_shows_the_next_review_as_it_was_set_then(svc: Services, clock: Clock) -> None:
    """The dashboard as at a past day read each running intervention's review date as it is now: a later
    'Continue the interventions' moved it back in time."""
    dsl = principal(svc, "dsl")
    pupil = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 95), "given_name": "Rev", "family_name": "Asat",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    svc.pupils.record_episode(dsl, pupil.id, {"plan": "cin", "start_date": "2025-01-01", "social_worker": "sw"})
    who = {"dsl": dsl, "senco": principal(svc, "senco"), "mhl": principal(svc, "mhl"), "sw": principal(svc, "sw")}
    case_id = walk(svc, who, pupil.id, "evaluation", OPENED.date())
    first = (OPENED.date() + timedelta(days=42)).isoformat()
    assert row_on(svc, pupil.id, OPENED.date())["next_review"] == first
    clock.now = OPENED + timedelta(days=14)
    evaluated = {"verdict": "partly_effective", "summary": "Better mornings."}
    svc.cases.act(dsl, case_id, "record_evaluation", svc.store.current_version(case_id), evaluated)
    moved = "2027-02-01"
    svc.cases.act(dsl, case_id, "continue_intervention", svc.store.current_version(case_id), {"review_date": moved})
    assert row_on(svc, pupil.id, OPENED.date())["next_review"] == first, "as it was set on that day"
    assert row_on(svc, pupil.id, clock.now.date())["next_review"] == moved
