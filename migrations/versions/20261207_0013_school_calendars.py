"""A school's own term dates and closure days (``caseflow.domain.school_calendar``), and what dating the
guidance's school-day deadlines needs from the log.

- ``school_terms`` and ``school_closures``: set by the school, not derived from the log.
- ``suspension_days.start_date``: a suspension's first day, which decides its term in the school's own
  dates; from the proposal's event.
- ``case_report_facts.decided_on`` of a notice: the day the recipient was told (the governing board's
  15 or 50 school days run from it); of the child protection file's sending and confirmation, their days
  (a database rebuilt from migration 0008 on has those facts without their days); from the events.
- ``case_report_facts`` of a prepared transition: its kind and date (a move to another setting owes the
  child protection file, ``caseflow.domain.file_transfer``), kind ``transition``; from its event.

A database upgraded with these already recorded gets the values the projections would have written.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

from caseflow.adapters.tables import events

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "school_terms",
        sa.Column("school_urn", sa.String(length=16), sa.ForeignKey("schools.urn"), primary_key=True),
        sa.Column("school_year", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=8), primary_key=True),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
    )
    op.create_table(
        "school_closures",
        sa.Column("school_urn", sa.String(length=16), sa.ForeignKey("schools.urn"), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON school_terms, school_closures TO caseflow_app")
    with op.batch_alter_table("suspension_days") as batch:
        batch.add_column(sa.Column("start_date", sa.Date(), nullable=True))
    decisions = bind.execute(
        sa.text(
            "SELECT d.case_id, d.decided_version, e.data FROM suspension_days d "
            "JOIN events e ON e.stream_id = d.case_id AND e.version = d.decided_version"
        )
    ).fetchall()
    for case_id, decided_version, decision in decisions:
        proposal = bind.execute(
            sa.text("SELECT data FROM events WHERE stream_id = :case_id AND version = :version"),
            {"case_id": case_id, "version": json.loads(decision)["proposal"]},
        ).scalar_one()
        bind.execute(
            sa.text(
                "UPDATE suspension_days SET start_date = :day WHERE case_id = :case_id AND decided_version = :version"
            ),
            {"day": date.fromisoformat(json.loads(proposal)["start_date"]), "case_id": case_id, "version": decided_version},
        )
    with op.batch_alter_table("suspension_days") as batch:
        batch.alter_column("start_date", existing_type=sa.Date(), nullable=False)
    dated = {"DecisionNoticeRecorded": "notified_on", "FileTransferSent": "sent_on", "FileReceiptConfirmed": "received_on"}
    notices = sa.select(events.c.stream_id, events.c.version, events.c.event_type, events.c.data).where(
        events.c.event_type.in_(tuple(dated))
    )
    for stream_id, version, event_type, data in bind.execute(notices).fetchall():
        day = json.loads(data).get(dated[event_type])
        bind.execute(
            sa.text(
                "UPDATE case_report_facts SET decided_on = :day "
                "WHERE case_id = :case_id AND version = :version AND kind IN ('noticed', 'file_sent', 'file_received')"
            ),
            {"day": date.fromisoformat(day) if isinstance(day, str) else None, "case_id": stream_id, "version": version},
        )
    moves = sa.select(events.c.stream_id, events.c.version, events.c.data).where(events.c.event_type == "TransitionPrepared")
    for stream_id, version, data in bind.execute(moves).fetchall():
        fact = report_fact_of_move(json.loads(data))
        bind.execute(
            sa.text(
                "UPDATE case_report_facts SET kind = 'transition', detail = :detail, start_date = :day "
                "WHERE case_id = :case_id AND version = :version"
            ),
            {"detail": fact["detail"], "day": fact["start_date"], "case_id": stream_id, "version": version},
        )


def report_fact_of_move(data: dict) -> dict:
    kind, day = data.get("kind"), data.get("date")
    return {"detail": kind if isinstance(kind, str) else None, "start_date": date.fromisoformat(day) if isinstance(day, str) else None}


def downgrade() -> None:
    op.execute("UPDATE case_report_facts SET kind = NULL, detail = NULL, start_date = NULL WHERE kind = 'transition'")
    op.execute("UPDATE case_report_facts SET decided_on = NULL WHERE kind IN ('noticed', 'file_sent', 'file_received')")
    with op.batch_alter_table("suspension_days") as batch:
        batch.drop_column("start_date")
    op.drop_table("school_closures")
    op.drop_table("school_terms")
