"""Case report facts (a projection): what the governors' report counts of each case, filled from the log.

The governors' report used to replay every case of the school on each read; it now reads these rows up
to its date. The rows are derived by the same function the projection uses
(``caseflow.domain.case_report.report_fact``), so a database upgraded with cases already written gets
exactly the rows the projection would have written.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 05:00:00
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

from caseflow.adapters.tables import case_report_facts
from caseflow.domain.case_report import report_fact
from caseflow.domain.events import StoredEvent, utc

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000
#: columns later migrations add and fill (0012, 0018)
LATER_COLUMNS = ("misses_exam", "decided_on", "review_on")


def upgrade() -> None:
    op.create_table(
        "case_report_facts",
        sa.Column("case_id", sa.String(length=64), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True) if _postgres() else sa.String(length=27), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("ref", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("override", sa.Boolean(), nullable=True),
    )
    if _postgres():
        op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON case_report_facts TO caseflow_app")
    bind = op.get_bind()
    query = sa.text(
        "SELECT position, stream_id, version, event_type, schema_version, data, role, recorded_at FROM events "
        "WHERE stream_type = 'case' AND position > :after ORDER BY position LIMIT :batch"
    )
    after = 0
    while True:
        found = bind.execute(query, {"after": after, "batch": BATCH}).fetchall()
        if not found:
            return
        rows = []
        for _, stream_id, version, event_type, schema_version, data, role, recorded_at in found:
            event = StoredEvent(
                stream_id, "case", version, 0, event_type, schema_version, json.loads(data), "", role,
                _instant(recorded_at), _instant(recorded_at), "", "", "",
            )  # fmt: skip
            if (fact := report_fact(event)) is not None:
                rows.append({k: v for k, v in fact._asdict().items() if k not in LATER_COLUMNS})
        if rows:
            bind.execute(case_report_facts.insert(), rows)
        after = found[-1][0]


def downgrade() -> None:
    op.drop_table("case_report_facts")


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _instant(value: datetime | str) -> datetime:
    return utc(datetime.fromisoformat(value) if isinstance(value, str) else value)
