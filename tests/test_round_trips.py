"""How often an action goes to the database: counted, not timed. Every trip is a query's worth of
CPU on the web worker and on the server, which is what bounds actions per second on our machines."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from psycopg.pq import Trace
from sqlalchemy import Engine, event

from caseflow import create_app
from caseflow.adapters.database import (
    driver_rows,
    hold_connections,
    make_engine,
    read_transaction,
    release_connections,
    write_transaction,
)
from caseflow.adapters.event_store import SqlEventStore
from caseflow.bootstrap import Services
from caseflow.demo import make_upn
from caseflow.domain.events import NewEvent
from caseflow.services.access import Principal, case_roles, scope_for
from tests.conftest import LA, SCHOOL, Database, principal

CONTACT = {"date": "2026-11-02", "method": "phone", "summary": "Good week."}


@contextmanager
def checkouts(services: Services) -> Iterator[list[int]]:
    """Connections taken from the pool: one per read or write transaction."""
    taken: list[int] = []

    def count(*_: object) -> None:
        taken.append(1)

    event.listen(services.engine, "checkout", count)
    try:
        yield taken
    finally:
        event.remove(services.engine, "checkout", count)


@contextmanager
def round_trips(engine: Engine, trace: Path) -> Iterator[list[str]]:
    """What the driver sends, a round trip a line: SQLite's statements (its trace callback), or on
    PostgreSQL each simple Query and each extended-protocol Sync, read from libpq's own trace of
    the wire protocol (so a BEGIN or COMMIT psycopg sends for itself is counted too)."""
    sent: list[str] = []

    def on_checkout(dbapi_connection: Any, *_: object) -> None:
        if engine.dialect.name == "sqlite":
            dbapi_connection.set_trace_callback(sent.append)
        else:
            dbapi_connection.pgconn.trace(handle.fileno())
            dbapi_connection.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS | Trace.REGRESS_MODE)

    def on_checkin(dbapi_connection: Any, *_: object) -> None:
        if engine.dialect.name == "sqlite":
            dbapi_connection.set_trace_callback(None)
        else:
            dbapi_connection.pgconn.untrace()

    with trace.open("w+") as handle:
        event.listen(engine, "checkout", on_checkout)
        event.listen(engine, "checkin", on_checkin)
        try:
            yield sent
        finally:
            event.remove(engine, "checkout", on_checkout)
            event.remove(engine, "checkin", on_checkin)
        handle.seek(0)
        for line in handle:
            fields = line.split("\t")
            if fields[0] == "F" and fields[2].strip() in ("Query", "Sync"):
                sent.append(line.split(" ", 1)[1].strip() if fields[2].strip() == "Query" else "Sync")


def test_an_append_with_nothing_else_to_write_is_one_insert_on_its_own(database: Database, tmp_path: Path) -> None:
    """No BEGIN or COMMIT to wait for when the append is the whole transaction; with a projector
    (as the app has), the same append is BEGIN, INSERT, COMMIT."""
    engine = make_engine(database.url)
    alone, projected = SqlEventStore(engine), SqlEventStore(engine, [lambda conn, batch: None])
    note = NewEvent("NoteAdded", {"n": 1}, "dsl", "dsl", datetime(2026, 1, 1, tzinfo=UTC), "support_journey@1")
    for store, stream in ((alone, "alone"), (projected, "projected")):
        store.append(stream, "case", 0, [note])  # the head is cached from here on
    with round_trips(engine, tmp_path / "alone.trace") as sent:
        alone.append("alone", "case", 1, [note])
    assert len(sent) == 1 and ("INSERT INTO events" in sent[0] or sent == ["Sync"]), sent
    with round_trips(engine, tmp_path / "projected.trace") as sent:
        projected.append("projected", "case", 1, [note])
    assert len(sent) == 3 and "BEGIN" in sent[0] and "COMMIT" in sent[-1], sent
    assert alone.verify().valid and [e.version for e in alone.load("alone")] == [1, 2]
    engine.dispose()


def _case(services: Services, n: int) -> tuple[Principal, str, str]:
    dsl = principal(services, "dsl")
    pupil = services.pupils.register(
        dsl,
        {"upn": make_upn("881", "3001", 2019, n), "given_name": "Ria", "family_name": "Trips",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    case = services.cases.open_case(dsl, {"pupil_id": pupil.id, "need_areas": ["attendance"], "description": "Trips"})
    return dsl, case.id, pupil.id


def test_an_action_on_a_case_seen_before_is_one_read_and_one_write(services: Services) -> None:
    dsl, case_id, pupil_id = _case(services, 1)
    services.cases._pupil_of.clear()  # as a freshly started worker
    with checkouts(services) as first:
        case, _ = services.cases.act(dsl, case_id, "log_family_contact", 1, CONTACT)
    assert len(first) == 3, "the case, then its pupil, then the write"
    with checkouts(services) as again:
        case, _ = services.cases.act(dsl, case_id, "log_family_contact", case.version, CONTACT)
    assert len(again) == 2, "the case and its pupil in one query, then the write; the school's LA is not read"
    assert (case.version, case.pupil_id) == (3, pupil_id)
    view = services.cases.view(dsl, case_id)
    assert view.pupil.id == pupil_id and view.case.version == 3 and len(view.events) == 3


def test_a_remembered_pupil_that_is_not_the_case_s_own_is_never_used(services: Services) -> None:
    dsl, case_id, pupil_id = _case(services, 2)
    _, _, other_pupil = _case(services, 3)
    for remembered in (other_pupil, "no-such-pupil", case_id):  # another pupil, no stream, a stream of another type
        services.cases._pupil_of[case_id] = remembered
        view = services.cases.view(dsl, case_id)
        assert view.pupil.id == pupil_id and services.cases._pupil_of[case_id] == pupil_id


def test_only_a_virtual_school_officer_s_access_reads_the_school_s_la(services: Services) -> None:
    asked: list[str] = []

    def school_la(urn: str) -> str | None:
        asked.append(urn)
        return LA if urn == SCHOOL else "882"

    for username in ("dsl", "head", "sw", "auditor", "teacher", "governor"):
        scope_for(principal(services, username), SCHOOL, frozenset({"sw"}), school_la)
    dsl = principal(services, "dsl")
    scope_for(Principal(dsl.username, dsl.grants, la_code=LA), SCHOOL, frozenset(), school_la)  # an LA, but no VS role
    assert asked == []
    vs = principal(services, "vs")
    assert case_roles(vs, scope_for(vs, SCHOOL, frozenset(), school_la)) == {"virtual_school"}
    assert case_roles(vs, scope_for(vs, "999999", frozenset(), school_la)) == frozenset()
    assert asked == [SCHOOL, "999999"]
    _, case_id, _ = _case(services, 4)
    assert services.cases.view(vs, case_id).case.id == case_id  # and through the service, on the real database


def _statements(sent: list[str], trace: Path) -> list[str]:
    """What was sent, without the values. On PostgreSQL a statement executed is a Bind on the wire,
    whether psycopg has prepared it on that connection yet or not (it prepares a statement on its
    fifth use, and a held connection gets there sooner): the Binds and the simple Queries."""
    if sent and sent[0] != "Sync" and "Sync" not in sent:
        return [re.sub(r"'[^']*'|\b\d+\b", "?", line) for line in sent]
    messages = [line.split("\t") for line in trace.read_text().splitlines()]
    return [m[3].strip() if m[2] == "Query" else "Bind" for m in messages if m[0] == "F" and m[2] in ("Query", "Bind")]


def test_a_held_connection_sends_what_separate_ones_would(services: Services, tmp_path: Path) -> None:
    """Holding one connection for a unit of work saves three pool checkouts an action and sends
    nothing more: no extra ROLLBACK, BEGIN or reset on the wire (each transaction still its own)."""
    dsl, first, _ = _case(services, 4)
    dsl, second, _ = _case(services, 5)
    token = services.accounts.issue_token("dsl")

    def action(case_id: str) -> None:
        assert services.accounts.principal_for_token(token) == dsl
        services.cases.act(dsl, case_id, "log_family_contact", 1, CONTACT)

    with checkouts(services) as taken, round_trips(services.engine, tmp_path / "separate.trace") as separate:
        action(first)
    assert len(taken) == 4, "who is asking, the case, its pupil, the write"
    with checkouts(services) as taken, round_trips(services.engine, tmp_path / "held.trace") as held:
        token_held = hold_connections()
        try:
            action(second)
        finally:
            release_connections(token_held)
    assert len(taken) == 1
    sent_held, sent_separate = _statements(held, tmp_path / "held.trace"), _statements(separate, tmp_path / "separate.trace")
    assert sent_held == sent_separate and len(sent_held) >= 5, (sent_held, sent_separate)
    assert not any("ROLLBACK" in line for line in sent_held)
    assert services.engine.pool.checkedout() == 0


def test_a_held_connection_is_not_shared_with_a_transaction_inside_another(services: Services) -> None:
    """A read begun while the held connection is in a write's transaction takes a connection of its
    own, and an error in a helper drops the held connection (a later helper takes a fresh one)."""
    token = hold_connections()
    try:
        with write_transaction(services.engine) as outer, read_transaction(services.engine) as inner:
            assert outer is not inner
            assert services.engine.pool.checkedout() == 2
        # a write inside a read: on PostgreSQL the read's connection is in the driver's autocommit
        with read_transaction(services.engine) as outer, write_transaction(services.engine) as inner:
            assert outer is not inner
            assert getattr(inner.connection.dbapi_connection, "autocommit", False) is False
        with pytest.raises(RuntimeError), read_transaction(services.engine):
            raise RuntimeError("a statement failed")
        assert services.engine.pool.checkedout() == 0
        with read_transaction(services.engine) as conn:
            assert driver_rows(conn, "SELECT 1", {}) == [(1,)]
        assert services.engine.pool.checkedout() == 1
    finally:
        release_connections(token)
    assert services.engine.pool.checkedout() == 0


def test_an_api_action_takes_one_connection_and_a_refused_one_leaves_none_behind(services: Services) -> None:
    app = create_app({"TESTING": True, "SERVICES": services, "SECRET_KEY": "test"})
    _, case_id, _ = _case(services, 6)
    headers = {"Authorization": f"Bearer {services.accounts.issue_token('dsl')}"}
    path = f"/api/v1/cases/{case_id}/actions/log_family_contact"
    client = app.test_client()
    with checkouts(services) as taken:
        answer = client.post(path, json={"expected_version": 1, "data": CONTACT}, headers=headers)
    assert answer.status_code == 201 and len(taken) == 1
    stale = client.post(path, json={"expected_version": 1, "data": CONTACT}, headers=headers)
    assert stale.status_code == 409 and services.engine.pool.checkedout() == 0
    again = client.post(path, json={"expected_version": 2, "data": CONTACT}, headers=headers)
    assert again.status_code == 201 and again.json["version"] == 3
    outcomes = [row["outcome"] for row in services.audit.for_case(case_id) if row["action"] == "log_family_contact"]
    assert sorted(outcomes) == ["conflict", "ok", "ok"], outcomes
