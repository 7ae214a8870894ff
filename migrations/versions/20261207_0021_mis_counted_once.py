"""Each suspension and permanent exclusion the school's MIS recorded counts once in every figure: a record over
the days of a suspension a head decided on one of the pupil's cases is that suspension (not only one on its first
day), a correction of a record keeps the day it was first recorded, and permanent exclusions recorded from the MIS
(``mis_exclusions``) count in the reports beside those decided on cases.

A database upgraded with such records in its log gets the rows the projection writes: the MIS's rows of
``suspension_days`` are written again, and ``mis_exclusions`` filled, from the log in its order, as the
projection (``caseflow.adapters.projections``) writes them as each event is appended.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 21:30:00
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op

from caseflow.adapters.tables import UtcDateTime, events
from caseflow.domain.exclusions import same_suspension, school_year, term_of

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUSPENSION_COLUMNS = ("pupil_id", "case_id", "school_year", "term", "start_date", "days", "decided_version")
SUSPENSION_COLUMNS += ("decided_at", "decided_days", "source", "cancelled_at")


def upgrade() -> None:
    table = op.create_table(
        "mis_exclusions",
        sa.Column("pupil_id", sa.String(length=64), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("school_year", sa.Integer(), nullable=False),
        sa.Column("recorded_version", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("replaced_at", UtcDateTime(), nullable=True),
        sa.UniqueConstraint("pupil_id", "start_date", name="uq_mis_exclusion"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON mis_exclusions TO caseflow_app")
    suspensions, exclusions = _from_the_log(op.get_bind())
    op.execute("DELETE FROM suspension_days WHERE source = 'mis'")
    if suspensions:
        days = sa.table(
            "suspension_days",
            *(sa.column(name, UtcDateTime()) if name.endswith("_at") else sa.column(name) for name in SUSPENSION_COLUMNS),
        )
        op.bulk_insert(days, suspensions)
    if exclusions:
        op.bulk_insert(table, exclusions)


def _from_the_log(bind: sa.Connection) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The MIS's rows, as the projection leaves them after each of these events in the log's order: the MIS's
    records, the cases' first events (their pupil) and proposals, and the heads' decisions to suspend or exclude."""
    kinds = ("SuspensionRecorded", "SuspensionProposed", "ExclusionProposed", "SuspensionDecided", "ExclusionDecided")
    opening = sa.and_(events.c.stream_type == "case", events.c.version == 1)
    found = bind.execute(
        sa.select(events.c.stream_id, events.c.version, events.c.event_type, events.c.data, events.c.recorded_at, opening)
        .where(sa.or_(events.c.event_type.in_(kinds), opening))
        .order_by(events.c.position)
    ).fetchall()
    pupil_of: dict[str, str] = {}
    proposals: dict[tuple[str, int], dict[str, Any]] = {}
    decided: dict[str, list[tuple[date, float]]] = {}  # each pupil's suspensions decided on a case
    excluded: set[tuple[str, date]] = set()  # each pupil's exclusions decided on a case, by first day
    suspended: dict[tuple[str, date], dict[str, Any]] = {}
    recorded: dict[tuple[str, date], dict[str, Any]] = {}
    for stream_id, version, kind, text, recorded_at, opens in found:
        data = json.loads(text)
        if opens and "pupil_id" in data:  # a case's first event names its pupil
            pupil_of[stream_id] = data["pupil_id"]
        elif kind in ("SuspensionProposed", "ExclusionProposed"):
            proposals[(stream_id, version)] = data
        elif kind == "SuspensionRecorded" and data.get("kind") == "suspension":
            _suspension_recorded(suspended, decided.get(stream_id, []), stream_id, version, data, recorded_at)
        elif kind == "SuspensionRecorded":
            start = date.fromisoformat(data["start_date"])
            if (stream_id, start) not in recorded and (stream_id, start) not in excluded:
                recorded[(stream_id, start)] = {
                    "pupil_id": stream_id,
                    "start_date": start,
                    "school_year": school_year(start),
                    "recorded_version": version,
                    "recorded_at": recorded_at,
                    "replaced_at": None,
                }
        elif (stream_id, data.get("proposal")) not in proposals or stream_id not in pupil_of:
            continue  # a decision of no proposal the log holds: the projection could not have read it either
        elif kind == "SuspensionDecided" and data.get("decision") == "suspend":
            pupil_id, proposal = pupil_of[stream_id], proposals[(stream_id, data["proposal"])]
            start, days = date.fromisoformat(proposal["start_date"]), float(proposal["days"])
            decided.setdefault(pupil_id, []).append((start, days))
            for (pupil, other), row in suspended.items():
                if pupil == pupil_id and row["cancelled_at"] is None and same_suspension(start, days, other, row["decided_days"]):
                    row.update(days=0.0, cancelled_at=recorded_at)
        elif kind == "ExclusionDecided" and data.get("decision") == "exclude":
            pupil_id, proposal = pupil_of[stream_id], proposals[(stream_id, data["proposal"])]
            key = (pupil_id, date.fromisoformat(proposal["start_date"]))
            excluded.add(key)
            if key in recorded and recorded[key]["replaced_at"] is None:
                recorded[key]["replaced_at"] = recorded_at
    return list(suspended.values()), list(recorded.values())


def _suspension_recorded(
    suspended: dict[tuple[str, date], dict[str, Any]],
    decided: list[tuple[date, float]],
    pupil_id: str,
    version: int,
    data: dict[str, Any],
    recorded_at: Any,
) -> None:
    """A record corrects the days of one already held (still counting: its days; taken by a decision: none), or
    counts from now unless a head decided the same suspension on a case before."""
    start, days = date.fromisoformat(data["start_date"]), float(data["days"])
    held = suspended.get((pupil_id, start))
    if held is not None:
        held["decided_days"] = days
        if held["cancelled_at"] is None:
            held["days"] = days
        return
    if any(same_suspension(start, days, other, other_days) for other, other_days in decided):
        return
    term = term_of(data["start_date"])
    suspended[(pupil_id, start)] = {
        "pupil_id": pupil_id,
        "case_id": pupil_id,
        "school_year": term.school_year,
        "term": term.name,
        "start_date": start,
        "days": days,
        "decided_version": version,
        "decided_at": recorded_at,
        "decided_days": days,
        "source": "mis",
        "cancelled_at": None,
    }


def downgrade() -> None:
    op.drop_table("mis_exclusions")
