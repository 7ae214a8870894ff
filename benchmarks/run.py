"""``make bench``: Caseflow's event-store benchmarks and the peer's, in the same run, as ONE JSON object.

For each backend (SQLite file in WAL mode with synchronous=FULL; PostgreSQL at 127.0.0.1:5432, the app
connecting as ``caseflow_app`` to a freshly migrated ``cf_bench_*`` database) and each of ``--runs`` runs:

* ours, on the raw store (``SqlEventStore(engine)``, no projectors) and on the full stack
  (``bootstrap(url).store``, inline projections): append one event per commit (200 cases x 50 events,
  round-robin), batch append (10,000 events, 100 per transaction), replay of the 10,000-event case
  (``SupportCase.replay(id, store.load(id))``; with a snapshot where the store has them), reading the
  whole log with ``read_all`` batches, 4 concurrent writer processes (and 16 on PostgreSQL), each with
  its own streams, one event per commit, started together, then checked for lost/duplicated events;
  peak RSS of the replay and of the ``read_all`` scan, each in a fresh process;
* on PostgreSQL, the HTTP action cycle under gunicorn with 16 clients and, under the same gunicorn
  and clients, its two floors from ``http_floor.py``: a bare WSGI answer, and a framework-free app
  making the action's seven round trips on raw psycopg;
* the peer (``peer_eventsourcing.py --suites es,raw,sqla,conc --writers 4 --json-out``), in a
  subprocess of the same venv.

Every figure is the median of the runs (lost/duplicate counts: the worst run), except the LA suite
(500 schools x 30 children written through the store, rebuilt, then the LA view timed), which runs
in the first run only. Then the ratios to the
peer and to the raw-driver floors, and the targets of issue #5 as true/false (null where not measurable).
Progress goes to stderr; stdout carries only the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from benchmarks import store_bench  # noqa: E402
from benchmarks.peer import PEER, PeerSizes, peer_places, run_peer  # noqa: E402
from caseflow.adapters.migrate import upgrade  # noqa: E402

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
PG_SERVER = "127.0.0.1:5432"
ALL_SUITES = ("store", "full", "writers", "memory", "app", "la")
#: figures where the worst run, not the median, is reported
WORST_OF_RUNS = {"lost", "duplicates", "unexpected", "streams_wrong", "errors"}


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Sizes:
    streams: int = 200
    per_stream: int = 50
    long_case: int = 10_000
    batch: int = 100
    replay_runs: int = 5
    #: writers -> (streams per writer, events per stream); 10,000 events each, like the peer's conc suite
    writer_shapes: tuple[tuple[int, int, int], ...] = ((4, 50, 50), (16, 25, 25))
    #: the LA at the issue's scale: 500 schools, 15,000 children, 100 events a child (1.5 million)
    la: tuple[int, int, int] = (500, 30, 100)

    def peer(self) -> PeerSizes:
        return PeerSizes(self.streams, self.per_stream, self.long_case, self.batch, self.replay_runs, 20, 4)


FULL = Sizes()
QUICK = Sizes(
    streams=20, per_stream=10, long_case=1_000, batch=100, replay_runs=2, writer_shapes=((4, 5, 10), (16, 2, 5)), la=(20, 10, 24)
)


def postgres_reachable() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return str(error).strip()


@contextmanager
def fresh_database(backend: str) -> Iterator[str]:
    """A new migrated database, dropped after: a file under /tmp, or ``cf_bench_*`` used as ``caseflow_app``."""
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
        upgrade(f"postgresql://postgres@{PG_SERVER}/{name}")
        yield f"postgresql://caseflow_app@{PG_SERVER}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def ours_once(backend: str, sizes: Sizes, suites: set[str]) -> dict[str, Any]:
    store: dict[str, Any] = {}
    full: dict[str, Any] = {}
    memory: dict[str, Any] = {}
    app: dict[str, Any] = {}
    n_single = sizes.streams * sizes.per_stream
    if suites & {"store", "memory"}:
        with fresh_database(backend) as url:
            log(f"{backend}: store append 1/commit, {sizes.streams} cases x {sizes.per_stream}")
            store["append_1pertx"] = store_bench.append_one_per_commit(url, sizes.streams, sizes.per_stream, "store")
            log(f"{backend}: store batch append {sizes.long_case} in {sizes.batch}s")
            store["batch_append"] = store_bench.batch_append(url, sizes.long_case, sizes.batch, "store")
            log(f"{backend}: replay of the {sizes.long_case}-event case")
            store["replay_10k"] = store_bench.replay(url, sizes.replay_runs)
            log(f"{backend}: read_all over {n_single + sizes.long_case} events")
            store["read_all"] = store_bench.read_all_throughput(url)
            if "memory" in suites:
                log(f"{backend}: peak RSS (fresh processes): replay, read_all")
                memory["replay_10k"] = store_bench.peak_rss(url, "replay")
                memory["read_all"] = store_bench.peak_rss(url, "read_all")
            store["projection_rebuild"] = store_bench.rebuild_projections(url)
    if "full" in suites:
        with fresh_database(backend) as url:
            log(f"{backend}: full stack (inline projections) append 1/commit and batch append")
            full["append_1pertx"] = store_bench.append_one_per_commit(url, sizes.streams, sizes.per_stream, "full")
            full["batch_append"] = store_bench.batch_append(url, sizes.long_case, sizes.batch, "full")
    if "writers" in suites:
        for writers, streams, per_stream in sizes.writer_shapes:
            if writers > 4 and backend == "sqlite":
                continue
            with fresh_database(backend) as url:
                log(f"{backend}: {writers} writer processes x {streams} streams x {per_stream} (store)")
                store[f"writers_{writers}"] = store_bench.concurrent_writers(url, writers, streams, per_stream, "store")
        if "full" in suites:
            writers, streams, per_stream = sizes.writer_shapes[0]
            with fresh_database(backend) as url:
                log(f"{backend}: {writers} writer processes (full stack)")
                full[f"writers_{writers}"] = store_bench.concurrent_writers(url, writers, streams, per_stream, "full")
    if "app" in suites:
        from benchmarks import dashboard_bench, http_cycle

        quick = sizes == QUICK
        with fresh_database(backend) as url:
            log(f"{backend}: cohort dashboard, 30-pupil school")
            app["dashboard_30_pupils"] = dashboard_bench.dashboard(url, pupils=10 if quick else 30, calls=10 if quick else 40)
        with fresh_database(backend) as url:
            log(f"{backend}: case page of a long journey (300 events, pupil with 380 days of attendance)")
            app["case_page_long_journey"] = (
                dashboard_bench.case_page(url, case_events=30, school_days=20, calls=5)
                if quick
                else dashboard_bench.case_page(url)
            )
        if backend == "postgres":
            with fresh_database(backend) as url:
                log("postgres: HTTP action cycle, gunicorn, 16 clients")
                app["http_action_cycle"] = http_cycle.http_cycle(url, clients=16, actions_per_client=10 if quick else 200)
            for floor in ("raw_sql", "bare"):
                with fresh_database(backend) as url:
                    log(f"postgres: HTTP floor '{floor}' under the same gunicorn and clients")
                    app[f"http_floor_{floor}"] = http_cycle.http_cycle(
                        url, clients=16, actions_per_client=10 if quick else 200, app=f"benchmarks.http_floor:{floor}"
                    )
    if "la" in suites:
        from benchmarks.la_bench import la_view
        from caseflow.demo_la import LaShape

        schools, per_school, per_pupil = sizes.la
        with fresh_database(backend) as url:
            log(f"{backend}: LA of {schools} schools x {per_school} children: write, rebuild, LA view")
            app["la"] = la_view(url, LaShape(schools=schools, pupils_per_school=per_school, events_per_pupil=per_pupil))
    return {"store": store, "full_stack": full, "memory": memory, "app": app}


# --- medians and comparisons -------------------------------------------------------------------


def median_tree(samples: list[Any], key: str = "") -> Any:
    """The element-wise median of several runs' figures; the worst run for loss counts, all() for checks."""
    first = samples[0]
    if isinstance(first, dict):
        return {k: median_tree([s[k] for s in samples if isinstance(s, dict) and k in s], k) for k in first}
    if isinstance(first, bool):
        return all(samples)
    if first is None or not isinstance(first, int | float):
        return first
    values = [s for s in samples if isinstance(s, int | float)]
    if key in WORST_OF_RUNS:
        return max(values)
    return round(statistics.median(values), 3)


def pick(tree: dict[str, Any], *path: str) -> float | None:
    node: Any = tree
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node if isinstance(node, int | float) and not isinstance(node, bool) else None


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def at_least(value: float | None, need: float) -> bool | None:
    return None if value is None else value >= need


def at_most(value: float | None, limit: float) -> bool | None:
    return None if value is None else value <= limit


def compare(ours: dict[str, Any], peer: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Ratios (ours / theirs for throughput, ours / theirs for times), targets (booleans) and the values behind them."""
    ratios: dict[str, Any] = {}
    targets: dict[str, bool | None] = {}
    detail: dict[str, Any] = {}

    def target(
        name: str, value: float | None, need: float, check: Callable[[float | None, float], bool | None], what: str
    ) -> None:
        targets[name] = check(value, need)
        detail[name] = {"value": value, "need": ("<= " if check is at_most else ">= ") + str(need), "figure": what}

    for backend, o in ours.items():
        p = peer.get(backend, {})
        s, f, m, a = o["store"], o["full_stack"], o["memory"], o["app"]
        eps = "events_per_s"
        r = ratios[backend] = {
            "append_1pertx_vs_peer": ratio(pick(s, "append_1pertx", eps), pick(p, "es_append_1pertx", eps)),
            "append_1pertx_full_stack_vs_peer": ratio(pick(f, "append_1pertx", eps), pick(p, "es_append_1pertx", eps)),
            "append_1pertx_vs_raw_floor": ratio(pick(s, "append_1pertx", eps), pick(p, "raw_insert_1pertx", eps)),
            "append_1pertx_vs_sqla_core": ratio(pick(s, "append_1pertx", eps), pick(p, "sqla_core_1pertx", eps)),
            "batch_append_vs_peer": ratio(pick(s, "batch_append", eps), pick(p, "es_batch_append", eps)),
            "batch_append_full_stack_vs_peer": ratio(pick(f, "batch_append", eps), pick(p, "es_batch_append", eps)),
            "batch_append_vs_raw_floor": ratio(pick(s, "batch_append", eps), pick(p, "raw_batch_append", eps)),
            "replay_10k_nosnap_vs_raw_select_floor": ratio(
                pick(s, "replay_10k", "nosnap_ms"), pick(p, "raw_select_10k", "median_ms")
            ),
            "replay_10k_load_only_vs_raw_select_floor": ratio(
                pick(s, "replay_10k", "load_only_ms"), pick(p, "raw_select_10k", "median_ms")
            ),
            "replay_10k_nosnap_vs_peer_nosnap": ratio(
                pick(s, "replay_10k", "nosnap_ms"), pick(p, "es_replay_nosnap", "median_ms")
            ),
            "replay_10k_with_snapshot_vs_peer_snapshot": ratio(
                pick(s, "replay_10k", "with_snapshot_ms"), pick(p, "es_replay_snapshot", "median_ms")
            ),
            "writers_4_vs_peer": ratio(pick(s, "writers_4", eps), pick(p, "conc_es_1pertx", eps)),
            "writers_4_full_stack_vs_peer": ratio(pick(f, "writers_4", eps), pick(p, "conc_es_1pertx", eps)),
            "writers_4_vs_raw_floor": ratio(pick(s, "writers_4", eps), pick(p, "conc_raw_1pertx", eps)),
            "writers_4_vs_one_writer": ratio(pick(s, "writers_4", eps), pick(s, "append_1pertx", eps)),
            "writers_16_vs_writers_4": ratio(pick(s, "writers_16", eps), pick(s, "writers_4", eps)),
            "http_actions_per_s_vs_raw_sql_floor": ratio(
                pick(a, "http_action_cycle", "actions_per_s"), pick(a, "http_floor_raw_sql", "actions_per_s")
            ),
            "http_p95_vs_raw_sql_floor": ratio(pick(a, "http_action_cycle", "p95_ms"), pick(a, "http_floor_raw_sql", "p95_ms")),
        }
        r = {k: v for k, v in r.items() if v is not None or not k.startswith("http_")}
        need = 1.2 if backend == "sqlite" else 1.5
        target(
            f"{backend}_append_1pertx_{need}x_peer",
            r["append_1pertx_vs_peer"],
            need,
            at_least,
            "store append 1/commit / peer save()",
        )
        target(f"{backend}_append_1pertx_full_stack_{need}x_peer", r["append_1pertx_full_stack_vs_peer"], need, at_least,
               "full-stack append 1/commit / peer save() (informational)")  # fmt: skip
        if backend == "postgres":
            target("postgres_writers_4_3x_peer", r["writers_4_vs_peer"], 3, at_least, "4 writer processes, store / peer")
            target("postgres_writers_4_full_stack_3x_peer", r["writers_4_full_stack_vs_peer"], 3, at_least,
                   "4 writer processes, full stack / peer (informational)")  # fmt: skip
        target(f"{backend}_replay_10k_nosnap_within_2x_raw_floor", r["replay_10k_nosnap_vs_raw_select_floor"], 2, at_most,
               "replay (load + apply) ms / raw-driver SELECT+decode ms")  # fmt: skip
        target(f"{backend}_replay_10k_with_snapshot_2ms", pick(s, "replay_10k", "with_snapshot_ms"), 2, at_most,
               "load_case from a snapshot, ms (null: no snapshots)")  # fmt: skip
        target(f"{backend}_rebuild_20k_events_per_s", pick(s, "projection_rebuild", eps), 20_000, at_least, "projection rebuild")
        targets[f"{backend}_read_all_memory_flat"] = m.get("read_all", {}).get("flat") if m else None
        if a:
            target(
                f"{backend}_dashboard_30_pupils_p95_50ms",
                pick(a, "dashboard_30_pupils", "p95_ms"),
                50,
                at_most,
                "dashboard p95 ms",
            )
            target(f"{backend}_la_view_p95_150ms", pick(a, "la", "view", "p95_ms"), 150, at_most, "LA view p95 ms")
            target(f"{backend}_la_rebuild_20k_events_per_s", pick(a, "la", "rebuild_events_per_s"), 20_000, at_least,
                   "projection rebuild of the LA (realistic mix)")  # fmt: skip
            if backend == "postgres":
                target("postgres_http_p95_30ms", pick(a, "http_action_cycle", "p95_ms"), 30, at_most, "HTTP action p95 ms")
                target(
                    "postgres_http_400_actions_per_s",
                    pick(a, "http_action_cycle", "actions_per_s"),
                    400,
                    at_least,
                    "HTTP actions/s",
                )
                # The same figures for a framework-free app making the same round trips, same run:
                # what this machine allows before any of Caseflow's code runs.
                detail["postgres_http_p95_30ms"]["raw_sql_floor"] = pick(a, "http_floor_raw_sql", "p95_ms")
                detail["postgres_http_400_actions_per_s"]["raw_sql_floor"] = pick(a, "http_floor_raw_sql", "actions_per_s")
    writer_checks = [
        w for o in ours.values() for part in (o["store"], o["full_stack"]) for k, w in part.items() if k.startswith("writers_")
    ]
    targets["writers_no_lost_or_duplicated_events"] = (
        all(w["lost"] == 0 and w["duplicates"] == 0 and w["unexpected"] == 0 and w["streams_wrong"] == 0 and w["chain_valid"]
            for w in writer_checks) if writer_checks else None
    )  # fmt: skip
    return ratios, targets, detail


def spreads(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The per-run values of the headline figures, to judge the noise behind each median."""
    heads = {
        "append_1pertx_events_per_s": ("store", "append_1pertx", "events_per_s"),
        "batch_append_events_per_s": ("store", "batch_append", "events_per_s"),
        "replay_10k_nosnap_ms": ("store", "replay_10k", "nosnap_ms"),
        "writers_4_events_per_s": ("store", "writers_4", "events_per_s"),
        "writers_16_events_per_s": ("store", "writers_16", "events_per_s"),
        "full_stack_append_1pertx_events_per_s": ("full_stack", "append_1pertx", "events_per_s"),
    }
    out: dict[str, Any] = {}
    for backend in runs[0]:
        out[backend] = {name: [pick(run[backend], *path) for run in runs] for name, path in heads.items()}
        out[backend] = {k: v for k, v in out[backend].items() if any(x is not None for x in v)}
    return out


def peer_spreads(runs: list[dict[str, Any]]) -> dict[str, Any]:
    names = ("es_append_1pertx", "raw_insert_1pertx", "es_batch_append", "conc_es_1pertx", "conc_raw_1pertx")
    out: dict[str, Any] = {}
    for backend in runs[0] if runs else {}:
        out[backend] = {n: [pick(run[backend], n, "events_per_s") for run in runs] for n in names}
        out[backend] |= {n: [pick(run[backend], n, "median_ms") for run in runs] for n in ("raw_select_10k", "es_replay_nosnap")}
    return out


def environment(backends: list[str]) -> dict[str, Any]:
    env: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "sqlite_library": sqlite3.sqlite_version,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    if "postgres" in backends:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            env["postgres_server"] = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
            env["postgres_settings"] = {
                k: conn.execute(f"SHOW {k}").fetchone()[0]  # type: ignore[index]
                for k in ("synchronous_commit", "fsync", "max_connections", "shared_buffers")
            }
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--runs", type=int, default=None, help="runs of ours and of the peer (medians); default 3, 1 with --quick"
    )
    parser.add_argument("--backends", default="sqlite,postgres", help="comma list of sqlite,postgres")
    parser.add_argument("--quick", action="store_true", help="a tiny smoke run: small sizes, one run, no app suite (< 20 s)")
    parser.add_argument(
        "--suites", default=None, help=f"comma list of {','.join(ALL_SUITES)}; default all (all but app with --quick)"
    )
    parser.add_argument("--no-peer", action="store_true", help="skip the peer benchmark")
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - {"sqlite", "postgres"}
    if unknown:
        parser.error(f"unknown backends: {sorted(unknown)}")
    suites = set((args.suites or ",".join(s for s in ALL_SUITES if not (args.quick and s == "app"))).split(","))
    runs = args.runs or (1 if args.quick else 3)
    sizes = QUICK if args.quick else FULL
    if "postgres" in backends and (problem := postgres_reachable()):
        raise SystemExit(
            f"PostgreSQL at {PG_SERVER} is not reachable ({problem}); run .ci/ensure-system-deps or --backends sqlite"
        )
    started = time.perf_counter()
    env = environment(backends)
    ours_runs: list[dict[str, Any]] = []
    if not args.no_peer and not PEER.exists():  # before half an hour of our own figures, not after
        raise SystemExit(f"the peer benchmark is not at {PEER}: set CASEFLOW_PEER_BENCH, or run with --no-peer")
    peer_runs: list[dict[str, Any]] = []
    peer_env: dict[str, Any] = {}
    with peer_places(backends if not args.no_peer else []) as (folder, peer_db):
        for run in range(1, runs + 1):
            log(f"run {run} of {runs}: ours")
            # the LA (hundreds of thousands of events to write first) is measured in the first run only
            ours_runs.append({b: ours_once(b, sizes, suites if run == 1 else suites - {"la"}) for b in backends})
            if not args.no_peer:
                log(f"run {run} of {runs}: peer")
                peer = run_peer(backends, sizes.peer(), folder, peer_db, run)
                peer_runs.append(peer["results"])
                peer_env = peer["environment"]
    ours = median_tree(ours_runs)
    peer_median = median_tree(peer_runs) if peer_runs else {}
    ratios, targets, detail = compare(ours, peer_median)
    env["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    env["peer_packages"] = peer_env.get("packages")
    report = {
        "benchmark": "caseflow",
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - (time.perf_counter() - started))),
        "quick": args.quick,
        "runs": runs,
        "medians_of": runs,
        "backends": backends,
        "suites": sorted(suites),
        "sizes": asdict(sizes),
        "environment": env,
        "caseflow": ours,
        "peer_eventsourcing": peer_median,
        "ratios": ratios,
        "targets": targets,
        "target_values": detail,
        "per_run": {"caseflow": spreads(ours_runs), "peer": peer_spreads(peer_runs)},
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
