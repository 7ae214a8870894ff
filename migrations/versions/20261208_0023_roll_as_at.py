"""A pupil's place on the school's roll is dated: ``pupils.on_roll_from``, the day in England the pupil was
registered, so that a report or dashboard as at a day counts the pupils on the roll that day (a report as at
1999 counted today's roll).

A database upgraded with pupils already registered gets the day each one's registration holds in the log, as the
projection (``caseflow.adapters.projections``) writes it as the event is appended.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-08 01:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from caseflow.adapters.tables import events
from caseflow.domain.events import london_date

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pupils", schema=None) as batch_op:
        batch_op.add_column(sa.Column("on_roll_from", sa.Date(), nullable=True))
    bind = op.get_bind()
    registered = bind.execute(
        sa.select(events.c.stream_id, events.c.occurred_at).where(
            events.c.stream_type == "pupil", events.c.event_type == "PupilRegistered"
        )
    ).fetchall()
    pupils = sa.table("pupils", sa.column("pupil_id"), sa.column("on_roll_from", sa.Date()))
    if registered:
        bind.execute(
            sa.update(pupils).where(pupils.c.pupil_id == sa.bindparam("pid")).values(on_roll_from=sa.bindparam("day")),
            [{"pid": pupil_id, "day": london_date(occurred_at)} for pupil_id, occurred_at in registered],
        )
    with op.batch_alter_table("pupils", schema=None) as batch_op:
        batch_op.alter_column("on_roll_from", existing_type=sa.Date(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("pupils", schema=None) as batch_op:
        batch_op.drop_column("on_roll_from")
