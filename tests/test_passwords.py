"""A user changes their own password; an administrator sets a first or forgotten one."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from caseflow import create_app
from caseflow.adapters.accounts import AccountError, check_password
from caseflow.adapters.secret_box import new_key_text
from caseflow.bootstrap import Services
from caseflow.cli import main
from caseflow.demo import DEMO_PASSWORD
from tests.conftest import Database, access_lines

PASSWORD = "correct horse battery"
NEW = "plum kettle orbit meadow"


@pytest.fixture
def app(sqlite_services: Services) -> Iterator[Flask]:
    yield create_app({"TESTING": True, "SERVICES": sqlite_services, "SECRET_KEY": "test-secret"})


def csrf(client: FlaskClient, path: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert found, path
    return found.group(1)


def sign_in(client: FlaskClient, username: str = "dsl", password: str = PASSWORD) -> int:
    token = csrf(client, "/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token}).status_code


def change(client: FlaskClient, current: str, new: str, confirm: str | None = None) -> tuple[int, str]:
    token = csrf(client, "/account/password")
    response = client.post(
        "/account/password",
        data={"current": current, "new": new, "confirm": new if confirm is None else confirm, "csrf_token": token},
    )
    return response.status_code, response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        ("wrong password!", NEW, None, "Your current password is not right."),
        (PASSWORD, "too short", None, "A password has 12 to 128 characters."),
        (PASSWORD, "my name is dsl, ok", None, "A password must not contain the username."),
        (PASSWORD, "password1234", None, "This password is too common: choose another."),
        (PASSWORD, "Oakfield Primary!", None, "it is mostly a name, a school, or Caseflow"),  # the dsl's school
        (PASSWORD, PASSWORD, None, "The new password is the same as the current one."),
        (PASSWORD, NEW, NEW + "!", "The two new passwords are not the same"),
        (PASSWORD, "", None, "Enter a new password"),
        (PASSWORD, "x" * 129, None, "A password has at most 128 characters"),
    ],
)
def test_a_change_that_cannot_be_made_says_why_and_changes_nothing(
    app: Flask, sqlite_services: Services, current: str, new: str, confirm: str | None, message: str
) -> None:
    client = app.test_client()
    assert sign_in(client) == 302
    status, page = change(client, current, new, confirm)
    assert status == 422 and message in page
    assert sqlite_services.accounts.authenticate("dsl", PASSWORD) is not None, "the old password still works"


def test_a_user_changes_their_password_and_their_other_sessions_end(app: Flask, sqlite_services: Services) -> None:
    here, elsewhere = app.test_client(), app.test_client()
    assert sign_in(here) == 302 and sign_in(elsewhere) == 302
    before = here.get_cookie("session")
    assert before is not None
    status, _ = change(here, PASSWORD, NEW)
    assert status == 302
    assert here.get("/").status_code == 200, "this browser goes on, in a new session"
    stale = app.test_client()
    stale.set_cookie("session", before.value)
    assert stale.get("/").status_code == 302, "the session from before the change is over"
    assert elsewhere.get("/").status_code == 302, "every other one ends"
    assert sign_in(app.test_client(), password=PASSWORD) == 401
    assert sign_in(app.test_client(), password=NEW) == 302
    assert ("dsl", "password_changed", "ok") in [
        (x["username"], x["action"], x["outcome"]) for x in access_lines(sqlite_services)
    ]


def test_guessing_through_the_change_form_counts_towards_the_lock(app: Flask, sqlite_services: Services) -> None:
    client = app.test_client()
    assert sign_in(client) == 302
    for _ in range(10):
        assert change(client, "wrong password!", NEW)[0] == 422
    assert sqlite_services.accounts.authenticate("dsl", PASSWORD) is None, "locked, as at the sign-in page"


def test_an_administrator_sets_a_first_or_forgotten_password(
    sqlite_services: Services, sqlite_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASEFLOW_DATABASE_URL", sqlite_database.url)
    sqlite_services.accounts.add_user("newcomer", ["auditor"])
    assert sqlite_services.accounts.authenticate("newcomer", NEW) is None, "no password yet: no sign-in"
    for _ in range(10):
        sqlite_services.accounts.authenticate("dsl", "wrong password!")
    session = sqlite_services.accounts.start_session(sqlite_services.accounts.user("dsl")["id"])  # type: ignore[index]
    for username in ("newcomer", "dsl"):
        result = CliRunner().invoke(main, ["users", "set-password", username], input=NEW + "\n")
        assert result.exit_code == 0 and f"Set a new password for {username}" in result.output
        assert sqlite_services.accounts.authenticate(username, NEW) is not None, "unlocked, with the new password"
    assert sqlite_services.accounts.session_user(session) is None
    short = CliRunner().invoke(main, ["users", "set-password", "dsl"], input="short\n")
    assert short.exit_code == 1 and "12 to 128 characters" in short.output
    unknown = CliRunner().invoke(main, ["users", "set-password", "nobody"], input=NEW + "\n")
    assert unknown.exit_code == 1 and "No user called nobody." in unknown.output
    assert [x["detail"] for x in access_lines(sqlite_services) if x["action"] == "password_set"] == ["newcomer", "dsl"]


#: 128 characters, none of them foretold by those before
LONGEST = ("plum kettle orbit meadow, seven jars of quince; a heron waits by the weir at dusk. " * 2)[:128]


@pytest.mark.parametrize(
    "password", ["correct horse battery", "Ab1!Cd7?Ex3#", "ümlaut passwörd", "Tr0ub4dor&3xyz", "a7Gq!9zLmP2x", LONGEST]
)
def test_any_characters_will_do_at_a_length_of_12_to_128(password: str) -> None:
    assert len(LONGEST) == 128
    check_password(password, "dsl", ["Dana Shah (DSL)", "Oakfield Primary School", "100001", "Essex"])


@pytest.mark.parametrize(
    "password",
    [
        "password1234",  # the tester's: a common password and a run of digits
        "Password2026!",
        "P@ssw0rd2026",  # digits and symbols for letters
        "pass-word 1234",  # separators between its parts
        "iloveyou2much",
        "sunshine1985!",
        "caseflow-demo-2026",  # the demo's, which the README publishes
        "CASEFLOW-DEMO-2026",
    ],
)
def test_a_common_password_or_one_with_a_little_added_is_refused(password: str) -> None:
    with pytest.raises(AccountError, match=r"^This password is too common: choose another\.$"):
        check_password(password, "dsl")


@pytest.mark.parametrize(
    "password", ["aaaaaaaaaaaa", "x" * 128, "123456789012", "987654321098", "abcdefghijkl", "Ab1!Ab1!Ab1!", "zzzzzzzzzzzy"]
)
def test_characters_repeated_or_run_through_are_refused(password: str) -> None:
    with pytest.raises(AccountError, match="too easy to guess: it repeats characters or runs through them"):
        check_password(password, "dsl")


@pytest.mark.parametrize("password", ["Dana Shah 2026!", "danashah1980", "Oakfield Primary!", "oakfield100001", "Caseflow 2027!"])
def test_the_persons_name_their_school_or_caseflow_with_little_else_are_refused(password: str) -> None:
    about = ["Dana Shah (DSL)", "Oakfield Primary School", "100001", "Essex"]
    with pytest.raises(AccountError, match="too easy to guess: it is mostly a name, a school, or Caseflow's"):
        check_password(password, "dsl", about)
    check_password("Dana walks the heron to Oakfield", "dsl", about)  # a name among other words is no matter


def test_the_demo_password_is_for_the_demos_accounts_only(sqlite_services: Services) -> None:
    accounts = sqlite_services.accounts
    with pytest.raises(AccountError, match="too common") as refused:
        accounts.add_user("visitor", ["auditor"], password=DEMO_PASSWORD)
    assert refused.value.on == {"password": "This password is too common: choose another."}
    assert accounts.add_user("visitor", ["auditor"], password=DEMO_PASSWORD, demo=True)
    assert accounts.authenticate("visitor", DEMO_PASSWORD) is not None
    with pytest.raises(AccountError, match="too common"):
        accounts.add_user("visitor2", ["auditor"], password="password1234", demo=True)


def test_the_demo_will_not_load_in_production(sqlite_database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEFLOW_DATABASE_URL", sqlite_database.url)
    monkeypatch.setenv("CASEFLOW_ENV", "production")
    monkeypatch.setenv("CASEFLOW_DATA_KEY", new_key_text())
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 1 and "The demo is not loaded in production" in result.output


def test_the_username_is_looked_for_whatever_the_case() -> None:
    with pytest.raises(AccountError, match="username"):
        check_password("Hello DANA.SHAH friends", "dana.shah")


@pytest.mark.parametrize(
    ("current", "new", "field", "message"),
    [
        ("wrong password!", NEW, "current", "Your current password is not right."),
        (PASSWORD, "too short", "new", "A password has 12 to 128 characters."),
        (PASSWORD, PASSWORD, "new", "The new password is the same as the current one."),
        (PASSWORD, "caseflow-demo-2026", "new", "This password is too common: choose another."),
    ],
)
def test_a_refused_change_is_told_on_its_field(app: Flask, current: str, new: str, field: str, message: str) -> None:
    client = app.test_client()
    assert sign_in(client) == 302
    status, page = change(client, current, new)
    assert status == 422
    assert re.search(
        rf'id="{field}-error"[^>]*>\s*<span class="govuk-visually-hidden">Error:</span>\s*{re.escape(message)}', page
    )
    assert f'href="#{field}">{message}' in page, "the summary links to the field"


def test_a_wrong_current_password_and_a_short_new_one_are_told_at_once(app: Flask, sqlite_services: Services) -> None:
    client = app.test_client()
    assert sign_in(client) == 302
    status, page = change(client, "wrong password!", "too short")
    assert status == 422
    assert 'id="current-error"' in page and 'id="new-error"' in page
    assert "Your current password is not right." in page and "A password has 12 to 128 characters." in page
    assert sqlite_services.accounts.authenticate("dsl", PASSWORD) is not None
