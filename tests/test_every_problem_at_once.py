"""From a new user's walk: a form reported its problems one round at a time: a missing value first, then a
wrong value, then the rules. A form (or an API call, or an import row) with some values wrong is now told at
once, on each field, what its other values break; the rules about the case as a whole still wait until every
value is good."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.domain.case import SupportCase
from caseflow.domain.errors import CaseflowError, GuardFailed, InvalidData
from caseflow.domain.roles import Actor
from tests.conftest import SCHOOL, principal
from tests.journey_helpers import IN_NEED, WHEN, WORKFLOW, case_at

TODAY = date(2026, 11, 20)  # a Friday
CTX = replace(IN_NEED, today=TODAY)


def test_a_bad_value_and_a_rule_broken_by_a_good_one_are_told_together() -> None:
    case = case_at("one_plan")
    with pytest.raises(InvalidData) as refused:
        WORKFLOW.decide(case, "propose_suspension", Actor("slt", "slt"), {"days": 0, "start_date": "2026-11-21"}, CTX, WHEN)
    errors = refused.value.errors
    assert set(errors) == {"days", "start_date", "reason"}
    assert any("Saturday" in message for message in errors["start_date"]), "the rule on the good value"
    assert case.version == case_at("one_plan").version


def test_rules_about_the_case_wait_for_every_value_to_be_good() -> None:
    case = case_at("multi_agency_review")
    with pytest.raises(InvalidData) as refused:  # agree_interventions has no bad value: only the plan's rule
        WORKFLOW.decide(case, "record_meeting", Actor("dsl", "dsl"), {"date": "not a date"}, CTX, WHEN)
    assert "" not in refused.value.errors, "no requirement about the whole case among field problems"
    with pytest.raises(GuardFailed):
        WORKFLOW.decide(case, "agree_interventions", Actor("dsl", "dsl"), {}, CTX, WHEN)


def test_registering_a_pupil_tells_every_problem_at_once(services: Services) -> None:
    with pytest.raises(InvalidData) as refused:
        services.pupils.register(
            principal(services, "dsl"),
            {"upn": "X", "family_name": "Doe", "date_of_birth": "3000-01-01", "school_urn": SCHOOL},
        )
    errors = refused.value.errors
    assert set(errors) == {"upn", "given_name", "date_of_birth"}
    assert "13 characters" in errors["upn"][0] and "future" in errors["date_of_birth"][0]
    assert services.store.count() == 0


def test_the_forms_show_every_problem_at_once(sqlite_services: Services) -> None:
    app = create_app({"TESTING": True, "SERVICES": sqlite_services, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": "dsl", "password": "correct horse battery"}).status_code == 302
    page = client.post(
        "/pupils/new", data={"upn": "X", "family_name": "Doe", "date_of_birth": "3000-01-01", "school_urn": SCHOOL}
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    for field in ("upn", "given_name", "date_of_birth"):
        assert f'<a href="#{field}">' in html and f'id="{field}-error"' in html, field
    opened = client.post("/cases/new", data={"pupil_id": ""})
    html = opened.get_data(as_text=True)
    assert opened.status_code == 422
    for field in ("pupil_id", "need_areas", "description"):
        assert f'<a href="#{field}' in html, field
    assert "Choose at least one of the need areas" in html, "boxes to tick are chosen, not 'Need areas is required'"


# --- any partial data: a clear refusal, never a crash ----------------------------------------------------
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 50), st.floats(allow_nan=True), st.text(max_size=12),
    st.sampled_from(["2026-11-20", "2026-11-21", "9999-12-31", "0001-01-01", "2026-02-30", "attendance", "suspend"]),
    st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)  # fmt: skip
STEPS = ["need_identified", "one_plan", "multi_agency_review", "intervention", "evaluation", "transition", "closed"]
CASES = {step: case_at(step) for step in STEPS}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(step=st.sampled_from(STEPS), action=st.sampled_from(sorted(WORKFLOW.actions)), data=st.data())
def test_any_mix_of_good_and_bad_values_is_refused_clearly(step: str, action: str, data: Any) -> None:
    spec = WORKFLOW.actions[action]
    names = sorted(spec.fields)
    values = data.draw(st.dictionaries(st.sampled_from(names), VALUES, max_size=len(names)) if names else st.just({}))
    case: SupportCase = CASES[step]
    role = sorted(spec.roles)[0]
    try:
        event = WORKFLOW.decide(case, action, Actor(role, role), values, CTX, WHEN)
    except InvalidData as refused:  # each problem on a field of the form (or on the data as a whole)
        assert refused.errors and set(refused.errors) <= {*names, "data"}, refused.errors
        assert all(refused.errors.values())
    except CaseflowError as refused:  # not allowed at this step, or a rule about the case
        assert refused.status in (403, 404, 409, 422), refused
    else:
        assert set(event.data) <= {*names, "from_state", "to_state"}, event.data
