"""Drop the index on attendance marks by date alone: nothing reads marks by date across pupils (the
projection reads a pupil's marks by the unique (pupil, date, session) index), and every school day
of every child paid for keeping it, twice a day.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 18:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_attendance_date", table_name="attendance_marks")


def downgrade() -> None:
    op.create_index("ix_attendance_date", "attendance_marks", ["date"], unique=False)
