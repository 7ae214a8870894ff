"""Read models for the cohort dashboard: attendance per month and interventions with review dates.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 19:43:46.721690
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('attendance_months',
    sa.Column('pupil_id', sa.String(length=64), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('possible', sa.Integer(), nullable=False),
    sa.Column('attended', sa.Integer(), nullable=False),
    sa.Column('authorised', sa.Integer(), nullable=False),
    sa.Column('unauthorised', sa.Integer(), nullable=False),
    sa.UniqueConstraint('pupil_id', 'month', name='uq_attendance_month')
    )
    op.create_table('interventions',
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('intervention', sa.Integer(), nullable=False),
    sa.Column('pupil_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('review_date', sa.Date(), nullable=False),
    sa.UniqueConstraint('case_id', 'intervention', name='uq_intervention')
    )
    with op.batch_alter_table('interventions', schema=None) as batch_op:
        batch_op.create_index('ix_interventions_pupil', ['pupil_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON attendance_months, interventions TO caseflow_app")


def downgrade() -> None:
    with op.batch_alter_table('interventions', schema=None) as batch_op:
        batch_op.drop_index('ix_interventions_pupil')

    op.drop_table('interventions')
    op.drop_table('attendance_months')
