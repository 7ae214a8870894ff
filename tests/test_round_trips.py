"""How often an action goes to the database: counted, not timed. Every trip is a query's worth of
CPU on the web worker and on the server, which is what bounds actions per second on our machines."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from psycopg.pq import Trace
from sqlalchemy import Engine, event

from caseflow.adapters.database import make_engine
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
