"""The HTTP floor the bench sets beside the action cycle must do the work it claims, or the
comparison flatters us: each action appends one chained event, moves the case summary and writes
the access log, and it refuses a wrong token or version like the app."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest
from werkzeug.test import Client

from benchmarks.http_cycle import seed_cases
from benchmarks.http_floor import bare, raw_sql
from tests.conftest import Database, _pg_conninfo


def _post(client: Client, case_id: str, token: str, version: int) -> Any:
    return client.post(
        f"/api/v1/cases/{case_id}/actions/log_family_contact",
        headers={"Authorization": f"Bearer {token}"},
        json={"expected_version": version, "data": {"date": "2026-11-02", "method": "phone", "summary": "Call."}},
    )


def test_the_raw_sql_floor_appends_a_chained_event_and_writes_what_an_action_writes(
    pg_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, (case_id,) = seed_cases(pg_database.url, 1)
    monkeypatch.setenv("CASEFLOW_DATABASE_URL", pg_database.url)
    client = Client(raw_sql)
    assert _post(client, case_id, token, 1).status_code == 201
    answer = _post(client, case_id, token, 2)
    assert answer.status_code == 201 and answer.json["version"] == 3
    assert _post(client, case_id, token, 2).status_code == 409  # a stale version changes nothing
    assert _post(client, case_id, "not-a-token", 3).status_code == 401
    assert client.get("/api/v1/openapi.json").status_code == 404  # the bench's readiness probe
    with psycopg.connect(_pg_conninfo(pg_database.owner_url)) as conn:
        chain = conn.execute("SELECT version, prev_hash, hash FROM events WHERE stream_id = %s ORDER BY version", (case_id,))
        rows = chain.fetchall()
        summary = conn.execute("SELECT version FROM case_summary WHERE case_id = %s", (case_id,)).fetchone()
        logged = conn.execute(
            "SELECT count(*) FROM access_log WHERE case_id = %s AND action = 'log_family_contact'", (case_id,)
        ).fetchone()
    assert [r[0] for r in rows] == [1, 2, 3]
    assert rows[1][1] == rows[0][2] and rows[2][1] == rows[1][2]
    assert summary == (3,) and logged == (2,)


def test_the_bare_floor_answers_without_a_database() -> None:
    answer = Client(bare).post("/anything", json={"expected_version": 4})
    assert answer.status_code == 201 and json.loads(answer.data) == {"version": 5}
