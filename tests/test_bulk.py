"""Bulk inserts (binary COPY or arrays on PostgreSQL, executemany on SQLite) store values exactly as
SQLAlchemy would, and fail as SQLAlchemy would: an IntegrityError, the transaction rolled back, the connection reusable."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from caseflow.adapters.bulk import insert_rows
from caseflow.adapters.database import DriverStatement, make_engine, write_transaction
from caseflow.adapters.tables import attendance_marks, case_summary, suspension_days
from tests.conftest import Database

OPENED = datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=UTC)


def test_every_column_type_round_trips(database: Database) -> None:
    engine = make_engine(database.url)
    summary = {
        "case_id": "c1", "pupil_id": "p1", "school_urn": "100001", "state": "need_identified", "version": 3,
        "opened_at": OPENED, "updated_at": OPENED, "need_areas": '["attendance"]',
    }  # fmt: skip
    suspension = {"pupil_id": "p1", "case_id": "c1", "school_year": 2026, "term": "spring", "days": 2.5, "decided_version": 7,
                  "decided_at": OPENED, "decided_days": 2.5, "cancelled_at": None, "start_date": date(2027, 1, 11),
                      "source": "case"}  # fmt: skip
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


def test_a_driver_statement_stores_and_reads_as_sqlalchemy_would(database: Database) -> None:
    """``DriverStatement`` compiles once per dialect and runs on the driver: instants still go through the
    column type (ISO text on SQLite, timestamptz on PostgreSQL), one row or many, positional or named."""
    engine = make_engine(database.url)
    columns = ["case_id", "pupil_id", "school_urn", "state", "version", "opened_at", "updated_at", "need_areas"]
    write = DriverStatement(insert(case_summary), column_keys=columns)
    move = DriverStatement(
        update(case_summary)
        .where(case_summary.c.case_id == bindparam("cid"))
        .values(state=bindparam("new_state"), updated_at=bindparam("new_updated_at"))
    )
    read = DriverStatement(
        select(case_summary.c.case_id, case_summary.c.state).where(case_summary.c.updated_at > bindparam("after"))
    )
    rows = [
        {"case_id": f"c{n}", "pupil_id": "p1", "school_urn": "100001", "state": "need_identified", "version": 1,
         "opened_at": OPENED, "updated_at": OPENED, "need_areas": "[]"}
        for n in (1, 2, 3)
    ]  # fmt: skip
    later = OPENED.replace(hour=11)
    with write_transaction(engine) as conn:
        write.run_many(conn, rows[:1])
        write.run_many(conn, rows[1:])
        move.run_many(conn, [{"cid": "c2", "new_state": "review", "new_updated_at": later}])
        move.run_many(conn, [{"cid": c, "new_state": "one_plan", "new_updated_at": later} for c in ("c1", "c3")])
    with engine.connect() as conn:
        stored = {r["case_id"]: dict(r) for r in conn.execute(select(case_summary)).mappings()}
        assert stored == {
            "c1": rows[0] | {"state": "one_plan", "updated_at": later},
            "c2": rows[1] | {"state": "review", "updated_at": later},
            "c3": rows[2] | {"state": "one_plan", "updated_at": later},
        }
        assert sorted(read.rows(conn, {"after": OPENED})) == [("c1", "one_plan"), ("c2", "review"), ("c3", "one_plan")]
        assert read.rows(conn, {"after": later}) == []
    with write_transaction(engine) as conn:  # the same row through SQLAlchemy: the stored bytes must match
        conn.execute(insert(case_summary), rows[0] | {"case_id": "by-sqlalchemy"})
        write.run_many(conn, [rows[0] | {"case_id": "by-driver"}])
        raw = conn.exec_driver_sql(
            "SELECT * FROM case_summary WHERE case_id IN ('by-driver', 'by-sqlalchemy') ORDER BY case_id"
        ).fetchall()
        assert raw[0][1:] == raw[1][1:] and raw[0][0] == "by-driver"
    engine.dispose()
