"""Snapshots are sealed (``caseflow.adapters.snapshot_seal``): a snapshot whose seal does not hold is never used.

The snapshots already written have no seal, and their states cannot be trusted: the app's role could write the
table, so any of them may have been edited. They are deleted rather than sealed as they stand (sealing them would
vouch for whatever they say, and a migration does not hold the data key to re-derive and seal them anyway). They
are a cache of the log: a pupil's is taken again the next time the pupil is read, a case's at its next
snapshot point; until then the stream is replayed from its events, which gives the same answer.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM snapshots")
    op.add_column("snapshots", sa.Column("seal", sa.String(length=80), nullable=True))


def downgrade() -> None:
    # a plain DROP COLUMN (SQLite 3.35 and later); the snapshots left are sealed, and code before this revision
    # would use them unchecked, which is what it did with every snapshot
    op.drop_column("snapshots", "seal")
