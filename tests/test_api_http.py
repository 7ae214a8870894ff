"""The API contract end to end over real HTTP: gunicorn on loopback, PostgreSQL behind it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from caseflow.bootstrap import bootstrap
from tests.api_walk import walk_contract
from tests.conftest import PEOPLE, SCHOOL, Database, seed_people

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(pg_database: Database) -> Iterator[tuple[str, dict[str, str]]]:
    svc = bootstrap(pg_database.url)
    seed_people(svc)
    tokens = {u: svc.accounts.issue_token(u) for u in PEOPLE}
    svc.close()
    port = free_port()
    env = {**os.environ, "CASEFLOW_DATABASE_URL": pg_database.url, "CASEFLOW_SECRET_KEY": "x" * 64}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60  # workers import the app first; slow under a loaded CI
        while time.monotonic() < deadline:
            try:
                requests.get(f"{base}/api/v1/openapi.json", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            raise AssertionError("gunicorn did not start")
        yield base, tokens
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0].decode()
        assert "Traceback" not in output, output


def test_contract_over_http_with_gunicorn(server: tuple[str, dict[str, str]]) -> None:
    base, tokens = server
    session = requests.Session()

    def send(method: str, path: str, token: str | None, body: Any, query: dict[str, str] | None) -> tuple[int, Any, str]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = session.request(method, base + path, json=body, headers=headers, params=query, timeout=10)
        try:
            payload = response.json()
        except ValueError:
            payload = None
        return response.status_code, payload, response.headers.get("Content-Type", "").split(";")[0]

    result = walk_contract(send, tokens, SCHOOL, 7)
    assert result["version"] > 10


def test_simultaneous_identical_transitions_succeed_exactly_once(server: tuple[str, dict[str, str]]) -> None:
    """Twenty clients fire the same step at the same version: one wins, the rest get 409."""
    from concurrent.futures import ThreadPoolExecutor

    from caseflow.demo import make_upn

    base, tokens = server
    headers = {"Authorization": f"Bearer {tokens['dsl']}"}
    pupil = requests.post(
        f"{base}/api/v1/pupils",
        json={
            "upn": make_upn("881", "3001", 2020, 9),
            "given_name": "R",
            "family_name": "S",
            "date_of_birth": "2016-01-01",
            "school_urn": SCHOOL,
        },
        headers=headers,
        timeout=10,
    ).json()
    case = requests.post(
        f"{base}/api/v1/cases",
        json={"pupil_id": pupil["id"], "need_areas": ["learning"], "description": "x"},
        headers=headers,
        timeout=10,
    ).json()

    def fire(_: int) -> int:
        response = requests.post(
            f"{base}/api/v1/cases/{case['id']}/actions/start_one_plan",
            json={"expected_version": 1, "data": {}},
            headers=headers,
            timeout=10,
        )
        return response.status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(fire, range(20)))
    assert sorted(statuses) == [201] + [409] * 19
    events = requests.get(f"{base}/api/v1/cases/{case['id']}/events", headers=headers, timeout=10).json()["events"]
    assert [e["type"] for e in events] == ["CaseOpened", "OnePlanStarted"]
