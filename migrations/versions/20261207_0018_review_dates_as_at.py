"""Each intervention's review date in the report facts (``case_report_facts.review_on``), so the cohort
dashboard as at a past day shows the next review as it was set then: an intervention's as planned, and every
running one's as a later "Continue the interventions" set it (``caseflow.domain.case_report.cases_as_at``).

A database upgraded with interventions already recorded gets what the projection would have written, from
the log: a planning's row its review date, and a continuation's row (written for its change of step) its
kind and review date.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 19:00:00
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = {"InterventionPlanned": "planned", "InterventionContinued": "continued"}


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def upgrade() -> None:
    op.add_column("case_report_facts", sa.Column("review_on", sa.Date(), nullable=True))
    bind = op.get_bind()
    written = bind.execute(
        sa.text(
            "SELECT stream_id, version, event_type, data FROM events "
            "WHERE event_type IN ('InterventionPlanned', 'InterventionContinued') ORDER BY position"
        )
    ).fetchall()
    rows = [
        {"case_id": case_id, "version": version, "kind": KINDS[event_type], "review_on": _day(json.loads(text).get("review_date"))}
        for case_id, version, event_type, text in written
    ]
    if rows:
        facts = sa.table(
            "case_report_facts",
            sa.column("case_id", sa.String),
            sa.column("version", sa.Integer),
            sa.column("kind", sa.String),
            sa.column("review_on", sa.Date),
        )
        bind.execute(
            facts.update()
            .where(facts.c.case_id == sa.bindparam("b_case_id"), facts.c.version == sa.bindparam("b_version"))
            .values(kind=sa.bindparam("b_kind"), review_on=sa.bindparam("b_review_on")),
            [{f"b_{key}": value for key, value in row.items()} for row in rows],
        )


def downgrade() -> None:
    op.execute("UPDATE case_report_facts SET kind = NULL WHERE kind = 'continued'")
    with op.batch_alter_table("case_report_facts") as batch:
        batch.drop_column("review_on")
