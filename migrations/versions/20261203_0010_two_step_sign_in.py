"""Two-step sign-in: each user's authenticator secret, the step of the last code accepted from it (a
code is good once), and the secret being set up (shown until a code from it turns it on).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 19:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("totp_secret", sa.String(length=64), nullable=True))
    op.add_column("users", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.add_column("users", sa.Column("totp_pending_secret", sa.String(length=64), nullable=True))


def downgrade() -> None:
    # a plain DROP COLUMN (SQLite 3.35 and later): a batch copy of ``users`` would break the roles' foreign keys
    op.drop_column("users", "totp_pending_secret")
    op.drop_column("users", "totp_last_step")
    op.drop_column("users", "totp_secret")
