"""Behaviour incidents per pupil and school year (``incident_years``), so the cohort dashboard and the
governors' report can set the cohort's behaviour beside the whole school's for the year (PRODUCT.md).

A database upgraded with incidents already recorded gets the counts the projection would have written,
from the log: each incident counts in the school year of its date.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 14:30:00
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

from caseflow.domain.school_calendar import school_year

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "incident_years",
        sa.Column("pupil_id", sa.String(length=64), nullable=False),
        sa.Column("school_year", sa.Integer(), nullable=False),
        sa.Column("incidents", sa.Integer(), nullable=False),
        sa.UniqueConstraint("pupil_id", "school_year", name="uq_incident_year"),
    )
    recorded = op.get_bind().execute(
        sa.text("SELECT stream_id, data FROM events WHERE event_type = 'BehaviourIncidentRecorded'")
    ).fetchall()
    counted = Counter((pupil_id, school_year(date.fromisoformat(json.loads(data)["date"]))) for pupil_id, data in recorded)
    if counted:
        op.bulk_insert(
            table, [{"pupil_id": p, "school_year": y, "incidents": n} for (p, y), n in sorted(counted.items())]
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON incident_years TO caseflow_app")


def downgrade() -> None:
    op.drop_table("incident_years")
