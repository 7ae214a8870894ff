"""Read models kept up to date from the log, inside the append transaction, and
rebuildable from the log at any time (``caseflow projections rebuild``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date

from sqlalchemy import Connection, delete, insert, select, tuple_, update

from caseflow.adapters.database import write_transaction
from caseflow.adapters.event_store import Checkpoint, SqlEventStore
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


def project_case_summary(conn: Connection, batch: Sequence[StoredEvent]) -> None:
    for event in batch:
        if event.stream_type != "case":
            continue
        if event.version == 1:
            conn.execute(
                insert(case_summary).values(
                    case_id=event.stream_id,
                    pupil_id=event.data["pupil_id"],
                    school_urn=event.data.get("school_urn", ""),
                    state=event.data.get("to_state", ""),
                    version=1,
                    opened_at=event.occurred_at,
                    updated_at=event.recorded_at,
                    need_areas=json.dumps(event.data.get("need_areas", [])),
                )
            )
            continue
        values: dict[str, object] = {"version": event.version, "updated_at": event.recorded_at}
        if "to_state" in event.data:
            values["state"] = event.data["to_state"]
        conn.execute(update(case_summary).where(case_summary.c.case_id == event.stream_id).values(**values))
        if event.event_type == "SuspensionDecided" and event.data.get("decision") == "suspend":
            _project_suspension(conn, event)
        elif event.event_type in _INTERVENTION_PROJECTIONS:
            _INTERVENTION_PROJECTIONS[event.event_type](conn, event)


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
    for event in batch:
        if event.stream_type != "pupil":
            continue
        handler = _PUPIL_PROJECTIONS.get(event.event_type)
        if handler is not None:
            handler(conn, event)
        if event.event_type != "PupilRegistered":
            conn.execute(update(pupils).where(pupils.c.pupil_id == event.stream_id).values(version=event.version))


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


def _attendance(conn: Connection, event: StoredEvent) -> None:
    marks = {(day, session): code for day, session, code in event.data["marks"]}
    days = sorted({date.fromisoformat(day) for day, _ in marks})
    conn.execute(
        delete(attendance_marks).where(
            attendance_marks.c.pupil_id == event.stream_id,
            attendance_marks.c.date.in_(days),
            tuple_(attendance_marks.c.date, attendance_marks.c.session).in_([(date.fromisoformat(d), s) for d, s in marks]),
        )
    )
    conn.execute(
        insert(attendance_marks),
        [{"pupil_id": event.stream_id, "date": date.fromisoformat(d), "session": s, "code": c} for (d, s), c in marks.items()],
    )
    for month in sorted({d[:7] for d, _ in marks}):
        _count_month(conn, event.stream_id, month)


def _count_month(conn: Connection, pupil_id: str, month: str) -> None:
    """Recount one pupil-month from its session marks."""
    first = date.fromisoformat(month + "-01")
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    rows = conn.execute(
        select(attendance_marks.c.date, attendance_marks.c.session, attendance_marks.c.code).where(
            attendance_marks.c.pupil_id == pupil_id, attendance_marks.c.date >= first, attendance_marks.c.date < following
        )
    ).all()
    summary = summarise((row.date, row.session, row.code) for row in rows)
    conn.execute(delete(attendance_months).where(attendance_months.c.pupil_id == pupil_id, attendance_months.c.month == month))
    conn.execute(
        insert(attendance_months).values(
            pupil_id=pupil_id,
            month=month,
            possible=summary.possible,
            attended=summary.attended,
            authorised=summary.authorised,
            unauthorised=summary.unauthorised,
        )
    )


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
    "AttendanceRecorded": _attendance,
    "WellbeingRecorded": _wellbeing,
}


INLINE_PROJECTORS = (project_pupils, project_case_summary)


def rebuild(store: SqlEventStore, progress: Callable[[int], None] | None = None, batch: int = 2000) -> int:
    """Empty every read model and replay the whole log through the projectors, in one transaction.

    Reads the log in batches so memory stays flat; readers see the old read
    models until the rebuild commits.
    """
    done = 0
    with write_transaction(store.engine) as conn:
        for table in reversed(PROJECTION_TABLES):
            conn.execute(delete(table))
        after = Checkpoint()
        while True:
            found, after = store.read_all(after, batch)
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
