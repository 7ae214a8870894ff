"""The Virtual School's view of its local authority: every school's children with a social worker
(now or in the last six years), their attendance, suspensions, wellbeing and open support, side by
side, so the Virtual School can see where to look first. Read from projections only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from caseflow.domain.attendance import PERSISTENT, SEVERE
from caseflow.domain.errors import NotFound
from caseflow.domain.exclusions import school_year
from caseflow.domain.pupil import COHORT_YEARS, years_before
from caseflow.domain.roles import Role
from caseflow.services.access import Principal
from caseflow.services.cohort import Asked, refuse_day_asked
from caseflow.services.dashboard import Rate, school_year_months
from caseflow.services.ports import AccessLog

#: who may read the LA view: the Virtual School, for its own LA
LA_READERS = frozenset({Role.VIRTUAL_SCHOOL})
#: SDQ bands that call for a closer look
CONCERN_BANDS = frozenset({"abnormal", "high", "very_high"})
SORTS = ("name", "cohort", "attendance", "persistent", "suspended")
PAGE_SIZE = 50


@dataclass(frozen=True)
class LaRules:
    """The domain's rules, as the values an LA query needs: who is in the cohort on the day, which
    months make the school year so far, and when absence is persistent or severe."""

    as_of: date
    window_start: date
    first_month: str
    last_month: str
    school_year: int
    persistent: tuple[int, int]
    severe: tuple[int, int]
    concern_bands: frozenset[str]

    @classmethod
    def on(cls, as_of: date) -> LaRules:
        months = school_year_months(as_of)
        return cls(
            as_of=as_of,
            window_start=years_before(as_of, COHORT_YEARS),
            first_month=months[0],
            last_month=months[-1],
            school_year=school_year(as_of),
            persistent=(PERSISTENT.numerator, PERSISTENT.denominator),
            severe=(SEVERE.numerator, SEVERE.denominator),
            concern_bands=CONCERN_BANDS,
        )


class LaReads(Protocol):
    def la_schools(self, la_code: str) -> list[dict[str, Any]]: ...

    def roll_begins(self, school_urns: list[str]) -> list[dict[str, Any]]: ...

    def la_school_figures(self, la_code: str, rules: LaRules) -> dict[str, Any]:
        """``schools``: each school's sums (cohort, attendance, open cases...); ``steps``: the LA's
        open journeys by step."""
        ...


@dataclass
class SchoolFigures:
    urn: str
    name: str
    open: int = 0
    previous: int = 0
    child_protection: int = 0
    looked_after: int = 0
    previously_looked_after: int = 0
    rate: Rate = field(default_factory=Rate)
    persistent: int = 0
    severe: int = 0
    suspended: int = 0
    suspension_days: float = 0.0
    sdq_concern: int = 0
    open_cases: int = 0

    def add(self, row: dict[str, Any]) -> None:
        """Add one school's sums from the query."""
        for name in ("open", "previous", "child_protection", "looked_after", "previously_looked_after", "persistent", "severe"):
            setattr(self, name, getattr(self, name) + int(row[name]))
        self.suspended += int(row["suspended"])
        self.open_cases += int(row["open_cases"])
        self.sdq_concern += int(row["sdq_concern"])
        self.suspension_days += float(row["suspension_days"])
        self.rate.attended += int(row["attended"])
        self.rate.possible += int(row["possible"])
        self.rate.absent += int(row["absent"])

    @property
    def cohort(self) -> int:
        return self.open + self.previous

    def share(self, count: int) -> float | None:
        return round(100 * count / self.cohort, 1) if self.cohort else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "name": self.name,
            "cohort": self.cohort,
            "open": self.open,
            "previous": self.previous,
            "child_protection": self.child_protection,
            "looked_after": self.looked_after,
            "previously_looked_after": self.previously_looked_after,
            "attendance_percent": self.rate.percent,
            # with no marks at all, unknown, as on the school's dashboard
            "persistent_absence_percent": self.share(self.persistent) if self.rate.possible else None,
            "severe_absence_percent": self.share(self.severe) if self.rate.possible else None,
            "pupils_suspended": self.suspended,
            "suspension_days": self.suspension_days,
            "sdq_concern": self.sdq_concern,
            "open_cases": self.open_cases,
        }


class LaViewService:
    def __init__(self, reads: LaReads, audit: AccessLog) -> None:
        self.reads = reads
        self.audit = audit

    def la(
        self,
        principal: Principal,
        as_of: date,
        search: str = "",
        sort: str = "name",
        page: int = 1,
        asked: Asked | None = None,
    ) -> dict[str, Any]:
        """The LA's schools with their cohorts' figures this school year, and the LA's totals; ``asked``: how a
        person asked the day, to be refused one before the schools' records (``refuse_day_asked``)."""
        if Role.VIRTUAL_SCHOOL not in principal.roles or not principal.la_code:
            raise NotFound("no local authority is linked to your account")
        la_code = principal.la_code
        schools = {s["urn"]: SchoolFigures(s["urn"], s["name"]) for s in self.reads.la_schools(la_code)}
        refuse_day_asked(
            self.reads, self.audit, username=principal.username, role=Role.VIRTUAL_SCHOOL, action="view_la",
            detail=f"la {la_code}", school_urns=list(schools), as_of=as_of, asked=asked, la=True,
        )  # fmt: skip
        found = self.reads.la_school_figures(la_code, LaRules.on(as_of))
        total = SchoolFigures("", f"LA {la_code}")
        for urn, row in found["schools"].items():
            if urn in schools:
                schools[urn].add(row)
                total.add(row)
        rows = [s for s in schools.values() if search.casefold() in f"{s.name} {s.urn}".casefold()]
        rows.sort(key=_sort_key(sort if sort in SORTS else "name"))
        pages = max(1, -(-len(rows) // PAGE_SIZE))
        page = min(max(1, page), pages)
        self.audit.record(
            username=principal.username,
            role=Role.VIRTUAL_SCHOOL,
            action="view_la",
            outcome="ok",
            detail=f"la {la_code}, as at {as_of}",
        )
        return {
            "la_code": la_code,
            "as_of": as_of.isoformat(),
            "total": total.as_dict() | {"schools": len(schools)},
            "steps": dict(found["steps"]),
            "schools": [s.as_dict() for s in rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]],
            "matching_schools": len(rows),
            "page": page,
            "pages": pages,
            "sort": sort if sort in SORTS else "name",
            "search": search,
        }


def _sort_key(sort: str) -> Any:
    """Where to look first: the biggest cohorts, the lowest attendance, the most absence or suspension."""
    if sort == "cohort":
        return lambda s: (-s.cohort, s.name)
    if sort == "attendance":
        return lambda s: (s.rate.percent is None, s.rate.percent or 0.0, s.name)
    if sort == "persistent":
        return lambda s: (-(s.share(s.persistent) or 0.0), s.name)
    if sort == "suspended":
        return lambda s: (-s.suspended, -s.suspension_days, s.name)
    return lambda s: (s.name, s.urn)
