"""An intervention still running when its case closed ends with the case: reopened, the case plans its
support afresh, its old review dates no longer fall due, and the step that needs an intervention needs a
new one. The case page, the due list, a rebuild and migration 0014 all read it the same way."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from caseflow import create_app
from caseflow.adapters.database import make_engine
from caseflow.adapters.migrate import downgrade, upgrade
from caseflow.adapters.projections import rebuild
from caseflow.adapters.tables import interventions
from caseflow.bootstrap import Services
from caseflow.demo import make_upn, walk
from caseflow.domain.case import SupportCase
from caseflow.domain.guards import CaseContext, intervention_planned
from tests.conftest import SCHOOL, Clock, Database, _services, principal, seed_people

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
FAR = date(2030, 1, 1)


@pytest.fixture
def svc(database: Database) -> Iterator[Services]:
    services = _services(database, Clock(NOW))
    seed_people(services)
    yield services
    services.close()


def closed_and_reopened(svc: Services) -> tuple[str, int]:
    """A case walked to its close with two interventions running, then reopened; and the version it closed at."""
    dsl = principal(svc, "dsl")
    pupil = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 41), "given_name": "Rae", "family_name": "Lowe",
         "date_of_birth": "2015-03-01", "school_urn": SCHOOL},
    )  # fmt: skip
    case_id = walk(
        svc, {"dsl": dsl, "senco": principal(svc, "senco"), "mhl": principal(svc, "mhl")}, pupil.id, "closed", NOW.date()
    )
    closed_at = svc.store.current_version(case_id)
    svc.cases.act(dsl, case_id, "reopen", closed_at, {"reason": "New concerns about attendance after the move fell through."})
    return case_id, closed_at


def statuses(svc: Services, case_id: str) -> list[str]:
    return [item["status"] for item in SupportCase.replay(case_id, svc.store.load(case_id)).interventions()]


def stored_statuses(svc: Services, case_id: str) -> list[str]:
    with svc.engine.connect() as conn:
        query = select(interventions.c.status).where(interventions.c.case_id == case_id).order_by(interventions.c.intervention)
        return list(conn.execute(query).scalars())


def test_the_interventions_running_at_the_close_end_with_it_and_are_not_due_after_reopening(svc: Services) -> None:
    case_id, closed_at = closed_and_reopened(svc)
    assert statuses(svc, case_id) == ["closed", "closed"] == stored_statuses(svc, case_id)
    assert [r for r in svc.reads.interventions_due([SCHOOL], FAR) if r["case_id"] == case_id] == []
    as_it_stood = SupportCase.replay(case_id, svc.store.load(case_id), upto_version=closed_at - 1)
    assert [i["status"] for i in as_it_stood.interventions()] == ["active", "active"], "the past as it stood"


def test_a_reopened_case_needs_a_new_intervention_before_agreeing_them(svc: Services) -> None:
    case_id, _ = closed_and_reopened(svc)
    [unmet] = intervention_planned(SupportCase.replay(case_id, svc.store.load(case_id)), {}, CaseContext(), "agree_interventions")
    assert unmet.code == "intervention"


def test_the_case_page_says_they_ended_when_the_case_closed(svc: Services) -> None:
    case_id, _ = closed_and_reopened(svc)
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": "dsl", "password": "correct horse battery"}).status_code == 302
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert page.count("Ended when the case closed") == 2


@pytest.mark.parametrize("batch", [1, 10_000])
def test_a_rebuild_writes_what_the_projection_wrote(svc: Services, batch: int) -> None:
    """In one batch the case's rows are still in memory when it closes; one event at a time, they are stored."""
    case_id, _ = closed_and_reopened(svc)
    assert rebuild(svc.store, batch=batch) == svc.store.count()
    assert stored_statuses(svc, case_id) == ["closed", "closed"]


def test_migration_0014_ends_the_interventions_of_cases_closed_before_it(svc: Services, database: Database) -> None:
    case_id, _ = closed_and_reopened(svc)
    dsl = principal(svc, "dsl")
    other = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 42), "given_name": "Sol", "family_name": "Reid",
         "date_of_birth": "2015-04-01", "school_urn": SCHOOL},
    )  # fmt: skip
    running = walk(
        svc, {"dsl": dsl, "senco": principal(svc, "senco"), "mhl": principal(svc, "mhl")}, other.id, "intervention", NOW.date()
    )
    svc.close()
    downgrade(database.owner_url, "0013")
    engine = make_engine(database.owner_url, app_role=False)

    def stored() -> list[str]:
        with engine.connect() as conn:
            return list(conn.execute(select(interventions.c.status).where(interventions.c.case_id == case_id)).scalars())

    assert stored() == ["active", "active"], "as the projection wrote them before"
    upgrade(database.owner_url)
    assert stored() == ["closed", "closed"]
    with engine.connect() as conn:
        still = list(conn.execute(select(interventions.c.status).where(interventions.c.case_id == running)).scalars())
    assert still == ["active", "active"], "a case never closed keeps its interventions running"
    engine.dispose()
