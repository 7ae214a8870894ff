"""Administrators change a user's roles from the web page, as from the command line: applied from the
user's next request, refused with a message when it cannot be done, and every change the page makes
is in the access log under the administrator's name."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from caseflow import create_app
from caseflow.bootstrap import Services
from tests.conftest import OTHER_SCHOOL, SCHOOL, access_lines, principal
from tests.test_web_security import sign_in


@pytest.fixture
def app(sqlite_services: Services) -> Iterator[Flask]:
    yield create_app({"TESTING": True, "SERVICES": sqlite_services, "SECRET_KEY": "test-secret"})


def _admin(app: Flask) -> tuple[FlaskClient, dict[str, str]]:
    """A signed-in administrator and the CSRF token of each form on the page."""
    client = app.test_client()
    sign_in(client, "admin")
    page = client.get("/admin/").get_data(as_text=True)
    tokens = dict(re.findall(r'name="(\w+)-csrf_token"[^>]*value="([^"]+)"', page))
    assert {"grant", "revoke", "leaver", "user", "school"} <= set(tokens)
    return client, tokens


def _post(client: FlaskClient, tokens: dict[str, str], form: str, **fields: str) -> tuple[int, str]:
    data = {f"{form}-csrf_token": tokens[form]} | {f"{form}-{name}": value for name, value in fields.items()}
    response = client.post("/admin/", data=data)
    return response.status_code, response.get_data(as_text=True)


def _logged(svc: Services, action: str) -> list[tuple[str | None, str | None, str | None]]:
    return [(x["username"], x["role"], x["detail"]) for x in access_lines(svc) if x["action"] == action]


def test_an_admin_makes_a_teacher_the_dsl_from_the_page_and_it_applies_at_their_next_request(
    app: Flask, sqlite_services: Services
) -> None:
    teacher = app.test_client()
    sign_in(teacher, "teacher")
    assert teacher.get(f"/cohort?school_urn={SCHOOL}").status_code == 403
    client, tokens = _admin(app)

    status, _ = _post(client, tokens, "grant", username="teacher", role="dsl", school=SCHOOL)

    assert status == 302 and "teacher now holds dsl at " + SCHOOL in client.get("/admin/").get_data(as_text=True)
    assert teacher.get(f"/cohort?school_urn={SCHOOL}").status_code == 200
    assert ("dsl", SCHOOL) in principal(sqlite_services, "teacher").grants
    assert _logged(sqlite_services, "role_granted") == [("admin", "admin", f"teacher: dsl at {SCHOOL}")]

    status, _ = _post(client, tokens, "revoke", username="teacher", role="dsl", school="")
    assert status == 302 and teacher.get(f"/cohort?school_urn={SCHOOL}").status_code == 403
    assert _logged(sqlite_services, "role_revoked") == [("admin", "admin", "teacher: dsl")]


def test_a_virtual_school_role_needs_an_la_and_a_school_role_a_school(app: Flask, sqlite_services: Services) -> None:
    client, tokens = _admin(app)
    status, page = _post(client, tokens, "grant", username="governor", role="headteacher", school="")
    assert status == 422 and "The headteacher role needs a school URN." in page
    status, page = _post(client, tokens, "grant", username="governor", role="auditor", school=SCHOOL)
    assert status == 422 and "is not held at a school: leave the school URN empty." in page
    status, page = _post(client, tokens, "grant", username="head", role="virtual_school", school="", la_code="")
    assert status == 422 and "needs an LA code." in page and "--la" not in page
    status, _ = _post(client, tokens, "grant", username="head", role="virtual_school", school="", la_code="881")
    assert status == 302 and principal(sqlite_services, "head").la_code == "881"
    assert _logged(sqlite_services, "role_granted") == [("admin", "admin", "head: virtual_school for LA 881")]


@pytest.mark.parametrize(
    ("form", "fields", "message"),
    [
        ("grant", {"username": "nobody", "role": "dsl", "school": SCHOOL}, "No user called nobody."),
        ("grant", {"username": "teacher", "role": "dsl", "school": "999999"}, "No school with URN 999999."),
        ("grant", {"username": "teacher", "role": "pope", "school": SCHOOL}, "Not a valid choice"),
        ("grant", {"username": "", "role": "dsl", "school": SCHOOL}, "Enter the username"),
        ("revoke", {"username": "teacher", "role": "teacher", "school": ""}, "deactivate the account instead"),
        ("revoke", {"username": "teacher", "role": "dsl", "school": ""}, "does not hold the dsl role"),
        ("revoke", {"username": "teacher", "role": "teacher", "school": OTHER_SCHOOL}, "does not hold the teacher role there"),
    ],
)
def test_a_change_that_cannot_be_made_is_a_message_and_changes_nothing(
    app: Flask, sqlite_services: Services, form: str, fields: dict[str, str], message: str
) -> None:
    before = principal(sqlite_services, "teacher").grants
    client, tokens = _admin(app)
    status, page = _post(client, tokens, form, **fields)
    assert status == 422 and message in page and "There is a problem" in page
    assert principal(sqlite_services, "teacher").grants == before
    assert _logged(sqlite_services, "role_granted") == _logged(sqlite_services, "role_revoked") == []


def test_without_the_forms_token_nothing_changes(app: Flask, sqlite_services: Services) -> None:
    client, _ = _admin(app)
    response = client.post("/admin/", data={"grant-username": "teacher", "grant-role": "dsl", "grant-school": SCHOOL})
    assert response.status_code == 400 and ("dsl", SCHOOL) not in principal(sqlite_services, "teacher").grants


def test_adding_a_school_and_a_user_and_deactivating_a_leaver_are_logged(app: Flask, sqlite_services: Services) -> None:
    client, tokens = _admin(app)
    assert _post(client, tokens, "school", urn="100777", name="Hill Top School", la_code="881")[0] == 302
    assert (
        _post(client, tokens, "user", username="newdsl", role="dsl", school="100777", password="a long enough secret")[0] == 302
    )
    assert _post(client, tokens, "leaver", username="sw2")[0] == 302
    assert _logged(sqlite_services, "school_added") == [("admin", "admin", "100777: Hill Top School")]
    assert _logged(sqlite_services, "user_added") == [("admin", "admin", "newdsl: dsl at 100777")]
    assert _logged(sqlite_services, "user_deactivated") == [("admin", "admin", "sw2")]
