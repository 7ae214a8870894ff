"""Bulk inserts (binary COPY or arrays on PostgreSQL, executemany on SQLite) store values exactly as
SQLAlchemy would, and fail as SQLAlchemy would: an IntegrityError, the transaction rolled back, the connection reusable."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from caseflow.adapters.bulk import insert_rows
from caseflow.adapters.database import make_engine, write_transaction
from caseflow.adapters.tables import attendance_marks, case_summary, suspension_days
from tests.conftest import Database

OPENED = datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=UTC)


def test_every_column_type_round_trips(database: Database) -> None:
    engine = make_engine(database.url)
    summary = {
        "case_id": "c1", "pupil_id": "p1", "school_urn": "100001", "state": "need_identified", "version": 3,
        "opened_at": OPENED, "updated_at": OPENED, "need_areas": '["attendance"]',
    }  # fmt: skip
    suspension = {"pupil_id": "p1", "case_id": "c1", "school_year": 2026, "days": 2.5, "decided_version": 7}
    marks = [{"pupil_id": "p1", "date": date(2026, 11, d), "session": s, "code": "/"} for d in (2, 3) for s in ("AM", "PM")]
    with write_transaction(engine) as conn:
        insert_rows(conn, case_summary, [summary])
        insert_rows(conn, suspension_days, [suspension, suspension | {"decided_version": 8, "days": 3}])
        insert_rows(conn, attendance_marks, marks)
    with engine.connect() as conn:
        assert dict(conn.execute(select(case_summary)).mappings().one()) == summary
        assert [
            dict(r) for r in conn.execute(select(suspension_days).order_by(suspension_days.c.decided_version)).mappings()
        ] == [
            suspension,
            suspension | {"decided_version": 8, "days": 3.0},
        ]
        assert [dict(r) for r in conn.execute(select(attendance_marks).order_by("date", "session")).mappings()] == marks
    engine.dispose()


def test_a_duplicate_is_an_integrity_error_and_nothing_is_kept(database: Database) -> None:
    engine = make_engine(database.url)
    mark = {"pupil_id": "p1", "date": date(2026, 11, 2), "session": "AM", "code": "/"}
    with pytest.raises(IntegrityError), write_transaction(engine) as conn:
        insert_rows(conn, attendance_marks, [mark, mark | {"session": "PM"}])
        insert_rows(conn, attendance_marks, [mark | {"code": "N"}])
    with engine.connect() as conn:
        assert conn.execute(select(attendance_marks)).all() == []
    with write_transaction(engine) as conn:  # the pool's connection is still good
        insert_rows(conn, attendance_marks, [mark])
    with engine.connect() as conn:
        assert len(conn.execute(select(attendance_marks)).all()) == 1
    engine.dispose()
