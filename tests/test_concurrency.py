"""Concurrent writers lose nothing and duplicate nothing; a log reader sees every event exactly once."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy import text

from caseflow.adapters.database import make_engine
from caseflow.adapters.event_store import Checkpoint, SqlEventStore
from caseflow.domain.errors import ConcurrencyConflict
from caseflow.domain.events import NewEvent, StoredEvent
from tests.conftest import PG_ADMIN_URL, Database, _pg_conninfo

WRITERS = 16


def event(n: int) -> NewEvent:
    return NewEvent("NoteAdded", {"n": n, "pupil_id": "p"}, "dsl", "dsl", datetime(2026, 1, 1, tzinfo=UTC), "support_journey@1")


def slow_commit(conn: object, batch: object) -> None:
    """Hold the transaction open a little after the position is taken, to widen the race window."""
    time.sleep(random.random() * 0.003)


class Reader(threading.Thread):
    """A projection-style tailing reader that checkpoints as it goes."""

    def __init__(self, store: SqlEventStore) -> None:
        super().__init__(daemon=True)
        self.store = store
        self.seen: list[StoredEvent] = []
        self.stop = threading.Event()
        self.after = Checkpoint()

    def poll(self) -> int:
        batch, self.after = self.store.read_all(self.after, limit=200)
        self.seen.extend(batch)
        return len(batch)

    def run(self) -> None:
        while not self.stop.is_set():
            self.poll()
            time.sleep(0.001)


def run_writers(store: SqlEventStore, streams: list[str], attempts: int) -> tuple[int, int]:
    acked = conflicts = 0
    lock = threading.Lock()
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def writer(index: int) -> None:
        nonlocal acked, conflicts
        start.wait()
        for attempt in range(attempts):
            stream = streams[(index + attempt) % len(streams)]
            version = store.current_version(stream)
            try:
                store.append(stream, "case", version, [event(index * 1000 + attempt)])
            except ConcurrencyConflict:
                with lock:
                    conflicts += 1
            except BaseException as error:
                errors.append(error)
                return
            else:
                with lock:
                    acked += 1

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return acked, conflicts


@pytest.mark.parametrize("writes", ["in a transaction", "one statement"])
@pytest.mark.parametrize("shape", ["one stream", "many streams"])
def test_concurrent_writers_lose_and_duplicate_nothing(database: Database, shape: str, writes: str) -> None:
    """With a projector, each append is a transaction; without one, a single INSERT on its own."""
    store = SqlEventStore(make_engine(database.url), [slow_commit] if writes == "in a transaction" else [])
    streams = ["hot"] if shape == "one stream" else [f"s{i}" for i in range(8)]
    reader = Reader(SqlEventStore(make_engine(database.url)))
    reader.start()
    acked, conflicts = run_writers(store, streams, attempts=15)
    reader.stop.set()
    reader.join()
    # Other transactions in the cluster (other tests' databases too) can hold the horizon back a moment.
    deadline = time.monotonic() + 20
    while len(reader.seen) < acked and time.monotonic() < deadline:
        if not reader.poll():
            time.sleep(0.01)

    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT stream_id, version, position FROM events")).all()
    assert acked + conflicts == WRITERS * 15
    assert len(rows) == acked > 0
    assert len({(r.stream_id, r.version) for r in rows}) == len(rows), "duplicate versions"
    for stream in {r.stream_id for r in rows}:
        versions = sorted(r.version for r in rows if r.stream_id == stream)
        assert versions == list(range(1, len(versions) + 1)), f"gap in {stream}"
    assert store.verify().valid
    seen = Counter(e.position for e in reader.seen)
    assert set(seen) == {r.position for r in rows}, "the reader skipped an event"
    assert max(seen.values()) == 1, "the reader saw an event twice"
    if shape == "one stream":
        assert conflicts > 0  # the test really raced


def test_reader_does_not_pass_a_transaction_still_in_flight(pg_database: Database) -> None:
    """PostgreSQL: an early position that commits late is not skipped (the xid8 horizon)."""
    store = SqlEventStore(make_engine(pg_database.url))
    holding = threading.Event()
    release = threading.Event()

    def hold(conn: object, batch: object) -> None:
        holding.set()
        release.wait(10)

    slow = SqlEventStore(make_engine(pg_database.url), [hold])
    late = threading.Thread(target=lambda: slow.append("late", "case", 0, [event(1)]))
    late.start()
    assert holding.wait(10)
    store.append("early", "case", 0, [event(2)])  # a higher position, committed first
    seen, after = store.read_all(Checkpoint())
    assert [e.stream_id for e in seen] == []  # nothing past the in-flight transaction yet
    release.set()
    late.join()
    seen = []
    deadline = time.monotonic() + 20
    while len(seen) < 2 and time.monotonic() < deadline:
        batch, after = store.read_all(after)
        seen.extend(batch)
        time.sleep(0.01)
    assert sorted(e.stream_id for e in seen) == ["early", "late"]


def test_a_transaction_in_another_database_does_not_hold_the_reader_back(pg_database: Database) -> None:
    """PostgreSQL: the horizon is set by this database's own transactions. Another database on the same
    server (another application, or another school's instance) holding a transaction open for hours must
    not stall every reader of this log; before, the cluster-wide snapshot minimum did."""
    elsewhere = psycopg.connect(_pg_conninfo(PG_ADMIN_URL))  # the server's "test" database, not this one
    try:
        held = elsewhere.execute("SELECT pg_current_xact_id()::text::bigint").fetchone()  # an xid, left open
        assert held is not None
        store = SqlEventStore(make_engine(pg_database.url))
        store.append("s", "case", 0, [event(1)])
        stored_tx = store.read_all(Checkpoint(), writers_excluded=True)[0]
        assert stored_tx, "the event is in the log"
        seen, after = store.read_all(Checkpoint())
        assert [e.stream_id for e in seen] == ["s"]
        assert after.tx > held[0], "the event's own transaction is newer than the one held open elsewhere"
    finally:
        elsewhere.rollback()
        elsewhere.close()


_HOLD_LATE = """
CREATE FUNCTION hold_late_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.stream_id = 'late' THEN
    PERFORM pg_advisory_xact_lock_shared(4242);  -- waits while the test holds the lock
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER hold_late_insert BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION hold_late_insert();
"""


def test_reader_does_not_pass_a_one_statement_append_still_in_flight(pg_database: Database) -> None:
    """PostgreSQL: an append that is one INSERT on its own (no projectors) is a transaction too; held
    inside its INSERT (a trigger waiting on a lock the test holds), its early xid keeps the reader back."""
    owner = psycopg.connect(_pg_conninfo(pg_database.owner_url), autocommit=True)
    gate = psycopg.connect(_pg_conninfo(pg_database.owner_url), autocommit=True)
    owner.execute(_HOLD_LATE)
    try:
        gate.execute("SELECT pg_advisory_lock(4242)")
        store = SqlEventStore(make_engine(pg_database.url))
        failed: list[BaseException] = []

        def append_late() -> None:
            try:
                store.append("late", "case", 0, [event(1)])
            except BaseException as error:
                failed.append(error)

        late = threading.Thread(target=append_late)
        late.start()
        deadline = time.monotonic() + 10
        waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND NOT granted"
        while owner.execute(waiting).fetchone() != (1,) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert owner.execute(waiting).fetchone() == (1,), "the late INSERT never reached its trigger"
        store.append("early", "case", 0, [event(2)])  # a later xid and position, committed first
        seen, after = store.read_all(Checkpoint())
        assert [e.stream_id for e in seen] == []  # nothing past the INSERT still in flight
        gate.execute("SELECT pg_advisory_unlock(4242)")
        late.join(10)
        assert failed == []
        seen = []
        deadline = time.monotonic() + 20
        while len(seen) < 2 and time.monotonic() < deadline:
            batch, after = store.read_all(after)
            seen.extend(batch)
            time.sleep(0.01)
        assert [e.stream_id for e in seen] == ["late", "early"]  # in commit-safe (xid, position) order
    finally:
        gate.close()
        owner.execute("DROP TRIGGER IF EXISTS hold_late_insert ON events; DROP FUNCTION IF EXISTS hold_late_insert()")
        owner.close()
