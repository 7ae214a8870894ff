"""Production starts only with settings that keep a session safe: cookies over HTTPS only, and a secret key too
long to guess. Development (``make run``) keeps working on plain http://localhost."""

from __future__ import annotations

import re

import pytest

from caseflow import create_app
from caseflow.bootstrap import Services

LONG_ENOUGH = "k" * 32


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("CASEFLOW_ENV", "CASEFLOW_SECURE_COOKIES", "CASEFLOW_SECRET_KEY", "CASEFLOW_TWO_STEP"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_production_sends_the_session_cookie_over_https_only(sqlite_services: Services, env: pytest.MonkeyPatch) -> None:
    env.setenv("CASEFLOW_ENV", "production")
    env.setenv("CASEFLOW_SECRET_KEY", LONG_ENOUGH)
    env.setenv("CASEFLOW_TWO_STEP", "optional")  # to see the session cookie a password alone gives
    app = create_app({"SERVICES": sqlite_services})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    client = app.test_client()
    page = client.get("/login", base_url="https://caseflow.example").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token
    response = client.post(
        "/login",
        data={"username": "dsl", "password": "correct horse battery", "csrf_token": token.group(1)},
        base_url="https://caseflow.example",
        headers={"Referer": "https://caseflow.example/login"},  # as Flask-WTF asks over HTTPS
    )
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all("; Secure" in cookie for cookie in cookies), cookies


def test_production_refuses_to_send_cookies_in_clear(sqlite_services: Services, env: pytest.MonkeyPatch) -> None:
    env.setenv("CASEFLOW_ENV", "production")
    env.setenv("CASEFLOW_SECRET_KEY", LONG_ENOUGH)
    env.setenv("CASEFLOW_SECURE_COOKIES", "0")
    with pytest.raises(RuntimeError, match="CASEFLOW_SECURE_COOKIES=0 is refused in production"):
        create_app({"SERVICES": sqlite_services})
    env.setenv("CASEFLOW_SECURE_COOKIES", "yes")
    with pytest.raises(RuntimeError, match="is '1' or '0', not 'yes'"):
        create_app({"SERVICES": sqlite_services})
    env.setenv("CASEFLOW_SECURE_COOKIES", "1")
    assert create_app({"SERVICES": sqlite_services}).config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize("secret", ["short", "k" * 31, "é" * 15])  # 15 characters, 30 bytes
def test_production_refuses_a_secret_key_of_under_32_bytes(
    sqlite_services: Services, env: pytest.MonkeyPatch, secret: str
) -> None:
    env.setenv("CASEFLOW_ENV", "production")
    env.setenv("CASEFLOW_SECRET_KEY", secret)
    with pytest.raises(RuntimeError, match="CASEFLOW_SECRET_KEY is at least 32 bytes in production"):
        create_app({"SERVICES": sqlite_services})
    env.setenv("CASEFLOW_SECRET_KEY", "é" * 16)  # 32 bytes
    assert create_app({"SERVICES": sqlite_services}).config["SECRET_KEY"] == "é" * 16
    env.delenv("CASEFLOW_SECRET_KEY")
    with pytest.raises(RuntimeError, match="CASEFLOW_SECRET_KEY is required in production"):
        create_app({"SERVICES": sqlite_services})


def test_development_keeps_plain_http_unless_asked(sqlite_services: Services, env: pytest.MonkeyPatch) -> None:
    app = create_app({"SERVICES": sqlite_services})
    assert app.config["SESSION_COOKIE_SECURE"] is False, "make run serves http://localhost"
    env.setenv("CASEFLOW_SECRET_KEY", "short")
    assert create_app({"SERVICES": sqlite_services}).config["SECRET_KEY"] == "short", "refused in production only"
    env.setenv("CASEFLOW_SECURE_COOKIES", "1")
    assert create_app({"SERVICES": sqlite_services}).config["SESSION_COOKIE_SECURE"] is True
