"""One contract for the event store, run against SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from caseflow.adapters.database import make_engine, read_transaction
from caseflow.adapters.event_store import Checkpoint, SqlEventStore
from caseflow.adapters.tables import events
from caseflow.domain.case import SupportCase
from caseflow.domain.errors import ConcurrencyConflict
from caseflow.domain.events import GENESIS_HASH, NewEvent, StoredEvent, Upcasters, iso, utc, verify_chain
from caseflow.services.ports import StreamWrite
from tests.conftest import Clock, Database

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def note(n: int, **extra: object) -> NewEvent:
    data = {"text": f"note {n}", "pupil_id": "p1", "school_urn": "100001", **extra}
    return NewEvent("NoteAdded", data, "dsl", "dsl", T0 - timedelta(days=1), "support_journey@1")


@pytest.fixture
def store(database: Database) -> SqlEventStore:
    return SqlEventStore(make_engine(database.url), clock=Clock(T0))


def test_append_assigns_versions_positions_and_a_hash_chain(store: SqlEventStore) -> None:
    first = store.append("s1", "case", 0, [note(1), note(2)])
    second = store.append("s1", "case", 2, [note(3)])
    assert [e.version for e in first + second] == [1, 2, 3]
    positions = [e.position for e in first + second]
    assert positions == sorted(positions) and len(set(positions)) == 3
    assert first[0].prev_hash == GENESIS_HASH
    assert first[1].prev_hash == first[0].hash and second[0].prev_hash == first[1].hash
    loaded = store.load("s1")
    assert [e.hash for e in loaded] == [e.hash for e in first + second]
    assert loaded[0].data == {"text": "note 1", "pupil_id": "p1", "school_urn": "100001"}
    assert verify_chain(loaded, "s1").valid


def test_every_event_records_who_when_and_which_workflow(store: SqlEventStore) -> None:
    (event,) = store.append("s1", "case", 0, [note(1)])
    (loaded,) = store.load("s1")
    assert (loaded.actor, loaded.role, loaded.workflow_version, loaded.schema_version) == ("dsl", "dsl", "support_journey@1", 1)
    assert loaded.occurred_at == T0 - timedelta(days=1)
    assert loaded.recorded_at == T0 == event.recorded_at
    assert loaded.occurred_at.tzinfo is UTC and loaded.recorded_at.tzinfo is UTC, "instants come back in UTC"
    ((logged,), _) = store.read_all()  # the gap-safe read: other test databases' transactions do not hold it back
    assert logged.recorded_at == T0 and logged.recorded_at.tzinfo is UTC


def test_stale_expected_version_is_refused_with_the_current_version(store: SqlEventStore) -> None:
    store.append("s1", "case", 0, [note(1), note(2)])
    with pytest.raises(ConcurrencyConflict) as caught:
        store.append("s1", "case", 1, [note(3)])
    assert caught.value.current_version == 2
    with pytest.raises(ConcurrencyConflict):
        store.append("s1", "case", 0, [note(3)])
    with pytest.raises(ConcurrencyConflict):
        store.append("s1", "case", 5, [note(3)])
    assert [e.version for e in store.load("s1")] == [1, 2]


def test_a_writer_whose_cached_head_is_stale_gets_a_conflict_from_the_database(database: Database) -> None:
    """Two processes, two head caches: the unique (stream, version) constraint has the last word, and
    its error from the driver-level insert still surfaces as a conflict naming the current version."""
    first = SqlEventStore(make_engine(database.url), clock=Clock(T0))
    second = SqlEventStore(make_engine(database.url), clock=Clock(T0))
    first.append("s1", "case", 0, [note(1)])
    second.append("s1", "case", 1, [note(2)])  # first still believes version 1 is the head
    with pytest.raises(ConcurrencyConflict) as caught:
        first.append("s1", "case", 1, [note(3)])
    assert caught.value.current_version == 2
    first.append("s1", "case", 2, [note(3)])  # the conflict dropped the stale head
    assert [e.data["text"] for e in first.load("s1")] == ["note 1", "note 2", "note 3"]
    assert first.verify().valid


def test_a_failure_mid_append_leaves_no_partial_event(database: Database) -> None:
    def failing_projector(conn: object, batch: object) -> None:
        raise RuntimeError("projector broke")

    store = SqlEventStore(make_engine(database.url), [failing_projector], Clock(T0))
    with pytest.raises(RuntimeError):
        store.append("s1", "case", 0, [note(1), note(2)])
    assert store.load("s1") == []
    assert store.current_version("s1") == 0
    SqlEventStore(make_engine(database.url), clock=Clock(T0)).append("s1", "case", 0, [note(1)])


def test_load_up_to_a_version_and_replay_as_of_an_instant(store: SqlEventStore, database: Database) -> None:
    clock = Clock(T0)
    timed = SqlEventStore(make_engine(database.url), clock=clock)
    timed.append("c1", "case", 0, [note(1)])
    clock.now = T0 + timedelta(hours=1)
    timed.append("c1", "case", 1, [note(2)])
    clock.now = T0 + timedelta(hours=2)
    timed.append("c1", "case", 2, [note(3)])
    assert [e.version for e in store.load("c1", upto_version=2)] == [1, 2]
    case = SupportCase.replay("c1", store.load("c1"), as_of=T0 + timedelta(minutes=90))
    assert case.version == 2
    assert SupportCase.replay("c1", store.load("c1"), upto_version=1).version == 1
    assert SupportCase.replay("c1", store.load("c1")).version == 3


@pytest.mark.parametrize("cached", [True, False], ids=["head cached", "head read"])
def test_a_clock_that_steps_back_never_stamps_an_event_before_the_one_it_follows(database: Database, cached: bool) -> None:
    """``recorded_at`` rises along a stream whatever the server's clock does (an NTP step back, a
    second server a little behind), so a replay as at an instant and a report as at a date agree:
    both count exactly the events recorded by then, and the replay never stops short."""
    clock = Clock(T0 + timedelta(hours=2))
    first = SqlEventStore(make_engine(database.url), clock=clock)
    first.append("c1", "case", 0, [note(1)])
    clock.now = T0  # two hours back
    writer = first if cached else SqlEventStore(make_engine(database.url), clock=clock)
    writer.append("c1", "case", 1, [note(2), note(3)])
    clock.now = T0 + timedelta(hours=3)
    writer.append("c1", "case", 3, [note(4)])
    stamped = [e.recorded_at for e in first.load("c1")]
    assert stamped == [T0 + timedelta(hours=2)] * 3 + [T0 + timedelta(hours=3)]
    assert SupportCase.replay("c1", first.load("c1"), as_of=T0 + timedelta(hours=2)).version == 3
    assert first.verify("c1").valid
    writer.append("c2", "case", 0, [note(1)])  # another stream keeps the clock's own time
    assert [e.recorded_at for e in first.load("c2")] == [T0 + timedelta(hours=3)]


def test_read_all_walks_the_global_log_once_in_order(store: SqlEventStore) -> None:
    for n in range(5):
        store.append(f"s{n % 2}", "case", n // 2, [note(n)])
    seen: list[StoredEvent] = []
    after = Checkpoint()
    deadline = time.monotonic() + 20  # other transactions in the cluster may hold the horizon back a moment
    while len(seen) < 5 and time.monotonic() < deadline:
        batch, after = store.read_all(after, limit=2)
        seen.extend(batch)
        if not batch:
            time.sleep(0.01)
    assert len(seen) == 5
    assert len({(e.stream_id, e.version) for e in seen}) == 5
    assert store.read_all(after)[0] == []


def test_upcasting_reshapes_old_events_on_read_without_rewriting_them(store: SqlEventStore) -> None:
    old = NewEvent("PlanRecorded", {"strength": "old shape"}, "dsl", "dsl", T0, "support_journey@1", schema_version=1)
    store.append("s1", "case", 0, [note(0), old])
    upcasters = Upcasters()

    @upcasters.register("PlanRecorded", 1)
    def rename(data: dict) -> dict:
        data["strengths"] = data.pop("strength")
        return data

    case = SupportCase.replay("s1", store.load("s1"), upcasters=upcasters)
    assert case.plan() == {"strengths": "old shape"}
    assert store.load("s1")[1].data == {"strength": "old shape"}
    assert store.verify("s1").valid


def test_verify_names_the_first_bad_event(store: SqlEventStore) -> None:
    store.append("s1", "case", 0, [note(1), note(2), note(3)])
    assert store.verify().valid and store.verify().checked == 3
    events_ = store.load("s1")
    forged = StoredEvent(**{**{f: getattr(events_[1], f) for f in StoredEvent._fields}, "data_text": '{"text":"forged"}'})
    report = verify_chain([events_[0], forged, events_[2]], "s1")
    assert (report.valid, report.first_invalid_version) == (False, 2)
    report = verify_chain([events_[0], events_[2]], "s1")
    assert (report.valid, report.first_invalid_version) == (False, 2)


def test_positions_come_from_the_database_not_the_client(store: SqlEventStore) -> None:
    store.append("a", "case", 0, [note(1)])
    store.append("b", "case", 0, [note(2)])
    with store.engine.connect() as conn:
        rows = conn.execute(select(events.c.position, events.c.tx).order_by(events.c.position)).all()
    assert [r.position for r in rows] == sorted({r.position for r in rows})
    if store.engine.dialect.name == "postgresql":
        assert all(r.tx > 0 for r in rows)


def test_snapshots_resume_a_long_case_and_are_ignored_once_stale(database: Database) -> None:
    from caseflow.services.streams import SNAPSHOT_EVERY, load_case, snapshot_if_due

    store = SqlEventStore(make_engine(database.url), clock=Clock(T0))
    opened = NewEvent("CaseOpened", {"pupil_id": "p1", "school_urn": "100001", "to_state": "need_identified", "need_areas": ["send"]},
                      "dsl", "dsl", T0, "support_journey@1")  # fmt: skip
    plan = NewEvent("PlanRecorded", {"outcomes": ["Reads daily"]}, "dsl", "dsl", T0, "support_journey@1")
    stored = store.append("c1", "case", 0, [opened, plan, *[note(n) for n in range(SNAPSHOT_EVERY - 2)]])
    case = SupportCase.replay("c1", stored)
    snapshot_if_due(store, case, stored[-1].hash)
    assert store.latest_snapshot("c1") is not None and store.latest_snapshot("c1")[0] == SNAPSHOT_EVERY  # type: ignore[index]
    store.append("c1", "case", SNAPSHOT_EVERY, [note(1)])
    snapshot, tail = store.load_from_snapshot("c1")  # one query: the snapshot and the events after it
    assert snapshot is not None and snapshot[0] == SNAPSHOT_EVERY and [e.version for e in tail] == [SNAPSHOT_EVERY + 1]
    assert tail == store.load("c1", after_version=SNAPSHOT_EVERY)
    resumed = load_case(store, "c1")
    assert resumed.summary() == SupportCase.replay("c1", store.load("c1")).summary()
    assert resumed.version == SNAPSHOT_EVERY + 1 and resumed.plan() == {"outcomes": ["Reads daily"]}
    assert len(resumed.facts) == 2  # only the facts rules read are kept; the notes stay in the log
    store.save_snapshot("c1", SNAPSHOT_EVERY, "0" * 64, {"schema": 1})  # a snapshot that no longer matches the log
    assert store.latest_snapshot("c1") is None
    assert store.load_from_snapshot("c1") == (None, store.load("c1"))
    assert load_case(store, "c1").version == SNAPSHOT_EVERY + 1
    assert store.load_from_snapshot("no-such-case") == (None, [])


def test_several_streams_tails_come_in_one_query_each_as_if_loaded_alone(database: Database) -> None:
    """An action reads its case and the case's pupil together: each stream's own snapshot and tail,
    never another stream's, whatever mix of fresh, stale and missing snapshots."""
    from caseflow.services.streams import SNAPSHOT_EVERY

    store = SqlEventStore(make_engine(database.url), clock=Clock(T0))
    long = store.append("long", "case", 0, [note(n) for n in range(SNAPSHOT_EVERY + 3)])
    store.save_snapshot("long", SNAPSHOT_EVERY, long[SNAPSHOT_EVERY - 1].hash, {"schema": 1, "at": SNAPSHOT_EVERY})
    store.append("short", "pupil", 0, [note(1), note(2)])
    stale = store.append("stale", "case", 0, [note(1), note(2), note(3)])
    store.save_snapshot("stale", 2, "0" * 64, {"schema": 1})
    store.save_snapshot("short-lived", 1, stale[0].hash, {"schema": 1})  # a snapshot of a stream with no events
    ids = ["short", "long", "stale", "missing", "short-lived", "long"]
    tails = store.load_tails(ids)
    assert list(tails) == ["short", "long", "stale", "missing", "short-lived"]
    for sid in tails:
        assert tails[sid] == store.load_from_snapshot(sid)
    assert tails["long"][0] == (SNAPSHOT_EVERY, {"schema": 1, "at": SNAPSHOT_EVERY})
    assert tails["long"][1] == store.load("long", after_version=SNAPSHOT_EVERY) and len(tails["long"][1]) == 3
    assert tails["short"] == (None, store.load("short")) and tails["stale"] == (None, store.load("stale"))
    assert tails["missing"] == (None, []) and tails["short-lived"] == (None, [])
    assert all(e.stream_id == sid for sid, (_, tail) in tails.items() for e in tail)
    assert store.load_tails([]) == {}


def test_a_batch_writes_many_streams_in_one_transaction_or_nothing(store: SqlEventStore, database: Database) -> None:
    """Imports and the LA generator: several writes, even two to one stream, commit together or not at all."""
    stored = store.append_batch(
        [
            StreamWrite("a", "case", 0, [note(1), note(2)]),
            StreamWrite("b", "case", 0, [note(3)]),
            StreamWrite("a", "case", 2, [note(4)]),
        ]
    )
    assert [(e.stream_id, e.version) for e in stored] == [("a", 1), ("a", 2), ("b", 1), ("a", 3)]
    assert [e.position for e in stored] == sorted(e.position for e in stored)
    assert [e.hash for e in store.load("a")] == [stored[0].hash, stored[1].hash, stored[3].hash]
    assert store.verify().valid
    other = SqlEventStore(make_engine(database.url), clock=Clock(T0))  # knows no heads: must read them
    with pytest.raises(ConcurrencyConflict) as caught:
        other.append_batch([StreamWrite("c", "case", 0, [note(5)]), StreamWrite("b", "case", 0, [note(6)])])
    assert (caught.value.stream_id, caught.value.current_version) == ("b", 1)
    assert other.load("c") == [] and other.count() == 4


def test_an_actions_access_log_line_commits_with_its_event_or_not_at_all(database: Database) -> None:
    from caseflow.adapters.access_log import SqlAccessLog

    engine = make_engine(database.url)
    audit = SqlAccessLog(engine, Clock(T0))

    def failing_projector(conn: object, batch: object) -> None:
        raise RuntimeError("projector broke")

    line = audit.entry(username="dsl", role="dsl", action="record_plan", outcome="ok", case_id="s1")
    with pytest.raises(RuntimeError):
        SqlEventStore(engine, [failing_projector], Clock(T0)).append("s1", "case", 0, [note(1)], also=[line])
    assert audit.for_case("s1") == []
    SqlEventStore(engine, clock=Clock(T0)).append("s1", "case", 0, [note(1)], also=[line])
    assert [(e["username"], e["action"], e["outcome"]) for e in audit.for_case("s1")] == [("dsl", "record_plan", "ok")]


def test_every_stored_event_loads_even_values_the_fast_decoder_refuses(store: SqlEventStore) -> None:
    """orjson reads the log; the standard library takes over for NaN and integers beyond 64 bits."""
    store.append("s1", "case", 0, [note(1, huge=2**70), note(2, ratio=float("inf"))])
    first, second = store.load("s1")
    assert first.data["huge"] == 2**70 and second.data["ratio"] == float("inf")
    assert store.verify("s1").valid


@given(st.datetimes(min_value=datetime(1, 1, 1), timezones=st.just(UTC)) | st.datetimes(min_value=datetime(1, 1, 1)))
def test_the_hashed_text_of_an_instant_is_the_strftime_form_it_always_was(moment: datetime) -> None:
    """``iso`` is part of every hash: its fast path must write exactly what ``strftime`` wrote."""
    assert iso(moment) == utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_a_sqlite_read_transaction_reads_one_snapshot_throughout(sqlite_database: Database) -> None:
    """A page that reads several tables must not mix two states of the log: a write committed
    between two of its statements stays invisible until the read transaction ends."""
    store = SqlEventStore(make_engine(sqlite_database.url), clock=Clock(T0))
    store.append("s1", "case", 0, [note(1)])
    count = select(func.count()).select_from(events)
    with read_transaction(store.engine) as conn:
        before = conn.execute(count).scalar_one()
        store.append("s1", "case", 1, [note(2)])  # another connection of the pool commits meanwhile
        during = conn.execute(count).scalar_one()
    assert (before, during) == (1, 1)
    assert store.count() == 2


def _rows_read_from_events(plan: dict[str, Any]) -> int:
    """Rows the executor read from ``events`` in an EXPLAIN ANALYZE plan, over all loops: those a
    node returned and those its filter threw away (a scan that filters reads both)."""
    read = plan["Actual Rows"] + plan.get("Rows Removed by Filter", 0)
    own = read * plan["Actual Loops"] if plan.get("Relation Name") == "events" else 0
    return own + sum(_rows_read_from_events(child) for child in plan.get("Plans", []))


def test_loading_from_a_snapshot_reads_only_the_tail_of_a_long_stream(pg_database: Database) -> None:
    """However long the case, an action loads its snapshot and the few events after it: the check
    that the snapshot still matches the log is one lookup, not a walk along the stream (which is
    what the planner chose for a join, while the table's statistics were young)."""
    store = SqlEventStore(make_engine(pg_database.url), clock=Clock(T0))
    stored = store.append_batch([StreamWrite("long", "case", 0, [note(n) for n in range(400)])])
    store.save_snapshot("long", 400, stored[-1].hash, {"state": "at 400"})
    store.append("long", "case", 400, [note(401), note(402)])
    assert store.load_from_snapshot("long")[0] == (400, {"state": "at 400"})
    with store.engine.connect() as conn:
        (plan,) = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + store._tails_sql(1), {"s0": "long"}).scalar_one()
    assert _rows_read_from_events(plan["Plan"]) <= 4  # the snapshot's own event, then the tail of two


def test_a_connection_goes_back_to_the_pool_as_it_came_after_reads_and_lone_appends(pg_database: Database) -> None:
    """PostgreSQL reads and one-statement appends switch psycopg to autocommit themselves: the one
    pooled connection must come back out of it, or the next write transaction would commit each
    statement on its own (here a failing projector would leave its event behind)."""
    engine = make_engine(pg_database.url, pool_size=1, max_overflow=0)
    lone = SqlEventStore(engine, clock=Clock(T0))
    lone.append("s1", "case", 0, [note(1)])  # one statement on its own
    assert lone.load("s1")[0].version == 1  # a read

    def failing(conn: Any, batch: Any) -> None:
        raise RuntimeError("projector failed")

    with engine.connect() as conn:
        assert conn.connection.dbapi_connection.autocommit is False
    projected = SqlEventStore(engine, [failing], Clock(T0))
    with pytest.raises(RuntimeError):
        projected.append("s2", "case", 0, [note(2)])
    assert projected.current_version("s2") == 0
    engine.dispose()
