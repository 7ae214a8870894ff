"""The day each SDQ was completed (``sdq_dates``), so the due list can name the children of the cohort with no SDQ
in the term of its day, as the county guidance asks wellbeing to be tracked termly, with each one's last.

A database upgraded with SDQs already recorded gets what the projection (``caseflow.adapters.projections``)
would have written: a row for every SDQ in the log, with the day it was completed.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-08 12:00:00
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "sdq_dates",
        sa.Column("pupil_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("administered_on", sa.Date(), nullable=False),
        sa.UniqueConstraint("pupil_id", "version", name="uq_sdq_dates"),
    )
    recorded = op.get_bind().execute(
        sa.text(
            "SELECT stream_id, version, data FROM events "
            "WHERE stream_type = 'pupil' AND event_type = 'WellbeingRecorded' ORDER BY position"
        )
    ).fetchall()
    rows = []
    for pupil_id, version, text in recorded:
        data = json.loads(text)
        if data.get("measure") == "sdq":
            rows.append({"pupil_id": pupil_id, "version": version, "administered_on": date.fromisoformat(data["administered_on"])})
    if rows:
        op.bulk_insert(table, rows)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON sdq_dates TO caseflow_app")


def downgrade() -> None:
    op.drop_table("sdq_dates")
