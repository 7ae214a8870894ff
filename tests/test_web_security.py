"""Sessions, CSRF, headers, redirects and escaping in the web interface."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn
from caseflow.web.policy import PUBLIC, allow
from tests.conftest import SCHOOL, principal

PASSWORD = "correct horse battery"


@pytest.fixture
def app(sqlite_services: Services) -> Iterator[Flask]:
    yield create_app({"TESTING": True, "SERVICES": sqlite_services, "SECRET_KEY": "test-secret"})


def csrf_token(client: FlaskClient, path: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert found, path
    return found.group(1)


def sign_in(client: FlaskClient, username: str = "dsl") -> None:
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_login_without_csrf_token_is_refused(app: Flask) -> None:
    client = app.test_client()
    response = client.post("/login", data={"username": "dsl", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_actions_without_csrf_token_are_refused_and_change_nothing(app: Flask, sqlite_services: Services) -> None:
    client = app.test_client()
    sign_in(client)
    pupil = sqlite_services.pupils.register(
        principal(sqlite_services, "dsl"),
        {
            "upn": make_upn("881", "2001", 2019, 5),
            "given_name": "A",
            "family_name": "B",
            "date_of_birth": "2016-01-01",
            "school_urn": SCHOOL,
        },
    )
    case = sqlite_services.cases.open_case(
        principal(sqlite_services, "dsl"), {"pupil_id": pupil.id, "need_areas": ["send"], "description": "x"}
    )
    response = client.post(f"/cases/{case.id}/actions/start_one_plan", data={"expected_version": "1"})
    assert response.status_code == 400
    assert sqlite_services.store.current_version(case.id) == 1
    token = csrf_token(client, f"/cases/{case.id}/actions/start_one_plan")
    response = client.post(f"/cases/{case.id}/actions/start_one_plan", data={"expected_version": "1", "csrf_token": token})
    assert response.status_code == 302
    assert sqlite_services.store.current_version(case.id) == 2


def test_logout_kills_the_session_on_the_server(app: Flask) -> None:
    client = app.test_client()
    sign_in(client)
    assert client.get("/").status_code == 200
    stolen = client.get_cookie("session")
    assert stolen is not None
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", stolen.value)
    response = replay.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_wrong_password_is_refused_without_saying_which_part(app: Flask) -> None:
    client = app.test_client()
    for username in ("dsl", "nobody"):
        token = csrf_token(client, "/login")
        response = client.post("/login", data={"username": username, "password": "wrong password!", "csrf_token": token})
        assert response.status_code == 401
        assert "username or password is not right" in response.get_data(as_text=True)


def test_ten_failures_lock_the_account(app: Flask, sqlite_services: Services) -> None:
    for _ in range(10):
        assert sqlite_services.accounts.authenticate("dsl", "wrong password!") is None
    assert sqlite_services.accounts.authenticate("dsl", PASSWORD) is None
    assert sqlite_services.accounts.authenticate("senco", PASSWORD) is not None


@pytest.mark.parametrize(
    "target", ["//evil.example", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "http:evil"]
)
def test_login_never_redirects_off_site(app: Flask, target: str) -> None:
    client = app.test_client()
    token = csrf_token(client, "/login")
    response = client.post(f"/login?next={target}", data={"username": "dsl", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_security_headers_on_pages_errors_and_api(app: Flask) -> None:
    client = app.test_client()
    for path in ["/login", "/nowhere", "/api/v1/openapi.json", "/api/v1/cases/x"]:
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "object-src 'none'" in csp and "base-uri 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "'unsafe-inline'" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["Cache-Control"] == "no-store"
        assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


def test_user_text_is_escaped_everywhere(app: Flask, sqlite_services: Services) -> None:
    dsl = principal(sqlite_services, "dsl")
    payload = "<script>alert(1)</script>{{7*7}}"
    pupil = sqlite_services.pupils.register(
        dsl,
        {
            "upn": make_upn("881", "2001", 2019, 6),
            "given_name": payload,
            "family_name": "B",
            "date_of_birth": "2016-01-01",
            "school_urn": SCHOOL,
        },
    )
    case = sqlite_services.cases.open_case(dsl, {"pupil_id": pupil.id, "need_areas": ["send"], "description": payload})
    client = app.test_client()
    sign_in(client)
    for path in ["/", f"/cases/{case.id}"]:
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;" in html
        assert "49" not in re.sub(r"[^{}0-9*]", "", html.split("{{7*7}}")[0][-5:])


def test_form_errors_rerender_with_messages_and_change_nothing(app: Flask, sqlite_services: Services) -> None:
    dsl = principal(sqlite_services, "dsl")
    pupil = sqlite_services.pupils.register(
        dsl,
        {
            "upn": make_upn("881", "2001", 2019, 7),
            "given_name": "A",
            "family_name": "B",
            "date_of_birth": "2016-01-01",
            "school_urn": SCHOOL,
        },
    )
    case = sqlite_services.cases.open_case(dsl, {"pupil_id": pupil.id, "need_areas": ["send"], "description": "x"})
    client = app.test_client()
    sign_in(client)
    path = f"/cases/{case.id}/actions/record_meeting"
    token = csrf_token(client, path)
    response = client.post(path, data={"csrf_token": token, "expected_version": "1", "notes": "x" * 6000})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in html and "Date of the meeting is required" in html and "at most 5000 characters" in html
    response = client.post(
        path,
        data={
            "csrf_token": token,
            "expected_version": "0",
            "date": "2026-10-01",
            "attendees-0-name": "A",
            "attendees-0-agency": "school",
        },
    )
    assert response.status_code == 409 and "Someone else changed this case" in response.get_data(as_text=True)
    assert sqlite_services.store.current_version(case.id) == 1
    response = client.post(
        path,
        data={
            "csrf_token": token,
            "expected_version": "1",
            "date": "2026-10-01",
            "attendees-0-name": "A",
            "attendees-0-agency": "school",
        },
    )
    assert response.status_code == 302
    assert sqlite_services.store.current_version(case.id) == 2


def test_an_admin_deactivates_a_leaver_who_is_signed_out_at_once(app: Flask) -> None:
    leaver = app.test_client()
    sign_in(leaver, "dsl")
    assert leaver.get("/").status_code == 200
    admin = app.test_client()
    sign_in(admin, "admin")
    page = admin.get("/admin/").get_data(as_text=True)
    found = re.search(r'name="leaver-csrf_token"[^>]*value="([^"]+)"', page)
    assert found and "A leaver" in page
    unknown = admin.post("/admin/", data={"leaver-csrf_token": found.group(1), "leaver-username": "nobody"})
    assert unknown.status_code == 422 and "No user called nobody." in unknown.get_data(as_text=True)
    assert leaver.get("/").status_code == 200, "a refused form changes nothing"
    done = admin.post("/admin/", data={"leaver-csrf_token": found.group(1), "leaver-username": "dsl"})
    assert done.status_code == 302
    assert "Deactivated dsl" in admin.get("/admin/").get_data(as_text=True)
    after = leaver.get("/")
    assert after.status_code == 302 and "/login" in after.headers["Location"]
    token = csrf_token(leaver, "/login")
    again = leaver.post("/login", data={"username": "dsl", "password": PASSWORD, "csrf_token": token})
    assert again.status_code != 302, "no new sign-in either"


def test_a_response_keeps_its_own_security_headers_and_static_files_may_be_cached(sqlite_services: Services) -> None:
    """The defaults fill in only what a response does not set itself, each once, whatever the case of its name."""
    app = create_app({"TESTING": True, "SERVICES": sqlite_services, "SECRET_KEY": "test-secret"})

    @app.route("/own-headers")
    @allow(PUBLIC)
    def own_headers() -> tuple[str, int, dict[str, str]]:
        return "ok", 200, {"content-security-policy": "default-src 'none'", "X-Frame-Options": "SAMEORIGIN"}

    client = app.test_client()
    response = client.get("/own-headers")
    assert response.headers.getlist("Content-Security-Policy") == ["default-src 'none'"]
    assert response.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert response.headers.getlist("X-Content-Type-Options") == ["nosniff"]
    assert response.headers["Cache-Control"] == "no-store"
    static = client.get("/static/caseflow.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")
    assert static.headers["X-Content-Type-Options"] == "nosniff"


def test_a_role_given_or_taken_applies_at_the_next_request_of_an_open_session(app: Flask, sqlite_services: Services) -> None:
    client = app.test_client()
    sign_in(client, "teacher")
    assert client.get(f"/cohort?school_urn={SCHOOL}").status_code == 403
    sqlite_services.accounts.grant("teacher", "dsl", [SCHOOL])
    assert client.get(f"/cohort?school_urn={SCHOOL}").status_code == 200
    sqlite_services.accounts.revoke("teacher", "dsl")
    assert client.get(f"/cohort?school_urn={SCHOOL}").status_code == 403


def test_after_someone_else_changed_the_case_what_was_typed_can_be_sent_again(app: Flask, sqlite_services: Services) -> None:
    """The fourth walk: after 'Someone else changed this case' the form kept what was typed but still carried the
    old version, so sending it again met the same conflict every time, and 'Start again' lost the note. Having
    been shown what changed, the person sends it again, on top of the latest version."""
    dsl = principal(sqlite_services, "dsl")
    pupil = sqlite_services.pupils.register(
        dsl,
        {
            "upn": make_upn("881", "2001", 2019, 8),
            "given_name": "A",
            "family_name": "B",
            "date_of_birth": "2016-01-01",
            "school_urn": SCHOOL,
        },
    )
    case = sqlite_services.cases.open_case(dsl, {"pupil_id": pupil.id, "need_areas": ["send"], "description": "x"})
    client = app.test_client()
    sign_in(client)
    path = f"/cases/{case.id}/actions/log_family_contact"
    token = csrf_token(client, path)
    sqlite_services.cases.act(dsl, case.id, "record_pupil_voice", 1, {"voice": "I like maths."})  # the other tab
    typed = {"csrf_token": token, "date": "2026-10-01", "method": "phone", "summary": "Mum rang about the bus."}
    refused = client.post(path, data=typed | {"expected_version": "1"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "Mum rang about the bus." in html
    assert 'name="expected_version" type="hidden" value="2"' in html, "the form now carries the latest version"
    assert "send it again" in html
    again = client.post(path, data=typed | {"expected_version": "2"})
    assert again.status_code == 302 and sqlite_services.store.current_version(case.id) == 3


def test_after_someone_else_changed_a_pupils_record_what_was_typed_can_be_sent_again(
    app: Flask, sqlite_services: Services
) -> None:
    dsl = principal(sqlite_services, "dsl")
    pupil = sqlite_services.pupils.register(
        dsl,
        {
            "upn": make_upn("881", "2001", 2019, 10),
            "given_name": "A",
            "family_name": "B",
            "date_of_birth": "2016-01-01",
            "school_urn": SCHOOL,
        },
    )
    client = app.test_client()
    sign_in(client)
    path = f"/pupils/{pupil.id}/actions/name_key_contact"
    token = csrf_token(client, path)
    version = sqlite_services.store.current_version(pupil.id)
    contact = {"name": "Ms Patel", "job_title": "Learning mentor", "preferred_contact": "phone"}
    sqlite_services.pupils.act(dsl, pupil.id, "name_key_contact", version, contact)  # the other tab
    typed = {"csrf_token": token, "name": "Mr Jones", "job_title": "Head of year", "preferred_contact": "email"}
    refused = client.post(path, data=typed | {"expected_version": str(version)})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "Mr Jones" in html and "send it again" in html
    assert f'name="expected_version" type="hidden" value="{version + 1}"' in html
    again = client.post(path, data=typed | {"expected_version": str(version + 1)})
    assert again.status_code == 302 and sqlite_services.store.current_version(pupil.id) == version + 2


def test_a_pupil_record_form_with_a_date_it_cannot_read_tells_the_rest_at_once(app: Flask, sqlite_services: Services) -> None:
    """The case forms tell a value the page cannot read with what the rules say of the rest; a pupil's record
    forms told it alone, the rest a round later (h7's note, the fourth walk)."""
    dsl = principal(sqlite_services, "dsl")
    pupil = sqlite_services.pupils.register(
        dsl,
        {
            "upn": make_upn("881", "2001", 2019, 11),
            "given_name": "A",
            "family_name": "B",
            "date_of_birth": "2016-01-01",
            "school_urn": SCHOOL,
        },
    )
    client = app.test_client()
    sign_in(client)
    path = f"/pupils/{pupil.id}/actions/record_behaviour_incident"
    token = csrf_token(client, path)
    version = sqlite_services.store.current_version(pupil.id)
    sent = {"csrf_token": token, "expected_version": str(version), "date": "31/02/2026", "severity": "low"}
    refused = client.post(path, data=sent)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and sqlite_services.store.current_version(pupil.id) == version
    assert 'id="date-error"' in html and 'id="category-error"' in html and 'id="description-error"' in html
