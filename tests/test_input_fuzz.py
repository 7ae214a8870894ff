"""Whatever a user sends, the answer is a clear 4xx or success, never a 500, and refusals change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn
from caseflow.domain.dates import import_date_problem, read_day
from caseflow.domain.errors import InvalidData
from caseflow.domain.fields import MAX_ITEMS, MAX_LINE, FieldSpec, validate
from caseflow.domain.roles import Actor
from caseflow.services.imports import ImportRejected
from tests.conftest import SCHOOL, principal
from tests.journey_helpers import WORKFLOW
from workflows.support_journey import AGENCIES

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
FIELD_SPECS = st.sampled_from(
    [
        FieldSpec.from_dict("a", {"type": t, "choices": ["x", "y"]} if t in {"choice", "choices", "people"} else {"type": t})
        for t in ["text", "line", "date", "datetime", "bool", "int", "number", "choice", "choices", "lines", "people", "ref"]
    ]
)


@given(spec=FIELD_SPECS, value=JSON, required=st.booleans())
def test_field_validation_either_cleans_or_names_the_field(spec: FieldSpec, value: Any, required: bool) -> None:
    specs = {"a": FieldSpec(**{**{f: getattr(spec, f) for f in FieldSpec.__slots__}, "required": required})}
    try:
        clean = validate(specs, {"a": value})
    except InvalidData as error:
        assert set(error.errors) == {"a"} and all(isinstance(m, str) and m for m in error.errors["a"])
    else:
        assert set(clean) <= {"a"}
        assert clean or not required


MEETING = WORKFLOW.actions["record_meeting"].fields
NAMES = st.one_of(st.sampled_from(["Sam Patel", "", "  ", "x" * 201, "A\x00B"]), st.text(max_size=20), st.integers(), st.none())
AGENCY = st.one_of(st.sampled_from([*AGENCIES, "", "nurse"]), st.none(), st.integers(), st.text(max_size=8))
PEOPLE = st.lists(
    st.one_of(
        st.fixed_dictionaries({"name": NAMES, "agency": AGENCY}, optional={"role": st.text(max_size=5)}),
        st.fixed_dictionaries({}, optional={"name": NAMES, "agency": AGENCY}),
        JSON,
    ),
    max_size=6,
)


def released_rule(people: Any) -> bool:
    """What a people field accepted as released: so a clearer message never refuses what was accepted."""
    if not isinstance(people, list) or len(people) > MAX_ITEMS:
        return False
    for person in people:
        if not isinstance(person, dict) or set(person) != {"name", "agency"} or not isinstance(person["name"], str):
            return False
        name = person["name"].strip()
        if not name or len(name) > MAX_LINE or "\x00" in name or person["agency"] not in AGENCIES:
            return False
    return True


def named(person: Any, place: int) -> str:
    """How a message names a person: by a usable name, else by place as the form labels its rows ("Person 2")."""
    name = person.get("name") if isinstance(person, dict) else None
    if isinstance(name, str) and name.strip() and len(name.strip()) <= MAX_LINE and "\x00" not in name:
        return name.strip()
    return f"Person {place}"


@given(people=PEOPLE)
def test_attendees_are_taken_as_before_and_each_problem_names_its_person(people: list[Any]) -> None:
    try:
        clean = validate(MEETING, {"date": "2026-10-01", "attendees": people})
    except InvalidData as refused:
        assert not released_rule(people) or people == []
        assert set(refused.errors) == {"attendees"}
        messages = refused.errors["attendees"]
        assert all(isinstance(m, str) and m for m in messages)
        bad = [(place, person) for place, person in enumerate(people, 1) if not released_rule([person])]
        assert len(messages) >= len(bad) >= (0 if people == [] else 1)
        for place, person in bad:
            assert any(named(person, place) in message for message in messages), (person, messages)
    else:
        assert released_rule(people) and people
        assert clean["attendees"] == [{"name": p["name"].strip(), "agency": p["agency"]} for p in people]


@given(data=JSON)
def test_unknown_shapes_of_data_are_refused_cleanly(data: Any) -> None:
    specs = {"a": FieldSpec.from_dict("a", {"type": "line"})}
    try:
        validate(specs, data)
    except InvalidData as error:
        assert error.errors


@pytest.fixture
def app(sqlite_services: Services) -> Iterator[Flask]:
    yield create_app({"TESTING": True, "SERVICES": sqlite_services, "SECRET_KEY": "fuzz"})


@pytest.fixture
def case_id(sqlite_services: Services) -> str:
    dsl = principal(sqlite_services, "dsl")
    pupil = sqlite_services.pupils.register(
        dsl,
        {
            "upn": make_upn("881", "2001", 2019, 3),
            "given_name": "F",
            "family_name": "Z",
            "date_of_birth": "2015-05-05",
            "school_urn": SCHOOL,
        },
    )
    return sqlite_services.cases.open_case(dsl, {"pupil_id": pupil.id, "need_areas": ["family"], "description": "fuzz"}).id


@pytest.fixture
def token(sqlite_services: Services) -> str:
    return sqlite_services.accounts.issue_token("dsl")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    action=st.sampled_from(
        ["record_plan", "record_meeting", "propose_suspension", "close", "plan_intervention", "x" * 300, "../etc"]
    ),
    body=st.one_of(JSON, st.fixed_dictionaries({"expected_version": JSON, "data": JSON}, optional={"occurred_at": JSON})),
)
def test_api_actions_never_500(app: Flask, sqlite_services: Services, case_id: str, token: str, action: str, body: Any) -> None:
    before = sqlite_services.store.current_version(case_id)
    response = app.test_client().post(
        f"/api/v1/cases/{case_id}/actions/{action}", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code < 500, response.get_json()
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"
        assert "Traceback" not in response.get_data(as_text=True)
        assert sqlite_services.store.current_version(case_id) == before


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    form=st.dictionaries(
        st.sampled_from(
            [
                "date",
                "attendees-0-name",
                "attendees-0-agency",
                "attendees-2-name",
                "attendees-2-agency",
                "notes",
                "aspirations_discussed",
                "expected_version",
            ]
        ),
        st.text(max_size=40),
    )
)
def test_web_forms_never_500(app: Flask, case_id: str, form: dict[str, str]) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    client.post("/login", data={"username": "dsl", "password": "correct horse battery"})
    response = client.post(f"/cases/{case_id}/actions/record_meeting", data=form)
    assert response.status_code in {302, 409, 422}
    assert "Traceback" not in response.get_data(as_text=True)


# --- dates as people and the MIS write them (the fourth walk) --------------------------------------------
DAYS = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
DATE_TEXT = st.one_of(
    st.text(alphabet="0123456789/-. T:", max_size=16),
    st.text(st.characters(blacklist_characters=',"\r\n'), max_size=12),  # a CSV cell's text
    st.builds(lambda d, m, y: f"{d}/{m}/{y}", st.integers(0, 40), st.integers(0, 15), st.integers(0, 3000)),
    DAYS.map(date.isoformat),
)


@given(day=DAYS, padded=st.booleans())
def test_a_day_reads_the_same_day_first_or_as_iso(day: date, padded: bool) -> None:
    written = day.strftime("%d/%m/%Y") if padded else f"{day.day}/{day.month}/{day.year:04d}"
    assert read_day(written) == read_day(day.isoformat()) == day
    if day.day > 12:  # never month first: 03/27/2017 is no date, not the 27th of March
        assert read_day(f"{day.month:02d}/{day.day:02d}/{day.year:04d}") is None


@given(text=DATE_TEXT)
def test_any_text_is_a_day_or_refused_and_what_iso_took_is_taken_as_before(text: str) -> None:
    try:
        before: date | None = date.fromisoformat(text.strip())
    except ValueError:
        before = None
    found = read_day(text)
    assert found is None or isinstance(found, date)
    if before is not None:
        assert found == before, "a date the import and the forms took before reads the same"
    if found is None:
        assert "DD/MM/YYYY or YYYY-MM-DD" in import_date_problem("Date", text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=DATE_TEXT)
def test_an_import_takes_a_date_in_either_form_or_says_which_forms_it_takes(sqlite_services: Services, text: str) -> None:
    upn = make_upn("881", "4001", 2021, 7)
    row = f"upn,given_name,family_name,date_of_birth,school_urn\n{upn},A,B,{text},{SCHOOL}\n"
    day = read_day(text)
    try:
        sqlite_services.imports.run("pupils", row, Actor("cli:fuzz", "admin"), None)
    except ImportRejected as rejected:
        assert {error.column for error in rejected.errors} == {"date_of_birth"}, rejected.errors
        told = " ".join(error.message for error in rejected.errors)
        assert ("DD/MM/YYYY or YYYY-MM-DD" in told) == (day is None and bool(text.strip())), told
    else:
        assert day is not None
        pupil_id = sqlite_services.reads.pupil_id_for_upn(upn)
        assert pupil_id is not None and sqlite_services.pupils.load(pupil_id).date_of_birth == day
