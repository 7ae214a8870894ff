"""Two-step sign-in in the accounts store, on SQLite and PostgreSQL: racing requests with one code,
bursts of guesses, the lock, and which changes of app are allowed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from caseflow.adapters.accounts import MAX_FAILED_LOGINS
from caseflow.bootstrap import Services, bootstrap
from caseflow.domain.totp import hotp, step_at
from tests.conftest import Clock, Database, seed_people

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


def user_id(svc: Services, username: str = "dsl") -> int:
    user = svc.accounts.user(username)
    assert user is not None
    return int(user["id"])


def switch_on(svc: Services, clock: Clock, username: str = "dsl") -> str:
    """Set up an app for the user; the clock moves on a step, past the code that set it up."""
    uid = user_id(svc, username)
    secret = svc.accounts.pending_secret(uid)
    assert svc.accounts.pending_secret(uid) == secret, "the same key until it is used"
    assert svc.accounts.turn_on_two_step(uid, hotp(secret, step_at(clock.now)))
    clock.now += timedelta(seconds=30)
    return secret


def in_parallel(count: int, call: object) -> list[bool]:
    barrier = threading.Barrier(count)

    def one(_: int) -> bool:
        barrier.wait()
        return call()  # type: ignore[operator,no-any-return]

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_one_code_sent_by_eight_racing_requests_is_taken_once(svc: Services, clock: Clock) -> None:
    """Four users, so that the seven losers of each race (each a wrong attempt) never add up to a lock."""
    for username in ("dsl", "head", "slt", "senco"):
        secret = switch_on(svc, clock, username)
        uid = user_id(svc, username)
        code = hotp(secret, step_at(clock.now))
        results = in_parallel(8, lambda uid=uid, code=code: svc.accounts.second_step(uid, code))
        assert results.count(True) == 1, (username, results)


def test_a_burst_of_wrong_codes_is_judged_ten_at_most_then_the_account_locks(svc: Services, clock: Clock) -> None:
    secret = switch_on(svc, clock)
    uid = user_id(svc)
    right = hotp(secret, step_at(clock.now))
    wrong = "000000" if right != "000000" else "111111"
    assert in_parallel(30, lambda: svc.accounts.second_step(uid, wrong)).count(True) == 0
    assert not svc.accounts.second_step(uid, right), "locked: even the right code is refused"
    assert svc.accounts.authenticate("dsl", PASSWORD) is None
    clock.now += timedelta(minutes=15, seconds=1)
    assert svc.accounts.second_step(uid, hotp(secret, step_at(clock.now))), "the lock lasts fifteen minutes"


def test_a_burst_of_wrong_passwords_locks_the_account(svc: Services, clock: Clock) -> None:
    assert in_parallel(24, lambda: svc.accounts.authenticate("senco", "wrong password!") is not None).count(True) == 0
    assert svc.accounts.authenticate("senco", PASSWORD) is None
    assert svc.accounts.authenticate("head", PASSWORD) is not None, "nobody else is touched"


def test_the_tenth_wrong_code_locks_and_a_right_one_before_it_clears_the_count(svc: Services, clock: Clock) -> None:
    secret = switch_on(svc, clock)
    uid = user_id(svc)
    for _ in range(MAX_FAILED_LOGINS - 1):
        assert not svc.accounts.second_step(uid, "12345x")
    assert svc.accounts.second_step(uid, hotp(secret, step_at(clock.now)))
    for _ in range(3):
        assert svc.accounts.authenticate("dsl", PASSWORD) == uid, "a right password is no failure"
    for _ in range(MAX_FAILED_LOGINS - 1):
        assert svc.accounts.authenticate("dsl", "wrong password!") is None
    assert svc.accounts.authenticate("dsl", PASSWORD) == uid, "nine wrong: not locked, and the right one does not clear them"
    assert not svc.accounts.second_step(uid, "000000" if hotp(secret, step_at(clock.now) + 1) != "000000" else "111111")
    assert svc.accounts.authenticate("dsl", PASSWORD) is None, "ten: nine wrong passwords and a wrong code"


def test_a_sign_in_with_the_password_alone_never_swaps_an_app_already_set_up(svc: Services, clock: Clock) -> None:
    secret = switch_on(svc, clock)
    uid = user_id(svc)
    intruder = svc.accounts.pending_secret(uid)
    assert intruder != secret
    assert not svc.accounts.turn_on_two_step(uid, hotp(intruder, step_at(clock.now)))
    assert svc.accounts.second_step(uid, hotp(secret, step_at(clock.now))), "the owner's app still works"
    clock.now += timedelta(seconds=30)
    assert svc.accounts.turn_on_two_step(uid, hotp(intruder, step_at(clock.now)), replacing=True), (
        "moving is for a caller who has checked a code from the old app"
    )


def test_a_deactivated_user_cannot_turn_it_on_and_a_reset_clears_everything(svc: Services, clock: Clock) -> None:
    uid = user_id(svc, "slt")
    secret = svc.accounts.pending_secret(uid)
    svc.accounts.deactivate("slt")
    assert not svc.accounts.turn_on_two_step(uid, hotp(secret, step_at(clock.now)))
    switch_on(svc, clock, "head")
    svc.accounts.reset_two_step("head")
    head = svc.accounts.user("head")
    assert head is not None and head["totp_secret"] is None and head["totp_pending_secret"] is None
