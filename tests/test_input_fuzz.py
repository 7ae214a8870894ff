"""Whatever a user sends, the answer is a clear 4xx or success, never a 500, and refusals change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn
from caseflow.domain.errors import InvalidData
from caseflow.domain.fields import FieldSpec, validate
from tests.conftest import SCHOOL, principal

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
        st.sampled_from(["date", "attendees-0-name", "attendees-0-agency", "notes", "aspirations_discussed", "expected_version"]),
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
