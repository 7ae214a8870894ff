"""Editing any stored byte of an event makes ``caseflow verify`` exit 1 naming that event."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Connection, text

from caseflow.adapters.database import make_engine
from caseflow.adapters.event_store import SqlEventStore
from caseflow.cli import main
from caseflow.domain.events import NewEvent
from tests.conftest import Database

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
