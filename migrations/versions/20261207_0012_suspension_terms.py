"""What the duties after a suspension or exclusion are worked out from (domain facts, section 5).

- ``suspension_days.term``: the guidance's 5- and 15-day thresholds are per term; each decided
  suspension's term comes from the proposal's start date by the function the projection uses
  (``caseflow.domain.exclusions.term_of``).
- ``suspension_days.decided_at``: when the decision was written, so a decision's term total counts only
  the pupil's suspensions decided before it; copied from the decision's event.
- ``suspension_days.decided_days`` and ``cancelled_at``: a cancelled suspension counts only the days
  served (``days``), but what was owed before it was cancelled needs the days decided.
- ``pupil_status.care_since``: from when a looked-after status holds (the Virtual School Head is owed a
  notice of a decision made while it does); from the pupil's latest recorded care status.
- ``case_report_facts.misses_exam``: a decision that makes the pupil miss a public exam or national test
  (the governing board must then meet); set from the decisions that say so.
- ``case_report_facts.decided_on``: a decision's day in England when it happened (it may have been
  recorded later), from which who is owed a notice is judged; from the decision's event.

A database upgraded with these already recorded gets the values the projections would have written.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 06:30:00
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

from caseflow.adapters.tables import UtcDateTime, events
from caseflow.domain.events import london_date
from caseflow.domain.exclusions import term_of

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("suspension_days") as batch:
        batch.add_column(sa.Column("term", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("decided_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("decided_days", sa.Float(), nullable=True))
        batch.add_column(sa.Column("cancelled_at", UtcDateTime(), nullable=True))
    with op.batch_alter_table("pupil_status") as batch:
        batch.add_column(sa.Column("care_since", sa.Date(), nullable=True))
    with op.batch_alter_table("case_report_facts") as batch:
        batch.add_column(sa.Column("misses_exam", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("decided_on", sa.Date(), nullable=True))
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "UPDATE suspension_days SET decided_at = (SELECT e.recorded_at FROM events e "
            "WHERE e.stream_id = suspension_days.case_id AND e.version = suspension_days.decided_version)"
        )
    )
    bind.execute(sa.text("UPDATE suspension_days SET decided_days = days"))  # nothing was cancelled before
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
    statuses = bind.execute(
        sa.text("SELECT stream_id, data FROM events WHERE event_type = 'CareStatusRecorded' ORDER BY stream_id, version")
    ).fetchall()
    latest = {stream_id: json.loads(data)["since"] for stream_id, data in statuses}
    for pupil_id, since in latest.items():
        bind.execute(
            sa.text("UPDATE pupil_status SET care_since = :since WHERE pupil_id = :pupil_id"),
            {"since": date.fromisoformat(since), "pupil_id": pupil_id},
        )
    decisions_query = sa.select(events.c.stream_id, events.c.version, events.c.data, events.c.occurred_at).where(
        events.c.event_type.in_(("SuspensionDecided", "ExclusionDecided"))
    )
    for stream_id, version, data, occurred_at in bind.execute(decisions_query).fetchall():
        bind.execute(
            sa.text(
                "UPDATE case_report_facts SET decided_on = :day, misses_exam = :exam "
                "WHERE case_id = :case_id AND version = :version AND kind = 'decided'"
            ),
            {
                "day": london_date(occurred_at),
                "exam": True if json.loads(data).get("misses_public_exam") is True else None,
                "case_id": stream_id,
                "version": version,
            },
        )
    with op.batch_alter_table("suspension_days") as batch:
        batch.alter_column("term", existing_type=sa.String(length=8), nullable=False)
        batch.alter_column("decided_at", existing_type=UtcDateTime(), nullable=False)
        batch.alter_column("decided_days", existing_type=sa.Float(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("case_report_facts") as batch:
        batch.drop_column("decided_on")
        batch.drop_column("misses_exam")
    with op.batch_alter_table("pupil_status") as batch:
        batch.drop_column("care_since")
    with op.batch_alter_table("suspension_days") as batch:
        batch.drop_column("cancelled_at")
        batch.drop_column("decided_days")
        batch.drop_column("decided_at")
        batch.drop_column("term")
