"""Queries over the read models (never replaying the log on a read path)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, select

from caseflow.adapters.database import read_transaction
from caseflow.adapters.tables import (
    attendance_months,
    case_summary,
    interventions,
    pupil_status,
    pupils,
    schools,
    social_care_episodes,
    suspension_days,
    teaching,
)
from caseflow.domain.pupil import Episode


class SqlReadModels:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def cases_of_pupil(self, pupil_id: str) -> list[str]:
        with read_transaction(self.engine) as conn:
            return list(conn.execute(select(case_summary.c.case_id).where(case_summary.c.pupil_id == pupil_id)).scalars())

    def suspension_days_by_year(self, pupil_id: str, exclude_case: str | None = None) -> dict[int, float]:
        query = (
            select(suspension_days.c.school_year, func.sum(suspension_days.c.days))
            .where(suspension_days.c.pupil_id == pupil_id)
            .group_by(suspension_days.c.school_year)
        )
        if exclude_case is not None:
            query = query.where(suspension_days.c.case_id != exclude_case)
        with read_transaction(self.engine) as conn:
            return {int(year): float(days) for year, days in conn.execute(query)}

    def pupil_id_for_upn(self, upn: str) -> str | None:
        with read_transaction(self.engine) as conn:
            return conn.execute(select(pupils.c.pupil_id).where(pupils.c.upn == upn)).scalar_one_or_none()

    def school_la(self, school_urn: str) -> str | None:
        with read_transaction(self.engine) as conn:
            return conn.execute(select(schools.c.la_code).where(schools.c.urn == school_urn)).scalar_one_or_none()

    def school_exists(self, school_urn: str) -> bool:
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

    def episodes_by_pupil(self, school_urns: list[str]) -> dict[str, list[Episode]]:
        return episodes_by_pupil(self.engine, school_urns)

    def dashboard_facts(self, school_urns: list[str], first_month: str, last_month: str) -> dict[str, Any]:
        """Everything the cohort dashboard needs for these schools, in a handful of queries."""
        in_schools = select(pupils.c.pupil_id).where(pupils.c.school_urn.in_(school_urns))
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
            active = conn.execute(
                select(interventions.c.pupil_id, func.count(), func.min(interventions.c.review_date))
                .where(interventions.c.pupil_id.in_(in_schools), interventions.c.status == "active")
                .group_by(interventions.c.pupil_id)
            ).all()
            cases = conn.execute(
                select(case_summary.c.pupil_id, case_summary.c.case_id, case_summary.c.state, case_summary.c.updated_at)
                .where(case_summary.c.school_urn.in_(school_urns))
                .order_by(case_summary.c.updated_at)
            ).all()
            suspended = conn.execute(
                select(suspension_days.c.pupil_id, suspension_days.c.school_year, func.sum(suspension_days.c.days))
                .where(suspension_days.c.pupil_id.in_(in_schools))
                .group_by(suspension_days.c.pupil_id, suspension_days.c.school_year)
            ).all()
        return {
            "months": [dict(m) for m in months],
            "status": status,
            "interventions": {pupil: (count, review) for pupil, count, review in active},
            "latest_case": {row.pupil_id: (row.case_id, row.state) for row in cases},
            "suspensions": {(pupil, int(year)): float(days) for pupil, year, days in suspended},
        }

    def la_schools(self, la_code: str) -> list[dict[str, Any]]:
        query = select(schools.c.urn, schools.c.name).where(schools.c.la_code == la_code).order_by(schools.c.name)
        with read_transaction(self.engine) as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def la_facts(self, la_code: str, first_month: str, last_month: str) -> dict[str, Any]:
        """Per child ever known to social care in the LA's schools: what the LA view counts.

        Aggregated in SQL to one row per child, so an LA of 15,000 children is a
        few 15,000-row reads, not a scan of sessions or events.
        """
        in_la = (
            select(pupils.c.pupil_id)
            .join(schools, schools.c.urn == pupils.c.school_urn)
            .where(schools.c.la_code == la_code)
            .where(pupils.c.pupil_id.in_(select(social_care_episodes.c.pupil_id)))
        )
        with read_transaction(self.engine) as conn:
            known = conn.execute(
                select(pupils.c.pupil_id, pupils.c.school_urn, pupil_status.c.care_status, pupil_status.c.wellbeing_band)
                .join(pupil_status, pupil_status.c.pupil_id == pupils.c.pupil_id, isouter=True)
                .where(pupils.c.pupil_id.in_(in_la))
            ).all()
            episodes: dict[str, list[Episode]] = {}
            for row in conn.execute(select(social_care_episodes).where(social_care_episodes.c.pupil_id.in_(in_la))).mappings():
                episodes.setdefault(row["pupil_id"], []).append(_episode(row))
            attendance = conn.execute(
                select(
                    attendance_months.c.pupil_id,
                    func.sum(attendance_months.c.possible),
                    func.sum(attendance_months.c.attended),
                    func.sum(attendance_months.c.authorised + attendance_months.c.unauthorised),
                )
                .where(
                    attendance_months.c.pupil_id.in_(in_la),
                    attendance_months.c.month >= first_month,
                    attendance_months.c.month <= last_month,
                )
                .group_by(attendance_months.c.pupil_id)
            ).all()
            suspended = conn.execute(
                select(suspension_days.c.pupil_id, suspension_days.c.school_year, func.sum(suspension_days.c.days))
                .where(suspension_days.c.pupil_id.in_(in_la))
                .group_by(suspension_days.c.pupil_id, suspension_days.c.school_year)
            ).all()
            cases = conn.execute(
                select(case_summary.c.pupil_id, case_summary.c.state).where(
                    case_summary.c.pupil_id.in_(in_la), case_summary.c.state != "closed"
                )
            ).all()
        return {
            "pupils": [(r.pupil_id, r.school_urn, r.care_status, r.wellbeing_band) for r in known],
            "episodes": episodes,
            "attendance": {pid: (int(possible), int(attended), int(absent)) for pid, possible, attended, absent in attendance},
            "suspensions": {(pid, int(year)): float(days) for pid, year, days in suspended},
            "open_cases": [(r.pupil_id, r.state) for r in cases],
        }

    def pupils_taught_by(self, teacher: str) -> list[str]:
        with read_transaction(self.engine) as conn:
            return list(conn.execute(select(teaching.c.pupil_id).where(teaching.c.teacher == teacher)).scalars())

    def pupils_for_schools(self, school_urns: list[str]) -> list[dict[str, Any]]:
        query = select(pupils).where(pupils.c.school_urn.in_(school_urns)).order_by(pupils.c.family_name, pupils.c.given_name)
        with read_transaction(self.engine) as conn:
            return [dict(row) for row in conn.execute(query).mappings()]


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


def _episode(row: Any) -> Episode:
    return Episode(row["episode"], row["plan"], row["start_date"], row["end_date"], row["social_worker"], row["category"])
