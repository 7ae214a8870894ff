"""Cohort facts per child (a projection), filled from the read models already projected.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 18:00:00
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    "pupil_id, school_urn, started_by, cohort_until, cp_until, care_status, wellbeing_band, "
    "school_year, possible, attended, absent, through_month, open_cases, open_journeys"
)


def upgrade() -> None:
    op.create_table(
        "cohort_facts",
        sa.Column("pupil_id", sa.String(length=64), primary_key=True),
        sa.Column("school_urn", sa.String(length=16), nullable=False),
        sa.Column("started_by", sa.Date(), nullable=False),
        sa.Column("cohort_until", sa.Date(), nullable=False),
        sa.Column("cp_until", sa.Date(), nullable=True),
        sa.Column("care_status", sa.String(length=32), nullable=True),
        sa.Column("wellbeing_band", sa.String(length=32), nullable=True),
        sa.Column("school_year", sa.Integer(), nullable=True),
        sa.Column("possible", sa.Integer(), nullable=True),
        sa.Column("attended", sa.Integer(), nullable=True),
        sa.Column("absent", sa.Integer(), nullable=True),
        sa.Column("through_month", sa.String(length=7), nullable=True),
        sa.Column("open_cases", sa.Integer(), nullable=False),
        sa.Column("open_journeys", sa.Text(), nullable=False),
    )
    op.create_index("ix_cohort_facts_school", "cohort_facts", ["school_urn"])
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    open_episode = "DATE '9999-12-31'" if postgres else "'9999-12-31'"  # as the projection writes date.max
    until = f"coalesce(end_date, {open_episode})"
    op.execute(
        f"INSERT INTO cohort_facts ({COLUMNS}) "
        "SELECT p.pupil_id, p.school_urn, e.started_by, e.cohort_until, e.cp_until, s.care_status, s.wellbeing_band, "
        "y.school_year, y.possible, y.attended, y.absent, y.through_month, 0, '' "
        "FROM pupils p "
        f"JOIN (SELECT pupil_id, max(start_date) AS started_by, max({until}) AS cohort_until, "
        f"max(CASE WHEN plan = 'cp' THEN {until} END) AS cp_until FROM social_care_episodes GROUP BY pupil_id) e "
        "ON e.pupil_id = p.pupil_id "
        "LEFT JOIN pupil_status s ON s.pupil_id = p.pupil_id "
        "LEFT JOIN (SELECT pupil_id, max(school_year) AS school_year FROM attendance_years GROUP BY pupil_id) latest "
        "ON latest.pupil_id = p.pupil_id "
        "LEFT JOIN attendance_years y ON y.pupil_id = latest.pupil_id AND y.school_year = latest.school_year"
    )
    states: dict[str, list[str]] = defaultdict(list)
    for pupil_id, state in bind.execute(sa.text("SELECT pupil_id, state FROM case_summary WHERE state != 'closed'")):
        states[pupil_id].append(state)
    if states:
        bind.execute(
            sa.text("UPDATE cohort_facts SET open_cases = :n, open_journeys = :j WHERE pupil_id = :pid"),
            [{"pid": pid, "n": len(s), "j": ",".join(sorted(s))} for pid, s in states.items()],
        )
    if postgres:
        op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON cohort_facts TO caseflow_app")


def downgrade() -> None:
    op.drop_table("cohort_facts")
