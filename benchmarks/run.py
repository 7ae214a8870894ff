"""``make bench``: Caseflow's benchmarks and the peer's (the ``eventsourcing`` library and the
raw-driver floors, ../shared/bench/peer_eventsourcing.py) in the same run, on SQLite and on the
PostgreSQL at 127.0.0.1:5432. Prints one JSON object: every figure (medians of the runs), the
ratios to the peer and to the raw floor, and whether each target of issue #5 is met.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import text  # noqa: E402

from benchmarks import dashboard_bench, http_cycle, workloads  # noqa: E402
from caseflow.adapters.database import make_engine  # noqa: E402
from caseflow.adapters.migrate import upgrade  # noqa: E402

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
#: the peer benchmark lives in shared/, beside the project (override with CASEFLOW_PEER_BENCH)
PEER = Path(os.environ.get("CASEFLOW_PEER_BENCH", ROOT.parent / "shared" / "bench" / "peer_eventsourcing.py"))


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@contextmanager
def fresh_database(backend: str) -> Iterator[str]:
    """A new, migrated database; on PostgreSQL the app connects as caseflow_app, as in production."""
    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="cf-bench-"))
        url = f"sqlite:///{folder / 'bench.db'}"
        upgrade(url)
        try:
            yield url
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    name = f"cf_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        upgrade(f"postgresql://postgres@127.0.0.1:5432/{name}")
        yield f"postgresql://caseflow_app@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def integrity(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM events")).scalar_one()
        distinct = conn.execute(text("SELECT count(*) FROM (SELECT DISTINCT stream_id, version FROM events) d")).scalar_one()
        gaps = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT stream_id, max(version) AS m, count(*) AS c FROM events GROUP BY stream_id) s WHERE m <> c"
            )
        ).scalar_one()
    engine.dispose()
    return {"rows": rows, "duplicates": rows - distinct, "gaps": gaps}


def ours_once(backend: str, quick: bool) -> dict[str, Any]:
    streams, per_stream = (20, 10) if quick else (200, 50)
    long_case = 1_000 if quick else 10_000
    result: dict[str, Any] = {}
    with fresh_database(backend) as url:
        log(f"{backend}: append 1/commit {streams}x{per_stream} (event store, hash chain on)")
        result["append_1pertx"] = workloads.append_one_per_commit(url, streams, per_stream, projections=False)
    with fresh_database(backend) as url:
        log(f"{backend}: append 1/commit with inline projections")
        result["append_1pertx_with_projections"] = workloads.append_one_per_commit(url, streams, per_stream, projections=True)
        log(f"{backend}: batch append {long_case} in 100s, replay, read the log, rebuild projections")
        result["batch_append"] = workloads.batch_append(url, long_case, 100)
        result["replay_10k"] = workloads.replay(url, 3 if quick else 5)
        result["read_all"] = workloads.read_whole_log(url)
        result["projection_rebuild"] = workloads.rebuild_projections(url)
    writer_counts = [4] if backend == "sqlite" or quick else [4, 16]
    for writers in writer_counts:
        with fresh_database(backend) as url:
            log(f"{backend}: {writers} concurrent writer processes")
            result[f"writers_{writers}"] = workloads.concurrent_writers(url, writers, 1_000 if quick else 10_000, integrity)
    with fresh_database(backend) as url:
        log(f"{backend}: cohort dashboard, 30-pupil school")
        result["dashboard_30_pupils"] = dashboard_bench.dashboard(url, pupils=10 if quick else 30, calls=10 if quick else 40)
    if backend == "postgres":
        with fresh_database(backend) as url:
            log("postgres: HTTP action cycle, gunicorn, 16 clients")
            result["http_action_cycle"] = http_cycle.http_cycle(url, clients=16, actions_per_client=10 if quick else 60)
    return result


def peer_once(backends: list[str], quick: bool) -> dict[str, Any]:
    if not PEER.exists():
        raise SystemExit(f"the peer benchmark is not at {PEER}: set CASEFLOW_PEER_BENCH, or run with --no-peer")
    folder = Path(tempfile.mkdtemp(prefix="cf-peer-"))
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'bench'").fetchone():
            conn.execute("CREATE DATABASE bench")
    args = [sys.executable, str(PEER), "--sqlite-url", f"sqlite:///{folder / 'bench.db'}", "--pg-url",
            "postgresql://postgres@127.0.0.1:5432/bench", "--backends", ",".join(backends), "--suites", "es,raw,sqla,conc",
            "--writers", "4", "--json-out", str(folder / "peer.json")]  # fmt: skip
    if quick:
        args += [
            "--streams",
            "20",
            "--events-per-stream",
            "10",
            "--batch-events",
            "1000",
            "--replay-runs",
            "2",
            "--request-cycles",
            "4",
        ]
    log("peer: " + " ".join(args[2:]))
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    peer = json.loads((folder / "peer.json").read_text())
    shutil.rmtree(folder, ignore_errors=True)
    return peer["results"]


def median_tree(samples: list[Any]) -> Any:
    """The element-wise median of several runs' nested figures."""
    first = samples[0]
    if isinstance(first, dict):
        return {k: median_tree([s[k] for s in samples if isinstance(s, dict) and k in s]) for k in first}
    if isinstance(first, bool) or not isinstance(first, int | float):
        return first
    return round(statistics.median(samples), 3)


def pick(tree: dict[str, Any], *path: str) -> float | None:
    node: Any = tree
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node if isinstance(node, int | float) else None


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def compare(ours: dict[str, Any], peer: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    ratios: dict[str, Any] = {}
    targets: dict[str, Any] = {}
    for backend in ours:
        o, p = ours[backend], peer.get(backend, {})
        r = ratios[backend] = {
            "append_1pertx_vs_peer": ratio(pick(o, "append_1pertx", "events_per_s"), pick(p, "es_append_1pertx", "events_per_s")),
            "append_1pertx_vs_raw_floor": ratio(
                pick(o, "append_1pertx", "events_per_s"), pick(p, "raw_insert_1pertx", "events_per_s")
            ),
            "batch_append_vs_peer": ratio(pick(o, "batch_append", "events_per_s"), pick(p, "es_batch_append", "events_per_s")),
            "replay_10k_vs_raw_select_floor": ratio(pick(o, "replay_10k", "replay_ms"), pick(p, "raw_select_10k", "median_ms")),
            "replay_10k_vs_peer_nosnap": ratio(pick(o, "replay_10k", "replay_ms"), pick(p, "es_replay_nosnap", "median_ms")),
            "replay_with_snapshot_vs_peer": ratio(
                pick(o, "replay_10k", "replay_with_snapshot_ms"), pick(p, "es_replay_snapshot", "median_ms")
            ),
            "writers_4_vs_peer": ratio(pick(o, "writers_4", "events_per_s"), pick(p, "conc_es_1pertx", "events_per_s")),
        }
        need = 1.2 if backend == "sqlite" else 1.5
        targets[f"{backend}_append_1pertx_{need}x_peer"] = (r["append_1pertx_vs_peer"] or 0) >= need
        targets[f"{backend}_replay_10k_within_2x_raw_floor"] = (r["replay_10k_vs_raw_select_floor"] or 99) <= 2
        targets[f"{backend}_replay_with_snapshot_2ms"] = (pick(o, "replay_10k", "replay_with_snapshot_ms") or 99) <= 2
        targets[f"{backend}_rebuild_20k_events_per_s"] = (pick(o, "projection_rebuild", "events_per_s") or 0) >= 20_000
        if backend == "postgres":
            targets["postgres_writers_4_3x_peer"] = (r["writers_4_vs_peer"] or 0) >= 3
            targets["postgres_http_p95_30ms"] = (pick(o, "http_action_cycle", "p95_ms") or 99) <= 30
            targets["postgres_http_400_actions_per_s"] = (pick(o, "http_action_cycle", "actions_per_s") or 0) >= 400
        targets[f"{backend}_dashboard_30_pupils_p95_50ms"] = (pick(o, "dashboard_30_pupils", "p95_ms") or 999) <= 50
    targets["la_view_15000_pupils_p95_150ms"] = None  # the LA view and the 15,000-pupil generator are not built yet
    return ratios, targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--quick", action="store_true", help="a tiny smoke run (a few seconds per backend)")
    parser.add_argument("--no-peer", action="store_true", help="skip the peer benchmark")
    args = parser.parse_args(argv)
    backends = [b for b in args.backends.split(",") if b]
    started = time.perf_counter()
    ours_runs: list[dict[str, Any]] = []
    peer_runs: list[dict[str, Any]] = []
    for run in range(args.runs):
        log(f"run {run + 1} of {args.runs}")
        ours_runs.append({b: ours_once(b, args.quick) for b in backends})
        if not args.no_peer:
            peer_runs.append(peer_once(backends, args.quick))
    ours = median_tree(ours_runs)
    peer = median_tree(peer_runs) if peer_runs else {}
    ratios, targets = compare(ours, peer)
    report = {
        "benchmark": "caseflow",
        "runs": args.runs,
        "quick": args.quick,
        "medians_of": args.runs,
        "caseflow": ours,
        "peer_eventsourcing": peer,
        "ratios": ratios,
        "targets": targets,
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
