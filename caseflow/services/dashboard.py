"""The cohort dashboard: every child with a social worker, how they are doing, and the cohort
against the whole school. Read from projections only: never a replay on a page view.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from fractions import Fraction
from typing import Any, Protocol

from caseflow.domain.attainment import AT_EXPECTED, CORE_SUBJECTS
from caseflow.domain.attendance import PERSISTENT, SEVERE
from caseflow.domain.exclusions import school_year
from caseflow.domain.pupil import cohort_status
from caseflow.services.access import Principal
from caseflow.services.cohort import Asked, CohortReads, CohortService, refuse_day_asked
from caseflow.services.ports import AccessLog

#: the SEND statuses that count a pupil as having special educational needs (SEN support, or an EHC plan)
SEND_STATUSES = frozenset({"sen_support", "ehc_plan"})


class DashboardReads(CohortReads, Protocol):
    def dashboard_facts(self, school_urns: list[str], first_month: str, last_month: str, cutoff: datetime) -> dict[str, Any]: ...


@dataclass
class Rate:
    """Sessions attended out of possible, kept exact."""

    attended: int = 0
    possible: int = 0
    absent: int = 0

    def add(self, month: dict[str, Any]) -> None:
        self.attended += month["attended"]
        self.possible += month["possible"]
        self.absent += month["authorised"] + month["unauthorised"]

    @property
    def percent(self) -> float | None:
        return round(100 * self.attended / self.possible, 1) if self.possible else None

    @property
    def absence(self) -> Fraction:
        return Fraction(self.absent, self.possible) if self.possible else Fraction(0)


@dataclass
class Group:
    """Figures for a set of pupils (the cohort, or the whole school)."""

    pupils: int = 0
    rate: Rate = field(default_factory=Rate)
    persistent: int = 0
    severe: int = 0
    suspended: int = 0
    suspension_days: float = 0.0
    with_marks: int = 0
    #: on SEN support or with an EHC plan, as recorded now
    send: int = 0
    #: with a behaviour incident this school year, and the incidents
    with_incidents: int = 0
    incidents: int = 0
    #: per core subject: pupils judged this school year, and of them those at the expected standard or above
    assessed: Counter[str] = field(default_factory=Counter)
    at_expected: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "pupils": self.pupils,
            "attendance_percent": self.rate.percent,
            # of all the pupils, as attendance is; with no marks at all, unknown (as attendance is), not 0%
            "persistent_absence_percent": _percent(self.persistent, self.pupils) if self.with_marks else None,
            "severe_absence_percent": _percent(self.severe, self.pupils) if self.with_marks else None,
            "pupils_with_marks": self.with_marks,
            "persistent_absence_pupils": self.persistent,
            "severe_absence_pupils": self.severe,
            "pupils_suspended": self.suspended,
            "suspension_days": self.suspension_days,
            "pupils_with_send": self.send,
            "send_percent": round(100 * self.send / self.pupils, 1) if self.pupils else None,
            "pupils_with_incidents": self.with_incidents,
            "incidents_percent": round(100 * self.with_incidents / self.pupils, 1) if self.pupils else None,
            "incidents": self.incidents,
            **{
                figure: value
                for subject in CORE_SUBJECTS
                for figure, value in (
                    (f"{subject}_assessed", self.assessed[subject]),
                    (f"{subject}_at_expected", self.at_expected[subject]),
                    (f"{subject}_expected_percent", _percent(self.at_expected[subject], self.assessed[subject])),
                )
            },
        }


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def school_year_months(as_of: date) -> list[str]:
    """Months from 1 September of the school year containing ``as_of`` up to its month."""
    start = school_year(as_of)
    months, year, month = [], start, 9
    while (year, month) <= (as_of.year, as_of.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def case_shown(cases: list[tuple[datetime, str, str | None]], steps: Sequence[str]) -> tuple[str | None, str | None, int]:
    """The case a child's row shows, its step and how many of the child's cases are open. Of open cases, the one
    furthest along the journey (``steps`` in order; the latest recorded of equals): a need raised again for a child
    whose journey is at "Intervention" must not hide it behind "Need identified". With none open, the latest."""
    order = {step: n for n, step in enumerate(steps)}
    still_open = [c for c in cases if c[2] != "closed"]
    if still_open:
        _, case_id, state = max(still_open, key=lambda c: (order.get(c[2] or "", -1), c[0], c[1]))
        return case_id, state, len(still_open)
    if cases:
        _, case_id, state = max(cases)
        return case_id, state, 0
    return None, None, 0


class DashboardService:
    def __init__(self, reads: DashboardReads, cohort: CohortService, audit: AccessLog, steps: Sequence[str]) -> None:
        """``steps``: the journey's steps in order, to show each child's case furthest along."""
        self.reads = reads
        self.cohort_service = cohort
        self.audit = audit
        self.steps = tuple(steps)

    def cohort(
        self,
        principal: Principal,
        school_urn: str,
        as_of: date,
        filters: dict[str, str] | None = None,
        asked: Asked | None = None,
    ) -> dict[str, Any]:
        """``asked``: how a person asked the day, to be refused one before the school's records (``refuse_day_asked``)."""
        roles = self.cohort_service.school_roles(principal, school_urn)
        role, detail = sorted(roles)[0], f"school {school_urn}"
        refuse_day_asked(
            self.reads, self.audit, username=principal.username, role=role, action="view_dashboard", detail=detail,
            school_urns=[school_urn], as_of=as_of, asked=asked,
        )  # fmt: skip
        cohort, school, trend, rows = self._figures([school_urn], as_of)
        rows = [r for r in rows if _matches(r, filters or {})]
        self.audit.record(
            username=principal.username, role=role, action="view_dashboard", outcome="ok", detail=f"{detail}, as at {as_of}"
        )
        return {
            "school_urn": school_urn,
            "as_of": as_of.isoformat(),
            "pupils": sorted(rows, key=lambda r: (r["family_name"], r["given_name"])),
            "cohort": cohort.as_dict(),
            "school": school.as_dict(),
            "trend": trend,
        }

    def school_summary(self, school_urns: list[str], as_of: date) -> dict[str, Any]:
        """The cohort against the whole school (or schools: an LA's together) for the school year to
        ``as_of``'s month, and the cohort's SDQ movement, without a child in it: for the governors'
        report, whose caller has checked who is asking. Figures, not names; the report suppresses
        what is small."""
        cohort, school, _, rows = self._figures(school_urns, as_of)
        scored = [r for r in rows if r["sdq_total"] is not None and r["sdq_first_total"] is not None]
        return {
            "months": school_year_months(as_of),
            "cohort": cohort.as_dict(),
            "school": school.as_dict(),
            "sdq": {
                "with_a_score": len(scored),
                "lower_than_first": sum(r["sdq_total"] < r["sdq_first_total"] for r in scored),
                "higher_than_first": sum(r["sdq_total"] > r["sdq_first_total"] for r in scored),
                "same_or_one_score": sum(r["sdq_total"] == r["sdq_first_total"] for r in scored),
            },
        }

    def _figures(self, school_urns: list[str], as_of: date) -> tuple[Group, Group, list[dict[str, Any]], list[dict[str, Any]]]:
        """The cohort's and the whole school's figures, the monthly trend, and a row per child of the cohort."""
        months = school_year_months(as_of)
        # as the governors' report counts a day: what was recorded by its end
        facts = self.reads.dashboard_facts(school_urns, months[0], months[-1], datetime.combine(as_of, time.max, tzinfo=UTC))
        episodes = self.reads.episodes_by_pupil(school_urns)
        by_pupil: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in facts["months"]:
            by_pupil[row["pupil_id"]].append(row)
        year = school_year(as_of)
        cohort, school = Group(), Group()
        trend: dict[str, dict[str, Rate]] = {m: {"cohort": Rate(), "school": Rate()} for m in months}
        rows = []
        for pupil in self.reads.roll(school_urns, as_of):
            pid = pupil["pupil_id"]
            status = cohort_status(episodes.get(pid, []), as_of)
            groups = [school, cohort] if status else [school]
            rate = Rate()
            for month in by_pupil.get(pid, []):
                rate.add(month)
                for name in ("school", "cohort") if status else ("school",):
                    trend[month["month"]][name].add(month)
            days = facts["suspensions"].get((pid, year), 0.0)
            with_send = facts["status"].get(pid, {}).get("send_status") in SEND_STATUSES
            incidents = facts["incidents"].get(pid, 0)
            judged = facts["attainment"].get(pid, {})
            for group in groups:
                group.pupils += 1
                group.rate.attended += rate.attended
                group.rate.possible += rate.possible
                group.rate.absent += rate.absent
                group.persistent += rate.possible > 0 and rate.absence >= PERSISTENT
                group.severe += rate.possible > 0 and rate.absence >= SEVERE
                group.suspended += days > 0
                group.suspension_days += days
                group.with_marks += rate.possible > 0
                group.send += with_send
                group.with_incidents += incidents > 0
                group.incidents += incidents
                for subject in CORE_SUBJECTS:
                    if subject in judged:
                        group.assessed[subject] += 1
                        group.at_expected[subject] += judged[subject] in AT_EXPECTED
            if status:
                rows.append(self._row(pupil, status, rate, facts, days, episodes.get(pid, []), as_of))
        points = [{"month": m, "cohort": trend[m]["cohort"].percent, "school": trend[m]["school"].percent} for m in months]
        return cohort, school, points, rows

    def _row(
        self, pupil: dict[str, Any], status: str, rate: Rate, facts: dict[str, Any], days: float, episodes: list[Any], as_of: date
    ) -> dict[str, Any]:
        pid = pupil["pupil_id"]
        wellbeing = facts["status"].get(pid, {})
        count, review = facts["interventions"].get(pid, (0, None))
        case_id, step, open_cases = case_shown(facts["cases"].get(pid, []), self.steps)
        running = [e for e in episodes if e.running_on(as_of)]
        return {
            "pupil_id": pid,
            "given_name": pupil["given_name"],
            "family_name": pupil["family_name"],
            "year_group": pupil["year_group"],
            "status": status,
            "plan": "cp" if any(e.plan == "cp" for e in running) else ("cin" if running else None),
            "case_id": case_id,
            "step": step,
            "open_cases": open_cases,
            "attendance_percent": rate.percent,
            "persistent_absence": rate.possible > 0 and rate.absence >= PERSISTENT,
            "severe_absence": rate.possible > 0 and rate.absence >= SEVERE,
            "sdq_band": wellbeing.get("wellbeing_band"),
            "sdq_total": wellbeing.get("wellbeing_total"),
            "sdq_first_total": wellbeing.get("wellbeing_first_total"),
            "send_status": wellbeing.get("send_status"),
            "care_status": wellbeing.get("care_status"),
            "open_interventions": count,
            "next_review": review.isoformat() if review else None,
            "review_overdue": bool(review and review < as_of),
            "suspension_days": days,
            "near_suspension_limit": days >= 35,
        }


def _matches(row: dict[str, Any], filters: dict[str, str]) -> bool:
    if filters.get("status") and row["status"] != filters["status"]:
        return False
    if filters.get("flag") == "persistent" and not row["persistent_absence"]:
        return False
    if filters.get("flag") == "severe" and not row["severe_absence"]:
        return False
    if filters.get("flag") == "overdue" and not row["review_overdue"]:
        return False
    if filters.get("year") and str(row["year_group"]) != filters["year"]:
        return False
    return not (filters.get("step") and row["step"] != filters["step"])
