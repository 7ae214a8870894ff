"""From a review of pupil_record@3, support_journey@5 and interventions ending with the case: each test
showed one defect, and failed on the code before its fix."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from caseflow.bootstrap import Services
from caseflow.demo import load_demo
from caseflow.domain.case_report import report_fact, tally
from caseflow.domain.events import StoredEvent
from caseflow.domain.guards import CaseContext
from caseflow.domain.roles import Actor
from caseflow.services.imports import ImportRejected
from caseflow.web.openapi import openapi_document
from tests.conftest import Clock, Database, _services, seed_people
from tests.journey_helpers import INTERVENTION, MEETING, WORKFLOW, act, case_at

ADMIN = Actor("cli:test", "admin")
HEADER = "upn,given_name,family_name,date_of_birth,school_urn,year_group\n"


# --- 2107ba5: interventions end with the case ------------------------------------------------------
def test_the_governors_report_does_not_count_interventions_that_ended_with_the_case() -> None:
    """The case page says 'Ended when the case closed'; the governors' report still counts it in place."""
    log: list[StoredEvent] = []
    case = case_at("closed", log=log)
    assert [i["status"] for i in case.interventions()] == ["closed"]
    facts = [fact for event in log if (fact := report_fact(event)) is not None]
    assert tally(facts, date(2026, 11, 22)).interventions_in_place == 0


def test_a_reopened_case_is_evaluated_on_its_new_interventions_only() -> None:
    """Reopened, the case plans afresh; evaluating it must not ask for outcome measures on the interventions
    that ended with the close (recording one as completed or stopped would also rewrite how it ended)."""
    case = case_at("closed")
    act(case, "reopen", "dsl", {"reason": "New concerns"})
    act(case, "start_one_plan", "dsl")
    act(case, "add_contribution", "social_worker", {"kind": "social_care_view", "contribution": "Agree"}, user="sw")
    act(case, "convene_review", "dsl")
    act(case, "record_meeting", "dsl", MEETING)
    act(case, "plan_intervention", "senco", INTERVENTION | {"intervention": "Fresh start"})
    act(case, "agree_interventions", "dsl")
    fresh = case.interventions()[-1]["id"]
    act(case, "record_outcome", "senco", {"intervention": fresh, "measure": "90%", "status": "continuing"})
    assert [i["status"] for i in case.interventions()] == ["closed", "active"]
    act(case, "evaluate", "dsl")  # GuardFailed: 'Record an outcome measure for "Mentoring"' (the ended one)
    assert case.state == "evaluation"


# --- 6fe845c: a suspension starts on a school day --------------------------------------------------
@pytest.fixture
def wednesday(sqlite_database: Database) -> Iterator[Services]:
    services = _services(sqlite_database, Clock(datetime(2026, 11, 4, 9, 0, tzinfo=UTC)))  # a Wednesday
    yield services
    services.close()


def test_the_demo_loads_on_a_wednesday(wednesday: Services) -> None:
    """The demo proposes suspensions from today + 1 and today + 3: from Wednesday to Saturday one is a weekend."""
    assert load_demo(wednesday, echo=lambda _: None)


# --- 80655a6: pupil dates, fields of unmet requirements ------------------------------------------
@pytest.fixture
def svc(sqlite_database: Database) -> Iterator[Services]:
    services = _services(sqlite_database, Clock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC)))
    seed_people(services)
    yield services
    services.close()


def test_an_import_row_with_a_bad_upn_still_reports_its_future_date_of_birth(svc: Services) -> None:
    """'An import row reports every problem it has, a bad UPN no longer hiding the rest': it still hides
    the date rules (and the school's URN), which are only checked once the UPN is good."""
    text = HEADER + "Z801200001001,A,B,2027-01-01,100001,1\n"
    with pytest.raises(ImportRejected) as rejected:
        svc.imports.run("pupils", text, ADMIN, None)
    assert sorted(e.column for e in rejected.value.errors) == ["date_of_birth", "upn"], [str(e) for e in rejected.value.errors]


def test_an_import_row_with_a_bad_year_group_still_reports_its_future_date_of_birth(svc: Services) -> None:
    text = HEADER + "H801200001001,A,B,2027-01-01,100001,year five\n"
    with pytest.raises(ImportRejected) as rejected:
        svc.imports.run("pupils", text, ADMIN, None)
    assert sorted(e.column for e in rejected.value.errors) == ["date_of_birth", "year_group"]


def test_an_outcome_cannot_be_recorded_on_an_intervention_that_ended_with_the_case() -> None:
    case = case_at("closed")
    act(case, "reopen", "dsl", {"reason": "New concerns"})
    ended = case.interventions()[0]["id"]
    unmet = WORKFLOW.check(case, WORKFLOW.action("record_outcome"), {"intervention": ended}, CaseContext(), with_input=True)
    assert [(u.code, u.field) for u in unmet] == [("intervention_ended", "intervention")]


def test_the_openapi_document_declares_the_field_of_an_unmet_requirement() -> None:
    """The API's unmet items now carry 'field'; the OpenAPI document clients are generated from does not say so."""
    unmet = openapi_document(WORKFLOW)["components"]["schemas"]["Unmet"]
    assert "field" in unmet["properties"]
