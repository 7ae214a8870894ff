"""Caseflow's event-store workloads, shaped like the peer's (``peer_eventsourcing.py``).

Every workload takes a migrated database URL (the app role ``caseflow_app`` on PostgreSQL) and a
*stack*:

* ``"store"``: ``SqlEventStore(make_engine(url))`` with no projectors: the raw store (hash chain on,
  ``BEGIN IMMEDIATE`` on SQLite, optimistic versions, the per-stream head cache);
* ``"full"``: ``bootstrap(url).store``: the store as the services use it, with the inline projections
  writing the read models in the same transaction.

Each returns plain JSON-able figures. Memory is measured as the peak resident set size of a fresh
process (``VmHWM`` in ``/proc/self/status``, reset after set-up), so the figure is what the machine
sees, not only the Python heap.
"""

from __future__ import annotations

import gc
import multiprocessing
import re
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import text

from caseflow.adapters.database import make_engine
from caseflow.adapters.event_store import Checkpoint, SqlEventStore
from caseflow.domain.case import SupportCase
from caseflow.domain.events import NewEvent

Stack = Literal["store", "full"]
WHEN = datetime(2026, 11, 1, tzinfo=UTC)
LONG_CASE = "long-case"
NOTE = "Check-in done; settled well after breakfast club today."  # ~55 characters, like the peer's note


def note(stream: int, n: int) -> NewEvent:
    """A small case event: about the peer's 120 bytes of JSON. The first event opens the journey."""
    data: dict[str, Any] = {"field": "attendance", "value": f"state-{n % 7}", "note": NOTE, "actor": f"user-{n % 13}"}
    if n == 0:
        data |= {"pupil_id": f"p{stream}", "school_urn": "100001", "to_state": "need_identified", "need_areas": ["attendance"]}
    return NewEvent("NoteAdded", data, "dsl", "dsl", WHEN, "support_journey@1")


def percentiles(seconds: list[float]) -> dict[str, float]:
    """Nearest-rank p50/p95/p99/max in milliseconds (the peer's definition)."""
    if not seconds:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    ordered = sorted(seconds)

    def rank(p: float) -> float:
        k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
        return round(ordered[k] * 1000, 3)

    return {"p50_ms": rank(50), "p95_ms": rank(95), "p99_ms": rank(99), "max_ms": round(ordered[-1] * 1000, 3)}


def open_store(url: str, stack: Stack, **engine_options: Any) -> tuple[SqlEventStore, Callable[[], None]]:
    """The store to measure, and how to release it."""
    if stack == "store":
        engine = make_engine(url, **engine_options)
        return SqlEventStore(engine), engine.dispose
    from caseflow.bootstrap import bootstrap

    services = bootstrap(url, engine=make_engine(url, **engine_options) if engine_options else None)
    return services.store, services.close


# --- single process ----------------------------------------------------------------------------


def append_one_per_commit(url: str, streams: int, per_stream: int, stack: Stack, prefix: str = "bench") -> dict[str, Any]:
    """``streams`` x ``per_stream`` events, one per transaction, round-robin over the streams (a web request each)."""
    store, close = open_store(url, stack)
    latencies: list[float] = []
    started = time.perf_counter()
    for n in range(per_stream):
        for s in range(streams):
            t = time.perf_counter()
            store.append(f"{prefix}-{s}", "case", n, [note(s, n)])
            latencies.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - started
    close()
    total = streams * per_stream
    return {"events": total, "seconds": round(elapsed, 3), "events_per_s": round(total / elapsed, 1), **percentiles(latencies)}


def batch_append(url: str, events: int, batch: int, stack: Stack, stream_id: str = LONG_CASE) -> dict[str, Any]:
    """One stream, ``events`` events in transactions of ``batch``."""
    store, close = open_store(url, stack)
    latencies: list[float] = []
    started = time.perf_counter()
    for start in range(0, events, batch):
        t = time.perf_counter()
        store.append(stream_id, "case", start, [note(0, n) for n in range(start, min(start + batch, events))])
        latencies.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - started
    close()
    return {
        "events": events,
        "batch_size": batch,
        "seconds": round(elapsed, 3),
        "events_per_s": round(events / elapsed, 1),
        "batch_p50_ms": percentiles(latencies)["p50_ms"],
    }


def _median_ms(fn: Callable[[], object], runs: int, collect: bool = False) -> tuple[float, list[float]]:
    """Back-to-back calls, as the peer times its replays. ``collect``: a full garbage collection
    before each call, which leaves the caches cold (it adds about 0.4 ms to a 0.3 ms snapshot load)."""
    times = []
    for _ in range(runs):
        if collect:
            gc.collect()
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 2), [round(x, 2) for x in times]


def replay(url: str, runs: int, stream_id: str = LONG_CASE) -> dict[str, Any]:
    """Rebuild the long case from the raw store: ``SupportCase.replay(id, store.load(id))``.

    Median of ``runs`` after one warm-up call (the peer's method), split into the load (SQL,
    JSON, datetimes, ``StoredEvent``) and the fold (``apply``). With a snapshot, if the store
    has them; ``null`` otherwise.
    """
    store, close = open_store(url, "store")
    t = time.perf_counter()
    case = SupportCase.replay(stream_id, store.load(stream_id))
    first_ms = round((time.perf_counter() - t) * 1000, 2)
    events = case.version
    replay_ms, replay_runs = _median_ms(lambda: SupportCase.replay(stream_id, store.load(stream_id)), runs)
    load_ms, _ = _median_ms(lambda: store.load(stream_id), runs)
    loaded = store.load(stream_id)
    fold_ms, _ = _median_ms(lambda: SupportCase.replay(stream_id, loaded), runs)
    result: dict[str, Any] = {
        "events": events,
        "nosnap_ms": replay_ms,
        "nosnap_runs_ms": replay_runs,
        "nosnap_first_call_ms": first_ms,
        "load_only_ms": load_ms,
        "apply_only_ms": fold_ms,
        "per_event_us": round(replay_ms * 1000 / max(events, 1), 2),
        "with_snapshot_ms": None,
        "take_snapshot_ms": None,
    }
    if hasattr(store, "save_snapshot") and hasattr(case, "to_snapshot"):
        from caseflow.services.streams import load_case

        t = time.perf_counter()
        store.save_snapshot(stream_id, case.version, loaded[-1].hash, case.to_snapshot())
        result["take_snapshot_ms"] = round((time.perf_counter() - t) * 1000, 2)
        resumed = load_case(store, stream_id)
        assert resumed.version == events, (resumed.version, events)
        result["with_snapshot_ms"], result["with_snapshot_runs_ms"] = _median_ms(lambda: load_case(store, stream_id), runs)
        result["with_snapshot_after_gc_ms"], _ = _median_ms(lambda: load_case(store, stream_id), runs, collect=True)
    close()
    return result


def read_all_throughput(url: str, batch: int = 1000) -> dict[str, Any]:
    """Stream the whole global log with ``read_all`` batches, as projections and exports do."""
    store, close = open_store(url, "store")
    total, after = 0, Checkpoint()
    started = time.perf_counter()
    while True:
        found, after = store.read_all(after, batch)
        if not found:
            break
        total += len(found)
    elapsed = time.perf_counter() - started
    close()
    return {"events": total, "batch": batch, "seconds": round(elapsed, 3), "events_per_s": round(total / elapsed, 1)}


def rebuild_projections(url: str) -> dict[str, Any]:
    from caseflow.adapters.projections import rebuild

    store, close = open_store(url, "store")
    started = time.perf_counter()
    done = rebuild(store)
    elapsed = time.perf_counter() - started
    close()
    return {"events": done, "events_per_s": round(done / elapsed, 1)}


# --- memory: peak RSS of a fresh process ---------------------------------------------------------


def _status_kib() -> dict[str, int]:
    with open("/proc/self/status") as status:
        found = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status.read(), re.MULTILINE))
    return {k: int(v) for k, v in found.items()}


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def _memory_child(url: str, kind: str, batch: int) -> dict[str, Any]:
    store, close = open_store(url, "store")
    store.count()  # connect, load the dialect, warm the statement caches
    if kind == "replay":
        SupportCase.replay("warm-up", store.load(LONG_CASE, 1))
    else:
        store.read_all(Checkpoint(), 1)
    gc.collect()
    reset = _reset_peak()
    base = _status_kib()["VmRSS"]
    samples: list[int] = []
    events = 0
    if kind == "replay":
        case = SupportCase.replay(LONG_CASE, store.load(LONG_CASE))
        events = case.version
        samples.append(_status_kib()["VmRSS"])
        del case
    else:
        after = Checkpoint()
        while True:
            found, after = store.read_all(after, batch)
            if not found:
                break
            events += len(found)
            samples.append(_status_kib()["VmRSS"])
    peak = _status_kib()["VmHWM"]
    close()
    mib = 1024.0
    out: dict[str, Any] = {
        "events": events,
        "baseline_rss_mib": round(base / mib, 1),
        "peak_rss_mib": round(peak / mib, 1),
        "peak_over_baseline_mib": round((peak - base) / mib, 1),
        "peak_reset": reset,
    }
    if kind == "read_all":
        first = samples[0] if samples else base
        growth = (max(samples) if samples else base) - first
        out |= {
            "batch": batch,
            "batches": len(samples),
            "rss_after_first_batch_mib": round(first / mib, 1),
            "growth_after_first_batch_mib": round(growth / mib, 1),
            # flat: reading 20x more than one batch must not cost more than a couple of batches' worth
            "flat": growth / mib <= 4.0,
        }
    return out


def peak_rss(url: str, kind: Literal["replay", "read_all"], batch: int = 1000) -> dict[str, Any]:
    """Peak RSS of a fresh (spawned) process that replays the long case, or reads the whole log."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_memory_child, url, kind, batch).result()


# --- concurrent writer processes ---------------------------------------------------------------


def _writer(args: tuple[str, Stack, int, int, int, Any]) -> dict[str, Any]:
    url, stack, index, streams, per_stream, barrier = args
    store, close = open_store(url, stack, pool_size=1, max_overflow=0)
    store.count()  # connect before the start line
    latencies: list[float] = []
    errors: list[str] = []
    barrier.wait()
    t0 = time.perf_counter()
    for n in range(per_stream):
        for s in range(streams):
            t = time.perf_counter()
            try:
                store.append(f"w{index}-{s}", "case", n, [note(s, n)])
            except Exception as error:  # counted and reported: a lost event must show, not crash the run
                errors.append(f"{type(error).__name__}: {error}"[:200])
            latencies.append(time.perf_counter() - t)
    t1 = time.perf_counter()
    close()
    return {"t0": t0, "t1": t1, "lat": latencies, "errors": errors}


def integrity(url: str, expected_streams: int, expected_per_stream: int) -> dict[str, Any]:
    """Lost, duplicated and out-of-place events, and whether every hash chain still verifies."""
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM events")).scalar_one()
        distinct = conn.execute(text("SELECT count(*) FROM (SELECT DISTINCT stream_id, version FROM events) d")).scalar_one()
        streams = conn.execute(text("SELECT count(DISTINCT stream_id) FROM events")).scalar_one()
        bad_streams = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT stream_id FROM events GROUP BY stream_id "
                "HAVING min(version) <> 1 OR max(version) <> :n OR count(*) <> :n) s"
            ),
            {"n": expected_per_stream},
        ).scalar_one()
    chain = SqlEventStore(engine).verify()
    engine.dispose()
    expected = expected_streams * expected_per_stream
    return {
        "expected": expected,
        "rows": rows,
        "lost": max(0, expected - distinct),
        "duplicates": rows - distinct,
        "unexpected": max(0, distinct - expected),
        "streams_wrong": bad_streams + abs(streams - expected_streams),
        "chain_valid": chain.valid,
    }


def concurrent_writers(url: str, writers: int, streams_per_writer: int, per_stream: int, stack: Stack) -> dict[str, Any]:
    """``writers`` processes, each with its own streams, one event per commit, released together by a barrier.

    Throughput is total events over the span from the first writer's start to the last one's end
    (the peer's method). Processes are forked where the platform allows (the peer does the same).
    """
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    with context.Manager() as manager:
        barrier = manager.Barrier(writers)
        with context.Pool(writers) as pool:
            outs = pool.map(_writer, [(url, stack, i, streams_per_writer, per_stream, barrier) for i in range(writers)])
    span = max(o["t1"] for o in outs) - min(o["t0"] for o in outs)
    latencies = [x for o in outs for x in o["lat"]]
    errors = [e for o in outs for e in o["errors"]]
    checks = integrity(url, writers * streams_per_writer, per_stream)
    return {
        "writers": writers,
        "start_method": method,
        "events": checks["expected"],
        "seconds": round(span, 3),
        "events_per_s": round(checks["expected"] / span, 1),
        **percentiles(latencies),
        "errors": len(errors),
        "first_errors": errors[:3],
        **checks,
    }
