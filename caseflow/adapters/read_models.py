"""Queries over the read models (never replaying the log on a read path)."""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    Engine,
    Integer,
    String,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)

from caseflow.adapters.database import read_transaction
from caseflow.adapters.projections import hold_children
from caseflow.adapters.school_calendars import read_calendars
from caseflow.adapters.tables import (
    attainment_latest,
    attendance_months,
    case_report_facts,
    case_summary,
    cohort_facts,
    events,
    incident_years,
    interventions,
    mis_exclusions,
    pupil_status,
    pupils,
    schools,
    sdq_dates,
    social_care_episodes,
    suspension_days,
    teaching,
)
from caseflow.domain.case_report import ReportFact, cases_as_at
from caseflow.domain.events import UPCASTERS
from caseflow.domain.exclusions import CareSpell, Child, OtherSuspension, care_spell
from caseflow.domain.pupil import Episode
from caseflow.domain.roles import Role
from caseflow.domain.school_calendar import SchoolCalendar
from caseflow.services.due import DecisionFacts
from caseflow.services.la_view import LaRules

# Statements every action runs, built once (SQLAlchemy then reuses their compiled form).
#: ids in one IN list (SQLite allows 32,766 parameters; PostgreSQL more)
_IDS_AT_ONCE = 1000
_CASES_OF_PUPIL = select(case_summary.c.case_id).where(case_summary.c.pupil_id == bindparam("pupil_id"))
_OTHER_SUSPENSIONS = (  # a pupil's suspensions, leaving out one case (none: "")
    select(
        suspension_days.c.case_id,
        suspension_days.c.decided_version,
        suspension_days.c.school_year,
        suspension_days.c.start_date,
        suspension_days.c.days,
        suspension_days.c.decided_at,
        suspension_days.c.source,
    ).where(suspension_days.c.pupil_id == bindparam("pupil_id"), suspension_days.c.case_id != bindparam("exclude_case"))
)
_SCHOOL_LA = select(schools.c.la_code).where(schools.c.urn == bindparam("urn"))
#: the earliest cutoff a query compares instants with (see ``report_facts``)
_YEAR_1000 = datetime(1000, 1, 1, tzinfo=UTC)


class SqlReadModels:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def cases_of_pupil(self, pupil_id: str) -> list[str]:
        with read_transaction(self.engine) as conn:
            return list(conn.execute(_CASES_OF_PUPIL, {"pupil_id": pupil_id}).scalars())

    def open_cases_of_pupil(self, pupil_id: str) -> list[dict[str, Any]]:
        """The pupil's cases not closed, oldest first: a second need is often the same need raised twice."""
        with read_transaction(self.engine) as conn:
            return [dict(row) for row in conn.execute(_open_cases_query(pupil_id)).mappings()]

    def closed_cases_of_pupil(self, pupil_id: str) -> list[str]:
        """The pupil's closed cases, oldest first: among them, needs raised again and closed into an open case."""
        query = (
            select(case_summary.c.case_id)
            .where(case_summary.c.pupil_id == pupil_id, case_summary.c.state == "closed")
            .order_by(case_summary.c.opened_at, case_summary.c.case_id)
        )
        with read_transaction(self.engine) as conn:
            return list(conn.execute(query).scalars())

    def recheck_open_cases(
        self, pupil_id: str, exclude_case: str, check: Callable[[list[dict[str, Any]]], None]
    ) -> Callable[[Connection], None]:
        """Run in the append's transaction (after the projectors): hold the pupil, as the cohort-facts
        projector does, so a case opened for them meanwhile is either committed and read here or waits
        for this one and reads it."""

        def recheck(conn: Connection) -> None:
            hold_children(conn, [pupil_id])
            query = _open_cases_query(pupil_id).where(case_summary.c.case_id != exclude_case)
            check([dict(row) for row in conn.execute(query).mappings()])

        return recheck

    def hold_pupil(self, pupil_id: str) -> Callable[[Connection], None]:
        """Run in the append's transaction: the lock ``recheck_open_cases`` takes, held until commit, so its look
        at the pupil's open cases either reads this write committed or is read after it."""

        def hold(conn: Connection) -> None:
            hold_children(conn, [pupil_id])

        return hold

    def pupils_with_open_cases(self, school_urns: list[str]) -> set[str]:
        """Of these schools' pupils, those with a case not closed (for the form that opens one)."""
        summary = case_summary.c
        query = select(summary.pupil_id).where(summary.school_urn.in_(school_urns), summary.state != "closed")
        with read_transaction(self.engine) as conn:
            return set(conn.execute(query).scalars())

    def other_suspensions(self, pupil_id: str, exclude_case: str | None = None) -> dict[tuple[str, int], OtherSuspension]:
        with read_transaction(self.engine) as conn:
            rows = conn.execute(_OTHER_SUSPENSIONS, {"pupil_id": pupil_id, "exclude_case": exclude_case or ""})
            return {(r.case_id, r.decided_version): _other_suspension(r._mapping) for r in rows}

    def school_calendar(self, school_urn: str) -> SchoolCalendar:
        return self.school_calendars([school_urn])[school_urn]

    def school_calendars(self, school_urns: list[str]) -> dict[str, SchoolCalendar]:
        with read_transaction(self.engine) as conn:
            return read_calendars(conn, school_urns)

    def recheck_other_suspensions(
        self, pupil_id: str, exclude_case: str, check: Callable[[dict[tuple[str, int], OtherSuspension]], None]
    ) -> Callable[[Connection], None]:
        """Run in the append's transaction (after the projectors): hold the pupil, as the cohort-facts
        projector does, so a concurrent decision on another case of theirs is either committed and
        read here or waits for this one and reads it."""

        def recheck(conn: Connection) -> None:
            hold_children(conn, [pupil_id])
            rows = conn.execute(_OTHER_SUSPENSIONS, {"pupil_id": pupil_id, "exclude_case": exclude_case})
            check({(r.case_id, r.decided_version): _other_suspension(r._mapping) for r in rows})

        return recheck

    def pupil_id_for_upn(self, upn: str) -> str | None:
        with read_transaction(self.engine) as conn:
            return conn.execute(select(pupils.c.pupil_id).where(pupils.c.upn == upn)).scalar_one_or_none()

    def school_la(self, school_urn: str) -> str | None:
        with read_transaction(self.engine) as conn:
            return conn.execute(_SCHOOL_LA, {"urn": school_urn}).scalar_one_or_none()

    def school_exists(self, school_urn: str) -> bool:
        """Whether a school has this URN; False, without asking the database, for anything that is not
        one (a URN is 5 to 8 digits): a NUL in a query string would otherwise reach the driver as an error."""
        if not (school_urn.isascii() and school_urn.isdigit() and 5 <= len(school_urn) <= 8):
            return False
        with read_transaction(self.engine) as conn:
            return conn.execute(select(schools.c.urn).where(schools.c.urn == school_urn)).first() is not None

    def cases_for_schools(self, school_urns: list[str]) -> list[dict[str, Any]]:
        query = (
            select(case_summary, pupils.c.given_name, pupils.c.family_name, pupils.c.upn)
            .join(pupils, pupils.c.pupil_id == case_summary.c.pupil_id)
            .where(case_summary.c.school_urn.in_(school_urns))
            .order_by(case_summary.c.updated_at.desc())
        )
        with read_transaction(self.engine) as conn:
            return [_case_row(row) for row in conn.execute(query).mappings()]

    def report_facts(self, school_urns: list[str], cutoff: datetime) -> list[ReportFact]:
        """Every report fact of the schools' cases recorded by ``cutoff``, in case and version order.
        A cutoff before the year 1000 finds none, as it should; it is raised to then because SQLite
        holds instants as text, and the text of an earlier year (unpadded, see ``iso``) sorts last."""
        cutoff = max(cutoff, _YEAR_1000)
        f = case_report_facts
        query = (
            select(*f.c)
            .join(case_summary, case_summary.c.case_id == f.c.case_id)
            .where(case_summary.c.school_urn.in_(school_urns), f.c.recorded_at <= cutoff)
            .order_by(f.c.case_id, f.c.version)
        )
        with read_transaction(self.engine) as conn:
            return [ReportFact(*row) for row in conn.execute(query)]

    def mis_records(self, pupil_ids: list[str], cutoff: datetime, year: int) -> tuple[int, int]:
        """The suspensions and the permanent exclusions of these pupils that their school's MIS recorded, of the
        school year starting in ``year``, as they stood at ``cutoff``: each recorded by then and not yet counted
        as a head's decision of it on a case (which the report facts count from then; the projection keeps the
        two apart, so each counts once as at any day)."""
        cutoff = max(cutoff, _YEAR_1000)
        ids = sorted(set(pupil_ids))
        sd, me = suspension_days.c, mis_exclusions.c
        suspended = excluded = 0
        with read_transaction(self.engine) as conn:
            for start in range(0, len(ids), _IDS_AT_ONCE):  # an LA's cohort is thousands of children
                some = ids[start : start + _IDS_AT_ONCE]
                suspended += conn.execute(
                    select(func.count()).where(
                        sd.source == "mis",
                        sd.pupil_id.in_(some),
                        sd.school_year == year,
                        sd.decided_at <= cutoff,
                        or_(sd.cancelled_at.is_(None), sd.cancelled_at > cutoff),
                    )
                ).scalar_one()
                excluded += conn.execute(
                    select(func.count()).where(
                        me.pupil_id.in_(some),
                        me.school_year == year,
                        me.recorded_at <= cutoff,
                        or_(me.replaced_at.is_(None), me.replaced_at > cutoff),
                    )
                ).scalar_one()
        return suspended, excluded

    def cases_for_social_worker(self, username: str, today: date) -> list[dict[str, Any]]:
        allocated = (
            select(social_care_episodes.c.pupil_id)
            .where(social_care_episodes.c.social_worker == username)
            .where(social_care_episodes.c.start_date <= today)
            .where((social_care_episodes.c.end_date.is_(None)) | (social_care_episodes.c.end_date >= today))
        )
        query = (
            select(case_summary, pupils.c.given_name, pupils.c.family_name, pupils.c.upn)
            .join(pupils, pupils.c.pupil_id == case_summary.c.pupil_id)
            .where(case_summary.c.pupil_id.in_(allocated))
            .order_by(case_summary.c.updated_at.desc())
        )
        with read_transaction(self.engine) as conn:
            return [_case_row(row) for row in conn.execute(query).mappings()]

    def proposals_awaiting_social_worker(self, case_ids: list[str]) -> list[dict[str, Any]]:
        """The suspension and exclusion proposals on these cases that nobody has decided and no social
        worker has given a view on, each with what its event proposed (a social worker's list)."""
        return [p for p in self.proposals_awaiting_decision(case_ids) if not p["heard"]]

    def proposals_awaiting_decision(self, case_ids: list[str]) -> list[dict[str, Any]]:
        """The suspension and exclusion proposals on these cases that nobody has decided, each with what its
        event proposed and whether a social worker has given a view on it (``heard``; a head's list). Read
        from the report facts and the proposals' own events, so neither list replays a case."""
        if not case_ids:
            return []
        proposed, answer = case_report_facts, case_report_facts.alias("answer")

        def answered(condition: Any) -> Any:
            return exists().where(answer.c.case_id == proposed.c.case_id, answer.c.ref == proposed.c.version, condition)

        heard = answered(and_(answer.c.kind == "view", answer.c.detail == Role.SOCIAL_WORKER.value))
        query = (
            select(proposed.c.case_id, proposed.c.version, proposed.c.detail, events.c.event_type, events.c.schema_version,
                   events.c.data, heard.label("heard"))
            .join(events, and_(events.c.stream_id == proposed.c.case_id, events.c.version == proposed.c.version))
            .where(proposed.c.case_id.in_(case_ids), proposed.c.kind == "proposed", ~answered(answer.c.kind == "decided"))
            .order_by(proposed.c.case_id, proposed.c.version)
        )  # fmt: skip
        with read_transaction(self.engine) as conn:
            rows = conn.execute(query).all()
        found = []
        for case_id, version, kind, event_type, schema_version, data, was_heard in rows:
            _, proposal = UPCASTERS.upcast(event_type, schema_version, json.loads(data))
            found.append({**proposal, "case_id": case_id, "id": version, "kind": kind, "heard": bool(was_heard)})
        return found

    def episodes_by_pupil(self, school_urns: list[str]) -> dict[str, list[Episode]]:
        return episodes_by_pupil(self.engine, school_urns)

    def dashboard_facts(self, school_urns: list[str], first_month: str, last_month: str, cutoff: datetime) -> dict[str, Any]:
        """Everything the cohort dashboard needs for these schools, in a handful of queries: each case's step
        and running interventions, and the suspensions decided, as the record stood at ``cutoff``."""
        in_schools = select(pupils.c.pupil_id).where(pupils.c.school_urn.in_(school_urns))
        cutoff = max(cutoff, _YEAR_1000)
        with read_transaction(self.engine) as conn:
            months = (
                conn.execute(
                    select(attendance_months).where(
                        attendance_months.c.pupil_id.in_(in_schools),
                        attendance_months.c.month >= first_month,
                        attendance_months.c.month <= last_month,
                    )
                )
                .mappings()
                .all()
            )
            status = {
                r["pupil_id"]: dict(r)
                for r in conn.execute(select(pupil_status).where(pupil_status.c.pupil_id.in_(in_schools))).mappings()
            }
            summary = case_summary.c
            owned = conn.execute(select(summary.case_id, summary.pupil_id).where(summary.school_urn.in_(school_urns)))
            pupil_of = {case_id: pupil_id for case_id, pupil_id in owned}
            f = case_report_facts
            as_at = cases_as_at(
                ReportFact(*row)
                for row in conn.execute(
                    select(*f.c)
                    .join(case_summary, case_summary.c.case_id == f.c.case_id)
                    .where(case_summary.c.school_urn.in_(school_urns), f.c.recorded_at <= cutoff)
                    .order_by(f.c.case_id, f.c.version)
                )
            )
            sd = suspension_days.c
            # a suspension cancelled after the cutoff still stood then: all the days decided count
            standing = case((sd.cancelled_at > cutoff, sd.decided_days), else_=sd.days)
            suspended = conn.execute(
                select(sd.pupil_id, sd.school_year, func.sum(standing))
                .where(sd.pupil_id.in_(in_schools), sd.decided_at <= cutoff)
                .group_by(sd.pupil_id, sd.school_year)
            ).all()
            incidents = conn.execute(  # of the school year the months are in (they run from its September)
                select(incident_years.c.pupil_id, incident_years.c.incidents).where(
                    incident_years.c.pupil_id.in_(in_schools), incident_years.c.school_year == int(first_month[:4])
                )
            ).all()
            judged = conn.execute(  # the year's standing judgement in each subject (caseflow.domain.attainment)
                select(attainment_latest.c.pupil_id, attainment_latest.c.subject, attainment_latest.c.judgement).where(
                    attainment_latest.c.pupil_id.in_(in_schools), attainment_latest.c.school_year == int(first_month[:4])
                )
            ).all()
        attainment: dict[str, dict[str, str]] = defaultdict(dict)
        for pupil_id, subject, judgement in judged:
            attainment[pupil_id][subject] = judgement
        cases_of: dict[str, list[tuple[datetime, str, str | None]]] = defaultdict(list)
        running: dict[str, list[date]] = defaultdict(list)
        for case_id, stood in as_at.items():
            pupil_id = pupil_of[case_id]
            cases_of[pupil_id].append((stood.last_recorded, case_id, stood.state))
            if stood.state != "closed":  # as the due list counts them: a closed case's interventions are not running
                running[pupil_id].extend(day for day in stood.reviews.values() if day is not None)
        return {
            "months": [dict(m) for m in months],
            "status": status,
            "interventions": {pupil: (len(dates), min(dates)) for pupil, dates in running.items() if dates},
            "cases": {pupil: sorted(found) for pupil, found in cases_of.items()},
            "suspensions": {(pupil, int(year)): float(days) for pupil, year, days in suspended},
            "incidents": dict(incidents),
            "attainment": dict(attainment),
        }

    def la_schools(self, la_code: str) -> list[dict[str, Any]]:
        query = select(schools.c.urn, schools.c.name).where(schools.c.la_code == la_code).order_by(schools.c.name)
        with read_transaction(self.engine) as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def la_school_figures(self, la_code: str, rules: LaRules) -> dict[str, Any]:
        """Per school of the LA: its cohort as at ``rules.as_of`` and that cohort's figures, summed in SQL,
        and the LA's open journeys by step.

        One statement over ``cohort_facts``, one narrow row per child. A child whose episodes
        all began by the day asked is in the cohort, open, or on a CP plan by the dates folded
        into that row (the latest end, with no end standing as ``OPEN_EPISODE``); only a child
        with an episode starting later (a view of the past) has their episodes read. Likewise
        attendance: the row's school year when it is the one asked and its months do not run
        past the day, otherwise the child's months are summed. Membership follows
        ``cohort_status`` of the domain; the LA view's tests hold every school's row equal to its
        own cohort dashboard, which applies the domain rules in Python, today and in the past,
        and check the edges of the six years.
        """
        statement = _la_figures(rules.persistent, rules.severe, tuple(sorted(rules.concern_bands)))
        params = {
            "la_code": la_code,
            "as_of": rules.as_of,
            "cutoff": datetime.combine(rules.as_of, time.max, tzinfo=UTC),
            "window_start": rules.window_start,
            "first_month": rules.first_month,
            "last_month": rules.last_month,
            "school_year": rules.school_year,
        }
        by_school: dict[str, dict[str, Any]] = {}
        steps: dict[str, int] = {}
        with read_transaction(self.engine) as conn:
            for row in conn.execute(statement, params).mappings():
                if row["kind"] == 0:
                    by_school[row["school_urn"]] = {k: v for k, v in row.items() if k not in ("kind", "state")}
                else:
                    for state in row["state"].split(","):
                        steps[state] = steps.get(state, 0) + int(row["open_cases"])
        return {"schools": by_school, "steps": steps}

    def interventions_due(self, school_urns: list[str], until: date) -> list[dict[str, Any]]:
        """Active interventions of the schools' open cases with a review date on or before ``until``,
        soonest first, with the child and the case's step."""
        query = (
            select(
                interventions.c.case_id,
                interventions.c.intervention,
                interventions.c.name,
                interventions.c.owner,
                interventions.c.review_date,
                case_summary.c.state,
                pupils.c.pupil_id,
                pupils.c.given_name,
                pupils.c.family_name,
            )
            .join(case_summary, case_summary.c.case_id == interventions.c.case_id)
            .join(pupils, pupils.c.pupil_id == case_summary.c.pupil_id)
            .where(
                case_summary.c.school_urn.in_(school_urns),
                case_summary.c.state != "closed",
                interventions.c.status == "active",
                interventions.c.review_date <= until,
            )
            .order_by(interventions.c.review_date, pupils.c.family_name, pupils.c.given_name, interventions.c.intervention)
        )
        with read_transaction(self.engine) as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def last_sdqs(self, school_urns: list[str], as_of: date) -> dict[str, date]:
        """Each pupil of the schools with an SDQ completed on or before ``as_of``: the day of the last."""
        query = (
            select(sdq_dates.c.pupil_id, func.max(sdq_dates.c.administered_on))
            .join(pupils, pupils.c.pupil_id == sdq_dates.c.pupil_id)
            .where(pupils.c.school_urn.in_(school_urns), sdq_dates.c.administered_on <= as_of)
            .group_by(sdq_dates.c.pupil_id)
        )
        with read_transaction(self.engine) as conn:
            return {pupil_id: last for pupil_id, last in conn.execute(query)}

    def file_facts(self, school_urns: list[str]) -> list[dict[str, Any]]:
        """The move, the sendings and the confirmations of the schools' cases that have prepared a
        transition and not gone back from it, with the child and the case's step, by the child's name."""
        f = case_report_facts
        moving = select(f.c.case_id).where(f.c.kind == "transition").distinct()
        query = (
            select(f.c.case_id, f.c.version, f.c.kind, f.c.ref, f.c.detail, f.c.start_date, f.c.decided_on, case_summary.c.state,
                   pupils.c.pupil_id, pupils.c.given_name, pupils.c.family_name)
            .join(case_summary, case_summary.c.case_id == f.c.case_id)
            .join(pupils, pupils.c.pupil_id == case_summary.c.pupil_id)
            .where(case_summary.c.school_urn.in_(school_urns), case_summary.c.state.in_(("transition", "closed")),
                   f.c.case_id.in_(moving), f.c.kind.in_(("transition", "file_sent", "file_received")))
            .order_by(pupils.c.family_name, pupils.c.given_name, f.c.case_id, f.c.version)
        )  # fmt: skip
        with read_transaction(self.engine) as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def decision_facts(self, school_urns: list[str], cutoff: datetime | None = None) -> DecisionFacts:
        """What the duties after a decision are worked out from, for the schools' cases with a decision:
        their proposals, decisions, requests, notices and board reviews (report facts), each child's
        suspensions on all their cases, and their social-care episodes and care statuses. ``cutoff``: only
        what had been written by then (the episodes are as they are now)."""
        f = case_report_facts
        cutoff = max(cutoff, datetime(1000, 1, 1, tzinfo=UTC)) if cutoff else datetime.max.replace(tzinfo=UTC)
        decided_cases = select(f.c.case_id).where(f.c.kind == "decided", f.c.recorded_at <= cutoff).distinct()
        facts_query = (
            select(f.c.case_id, f.c.version, f.c.kind, f.c.ref, f.c.detail, f.c.start_date, f.c.recorded_at,
                   f.c.misses_exam, f.c.decided_on, case_summary.c.school_urn,
                   pupils.c.pupil_id, pupils.c.given_name, pupils.c.family_name)
            .join(case_summary, case_summary.c.case_id == f.c.case_id)
            .join(pupils, pupils.c.pupil_id == case_summary.c.pupil_id)
            .where(case_summary.c.school_urn.in_(school_urns), f.c.case_id.in_(decided_cases), f.c.recorded_at <= cutoff,
                   f.c.kind.in_(("proposed", "decided", "noticed", "requested", "board", "cancelled")))
            .order_by(pupils.c.family_name, pupils.c.given_name, f.c.case_id, f.c.version)
        )  # fmt: skip
        with read_transaction(self.engine) as conn:
            facts = [dict(row) for row in conn.execute(facts_query).mappings()]
            # a school's children with a decided suspension or exclusion: few enough for one IN list
            children = sorted({row["pupil_id"] for row in facts})
            suspensions: dict[str, dict[tuple[str, int], OtherSuspension]] = {}
            decided_days: dict[tuple[str, int], float] = {}
            sd = suspension_days
            written = select(sd).where(sd.c.pupil_id.in_(children), sd.c.decided_at <= cutoff)
            for row in conn.execute(written).mappings():
                decided_days[(row["case_id"], row["decided_version"])] = float(row["decided_days"])
                if row["cancelled_at"] is not None and row["cancelled_at"] > cutoff:  # not yet cancelled then
                    row = {**row, "days": row["decided_days"]}
                suspensions.setdefault(row["pupil_id"], {})[(row["case_id"], row["decided_version"])] = _other_suspension(row)
            episodes: dict[str, list[Episode]] = {}
            query = select(social_care_episodes).where(social_care_episodes.c.pupil_id.in_(children))
            for row in conn.execute(query.order_by(social_care_episodes.c.episode)).mappings():
                episodes.setdefault(row["pupil_id"], []).append(_episode(row))
            # each care status the children had by the cutoff, in the order written: from the log (few rows,
            # by the (stream, version) index), so a decision is judged by the status on its day
            recorded = (
                select(events.c.stream_id, events.c.data)
                .where(
                    events.c.stream_id.in_(children),
                    events.c.event_type == "CareStatusRecorded",
                    events.c.recorded_at <= cutoff,
                )
                .order_by(events.c.stream_id, events.c.version)
            )
            care: dict[str, list[CareSpell]] = defaultdict(list)
            for pupil_id, data in conn.execute(recorded):
                care[pupil_id].append(care_spell(json.loads(data)))
        found = {}
        for pupil_id in children:
            child = Child(tuple(episodes.get(pupil_id, ())), tuple(care.get(pupil_id, ())))
            found[pupil_id] = child
        return DecisionFacts(facts, suspensions, decided_days, found)

    def pupils_taught_by(self, teacher: str) -> list[str]:
        with read_transaction(self.engine) as conn:
            return list(conn.execute(select(teaching.c.pupil_id).where(teaching.c.teacher == teacher)).scalars())

    def raised_not_started(self, case_ids: list[str]) -> dict[str, str]:
        """Of these cases, those a teacher opened that have not left "Need identified" since (never reopened), each
        with the teacher's username: a need raised for the DSL to take up, not a journey the school began."""
        opened, again = events.alias("opened"), events.alias("again")
        reopened = exists().where(again.c.stream_id == opened.c.stream_id, again.c.event_type == "CaseReopened")
        found: dict[str, str] = {}
        with read_transaction(self.engine) as conn:
            for start in range(0, len(case_ids), _IDS_AT_ONCE):
                query = select(opened.c.stream_id, opened.c.actor).where(
                    opened.c.stream_id.in_(case_ids[start : start + _IDS_AT_ONCE]),
                    opened.c.version == 1,
                    opened.c.role == Role.TEACHER.value,
                    ~reopened,
                )
                found.update({case_id: actor for case_id, actor in conn.execute(query)})
        return found

    def pupils_for_schools(self, school_urns: list[str]) -> list[dict[str, Any]]:
        """Every pupil record the schools hold, whenever registered (for finding a record, not for counting a roll)."""
        query = select(pupils).where(pupils.c.school_urn.in_(school_urns)).order_by(pupils.c.family_name, pupils.c.given_name)
        with read_transaction(self.engine) as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def roll(self, school_urns: list[str], as_of: date) -> list[dict[str, Any]]:
        """The pupils on the schools' roll on ``as_of`` (``on_roll``), as every report and dashboard counts them."""
        query = (
            select(pupils)
            .where(pupils.c.school_urn.in_(school_urns), on_roll(as_of))
            .order_by(pupils.c.family_name, pupils.c.given_name)
        )
        with read_transaction(self.engine) as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def roll_begins(self, school_urns: list[str]) -> list[dict[str, Any]]:
        """Of these schools, each that has a pupil: its name and the first day any pupil is on its roll in Caseflow.
        Before it Caseflow holds no record of who was on the roll, so no figure as at such a day is known."""
        query = (
            select(schools.c.urn, schools.c.name, func.min(pupils.c.on_roll_from).label("first_day"))
            .join(pupils, pupils.c.school_urn == schools.c.urn)
            .where(schools.c.urn.in_(school_urns))
            .group_by(schools.c.urn, schools.c.name)
        )
        with read_transaction(self.engine) as conn:
            return [dict(row) for row in conn.execute(query).mappings()]


def on_roll(as_of: Any) -> Any:
    """The rule of the roll, in one place: a pupil is on the school's roll on a day if registered on or before it.
    The record holds no day of joining the school, so registration stands for it, and no leaving is recorded;
    a figure as at a day before a pupil's registration must not count them (a report as at 1999 counted today's
    roll). ``as_of``: a date, or a bound parameter of one."""
    return pupils.c.on_roll_from <= as_of


def _case_row(row: Any) -> dict[str, Any]:
    item = dict(row)
    item["need_areas"] = json.loads(item["need_areas"])
    return item


def episodes_by_pupil(engine: Engine, school_urns: list[str]) -> dict[str, list[Episode]]:
    """Every social-care episode of the pupils of these schools."""
    query = (
        select(social_care_episodes)
        .join(pupils, pupils.c.pupil_id == social_care_episodes.c.pupil_id)
        .where(pupils.c.school_urn.in_(school_urns))
        .order_by(social_care_episodes.c.pupil_id, social_care_episodes.c.episode)
    )
    found: dict[str, list[Episode]] = {}
    with read_transaction(engine) as conn:
        for row in conn.execute(query).mappings():
            found.setdefault(row["pupil_id"], []).append(_episode(row))
    return found


def _other_suspension(row: Any) -> OtherSuspension:
    return OtherSuspension(row["start_date"], float(row["days"]), row["decided_at"], row["source"] == "mis")


def _episode(row: Any) -> Episode:
    return Episode(row["episode"], row["plan"], row["start_date"], row["end_date"], row["social_worker"], row["category"])


@functools.cache
def _la_figures(persistent: tuple[int, int], severe: tuple[int, int], concern_bands: tuple[str, ...]) -> Any:
    """The LA view's statement, built once for the domain's thresholds; the day and LA are bound."""
    f, e, m, sd = cohort_facts, social_care_episodes, attendance_months, suspension_days
    as_of, window_start = bindparam("as_of", type_=Date), bindparam("window_start", type_=Date)
    first_month, last_month = bindparam("first_month", type_=String), bindparam("last_month", type_=String)
    year = bindparam("school_year", type_=Integer)
    running = and_(e.c.start_date <= as_of, or_(e.c.end_date.is_(None), e.c.end_date >= as_of))
    ended_within = and_(e.c.end_date >= window_start, e.c.end_date < as_of)
    all_started = f.c.started_by <= as_of

    def any_episode(condition: Any) -> Any:
        return exists().where(e.c.pupil_id == f.c.pupil_id, condition)

    def flag(folded: Any, condition: Any) -> Any:
        return case((all_started, case((folded, 1), else_=0)), (any_episode(condition), 1), else_=0)

    def attendance(folded: Any, of_month: Any) -> Any:
        months = select(func.coalesce(func.sum(of_month), 0)).where(
            m.c.pupil_id == f.c.pupil_id, m.c.month >= first_month, m.c.month <= last_month
        )
        return case(
            (or_(f.c.school_year.is_(None), f.c.school_year < year), 0),
            (and_(f.c.school_year == year, f.c.through_month <= last_month), folded),
            else_=months.scalar_subquery(),
        )

    in_la = select(schools.c.urn).where(schools.c.la_code == bindparam("la_code"))
    # the cohort is of the pupils on the roll that day (each a look-up of the pupil's row by its key)
    rolled = exists().where(pupils.c.pupil_id == f.c.pupil_id, on_roll(as_of))
    child = (
        select(
            f.c.pupil_id,
            f.c.school_urn,
            flag(f.c.cohort_until >= as_of, running).label("open"),
            flag(f.c.cp_until >= as_of, and_(running, e.c.plan == "cp")).label("cp"),
            f.c.care_status,
            f.c.wellbeing_band,
            attendance(f.c.possible, m.c.possible).label("possible"),
            attendance(f.c.attended, m.c.attended).label("attended"),
            attendance(f.c.absent, m.c.authorised + m.c.unauthorised).label("absent"),
            f.c.open_cases,
            f.c.open_journeys,
        )
        .where(
            f.c.school_urn.in_(in_la),
            rolled,
            or_(
                and_(all_started, f.c.cohort_until >= window_start),
                and_(~all_started, any_episode(or_(running, ended_within))),
            ),
        )
        .cte("child")
        .prefix_with("MATERIALIZED")
    )
    # decided by the day's end, as the school's dashboard counts them; one cancelled later still stood whole
    cutoff = bindparam("cutoff", type_=sd.c.decided_at.type)
    standing = case((sd.c.cancelled_at > cutoff, sd.c.decided_days), else_=sd.c.days)
    suspended = (
        select(sd.c.pupil_id, func.sum(standing).label("days"))
        .where(sd.c.school_year == year, sd.c.decided_at <= cutoff)
        .group_by(sd.c.pupil_id)
        .subquery()
    )
    days = func.coalesce(suspended.c.days, 0)

    def count(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    def at_least(rate: tuple[int, int]) -> Any:
        return and_(child.c.possible > 0, child.c.absent * rate[1] >= child.c.possible * rate[0])

    c = child.c
    figures = (
        select(
            literal(0).label("kind"),
            c.school_urn,
            null().label("state"),
            func.sum(c.open).label("open"),
            func.sum(1 - c.open).label("previous"),
            func.sum(c.cp).label("child_protection"),
            count(c.care_status == "looked_after").label("looked_after"),
            count(c.care_status == "previously_looked_after").label("previously_looked_after"),
            func.sum(c.possible).label("possible"),
            func.sum(c.attended).label("attended"),
            func.sum(c.absent).label("absent"),
            count(at_least(persistent)).label("persistent"),
            count(at_least(severe)).label("severe"),
            count(days > 0).label("suspended"),
            func.sum(days).label("suspension_days"),
            count(c.wellbeing_band.in_(concern_bands)).label("sdq_concern"),
            func.sum(c.open_cases).label("open_cases"),
        )
        .select_from(child.outerjoin(suspended, suspended.c.pupil_id == c.pupil_id))
        .group_by(c.school_urn)
    )
    journeys = (
        select(literal(1), null(), c.open_journeys, *[null()] * 13, func.count())
        .where(c.open_journeys != "")
        .group_by(c.open_journeys)
    )
    return union_all(figures, journeys)


def _open_cases_query(pupil_id: str) -> Any:
    """The pupil's cases not closed, oldest first."""
    return (
        select(case_summary.c.case_id, case_summary.c.state, case_summary.c.opened_at)
        .where(case_summary.c.pupil_id == pupil_id, case_summary.c.state != "closed")
        .order_by(case_summary.c.opened_at, case_summary.c.case_id)
    )
