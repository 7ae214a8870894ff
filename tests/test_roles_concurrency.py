"""Changes to one user's roles run one at a time, on both backends."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from caseflow.adapters.accounts import AccountError
from caseflow.bootstrap import Services
from tests.conftest import SCHOOL


def at_once(calls: list[Callable[[], object]]) -> list[object]:
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], object]) -> object:
        barrier.wait()
        try:
            return call()
        except AccountError as error:
            return error

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.fixture
def svc(services: Services) -> Iterator[Services]:
    yield services


def roles_of(svc: Services, username: str) -> set[tuple[str, str | None]]:
    found = svc.accounts.principal(svc.accounts.user(username)["id"])  # type: ignore[index]
    assert found is not None
    return set(found.grants)


def test_two_revokes_at_once_never_leave_a_user_with_no_role(svc: Services) -> None:
    for _ in range(3):
        svc.accounts.grant("teacher", "dsl", [SCHOOL])
        results = at_once([lambda: svc.accounts.revoke("teacher", "dsl"), lambda: svc.accounts.revoke("teacher", "teacher")])
        assert sum(isinstance(r, AccountError) for r in results) == 1, results
        assert len(roles_of(svc, "teacher")) == 1
        if ("teacher", SCHOOL) not in roles_of(svc, "teacher"):
            svc.accounts.grant("teacher", "teacher", [SCHOOL])
            svc.accounts.revoke("teacher", "dsl")


def test_three_grants_at_once_give_the_role_once(svc: Services) -> None:
    results = at_once([lambda: svc.accounts.grant("sw2", "auditor") for _ in range(3)])
    assert sorted(results) == [0, 0, 1]  # type: ignore[type-var]
    assert roles_of(svc, "sw2") == {("social_worker", None), ("auditor", None)}
    assert svc.accounts.revoke("sw2", "auditor") == [None], "one grant, held at no school, to take away"
