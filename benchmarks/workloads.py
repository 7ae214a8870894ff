"""Caseflow's benchmark workloads, shaped like the peer's (../shared/bench/peer_eventsourcing.py).

Each function takes a migrated database URL (the app role on PostgreSQL) and
returns plain figures. Appends go through ``SqlEventStore`` exactly as the app
does: hash chain on, BEGIN IMMEDIATE on SQLite, optimistic versions.
"""

from __future__ import annotations

import gc
import multiprocessing
import statistics
import time
import tracemalloc
from datetime import UTC, datetime
from typing import Any

from caseflow.adapters.database import make_engine
from caseflow.adapters.event_store import Checkpoint, SqlEventStore
from caseflow.adapters.projections import INLINE_PROJECTORS, rebuild
from caseflow.domain.case import SupportCase
from caseflow.domain.events import NewEvent
from caseflow.services.streams import load_case

WHEN = datetime(2026, 11, 1, tzinfo=UTC)


def note(stream: int, n: int) -> NewEvent:
    """A small case event, about the peer's 120 bytes of JSON."""
    data = {
        "field": "attendance",
        "value": f"{90 + n % 10}%",
        "note": "Check-in done; settled well after breakfast club today.",
        "n": n,
    }
    if n == 0:
        data |= {"pupil_id": f"p{stream}", "school_urn": "100001", "to_state": "need_identified", "need_areas": ["attendance"]}
    return NewEvent("NoteAdded", data, "dsl", "dsl", WHEN, "support_journey@1")


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)

    return {"p50_ms": pick(0.50), "p95_ms": pick(0.95), "p99_ms": pick(0.99)}


def append_one_per_commit(url: str, streams: int, per_stream: int, projections: bool) -> dict[str, Any]:
    store = SqlEventStore(make_engine(url), INLINE_PROJECTORS if projections else ())
    latencies = []
    started = time.perf_counter()
    for n in range(per_stream):
        for s in range(streams):
            t = time.perf_counter()
            store.append(f"bench-{s}", "case", n, [note(s, n)])
            latencies.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - started
    store.engine.dispose()
    return {"events": streams * per_stream, "events_per_s": round(streams * per_stream / elapsed), **percentiles(latencies)}


def batch_append(url: str, events: int, batch: int) -> dict[str, Any]:
    store = SqlEventStore(make_engine(url))
    started = time.perf_counter()
    for start in range(0, events, batch):
        store.append("long-case", "case", start, [note(0, n) for n in range(start, start + batch)])
    elapsed = time.perf_counter() - started
    store.engine.dispose()
    return {
        "events": events,
        "events_per_s": round(events / elapsed),
        "ms_per_batch": round(elapsed / (events / batch) * 1000, 2),
    }


def replay(url: str, runs: int) -> dict[str, Any]:
    """Load and rebuild the 10,000-event case: median of ``runs`` after one warm-up; peak memory traced."""
    store = SqlEventStore(make_engine(url))
    SupportCase.replay("long-case", store.load("long-case"))
    times = []
    for _ in range(runs):
        gc.collect()
        t = time.perf_counter()
        case = SupportCase.replay("long-case", store.load("long-case"))
        times.append(time.perf_counter() - t)
    load_times = []
    for _ in range(runs):
        t = time.perf_counter()
        store.load("long-case")
        load_times.append(time.perf_counter() - t)
    tracemalloc.start()
    SupportCase.replay("long-case", store.load("long-case"))
    replay_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    last = store.load("long-case", after_version=case.version - 1)[-1]
    store.save_snapshot("long-case", case.version, last.hash, case.to_snapshot())
    snap_times = []
    for _ in range(runs):
        t = time.perf_counter()
        resumed = load_case(store, "long-case")
        snap_times.append(time.perf_counter() - t)
    assert resumed.version == case.version
    store.engine.dispose()
    return {
        "events": case.version,
        "replay_ms": round(statistics.median(times) * 1000, 1),
        "load_only_ms": round(statistics.median(load_times) * 1000, 1),
        "replay_with_snapshot_ms": round(statistics.median(snap_times) * 1000, 2),
        "replay_peak_mib": round(replay_peak / 2**20, 1),
    }


def read_whole_log(url: str) -> dict[str, Any]:
    """Stream the whole log in batches, as projections do: memory must not grow with the log."""
    store = SqlEventStore(make_engine(url))
    tracemalloc.start()
    started = time.perf_counter()
    total = 0
    after = Checkpoint()
    while True:
        batch, after = store.read_all(after, 1000)
        if not batch:
            break
        total += len(batch)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    store.engine.dispose()
    return {"events": total, "events_per_s": round(total / elapsed), "peak_mib": round(peak / 2**20, 1)}


def rebuild_projections(url: str) -> dict[str, Any]:
    store = SqlEventStore(make_engine(url))
    started = time.perf_counter()
    done = rebuild(store)
    elapsed = time.perf_counter() - started
    store.engine.dispose()
    return {"events": done, "events_per_s": round(done / elapsed)}


def _writer(url: str, index: int, streams: int, per_stream: int, start: Any, out: Any) -> None:
    store = SqlEventStore(make_engine(url, pool_size=1, max_overflow=0))
    latencies = []
    start.wait()
    for n in range(per_stream):
        for s in range(streams):
            t = time.perf_counter()
            store.append(f"w{index}-{s}", "case", n, [note(s, n)])
            latencies.append(time.perf_counter() - t)
    out.put(latencies)


def concurrent_writers(url: str, writers: int, total_events: int, verify: Any) -> dict[str, Any]:
    """``writers`` processes, each with its own streams, one event per commit, started together."""
    per_writer_streams = 50
    per_stream = max(1, total_events // writers // per_writer_streams)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(writers + 1)
    out = context.Queue()
    processes = [
        context.Process(target=_writer, args=(url, i, per_writer_streams, per_stream, start, out)) for i in range(writers)
    ]
    for process in processes:
        process.start()
    start.wait()
    began = time.perf_counter()
    latencies: list[float] = []
    for _ in processes:
        latencies.extend(out.get())
    elapsed = time.perf_counter() - began
    for process in processes:
        process.join()
    expected = writers * per_writer_streams * per_stream
    counts = verify(url)
    return {
        "writers": writers,
        "events": expected,
        "events_per_s": round(expected / elapsed),
        **percentiles(latencies),
        "rows": counts["rows"],
        "lost": expected - counts["rows"],
        "duplicates": counts["duplicates"],
        "gaps": counts["gaps"],
    }
