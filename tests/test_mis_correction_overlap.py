"""A correction the school's MIS makes to a suspension it recorded is compared with the suspensions heads decided on
the pupil's cases as the first record is, its days corrected as from when it was first recorded: onto a decided
suspension's days, the decision counts from when it was made and the record none; off them, the record counts as
never taken. Inline, a rebuild and migration 0022 write the same rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from caseflow.adapters.migrate import downgrade, upgrade
from caseflow.adapters.projections import rebuild
from caseflow.bootstrap import Services
from tests.conftest import SCHOOL, Clock, Database, _services, principal, seed_people
from tests.test_mis_suspensions import a_case, a_pupil, at, decide, imported, propose, upn
from tests.test_projections import dump


@pytest.fixture
def mis_clock() -> Clock:
    from tests.test_mis_suspensions import NOW

    return Clock(NOW)


@pytest.fixture
def mis_svc(database: Database, mis_clock: Clock) -> Iterator[Services]:
    services = _services(database, mis_clock)
    seed_people(services)
    yield services
    services.close()


def cohort_days(svc: Services, day: str) -> float:
    return svc.dashboard.cohort(principal(svc, "dsl"), SCHOOL, date.fromisoformat(day))["cohort"]["suspension_days"]


def corrected_onto_a_decision(svc: Services, clock: Clock, n: int) -> None:
    """The MIS records Monday alone; a head decides Tuesday and Wednesday; the MIS corrects to Monday to Wednesday."""
    pupil_id = a_pupil(svc, n, cohort=True)
    imported(svc, f"{upn(n)},suspension,2026-11-23,1,\n")
    case_id = a_case(svc, pupil_id)
    proposal = propose(svc, case_id, "2026-11-24", 2)
    svc.cases.act(
        principal(svc, "sw"),
        case_id,
        "add_contribution",
        svc.store.current_version(case_id),
        {"kind": "exclusion_view", "proposal": proposal, "contribution": "Agreed."},
    )
    at(clock, "2026-11-23")
    decide(svc, case_id, proposal)
    at(clock, "2026-11-24")
    imported(svc, f"{upn(n)},suspension,2026-11-23,3,\n")  # the MIS corrects its days over the decided ones


def corrected_off_a_decision(svc: Services, clock: Clock, n: int) -> None:
    """A head decides Tuesday and Wednesday; the MIS records Monday to Wednesday (the same suspension, which the
    decision counts); the MIS corrects its record to Monday alone."""
    pupil_id = a_pupil(svc, n, cohort=True)
    case_id = a_case(svc, pupil_id)
    proposal = propose(svc, case_id, "2026-11-24", 2)
    at(clock, "2026-11-23")
    decide(svc, case_id, proposal)
    imported(svc, f"{upn(n)},suspension,2026-11-23,3,\n")
    at(clock, "2026-11-25")
    imported(svc, f"{upn(n)},suspension,2026-11-23,1,\n")  # the MIS takes its record off the decided days


def test_an_mis_correction_onto_a_decided_suspensions_days_rebuilds_as_written_inline(
    mis_svc: Services, mis_clock: Clock
) -> None:
    """The MIS records Monday alone; a head decides Tuesday and Wednesday on a case; the MIS then corrects its
    record to Monday to Wednesday. Inline the correction is matched against nothing (the row is only corrected),
    while a rebuild, projecting the pupil's records of a batch before the cases', compares the decision with the
    corrected days: the two write different rows, and the figures count the days twice or once."""
    svc, clock = mis_svc, mis_clock
    corrected_onto_a_decision(svc, clock, 41)
    inline = dump(svc)
    days_inline = svc.dashboard.cohort(principal(svc, "dsl"), SCHOOL, date(2026, 11, 26))["cohort"]["suspension_days"]
    rebuild(svc.store)
    days_rebuilt = svc.dashboard.cohort(principal(svc, "dsl"), SCHOOL, date(2026, 11, 26))["cohort"]["suspension_days"]
    assert (days_inline, dump(svc)["suspension_days"]) == (days_rebuilt, inline["suspension_days"])


def test_a_correction_onto_a_decided_suspension_counts_its_days_once_as_at_every_day(mis_svc: Services, mis_clock: Clock) -> None:
    corrected_onto_a_decision(mis_svc, mis_clock, 42)
    # the record's days as corrected until the decision; from the decision, one suspension: the decision counts
    assert [cohort_days(mis_svc, day) for day in ("2026-11-20", "2026-11-23", "2026-11-24", "2026-11-26")] == [
        3.0,
        2.0,
        2.0,
        2.0,
    ]


def test_a_correction_off_a_decided_suspension_counts_the_record_beside_it(mis_svc: Services, mis_clock: Clock) -> None:
    svc, clock = mis_svc, mis_clock
    corrected_off_a_decision(svc, clock, 43)
    # the decision's two days, and Monday beside them from when the MIS first recorded it (its days as corrected)
    assert [cohort_days(svc, day) for day in ("2026-11-20", "2026-11-23", "2026-11-24", "2026-11-25")] == [
        0.0,
        3.0,
        3.0,
        3.0,
    ]
    inline = dump(svc)
    rebuild(svc.store)
    assert dump(svc) == inline
    assert cohort_days(svc, "2026-11-25") == 3.0


def test_migration_0022_writes_the_mis_rows_the_projection_writes(
    database: Database, mis_svc: Services, mis_clock: Clock
) -> None:
    corrected_onto_a_decision(mis_svc, mis_clock, 44)
    at(mis_clock, "2026-11-20")
    corrected_off_a_decision(mis_svc, mis_clock, 45)
    inline = dump(mis_svc)
    mis_svc.close()
    downgrade(database.owner_url, "0021")
    upgrade(database.owner_url)
    after = _services(database, mis_clock)
    try:
        assert dump(after) == inline
    finally:
        after.close()
