"""A pupil's dates are checked against today: nothing recorded as happening in the future, and
no date of birth outside the 0 to 25 years that Caseflow's records (and the SEND Code of
Practice 0 to 25) cover. On every way in: the form, the API and the MIS import, which also
reports all of a row's problems at once, with the column each is in."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn
from caseflow.domain.errors import GuardFailed
from caseflow.domain.roles import Actor
from caseflow.services.imports import ImportRejected
from tests.conftest import SCHOOL, Clock, Database, _services, principal, seed_people
from workflows import PUPIL_RECORD, REGISTRY, pupil_record

TODAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday, in term
HEADER = "upn,given_name,family_name,date_of_birth,school_urn,year_group\n"
ADMIN = Actor("cli:test", "admin")


@pytest.fixture
def svc(database: Database) -> Iterator[Services]:
    services = _services(database, Clock(TODAY))
    seed_people(services)
    yield services
    services.close()


def pupil(n: int = 1, born: str = "2016-01-01") -> dict[str, Any]:
    return {
        "upn": make_upn("881", "3001", 2020, n),
        "given_name": "Ada",
        "family_name": "Hill",
        "date_of_birth": born,
        "school_urn": SCHOOL,
    }


def unmet_of(error: pytest.ExceptionInfo[GuardFailed]) -> list[tuple[str, str | None]]:
    return [(u.code, u.field) for u in error.value.unmet]


@pytest.mark.parametrize(
    ("born", "code"),
    [
        ("2026-11-03", "date_in_future"),
        ("2030-01-01", "date_in_future"),
        ("2001-11-01", "born_too_long_ago"),
        ("1016-05-04", "born_too_long_ago"),
    ],
)
def test_a_date_of_birth_tomorrow_or_over_25_years_ago_is_refused_and_names_its_field(
    svc: Services, born: str, code: str
) -> None:
    with pytest.raises(GuardFailed) as refused:
        svc.pupils.register(principal(svc, "dsl"), pupil(born=born))
    assert unmet_of(refused) == [(code, "date_of_birth")]
    assert svc.store.count() == 0


@pytest.mark.parametrize("born", ["2026-11-02", "2001-11-02", "2016-02-29"])
def test_born_today_or_exactly_25_years_ago_is_accepted(svc: Services, born: str) -> None:
    registered = svc.pupils.register(principal(svc, "dsl"), pupil(born=born))
    assert registered.date_of_birth is not None and registered.date_of_birth.isoformat() == born
    assert svc.store.load(registered.id)[0].workflow_version == PUPIL_RECORD == "pupil_record@6"


@pytest.mark.parametrize(
    ("action", "data", "field"),
    [
        ("update_pupil_details", {"date_of_birth": "2027-01-01"}, "date_of_birth"),
        ("record_behaviour_incident", {"date": "2026-11-03", "category": "other", "severity": "low", "description": "x"}, "date"),
        ("record_send_status", {"status": "sen_support", "primary_need": "SLCN", "since": "2026-11-30"}, "since"),
        ("record_wellbeing", {"measure": "sdq", "informant": "teacher", "administered_on": "2026-11-03"}, "administered_on"),
    ],
)
def test_facts_observed_in_the_future_are_refused_with_their_field(
    svc: Services, action: str, data: dict[str, Any], field: str
) -> None:
    dsl = principal(svc, "dsl")
    record = svc.pupils.register(dsl, pupil())
    spec = svc.pupils.workflow.action(action)
    data = {k: v for k, v in data.items() if k in spec.fields}
    for name, field_spec in spec.fields.items():  # the action's other required fields, with a valid choice
        if field_spec.required and name not in data:
            filler = {"int": 1, "number": 1, "date": "2026-01-01", "bool": True}.get(field_spec.type, "Something")
            data[name] = field_spec.choices[0] if field_spec.choices else filler
    with pytest.raises(GuardFailed) as refused:
        svc.pupils.act(dsl, record.id, action, record.version, data)
    assert ("date_in_future", field) in unmet_of(refused)
    assert svc.store.current_version(record.id) == 1


def test_an_episode_that_ended_today_is_accepted(svc: Services) -> None:
    dsl = principal(svc, "dsl")
    record = svc.pupils.register(dsl, pupil())
    after, _ = svc.pupils.act(
        dsl, record.id, "record_social_care_episode", 1, {"plan": "cin", "start_date": "2026-01-05", "end_date": "2026-11-02"}
    )
    assert after.version == 2


def test_version_2_is_kept_as_released(svc: Services) -> None:
    """Records written under pupil_record@2 replay under the rules as they were."""
    released = json.loads((Path(__file__).parent / "data" / "pupil_record_v2.json").read_text())
    assert REGISTRY["pupil_record@2"] == released
    assert REGISTRY["pupil_record@6"] is pupil_record.DEFINITION


# --- the import --------------------------------------------------------------------------------
def test_an_import_row_reports_every_problem_at_once_even_with_a_bad_upn(svc: Services) -> None:
    text = HEADER + "Z801200001001,A,B,2015-02-30,100001,year five\n"
    with pytest.raises(ImportRejected) as rejected:
        svc.imports.run("pupils", text, ADMIN, None)
    columns = sorted(e.column for e in rejected.value.errors)
    assert columns == ["date_of_birth", "upn", "year_group"], [str(e) for e in rejected.value.errors]


def test_an_import_with_a_future_or_too_early_birth_names_row_and_column_and_writes_nothing(svc: Services) -> None:
    rows = [
        f"{make_upn('881', '3001', 2020, n)},A{n},B,{born},{SCHOOL},1"
        for n, born in enumerate(["2015-01-01", "2027-01-01", "1015-01-01"], 1)
    ]
    with pytest.raises(ImportRejected) as rejected:
        svc.imports.run("pupils", HEADER + "\n".join(rows) + "\n", ADMIN, None)
    found = [str(e) for e in rejected.value.errors]
    assert found == [
        "row 3, column date_of_birth: The date cannot be in the future.",
        "row 4, column date_of_birth: A date of birth more than 25 years ago is past the age Caseflow's records cover; check the year.",
    ]
    assert svc.store.count() == 0


def test_an_import_of_incidents_dated_tomorrow_is_refused(svc: Services) -> None:
    svc.imports.run("pupils", HEADER + f"{make_upn('881', '3001', 2020, 1)},A,B,2015-01-01,{SCHOOL},1\n", ADMIN, None)
    text = f"upn,date,category,severity,description\n{make_upn('881', '3001', 2020, 1)},2026-11-03,other,low,Shouted\n"
    before = svc.store.count()
    with pytest.raises(ImportRejected) as rejected:
        svc.imports.run("behaviour", text, ADMIN, None)
    assert [str(e) for e in rejected.value.errors] == ["row 2, column date: The date cannot be in the future."]
    assert svc.store.count() == before


# --- the form and the API ------------------------------------------------------------------------
def app_for(svc: Services) -> Flask:
    return create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})


def test_the_form_puts_the_message_on_the_date_of_birth_and_links_it_from_the_summary(svc: Services) -> None:
    client = app_for(svc).test_client()
    assert client.post("/login", data={"username": "dsl", "password": "correct horse battery"}).status_code == 302
    form = {**pupil(born="2027-05-01"), "date_of_birth": "2027-05-01"}
    page = client.post("/pupils/new", data=form)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert 'href="#date_of_birth"' in html, "the summary links to the field"
    assert '<span class="govuk-visually-hidden">Error:</span> The date cannot be in the future.</p>' in html, "and on the field"
    assert svc.store.count() == 0


def test_the_api_names_the_field_of_an_unmet_requirement(svc: Services) -> None:
    token = svc.accounts.issue_token("dsl")
    client = app_for(svc).test_client()
    answer = client.post("/api/v1/pupils", json=pupil(born="2027-05-01"), headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 422 and answer.content_type == "application/problem+json"
    assert answer.get_json()["unmet"] == [
        {"code": "date_in_future", "message": "The date cannot be in the future.", "field": "date_of_birth"}
    ]
    assert svc.store.count() == 0


def test_codes_read_as_the_school_writes_them() -> None:
    """From a new user's walk: 'Sen support', 'Ehc plan', 'Spld' and 'By slt as slt'."""
    from caseflow.domain.wording import label

    assert [label(c) for c in ("sen_support", "ehc_plan", "semh", "slt", "senco", "looked_after")] == [
        "SEN support", "EHC plan", "SEMH", "SLT", "SENCo", "Looked after"
    ]  # fmt: skip
    assert label("SPLD").startswith("SpLD") and label("Riverside Academy") == "Riverside Academy"


def test_the_pupil_page_and_the_forms_say_sen_support_not_a_code(svc: Services) -> None:
    record = svc.pupils.register(principal(svc, "dsl"), pupil())
    svc.pupils.act(
        principal(svc, "dsl"),
        record.id,
        "record_send_status",
        1,
        {"status": "sen_support", "primary_need": "SLCN", "since": "2025-09-01"},
    )
    client = app_for(svc).test_client()
    assert client.post("/login", data={"username": "dsl", "password": "correct horse battery"}).status_code == 302
    page = client.get(f"/pupils/{record.id}").get_data(as_text=True)
    assert "SEN support, SLCN (speech, language and communication needs)" in page and "sen support" not in page
    form = client.get(f"/pupils/{record.id}/actions/record_send_status").get_data(as_text=True)
    assert ">EHC plan</option>" in form


def test_a_field_s_error_message_describes_its_input(svc: Services) -> None:
    """From a new user's walk: error messages had no id, and inputs no aria-describedby (the GOV.UK pattern)."""
    client = app_for(svc).test_client()
    assert client.post("/login", data={"username": "dsl", "password": "correct horse battery"}).status_code == 302
    html = client.post("/pupils/new", data=pupil(born="2027-05-01")).get_data(as_text=True)
    assert '<p class="govuk-error-message" id="date_of_birth-error">' in html
    assert re.search(
        r'<input[^>]*aria-describedby="date_of_birth-error"[^>]*id="date_of_birth"|<input[^>]*id="date_of_birth"[^>]*aria-describedby="date_of_birth-error"',
        html,
    )
    assert 'aria-describedby="given_name-error"' not in html, "only where there is an error"
