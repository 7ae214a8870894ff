"""`make bench` is measured, not tested; this tiny run only keeps the benchmark code from rotting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import run


def test_a_quick_bench_run_prints_one_json_object_with_every_suite(capsys: pytest.CaptureFixture[str]) -> None:
    assert run.main(["--quick", "--no-peer", "--backends", "sqlite", "--suites", "store,full,writers,app,la"]) == 0
    report = json.loads(capsys.readouterr().out)
    ours = report["caseflow"]["sqlite"]
    assert ours["store"]["append_1pertx"]["events_per_s"] > 0 and ours["store"]["replay_10k"]["with_snapshot_ms"] is not None
    assert ours["store"]["writers_4"]["lost"] == 0 == ours["store"]["writers_4"]["duplicates"]
    assert ours["app"]["la"]["events"] > 0 and ours["app"]["la"]["view"]["calls"] > 0
    assert report["targets"]["writers_no_lost_or_duplicated_events"] is True
    assert report["targets"]["sqlite_append_1pertx_1.2x_peer"] is None  # no peer in this run: nothing to compare


def test_a_missing_peer_benchmark_stops_the_run_before_any_figure_is_measured(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(run, "PEER", tmp_path / "nowhere.py")
    measured: list[str] = []
    monkeypatch.setattr(run, "ours_once", lambda *a, **k: measured.append("ours") or {})
    with pytest.raises(SystemExit, match="CASEFLOW_PEER_BENCH"):
        run.main(["--quick", "--backends", "sqlite", "--suites", "store"])
    assert measured == []
