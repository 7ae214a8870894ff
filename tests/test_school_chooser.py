"""A link in an auditor's or a virtual school officer's own navigation never ends in "page not
found": a school-level page asked for without a school lists the schools they may read."""

from __future__ import annotations

import pytest
from flask import Flask

from caseflow import create_app
from caseflow.bootstrap import Services
from tests.conftest import OTHER_SCHOOL, SCHOOL


@pytest.fixture
def app(sqlite_services: Services) -> Flask:
    return create_app({"TESTING": True, "SERVICES": sqlite_services, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False})


def _signed_in(app: Flask, username: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": "correct horse battery"}).status_code == 302
    return client


@pytest.mark.parametrize("path", ["/reports/governors", "/cohort", "/self-assessment"])
@pytest.mark.parametrize(("username", "listed"), [("auditor", {SCHOOL, OTHER_SCHOOL}), ("vs", {SCHOOL})])
def test_a_page_without_a_school_lists_the_schools_they_may_read(app: Flask, path: str, username: str, listed: set[str]) -> None:
    client = _signed_in(app, username)
    page = client.get(path)
    assert page.status_code == 200 and "Choose a school" in page.text
    linked = {urn for urn in (SCHOOL, OTHER_SCHOOL) if f"school_urn={urn}" in page.text}
    assert linked == listed
    assert client.get(f"{path}?school_urn={SCHOOL}").status_code == 200, "and each link opens the school's page"


def test_someone_who_works_at_a_school_goes_straight_to_theirs(app: Flask) -> None:
    report = _signed_in(app, "governor").get("/reports/governors")
    assert report.status_code == 200 and "Choose a school" not in report.text and f"({SCHOOL})" in report.text
    assert _signed_in(app, "vs").get("/reports/governors.csv").status_code == 404, "a file needs its school"


@pytest.mark.parametrize("path", ["/reports/governors", "/cohort", "/self-assessment", "/reports/governors.csv"])
def test_a_school_that_is_not_a_urn_is_not_found_never_an_error(services: Services, path: str) -> None:
    """A NUL reaching PostgreSQL's driver would be a 500: anything that is not a URN is no school."""
    app = create_app({"TESTING": True, "SERVICES": services, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False})
    client = _signed_in(app, "dsl")
    for bad in ("%00", "1000%0001", "%EF%BC%91" * 6, "x" * 17):
        assert client.get(f"{path}?school_urn={bad}").status_code == 404, (path, bad)
    token = services.accounts.issue_token("dsl")
    api = app.test_client().get("/api/v1/reports/governors?school_urn=%00", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 404 and api.mimetype == "application/problem+json"
