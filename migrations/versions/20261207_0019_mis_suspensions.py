"""Suspensions the school's MIS recorded count beside those decided on a case (``suspension_days.source``:
"case" or "mis"), so the cohort dashboard, the LA view, the reports and the 45-day limit and overlap rules
see every suspension of a pupil, not only those decided through Caseflow.

A row recorded from the MIS (``SuspensionRecorded`` on the pupil's record, pupil_record@4) names the pupil's
own stream as its ``case_id`` and its event's version as its ``decided_version``. A database upgraded with such
events in its log (one taken down to 0018 and up again) gets the rows the projection would have written.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 20:00:00
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op

from caseflow.adapters.tables import UtcDateTime, events
from caseflow.domain.exclusions import term_of

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("suspension_days") as batch:
        batch.add_column(sa.Column("source", sa.String(length=8), nullable=False, server_default="case"))
    bind = op.get_bind()
    recorded = bind.execute(
        sa.select(events.c.stream_id, events.c.version, events.c.data, events.c.recorded_at, events.c.position)
        .where(events.c.event_type == "SuspensionRecorded")
        .order_by(events.c.position)
    ).fetchall()
    rows: dict[tuple[str, date], dict[str, Any]] = {}  # a later record of the same suspension replaces it
    written_at: dict[tuple[str, date], int] = {}  # each kept row's place in the log
    for pupil_id, version, text, recorded_at, position in recorded:
        data = json.loads(text)
        if data.get("kind") != "suspension":
            continue
        term = term_of(data["start_date"])
        start = date.fromisoformat(data["start_date"])
        written_at[(pupil_id, start)] = position
        rows[(pupil_id, start)] = {
            "pupil_id": pupil_id,
            "case_id": pupil_id,
            "school_year": term.school_year,
            "term": term.name,
            "start_date": start,
            "days": float(data["days"]),
            "decided_version": version,
            "decided_at": recorded_at,
            "decided_days": float(data["days"]),
            "source": "mis",
        }
    # as the projection has it: a head's decision of the same suspension on a case counts in its place, and
    # the MIS's record, if written first, counted until the decision was
    case_rows = sa.table(
        "suspension_days",
        sa.column("pupil_id"),
        sa.column("case_id"),
        sa.column("start_date", sa.Date()),
        sa.column("decided_version"),
        sa.column("decided_at", UtcDateTime()),
        sa.column("source"),
    )
    decided = bind.execute(
        sa.select(case_rows.c.pupil_id, case_rows.c.start_date, case_rows.c.decided_at, events.c.position)
        .join(events, sa.and_(events.c.stream_id == case_rows.c.case_id, events.c.version == case_rows.c.decided_version))
        .where(case_rows.c.source == "case")
    ).fetchall()
    for pupil_id, start, decided_at, position in sorted(decided, key=lambda row: row[3]):  # in the log's order
        key = (pupil_id, start)
        if key not in rows:
            continue
        if position < written_at[key]:
            del rows[key]
        elif "cancelled_at" not in rows[key]:  # the first decision of it took its place; a later one finds it gone
            rows[key] = {**rows[key], "days": 0.0, "cancelled_at": decided_at}
    for row in rows.values():
        row.setdefault("cancelled_at", None)
    if rows:
        table = sa.table(
            "suspension_days",
            *(sa.column(name) for name in ("pupil_id", "case_id", "school_year", "term", "start_date", "days")),
            sa.column("decided_version"),
            sa.column("decided_at", UtcDateTime()),
            sa.column("decided_days"),
            sa.column("source"),
            sa.column("cancelled_at", UtcDateTime()),
        )
        op.bulk_insert(table, list(rows.values()))


def downgrade() -> None:
    # without the column a row from the MIS would read as a case's decision
    op.execute("DELETE FROM suspension_days WHERE source = 'mis'")
    with op.batch_alter_table("suspension_days") as batch:
        batch.drop_column("source")
