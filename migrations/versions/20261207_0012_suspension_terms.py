"""Suspension days by term: the guidance's 5- and 15-day thresholds are per term, so each decided
suspension's row names its term (autumn, spring or summer), worked out from the proposal's start date
by the function the projection uses (``caseflow.domain.exclusions.term_of``), so a database upgraded
with suspensions already decided gets the rows the projection would have written.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 06:30:00
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from caseflow.domain.exclusions import term_of

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def upgrade() -> None:
    with op.batch_alter_table("suspension_days") as batch:
        batch.add_column(sa.Column("term", sa.String(length=8), nullable=True))
    bind = op.get_bind()
    decisions = bind.execute(
        sa.text(
            "SELECT d.case_id, d.decided_version, e.data FROM suspension_days d "
            "JOIN events e ON e.stream_id = d.case_id AND e.version = d.decided_version"
        )
    ).fetchall()
    for case_id, decided_version, decision in decisions:
        proposal = bind.execute(
            sa.text("SELECT data FROM events WHERE stream_id = :case_id AND version = :version"),
            {"case_id": case_id, "version": json.loads(decision)["proposal"]},
        ).scalar_one()
        bind.execute(
            sa.text("UPDATE suspension_days SET term = :term WHERE case_id = :case_id AND decided_version = :version"),
            {"term": term_of(json.loads(proposal)["start_date"]).name, "case_id": case_id, "version": decided_version},
        )
    with op.batch_alter_table("suspension_days") as batch:
        batch.alter_column("term", existing_type=sa.String(length=8), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("suspension_days") as batch:
        batch.drop_column("term")
