"""Authenticator secrets sealed at rest (``caseflow.adapters.secret_box``): a sealed secret is longer than
the base32 text it seals, so its columns widen. ``caseflow db upgrade`` then seals the secrets already
written (it needs the data key, which a migration does not hold).

SQLite does not enforce a VARCHAR's length, and widening it there would copy the users table and break the
roles' foreign keys, so only PostgreSQL's columns change.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("totp_secret", "totp_pending_secret")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for column in COLUMNS:
            op.alter_column("users", column, type_=sa.String(length=255), existing_nullable=True)


def downgrade() -> None:
    # sealed secrets do not fit the old width, and opening them needs the data key: they go, and each user
    # sets up their authenticator app again (as after an administrator's reset)
    op.execute(sa.text("UPDATE users SET totp_secret = NULL, totp_last_step = NULL, totp_pending_secret = NULL"))
    if op.get_bind().dialect.name == "postgresql":
        for column in COLUMNS:
            op.alter_column("users", column, type_=sa.String(length=64), existing_nullable=True)
