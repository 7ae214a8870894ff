"""A suspension or a permanent exclusion starts on a school day (support_journey@5): a weekend always
refused, a holiday or closure day refused once the school has set that year's term dates, and the message
put on the start date, on the form as in the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn, walk
from caseflow.domain.errors import GuardFailed
from caseflow.domain.school_calendar import parse_dates
from caseflow.services.school_calendars import calendar_body
from tests.conftest import SCHOOL, Clock, Database, _services, principal, seed_people
from tests.test_school_calendar import CLOSED, DATES
from workflows import CURRENT, REGISTRY

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # a Friday in the autumn term


@pytest.fixture
def svc(database: Database) -> Iterator[Services]:
    services = _services(database, Clock(NOW))
    seed_people(services)
    yield services
    services.close()


def a_case(svc: Services) -> str:
    dsl = principal(svc, "dsl")
    pupil = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 31), "given_name": "Kai", "family_name": "Moss",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    return walk(svc, {"dsl": dsl, "senco": principal(svc, "senco")}, pupil.id, "one_plan", NOW.date())


def propose(svc: Services, case_id: str, action: str, start: str, when: datetime | None = None) -> int:
    data = {"start_date": start, "reason": "Disruption."} | ({"days": 2} if action == "propose_suspension" else {})
    proposed, _ = svc.cases.act(principal(svc, "slt"), case_id, action, svc.store.current_version(case_id), data, when)
    return proposed.version


@pytest.mark.parametrize(
    ("action", "start", "weekday"),
    [("propose_suspension", "2026-11-21", "Saturday"), ("propose_exclusion", "2026-11-22", "Sunday")],
)
def test_a_weekend_start_is_refused_on_the_start_date(svc: Services, action: str, start: str, weekday: str) -> None:
    case_id = a_case(svc)
    before = svc.store.current_version(case_id)
    with pytest.raises(GuardFailed) as refused:
        propose(svc, case_id, action, start)
    [unmet] = refused.value.unmet
    assert (unmet.code, unmet.field) == ("not_a_school_day", "start_date")
    assert weekday in unmet.message and "must start on a school day" in unmet.message
    assert svc.store.current_version(case_id) == before


def test_a_holiday_is_refused_once_the_school_has_set_its_dates_and_a_school_day_is_taken(svc: Services) -> None:
    case_id = a_case(svc)
    before_it = datetime(2026, 10, 26, 12, 0, tzinfo=UTC)  # proposed then: not after its start (support_journey@10)
    assert propose(svc, case_id, "propose_suspension", "2026-10-27", before_it) > 0, "a weekday with no dates set is not judged"
    svc.calendars.set_year(principal(svc, "head"), SCHOOL, 2026, calendar_body(DATES, parse_dates(CLOSED)))
    for closed in ("2026-10-27", "2026-12-21", "2027-03-29"):  # half term, the Christmas holidays, Easter Monday
        with pytest.raises(GuardFailed) as refused:
            propose(svc, case_id, "propose_suspension", closed)
        assert refused.value.unmet[0].message.startswith("The school is closed on "), closed
    version = propose(svc, case_id, "propose_suspension", "2026-11-23")
    written = svc.store.load(case_id)[version - 1]
    assert written.event_type == "SuspensionProposed" and written.workflow_version == CURRENT == "support_journey@11"


def test_version_4_is_kept_as_released() -> None:
    released = json.loads((Path(__file__).parent / "data" / "support_journey_v4.json").read_text())
    assert REGISTRY["support_journey@4"] == released


def test_the_form_puts_the_message_on_the_start_date(svc: Services) -> None:
    case_id = a_case(svc)
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": "slt", "password": "correct horse battery"}).status_code == 302
    version = svc.store.current_version(case_id)
    form = {"expected_version": version, "days": "2", "start_date": "2026-11-21", "reason": "Disruption."}
    page = client.post(f"/cases/{case_id}/actions/propose_suspension", data=form)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert 'href="#start_date"' in html
    assert "21 November 2026 is a Saturday; it must start on a school day.</p>" in html, "on the field itself"
    assert svc.store.current_version(case_id) == version
