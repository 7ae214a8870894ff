"""Failed sign-ins counted by the address they come from: one address trying a password against
many accounts is stopped though no account reaches its own ten; nobody can dodge the count with a
forged X-Forwarded-For."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from caseflow import create_app
from caseflow.adapters.accounts import SOURCE_FAILURES, SOURCE_WINDOW, SourceAttempt, SqlAccounts
from caseflow.adapters.tables import sign_in_throttle
from caseflow.bootstrap import Services, bootstrap
from caseflow.domain.totp import hotp, step_at
from tests.conftest import Clock, Database, access_lines, seed_people

PASSWORD = "correct horse battery"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def svc(database: Database, clock: Clock) -> Iterator[Services]:
    services = bootstrap(database.url, clock=clock)
    seed_people(services)
    yield services
    services.close()


def test_attempts_are_counted_before_they_are_judged_so_a_burst_gets_its_allowance_only(svc: Services, clock: Clock) -> None:
    svc.accounts.source_failures = 12
    barrier = threading.Barrier(30)

    def one(_: int) -> SourceAttempt:
        barrier.wait()
        return svc.accounts.begin_source_attempt("10.0.0.1")

    with ThreadPoolExecutor(30) as pool:
        attempts = list(pool.map(one, range(30)))
    assert sum(a.blocked_until is None for a in attempts) == 12, "twelve judged, however many came at once"
    assert sum(a.just_blocked for a in attempts) == 1, "the one that went past is logged, once"
    assert {a.blocked_until for a in attempts if a.blocked_until} == {clock.now + SOURCE_WINDOW}
    assert svc.accounts.begin_source_attempt("10.0.0.2").blocked_until is None, "another address is not touched"
    clock.now += SOURCE_WINDOW
    assert svc.accounts.begin_source_attempt("10.0.0.1") == SourceAttempt(None, False), "a new window starts afresh"


def test_a_right_answer_gives_its_attempt_back(svc: Services, clock: Clock) -> None:
    svc.accounts.source_failures = 3
    for _ in range(10):
        assert svc.accounts.begin_source_attempt("10.0.0.3").blocked_until is None
        svc.accounts.source_succeeded("10.0.0.3")
    assert SOURCE_FAILURES == 100 and SqlAccounts(svc.accounts.engine, svc.accounts.box).source_failures == SOURCE_FAILURES


def test_finished_windows_are_cleared_and_clearing_them_in_parallel_waits_for_nobody(svc: Services, clock: Clock) -> None:
    """Eight addresses whose windows are over fail at once: on PostgreSQL, deleting finished windows in
    the counting transaction deadlocked (each held its own row and wanted another's)."""
    addresses = [f"192.0.2.{n}" for n in range(8)]
    for address in addresses:
        svc.accounts.begin_source_attempt(address)
    for _ in range(6):
        clock.now += SOURCE_WINDOW + timedelta(seconds=1)
        barrier = threading.Barrier(8)

        def fail_from(address: str, barrier: threading.Barrier = barrier) -> SourceAttempt:
            barrier.wait()
            return svc.accounts.begin_source_attempt(address)

        with ThreadPoolExecutor(8) as pool:
            assert all(a.blocked_until is None for a in pool.map(fail_from, addresses))
    svc.accounts.begin_source_attempt("198.51.100.9")
    clock.now += SOURCE_WINDOW + timedelta(seconds=1)
    svc.accounts.begin_source_attempt("198.51.100.10")
    with svc.accounts.engine.connect() as conn:
        assert [row[0] for row in conn.execute(select(sign_in_throttle.c.source))] == ["198.51.100.10"]


def test_nine_wrong_passwords_by_someone_else_never_shut_a_two_step_user_out(svc: Services, clock: Clock) -> None:
    """Their right password only takes back its own attempt; the code is judged, and clears the count.
    (Counted without taking back, the password was the tenth, the code the eleventh, and the account
    stayed refused for ever, with no lock to run out.)"""
    user = svc.accounts.user("head")
    assert user is not None
    secret = svc.accounts.pending_secret(user["id"])
    assert svc.accounts.turn_on_two_step(user["id"], hotp(secret, step_at(clock.now)))
    clock.now += timedelta(seconds=30)
    for _ in range(9):
        assert svc.accounts.authenticate("head", "wrong password!") is None
    assert svc.accounts.authenticate("head", PASSWORD) == user["id"]
    assert svc.accounts.second_step(user["id"], hotp(secret, step_at(clock.now)))
    assert svc.accounts.user("head")["failed_logins"] == 0  # type: ignore[index]


def test_a_username_with_a_nul_byte_is_simply_unknown(svc: Services) -> None:
    assert svc.accounts.authenticate("ds\x00l", PASSWORD) is None
    assert svc.accounts.authenticate("dsl\n", PASSWORD) is None
    assert svc.accounts.authenticate("dsl", PASSWORD) is not None


#: the web tests lower the allowance, so that a spray is twelve argon2 checks, not a hundred
WEB_ALLOWANCE = 12


def web_app(svc: Services) -> Flask:
    svc.accounts.source_failures = WEB_ALLOWANCE
    return create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})


def attempt(client: FlaskClient, username: str, password: str, address: str, forwarded: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    response = client.post(
        "/login", data={"username": username, "password": password}, environ_base={"REMOTE_ADDR": address}, headers=headers
    )
    return response.status_code


def spray(client: FlaskClient, address: str, forwarded: str | None = None) -> None:
    """One guessed password against many accounts (most of them unknown): no account reaches ten."""
    for n in range(WEB_ALLOWANCE):
        assert attempt(client, f"user{n % 40}", "Summer2026!!", address, forwarded) == 401


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_spraying_one_password_from_one_address_is_stopped_and_logged_once(svc: Services, clock: Clock) -> None:
    client = web_app(svc).test_client()
    spray(client, "203.0.113.7")
    blocked = client.post("/login", data={"username": "dsl", "password": PASSWORD}, environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert blocked.status_code == 429
    assert re.search(
        r"Too many failed sign-ins have come from your network\. Try again after \d\d:\d\d\.", blocked.get_data(as_text=True)
    )
    assert attempt(client, "dsl", PASSWORD, "203.0.113.7") == 429, "the right password too: it is not even checked"
    assert attempt(client, "dsl", PASSWORD, "198.51.100.1") == 302, "other addresses sign in as usual"
    throttled = [line for line in access_lines(svc) if line["action"] == "sign_in_throttled"]
    assert len(throttled) == 1 and "203.0.113.7" in throttled[0]["detail"]
    clock.now += SOURCE_WINDOW
    assert attempt(web_app(svc).test_client(), "dsl", PASSWORD, "203.0.113.7") == 302


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_forged_forwarded_for_does_not_move_the_count(svc: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    client = web_app(svc).test_client()
    spray(client, "203.0.113.8", forwarded="192.0.2.55")  # no proxy configured: the header is ignored
    assert attempt(client, "dsl", PASSWORD, "203.0.113.8", forwarded="192.0.2.99") == 429
    monkeypatch.setenv("CASEFLOW_PROXIES", "1")
    behind_proxy = web_app(svc).test_client()
    # one proxy at 10.0.0.5 appends the client's real address; whatever the client put first is not believed
    spray(behind_proxy, "10.0.0.5", forwarded="192.0.2.77, 203.0.113.9")
    assert attempt(behind_proxy, "dsl", PASSWORD, "10.0.0.5", forwarded="192.0.2.78, 203.0.113.9") == 429
    assert attempt(behind_proxy, "dsl", PASSWORD, "10.0.0.5", forwarded="192.0.2.77, 203.0.113.10") == 302


def test_the_number_of_proxies_is_a_small_number(svc: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    for wrong in ("yes", "-1", "9"):
        monkeypatch.setenv("CASEFLOW_PROXIES", wrong)
        with pytest.raises(RuntimeError, match="CASEFLOW_PROXIES"):
            create_app({"SERVICES": svc})


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_an_ipv6_address_counts_by_its_64_and_a_mapped_ipv4_as_itself(svc: Services) -> None:
    client = web_app(svc).test_client()
    for n in range(WEB_ALLOWANCE):
        assert attempt(client, "dsl", "wrong password!", f"2001:db8:0:1::{n + 1:x}") == 401
        svc.accounts._clear_failures(svc.accounts.user("dsl")["id"])  # type: ignore[index]  # only the address counts here
    assert attempt(client, "dsl", PASSWORD, "2001:db8:0:1:ffff::9") == 429, "another address in the same /64"
    assert attempt(client, "dsl", PASSWORD, "2001:db8:0:2::1") == 302, "the next /64 is someone else"
    fresh = web_app(svc).test_client()  # (the first now knows dsl's browser: see the test of known browsers)
    spray(fresh, "203.0.113.20")
    assert attempt(fresh, "dsl", PASSWORD, "::ffff:203.0.113.20") == 429


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_guessing_codes_from_one_address_uses_its_allowance_too(svc: Services, clock: Clock) -> None:
    owner = svc.accounts.user("senco")
    assert owner is not None
    secret = svc.accounts.pending_secret(owner["id"])
    assert svc.accounts.turn_on_two_step(owner["id"], hotp(secret, step_at(clock.now)))
    clock.now += timedelta(seconds=30)
    client = web_app(svc).test_client()
    wrong = "000000" if hotp(secret, step_at(clock.now)) != "000000" else "111111"
    address = {"REMOTE_ADDR": "203.0.113.30"}
    for _ in range(WEB_ALLOWANCE):
        assert client.post("/login", data={"username": "senco", "password": PASSWORD}, environ_base=address).status_code == 302
        svc.accounts._clear_failures(owner["id"])  # the account's own count aside: this is about the address
        assert client.post("/login/code", data={"code": wrong}, environ_base=address).status_code == 422
    right = client.post("/login/code", data={"code": hotp(secret, step_at(clock.now))}, environ_base=address)
    assert right.status_code == 429, "the address has used its allowance on codes: not even the right one is judged"


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_browser_the_user_signed_in_from_before_is_not_shut_out_by_a_flood_from_its_address(
    svc: Services, clock: Clock
) -> None:
    """Someone on a school's shared address floods it with wrong passwords: staff who have signed in
    from their own browser before still get in (each account's own limit still holds); a new browser,
    another user's name, a forged cookie and a ninety-day-old one do not."""
    app = web_app(svc)
    staffroom = app.test_client()
    assert attempt(staffroom, "dsl", PASSWORD, "203.0.113.40") == 302
    staffroom.post("/logout", environ_base={"REMOTE_ADDR": "203.0.113.40"})
    spray(app.test_client(), "203.0.113.40")
    assert attempt(app.test_client(), "dsl", PASSWORD, "203.0.113.40") == 429, "a new browser waits"
    assert attempt(staffroom, "head", PASSWORD, "203.0.113.40") == 429, "the browser is known for dsl only"
    assert attempt(staffroom, "dsl", PASSWORD, "203.0.113.40") == 302, "the known browser gets in"
    forged = app.test_client()
    forged.set_cookie("caseflow_device", "eyJkc2wiOjF9.forged", path="/login")
    assert attempt(forged, "dsl", PASSWORD, "203.0.113.40") == 429
    clock.now += timedelta(days=91)
    spray(app.test_client(), "203.0.113.40")
    assert attempt(staffroom, "dsl", PASSWORD, "203.0.113.40") == 429, "known for ninety days after the last sign-in"
