"""Index the access log by pupil: a subject-access bundle lists every line about one child, and the
log grows with every view of every case.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_access_log_pupil", "access_log", ["pupil_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_access_log_pupil", table_name="access_log")
