"""The governors' report counts a projection of each case's report facts up to its date, never a replay,
and counts exactly what replaying the cases would: steps, interventions in place, evaluations, this
school year's suspensions and exclusions, overrides of the social worker's silence, proposals awaiting
a view. A replay of each case is the oracle, in pure Python and on both databases."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from caseflow.adapters.database import make_engine
from caseflow.adapters.migrate import downgrade, upgrade
from caseflow.adapters.projections import rebuild
from caseflow.adapters.tables import case_report_facts
from caseflow.bootstrap import Services, bootstrap
from caseflow.demo import SCHOOL as DEMO_SCHOOL
from caseflow.demo import load_demo, make_upn
from caseflow.domain.case import SupportCase
from caseflow.domain.case_report import Tally, report_fact, tally
from caseflow.domain.events import StoredEvent
from caseflow.services.reports import SUPPRESSED, WITHHELD, of_which
from tests.conftest import SCHOOL, Clock, Database, principal
from tests.journey_helpers import WHEN, act, case_at, replayed_tally

NOTIFIED = {"notified_social_worker": True, "notified_virtual_school": True, "notified_la": True}
AS_OF = date(2026, 11, 22)
#: when last school year's suspension was proposed and decided: not after it began (support_journey@10)
IN_AUGUST = datetime(2026, 8, 20, 8, 0, tzinfo=UTC)
URN = DEMO_SCHOOL[0]


def propose(
    case: SupportCase, log: list[StoredEvent], kind: str = "suspension", start: str = "2026-11-20", when: datetime = WHEN
) -> int:
    data = {"start_date": start, "reason": "x"} | ({"days": 2} if kind == "suspension" else {})
    act(case, f"propose_{kind}", "slt", data, log=log, when=when)
    return case.version


def view(case: SupportCase, log: list[StoredEvent], proposal: int, when: datetime = WHEN) -> None:
    data = {"kind": "exclusion_view", "contribution": "Please wait", "proposal": proposal}
    act(case, "add_contribution", "social_worker", data, user="sw", log=log, when=when)


def a_school_of_cases() -> tuple[list[SupportCase], list[StoredEvent]]:
    """Cases with one of each thing the report counts, and its near misses."""
    log: list[StoredEvent] = []
    heard = case_at("intervention", log=log, case_id="heard")  # an intervention in place
    excluded = propose(heard, log, "exclusion")
    view(heard, log, excluded)
    decision = {
        "proposal": excluded,
        "decision": "exclude",
        "reasons": "As the behaviour policy sets out.",
        "override_reason": "Risk to staff",
    }
    act(heard, "decide_exclusion", "headteacher", decision | NOTIFIED, log=log)  # heard first: no override

    overridden = case_at("intervention", log=log, case_id="overridden")
    suspended = propose(overridden, log)
    decision = {
        "proposal": suspended,
        "decision": "suspend",
        "reasons": "As the behaviour policy sets out.",
        "override_reason": "Immediate risk",
    }
    act(overridden, "decide_suspension", "headteacher", decision | NOTIFIED, log=log)  # an override
    last_year = propose(overridden, log, start="2026-08-20", when=IN_AUGUST)  # the school year before
    view(overridden, log, last_year, IN_AUGUST)  # given by the day of the decision, as it counts then
    act(
        overridden,
        "decide_suspension",
        "headteacher",
        {"proposal": last_year, "decision": "suspend", "reasons": "As the behaviour policy sets out."},
        log=log,
        when=IN_AUGUST,
    )
    withdrawn = propose(overridden, log, start="2026-11-24")  # after the days decided
    view(overridden, log, withdrawn)
    act(overridden, "decide_suspension", "headteacher", {"proposal": withdrawn, "decision": "withdraw"}, log=log)

    waiting = case_at("one_plan", log=log, case_id="waiting")
    propose(waiting, log)  # awaiting the social worker's view
    view(waiting, log, propose(waiting, log, "exclusion"))  # heard, not yet decided

    evaluated = case_at("evaluation", log=log, case_id="evaluated")
    planned = evaluated.interventions()[-1]["id"]
    act(evaluated, "record_outcome", "senco", {"intervention": planned, "measure": "95%", "status": "completed"}, log=log)
    act(evaluated, "record_evaluation", "dsl", {"verdict": "effective", "summary": "Better"}, log=log)
    closed = case_at("closed", log=log, case_id="closed")  # its intervention, never ended, ended with the case
    return [heard, overridden, waiting, evaluated, closed], log


def test_each_count_matches_a_replay_of_the_cases() -> None:
    cases, log = a_school_of_cases()
    facts = sorted((fact for event in log if (fact := report_fact(event)) is not None), key=lambda f: (f.case_id, f.version))
    counted = tally(facts, AS_OF)
    assert counted == replayed_tally(cases, AS_OF)
    assert counted == Tally(
        steps=Counter({"intervention": 2, "one_plan": 1, "evaluation": 1, "closed": 1}),
        interventions_in_place=2,  # heard's and overridden's; evaluated's was completed, closed's ended with the case
        evaluations_recorded=2,  # evaluated's and closed's
        suspensions=1,  # last year's suspension and the withdrawn one do not count
        exclusions=1,
        overrides=1,
        awaiting_social_worker=1,
    )
    next_year = date(2027, 10, 1)
    assert tally(facts, next_year) == replayed_tally(cases, next_year)
    assert (tally(facts, next_year).suspensions, tally(facts, next_year).exclusions) == (0, 0)


def test_a_cancelled_decision_is_counted_and_said_to_be_cancelled() -> None:
    """The board and the LA are told of every suspension and exclusion, even one cancelled, so the report counts
    it; beside the count, how many of them the head cancelled by the report's date."""
    log: list[StoredEvent] = []
    case = case_at("intervention", log=log, case_id="cancelled")
    suspended = propose(case, log)
    view(case, log, suspended)
    act(
        case,
        "decide_suspension",
        "headteacher",
        {"proposal": suspended, "decision": "suspend", "reasons": "As the behaviour policy sets out."},
        log=log,
    )
    cancel = {"proposal": suspended, "cancelled_on": "2026-11-20", "days_served": 1, "reason": "Reintegration agreed."}
    act(case, "cancel_decision", "headteacher", cancel, log=log)
    excluded = propose(case, log, "exclusion", start="2026-11-25")
    view(case, log, excluded)
    act(
        case,
        "decide_exclusion",
        "headteacher",
        {"proposal": excluded, "decision": "exclude", "reasons": "As the behaviour policy sets out."},
        log=log,
    )
    facts = sorted((fact for event in log if (fact := report_fact(event)) is not None), key=lambda f: (f.case_id, f.version))
    counted = tally(facts, AS_OF)
    assert counted == replayed_tally([case], AS_OF)
    assert (counted.suspensions, counted.suspensions_cancelled, counted.exclusions, counted.exclusions_cancelled) == (1, 1, 1, 0)
    assert tally([f for f in facts if f.kind != "cancelled"], AS_OF).suspensions_cancelled == 0, "not yet cancelled"


@pytest.mark.parametrize(
    ("part", "whole", "shown"),
    [(0, 0, SUPPRESSED), (3, 20, SUPPRESSED), (5, 5, 5), (6, 20, 6), (5, 7, WITHHELD), (16, 20, WITHHELD)],
)
def test_a_count_within_a_count_hides_a_few_children_either_way(part: int, whole: int, shown: object) -> None:
    assert of_which(part, whole) == shown


def test_notes_and_contacts_are_not_facts() -> None:
    log: list[StoredEvent] = []
    case = case_at("one_plan", log=log)
    act(case, "log_family_contact", "dsl", {"date": "2026-10-01", "method": "phone", "summary": "x"}, log=log)
    assert report_fact(log[-1]) is None
    assert report_fact(log[0]) is not None and report_fact(log[0]).state == "need_identified"  # type: ignore[union-attr]


def _stored_tally(svc: Services, as_of: date) -> Tally:
    cutoff = datetime.combine(as_of, datetime.max.time(), tzinfo=UTC)
    cases = [
        SupportCase.replay(row["case_id"], svc.store.load(row["case_id"]), as_of=cutoff)
        for row in svc.reads.cases_for_schools([URN])
    ]
    return replayed_tally(cases, as_of)


def _facts(database: Database) -> list[tuple[object, ...]]:
    engine = make_engine(database.owner_url, app_role=False)
    with engine.connect() as conn:
        rows = [tuple(row) for row in conn.execute(select(case_report_facts).order_by("case_id", "version"))]
    engine.dispose()
    return rows


def test_the_report_counts_the_projection_as_a_replay_would_at_any_date(database: Database) -> None:
    """On each database: demo cases and more, written over three weeks; the report at each date counts
    what replaying every case up to that date counts; a rebuild and the migration's backfill write
    the same facts as the projection did."""
    clock = Clock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    svc = bootstrap(database.url, clock=clock)
    assert load_demo(svc, echo=lambda _: None)
    slt, head = principal(svc, "slt"), principal(svc, "head")
    weekdays = (day for day in (date(2026, 12, 7) + timedelta(days=n) for n in range(60)) if day.weekday() < 5)
    for week in range(3):  # each week, a third of the open cases: a suspension proposed and decided
        clock.now += timedelta(days=7)
        for row in svc.reads.cases_for_schools([URN])[week::3]:
            if row["state"] == "closed":
                continue
            data = {"days": 1, "start_date": next(weekdays).isoformat(), "reason": "x"}  # a day of its own
            case = svc.cases.act(slt, row["case_id"], "propose_suspension", row["version"], data)[0]
            decision = {
                "proposal": case.version,
                "decision": "suspend",
                "reasons": "As the behaviour policy sets out.",
                "override_reason": "Risk",
            } | NOTIFIED
            svc.cases.act(head, case.id, "decide_suspension", case.version, decision)
    days = [date(2026, 11, 1), date(2026, 11, 10), date(2026, 11, 17), date(2026, 11, 24), date(2026, 12, 31)]
    reports, overrides = {}, []
    for day in days:
        cutoff = datetime.combine(day, datetime.max.time(), tzinfo=UTC)
        counted = tally(svc.reads.report_facts([URN], cutoff), day)
        assert counted == _stored_tally(svc, day), day
        overrides.append(counted.overrides)
        reports[day] = svc.reports.governors(principal(svc, "governor"), URN, day)
    assert overrides[1] < overrides[2] < overrides[3], "each date counts only what was recorded by then"
    assert reports[date(2026, 11, 1)]["cases_by_step"] == {}, "before the first case, nothing"
    long_ago = svc.reports.governors(principal(svc, "governor"), URN, date(999, 12, 31))  # SQLite's text of year 999 sorts last
    assert long_ago["cases_by_step"] == {} and long_ago["proposals_awaiting_social_worker"] == SUPPRESSED
    assert reports[date(2026, 12, 31)]["cases_by_step"], "the cases are counted"
    assert SUPPRESSED in reports[date(2026, 12, 31)].values() or any(
        v == SUPPRESSED for v in reports[date(2026, 12, 31)]["cases_by_step"].values()
    )
    projected = _facts(database)
    assert len(projected) > 20
    rebuild(svc.store)
    assert _facts(database) == projected
    svc.close()
    downgrade(database.owner_url, "0007")
    upgrade(database.owner_url)
    assert _facts(database) == projected


@pytest.mark.parametrize("as_of", ["0001-01-01", "0003-01-01", "0005-12-31"])
def test_a_report_as_at_the_first_years_there_are_is_an_answer_not_a_500(services: Services, as_of: str) -> None:
    """Six years before such a day is before the calendar begins: the cohort then is simply empty."""
    services.pupils.register(
        principal(services, "dsl"),
        {"upn": make_upn("881", "2001", 2019, 1), "given_name": "A", "family_name": "B",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    report = services.reports.governors(principal(services, "governor"), SCHOOL, date.fromisoformat(as_of))
    assert report["as_of"] == as_of and report["cohort"]["open"] in (0, SUPPRESSED)
