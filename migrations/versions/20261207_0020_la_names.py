"""Each school's local authority by name as well as by code ("Essex" beside 881), as the DfE's register of
schools (Get Information About Schools) has "LA (name)" beside "LA (code)", so pages name an LA as people
know it. Nullable: a school added without it, or before this, has its LA called by its code.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 21:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("schools", sa.Column("la_name", sa.String(length=100), nullable=True))


def downgrade() -> None:
    # a plain DROP COLUMN (SQLite 3.35 and later): a batch copy of ``schools`` would break the foreign keys to it
    op.drop_column("schools", "la_name")
