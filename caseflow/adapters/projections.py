"""Read models kept up to date from the log, inside the append transaction, and
rebuildable from the log at any time (``caseflow projections rebuild``).
"""

from __future__ import annotations

import functools
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    Date,
    Table,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    tuple_,
    update,
)

from caseflow.adapters.bulk import insert_rows
from caseflow.adapters.collector import collector_paused
from caseflow.adapters.database import DriverStatement, read_transaction, write_transaction
from caseflow.adapters.event_store import Checkpoint, SqlEventStore, decode, hold_projection_lock
from caseflow.adapters.tables import (
    OPEN_EPISODE,
    PROJECTION_TABLES,
    attainment_latest,
    attendance_marks,
    attendance_months,
    attendance_years,
    case_report_facts,
    case_summary,
    cohort_facts,
    events,
    incident_years,
    interventions,
    mis_exclusions,
    projection_checkpoints,
    pupil_status,
    pupils,
    sdq_dates,
    social_care_episodes,
    suspension_days,
    teaching,
)
from caseflow.domain import sdq
from caseflow.domain.attainment import supersedes
from caseflow.domain.attendance import summarise
from caseflow.domain.case import CLOSING_EVENTS, ENDED_WITH_CASE
from caseflow.domain.case_report import report_fact
from caseflow.domain.events import StoredEvent, london_date
from caseflow.domain.exclusions import mis_suspension_rows, school_year, term_of

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
    planned = _PlannedInterventions({e.stream_id: e.data["pupil_id"] for e in openings})
    for event in case_events:
        if event.version == 1:
            continue
        row = latest.setdefault(event.stream_id, {"cid": event.stream_id})
        row["version"], row["updated_at"] = event.version, event.recorded_at
        if "to_state" in event.data:
            row["state"] = event.data["to_state"]
        if event.event_type == "InterventionPlanned":
            planned.add(event)
        elif event.event_type == "SuspensionDecided" and event.data.get("decision") == "suspend":
            _project_suspension(conn, event)
        elif event.event_type == "ExclusionDecided" and event.data.get("decision") == "exclude":
            _project_exclusion(conn, event)
        elif event.event_type == "DecisionCancelled":
            _cancel_suspension(conn, event)
        elif event.event_type in _INTERVENTION_PROJECTIONS:
            planned.change(conn, event)
    planned.flush(conn)
    for keys, rows in _grouped_by_keys(latest.values()).items():
        _summary_update(keys).run_many(conn, [{("cid" if k == "cid" else f"new_{k}"): v for k, v in r.items()} for r in rows])


@functools.cache
def _summary_update(keys: tuple[str, ...]) -> DriverStatement:
    """The case-summary update for one set of changed columns, built once per set (there are few),
    run on the driver: every action runs one."""
    values = {k: bindparam(f"new_{k}") for k in keys if k != "cid"}
    return DriverStatement(update(case_summary).where(case_summary.c.case_id == bindparam("cid")).values(**values))


def _grouped_by_keys(rows: Iterable[dict[str, object]]) -> dict[tuple[str, ...], list[dict[str, object]]]:
    """Rows with the same columns, together, so each group is one executemany."""
    groups: dict[tuple[str, ...], list[dict[str, object]]] = defaultdict(list)
    for row in rows:
        groups[tuple(sorted(row))].append(row)
    return groups


class _PlannedInterventions:
    """New interventions, inserted together at the end of the batch; the case's pupil comes from the
    batch's openings or one lookup. An outcome or a continuation changes the batch's pending rows in
    memory and, for a case opened before this batch, its stored rows by an UPDATE: together what
    inserting first and updating after would leave, without a flush for every outcome of a rebuild."""

    def __init__(self, pupil_of: dict[str, str]) -> None:
        self.pupil_of = pupil_of
        self.opened_here = frozenset(pupil_of)
        self.rows: list[dict[str, Any]] = []

    def add(self, event: StoredEvent) -> None:
        self.rows.append(
            {
                "case_id": event.stream_id,
                "intervention": event.version,
                "name": event.data["intervention"],
                "owner": event.data["owner"],
                "status": "active",
                "review_date": date.fromisoformat(event.data["review_date"]),
            }
        )

    def change(self, conn: Connection, event: StoredEvent) -> None:
        data = event.data
        for row in self.rows:
            if row["case_id"] != event.stream_id:
                continue
            if event.event_type == "OutcomeRecorded":
                if row["intervention"] == data["intervention"] and data.get("status") in _ENDED:
                    row["status"] = data["status"]
            elif row["status"] != "active":
                continue
            elif event.event_type in CLOSING_EVENTS:
                row["status"] = ENDED_WITH_CASE
            else:
                row["review_date"] = date.fromisoformat(data["review_date"])
        if event.stream_id not in self.opened_here:
            _INTERVENTION_PROJECTIONS[event.event_type](conn, event)

    def flush(self, conn: Connection) -> None:
        if not self.rows:
            return
        unknown = sorted({row["case_id"] for row in self.rows} - set(self.pupil_of))
        for chunk in _chunks(unknown, 2000):
            query = select(case_summary.c.case_id, case_summary.c.pupil_id).where(case_summary.c.case_id.in_(chunk))
            self.pupil_of.update({row.case_id: row.pupil_id for row in conn.execute(query)})
        insert_rows(conn, interventions, [row | {"pupil_id": self.pupil_of[row["case_id"]]} for row in self.rows])
        self.rows.clear()


#: outcomes that end an intervention
_ENDED = frozenset({"completed", "stopped"})


def _outcome(conn: Connection, event: StoredEvent) -> None:
    if event.data.get("status") in _ENDED:
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


def _closed(conn: Connection, event: StoredEvent) -> None:
    """Closing the case ends every intervention still running (``SupportCase.interventions`` reads it so)."""
    conn.execute(
        update(interventions)
        .where(interventions.c.case_id == event.stream_id, interventions.c.status == "active")
        .values(status=ENDED_WITH_CASE)
    )


_INTERVENTION_PROJECTIONS: dict[str, Callable[[Connection, StoredEvent], None]] = {
    "OutcomeRecorded": _outcome,
    "InterventionContinued": _continued,
    **dict.fromkeys(CLOSING_EVENTS, _closed),
}


def _decided_proposal(conn: Connection, event: StoredEvent) -> tuple[str, dict[str, Any]]:
    """The pupil of a decision's case and the proposal it decides, as its event wrote it."""
    proposal_text = conn.execute(
        select(events.c.data).where(events.c.stream_id == event.stream_id, events.c.version == event.data["proposal"])
    ).scalar_one()
    pupil_id = conn.execute(select(case_summary.c.pupil_id).where(case_summary.c.case_id == event.stream_id)).scalar_one()
    return pupil_id, json.loads(proposal_text)


def _project_suspension(conn: Connection, event: StoredEvent) -> None:
    pupil_id, proposal = _decided_proposal(conn, event)
    term = term_of(proposal["start_date"])
    start, days = date.fromisoformat(proposal["start_date"]), float(proposal["days"])
    conn.execute(
        insert(suspension_days).values(
            pupil_id=pupil_id,
            case_id=event.stream_id,
            school_year=term.school_year,
            term=term.name,
            start_date=start,
            days=days,
            decided_version=event.version,
            decided_at=event.recorded_at,
            decided_days=days,
            source="case",
        )
    )
    # the MIS's records of this suspension (``same_suspension``) count as the decision from now
    _rewrite_mis_suspensions(conn, pupil_id)


def _project_exclusion(conn: Connection, event: StoredEvent) -> None:
    """A head's decision to exclude: the MIS's record of the same exclusion (its first day), written before the
    decision, counted until now and the decision counts from now (a report reads the decision from its facts);
    one the log holds after the decision never counted (a rebuild, whose pupils' events of a batch are projected
    before its cases', may have written it already)."""
    pupil_id, proposal = _decided_proposal(conn, event)
    me = mis_exclusions.c
    row = (me.pupil_id == pupil_id, me.start_date == date.fromisoformat(proposal["start_date"]))
    found = conn.execute(
        select(me.replaced_at, events.c.position)
        .join(events, and_(events.c.stream_id == me.pupil_id, events.c.version == me.recorded_version))
        .where(*row)
    ).first()
    if found is None:
        return
    if found.position > event.position:
        conn.execute(delete(mis_exclusions).where(*row))
    elif found.replaced_at is None:
        conn.execute(update(mis_exclusions).where(*row).values(replaced_at=event.recorded_at))


def _recorded_suspension(conn: Connection, event: StoredEvent) -> None:
    """A suspension the school's MIS recorded counts as one decided when it was recorded; a later record of
    the same one (the pupil, its first day) corrects its days, and it still counts from when it was first
    recorded, so a figure as at a day between counts it once; one over a suspension a head decided on a case
    (``same_suspension``, its days as corrected) counts as the case's decision, not twice, from the later of the
    two (``mis_suspension_rows``). A permanent exclusion has no days: ``mis_exclusions``."""
    data = event.data
    if data["kind"] != "suspension":
        _recorded_exclusion(conn, event)
        return
    _rewrite_mis_suspensions(conn, event.stream_id)


def _rewrite_mis_suspensions(conn: Connection, pupil_id: str) -> None:
    """Write the pupil's MIS rows again from the log (``mis_suspension_rows``): their records and the decisions
    to suspend on their cases, in the log's order. Inline that is each as it is appended; a rebuild, which
    projects a batch's pupils' events before its cases', writes them again at each, the last with them all."""
    sd = suspension_days.c
    recorded = conn.execute(
        select(events.c.position, events.c.version, events.c.data, events.c.recorded_at).where(
            events.c.stream_id == pupil_id, events.c.event_type == "SuspensionRecorded"
        )
    ).all()
    decided = conn.execute(
        select(events.c.position, sd.start_date, sd.decided_days, sd.decided_at)
        .join(events, and_(events.c.stream_id == sd.case_id, events.c.version == sd.decided_version))
        .where(sd.pupil_id == pupil_id, sd.source == "case")
    ).all()
    timeline = [(p, "decided", start, days, None, at) for p, start, days, at in decided]
    for position, version, text, at in recorded:
        data = json.loads(text)
        if data.get("kind") == "suspension":
            start = date.fromisoformat(data["start_date"])
            timeline.append((position, "recorded", start, float(data["days"]), version, at))
    rows = mis_suspension_rows(pupil_id, [entry[1:] for entry in sorted(timeline, key=lambda entry: entry[0])])
    conn.execute(delete(suspension_days).where(sd.pupil_id == pupil_id, sd.source == "mis"))
    if rows:
        conn.execute(insert(suspension_days), rows)


def _recorded_exclusion(conn: Connection, event: StoredEvent) -> None:
    """A permanent exclusion the school's MIS recorded counts from when it was first recorded (a later record
    of it, with another reason, changes nothing counted), unless a head decided it (its first day) on one of
    the pupil's cases already: that decision counts."""
    start = date.fromisoformat(event.data["start_date"])
    me = mis_exclusions.c
    if conn.execute(select(me.pupil_id).where(me.pupil_id == event.stream_id, me.start_date == start)).first():
        return
    decided, proposed = case_report_facts.alias("decided"), case_report_facts.alias("proposed")
    excluded = (
        select(decided.c.case_id)
        .join(proposed, and_(proposed.c.case_id == decided.c.case_id, proposed.c.version == decided.c.ref))
        .join(case_summary, case_summary.c.case_id == decided.c.case_id)
        .where(
            case_summary.c.pupil_id == event.stream_id,
            decided.c.kind == "decided",
            decided.c.detail == "exclude",
            proposed.c.kind == "proposed",
            proposed.c.detail == "exclusion",
            proposed.c.start_date == start,
        )
    )
    if conn.execute(excluded.limit(1)).first() is not None:
        return
    conn.execute(
        insert(mis_exclusions).values(
            pupil_id=event.stream_id,
            start_date=start,
            school_year=school_year(start),
            recorded_version=event.version,
            recorded_at=event.recorded_at,
        )
    )


def _cancel_suspension(conn: Connection, event: StoredEvent) -> None:
    """A cancelled suspension counts only the days already served (an exclusion has no row); the days
    decided and when it was cancelled are kept, for what was owed before then."""
    for decided_version in conn.execute(
        select(suspension_days.c.decided_version).where(suspension_days.c.case_id == event.stream_id)
    ).scalars():
        decision = conn.execute(
            select(events.c.data).where(events.c.stream_id == event.stream_id, events.c.version == decided_version)
        ).scalar_one()
        if json.loads(decision).get("proposal") == event.data["proposal"]:
            conn.execute(
                update(suspension_days)
                .where(suspension_days.c.case_id == event.stream_id, suspension_days.c.decided_version == decided_version)
                .values(days=float(event.data["days_served"]) + 0.0, cancelled_at=event.recorded_at)
            )


def project_pupils(conn: Connection, batch: Sequence[StoredEvent]) -> None:
    """Pupil records. New rows, attendance, status, teachers and versions are written once per
    batch (a statement per table, not per event); the rare event that updates a row in place
    first flushes what is pending, so order is kept."""
    versions: dict[str, int] = {}
    attendance: list[StoredEvent] = []
    status: dict[str, dict[str, object]] = {}
    teachers: dict[tuple[str, str], bool] = {}
    pending = _PendingRows()
    for event in batch:
        if event.stream_type != "pupil":
            continue
        kind = event.event_type
        if kind == "AttendanceRecorded":
            attendance.append(event)
        elif (change := _STATUS_CHANGES.get(kind)) is not None:
            _merge_status(status.setdefault(event.stream_id, {}), change(event))
        elif kind in ("TeacherAssigned", "TeacherUnassigned"):
            teachers[(event.stream_id, event.data["teacher"])] = kind == "TeacherAssigned"
        elif (rows := _NEW_ROWS.get(kind)) is not None:
            for table, row in rows(event):
                pending.add(table, row)
        elif kind == "SocialCareEpisodeEnded" and pending.end_episode(event):
            pass
        elif (handler := _PUPIL_PROJECTIONS.get(kind)) is not None:
            pending.flush(conn)
            handler(conn, event)
        versions[event.stream_id] = event.version
    pending.flush(conn)
    if attendance:
        _attendance(conn, attendance)
    if status:
        _write_status(conn, status)
    if teachers:
        _write_teachers(conn, teachers)
    _count_incidents(conn, batch)
    _latest_attainment(conn, batch)
    insert_rows(conn, sdq_dates, sdq_rows(batch))
    if versions:
        conn.execute(
            update(pupils).where(pupils.c.pupil_id == bindparam("pid")).values(version=bindparam("new_version")),
            [{"pid": pid, "new_version": version} for pid, version in sorted(versions.items())],  # locks in id order
        )


class _PendingRows:
    """Inserts held back to go in as one multi-row statement per table, in the order tables appeared."""

    def __init__(self) -> None:
        self.rows: dict[Table, list[dict[str, object]]] = {}

    def add(self, table: Table, row: dict[str, object]) -> None:
        self.rows.setdefault(table, []).append(row)

    def end_episode(self, event: StoredEvent) -> bool:
        """End an episode recorded earlier in this batch in its pending row (as ``_episode_ended``
        would once it is written), so a rebuild need not flush for every child whose episode ended."""
        for row in self.rows.get(social_care_episodes, ()):
            if row["pupil_id"] == event.stream_id and row["episode"] == event.data["episode"]:
                row["end_date"] = date.fromisoformat(event.data["end_date"])
                return True
        return False

    def flush(self, conn: Connection) -> None:
        for table, rows in self.rows.items():
            insert_rows(conn, table, rows)
        self.rows.clear()


def _count_incidents(conn: Connection, batch: Sequence[StoredEvent]) -> None:
    """Add the batch's behaviour incidents to each (pupil, school year of the incident's date): an UPDATE
    for the pairs counted before, one INSERT for the new."""
    incidents = Counter(
        (e.stream_id, school_year(date.fromisoformat(e.data["date"])))
        for e in batch
        if e.event_type == "BehaviourIncidentRecorded" and e.stream_type == "pupil"
    )
    counted: set[tuple[str, int]] = set()
    for chunk in _chunks(sorted({pupil for pupil, _ in incidents}), 2000):  # by pupil: one index range each
        query = select(incident_years.c.pupil_id, incident_years.c.school_year).where(incident_years.c.pupil_id.in_(chunk))
        counted.update(
            (row.pupil_id, row.school_year) for row in conn.execute(query) if (row.pupil_id, row.school_year) in incidents
        )
    if counted:
        conn.execute(
            update(incident_years)
            .where(incident_years.c.pupil_id == bindparam("pid"), incident_years.c.school_year == bindparam("year"))
            .values(incidents=incident_years.c.incidents + bindparam("more")),
            [{"pid": p, "year": y, "more": incidents[(p, y)]} for p, y in sorted(counted)],
        )
    new = [{"pupil_id": p, "school_year": y, "incidents": n} for (p, y), n in sorted(incidents.items()) if (p, y) not in counted]
    if new:
        insert_rows(conn, incident_years, new)


def sdq_rows(batch: Iterable[StoredEvent]) -> list[dict[str, object]]:
    """The day each SDQ of the batch was completed: every one is kept, not only the latest recorded, as one done
    earlier may be typed in after it, and the due list asks for the last as at a day (migration 0025 fills the
    rows of the SDQs recorded before it alike)."""
    return [
        {"pupil_id": e.stream_id, "version": e.version, "administered_on": date.fromisoformat(e.data["administered_on"])}
        for e in batch
        if e.event_type == "WellbeingRecorded" and e.stream_type == "pupil" and e.data.get("measure") == "sdq"
    ]


def _latest_attainment(conn: Connection, batch: Sequence[StoredEvent]) -> None:
    """Each (pupil, school year, subject) judged in the batch: its judgement, if its term is the one held
    or later (``caseflow.domain.attainment``); one INSERT for the new, an UPDATE for each replaced."""
    found: dict[tuple[str, int, str], tuple[str, str]] = {}
    for e in batch:
        if e.event_type == "AttainmentRecorded" and e.stream_type == "pupil":
            key = (e.stream_id, int(e.data["school_year"]), e.data["subject"])
            if supersedes(e.data["term"], found[key][0] if key in found else None):
                found[key] = (e.data["term"], e.data["judgement"])
    if not found:
        return
    held: dict[tuple[str, int, str], str] = {}
    columns = (attainment_latest.c.pupil_id, attainment_latest.c.school_year, attainment_latest.c.subject)
    for chunk in _chunks(sorted({pupil for pupil, _, _ in found}), 2000):  # by pupil: one index range each
        for row in conn.execute(select(*columns, attainment_latest.c.term).where(attainment_latest.c.pupil_id.in_(chunk))):
            held[(row.pupil_id, row.school_year, row.subject)] = row.term
    replaced = [
        {"pid": p, "year": y, "subj": s, "new_term": term, "new_judgement": judgement}
        for (p, y, s), (term, judgement) in sorted(found.items())
        if (p, y, s) in held and supersedes(term, held[(p, y, s)])
    ]
    if replaced:
        conn.execute(
            update(attainment_latest)
            .where(
                attainment_latest.c.pupil_id == bindparam("pid"),
                attainment_latest.c.school_year == bindparam("year"),
                attainment_latest.c.subject == bindparam("subj"),
            )
            .values(term=bindparam("new_term"), judgement=bindparam("new_judgement")),
            replaced,
        )
    new = [
        {"pupil_id": p, "school_year": y, "subject": s, "term": term, "judgement": judgement}
        for (p, y, s), (term, judgement) in sorted(found.items())
        if (p, y, s) not in held
    ]
    if new:
        insert_rows(conn, attainment_latest, new)


def _write_teachers(conn: Connection, teachers: dict[tuple[str, str], bool]) -> None:
    """Each (pupil, teacher) pair ends the batch taught or not."""
    pairs = list(teachers)
    for chunk in _chunks(pairs, 2000):
        conn.execute(delete(teaching).where(tuple_(teaching.c.pupil_id, teaching.c.teacher).in_(chunk)))
    taught = [{"pupil_id": pupil, "teacher": teacher} for (pupil, teacher), on in teachers.items() if on]
    if taught:
        insert_rows(conn, teaching, taught)


def _registered(event: StoredEvent) -> list[tuple[Table, dict[str, object]]]:
    data = event.data
    record = {
        "pupil_id": event.stream_id,
        "upn": data["upn"],
        "given_name": data["given_name"],
        "family_name": data["family_name"],
        "date_of_birth": date.fromisoformat(data["date_of_birth"]),
        "school_urn": data["school_urn"],
        "year_group": data.get("year_group"),
        "version": event.version,
        # the day they joined, where the school registered them after it (pupil_record@6); else the day registered
        "on_roll_from": date.fromisoformat(data["on_roll_from"]) if data.get("on_roll_from") else london_date(event.occurred_at),
    }
    return [(pupils, record), (pupil_status, {"pupil_id": event.stream_id, "incidents": 0})]


def _episode(event: StoredEvent) -> list[tuple[Table, dict[str, object]]]:
    data = event.data
    row = {
        "pupil_id": event.stream_id,
        "episode": event.version,
        "plan": data["plan"],
        "start_date": date.fromisoformat(data["start_date"]),
        "end_date": date.fromisoformat(data["end_date"]) if data.get("end_date") else None,
        "social_worker": data.get("social_worker"),
        "category": data.get("category"),
    }
    return [(social_care_episodes, row)]


#: events that only add rows (held back and inserted together)
_NEW_ROWS: dict[str, Callable[[StoredEvent], list[tuple[Table, dict[str, object]]]]] = {
    "PupilRegistered": _registered,
    "SocialCareEpisodeRecorded": _episode,
}


def _episode_ended(conn: Connection, event: StoredEvent) -> None:
    conn.execute(
        update(social_care_episodes)
        .where(social_care_episodes.c.pupil_id == event.stream_id, social_care_episodes.c.episode == event.data["episode"])
        .values(end_date=date.fromisoformat(event.data["end_date"]))
    )


def _wellbeing(event: StoredEvent) -> dict[str, object]:
    data = event.data
    scores = sdq.from_scale_scores(data["informant"], {s: data.get(s) for s in sdq.SCALES}, data.get("impact"))
    return {
        "wellbeing_measure": "sdq",
        "wellbeing_total": scores.total,
        "wellbeing_band": scores.band(),
        "wellbeing_first_total": scores.total,
    }


#: pupil_status changes, summed over a batch: later values win, except the count of incidents
#: (added up) and the first SDQ total (the earliest is kept)
_STATUS_CHANGES: dict[str, Callable[[StoredEvent], dict[str, object]]] = {
    "SendStatusRecorded": lambda e: {"send_status": e.data["status"], "primary_need": e.data.get("primary_need")},
    "CareStatusRecorded": lambda e: {"care_status": e.data["status"], "care_since": date.fromisoformat(e.data["since"])},
    "BehaviourIncidentRecorded": lambda e: {"incidents": 1},
    "WellbeingRecorded": _wellbeing,
}


def _merge_status(pending: dict[str, object], change: dict[str, object]) -> None:
    for column, value in change.items():
        if column == "incidents":
            pending[column] = int(pending.get(column, 0)) + int(value)  # type: ignore[call-overload]
        elif column == "wellbeing_first_total":
            pending.setdefault(column, value)
        else:
            pending[column] = value


def _write_status(conn: Connection, status: dict[str, dict[str, object]]) -> None:
    """One UPDATE per set of columns changed, for every pupil of the batch."""
    rows = [{"pid": pid, **{f"new_{k}": v for k, v in changes.items()}} for pid, changes in status.items()]
    for keys, group in _grouped_by_keys(rows).items():
        values: dict[str, object] = {}
        for key in keys:
            if key == "pid":
                continue
            column = key.removeprefix("new_")
            if column == "incidents":
                values[column] = pupil_status.c.incidents + bindparam(key)
            elif column == "wellbeing_first_total":
                values[column] = func.coalesce(pupil_status.c.wellbeing_first_total, bindparam(key))
            else:
                values[column] = bindparam(key)
        conn.execute(update(pupil_status).where(pupil_status.c.pupil_id == bindparam("pid")).values(**values), group)


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
    insert_rows(conn, attendance_marks, [{"pupil_id": p, "date": d, "session": s, "code": c} for (p, d, s), c in marks.items()])
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
    insert_rows(conn, attendance_months, counted)
    _recount_years(conn, touched)


def _recount_years(conn: Connection, touched: set[tuple[str, str]]) -> None:
    """Re-sum each touched pupil's school year from its months: two statements per school year a
    batch touches (almost always one), and the LA view reads one row per child."""
    pupils_by_year: dict[int, set[str]] = defaultdict(set)
    for pupil_id, month in touched:
        pupils_by_year[school_year(date.fromisoformat(f"{month}-01"))].add(pupil_id)
    m, y = attendance_months, attendance_years
    for year, pupil_ids in pupils_by_year.items():
        for chunk in _chunks(sorted(pupil_ids), 2000):
            conn.execute(delete(y).where(y.c.pupil_id.in_(chunk), y.c.school_year == year))
            sums = (
                select(
                    m.c.pupil_id,
                    literal(year),
                    func.sum(m.c.possible),
                    func.sum(m.c.attended),
                    func.sum(m.c.authorised + m.c.unauthorised),
                    func.max(m.c.month),
                )
                .where(m.c.pupil_id.in_(chunk), m.c.month >= f"{year:04d}-09", m.c.month <= f"{year + 1:04d}-08")
                .group_by(m.c.pupil_id)
            )
            columns = ["pupil_id", "school_year", "possible", "attended", "absent", "through_month"]
            conn.execute(insert(y).from_select(columns, sums))


@functools.lru_cache(maxsize=4096)
def _month(day: date) -> str:
    """'YYYY-MM' of a day; cached, as a rebuild asks it of the same school days for every child."""
    return f"{day.year:04d}-{day.month:02d}"


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Slices small enough for the database's limit on bound parameters."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


_PUPIL_PROJECTIONS: dict[str, Callable[[Connection, StoredEvent], None]] = {
    "SocialCareEpisodeEnded": _episode_ended,
    "SuspensionRecorded": _recorded_suspension,
    "PupilDetailsUpdated": lambda c, e: c.execute(
        update(pupils)
        .where(pupils.c.pupil_id == e.stream_id)
        .values(**{k: date.fromisoformat(v) if k == "date_of_birth" else v for k, v in e.data.items()})
    ),
}


#: the pupil events that change a source of a child's ``cohort_facts`` row
_COHORT_FACT_EVENTS = frozenset(
    {
        "PupilRegistered",
        "PupilDetailsUpdated",
        "SocialCareEpisodeRecorded",
        "SocialCareEpisodeEnded",
        "CareStatusRecorded",
        "WellbeingRecorded",
        "AttendanceRecorded",
    }
)


def project_cohort_facts(conn: Connection, batch: Sequence[StoredEvent]) -> None:
    """Recompute the cohort facts of every child the batch touched, from the read models the other
    projectors have just written: the whole row for a pupil event, the open journeys for a case's
    move. A set of statements per batch, however many children."""
    whole: set[str] = set()
    journeys: set[str] = set()
    moved_cases: list[str] = []
    for event in batch:
        if event.stream_type == "pupil":
            if event.event_type in _COHORT_FACT_EVENTS:
                whole.add(event.stream_id)
        elif event.stream_type != "case":
            continue  # a school's self-assessment is about no child
        elif event.version == 1:
            journeys.add(event.data["pupil_id"])
        elif "to_state" in event.data:
            moved_cases.append(event.stream_id)
    for chunk in _chunks(sorted(set(moved_cases)), 2000):
        journeys.update(conn.execute(select(case_summary.c.pupil_id).where(case_summary.c.case_id.in_(chunk))).scalars())
    hold_children(conn, sorted(whole | journeys))
    if whole:
        refresh_cohort_facts(conn, sorted(whole))
    if journeys - whole:
        _refresh_journeys(conn, sorted(journeys - whole))


def hold_children(conn: Connection, pupil_ids: Sequence[str]) -> None:
    """Lock these children's ``pupils`` rows (in id order, as every writer does) before reading what
    their cohort facts derive from. A child's facts come from several streams (the pupil's and each
    case's), whose writers run side by side on PostgreSQL; without this, a writer could fold in a
    case state that another transaction was changing and commit over it. Once the lock is held, READ
    COMMITTED gives the statements after it the other's committed rows. SQLite writers queue already."""
    if conn.dialect.name != "postgresql":
        return
    for chunk in _chunks(pupil_ids, 2000):
        conn.execute(select(pupils.c.pupil_id).where(pupils.c.pupil_id.in_(chunk)).order_by(pupils.c.pupil_id).with_for_update())


def refresh_cohort_facts(conn: Connection, pupil_ids: Sequence[str]) -> None:
    """Replace these children's rows with their facts as the read models hold them now."""
    for chunk in _chunks(pupil_ids, 2000):
        conn.execute(delete(cohort_facts).where(cohort_facts.c.pupil_id.in_(chunk)))
        conn.execute(insert(cohort_facts).from_select(_COHORT_FACT_COLUMNS, _cohort_facts_of(chunk)))
        _refresh_journeys(conn, chunk, only_open=True)


_COHORT_FACT_COLUMNS = [c.name for c in cohort_facts.columns]


def _cohort_facts_of(pupil_ids: Sequence[str] | None) -> Any:
    """The rows as the read models give them now, for these children (None: every child), with
    no open journeys yet (``_refresh_journeys`` sets those)."""
    e, y, ps = social_care_episodes, attendance_years, pupil_status
    until = func.coalesce(e.c.end_date, literal(OPEN_EPISODE, Date))
    episodes = (
        select(
            e.c.pupil_id,
            func.max(e.c.start_date).label("started_by"),
            func.max(until).label("cohort_until"),
            func.max(case((e.c.plan == "cp", until))).label("cp_until"),
        )
        .where(e.c.pupil_id.in_(pupil_ids) if pupil_ids is not None else true())
        .group_by(e.c.pupil_id)
        .subquery()
    )
    latest = (
        select(y.c.pupil_id, func.max(y.c.school_year).label("school_year"))
        .where(y.c.pupil_id.in_(pupil_ids) if pupil_ids is not None else true())
        .group_by(y.c.pupil_id)
        .subquery()
    )
    return select(
        pupils.c.pupil_id,
        pupils.c.school_urn,
        episodes.c.started_by,
        episodes.c.cohort_until,
        episodes.c.cp_until,
        ps.c.care_status,
        ps.c.wellbeing_band,
        y.c.school_year,
        y.c.possible,
        y.c.attended,
        y.c.absent,
        y.c.through_month,
        literal(0),
        literal(""),
    ).select_from(
        pupils.join(episodes, episodes.c.pupil_id == pupils.c.pupil_id)
        .outerjoin(ps, ps.c.pupil_id == pupils.c.pupil_id)
        .outerjoin(latest, latest.c.pupil_id == pupils.c.pupil_id)
        .outerjoin(y, and_(y.c.pupil_id == latest.c.pupil_id, y.c.school_year == latest.c.school_year))
    )


_SET_JOURNEYS = (
    update(cohort_facts)
    .where(cohort_facts.c.pupil_id == bindparam("pid"))
    .values(open_cases=bindparam("new_open_cases"), open_journeys=bindparam("new_open_journeys"))
)


def _refresh_journeys(conn: Connection, pupil_ids: Sequence[str], only_open: bool = False) -> None:
    """The states of each child's open cases, sorted so equal mixes group together in SQL.
    ``only_open``: the rows were just written with none, so only children with an open case change."""
    for chunk in _chunks(pupil_ids, 2000):
        journeys = _open_journeys(conn, chunk)
        rows = [
            {"pid": pid, "new_open_cases": count, "new_open_journeys": states}
            for pid, (count, states) in journeys.items()
            if count or not only_open
        ]
        if rows:
            conn.execute(_SET_JOURNEYS, rows)


def _open_journeys(conn: Connection, pupil_ids: Sequence[str] | None) -> dict[str, tuple[int, str]]:
    """Each child's open cases: how many, and their states (sorted, comma-separated). None: every
    child with a case (the others have none)."""
    query = select(case_summary.c.pupil_id, case_summary.c.state).where(case_summary.c.state != "closed")
    states: dict[str, list[str]] = {pid: [] for pid in pupil_ids or ()}
    for pid, state in conn.execute(query.where(case_summary.c.pupil_id.in_(pupil_ids)) if pupil_ids is not None else query):
        states.setdefault(pid, []).append(state)
    return {pid: (len(found), ",".join(sorted(found))) for pid, found in states.items()}


def cohort_facts_out_of_step(conn: Connection) -> list[str]:
    """Children whose ``cohort_facts`` row differs from what the other read models give now (or who
    lack one, or have one they should not): damage, which a rebuild mends."""
    journeys = _open_journeys(conn, None)
    expected = {}
    for row in conn.execute(_cohort_facts_of(None)):
        open_cases, states = journeys.get(row[0], (0, ""))
        expected[row[0]] = (*row[:-2], open_cases, states)
    held = {row[0]: tuple(row) for row in conn.execute(select(cohort_facts))}
    return sorted(pid for pid in expected.keys() | held.keys() if expected.get(pid) != held.get(pid))


def owners_out_of_step(conn: Connection) -> tuple[list[str], list[str]]:
    """Cases and pupils whose read-model row names another school (a case: or another pupil) than the event that
    opened the stream, or that have a row and no stream. These rows decide which school's lists, dashboards and
    reports show a case or a child, so a row edited in the table (the app's role may write it) must not pass
    for current because its version is. A case's pupil and school, and a pupil's school, are set by the
    stream's first event and never change."""
    opened = select(events.c.stream_id, events.c.stream_type, events.c.data).where(
        events.c.version == 1, events.c.stream_type.in_(("case", "pupil"))
    )
    expected: dict[str, dict[str, tuple[Any, ...]]] = {"case": {}, "pupil": {}}
    for stream_id, stream_type, data in conn.execute(opened):
        found = decode(data)
        if stream_type == "case":
            expected["case"][stream_id] = (found.get("pupil_id"), found.get("school_urn", ""))
        else:
            expected["pupil"][stream_id] = (found.get("school_urn"),)
    held = {
        "case": {row[0]: tuple(row[1:]) for row in conn.execute(select(case_summary.c.case_id, case_summary.c.pupil_id,
                                                                        case_summary.c.school_urn))},
        "pupil": {row[0]: tuple(row[1:]) for row in conn.execute(select(pupils.c.pupil_id, pupils.c.school_urn))},
    }  # fmt: skip
    # a stream with no row at all is ``status``'s to name (as behind the log); a row with no stream is named here
    cases, kids = ([sid for sid in sorted(held[k]) if held[k][sid] != expected[k].get(sid)] for k in ("case", "pupil"))
    return cases, kids


def project_report_facts(conn: Connection, batch: Sequence[StoredEvent]) -> None:
    """A row for each case event a governors' report counts (none for a note or a contact)."""
    rows = [fact._asdict() for event in batch if event.stream_type == "case" and (fact := report_fact(event)) is not None]
    insert_rows(conn, case_report_facts, rows)


def report_facts_out_of_step(conn: Connection) -> list[str]:
    """Cases whose ``case_report_facts`` rows differ from what their events give (damage, which a
    rebuild mends): every case event is read again and its fact recomputed."""
    query = select(
        events.c.stream_id, events.c.version, events.c.event_type, events.c.schema_version, events.c.data, events.c.role,
        events.c.occurred_at, events.c.recorded_at,
    ).where(events.c.stream_type == "case")  # fmt: skip
    expected: dict[str, set[tuple[Any, ...]]] = defaultdict(set)
    for stream_id, version, event_type, schema_version, data, role, occurred_at, recorded_at in conn.execute(query):
        event = StoredEvent(
            stream_id, "case", version, 0, event_type, schema_version, decode(data), "", role, occurred_at, recorded_at,
            "", "", "",
        )  # fmt: skip
        if (fact := report_fact(event)) is not None:
            expected[stream_id].add(tuple(fact))
    held: dict[str, set[tuple[Any, ...]]] = defaultdict(set)
    for row in conn.execute(select(*case_report_facts.c)):
        held[row[0]].add(tuple(row))
    return sorted(case_id for case_id in expected.keys() | held.keys() if expected.get(case_id) != held.get(case_id))


INLINE_PROJECTORS = (project_pupils, project_case_summary, project_cohort_facts, project_report_facts)


def rebuild(store: SqlEventStore, progress: Callable[[int], None] | None = None, batch: int = 20_000) -> int:
    """Empty every read model and replay the whole log through the projectors, in one transaction.

    Reads the log in batches of ``batch`` events so memory stays flat (20,000: about 65 MiB more
    than 5,000 at the peak, and half again as fast on a large LA, where each batch re-reads the
    marks of children it shares with the last); readers see the old read
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
            with collector_paused():  # a batch is tens of thousands of objects, none of them in a cycle
                count, after = _project_batch(store, conn, after, batch)
            if not count:
                break
            done += count
            if progress:
                progress(count)
        conn.execute(delete(projection_checkpoints).where(projection_checkpoints.c.name == "inline"))
        conn.execute(insert(projection_checkpoints).values(name="inline", tx=after.tx, position=after.position))
    return done


def _project_batch(store: SqlEventStore, conn: Connection, after: Checkpoint, batch: int) -> tuple[int, Checkpoint]:
    """Project the next batch of the log; its events are freed on return, before the collector is back."""
    found, after = store.read_all(after, batch, writers_excluded=True)
    if not found:
        return 0, after
    for project in INLINE_PROJECTORS:
        project(conn, found)
    return len(found), after


def status(store: SqlEventStore) -> dict[str, Any]:
    """Whether the read models are current with the log, for an operator to check (and script against).

    Read models are written in each append's transaction, so they cannot lag; what this finds is
    damage: a case or pupil whose read-model row is missing, stands at another version than its
    stream, names another school (or pupil) than the stream's first event, or has no stream. Also the
    log's size and end, the last rebuild's checkpoint and the rows of each model.
    """
    streams = (
        select(events.c.stream_id, events.c.stream_type, func.max(events.c.version).label("version"))
        .group_by(events.c.stream_id, events.c.stream_type)
        .subquery()
    )

    def behind(stream_type: str, table: Table, key: Any) -> Any:
        row = table.alias("row")
        return (
            select(streams.c.stream_id)
            .select_from(streams.outerjoin(row, row.c[key] == streams.c.stream_id))
            .where(streams.c.stream_type == stream_type, or_(row.c.version.is_(None), row.c.version != streams.c.version))
            .order_by(streams.c.stream_id)
        )

    with read_transaction(store.engine) as conn:
        end = conn.execute(select(func.count(), func.max(events.c.position))).one()
        checkpoint = conn.execute(
            select(projection_checkpoints.c.position).where(projection_checkpoints.c.name == "inline")
        ).scalar_one_or_none()
        rows = {table.name: conn.execute(select(func.count()).select_from(table)).scalar_one() for table in PROJECTION_TABLES}
        wrong_cases, wrong_pupils = owners_out_of_step(conn)
        stale_cases = sorted({*conn.execute(behind("case", case_summary, "case_id")).scalars(), *wrong_cases})
        stale_pupils = sorted({*conn.execute(behind("pupil", pupils, "pupil_id")).scalars(), *wrong_pupils})
        stale_cohort_facts = cohort_facts_out_of_step(conn)
        stale_report_facts = report_facts_out_of_step(conn)
    return {
        "events": end[0],
        "last_position": end[1] or 0,
        "rebuilt_through_position": checkpoint,
        "rows": rows,
        "stale_cases": stale_cases,
        "stale_pupils": stale_pupils,
        "stale_cohort_facts": stale_cohort_facts,
        "stale_report_facts": stale_report_facts,
        "current": not stale_cases and not stale_pupils and not stale_cohort_facts and not stale_report_facts,
    }
