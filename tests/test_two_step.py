"""Two-step sign-in through the web: setting up an app, signing in with a code, what a wrong or
reused code does, required mode, and an administrator's reset for a lost phone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from caseflow import create_app
from caseflow.bootstrap import Services, bootstrap
from caseflow.cli import main
from caseflow.domain.totp import hotp, step_at
from tests.conftest import Clock, Database, access_lines, seed_people

PASSWORD = "correct horse battery"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def svc(sqlite_database: Database, clock: Clock) -> Iterator[Services]:
    services = bootstrap(sqlite_database.url, clock=clock)
    seed_people(services)
    yield services
    services.close()


def make_app(svc: Services, required: bool) -> Flask:
    return create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "TWO_STEP_REQUIRED": required})


@pytest.fixture
def app(svc: Services) -> Flask:
    return make_app(svc, required=False)


def csrf(client: FlaskClient, path: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert found, path
    return found.group(1)


def password_step(client: FlaskClient, username: str = "dsl", next_path: str = "") -> TestResponse:
    token = csrf(client, "/login")
    url = f"/login?next={next_path}" if next_path else "/login"
    return client.post(url, data={"username": username, "password": PASSWORD, "csrf_token": token})


def post_code(
    client: FlaskClient, path: str, code: str, form_page: str | None = None, password: str | None = None
) -> TestResponse:
    data = {"code": code, "csrf_token": csrf(client, form_page or path)}
    if password is not None:
        data["password"] = password
    return client.post(path, data=data)


def key_on(page: str) -> str:
    found = re.search(r'<code class="caseflow-key" id="key">([A-Z2-7 ]+)</code>', page)
    assert found, "the key to type is on the page"
    return found.group(1).replace(" ", "")


def now_code(secret: str, clock: Clock, offset: int = 0) -> str:
    return hotp(secret, step_at(clock.now) + offset)


def signed_in(client: FlaskClient) -> bool:
    return client.get("/").status_code == 200


def turn_on(client: FlaskClient, clock: Clock) -> str:
    """Set up an app from the account page, as a user would; the secret the app now holds."""
    page = client.get("/account/two-step")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<svg" in text and "otpauth://totp/Caseflow" in text, "a QR code and the address it holds"
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text)
    assert token
    secret = key_on(text)
    done = client.post(
        "/account/two-step", data={"code": now_code(secret, clock), "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert done.status_code == 302
    return secret


def test_a_user_sets_up_an_app_then_signs_in_with_a_code(app: Flask, svc: Services, clock: Clock) -> None:
    client = app.test_client()
    assert password_step(client).status_code == 302 and signed_in(client), "without two-step: the password is enough"
    assert "Off" in client.get("/account").get_data(as_text=True)
    secret = turn_on(client, clock)
    assert ">On<" in client.get("/account").get_data(as_text=True).replace("\n", "")
    assert [line["action"] for line in access_lines(svc)].count("two_step_on") == 1

    clock.now += timedelta(minutes=1)
    fresh = app.test_client()
    first = password_step(fresh, next_path="/interventions")
    assert first.status_code == 302 and first.headers["Location"] == "/login/code"
    assert not signed_in(fresh), "the password alone starts no session"
    wrong = post_code(fresh, "/login/code", str((int(now_code(secret, clock)) + 1) % 1_000_000).zfill(6))
    assert wrong.status_code == 422 and "not right, or it has been used" in wrong.get_data(as_text=True)
    assert not signed_in(fresh)
    right = post_code(fresh, "/login/code", now_code(secret, clock)[:3] + " " + now_code(secret, clock)[3:])
    assert right.status_code == 302 and right.headers["Location"] == "/interventions", "on to where they were going"
    assert signed_in(fresh)


def test_a_code_seen_once_cannot_sign_anyone_in_again(app: Flask, svc: Services, clock: Clock) -> None:
    owner = app.test_client()
    password_step(owner)
    secret = turn_on(owner, clock)
    clock.now += timedelta(minutes=1)
    code = now_code(secret, clock)
    first = app.test_client()
    password_step(first)
    assert post_code(first, "/login/code", code).status_code == 302
    onlooker = app.test_client()
    password_step(onlooker)
    assert post_code(onlooker, "/login/code", code).status_code == 422
    assert not signed_in(onlooker)


def test_wrong_codes_count_with_wrong_passwords_and_the_password_does_not_clear_them(
    app: Flask, svc: Services, clock: Clock
) -> None:
    """Ten failures lock the account. The right password must not reset the count while a code is
    still to come, or whoever knows it could guess at codes for ever."""
    owner = app.test_client()
    password_step(owner)
    secret = turn_on(owner, clock)
    attacker = app.test_client()
    for _ in range(2):
        assert password_step(attacker).status_code == 302
        for _ in range(5):
            assert (
                post_code(attacker, "/login/code", "000000" if now_code(secret, clock) != "000000" else "111111").status_code
                == 422
            )
    assert svc.accounts.authenticate("dsl", PASSWORD) is None, "locked after ten"
    clock.now += timedelta(minutes=16)
    back = app.test_client()
    assert password_step(back).status_code == 302
    assert post_code(back, "/login/code", now_code(secret, clock)).status_code == 302 and signed_in(back)


def test_the_password_step_lasts_five_minutes(app: Flask, svc: Services, clock: Clock) -> None:
    owner = app.test_client()
    password_step(owner)
    secret = turn_on(owner, clock)
    client = app.test_client()
    password_step(client)
    token = csrf(client, "/login/code")
    clock.now += timedelta(minutes=6)
    late = client.post("/login/code", data={"code": now_code(secret, clock), "csrf_token": token})
    assert late.status_code == 302 and late.headers["Location"] == "/login"
    assert not signed_in(client)


def test_a_wrong_code_at_set_up_changes_nothing(app: Flask, svc: Services, clock: Clock) -> None:
    client = app.test_client()
    password_step(client)
    page = client.get("/account/two-step").get_data(as_text=True)
    secret = key_on(page)
    wrong_code = str((int(now_code(secret, clock)) + 1) % 1_000_000).zfill(6)
    wrong = post_code(client, "/account/two-step", wrong_code, "/account", PASSWORD)
    assert wrong.status_code == 422 and "not right, or it has been used" in wrong.get_data(as_text=True)
    assert not svc.accounts.two_step_on(svc.accounts.user("dsl")["id"])  # type: ignore[index]
    letters = post_code(client, "/account/two-step", "abcdef", "/account", PASSWORD)
    assert letters.status_code == 422 and "6 digits" in letters.get_data(as_text=True)
    no_password = post_code(client, "/account/two-step", now_code(secret, clock), "/account")
    assert no_password.status_code == 422 and "Enter your password" in no_password.get_data(as_text=True)


def test_someone_at_a_session_left_open_cannot_put_their_own_phone_on_the_account(
    app: Flask, svc: Services, clock: Clock
) -> None:
    """Setting up (or moving) the app asks for the password again; a wrong one counts as a failed sign-in."""
    client = app.test_client()
    password_step(client)
    secret = key_on(client.get("/account/two-step").get_data(as_text=True))
    refused = post_code(client, "/account/two-step", now_code(secret, clock), "/account", "not the password")
    assert refused.status_code == 422 and "Your password is not right." in refused.get_data(as_text=True)
    assert not svc.accounts.two_step_on(svc.accounts.user("dsl")["id"])  # type: ignore[index]
    assert svc.accounts.user("dsl")["failed_logins"] == 1  # type: ignore[index]


def test_a_user_may_turn_it_off_with_a_current_code_where_it_is_optional(app: Flask, svc: Services, clock: Clock) -> None:
    client = app.test_client()
    password_step(client)
    secret = turn_on(client, clock)
    clock.now += timedelta(seconds=30)
    refused = post_code(client, "/account/two-step/off", "12345", "/account")
    assert refused.status_code == 422 and svc.accounts.two_step_on(svc.accounts.user("dsl")["id"])  # type: ignore[index]
    off = post_code(client, "/account/two-step/off", now_code(secret, clock), "/account")
    assert off.status_code == 302 and not svc.accounts.two_step_on(svc.accounts.user("dsl")["id"])  # type: ignore[index]
    assert "two_step_off" in [line["action"] for line in access_lines(svc)]


def test_where_it_is_required_a_user_sets_up_an_app_before_anything_else(svc: Services, clock: Clock) -> None:
    app = make_app(svc, required=True)
    client = app.test_client()
    first = password_step(client, "senco")
    assert first.status_code == 302 and first.headers["Location"] == "/login/set-up"
    assert not signed_in(client)
    page = client.get("/login/set-up")
    assert page.status_code == 200
    secret = key_on(page.get_data(as_text=True))
    assert secret == key_on(client.get("/login/set-up").get_data(as_text=True)), "the same key until it is set up"
    done = post_code(client, "/login/set-up", now_code(secret, clock))
    assert done.status_code == 302 and signed_in(client)
    assert svc.accounts.two_step_on(svc.accounts.user("senco")["id"])  # type: ignore[index]
    off = post_code(client, "/account/two-step/off", now_code(secret, clock, 1), "/account")
    assert off.status_code == 403, "not where it is required"
    clock.now += timedelta(minutes=1)
    again = app.test_client()
    assert password_step(again, "senco").headers["Location"] == "/login/code"


def test_an_administrator_resets_a_lost_phone(
    svc: Services, clock: Clock, sqlite_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(svc, required=True)
    client = app.test_client()
    password_step(client, "head")
    page = client.get("/login/set-up").get_data(as_text=True)
    assert post_code(client, "/login/set-up", now_code(key_on(page), clock)).status_code == 302 and signed_in(client)
    monkeypatch.setenv("CASEFLOW_DATABASE_URL", sqlite_database.url)
    result = CliRunner().invoke(main, ["users", "reset-two-step", "head"])
    assert result.exit_code == 0 and "Reset two-step sign-in for head" in result.output
    assert not signed_in(client), "their sessions end with it"
    assert password_step(app.test_client(), "head").headers["Location"] == "/login/set-up", "a new app at the next sign-in"
    assert "two_step_reset" in [line["action"] for line in access_lines(svc)]
    unknown = CliRunner().invoke(main, ["users", "reset-two-step", "nobody"])
    assert unknown.exit_code == 1 and "No user called nobody." in unknown.output


def test_the_setting_is_required_or_optional_and_nothing_else(svc: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEFLOW_TWO_STEP", "yes")
    with pytest.raises(RuntimeError, match="'required' or 'optional'"):
        create_app({"SERVICES": svc})
    monkeypatch.setenv("CASEFLOW_TWO_STEP", "required")
    assert create_app({"SERVICES": svc}).config["TWO_STEP_REQUIRED"] is True
    monkeypatch.delenv("CASEFLOW_TWO_STEP")
    monkeypatch.setenv("CASEFLOW_ENV", "production")
    monkeypatch.setenv("CASEFLOW_SECRET_KEY", "x" * 32)
    assert create_app({"SERVICES": svc}).config["TWO_STEP_REQUIRED"] is True, "on by default in production"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=st.text(max_size=40))
def test_anything_typed_as_a_code_is_a_message_never_a_500(app: Flask, svc: Services, clock: Clock, typed: str) -> None:
    client = app.test_client()
    password_step(client)
    response = post_code(client, "/account/two-step", typed, "/account", PASSWORD)
    assert response.status_code == 422
    assert not svc.accounts.two_step_on(svc.accounts.user("dsl")["id"])  # type: ignore[index]


def test_sessions_opened_before_it_was_required_end_when_it_is(svc: Services, clock: Clock) -> None:
    optional = make_app(svc, required=False)
    before = optional.test_client()
    password_step(before, "slt")
    assert signed_in(before)
    required = make_app(svc, required=True)
    replay = required.test_client()
    cookie = before.get_cookie("session")
    assert cookie is not None
    replay.set_cookie("session", cookie.value)
    response = replay.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert not signed_in(before), "the session itself ended, not only this request"


def test_a_user_deactivated_between_the_steps_is_sent_back_to_sign_in(svc: Services, clock: Clock) -> None:
    app = make_app(svc, required=True)
    client = app.test_client()
    password_step(client, "teacher")
    secret = key_on(client.get("/login/set-up").get_data(as_text=True))
    svc.accounts.deactivate("teacher")
    response = post_code(client, "/login/set-up", now_code(secret, clock))
    assert response.status_code in {302, 422} and not signed_in(client)
    assert svc.accounts.user("teacher")["totp_secret"] is None  # type: ignore[index]


def test_the_password_step_alone_is_no_session_and_its_cookie_is_replaced_at_the_end(app: Flask, clock: Clock) -> None:
    owner = app.test_client()
    password_step(owner)
    secret = turn_on(owner, clock)
    clock.now += timedelta(seconds=30)
    client = app.test_client()
    password_step(client)
    pending = client.get_cookie("session")
    assert pending is not None
    thief = app.test_client()
    thief.set_cookie("session", pending.value)
    assert not signed_in(thief)
    assert post_code(client, "/login/code", now_code(secret, clock)).status_code == 302
    after = client.get_cookie("session")
    assert after is not None and after.value != pending.value
    assert not signed_in(thief), "the note of the password step never becomes the session"


def test_moving_to_a_new_phone_needs_a_code_from_the_old_one_and_ends_other_sessions(
    app: Flask, svc: Services, clock: Clock
) -> None:
    client = app.test_client()
    password_step(client)
    old = turn_on(client, clock)
    clock.now += timedelta(seconds=30)
    elsewhere = app.test_client()
    password_step(elsewhere)
    assert post_code(elsewhere, "/login/code", now_code(old, clock)).status_code == 302 and signed_in(elsewhere)
    clock.now += timedelta(seconds=30)
    page = client.get("/account/two-step").get_data(as_text=True)
    assert "Code from the app you have now" in page
    new = key_on(page)
    token = csrf(client, "/account")
    without_old = client.post(
        "/account/two-step", data={"code": now_code(new, clock), "password": PASSWORD, "current_code": "", "csrf_token": token}
    )
    assert without_old.status_code == 422 and "Enter the code from the app you have now" in without_old.get_data(as_text=True)
    moved = client.post(
        "/account/two-step",
        data={"code": now_code(new, clock), "password": PASSWORD, "current_code": now_code(old, clock), "csrf_token": token},
    )
    assert moved.status_code == 302
    assert signed_in(client) and not signed_in(elsewhere), "every other session ends with the change"
    clock.now += timedelta(seconds=30)
    fresh = app.test_client()
    password_step(fresh)
    assert post_code(fresh, "/login/code", now_code(old, clock)).status_code == 422, "the old phone no longer works"
    assert post_code(fresh, "/login/code", now_code(new, clock)).status_code == 302


def test_sign_ins_and_refusals_are_in_the_access_log(app: Flask, svc: Services, clock: Clock) -> None:
    owner = app.test_client()
    password_step(owner)
    secret = turn_on(owner, clock)
    clock.now += timedelta(seconds=30)
    client = app.test_client()
    token = csrf(client, "/login")
    client.post("/login", data={"username": "dsl", "password": "wrong password!", "csrf_token": token})
    password_step(client)
    post_code(client, "/login/code", "000000" if now_code(secret, clock) != "000000" else "111111")
    post_code(client, "/login/code", now_code(secret, clock))
    lines = [(line["username"], line["action"], line["outcome"]) for line in access_lines(svc)]
    assert lines.count(("dsl", "sign_in", "refused")) == 2, lines
    assert lines.count(("dsl", "sign_in", "ok")) == 2, "the owner's first sign-in and this one"


def test_the_second_step_follows_the_account_as_it_is_now(svc: Services, clock: Clock) -> None:
    """A user with an app who opens the set-up page is sent to the code; one whose app an administrator
    reset between the steps is sent back to sign in (and then, where required, to set up a new one)."""
    app = make_app(svc, required=True)
    client = app.test_client()
    password_step(client, "mhl")
    secret = key_on(client.get("/login/set-up").get_data(as_text=True))
    assert post_code(client, "/login/set-up", now_code(secret, clock)).status_code == 302
    clock.now += timedelta(seconds=30)
    again = app.test_client()
    assert password_step(again, "mhl").headers["Location"] == "/login/code"
    detour = again.get("/login/set-up")
    assert detour.status_code == 302 and detour.headers["Location"] == "/login/code", "no second app by the back door"
    svc.accounts.reset_two_step("mhl")
    stale = again.get("/login/code")
    assert stale.status_code == 302 and stale.headers["Location"] == "/login"
    assert password_step(again, "mhl").headers["Location"] == "/login/set-up"
