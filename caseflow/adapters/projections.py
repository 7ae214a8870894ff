"""Read models kept up to date from the log, inside the append transaction, and
rebuildable from the log at any time (``caseflow projections rebuild``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from typing import TypeVar

from sqlalchemy import Connection, bindparam, delete, insert, select, tuple_, update

from caseflow.adapters.database import write_transaction
from caseflow.adapters.event_store import Checkpoint, SqlEventStore, hold_projection_lock
from caseflow.adapters.tables import (
    PROJECTION_TABLES,
    attendance_marks,
    attendance_months,
    case_summary,
    events,
    interventions,
    projection_checkpoints,
    pupil_status,
    pupils,
    social_care_episodes,
    suspension_days,
    teaching,
)
from caseflow.domain import sdq
from caseflow.domain.attendance import summarise
from caseflow.domain.events import StoredEvent
from caseflow.domain.guards import school_year

T = TypeVar("T")


def project_case_summary(conn: Connection, batch: Sequence[StoredEvent]) -> None:
    """Open, move and count cases; a batch ends with ONE update per case, not one per event."""
    case_events = [e for e in batch if e.stream_type == "case"]
    openings = [e for e in case_events if e.version == 1]
    if openings:
        conn.execute(
            insert(case_summary),
            [
                {
                    "case_id": e.stream_id,
                    "pupil_id": e.data["pupil_id"],
                    "school_urn": e.data.get("school_urn", ""),
                    "state": e.data.get("to_state", ""),
                    "version": 1,
                    "opened_at": e.occurred_at,
                    "updated_at": e.recorded_at,
                    "need_areas": json.dumps(e.data.get("need_areas", [])),
                }
                for e in openings
            ],
        )
    latest: dict[str, dict[str, object]] = {}
    for event in case_events:
        if event.version == 1:
            continue
        row = latest.setdefault(event.stream_id, {"cid": event.stream_id})
        row["version"], row["updated_at"] = event.version, event.recorded_at
        if "to_state" in event.data:
            row["state"] = event.data["to_state"]
        if event.event_type == "SuspensionDecided" and event.data.get("decision") == "suspend":
            _project_suspension(conn, event)
        elif event.event_type in _INTERVENTION_PROJECTIONS:
            _INTERVENTION_PROJECTIONS[event.event_type](conn, event)
    for keys, rows in _grouped_by_keys(latest.values()).items():
        values = {k: bindparam(f"new_{k}") for k in keys if k != "cid"}
        conn.execute(
            update(case_summary).where(case_summary.c.case_id == bindparam("cid")).values(**values),
            [{("cid" if k == "cid" else f"new_{k}"): v for k, v in r.items()} for r in rows],
        )


def _grouped_by_keys(rows: Iterable[dict[str, object]]) -> dict[tuple[str, ...], list[dict[str, object]]]:
    """Rows with the same columns, together, so each group is one executemany."""
    groups: dict[tuple[str, ...], list[dict[str, object]]] = defaultdict(list)
    for row in rows:
        groups[tuple(sorted(row))].append(row)
    return groups


def _intervention_planned(conn: Connection, event: StoredEvent) -> None:
    pupil_id = conn.execute(select(case_summary.c.pupil_id).where(case_summary.c.case_id == event.stream_id)).scalar_one()
    conn.execute(
        insert(interventions).values(
            case_id=event.stream_id,
            intervention=event.version,
            pupil_id=pupil_id,
            name=event.data["intervention"],
            owner=event.data["owner"],
            status="active",
            review_date=date.fromisoformat(event.data["review_date"]),
        )
    )


def _outcome(conn: Connection, event: StoredEvent) -> None:
    if event.data.get("status") in {"completed", "stopped"}:
        conn.execute(
            update(interventions)
            .where(interventions.c.case_id == event.stream_id, interventions.c.intervention == event.data["intervention"])
            .values(status=event.data["status"])
        )


def _continued(conn: Connection, event: StoredEvent) -> None:
    """Continuing the interventions sets the new review date on every active one."""
    conn.execute(
        update(interventions)
        .where(interventions.c.case_id == event.stream_id, interventions.c.status == "active")
        .values(review_date=date.fromisoformat(event.data["review_date"]))
    )


_INTERVENTION_PROJECTIONS: dict[str, Callable[[Connection, StoredEvent], None]] = {
    "InterventionPlanned": _intervention_planned,
    "OutcomeRecorded": _outcome,
    "InterventionContinued": _continued,
}


def _project_suspension(conn: Connection, event: StoredEvent) -> None:
    proposal_text = conn.execute(
        select(events.c.data).where(events.c.stream_id == event.stream_id, events.c.version == event.data["proposal"])
    ).scalar_one()
    proposal = json.loads(proposal_text)
    pupil_id = conn.execute(select(case_summary.c.pupil_id).where(case_summary.c.case_id == event.stream_id)).scalar_one()
    conn.execute(
        insert(suspension_days).values(
            pupil_id=pupil_id,
            case_id=event.stream_id,
            school_year=school_year(date.fromisoformat(proposal["start_date"])),
            days=float(proposal["days"]),
            decided_version=event.version,
        )
    )


def project_pupils(conn: Connection, batch: Sequence[StoredEvent]) -> None:
    """Pupil records; attendance and versions are written once per batch, not once per event."""
    versions: dict[str, int] = {}
    attendance: list[StoredEvent] = []
    for event in batch:
        if event.stream_type != "pupil":
            continue
        if event.event_type == "AttendanceRecorded":
            attendance.append(event)
        elif (handler := _PUPIL_PROJECTIONS.get(event.event_type)) is not None:
            handler(conn, event)
        versions[event.stream_id] = event.version
    if attendance:
        _attendance(conn, attendance)
    if versions:
        conn.execute(
            update(pupils).where(pupils.c.pupil_id == bindparam("pid")).values(version=bindparam("new_version")),
            [{"pid": pid, "new_version": version} for pid, version in versions.items()],
        )


def _registered(conn: Connection, event: StoredEvent) -> None:
    data = event.data
    conn.execute(
        insert(pupils).values(
            pupil_id=event.stream_id,
            upn=data["upn"],
            given_name=data["given_name"],
            family_name=data["family_name"],
            date_of_birth=date.fromisoformat(data["date_of_birth"]),
            school_urn=data["school_urn"],
            year_group=data.get("year_group"),
            version=event.version,
        )
    )
    conn.execute(insert(pupil_status).values(pupil_id=event.stream_id, incidents=0))


def _episode(conn: Connection, event: StoredEvent) -> None:
    data = event.data
    conn.execute(
        insert(social_care_episodes).values(
            pupil_id=event.stream_id,
            episode=event.version,
            plan=data["plan"],
            start_date=date.fromisoformat(data["start_date"]),
            end_date=date.fromisoformat(data["end_date"]) if data.get("end_date") else None,
            social_worker=data.get("social_worker"),
            category=data.get("category"),
        )
    )


def _episode_ended(conn: Connection, event: StoredEvent) -> None:
    conn.execute(
        update(social_care_episodes)
        .where(social_care_episodes.c.pupil_id == event.stream_id, social_care_episodes.c.episode == event.data["episode"])
        .values(end_date=date.fromisoformat(event.data["end_date"]))
    )


def _status(conn: Connection, pupil_id: str, **values: object) -> None:
    conn.execute(update(pupil_status).where(pupil_status.c.pupil_id == pupil_id).values(**values))


def _teacher(conn: Connection, event: StoredEvent) -> None:
    teacher = event.data["teacher"]
    conn.execute(delete(teaching).where(teaching.c.pupil_id == event.stream_id, teaching.c.teacher == teacher))
    if event.event_type == "TeacherAssigned":
        conn.execute(insert(teaching).values(pupil_id=event.stream_id, teacher=teacher))


def _incident(conn: Connection, event: StoredEvent) -> None:
    _status(conn, event.stream_id, incidents=pupil_status.c.incidents + 1)


def _wellbeing(conn: Connection, event: StoredEvent) -> None:
    data = event.data
    scores = sdq.from_scale_scores(data["informant"], {s: data.get(s) for s in sdq.SCALES}, data.get("impact"))
    first = conn.execute(select(pupil_status.c.wellbeing_first_total).where(pupil_status.c.pupil_id == event.stream_id)).scalar()
    _status(
        conn,
        event.stream_id,
        wellbeing_measure="sdq",
        wellbeing_total=scores.total,
        wellbeing_band=scores.band(),
        wellbeing_first_total=scores.total if first is None else first,
    )


def _attendance(conn: Connection, recorded: Sequence[StoredEvent]) -> None:
    """Replace the marks these events carry (the latest mark for a session wins), then recount
    each pupil-month they touch from all its marks. A handful of statements per batch, however
    many events: the MIS sends a day at a time, and a rebuild replays years of days."""
    marks: dict[tuple[str, date, str], str] = {}
    for event in recorded:
        for day, session, code in event.data["marks"]:
            marks[(event.stream_id, date.fromisoformat(day), session)] = code
    touched = {(p, _month(d)) for p, d, _ in marks}
    pupil_ids = sorted({p for p, _ in touched})
    first = min(date.fromisoformat(m + "-01") for _, m in touched)
    last = max(d for _, d, _ in marks)
    following = date(last.year + last.month // 12, last.month % 12 + 1, 1)
    held: dict[tuple[str, date, str], str] = {}
    counted_before: set[tuple[str, str]] = set()
    for chunk in _chunks(pupil_ids, 2000):
        for row in conn.execute(
            select(
                attendance_marks.c.pupil_id, attendance_marks.c.date, attendance_marks.c.session, attendance_marks.c.code
            ).where(attendance_marks.c.pupil_id.in_(chunk), attendance_marks.c.date >= first, attendance_marks.c.date < following)
        ):
            held[(row.pupil_id, row.date, row.session)] = row.code
        months = {m for _, m in touched}
        for row in conn.execute(
            select(attendance_months.c.pupil_id, attendance_months.c.month).where(
                attendance_months.c.pupil_id.in_(chunk), attendance_months.c.month.in_(sorted(months))
            )
        ):
            counted_before.add((row.pupil_id, row.month))
    for chunk in _chunks([key for key in marks if key in held], 2000):
        conn.execute(
            delete(attendance_marks).where(
                tuple_(attendance_marks.c.pupil_id, attendance_marks.c.date, attendance_marks.c.session).in_(chunk)
            )
        )
    conn.execute(
        insert(attendance_marks), [{"pupil_id": p, "date": d, "session": s, "code": c} for (p, d, s), c in marks.items()]
    )
    by_month: dict[tuple[str, str], list[tuple[date, str, str]]] = defaultdict(list)
    for (pupil_id, day, session), code in (held | marks).items():
        key = (pupil_id, _month(day))
        if key in touched:
            by_month[key].append((day, session, code))
    for chunk in _chunks(sorted(touched & counted_before), 2000):
        conn.execute(delete(attendance_months).where(tuple_(attendance_months.c.pupil_id, attendance_months.c.month).in_(chunk)))
    counted = []
    for (pupil_id, month), month_marks in by_month.items():
        summary = summarise(month_marks)
        counted.append(
            {
                "pupil_id": pupil_id,
                "month": month,
                "possible": summary.possible,
                "attended": summary.attended,
                "authorised": summary.authorised,
                "unauthorised": summary.unauthorised,
            }
        )
    conn.execute(insert(attendance_months), counted)


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Slices small enough for the database's limit on bound parameters."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


_PUPIL_PROJECTIONS: dict[str, Callable[[Connection, StoredEvent], None]] = {
    "PupilRegistered": _registered,
    "SocialCareEpisodeRecorded": _episode,
    "SocialCareEpisodeEnded": _episode_ended,
    "PupilDetailsUpdated": lambda c, e: c.execute(
        update(pupils)
        .where(pupils.c.pupil_id == e.stream_id)
        .values(**{k: date.fromisoformat(v) if k == "date_of_birth" else v for k, v in e.data.items()})
    ),
    "SendStatusRecorded": lambda c, e: _status(
        c, e.stream_id, send_status=e.data["status"], primary_need=e.data.get("primary_need")
    ),
    "CareStatusRecorded": lambda c, e: _status(c, e.stream_id, care_status=e.data["status"]),
    "TeacherAssigned": _teacher,
    "TeacherUnassigned": _teacher,
    "BehaviourIncidentRecorded": _incident,
    "WellbeingRecorded": _wellbeing,
}


INLINE_PROJECTORS = (project_pupils, project_case_summary)


def rebuild(store: SqlEventStore, progress: Callable[[int], None] | None = None, batch: int = 2000) -> int:
    """Empty every read model and replay the whole log through the projectors, in one transaction.

    Reads the log in batches so memory stays flat; readers see the old read
    models until the rebuild commits. Writers wait meanwhile (the projection lock
    on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so no event is missed or
    projected twice. Attendance and versions are written once per batch, which
    is what makes a rebuild of a large LA take seconds per 100,000 events.
    """
    done = 0
    with write_transaction(store.engine) as conn:
        hold_projection_lock(conn, exclusive=True)
        for table in reversed(PROJECTION_TABLES):
            conn.execute(delete(table))
        after = Checkpoint()
        while True:
            found, after = store.read_all(after, batch, writers_excluded=True)
            if not found:
                break
            for project in INLINE_PROJECTORS:
                project(conn, found)
            done += len(found)
            if progress:
                progress(len(found))
        conn.execute(delete(projection_checkpoints).where(projection_checkpoints.c.name == "inline"))
        conn.execute(insert(projection_checkpoints).values(name="inline", tx=after.tx, position=after.position))
    return done
