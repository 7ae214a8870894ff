"""Each pupil's judgement against expected in each subject, in the latest term of each school year judged
(``attainment_latest``; ``caseflow.domain.attainment``), so the cohort dashboard and the governors' report
can set the cohort's attainment beside the whole school's (PRODUCT.md).

A database upgraded with judgements already recorded gets what the projection would have written, from the
log, in the order the judgements were written.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 15:00:00
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from caseflow.domain.attainment import supersedes

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "attainment_latest",
        sa.Column("pupil_id", sa.String(length=64), nullable=False),
        sa.Column("school_year", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("term", sa.String(length=8), nullable=False),
        sa.Column("judgement", sa.String(length=16), nullable=False),
        sa.UniqueConstraint("pupil_id", "school_year", "subject", name="uq_attainment_latest"),
    )
    recorded = op.get_bind().execute(
        sa.text("SELECT stream_id, data FROM events WHERE event_type = 'AttainmentRecorded' ORDER BY position")
    ).fetchall()
    held: dict[tuple[str, int, str], tuple[str, str]] = {}
    for pupil_id, text in recorded:
        data = json.loads(text)
        key = (pupil_id, int(data["school_year"]), data["subject"])
        if supersedes(data["term"], held[key][0] if key in held else None):
            held[key] = (data["term"], data["judgement"])
    if held:
        rows = [
            {"pupil_id": p, "school_year": y, "subject": s, "term": term, "judgement": judgement}
            for (p, y, s), (term, judgement) in sorted(held.items())
        ]
        op.bulk_insert(table, rows)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON attainment_latest TO caseflow_app")


def downgrade() -> None:
    op.drop_table("attainment_latest")
