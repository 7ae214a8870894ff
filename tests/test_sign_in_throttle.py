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

from caseflow import create_app
from caseflow.adapters.accounts import SOURCE_FAILURES, SOURCE_WINDOW
from caseflow.bootstrap import Services, bootstrap
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


def test_failures_are_counted_per_address_in_a_window_even_in_parallel(svc: Services, clock: Clock) -> None:
    barrier = threading.Barrier(12)

    def fail(_: int) -> int:
        barrier.wait()
        return svc.accounts.count_source_failure("10.0.0.1")

    with ThreadPoolExecutor(12) as pool:
        counts = sorted(pool.map(fail, range(12)))
    assert counts == list(range(1, 13)), "each failure takes its own number"
    assert svc.accounts.source_failures == SOURCE_FAILURES == 100
    for expected in range(13, SOURCE_FAILURES + 1):
        assert svc.accounts.count_source_failure("10.0.0.1") == expected
    until = svc.accounts.source_blocked("10.0.0.1")
    assert until == clock.now + SOURCE_WINDOW
    assert svc.accounts.source_blocked("10.0.0.2") is None, "another address is not touched"
    clock.now += SOURCE_WINDOW
    assert svc.accounts.source_blocked("10.0.0.1") is None
    assert svc.accounts.count_source_failure("10.0.0.1") == 1, "a new window starts afresh"


def test_finished_windows_are_cleared_as_failures_come_in(svc: Services, clock: Clock) -> None:
    svc.accounts.count_source_failure("192.0.2.1")
    clock.now += SOURCE_WINDOW + timedelta(seconds=1)
    svc.accounts.count_source_failure("192.0.2.2")
    assert svc.accounts.source_blocked("192.0.2.1") is None
    from sqlalchemy import select

    from caseflow.adapters.tables import sign_in_throttle

    with svc.accounts.engine.connect() as conn:
        assert [row[0] for row in conn.execute(select(sign_in_throttle.c.source))] == ["192.0.2.2"]


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
