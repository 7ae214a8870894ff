"""The cohort of children with a social worker, derived (never typed in) as at any date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple, Protocol

from caseflow.domain.errors import DayNotKnown, NotFound, NotPermitted
from caseflow.domain.events import long_date
from caseflow.domain.pupil import Episode, cohort_status
from caseflow.domain.roles import Role
from caseflow.services.access import SCHOOL_CASE_ROLES, Principal, case_roles, scope_for
from caseflow.services.ports import AccessLog, ReadModels


class RollBegins(Protocol):
    def roll_begins(self, school_urns: list[str]) -> list[dict[str, Any]]: ...


class CohortRoll(Protocol):
    def episodes_by_pupil(self, school_urns: list[str]) -> dict[str, list[Episode]]: ...

    def roll(self, school_urns: list[str], as_of: date) -> list[dict[str, Any]]: ...


class CohortMember(NamedTuple):
    pupil: dict[str, Any]
    status: str
    episodes: list[Episode]


def cohort_on(reads: CohortRoll, school_urn: str, as_of: date) -> list[CohortMember]:
    """The rule of a school's cohort, in one place: the pupils on its roll on ``as_of`` who have, or have had, a
    social worker then (``cohort_status`` open or previous), by name."""
    episodes = reads.episodes_by_pupil([school_urn])
    found = []
    for pupil in reads.roll([school_urn], as_of):
        own = episodes.get(pupil["pupil_id"], [])
        if (status := cohort_status(own, as_of)) is not None:
            found.append(CohortMember(pupil, status, own))
    return found


class CohortReads(ReadModels, Protocol):
    def pupils_for_schools(self, school_urns: list[str]) -> list[dict[str, Any]]: ...

    def episodes_by_pupil(self, school_urns: list[str]) -> dict[str, list[Episode]]: ...

    def roll(self, school_urns: list[str], as_of: date) -> list[dict[str, Any]]: ...

    def roll_begins(self, school_urns: list[str]) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Asked:
    """A day figures were asked as at by a person or a client (a page, the API, the command line), not by Caseflow
    itself: one before the school's first record is refused, and the access log keeps every refusal, so that an
    auditor never reads a refused day as a day whose figures were seen. ``text``: what was asked, as typed;
    ``refused``: why the page already refused it (no date, a day to come), today's figures being shown instead."""

    text: str
    refused: str | None = None


def day_not_known(reads: RollBegins, school_urns: list[str], as_of: date, la: bool = False) -> str | None:
    """Why figures as at ``as_of`` cannot be given for these schools, or None if they can: before the first day
    Caseflow holds a record of a school's roll, it holds none of who was on it (the figures would be nobody's).
    An LA's figures need every one of its schools that has records (one with none counts nobody on any day)."""
    begins = reads.roll_begins(school_urns)
    if not begins:
        return None
    latest = max(begins, key=lambda b: b["first_day"])
    if as_of >= latest["first_day"]:
        return None
    day = long_date(latest["first_day"])
    if la:
        return f"Caseflow holds records for every school of the local authority only from {day}: give that day or later."
    return f"Caseflow holds no records for {latest['name']} before {day}: give that day or later."


def refuse_day_asked(
    reads: RollBegins,
    audit: AccessLog,
    *,
    username: str,
    role: str | None,
    action: str,
    detail: str,
    school_urns: list[str],
    as_of: date,
    asked: Asked | None,
    la: bool = False,
) -> None:
    """For figures asked as at a day (``asked``), after the access check: a day the page refused, or one before the
    schools' records begin, is logged as refused with what was asked and why (``detail``: what was asked of, as
    the read's line names it), and refused (``DayNotKnown``), before anything is counted. Figures a page shows
    instead (today's, on a dashboard) are read again, and logged as a read naming their own day."""
    if asked is None:
        return
    why = asked.refused or day_not_known(reads, school_urns, as_of, la)
    if why is None:
        return
    audit.record(
        username=username, role=role, action=action, outcome="refused", detail=f"{detail}, as at {asked.text[:20]}: {why}"
    )
    raise DayNotKnown(why)


#: who may list a school's cohort
COHORT_READERS = frozenset({*SCHOOL_CASE_ROLES, Role.VIRTUAL_SCHOOL, Role.AUDITOR})
#: who may list a school's whole roll: its own staff, who may open any of its pupils' records (a
#: virtual school officer or an auditor has no business with the children who never had a social worker)
ROLL_READERS = SCHOOL_CASE_ROLES


class CohortService:
    def __init__(self, reads: CohortReads, audit: AccessLog) -> None:
        self.reads = reads
        self.audit = audit

    def school_roles(self, principal: Principal, school_urn: str) -> frozenset[str]:
        """Roles in which the principal may see this school's cohort; NotFound if the school is out of scope."""
        if not self.reads.school_exists(school_urn):
            raise NotFound("no such school")
        scope = scope_for(principal, school_urn, frozenset(), self.reads.school_la)
        roles = case_roles(principal, scope) & COHORT_READERS
        if roles:
            return roles
        if any(school == school_urn for _, school in principal.grants):
            raise NotPermitted("your role may not see individual pupils")
        raise NotFound("no such school")

    def roll(self, principal: Principal, school_urn: str, as_of: date, search: str = "") -> list[dict[str, Any]]:
        """Every pupil of the school, or those whose name or UPN contains ``search``, with their cohort
        status as at ``as_of``: how a DSL reaches the record of a child whose first plan has just
        begun, to enter it (the cohort lists only those who have, or have had, one)."""
        if not self.reads.school_exists(school_urn):
            raise NotFound("no such school")
        held = frozenset(role for role, school in principal.grants if school == school_urn) & ROLL_READERS
        if not held:
            raise NotFound("no such school")
        wanted = search.strip().casefold()
        episodes = self.reads.episodes_by_pupil([school_urn])
        found = [
            {**pupil, "status": cohort_status(episodes.get(pupil["pupil_id"], []), as_of)}
            for pupil in self.reads.roll([school_urn], as_of)
            if not wanted or wanted in f"{pupil['given_name']} {pupil['family_name']} {pupil['upn']}".casefold()
        ]
        detail = f"school {school_urn}" + (f", search {wanted[:40]!r}" if wanted else "")
        self.audit.record(username=principal.username, role=sorted(held)[0], action="view_roll", outcome="ok", detail=detail)
        return found

    def cohort(self, principal: Principal, school_urn: str, as_of: date) -> list[dict[str, Any]]:
        """Pupils of the school in the cohort (open or previous) as at ``as_of``: of those on its roll that day."""
        roles = self.school_roles(principal, school_urn)
        found = []
        for pupil, status, own in cohort_on(self.reads, school_urn, as_of):
            running = [e for e in own if e.running_on(as_of)]
            found.append(
                {
                    "pupil_id": pupil["pupil_id"],
                    "upn": pupil["upn"],
                    "given_name": pupil["given_name"],
                    "family_name": pupil["family_name"],
                    "year_group": pupil["year_group"],
                    "status": status,
                    "plan": "cp" if any(e.plan == "cp" for e in running) else ("cin" if running else None),
                    "social_worker": next((e.social_worker for e in running if e.social_worker), None),
                }
            )
        self.audit.record(
            username=principal.username, role=sorted(roles)[0], action="view_cohort", outcome="ok", detail=f"school {school_urn}"
        )
        return found
