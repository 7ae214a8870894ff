"""No UPDATE, DELETE or TRUNCATE of the audit tables is possible through the app's connection."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from caseflow.adapters.access_log import SqlAccessLog
from caseflow.adapters.database import make_engine
from caseflow.adapters.event_store import SqlEventStore
from caseflow.domain.events import NewEvent
from tests.conftest import Database

EVENT = NewEvent("NoteAdded", {"text": "x", "pupil_id": "p"}, "dsl", "dsl", datetime(2026, 1, 1, tzinfo=UTC), "support_journey@1")


def _attempts(backend: str, table: str) -> list[str]:
    common = [f"UPDATE {table} SET role = 'admin'", f"DELETE FROM {table} WHERE 1 = 1", f"DELETE FROM {table}"]
    if backend == "postgres":
        return [
            *common,
            f"TRUNCATE {table}",
            f"ALTER TABLE {table} DISABLE TRIGGER ALL",
            "SET session_replication_role = replica",
            f"DROP TABLE {table}",
        ]
    return [*common, f"DROP TABLE {table}", f"DROP TRIGGER {table}_no_update", f"ALTER TABLE {table} RENAME TO old_{table}"]


@pytest.mark.parametrize("table", ["events", "access_log"])
def test_app_connection_cannot_change_or_remove_audit_rows(database: Database, table: str) -> None:
    engine = make_engine(database.url)
    SqlEventStore(engine).append("s1", "case", 0, [EVENT])
    SqlAccessLog(engine).record(username="dsl", role="dsl", action="view", outcome="ok", case_id="s1")
    refused = 0
    for statement in _attempts(database.backend, table):
        with engine.connect() as conn, pytest.raises(DatabaseError):
            conn.execute(text(statement))
            conn.commit()
        refused += 1
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 1
        assert conn.execute(text(f"SELECT role FROM {table}")).scalar_one() == "dsl"
    assert refused == len(_attempts(database.backend, table))


def test_postgres_app_role_owns_nothing_and_triggers_fire_always(pg_database: Database) -> None:
    owner = make_engine(pg_database.owner_url, app_role=False)
    with owner.connect() as conn:
        owners = dict(conn.execute(text("SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public'")).all())
        assert owners and "caseflow_app" not in owners.values()
        triggers = conn.execute(
            text("SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid IN ('events'::regclass, 'access_log'::regclass)")
        ).all()
        assert {name for name, _ in triggers} == {
            "events_no_change",
            "events_no_truncate",
            "access_log_no_change",
            "access_log_no_truncate",
        }
        assert {state for _, state in triggers} == {"A"}
        privileges = conn.execute(
            text(
                "SELECT privilege_type FROM information_schema.role_table_grants "
                "WHERE grantee = 'caseflow_app' AND table_name = 'events'"
            )
        ).scalars()
        assert set(privileges) == {"SELECT", "INSERT"}
        superuser = conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = 'caseflow_app'")).scalar_one()
        assert superuser is False
