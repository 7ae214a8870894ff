"""The event store: per-stream versions, optimistic concurrency, a hash chain per stream,
and a global order that readers can follow without ever skipping a late commit.

One implementation serves SQLite and PostgreSQL. The hot statements (head, insert, load) run on
the driver's cursor, on SQLAlchemy's connection; everything else uses SQLAlchemy Core.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Connection, Engine, RowMapping, String, delete, func, insert, select, type_coerce
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from caseflow.adapters.bulk import insert_rows
from caseflow.adapters.collector import collector_paused
from caseflow.adapters.database import (
    driver_rows,
    is_sqlite,
    read_transaction,
    statement_transactions,
    write_transaction,
)
from caseflow.adapters.secret_box import decode_key
from caseflow.adapters.snapshot_seal import SnapshotSeal
from caseflow.adapters.tables import events, snapshots
from caseflow.config import data_key_text
from caseflow.domain.errors import ConcurrencyConflict
from caseflow.domain.events import (
    GENESIS_HASH,
    MAX_BREAKS_NAMED,
    MAX_VERSION,
    Break,
    ChainReport,
    NewEvent,
    StoredEvent,
    canonical_json,
    event_hash,
    iso,
    now_utc,
    utc,
    verify_chain,
)
from caseflow.domain.log_heads import LogHeads
from caseflow.services.ports import AlsoWrite, StreamWrite, Tail

logger = logging.getLogger(__name__)

#: streams whose head each store remembers, so an append needs no read first
HEAD_CACHE_SIZE = 10_000
#: a projector runs inside the append transaction, so read models never lag the log
Projector = Callable[[Connection, Sequence[StoredEvent]], None]


class Head(NamedTuple):
    """A stream's newest event: what the next append chains to, and the earliest it may be stamped."""

    version: int
    hash: str
    recorded_at: datetime | None


NO_HEAD = Head(0, GENESIS_HASH, None)
#: PostgreSQL advisory lock: appends that project hold it shared, a rebuild holds it alone
PROJECTION_LOCK = 7_210_113


def hold_projection_lock(conn: Connection, exclusive: bool = False) -> None:
    """On PostgreSQL, wait for (exclusive: every projecting writer to finish and keep new ones out).

    SQLite needs nothing: ``BEGIN IMMEDIATE`` already admits one writer at a time.
    """
    if conn.dialect.name == "postgresql":
        function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        conn.exec_driver_sql(f"SELECT {function}({PROJECTION_LOCK})")


@dataclass(frozen=True, slots=True, order=True)
class Checkpoint:
    """Where a log reader has got to: (writer transaction, position)."""

    tx: int = 0
    position: int = 0


def decode(text: str) -> Any:
    """The stored JSON text as Python values: orjson on the read paths (replay, log scans, rebuilds),
    the standard library for what orjson refuses (NaN, integers beyond 64 bits), so every stored
    event still loads. The hash covers the stored text, never this parse."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _row_to_event(row: RowMapping, parse_data: bool = True) -> StoredEvent:
    return StoredEvent(
        stream_id=row["stream_id"],
        stream_type=row["stream_type"],
        version=row["version"],
        position=row["position"],
        event_type=row["event_type"],
        schema_version=row["schema_version"],
        data=decode(row["data"]) if parse_data else {},
        actor=row["actor"],
        role=row["role"],
        occurred_at=row["occurred_at"],
        recorded_at=row["recorded_at"],
        workflow_version=row["workflow_version"],
        prev_hash=row["prev_hash"],
        hash=row["hash"],
        data_text=row["data"],
    )


_COLUMNS = [c for c in events.c if c.name != "tx"]


def _in_utc(moment: datetime) -> datetime:
    """An instant from PostgreSQL: already in UTC (sessions run in UTC, see ``make_engine``), so
    only converted if a session somehow was not; a replay reads two per event."""
    return moment if moment.tzinfo is UTC else utc(moment)


class SqlEventStore:
    """Append and read event streams in a SQL database."""

    def __init__(
        self,
        engine: Engine,
        projectors: Sequence[Projector] = (),
        clock: Callable[[], datetime] = now_utc,
        data_key: bytes | None = None,
    ):
        """``data_key``: what snapshots are sealed under (a key derived from it); by default the deployment's."""
        self.engine = engine
        self._data_key = data_key
        self.projectors = list(projectors)
        self.clock = clock
        self._sqlite = is_sqlite(engine)
        self._heads: dict[str, Head] = {}
        #: PostgreSQL with projectors: a one-event append takes the projection lock in its INSERT
        self._lock_in_insert = bool(self.projectors) and not self._sqlite
        style = ":{}" if self._sqlite else "%({})s"
        columns = [c.name for c in _COLUMNS if c.name != "position"]
        placeholders = ", ".join(style.format(c) for c in columns)
        loaded = "position, stream_type, version, event_type, schema_version, data, actor, role, occurred_at, recorded_at, "
        loaded += "workflow_version, prev_hash, hash, stream_id, tx"
        # a stream's own events: its id is known and its tx unused, so neither is fetched (a replay's rows are a fifth narrower)
        known = loaded.replace("stream_id, tx", "NULL AS stream_id, NULL AS tx")
        self._style, self._known = style, known
        self._tails: dict[int, str] = {}
        self._sql = {
            "load": f"SELECT 1 AS kind, {known} FROM events WHERE stream_id = {style.format('stream_id')} "
            f"AND version <= {style.format('upto')} AND version > {style.format('after')} ORDER BY version",
            "head": f"SELECT version, hash, recorded_at FROM events WHERE stream_id = {style.format('stream_id')} "
            "ORDER BY version DESC LIMIT 1",
            "insert": f"INSERT INTO events ({', '.join(columns)}) VALUES ({placeholders}) RETURNING position",
            "insert_locked": f"INSERT INTO events ({', '.join(columns)}) SELECT {placeholders} "
            f"FROM (SELECT pg_advisory_xact_lock_shared({PROJECTION_LOCK})) AS held RETURNING position",
            "written_after": "SELECT stream_id, version, position FROM events WHERE position > :end",
            # the global log after a checkpoint, in (writer transaction, position) order
            "log": f"SELECT 1 AS kind, {loaded} FROM events "
            f"WHERE (tx, position) > ({style.format('tx')}, {style.format('position')}) ORDER BY tx, position "
            f"LIMIT {style.format('limit')}",
            # ... and only of transactions older than the horizon (see ``_horizon``)
            "log_gap_safe": f"SELECT 1 AS kind, {loaded} FROM events "
            f"WHERE (tx, position) > ({style.format('tx')}, {style.format('position')}) "
            f"AND tx < {style.format('horizon')} ORDER BY tx, position LIMIT {style.format('limit')}",
            "snapshot": "SELECT pg_snapshot_xmax(s)::text::bigint, ARRAY(SELECT x::text::bigint FROM pg_snapshot_xip(s) AS x) "
            "FROM pg_current_snapshot() AS s",
            # this database's transactions that hold an xid now (their low 32 bits), prepared ones too
            "our_writers": "SELECT backend_xid::text::bigint FROM pg_stat_activity "
            "WHERE datname = current_database() AND backend_xid IS NOT NULL "
            "UNION ALL SELECT transaction::text::bigint FROM pg_prepared_xacts WHERE database = current_database()",
        }

    # --- writing ------------------------------------------------------------------------------
    def append(
        self,
        stream_id: str,
        stream_type: str,
        expected_version: int,
        new_events: Sequence[NewEvent],
        also: Sequence[AlsoWrite] = (),
    ) -> list[StoredEvent]:
        """Append events after ``expected_version``, or raise ``ConcurrencyConflict``.

        All of ``new_events``, every projector's changes and the ``also`` writes (the
        action's access-log line) commit together or not at all. One event with nothing else to
        write (a store without projectors) is one INSERT, which the database runs as a transaction
        of its own: no BEGIN or COMMIT to wait for. The stream's head, if not cached, is read just
        before; a writer that appended in between makes the INSERT break the unique (stream,
        version), as inside a transaction.
        """
        if not new_events:
            return []
        alone = len(new_events) == 1 and not self.projectors and not also
        try:
            with statement_transactions(self.engine) if alone else write_transaction(self.engine) as conn:
                locked = self._lock_in_insert and len(new_events) == 1
                if self.projectors and not locked:
                    hold_projection_lock(conn)
                stored = self._append(conn, stream_id, stream_type, expected_version, new_events, locked)
                for project in self.projectors:
                    project(conn, stored)
                for write in also:
                    write(conn)
        except SqlIntegrityError as error:
            self._heads.pop(stream_id, None)
            if "uq_events_stream_version" not in str(error) and "events.stream_id, events.version" not in str(error):
                raise
            raise ConcurrencyConflict(stream_id, expected_version, self.current_version(stream_id)) from None
        except BaseException:
            self._heads.pop(stream_id, None)
            raise
        self._remember_heads(stored)
        return stored

    def append_batch(self, writes: Sequence[StreamWrite], progress: Callable[[int], None] | None = None) -> list[StoredEvent]:
        """Append to many streams in ONE transaction: all of it is written, or none of it.

        Imports and the LA data generator use this, so that a file with one bad row
        (or a conflicting writer) changes nothing. The rows go in as one multi-row
        INSERT ... RETURNING, not a round trip per event.
        """
        stored: list[StoredEvent] = []
        try:
            with write_transaction(self.engine) as conn:
                if self.projectors:
                    hold_projection_lock(conn)
                pending: list[StoredEvent] = []
                batch_heads: dict[str, Head] = {}
                for write in writes:
                    pending.extend(
                        self._prepare(conn, write.stream_id, write.stream_type, write.expected_version, write.events, batch_heads)
                    )
                    if progress:
                        progress(1)
                stored = self._insert_many(conn, pending)
                for project in self.projectors:
                    project(conn, stored)
        except SqlIntegrityError as error:
            self._heads.clear()
            if "uq_events_stream_version" not in str(error) and "events.stream_id, events.version" not in str(error):
                raise
            stale = next((w for w in writes if self.current_version(w.stream_id) != w.expected_version), writes[0])
            raise ConcurrencyConflict(stale.stream_id, stale.expected_version, self.current_version(stale.stream_id)) from None
        except BaseException:
            self._heads.clear()
            raise
        self._remember_heads(stored)
        return stored

    def _append(
        self,
        conn: Connection,
        stream_id: str,
        stream_type: str,
        expected_version: int,
        new_events: Sequence[NewEvent],
        locked: bool = False,
    ) -> list[StoredEvent]:
        """``locked``: the single-row insert itself takes the shared projection lock (one round trip fewer)."""
        prepared = self._prepare(conn, stream_id, stream_type, expected_version, new_events)
        if len(prepared) != 1:
            return self._insert_many(conn, prepared)
        sql = self._sql["insert_locked" if locked else "insert"]
        position = driver_rows(conn, sql, self._row(prepared[0]))[0][0]
        return [prepared[0]._replace(position=position)]

    def _insert_many(self, conn: Connection, prepared: Sequence[StoredEvent]) -> list[StoredEvent]:
        """Many events in one statement; their positions are read back by (stream, version).

        SQLite cannot promise the order of a multi-row ``RETURNING`` (SQLAlchemy would fall back to
        a statement per row), so there the rows are read back after the insert: this transaction
        holds the only write lock, so everything past the old end of the log is its own."""
        rows = [self._core_row(event) for event in prepared]
        if self._sqlite:
            end = driver_rows(conn, "SELECT coalesce(max(position), 0) FROM events", {})[0][0]
            insert_rows(conn, events, rows)
            returned = driver_rows(conn, self._sql["written_after"], {"end": end})
        else:
            returned = insert_rows(conn, events, rows, returning=("stream_id", "version", "position"))
        positions = {(stream_id, version): position for stream_id, version, position in returned}
        return [event._replace(position=positions[(event.stream_id, event.version)]) for event in prepared]

    def _prepare(
        self,
        conn: Connection,
        stream_id: str,
        stream_type: str,
        expected_version: int,
        new_events: Sequence[NewEvent],
        batch_heads: dict[str, Head] | None = None,
    ) -> list[StoredEvent]:
        """Versions and hashes for new events after the stream's head (position not yet known).

        The shared head cache holds committed heads only (another thread may read it);
        heads written earlier in the same batch, not yet committed, live in ``batch_heads``.
        """
        head = (batch_heads or {}).get(stream_id) or self._heads.get(stream_id)
        if head is None or head[0] != expected_version:
            found = driver_rows(conn, self._sql["head"], self._params(stream_id=stream_id))
            row = found[0] if found else None
            parse = datetime.fromisoformat if self._sqlite else _in_utc
            head = Head(row[0], row[1], parse(row[2])) if row else NO_HEAD
        current, prev_hash, previous = head
        if current != expected_version:
            raise ConcurrencyConflict(stream_id, expected_version, current)
        # Never before the event it follows: a clock stepped back (or a second server a little behind)
        # would otherwise stamp a later version earlier, and a replay as at an instant would stop at it.
        recorded_at = self.clock() if previous is None else max(self.clock(), previous)
        prepared = []
        for offset, new in enumerate(new_events, start=1):
            data_text = canonical_json(dict(new.data))
            version = expected_version + offset
            digest = event_hash(
                prev_hash=prev_hash,
                stream_id=stream_id,
                stream_type=stream_type,
                version=version,
                event_type=new.event_type,
                schema_version=new.schema_version,
                data_text=data_text,
                actor=new.actor,
                role=new.role,
                occurred_at=new.occurred_at,
                recorded_at=recorded_at,
                workflow_version=new.workflow_version,
            )
            prepared.append(
                StoredEvent(
                    stream_id=stream_id,
                    stream_type=stream_type,
                    version=version,
                    position=0,
                    event_type=new.event_type,
                    schema_version=new.schema_version,
                    data=decode(data_text),
                    actor=new.actor,
                    role=new.role,
                    occurred_at=utc(new.occurred_at),
                    recorded_at=recorded_at,
                    workflow_version=new.workflow_version,
                    prev_hash=prev_hash,
                    hash=digest,
                    data_text=data_text,
                )
            )
            prev_hash = digest
        if batch_heads is not None:
            batch_heads[stream_id] = Head(current + len(prepared), prev_hash, recorded_at)
        return prepared

    def _row(self, event: StoredEvent) -> dict[str, Any]:
        """Driver-level parameters for one insert (instants as the backend stores them)."""
        row = self._core_row(event)
        row["occurred_at"] = self._instant(event.occurred_at)
        row["recorded_at"] = self._instant(event.recorded_at)
        return self._params(**row)

    @staticmethod
    def _core_row(event: StoredEvent) -> dict[str, Any]:
        return {
            "stream_id": event.stream_id,
            "stream_type": event.stream_type,
            "version": event.version,
            "event_type": event.event_type,
            "schema_version": event.schema_version,
            "data": event.data_text,
            "actor": event.actor,
            "role": event.role,
            "occurred_at": event.occurred_at,
            "recorded_at": event.recorded_at,
            "workflow_version": event.workflow_version,
            "prev_hash": event.prev_hash,
            "hash": event.hash,
        }

    def _remember_heads(self, stored: Sequence[StoredEvent]) -> None:
        """After a commit: the newest event of each stream written.

        Safe across processes: an event never changes once written, so a cached
        head is either still the head, or the unique (stream, version) constraint
        refuses the next insert as a conflict.
        """
        for event in stored:
            self._heads[event.stream_id] = Head(event.version, event.hash, event.recorded_at)
        while len(self._heads) > HEAD_CACHE_SIZE:
            self._heads.pop(next(iter(self._heads)))

    def _params(self, **values: Any) -> dict[str, Any]:
        return values

    def _instant(self, moment: datetime) -> Any:
        return iso(moment) if self._sqlite else utc(moment)

    # --- reading ------------------------------------------------------------------------------
    def current_version(self, stream_id: str) -> int:
        with read_transaction(self.engine) as conn:
            return conn.execute(
                select(func.coalesce(func.max(events.c.version), 0)).where(events.c.stream_id == stream_id)
            ).scalar_one()

    def load(self, stream_id: str, upto_version: int | None = None, after_version: int = 0) -> list[StoredEvent]:
        """The stream's events in version order (all, or up to ``upto_version``).

        The hot read path: one driver-level query and a plain loop, no ORM objects.
        """
        upto = MAX_VERSION if upto_version is None else min(upto_version, MAX_VERSION)  # 10**23 overflows INTEGER
        params = self._params(stream_id=stream_id, upto=upto, after=after_version)
        with collector_paused():
            with read_transaction(self.engine) as conn:
                rows = driver_rows(conn, self._sql["load"], params)
            loaded = self._events(rows, stream_id)
            del rows  # freed now, so the collection that follows the pause has only the events to walk
        return loaded

    def load_from_snapshot(self, stream_id: str) -> Tail:
        """The stream's snapshot (if one still matches the log and its seal holds) and the events after it, in
        one query: loading a case for an action is one round trip, however long the case. A snapshot whose seal
        does not hold is not used: the whole stream is read instead (a second query), and the log warns."""
        return self.load_tails([stream_id])[stream_id]

    def load_tails(self, stream_ids: Sequence[str]) -> dict[str, Tail]:
        """``load_from_snapshot`` for several streams in one round trip: an action on a case reads
        the case and its pupil together. For a few streams: each is a block of the query (SQLite allows
        500 blocks)."""
        ids = list(dict.fromkeys(stream_ids))
        if not ids:
            return {}
        with read_transaction(self.engine) as conn:
            rows = driver_rows(conn, self._tails_sql(len(ids)), self._params(**{f"s{n}": sid for n, sid in enumerate(ids)}))
        found: dict[str, list[Sequence[Any]]] = {sid: [] for sid in ids}
        for row in rows:
            found[row[14]].append(row)
        tails: dict[str, Tail] = {}
        for sid, own in found.items():
            if not own or own[0][0] != 0:
                tails[sid] = None, self._events(own, sid)
            elif self._sealed(sid, own[0][3], own[0][13], own[0][6], own[0][12]):
                tails[sid] = (own[0][3], decode(own[0][6])), self._events(own[1:], sid)
            else:
                tails[sid] = None, self.load(sid)
        return tails

    def _tails_sql(self, count: int) -> str:
        """Each stream's snapshot that matches the log (kind 0, if any; with its seal and last hash, in the
        columns of an event's ``prev_hash`` and ``hash``) and the events after it (kind 1). One block per
        stream, so the version bound stays an index condition, not a filter over the whole stream.
        The snapshot's hash is checked by a scalar subquery, not a join: PostgreSQL cannot turn it
        into a join, so it is always one index lookup by (stream, version). As a join, a table whose
        statistics still said one event per stream was read a whole stream long, every action."""
        if count not in self._tails:
            style, blocks, snaps = self._style, [], []
            for n in range(count):
                sid = style.format(f"s{n}")
                snaps.append(
                    f"snap{n} AS (SELECT s.version, s.state, s.last_hash, s.seal FROM snapshots s WHERE s.stream_id = {sid} "
                    "AND s.last_hash = "
                    f"(SELECT e.hash FROM events e WHERE e.stream_id = {sid} AND e.version = s.version))"
                )
                named = f"CAST({sid} AS VARCHAR) AS stream_id, NULL AS tx"
                blocks.append(
                    "SELECT 0 AS kind, NULL AS position, NULL AS stream_type, version, NULL AS event_type, "
                    "NULL AS schema_version, state AS data, NULL AS actor, NULL AS role, NULL AS occurred_at, "
                    f"NULL AS recorded_at, NULL AS workflow_version, seal AS prev_hash, last_hash AS hash, {named} FROM snap{n}"
                )
                blocks.append(
                    f"SELECT 1, {self._known.replace('NULL AS stream_id, NULL AS tx', named)} FROM events "
                    f"WHERE stream_id = {sid} AND version > COALESCE((SELECT version FROM snap{n}), 0)"
                )
            self._tails[count] = f"WITH {', '.join(snaps)} " + " UNION ALL ".join(blocks) + " ORDER BY 15, 1, 4"
        return self._tails[count]

    # --- snapshots (a cache derived from the log) ---------------------------------------------
    @cached_property
    def _seal(self) -> SnapshotSeal:
        """Made when first needed: most stores (an import, a benchmark's writer) never read a snapshot."""
        return SnapshotSeal(self._data_key or decode_key(data_key_text()))

    def _sealed(self, stream_id: str, version: int, last_hash: str, state_text: str, seal: str | None) -> bool:
        """Whether a snapshot read from the table is one this store sealed; if not, say so in the log (it is
        not used: the stream is replayed from its events, and ``caseflow verify`` names it)."""
        if self._seal.holds(seal, stream_id, version, last_hash, state_text):
            return True
        logger.warning(
            "snapshot of %s at version %s %s: not used, the stream is replayed from its events (caseflow verify names it)",
            stream_id, version, "has no seal" if not seal else "does not match its seal",
        )  # fmt: skip
        return False

    def save_snapshot(self, stream_id: str, version: int, last_hash: str, state: Mapping[str, Any]) -> None:
        """Replace the stream's snapshot, sealed. Two readers may race to save one: the loser's is dropped,
        which costs nothing (each is checked against the log's hash before use). A snapshot is a
        cache, saved after the action's events have committed: if it cannot be saved (a lock held past
        the busy timeout, a full disk), the action still succeeded, so the failure is logged, not raised.

        A snapshot whose seal does not hold is left where it is, not replaced: it is the evidence of an edit
        that ``caseflow verify`` reports, until an operator has seen it (``caseflow snapshots clear``)."""
        text = json.dumps(state)
        try:
            with write_transaction(self.engine) as conn:
                found = conn.execute(
                    select(snapshots.c.version, snapshots.c.last_hash, snapshots.c.state, snapshots.c.seal).where(
                        snapshots.c.stream_id == stream_id
                    )
                ).first()
                if found is not None and not self._sealed(stream_id, found.version, found.last_hash, found.state, found.seal):
                    return
                conn.execute(delete(snapshots).where(snapshots.c.stream_id == stream_id))
                conn.execute(
                    insert(snapshots).values(
                        stream_id=stream_id, version=version, last_hash=last_hash, state=text, taken_at=self.clock(),
                        seal=self._seal.of(stream_id, version, last_hash, text),
                    )
                )  # fmt: skip
        except SqlIntegrityError:
            pass
        except DBAPIError as error:
            logger.warning("snapshot of %s at version %s not saved: %s", stream_id, version, str(error).splitlines()[0])

    def latest_snapshot(self, stream_id: str) -> tuple[int, dict[str, Any]] | None:
        """The stream's snapshot, if it still matches the log (the event it ends at has the same hash) and its seal holds."""
        with read_transaction(self.engine) as conn:
            hash_at_snapshot = (
                select(events.c.hash)
                .where(events.c.stream_id == stream_id, events.c.version == snapshots.c.version)
                .scalar_subquery()
            )  # one index lookup, as in ``_tails_sql``
            row = conn.execute(
                select(snapshots.c.version, snapshots.c.last_hash, snapshots.c.state, snapshots.c.seal).where(
                    snapshots.c.stream_id == stream_id, snapshots.c.last_hash == hash_at_snapshot
                )
            ).first()
        if row is None or not self._sealed(stream_id, row.version, row.last_hash, row.state, row.seal):
            return None
        return row.version, decode(row.state)

    def verify_snapshots(self, stream_id: str | None = None) -> list[Break]:
        """Every snapshot (of one stream, or all) whose seal does not hold: edited in the table, moved from
        another stream or version, inserted by hand, or sealed under another data key. None of them is used."""
        query = select(snapshots.c.stream_id, snapshots.c.version, snapshots.c.last_hash, snapshots.c.state, snapshots.c.seal)
        if stream_id is not None:
            query = query.where(snapshots.c.stream_id == stream_id)
        found = []
        with read_transaction(self.engine, streaming=True) as conn:
            for row in conn.execute(query.order_by(snapshots.c.stream_id), execution_options={"yield_per": 500}):
                if not self._seal.holds(row.seal, row.stream_id, row.version, row.last_hash, row.state):
                    reason = (
                        "it has no seal (written outside the app)"
                        if not row.seal
                        else "its seal does not hold (edited outside the app, or sealed under another data key)"
                    )
                    found.append(Break(row.stream_id, row.version, reason))
        return found

    def clear_snapshots(self) -> int:
        """Delete every snapshot (a cache: each stream is replayed from its events until it has a new one)."""
        with write_transaction(self.engine) as conn:
            return conn.execute(delete(snapshots)).rowcount

    def load_many(self, stream_ids: Sequence[str]) -> dict[str, list[StoredEvent]]:
        found: dict[str, list[StoredEvent]] = {s: [] for s in stream_ids}
        if not stream_ids:
            return found
        query = select(*_COLUMNS).where(events.c.stream_id.in_(list(stream_ids))).order_by(events.c.stream_id, events.c.version)
        with read_transaction(self.engine) as conn:
            for row in conn.execute(query).mappings():
                found[row["stream_id"]].append(_row_to_event(row))
        return found

    def read_all(
        self, after: Checkpoint = Checkpoint(), limit: int = 1000, writers_excluded: bool = False
    ) -> tuple[list[StoredEvent], Checkpoint]:
        """The next events of the global log after ``after``, safe under concurrent commits.

        On PostgreSQL only events of transactions older than every transaction of
        this database still running are returned (``_horizon``), ordered by
        (transaction, position): an event that commits late can therefore never fall
        behind a reader's checkpoint. SQLite serialises writers, so its commit order
        is its position order. ``writers_excluded``: the caller holds the projection
        lock exclusively, so nothing can commit late and everything committed is read,
        with no horizon to work out.
        """
        gap_safe = not self._sqlite and not writers_excluded
        params = self._params(tx=after.tx, position=after.position, limit=limit)
        with collector_paused():
            with read_transaction(self.engine) as conn:
                if gap_safe:
                    rows = driver_rows(conn, self._sql["log_gap_safe"], {**params, "horizon": self._horizon(conn)})
                else:
                    rows = driver_rows(conn, self._sql["log"], params)
            if not rows:
                return [], after
            return self._events(rows), Checkpoint(rows[-1][-1], rows[-1][1])

    def _horizon(self, conn: Connection) -> int:
        """The oldest transaction of this database that may still commit events: every event of an
        older transaction is already committed, so a reader that stops short of it never skips one.

        Three statements, each its own snapshot (reads run in autocommit), in this order:

        1. the server's snapshot: ``xmax`` (every transaction before it has ended, but for those
           listed in ``xip``, still running);
        2. which transactions of *this* database hold an xid now (``pg_stat_activity``, read live);
        3. the log, below the horizon (``read_all``).

        A transaction in ``xip`` that is this database's and still running at (2) sets the horizon.
        One that ended between (1) and (2) is committed or gone by (3), whose later snapshot sees it.
        One that began after (1) has an xid from ``xmax`` on, which the horizon never passes. Another
        database's transactions are ignored: they cannot write this log, and with the cluster-wide
        minimum (``pg_snapshot_xmin``) a long transaction elsewhere on the server held every reader here
        back for as long as it stayed open. ``pg_stat_activity`` gives 32-bit xids: they are matched
        to the snapshot's 64-bit ones by their low 32 bits, unique among transactions running at once."""
        ((xmax, running),) = driver_rows(conn, self._sql["snapshot"], {})
        if not running:
            return int(xmax)
        ours = {row[0] for row in driver_rows(conn, self._sql["our_writers"], {})}
        return min((x for x in running if x % 2**32 in ours), default=int(xmax))

    def _events(self, rows: Sequence[Sequence[Any]], stream_id: str | None = None) -> list[StoredEvent]:
        """Driver rows (a kind column, then the ``loaded`` columns) as events: plain tuples in a plain
        loop, built straight from a tuple in field order (replaying a 10,000-event case builds 10,000 of
        these). ``stream_id``: the rows are that stream's, read without it."""
        parse = datetime.fromisoformat if self._sqlite else _in_utc
        new = tuple.__new__
        try:
            datas = [orjson.loads(row[6]) for row in rows]
        except orjson.JSONDecodeError:
            datas = [decode(row[6]) for row in rows]
        return [
            new(StoredEvent, (stream_id or sid, stream_type, version, position, event_type, schema_version, data, actor, role,
                              parse(occurred_at), parse(recorded_at), workflow_version, prev_hash, digest, text))
            for (_kind, position, stream_type, version, event_type, schema_version, text, actor, role, occurred_at,
                 recorded_at, workflow_version, prev_hash, digest, sid, _tx), data in zip(rows, datas, strict=True)
        ]  # fmt: skip

    def iter_all(
        self, after: Checkpoint = Checkpoint(), batch: int = 1000, writers_excluded: bool = False
    ) -> Iterator[tuple[list[StoredEvent], Checkpoint]]:
        """Batches of the whole log, without ever holding it all in memory (``writers_excluded``: see ``read_all``)."""
        while True:
            found, after = self.read_all(after, batch, writers_excluded)
            if not found:
                return
            yield found, after

    def stream_ids(self, stream_type: str | None = None) -> list[str]:
        query = select(events.c.stream_id).where(events.c.version == 1).order_by(events.c.position)
        if stream_type is not None:
            query = query.where(events.c.stream_type == stream_type)
        with read_transaction(self.engine) as conn:
            return list(conn.execute(query).scalars())

    def count(self) -> int:
        with read_transaction(self.engine) as conn:
            return conn.execute(select(func.count()).select_from(events)).scalar_one()

    # --- verifying ----------------------------------------------------------------------------
    def verify(self, stream_id: str | None = None, anchored: LogHeads | None = None) -> ChainReport:
        """Walk the hash chain of one stream, or of every stream, naming each stream's first bad event;
        with ``anchored`` heads saved earlier, also each stream that lost or changed an event they hold
        (each anchored event must still be there with its hash). Every stream is walked, so the report
        says how far a tampering reached, not only where it begins.

        Rows are streamed in (stream, version) order, so memory stays flat however
        long the log is.
        """
        query = select(*(_VERIFIED if self._sqlite else _COLUMNS)).order_by(events.c.stream_id, events.c.version)
        if stream_id is not None:
            query = query.where(events.c.stream_id == stream_id)
        heads = dict(anchored.heads) if anchored else {}
        if stream_id is not None:
            heads = {stream_id: heads[stream_id]} if stream_id in heads else {}
        checked, breaks, broken = 0, [], 0

        def broke(found: Break) -> None:
            nonlocal broken
            broken += 1
            if len(breaks) < MAX_BREAKS_NAMED:
                breaks.append(found)

        with read_transaction(self.engine, streaming=True) as conn:
            # an option of this statement, not of the connection: ``Connection.execution_options`` changes
            # the connection itself, and in a web request the next read on it (the access log) then
            # asked PostgreSQL for a server-side cursor outside a transaction: a 500 on the audit page
            rows = conn.execute(query, execution_options={"yield_per": 1000}).mappings()
            for sid, stream in _group_by_stream(rows):
                seen: dict[int, str] = {}
                report = verify_chain(_noting(stream, seen, heads.get(sid)), sid)
                checked += report.checked
                head = heads.pop(sid, None)
                if not report.valid:
                    broke(Break(sid, report.first_invalid_version, report.reason or ""))
                elif head is not None and seen.get(head[0]) != head[1]:
                    broke(_lost(sid, head, report.checked))
        for sid, head in sorted(heads.items()):
            broke(_lost(sid, head, 0))
        return ChainReport.of(checked, breaks, broken)

    def heads(self) -> LogHeads:
        """Each stream's last version and hash now, to be saved outside the database."""
        last = select(events.c.stream_id, func.max(events.c.version).label("version")).group_by(events.c.stream_id).subquery()
        query = select(events.c.stream_id, events.c.version, events.c.hash).join(
            last, (events.c.stream_id == last.c.stream_id) & (events.c.version == last.c.version)
        )
        with read_transaction(self.engine) as conn:
            taken_at = self.clock()
            found = {row.stream_id: (row.version, row.hash) for row in conn.execute(query)}
        return LogHeads(taken_at, found)


def _noting(stream: Iterator[StoredEvent], seen: dict[int, str], head: tuple[int, str] | None) -> Iterator[StoredEvent]:
    """The stream's events, noting the hash of the one at the anchored version as they pass."""
    for event in stream:
        if head is not None and event.version == head[0]:
            seen[event.version] = event.hash
        yield event


def _lost(stream_id: str, head: tuple[int, str], now_ends_at: int) -> Break:
    version, _ = head
    if now_ends_at == 0:
        reason = f"the stream is gone; the saved heads hold it at version {version}"
    elif now_ends_at < version:
        reason = (
            f"the stream now ends at version {now_ends_at}; the saved heads hold it at version {version}: events were removed"
        )
    else:
        reason = f"the event at version {version} is not the one in the saved heads: the stream was rewritten"
    return Break(stream_id, version, reason)


#: what ``verify`` reads: instants as stored (SQLite's text unparsed), so a row nobody can parse surfaces
#: in ``_raw_event``, in its own stream's check, instead of stopping the read of the whole log
_VERIFIED = [type_coerce(c, String).label(c.name) if c.name in ("occurred_at", "recorded_at") else c for c in _COLUMNS]


def _raw_event(row: RowMapping) -> StoredEvent:
    """An event for verification only: the data stays as stored text, unparsed."""
    event = _row_to_event(row, parse_data=False)
    occurred, recorded = event.occurred_at, event.recorded_at
    if isinstance(occurred, str) or isinstance(recorded, str):
        return event._replace(occurred_at=_instant_of(occurred), recorded_at=_instant_of(recorded))
    return event


def _instant_of(value: Any) -> datetime:
    return utc(datetime.fromisoformat(value)) if isinstance(value, str) else utc(value)


def _group_by_stream(rows: Iterator[RowMapping]) -> Iterator[tuple[str, Iterator[StoredEvent]]]:
    """Split an ordered row stream into per-stream event iterators.

    A row that cannot even be read (a tampered timestamp, say) surfaces as a
    ``ValueError`` from the per-stream iterator, which ``verify_chain`` reports.
    """
    pending: list[RowMapping] = []
    iterator = iter(rows)

    def next_row() -> RowMapping | None:
        if pending:
            return pending.pop()
        return next(iterator, None)

    while True:
        first = next_row()
        if first is None:
            return
        sid = first["stream_id"]

        def stream(first: RowMapping = first, sid: str = sid) -> Iterator[RowMapping]:
            row: RowMapping | None = first
            while row is not None and row["stream_id"] == sid:
                yield row
                row = next_row()
            if row is not None:
                pending.append(row)

        rows_of_stream = stream()
        yield sid, (_raw_event(row) for row in rows_of_stream)
        for _ in rows_of_stream:  # pass over what the checker did not read, without reading it (it may be unreadable)
            pass
