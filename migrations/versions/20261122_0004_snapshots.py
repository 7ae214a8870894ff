"""Snapshots of long case streams (a cache derived from the log).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 20:19:06.566334
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('snapshots',
    sa.Column('stream_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True).with_variant(sa.String(27), "sqlite"), nullable=False),
    sa.PrimaryKeyConstraint('stream_id')
    )

    if op.get_bind().dialect.name == "postgresql":
        op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON snapshots TO caseflow_app")


def downgrade() -> None:
    op.drop_table('snapshots')
