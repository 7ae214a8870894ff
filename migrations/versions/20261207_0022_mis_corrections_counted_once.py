"""A correction the school's MIS makes to a suspension it recorded is compared with the suspensions heads decided on
the pupil's cases, as the first record is: a correction onto a decided suspension's days counts it once (the
decision counts from the correction, the record none), and one that takes a record off a decided suspension's days
counts it again from the correction.

A database upgraded with such records in its log gets the rows the projection writes: the MIS's rows of
``suspension_days`` are written again from the log in its order (``mis_suspension_rows``), as the projection
(``caseflow.adapters.projections``) writes them as each event is appended.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 22:30:00
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op

from caseflow.adapters.tables import UtcDateTime, events
from caseflow.domain.exclusions import mis_suspension_rows

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUSPENSION_COLUMNS = ("pupil_id", "case_id", "school_year", "term", "start_date", "days", "decided_version")
SUSPENSION_COLUMNS += ("decided_at", "decided_days", "source", "cancelled_at")


def upgrade() -> None:
    rows = _from_the_log(op.get_bind())
    op.execute("DELETE FROM suspension_days WHERE source = 'mis'")
    if rows:
        days = sa.table(
            "suspension_days",
            *(sa.column(name, UtcDateTime()) if name.endswith("_at") else sa.column(name) for name in SUSPENSION_COLUMNS),
        )
        op.bulk_insert(days, rows)


def _from_the_log(bind: sa.Connection) -> list[dict[str, Any]]:
    """The MIS's rows of each pupil, from their records and the heads' decisions to suspend on their cases (the
    cases' first events name their pupil; the proposals their days), in the log's order."""
    kinds = ("SuspensionRecorded", "SuspensionProposed", "ExclusionProposed", "SuspensionDecided")
    opening = sa.and_(events.c.stream_type == "case", events.c.version == 1)
    found = bind.execute(
        sa.select(events.c.stream_id, events.c.version, events.c.event_type, events.c.data, events.c.recorded_at, opening)
        .where(sa.or_(events.c.event_type.in_(kinds), opening))
        .order_by(events.c.position)
    ).fetchall()
    pupil_of: dict[str, str] = {}
    proposals: dict[tuple[str, int], dict[str, Any]] = {}
    timelines: dict[str, list[tuple[Any, ...]]] = {}
    for stream_id, version, kind, text, recorded_at, opens in found:
        data = json.loads(text)
        if opens and "pupil_id" in data:  # a case's first event names its pupil
            pupil_of[stream_id] = data["pupil_id"]
        elif kind in ("SuspensionProposed", "ExclusionProposed"):
            proposals[(stream_id, version)] = data
        elif kind == "SuspensionRecorded" and data.get("kind") == "suspension":
            start = date.fromisoformat(data["start_date"])
            timelines.setdefault(stream_id, []).append(("recorded", start, float(data["days"]), version, recorded_at))
        elif kind != "SuspensionDecided" or data.get("decision") != "suspend":
            continue
        elif (stream_id, data.get("proposal")) in proposals and stream_id in pupil_of:
            proposal = proposals[(stream_id, data["proposal"])]
            start, days = date.fromisoformat(proposal["start_date"]), float(proposal["days"])
            timelines.setdefault(pupil_of[stream_id], []).append(("decided", start, days, None, recorded_at))
    return [row for pupil_id, timeline in timelines.items() for row in mis_suspension_rows(pupil_id, timeline)]


def downgrade() -> None:
    """The rows 0021 wrote are not kept: the ones written here count each suspension once as well."""
