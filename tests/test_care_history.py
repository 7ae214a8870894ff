"""Who is owed a notice of a decision is judged on the day of the decision, by the child's care status that
day, not as it is now: a child looked after when suspended, and adopted since, still owed the Virtual School
Head a notice. The case page, the school's due list and the governors' report (as at a date) agree."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest

from caseflow.bootstrap import Services
from caseflow.domain.exclusions import CareSpell, Child
from caseflow.services.due import owed_after_decisions
from tests.conftest import SCHOOL, Clock, Database, _services, principal, seed_people
from tests.test_exclusion_safeguards import _act, _case, _pupil

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
EVERYONE = ["parents", "social_worker", "virtual_school", "governing_board", "local_authority"]


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def svc(database: Database, clock: Clock) -> Iterator[Services]:
    services = _services(database, clock)
    seed_people(services)
    yield services
    services.close()


def test_the_status_that_holds_on_a_day_is_the_latest_begun_by_then() -> None:
    child = Child(care=(CareSpell("looked_after", date(2024, 5, 1)), CareSpell("previously_looked_after", date(2026, 11, 25))))
    assert child.looked_after_on(date(2026, 11, 24)) and not child.looked_after_on(date(2026, 11, 25))
    assert not child.looked_after_on(date(2024, 4, 30))
    corrected = Child(care=(*child.care, CareSpell("looked_after", date(2026, 11, 25))))  # the same day, recorded later
    assert corrected.looked_after_on(date(2026, 12, 1))
    assert Child(care=(CareSpell("looked_after", None),)).looked_after_on(date(2000, 1, 1)), "a since not known: always"


def test_a_child_adopted_after_the_decision_still_owed_the_virtual_school_a_notice(svc: Services, clock: Clock) -> None:
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
    clock.now += timedelta(days=10)
    svc.pupils.act(dsl, pupil_id, "record_care_status", svc.pupils.load(pupil_id).version,
                   {"status": "previously_looked_after", "since": "2026-11-27", "order": "adoption"})  # fmt: skip
    assert svc.cases.view(dsl, case_id).safeguards.decisions[0].missing == EVERYONE, "the case page"
    [owed] = svc.due.due(dsl, SCHOOL, clock.now.date()).decisions
    assert owed.duties.missing == EVERYONE, "the due list"
    cutoff = datetime.combine(clock.now.date(), time.max, tzinfo=UTC)
    [reported] = owed_after_decisions(svc.reads.decision_facts([SCHOOL], cutoff), clock.now.date())
    assert reported.duties.missing == EVERYONE, "the governors' report"


def test_a_report_as_at_a_date_judges_by_what_was_recorded_by_then(svc: Services, clock: Clock) -> None:
    """Recorded after the report's date, a care status that says the child was looked after on the day of the
    decision is not yet known to the report as at that date."""
    pupil_id = _pupil(svc, social_worker=False)
    dsl = principal(svc, "dsl")
    case_id = _case(svc, pupil_id)
    proposal = _act(svc, "slt", case_id, "propose_suspension", {"days": 1, "start_date": "2026-11-23", "reason": "x"})
    _act(
        svc,
        "head",
        case_id,
        "decide_suspension",
        {"proposal": proposal, "decision": "suspend", "reasons": "As the behaviour policy sets out."},
    )
    for recipient in ("parents", "governing_board", "local_authority"):
        _act(
            svc,
            "head",
            case_id,
            "record_decision_notice",
            {"proposal": proposal, "recipient": recipient, "notified_on": "2026-11-20"},
        )
    clock.now += timedelta(days=3)
    svc.pupils.act(dsl, pupil_id, "record_care_status", svc.pupils.load(pupil_id).version,
                   {"status": "looked_after", "since": "2026-01-05"})  # fmt: skip

    def owing_as_at(day: date) -> list[list[str]]:  # what the report counts (suppressed there, as under five)
        cutoff = datetime.combine(day, time.max, tzinfo=UTC)
        return [o.duties.missing for o in owed_after_decisions(svc.reads.decision_facts([SCHOOL], cutoff), day)]

    assert owing_as_at(date(2026, 11, 21)) == []
    assert owing_as_at(date(2026, 11, 23)) == [["social_worker", "virtual_school"]]
