"""From a new user's walk: two-step sign-in told its problems one at a time, and not where they were.
Signing in is two pages (username and password; then the code from the app), so a code and a password
are never sent together there; they are on the form that sets up or moves the app, where the password
is asked again. Every problem the user can act on is now told in one submit, on its field, with the
error summary linking to it, and nothing more is told than before: an unknown username and a wrong
password look the same, a code is judged only after the right password, and each failed attempt
still counts once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.test import TestResponse

from caseflow.adapters.database import read_transaction
from caseflow.adapters.tables import sign_in_throttle
from caseflow.bootstrap import Services, bootstrap
from tests.conftest import Clock, Database, seed_people
from tests.test_two_step import PASSWORD, csrf, key_on, make_app, now_code, password_step, post_code, signed_in, turn_on

WRONG_PASSWORD = "not the password at all"
WRONG_CODE = "That code is not right, or it has been used already."
SIX_DIGITS = "The code is 6 digits, like 123 456"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def svc(sqlite_database: Database, clock: Clock) -> Iterator[Services]:
    services = bootstrap(sqlite_database.url, clock=clock)
    seed_people(services)
    yield services
    services.close()


@pytest.fixture
def app(svc: Services) -> Flask:
    return make_app(svc, required=False)


def failures(svc: Services, username: str = "dsl") -> int:
    user = svc.accounts.user(username)
    assert user is not None
    return int(user["failed_logins"])


def two_step_on(svc: Services, username: str = "dsl") -> bool:
    user = svc.accounts.user(username)
    assert user is not None
    return svc.accounts.two_step_on(int(user["id"]))


def on_field(html: str, field: str) -> str:
    """The message shown on a field ('' if none), and the field marked as in error when there is one."""
    found = re.search(rf'<p class="govuk-error-message" id="{field}-error">(.*?)</p>', html, re.S)
    if not found:
        return ""
    box = re.search(rf'<input[^>]*id="{field}"[^>]*>', html)
    assert box and "govuk-input--error" in box.group(0) and f'aria-describedby="{field}-error"' in box.group(0), field
    return re.sub(r"\s+", " ", found.group(1).replace('<span class="govuk-visually-hidden">Error:</span>', "")).strip()


def summary(html: str) -> list[tuple[str, str]]:
    """The one error summary's entries: (where each links to, its message)."""
    assert html.count('class="govuk-error-summary"') == 1, "one error summary"
    body = html.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    return [(href, text.strip()) for href, text in re.findall(r'<li><a href="([^"]+)">(.*?)</a></li>', body, re.S)]


def post(client: FlaskClient, path: str, form_page: str, **data: str) -> TestResponse:
    return client.post(path, data={**data, "csrf_token": csrf(client, form_page)})


def other_than(code: str) -> str:
    return str((int(code) + 1) % 1_000_000).zfill(6)


# --- the form where a password and a code go together: setting up or moving the app -------------------
def test_a_badly_formed_code_and_a_wrong_password_are_told_in_one_submit(app: Flask, svc: Services) -> None:
    client = app.test_client()
    password_step(client)
    sent = post(client, "/account/two-step", "/account/two-step", code="12 34", password=WRONG_PASSWORD)
    html = sent.get_data(as_text=True)
    assert sent.status_code == 422
    assert on_field(html, "code") == SIX_DIGITS
    assert on_field(html, "password") == "Your password is not right."
    assert summary(html) == [("#code", SIX_DIGITS), ("#password", "Your password is not right.")]
    assert failures(svc) == 1, "the wrong password counts, once"
    assert not two_step_on(svc)


def test_a_badly_formed_code_with_the_right_password_tells_only_the_code(app: Flask, svc: Services) -> None:
    client = app.test_client()
    password_step(client)
    sent = post(client, "/account/two-step", "/account/two-step", code="abcdef", password=PASSWORD)
    html = sent.get_data(as_text=True)
    assert sent.status_code == 422
    assert on_field(html, "code") == SIX_DIGITS and on_field(html, "password") == ""
    assert summary(html) == [("#code", SIX_DIGITS)]
    assert failures(svc) == 0 and not two_step_on(svc)


def test_a_wrong_code_at_set_up_is_on_the_code_field(app: Flask, svc: Services, clock: Clock) -> None:
    client = app.test_client()
    password_step(client)
    secret = key_on(client.get("/account/two-step").get_data(as_text=True))
    sent = post(client, "/account/two-step", "/account/two-step", code=other_than(now_code(secret, clock)), password=PASSWORD)
    html = sent.get_data(as_text=True)
    assert sent.status_code == 422
    assert on_field(html, "code").startswith(WRONG_CODE) and on_field(html, "password") == ""
    assert [href for href, _ in summary(html)] == ["#code"]
    assert not two_step_on(svc)


def test_moving_the_app_tells_every_badly_formed_code_with_a_wrong_password(app: Flask, svc: Services, clock: Clock) -> None:
    client = app.test_client()
    password_step(client)
    turn_on(client, clock)
    clock.now += timedelta(seconds=30)
    sent = post(client, "/account/two-step", "/account/two-step", code="", current_code="1234567", password=WRONG_PASSWORD)
    html = sent.get_data(as_text=True)
    assert sent.status_code == 422
    assert on_field(html, "code") == "Enter the 6-digit code from your authenticator app"
    assert on_field(html, "current_code") == SIX_DIGITS
    assert on_field(html, "password") == "Your password is not right."
    assert [href for href, _ in summary(html)] == ["#code", "#current_code", "#password"], "in the order of the page"
    assert failures(svc) == 1


def test_moving_the_app_judges_the_current_code_only_after_the_right_password(app: Flask, svc: Services, clock: Clock) -> None:
    """A wrong password is told alone, and does not try the code: whoever sits at a session left open learns
    nothing of the code without the password, and the attempt counts once, as it always did."""
    client = app.test_client()
    password_step(client)
    old = turn_on(client, clock)
    clock.now += timedelta(seconds=30)
    new = key_on(client.get("/account/two-step").get_data(as_text=True))
    both_wrong = post(
        client, "/account/two-step", "/account/two-step",
        code=now_code(new, clock), current_code=other_than(now_code(old, clock)), password=WRONG_PASSWORD,
    )  # fmt: skip
    html = both_wrong.get_data(as_text=True)
    assert both_wrong.status_code == 422
    assert on_field(html, "password") == "Your password is not right." and on_field(html, "current_code") == ""
    assert summary(html) == [("#password", "Your password is not right.")]
    assert failures(svc) == 1
    code_wrong = post(
        client, "/account/two-step", "/account/two-step",
        code=now_code(new, clock), current_code=other_than(now_code(old, clock)), password=PASSWORD,
    )  # fmt: skip
    html = code_wrong.get_data(as_text=True)
    assert code_wrong.status_code == 422
    assert on_field(html, "current_code").startswith("The code from your current app is not right")
    assert on_field(html, "password") == "" and [href for href, _ in summary(html)] == ["#current_code"]
    assert failures(svc) == 2, "the wrong code counts once; the right password took its own attempt back"


# --- the second page of signing in: the code alone ------------------------------------------------------
def test_a_wrong_code_at_sign_in_is_on_the_code_field_and_counts_once(app: Flask, svc: Services, clock: Clock) -> None:
    owner = app.test_client()
    password_step(owner)
    secret = turn_on(owner, clock)
    clock.now += timedelta(seconds=30)
    client = app.test_client()
    assert password_step(client).headers["Location"] == "/login/code"
    before = failures(svc)
    wrong = post_code(client, "/login/code", other_than(now_code(secret, clock)))
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and not signed_in(client)
    assert on_field(html, "code").startswith(WRONG_CODE)
    assert summary(html) == [("#code", on_field(html, "code"))]
    assert failures(svc) == before + 1
    badly_formed = post_code(client, "/login/code", "12345")
    html = badly_formed.get_data(as_text=True)
    assert badly_formed.status_code == 422 and on_field(html, "code") == SIX_DIGITS
    assert summary(html) == [("#code", SIX_DIGITS)]
    assert failures(svc) == before + 1, "a code that cannot be one is not a guess at one"


def test_a_wrong_code_where_it_is_required_and_when_turning_it_off_is_on_the_code_field(svc: Services, clock: Clock) -> None:
    required = make_app(svc, required=True).test_client()
    password_step(required, "senco")
    secret = key_on(required.get("/login/set-up").get_data(as_text=True))
    wrong = post_code(required, "/login/set-up", other_than(now_code(secret, clock)))
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and on_field(html, "code").startswith(WRONG_CODE)
    assert [href for href, _ in summary(html)] == ["#code"]

    optional = make_app(svc, required=False).test_client()
    password_step(optional)
    mine = turn_on(optional, clock)
    clock.now += timedelta(seconds=30)
    refused = post_code(optional, "/account/two-step/off", other_than(now_code(mine, clock)), "/account")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and on_field(html, "code").startswith(WRONG_CODE)
    assert [href for href, _ in summary(html)] == ["#code"]
    assert two_step_on(svc)


# --- the first page of signing in: nothing told about who exists ---------------------------------------
def _as_seen(response: TestResponse, username: str) -> str:
    html = response.get_data(as_text=True).replace(f'value="{username}"', 'value="?"')
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "", html)


def throttle_count(svc: Services) -> int:
    with read_transaction(svc.accounts.engine) as conn:
        return int(conn.execute(select(sign_in_throttle.c.failures)).scalar() or 0)


def test_an_unknown_username_and_a_wrong_password_look_the_same_and_each_counts_once(
    app: Flask, svc: Services, clock: Clock
) -> None:
    owner = app.test_client()
    password_step(owner, "head")
    turn_on(owner, clock)  # one user with two-step sign-in, one without: nothing to tell them apart either
    client = app.test_client()
    pages = {}
    for username in ("dsl", "head", "nobody"):
        before = throttle_count(svc)
        response = post(client, "/login", "/login", username=username, password=WRONG_PASSWORD)
        assert response.status_code == 401 and not signed_in(client)
        assert throttle_count(svc) == before + 1, "every refused sign-in counts against the address, once"
        pages[username] = _as_seen(response, username)
        assert summary(pages[username]) == [
            ("#username", "The username or password is not right, or the account is locked. Try again.")
        ]
        assert on_field(pages[username], "password") == "" and on_field(pages[username], "username") == ""
    assert pages["dsl"] == pages["head"] == pages["nobody"], "the same page, whoever it was"
    assert failures(svc, "dsl") == 1 and failures(svc, "head") == 1
    empty = {username: post(client, "/login", "/login", username=username, password="") for username in ("dsl", "nobody")}
    assert {response.status_code for response in empty.values()} == {422}
    assert _as_seen(empty["dsl"], "dsl") == _as_seen(empty["nobody"], "nobody")
    assert on_field(_as_seen(empty["dsl"], "dsl"), "password") == "Enter your password"
    assert failures(svc, "dsl") == 1, "no password, no attempt"


# --- whatever is sent: a message, never a 500 -----------------------------------------------------------
TYPED = st.one_of(st.text(max_size=20), st.sampled_from(["", "123456", "123 456", "12-34-56", "１２３４５６", "0" * 300]))


#: the app each user set up in a test below, by username
APPS: dict[str, str] = {}


def signed_in_with_an_app(app: Flask, svc: Services, clock: Clock, username: str) -> FlaskClient:
    client = app.test_client()
    clock.now += timedelta(seconds=30)
    password_step(client, username)
    if two_step_on(svc, username):
        assert post_code(client, "/login/code", now_code(APPS[username], clock)).status_code == 302
    else:
        APPS[username] = turn_on(client, clock)
    return client


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(code=TYPED, current_code=TYPED, password=st.one_of(TYPED, st.just(PASSWORD)))
def test_anything_sent_to_the_move_form_is_a_message_never_a_500(
    app: Flask, svc: Services, clock: Clock, code: str, current_code: str, password: str
) -> None:
    client = signed_in_with_an_app(app, svc, clock, "mhl")
    sent = post(client, "/account/two-step", "/account/two-step", code=code, current_code=current_code, password=password)
    assert sent.status_code in {302, 422}
    if sent.status_code == 422:
        assert summary(sent.get_data(as_text=True)), "told what is wrong"
    else:  # a code typed at random was right: start again with a new app
        svc.accounts.reset_two_step("mhl")
    svc.accounts.set_password("mhl", PASSWORD)  # clears any lock, for the next example
