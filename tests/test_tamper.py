"""Editing any stored byte of an event makes ``caseflow verify`` exit 1 naming that event; editing a snapshot (a cache
of a stream's state that the app's role may write) is never served, and ``caseflow verify`` names it too."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Connection, text

from caseflow.adapters.database import make_engine, write_transaction
from caseflow.adapters.event_store import SqlEventStore
from caseflow.bootstrap import Services
from caseflow.cli import main
from caseflow.demo import make_upn
from caseflow.domain.errors import NotFound
from caseflow.domain.events import NewEvent
from caseflow.services.streams import SNAPSHOT_EVERY, load_pupil
from tests.conftest import OTHER_SCHOOL, SCHOOL, Database, principal
from tests.test_pupil_snapshots import pupil_events

CONTENT_COLUMNS = [
    "stream_id",
    "stream_type",
    "version",
    "event_type",
    "schema_version",
    "data",
    "actor",
    "role",
    "occurred_at",
    "recorded_at",
    "workflow_version",
    "prev_hash",
    "hash",
]


def _event(n: int) -> NewEvent:
    return NewEvent(
        "NoteAdded", {"text": f"note {n}", "pupil_id": "p"}, "dsl", "dsl", datetime(2026, 1, 1, tzinfo=UTC), "support_journey@1"
    )


@contextmanager
def owner_connection(database: Database) -> Iterator[Connection]:
    """The schema owner, with the append-only trigger out of the way (what an attacker with owner rights can do)."""
    engine = make_engine(database.owner_url, app_role=False)
    with engine.connect() as conn:
        if database.backend == "postgres":
            conn.execute(text("ALTER TABLE events DISABLE TRIGGER events_no_change"))
        else:
            conn.execute(text("DROP TRIGGER events_no_update"))
        conn.commit()
        try:
            yield conn
        finally:
            if database.backend == "postgres":
                conn.execute(text("ALTER TABLE events ENABLE ALWAYS TRIGGER events_no_change"))
            else:
                conn.execute(
                    text("CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'append-only'); END")
                )
            conn.commit()
    engine.dispose()


def _altered(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 10  # clear of the unique (stream, version) pairs
    if isinstance(value, datetime):
        return value + timedelta(microseconds=1)
    if isinstance(value, str):
        if value.endswith("Z") and "T" in value:  # SQLite's stored instant
            return value[:-2] + ("1" if value[-2] != "1" else "2") + "Z"
        middle = len(value) // 2
        return value[:middle] + ("x" if value[middle] != "x" else "y") + value[middle + 1 :]
    raise AssertionError(type(value))


def _verify(database: Database, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    monkeypatch.setenv("CASEFLOW_DATABASE_URL", database.url)
    return CliRunner().invoke(main, ["verify", *args])


@pytest.mark.parametrize("column", CONTENT_COLUMNS)
def test_editing_any_stored_field_is_detected_and_named(database: Database, monkeypatch: pytest.MonkeyPatch, column: str) -> None:
    store = SqlEventStore(make_engine(database.url))
    store.append("case-a", "case", 0, [_event(1), _event(2), _event(3)])
    store.append("case-b", "case", 0, [_event(4)])
    assert _verify(database, monkeypatch).exit_code == 0

    with owner_connection(database) as conn:
        original = conn.execute(text(f"SELECT {column} FROM events WHERE stream_id = 'case-a' AND version = 2")).scalar_one()
        conn.execute(
            text(f"UPDATE events SET {column} = :value WHERE stream_id = 'case-a' AND version = 2"), {"value": _altered(original)}
        )
        conn.commit()

    result = _verify(database, monkeypatch)
    assert result.exit_code == 1, result.output
    if column != "stream_id":
        assert "case-a version 2" in result.output
    else:  # the moved event leaves a gap at version 2 of its own stream
        assert "version 2" in result.output or "version 1" in result.output
    assert _verify(database, monkeypatch, "--case", "case-b").exit_code == 0


def test_deleting_or_reordering_events_is_detected(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SqlEventStore(make_engine(database.url))
    store.append("case-a", "case", 0, [_event(1), _event(2), _event(3)])
    engine = make_engine(database.owner_url, app_role=False)
    with engine.begin() as conn:
        if database.backend == "postgres":
            conn.execute(text("ALTER TABLE events DISABLE TRIGGER events_no_change"))
        else:
            conn.execute(text("DROP TRIGGER events_no_delete"))
        conn.execute(text("DELETE FROM events WHERE stream_id = 'case-a' AND version = 2"))
    result = _verify(database, monkeypatch, "--case", "case-a")
    assert result.exit_code == 1
    assert "case-a version 2" in result.output


# --- snapshots: a cache the app's role may write, sealed so that an edit is never served -----------------------


def _long_case(svc: Services) -> str:
    """A case at ``SNAPSHOT_EVERY`` events (the case and its pupil at SCHOOL), so it has a snapshot."""
    dsl = principal(svc, "dsl")
    pupil = svc.pupils.register(
        dsl, {"upn": make_upn("881", "2001", 2019, 91), "given_name": "Ana", "family_name": "Ng",
              "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    data = {"pupil_id": pupil.id, "need_areas": ["attendance"], "description": "Missing Mondays."}
    case_id = svc.cases.open_case(dsl, data).id
    svc.cases.act(dsl, case_id, "start_one_plan", 1, {})
    for version in range(2, SNAPSHOT_EVERY):
        svc.cases.act(dsl, case_id, "record_plan", version, {"strengths": f"Reads daily ({version})"})
    assert svc.store.latest_snapshot(case_id) is not None
    return case_id


def _forge(svc: Services, stream_id: str, **changes: Any) -> None:
    """What the app's role may do: rewrite a snapshot's state, keeping its version, hash and seal."""
    with write_transaction(svc.engine) as conn:
        state = json.loads(conn.execute(text("SELECT state FROM snapshots WHERE stream_id = :s"), {"s": stream_id}).scalar_one())
        state.update(changes)
        conn.execute(
            text("UPDATE snapshots SET state = :state WHERE stream_id = :s"), {"state": json.dumps(state), "s": stream_id}
        )


def test_a_forged_case_snapshot_is_not_served_and_verify_names_it(
    services: Services, database: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The tester's finding: a case's snapshot rewritten to closed, at another school, its facts gone, was what
    the case page and the API showed, school B's DSL could read school A's child, and ``caseflow verify`` said OK."""
    case_id = _long_case(services)
    honest = services.cases.view(principal(services, "dsl"), case_id).case.summary()
    _forge(services, case_id, state="closed", school_urn=OTHER_SCHOOL, facts=[])

    with caplog.at_level("WARNING", logger="caseflow.adapters.event_store"):
        seen = services.cases.view(principal(services, "dsl"), case_id).case
        with pytest.raises(NotFound):
            services.cases.view(principal(services, "other_dsl"), case_id)
    assert seen.summary() == honest and seen.state == "one_plan" and seen.school_urn == SCHOOL
    assert f"snapshot of {case_id} at version {SNAPSHOT_EVERY} does not match its seal" in caplog.text
    assert services.store.latest_snapshot(case_id) is None

    result = _verify(database, monkeypatch)
    assert result.exit_code == 1, result.output
    assert f"TAMPERED: snapshot of stream {case_id} at version {SNAPSHOT_EVERY}" in result.output
    assert _verify(database, monkeypatch, "--case", case_id).exit_code == 1

    # the forged row stays as evidence (the next snapshot does not replace it) until an operator clears it
    services.cases.act(principal(services, "dsl"), case_id, "record_plan", SNAPSHOT_EVERY, {"strengths": "Kind"})
    assert _verify(database, monkeypatch).exit_code == 1
    assert CliRunner().invoke(main, ["snapshots", "clear"]).exit_code == 0
    assert _verify(database, monkeypatch).exit_code == 0
    assert services.cases.view(principal(services, "dsl"), case_id).case.version == SNAPSHOT_EVERY + 1


def test_a_forged_pupil_snapshot_is_not_served_and_verify_names_it(
    services: Services, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pupil's snapshot holds their school and allocated social workers, which decide who may see their cases."""
    store = SqlEventStore(services.engine)  # no projectors (these events are the store's tests', not all a form's)
    store.append("p1", "pupil", 0, pupil_events(SNAPSHOT_EVERY))
    honest = load_pupil(store, "p1")
    assert store.latest_snapshot("p1") is not None
    _forge(services, "p1", school_urn=OTHER_SCHOOL, episodes=[])
    assert load_pupil(store, "p1") == honest and honest.school_urn == SCHOOL
    result = _verify(database, monkeypatch)
    assert result.exit_code == 1 and "TAMPERED: snapshot of stream p1 at version" in result.output


@pytest.mark.parametrize("how", ["no seal", "another stream's", "another data key"])
def test_a_snapshot_not_sealed_by_this_store_for_this_stream_is_not_used(database: Database, how: str) -> None:
    store = SqlEventStore(make_engine(database.url), data_key=os.urandom(32))
    written = store.append("case-a", "case", 0, [_event(n) for n in range(3)])
    store.append("case-b", "case", 0, [_event(n) for n in range(3)])
    store.save_snapshot("case-a", 3, written[-1].hash, {"schema": 1, "honest": True})
    assert store.load_from_snapshot("case-a")[0] == (3, {"schema": 1, "honest": True}), "an honest snapshot is used"
    if how == "no seal":
        with write_transaction(store.engine) as conn:
            conn.execute(text("UPDATE snapshots SET seal = NULL"))
        target = "case-a"
    elif how == "another stream's":  # the same state and seal, under case-b's id and its event's hash
        with write_transaction(store.engine) as conn:
            conn.execute(
                text("INSERT INTO snapshots (stream_id, version, last_hash, state, taken_at, seal) "
                     "SELECT 'case-b', version, (SELECT hash FROM events WHERE stream_id = 'case-b' AND version = 3), "
                     "state, taken_at, seal FROM snapshots WHERE stream_id = 'case-a'")
            )  # fmt: skip
        target = "case-b"
    else:
        store = SqlEventStore(store.engine, data_key=os.urandom(32))
        target = "case-a"
    assert store.latest_snapshot(target) is None
    assert store.load_from_snapshot(target) == (None, store.load(target))
    assert [b.stream_id for b in store.verify_snapshots()] == [target] if how != "another data key" else ["case-a"]
    assert store.verify_snapshots("no-such-stream") == []
    store.engine.dispose()
