"""Attendance per pupil and school year (a projection), filled from the months already counted.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 15:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: the school year a 'YYYY-MM' month belongs to (it begins in September), in SQL both backends speak
SCHOOL_YEAR_OF_MONTH = "CAST(substr(month, 1, 4) AS INTEGER) - CASE WHEN substr(month, 6, 2) < '09' THEN 1 ELSE 0 END"


def upgrade() -> None:
    op.create_table(
        "attendance_years",
        sa.Column("pupil_id", sa.String(length=64), nullable=False),
        sa.Column("school_year", sa.Integer(), nullable=False),
        sa.Column("possible", sa.Integer(), nullable=False),
        sa.Column("attended", sa.Integer(), nullable=False),
        sa.Column("absent", sa.Integer(), nullable=False),
        sa.Column("through_month", sa.String(length=7), nullable=False),
        sa.UniqueConstraint("pupil_id", "school_year", name="uq_attendance_year"),
    )
    op.execute(
        "INSERT INTO attendance_years (pupil_id, school_year, possible, attended, absent, through_month) "
        f"SELECT pupil_id, {SCHOOL_YEAR_OF_MONTH}, sum(possible), sum(attended), sum(authorised + unauthorised), max(month) "
        f"FROM attendance_months GROUP BY pupil_id, {SCHOOL_YEAR_OF_MONTH}"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON attendance_years TO caseflow_app")


def downgrade() -> None:
    op.drop_table("attendance_years")
