"""The full HTTP action cycle under gunicorn on loopback: authenticate, load the case, check role
and guards, append, respond. Sixteen concurrent clients, each working its own cases.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests

from benchmarks.dashboard_bench import CONTACTED
from benchmarks.store_bench import percentiles
from caseflow.bootstrap import bootstrap
from caseflow.demo import make_upn

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed_cases(url: str, count: int) -> tuple[str, list[str]]:
    """A school, a DSL with an API token, and ``count`` open cases, one per pupil: the token and the cases."""
    svc = bootstrap(url)
    svc.accounts.add_school("100001", "Bench School", "881")
    svc.accounts.add_user("dsl", ["dsl"], ["100001"])
    token = svc.accounts.issue_token("dsl")
    dsl = svc.accounts.principal(svc.accounts.user("dsl")["id"])  # type: ignore[index]
    assert dsl is not None
    cases = []
    for n in range(count):
        pupil = svc.pupils.register(
            dsl,
            {
                "upn": make_upn("881", "5001", 2020, n + 1),
                "given_name": "P",
                "family_name": f"N{n}",
                "date_of_birth": "2015-01-01",
                "school_urn": "100001",
            },
        )
        cases.append(svc.cases.open_case(dsl, {"pupil_id": pupil.id, "need_areas": ["attendance"], "description": "bench"}).id)
    svc.close()
    return token, cases


def http_cycle(
    url: str,
    clients: int = 16,
    actions_per_client: int = 200,
    workers: int = 4,
    threads: int = 2,
    warm_up: int = 5,
    app: str = "wsgi:app",
) -> dict[str, Any]:
    """``clients`` keep-alive clients on ``workers`` gunicorn processes of ``threads`` threads each.

    Each worker takes at most its share of the clients' connections, plus its threads
    (``--worker-connections``): a gthread worker keeps a keep-alive connection once it has accepted it,
    and without a cap whichever worker woke first took most of them (14 of the 16 in one run, by
    ``ss -tnp``): a third of the two cores idle in vmstat, and 255 against 359 actions/s for the same
    code in alternating runs. The threads on top are gunicorn's: it keeps at most ``worker_connections
    - threads`` connections idle and closes the rest after their response (with the cap at the bare
    share, about one response in 25 closed its connection). ``connections_closed_by_server`` counts
    those; the client then reconnects, and the reconnect is inside the action's time.

    ``app`` is what gunicorn serves: Caseflow (``wsgi:app``) or a floor from ``benchmarks.http_floor``.

    Each client's first ``warm_up`` actions are not timed: they open the workers' database
    connections and let each worker learn its cases' pupils, which a server does once, not per action.
    """
    per_worker = -(-clients // workers)
    token, cases = seed_cases(url, clients)
    port = _free_port()
    env = {**os.environ, "CASEFLOW_DATABASE_URL": url, "CASEFLOW_SECRET_KEY": "b" * 64}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-connections",
            str(per_worker + threads),
            "--log-level",
            "warning",
            app,
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(f"{base}/api/v1/openapi.json", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.2)
        latencies: list[float] = []
        failures: list[int] = []
        closed: list[int] = []  # responses after which gunicorn closed the connection (the client reconnects)
        lock = threading.Lock()
        barrier = threading.Barrier(clients + 1)

        def client(case_id: str) -> None:
            """A keep-alive connection per client, on http.client: a light client, so the figures are the server's."""
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            path = f"/api/v1/cases/{case_id}/actions/log_family_contact"

            def post(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
                connection.request("POST", path, body=json.dumps(body), headers=headers)
                response = connection.getresponse()
                own_closed[0] += response.will_close
                return response.status, json.loads(response.read() or b"{}")

            version, own, own_closed = 1, [], [0]
            post({})  # warm the connection (a 422: no version)
            for n in range(-warm_up, actions_per_client):  # the first ``warm_up`` actions are not timed
                if n == 0:
                    barrier.wait()
                    own_closed[0] = 0
                body = {
                    "expected_version": version,
                    "data": {"date": CONTACTED, "method": "phone", "summary": f"Call {n}: good week."},
                }
                t = time.perf_counter()
                status, answer = post(body)
                if n >= 0:
                    own.append(time.perf_counter() - t)
                if status != 201:
                    with lock:
                        failures.append(status)
                    if n < 0:
                        barrier.wait()
                    break
                version = answer["version"]
            connection.close()
            with lock:
                latencies.extend(own)
                closed.append(own_closed[0])

        running = [threading.Thread(target=client, args=(case_id,)) for case_id in cases]
        for thread in running:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        for thread in running:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(10)
    return {
        "clients": clients,
        "gunicorn_workers": workers,
        "gunicorn_threads": threads,
        "gunicorn_worker_connections": per_worker + threads,
        "actions": len(latencies),
        "warm_up_actions_per_client": warm_up,
        "failures": len(failures),
        "connections_closed_by_server": sum(closed),
        "actions_per_s": round(len(latencies) / elapsed),
        **percentiles(latencies),
    }
