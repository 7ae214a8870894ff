"""Read models for pupil records: teaching, pupil status and session-level attendance.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 19:27:43.605894
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('attendance_marks',
    sa.Column('pupil_id', sa.String(length=64), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('session', sa.String(length=2), nullable=False),
    sa.Column('code', sa.String(length=3), nullable=False),
    sa.UniqueConstraint('pupil_id', 'date', 'session', name='uq_attendance_mark')
    )
    with op.batch_alter_table('attendance_marks', schema=None) as batch_op:
        batch_op.create_index('ix_attendance_date', ['date'], unique=False)

    op.create_table('pupil_status',
    sa.Column('pupil_id', sa.String(length=64), nullable=False),
    sa.Column('send_status', sa.String(length=16), nullable=True),
    sa.Column('primary_need', sa.String(length=8), nullable=True),
    sa.Column('care_status', sa.String(length=32), nullable=True),
    sa.Column('wellbeing_measure', sa.String(length=16), nullable=True),
    sa.Column('wellbeing_total', sa.Integer(), nullable=True),
    sa.Column('wellbeing_band', sa.String(length=32), nullable=True),
    sa.Column('wellbeing_first_total', sa.Integer(), nullable=True),
    sa.Column('incidents', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('pupil_id')
    )
    op.create_table('teaching',
    sa.Column('pupil_id', sa.String(length=64), nullable=False),
    sa.Column('teacher', sa.String(length=64), nullable=False),
    sa.UniqueConstraint('pupil_id', 'teacher', name='uq_teaching')
    )
    with op.batch_alter_table('teaching', schema=None) as batch_op:
        batch_op.create_index('ix_teaching_teacher', ['teacher'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON teaching, pupil_status, attendance_marks TO caseflow_app")



def downgrade() -> None:
    with op.batch_alter_table('teaching', schema=None) as batch_op:
        batch_op.drop_index('ix_teaching_teacher')

    op.drop_table('teaching')
    op.drop_table('pupil_status')
    with op.batch_alter_table('attendance_marks', schema=None) as batch_op:
        batch_op.drop_index('ix_attendance_date')

    op.drop_table('attendance_marks')
