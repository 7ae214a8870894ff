"""Run the peer benchmark (``peer_eventsourcing.py``: the ``eventsourcing`` library, raw drivers and
SQLAlchemy) in a subprocess of the same venv, with ``--json-out``, against a throw-away SQLite
folder under /tmp and a throw-away PostgreSQL database ``cf_bench_peer_*``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
#: the peer benchmark lives in shared/, beside the project (override with CASEFLOW_PEER_BENCH)
PEER = Path(os.environ.get("CASEFLOW_PEER_BENCH", ROOT.parent / "shared" / "bench" / "peer_eventsourcing.py"))
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"


@dataclass(frozen=True)
class PeerSizes:
    streams: int = 200
    events_per_stream: int = 50
    batch_events: int = 10_000
    batch_size: int = 100
    replay_runs: int = 5
    request_cycles: int = 20
    writers: int = 4

    def args(self) -> list[str]:
        return [
            "--streams", str(self.streams), "--events-per-stream", str(self.events_per_stream),
            "--batch-events", str(self.batch_events), "--batch-size", str(self.batch_size),
            "--replay-runs", str(self.replay_runs), "--request-cycles", str(self.request_cycles),
            "--writers", str(self.writers),
        ]  # fmt: skip


@contextmanager
def peer_places(backends: list[str]) -> Iterator[tuple[Path, str | None]]:
    """A /tmp folder for the SQLite files and, if PostgreSQL is measured, a database of its own; both removed after."""
    folder = Path(tempfile.mkdtemp(prefix="cf-bench-peer-"))
    database = f"cf_bench_peer_{uuid.uuid4().hex[:10]}" if "postgres" in backends else None
    if database:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
    try:
        yield folder, database
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if database:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def run_peer(backends: list[str], sizes: PeerSizes, folder: Path, database: str | None, run: int) -> dict[str, Any]:
    """One run of the peer script (suites es, raw, sqla and conc); its ``results`` and ``environment``."""
    if not PEER.exists():
        raise SystemExit(f"the peer benchmark is not at {PEER}: set CASEFLOW_PEER_BENCH, or run with --no-peer")
    out = folder / f"peer-run{run}.json"
    args = [
        sys.executable, str(PEER),
        "--sqlite-url", f"sqlite:///{folder / 'bench.db'}",
        "--pg-url", f"{PG_SERVER}/{database or 'test'}",
        "--backends", ",".join(backends),
        "--suites", "es,raw,sqla,conc",
        "--json-out", str(out),
        *sizes.args(),
    ]  # fmt: skip
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, cwd=folder)
    report = json.loads(out.read_text())
    return {
        "results": report["results"],
        "environment": report.get("environment", {}),
        "wall_seconds": report.get("wall_seconds"),
    }
