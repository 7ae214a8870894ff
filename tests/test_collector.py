"""Bulk reads run with Python's cyclic collector paused, and leave it as they found it.

A collection is counted through ``gc.callbacks``: without the pause, building a few thousand
events makes one every 700 new objects; with it, at most the one that follows the read.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest

from caseflow.adapters.collector import collector_paused
from caseflow.adapters.database import make_engine
from caseflow.adapters.event_store import SqlEventStore
from caseflow.adapters.projections import rebuild
from caseflow.bootstrap import bootstrap
from caseflow.demo_la import LaShape, load_la
from caseflow.domain.events import NewEvent
from caseflow.services.ports import StreamWrite
from tests.conftest import Database
from tests.test_event_store import T0

EVENTS = 3_000


@contextmanager
def collections() -> Iterator[list[int]]:
    """The generations of the collections that start inside the block."""
    started: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(info["generation"])

    gc.enable()
    gc.collect()
    gc.callbacks.append(count)
    try:
        yield started
    finally:
        gc.callbacks.remove(count)


def test_the_collector_is_off_inside_and_back_on_after_even_on_an_error() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("the read failed")
    assert gc.isenabled()


def test_a_caller_who_turned_the_collector_off_keeps_it_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def nested(n: int) -> NewEvent:
    """An event whose data holds containers, as a plan's or an assessment's does."""
    data = {"text": f"note {n}", "pupil_id": "p1", "school_urn": "100001", "targets": [{"n": n}]}
    return NewEvent("NoteAdded", data, "dsl", "dsl", T0 - timedelta(days=1), "support_journey@1")


def test_loading_and_reading_thousands_of_events_collects_once_at_most(database: Database) -> None:
    store = SqlEventStore(make_engine(database.url))
    store.append_batch([StreamWrite("long", "case", 0, [nested(n) for n in range(EVENTS)])])
    with collections() as loading:
        loaded = store.load("long")
    with collections() as reading:
        logged, _ = store.read_all(limit=EVENTS)
    assert len(loaded) == len(logged) == EVENTS
    assert len(loading) <= 1 and len(reading) <= 1, (loading, reading)
    assert gc.isenabled()
    with collections() as unpaused:  # what the pause saves: the same objects built with the collector on
        rebuilt = [dict(e.data) | {"copy": [e.version]} for e in loaded]
    assert len(rebuilt) == EVENTS and len(unpaused) >= 5


def test_a_rebuild_collects_about_once_a_batch(database: Database) -> None:
    svc = bootstrap(database.url)
    try:
        written = load_la(
            svc, LaShape(schools=3, pupils_per_school=8, events_per_pupil=60, first_urn=400001), echo=lambda _: None
        )
        assert written > 1_000
        with collections() as during:
            assert rebuild(svc.store, batch=700) == svc.store.count()
        batches = -(-svc.store.count() // 700)
        assert gc.isenabled()
        assert len(during) <= batches + 1, (len(during), batches)  # unpaused: over 10
    finally:
        svc.close()
