"""An intervention still running when its case closed ended with it (``SupportCase.interventions``): a
reopened case's support is planned afresh, and its old review dates no longer fall due.

- ``interventions.status``: ``closed`` for each intervention that was active when a later ``CaseClosed``
  was written on its case; from the log, as the projection now writes it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # an outcome that completed or stopped it first leaves it so: only the still active are ended
    op.execute(
        "UPDATE interventions SET status = 'closed' WHERE status = 'active' AND EXISTS (SELECT 1 FROM events e "
        "WHERE e.stream_id = interventions.case_id AND e.event_type = 'CaseClosed' AND e.version > interventions.intervention)"
    )


def downgrade() -> None:
    op.execute("UPDATE interventions SET status = 'active' WHERE status = 'closed'")
