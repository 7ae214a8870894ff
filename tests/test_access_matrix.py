"""Every role against every route and every action, in scope and out of it.

Each route's expected answer per user is written out here, independently of the
code; a route the table does not know fails the test, so no route can be added
without declaring who may use it. Actions are sent with a stale version, so an
allowed action answers 409 and nothing changes: any 201 would be a hole.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn
from tests.conftest import OTHER_SCHOOL, PEOPLE, SCHOOL, principal

USERS = [*PEOPLE, "anonymous"]
STAFF = {"dsl", "head", "slt", "senco", "mhl"}
#: who can see the in-scope case (pupil with an open CiN plan, social worker "sw", LA 881)
SEES_CASE = STAFF | {"sw", "vs", "auditor"}
KEEPERS = {"dsl", "head", "slt", "senco"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from caseflow.adapters.migrate import upgrade
    from caseflow.bootstrap import bootstrap
    from tests.conftest import seed_people

    path = tmp_path_factory.mktemp("matrix") / "matrix.db"
    upgrade(f"sqlite:///{path}")
    svc: Services = bootstrap(f"sqlite:///{path}")
    seed_people(svc)
    svc.accounts.add_user("other_head", ["headteacher"], [OTHER_SCHOOL], password="correct horse battery")
    dsl = principal(svc, "dsl")
    pupil = svc.pupils.register(
        dsl,
        {
            "upn": make_upn("881", "2001", 2019, 1),
            "given_name": "A",
            "family_name": "B",
            "date_of_birth": "2016-01-01",
            "school_urn": SCHOOL,
        },
    )
    svc.pupils.record_episode(dsl, pupil.id, {"plan": "cin", "start_date": "2025-01-01", "social_worker": "sw"})
    case = svc.cases.open_case(dsl, {"pupil_id": pupil.id, "need_areas": ["attendance"], "description": "x"})
    other_head = principal(svc, "other_head")
    other_pupil = svc.pupils.register(
        other_head,
        {
            "upn": make_upn("882", "2002", 2019, 2),
            "given_name": "C",
            "family_name": "D",
            "date_of_birth": "2016-01-01",
            "school_urn": OTHER_SCHOOL,
        },
    )
    other_case = svc.cases.open_case(other_head, {"pupil_id": other_pupil.id, "need_areas": ["attendance"], "description": "x"})
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False})
    tokens = {u: svc.accounts.issue_token(u) for u in PEOPLE}
    yield {
        "svc": svc,
        "app": app,
        "case": case.id,
        "pupil": pupil.id,
        "other_case": other_case.id,
        "other_pupil": other_pupil.id,
        "tokens": tokens,
    }
    svc.close()


def expect(users: set[str], ok: int, otherwise: int, anonymous: int = 401) -> dict[str, int]:
    return {u: (anonymous if u == "anonymous" else ok if u in users else otherwise) for u in USERS}


def merge(*parts: dict[str, int]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for part in parts:
        merged.update(part)
    return merged


def api_table(w: dict[str, Any]) -> dict[tuple[str, str], tuple[Any, dict[str, int]]]:
    """(method, path) -> (json body, expected status per user) for the in-scope objects."""
    case, pupil = w["case"], w["pupil"]
    bad_pupil = {"upn": "X", "given_name": "A", "family_name": "B", "date_of_birth": "2016-01-01", "school_urn": SCHOOL}
    return {
        ("GET", "/api/v1/openapi.json"): (None, expect(set(USERS), 200, 200, 200)),
        ("POST", "/api/v1/pupils"): (bad_pupil, expect(KEEPERS | {"other_dsl"}, 422, 403)),
        ("GET", f"/api/v1/pupils/{pupil}"): (None, expect(SEES_CASE, 200, 404)),
        ("POST", f"/api/v1/pupils/{pupil}/social-care"): ({"plan": "nope"}, merge(expect(KEEPERS, 422, 403), {"other_dsl": 404})),
        ("POST", f"/api/v1/pupils/{pupil}/actions/record_send_status"): (
            {"expected_version": 0, "data": {}},
            merge(expect(SEES_CASE, 403, 404), {"dsl": 409, "senco": 409}),
        ),
        ("GET", f"/api/v1/cohort?school_urn={SCHOOL}"): (
            None,
            merge(expect(STAFF | {"vs", "auditor"}, 200, 403), {"other_dsl": 404}),
        ),
        ("GET", f"/api/v1/due?school_urn={SCHOOL}"): (None, merge(expect(STAFF, 200, 403), {"other_dsl": 404})),
        ("GET", f"/api/v1/schools/{SCHOOL}/terms"): (None, merge(expect(STAFF, 200, 403), {"other_dsl": 404})),
        ("PUT", f"/api/v1/schools/{SCHOOL}/terms/2026"): (  # no terms: refused whole, nothing changed
            {"closures": []},
            merge(expect({"dsl", "head", "slt"}, 422, 403), {"other_dsl": 404}),
        ),
        ("POST", "/api/v1/cases"): (
            {"pupil_id": pupil, "need_areas": ["attendance"]},
            expect({"dsl", "head", "slt", "senco", "teacher", "other_dsl"}, 422, 403),
        ),
        ("GET", f"/api/v1/cases/{case}"): (None, expect(SEES_CASE, 200, 404)),
        ("GET", f"/api/v1/cases/{case}/events"): (None, expect(SEES_CASE, 200, 404)),
        ("GET", f"/api/v1/cases/{case}/state?version=1"): (None, expect(SEES_CASE, 200, 404)),
        ("GET", f"/api/v1/cases/{case}/verify"): (None, merge(expect({"dsl", "head", "auditor"}, 200, 403), {"other_dsl": 404})),
        ("GET", f"/api/v1/audit/access?case_id={case}"): (None, expect({"auditor"}, 200, 403)),
        ("GET", "/api/v1/audit/heads"): (None, expect({"auditor"}, 200, 403)),
        ("POST", "/api/v1/audit/heads/verify"): ({"format": "x"}, expect({"auditor"}, 422, 403)),
        ("GET", f"/api/v1/pupils/{pupil}/subject-access"): (None, expect({"auditor"}, 200, 403)),
        ("GET", "/api/v1/reports/la?la_code=881"): (None, expect({"vs", "auditor"}, 200, 403)),
        ("GET", f"/api/v1/reports/governors?school_urn={SCHOOL}"): (
            None,
            merge(expect({"governor", "head", "slt", "dsl", "auditor", "vs"}, 200, 403), {"other_dsl": 404}),
        ),
    }


def web_table(w: dict[str, Any]) -> dict[tuple[str, str], dict[str, int]]:
    case = w["case"]
    signed_in = set(PEOPLE)
    return {
        ("GET", "/login"): expect(signed_in, 200, 200, 200),
        # a role with no case list of its own is sent to its own first page
        ("GET", "/"): merge(expect(signed_in, 200, 200, 302), {u: 302 for u in ("governor", "auditor", "vs", "admin")}),
        ("GET", f"/cases/{case}"): expect(SEES_CASE, 200, 404, 302),
        ("GET", "/cases/new"): expect({"dsl", "head", "slt", "senco", "teacher", "other_dsl"}, 200, 403, 302),
        ("GET", f"/cases/{case}/actions/record_plan"): merge(
            expect({"dsl", "senco"}, 200, 404, 302), {u: 403 for u in SEES_CASE - {"dsl", "senco"}}
        ),
        ("GET", f"/cases/{case}/actions/start_one_plan"): merge(
            expect({"dsl", "senco"}, 200, 404, 302), {u: 403 for u in SEES_CASE - {"dsl", "senco"}}
        ),
        ("GET", f"/pupils/{w['pupil']}"): expect(SEES_CASE, 200, 404, 302),
        ("GET", f"/pupils/{w['pupil']}/actions/record_send_status"): merge(
            expect({"dsl", "senco"}, 200, 404, 302), {u: 403 for u in SEES_CASE - {"dsl", "senco"}}
        ),
        ("GET", "/classroom"): expect({"teacher"}, 200, 403, 302),
        ("GET", "/pupils"): expect(STAFF | {"other_dsl"}, 200, 403, 302),
        ("GET", f"/pupils?school_urn={SCHOOL}"): merge(expect(STAFF, 200, 403, 302), {"other_dsl": 404}),
        ("GET", "/pupils/new"): expect(KEEPERS | {"other_dsl"}, 200, 403, 302),
        ("POST", "/pupils/new"): expect(KEEPERS | {"other_dsl"}, 422, 403, 302),  # nothing given: messages, no pupil
        ("GET", "/imports"): expect({"dsl", "head", "slt", "senco", "other_dsl"}, 200, 403, 302),
        ("GET", f"/cohort?school_urn={SCHOOL}"): merge(expect(STAFF | {"vs", "auditor"}, 200, 403, 302), {"other_dsl": 404}),
        ("GET", "/la"): expect({"vs"}, 200, 403, 302),
        ("GET", "/due"): expect(STAFF | {"other_dsl"}, 200, 403, 302),
        ("GET", f"/due?school_urn={SCHOOL}"): merge(expect(STAFF, 200, 403, 302), {"other_dsl": 404}),
        ("GET", "/terms"): expect(STAFF | {"other_dsl"}, 200, 403, 302),
        ("GET", f"/terms?school_urn={SCHOOL}"): merge(expect(STAFF, 200, 403, 302), {"other_dsl": 404}),
        ("POST", f"/terms?school_urn={SCHOOL}"): merge(  # nothing given: messages, nothing changed
            expect({"dsl", "head", "slt"}, 422, 403, 302), {"other_dsl": 404}
        ),
        ("GET", "/audit/"): expect({"auditor"}, 200, 403, 302),
        ("GET", f"/audit/cases/{case}"): expect({"auditor"}, 200, 403, 302),
        ("GET", f"/audit/cases/{case}/export"): expect({"auditor"}, 200, 403, 302),
        ("GET", "/audit/retention"): expect({"auditor"}, 200, 403, 302),
        ("GET", "/audit/heads.json"): expect({"auditor"}, 200, 403, 302),
        ("POST", "/audit/heads/verify"): expect({"auditor"}, 422, 403, 302),  # no file: a message, nothing checked
        ("GET", "/reports/la"): expect({"vs", "auditor"}, 200, 403, 302),
        ("GET", "/reports/la.csv?la_code=881"): expect({"vs", "auditor"}, 200, 403, 302),
        ("GET", f"/audit/pupils/{w['pupil']}/subject-access"): expect({"auditor"}, 200, 403, 302),
        ("GET", f"/audit/pupils/{w['pupil']}/subject-access?received_on=2026-01-05"): expect({"auditor"}, 200, 403, 302),
        ("GET", f"/reports/governors?school_urn={SCHOOL}"): merge(
            expect({"governor", "head", "slt", "dsl", "auditor", "vs"}, 200, 403, 302), {"other_dsl": 404}
        ),
        ("GET", f"/reports/governors.csv?school_urn={SCHOOL}"): merge(
            expect({"governor", "head", "slt", "dsl", "auditor", "vs"}, 200, 403, 302), {"other_dsl": 404}
        ),
        ("GET", f"/self-assessment?school_urn={SCHOOL}"): merge(
            expect({"governor", "head", "slt", "dsl", "auditor", "vs"}, 200, 403, 302), {"other_dsl": 404}
        ),
        ("GET", f"/self-assessment/1?school_urn={SCHOOL}"): merge(
            expect({"head", "slt", "dsl"}, 200, 403, 302), {"other_dsl": 404}
        ),
        ("POST", f"/self-assessment/1?school_urn={SCHOOL}"): merge(  # no version: a conflict, nothing changed
            expect({"head", "slt", "dsl"}, 409, 403, 302), {"other_dsl": 404}
        ),
        ("GET", "/interventions"): expect(signed_in, 200, 200, 302),
        ("GET", "/admin/"): expect({"admin"}, 200, 403, 302),
        # the second step of a sign-in nobody started here: back to the login page, whoever asks
        ("GET", "/login/code"): expect(signed_in, 302, 302, 302),  # (home, for whoever is signed in)
        ("GET", "/login/set-up"): expect(signed_in, 302, 302, 302),
        ("GET", "/account"): expect(signed_in, 200, 200, 302),
        ("GET", "/account/two-step"): expect(signed_in, 200, 200, 302),
        ("POST", "/account/two-step/off"): expect(signed_in, 422, 422, 302),  # no code: a message, nothing changed
        ("GET", "/account/password"): expect(signed_in, 200, 200, 302),
        ("POST", "/account/password"): expect(signed_in, 422, 422, 302),  # nothing given: messages, nothing changed
        ("POST", "/logout"): expect(signed_in, 302, 302, 302),
    }


def client_for(app: Flask, user: str) -> FlaskClient:
    client = app.test_client()
    if user != "anonymous":
        response = client.post("/login", data={"username": user, "password": "correct horse battery"})
        assert response.status_code == 302, user
    return client


def test_every_route_is_in_the_table(world: dict[str, Any]) -> None:
    """A route nobody thought about fails here: declare its audience and expected answers."""
    known = {
        "static", "auth.login", "auth.logout", "auth.code", "auth.set_up_at_sign_in", "auth.account", "auth.set_up",
        "auth.turn_off", "auth.change_password", "cases.index", "cases.detail", "cases.act", "cases.new",
        "api.openapi", "api.create_pupil", "api.get_pupil", "api.add_social_care", "api.pupil_act", "api.cohort",
        "api.create_case",
        "api.get_case", "api.act", "api.events", "api.state", "api.verify", "api.access", "api.governors_report",
        "audit.index", "audit.case", "audit.export_case", "audit.subject_access", "audit.retention", "api.subject_access", "reports.governors", "reports.la", "reports.la_csv", "api.la_report", "reports.governors_csv", "admin.index", "pupils.detail",
        "self_assessment.index", "self_assessment.rate", "interventions.catalogue",
        "pupils.act", "pupils.classroom", "pupils.roll", "pupils.register",
        "dashboard.cohort", "dashboard.la", "dashboard.due", "api.due", "imports.upload",
        "terms.index", "api.school_terms", "api.set_school_terms",
        "audit.heads", "audit.verify_heads", "api.log_heads", "api.verify_log_heads",
    }  # fmt: skip
    endpoints = {rule.endpoint for rule in world["app"].url_map.iter_rules()}
    assert endpoints == known


@pytest.mark.parametrize("user", USERS)
def test_api_routes_answer_exactly_as_declared(world: dict[str, Any], user: str) -> None:
    client = world["app"].test_client()
    headers = {"Authorization": f"Bearer {world['tokens'][user]}"} if user != "anonymous" else {}
    before = world["svc"].store.count()
    for (method, path), (body, expected) in api_table(world).items():
        response = client.open(path, method=method, json=body, headers=headers)
        assert response.status_code == expected[user], (user, method, path, response.get_json(silent=True))
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json"
    assert world["svc"].store.count() == before


@pytest.mark.parametrize("user", USERS)
def test_every_action_by_every_role_in_and_out_of_scope(world: dict[str, Any], user: str) -> None:
    svc: Services = world["svc"]
    client = world["app"].test_client()
    headers = {"Authorization": f"Bearer {world['tokens'][user]}"} if user != "anonymous" else {}
    roles = {PEOPLE[user][0]} if user != "anonymous" else set()
    before = svc.store.count()
    tried = 0
    for name, spec in svc.workflow.actions.items():
        for case_id, visible in ((world["case"], user in SEES_CASE), (world["other_case"], user in {"other_dsl", "auditor"})):
            response = client.post(
                f"/api/v1/cases/{case_id}/actions/{name}", json={"expected_version": 0, "data": {}}, headers=headers
            )
            if user == "anonymous":
                expected = 401
            elif not visible:
                expected = 404
            elif not roles & spec.roles:
                expected = 403
            else:
                expected = 409  # allowed, but the stale version stops it before anything is written
            assert response.status_code == expected, (user, name, case_id, response.get_json())
            tried += 1
    assert tried == 2 * len(svc.workflow.actions)
    assert svc.store.count() == before, "an action got through"


@pytest.mark.parametrize("user", USERS)
def test_web_routes_answer_exactly_as_declared(world: dict[str, Any], user: str) -> None:
    client = client_for(world["app"], user)
    for (method, path), expected in web_table(world).items():  # logout comes last
        response = client.open(path, method=method)
        assert response.status_code == expected[user], (user, method, path)


@pytest.mark.parametrize("user", sorted(PEOPLE))
def test_web_action_pages_for_out_of_scope_case_are_404(world: dict[str, Any], user: str) -> None:
    client = client_for(world["app"], user)
    for name in world["svc"].workflow.actions:
        response = client.get(f"/cases/{world['other_case']}/actions/{name}")
        if user == "other_dsl":
            expected = 200 if "dsl" in world["svc"].workflow.actions[name].roles else 403
        else:
            expected = 403 if user == "auditor" else 404  # the auditor sees every case but never writes
        assert response.status_code == expected, (user, name)


@pytest.mark.parametrize("user", USERS)
def test_every_pupil_record_action_by_every_role(world: dict[str, Any], user: str) -> None:
    svc: Services = world["svc"]
    client = world["app"].test_client()
    headers = {"Authorization": f"Bearer {world['tokens'][user]}"} if user != "anonymous" else {}
    roles = {PEOPLE[user][0]} if user != "anonymous" else set()
    before = svc.store.count()
    for name, spec in svc.pupils.workflow.actions.items():
        for pupil_id, visible in ((world["pupil"], user in SEES_CASE), (world["other_pupil"], user in {"other_dsl", "auditor"})):
            response = client.post(
                f"/api/v1/pupils/{pupil_id}/actions/{name}", json={"expected_version": 0, "data": {}}, headers=headers
            )
            if user == "anonymous":
                expected = 401
            elif not visible:
                expected = 404
            elif not roles & spec.roles:
                expected = 403
            else:
                expected = 409
            assert response.status_code == expected, (user, name, response.get_json())
    assert svc.store.count() == before
