"""Floors for the HTTP action cycle: what gunicorn, the clients and PostgreSQL cost on this machine
before Caseflow runs a line, so the cycle's figures can be read against them in the same run.

``bare`` answers every request at once, touching no database: the server and the clients alone.
``raw_sql`` does the least an action must do, on raw psycopg with a connection per thread and no
framework: the same seven round trips as Caseflow's action (the token's principal, the case's head,
BEGIN, the event with its hash, the case summary, the access log line, COMMIT), with the same
statements' shapes and the hash chain, and a JSON answer. It checks nothing else: no workflow,
guards, roles or validation. Run by gunicorn as ``benchmarks.http_floor:bare`` or ``:raw_sql``,
with ``CASEFLOW_DATABASE_URL`` set as for the app.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

Respond = Callable[[str, list[tuple[str, str]]], Any]

_TOKEN = (
    "SELECT users.username, users.la_code, user_roles.role, user_roles.school_urn FROM api_tokens"
    " JOIN users ON users.id = api_tokens.user_id LEFT OUTER JOIN user_roles ON user_roles.user_id = users.id"
    " WHERE api_tokens.token_hash = %s AND api_tokens.revoked_at IS NULL AND users.active IS true"
)
_HEAD = "SELECT version, hash FROM events WHERE stream_id = %s ORDER BY version DESC LIMIT 1"
_EVENT = (
    "INSERT INTO events (stream_id, stream_type, version, event_type, schema_version, data, actor, role,"
    " occurred_at, recorded_at, workflow_version, prev_hash, hash)"
    " SELECT %s, 'case', %s, 'FamilyContactLogged', 1, %s, %s, 'dsl', %s, %s, 'support_journey@1', %s, %s"
    " FROM (SELECT pg_advisory_xact_lock_shared(7210113)) AS held RETURNING position"
)
_SUMMARY = "UPDATE case_summary SET version = %s, updated_at = %s WHERE case_id = %s"
_LOG = (
    "INSERT INTO access_log (at, username, role, case_id, pupil_id, action, outcome, detail)"
    " VALUES (%s, %s, 'dsl', %s, NULL, 'log_family_contact', 'ok', NULL)"
)


def _answer(respond: Respond, status: str, body: dict[str, Any]) -> Iterable[bytes]:
    payload = json.dumps(body).encode()
    respond(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


def bare(environ: dict[str, Any], respond: Respond) -> Iterable[bytes]:
    """Read the request, parse its JSON, answer 201: no database, no framework."""
    body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) or b"{}")
    return _answer(respond, "201 Created", {"version": int(body.get("expected_version", 0)) + 1})


_local = threading.local()


def _connection() -> Any:
    import psycopg

    connection = getattr(_local, "connection", None)
    if connection is None:
        url = os.environ["CASEFLOW_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        connection = _local.connection = psycopg.connect(url, autocommit=True, options="-c jit=off -c timezone=UTC")
    return connection


def raw_sql(environ: dict[str, Any], respond: Respond) -> Iterable[bytes]:
    """The seven round trips of an action, and nothing a framework or the domain would add."""
    body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) or b"{}")
    path = environ["PATH_INFO"].split("/")  # /api/v1/cases/<case_id>/actions/<name>
    if len(path) != 7 or path[3] != "cases":
        return _answer(respond, "404 Not Found", {"title": "not an action"})
    case_id = path[4]
    token = environ.get("HTTP_AUTHORIZATION", "")[7:]
    connection = _connection()
    principal = connection.execute(_TOKEN, (hashlib.sha256(token.encode()).hexdigest(),)).fetchall()
    if not principal:
        return _answer(respond, "401 Unauthorized", {"title": "sign in"})
    head = connection.execute(_HEAD, (case_id,)).fetchone()
    if head is None or body.get("expected_version") != head[0]:
        return _answer(respond, "409 Conflict", {"title": "version"})
    version, now = head[0] + 1, datetime.now(UTC)
    data = json.dumps(body.get("data", {}), sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(f"{head[1]}|{case_id}|{version}|{data}|{now.isoformat()}".encode()).hexdigest()
    with connection.transaction():
        connection.execute(_EVENT, (case_id, version, data, principal[0][0], now, now, head[1], digest))
        connection.execute(_SUMMARY, (version, now, case_id))
        connection.execute(_LOG, (now, principal[0][0], case_id))
    return _answer(respond, "201 Created", {"version": version, "state": "open", "event": {"hash": digest}})
