"""The due list: every active intervention of a school's open cases whose review date has passed or
comes soon, with the child, the step and who owns it, so that no review is missed (PRODUCT.md: "overdue
reviews show on a due list"); and every suspension or exclusion decided at the school that still owes a
notice or a governing board meeting, so a head sees in one place what the guidance still asks of them; and
each child of the cohort with no SDQ completed in the term of the list's day, as the county guidance asks
emotional wellbeing to be tracked termly. Read from projections (interventions, report facts, suspension
days, SDQ dates), never by replaying cases or records.

Reading it is logged: a line for the list, and a line for each child it names, so the reading is in
that child's subject-access bundle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import groupby
from typing import Any, NamedTuple, Protocol

from caseflow.domain.errors import InvalidData, NotFound, NotPermitted
from caseflow.domain.events import iso
from caseflow.domain.exclusions import Child, DecisionDuties, OtherSuspension, safeguards
from caseflow.domain.file_transfer import FileDuty, FileFact, file_duty
from caseflow.domain.pupil import Episode
from caseflow.domain.school_calendar import SchoolCalendar, Term
from caseflow.services.access import SCHOOL_CASE_ROLES, Principal, choose_role
from caseflow.services.cohort import cohort_on
from caseflow.services.ports import AccessLog

#: who may read a school's due list: its staff who work its cases
DUE_READERS = SCHOOL_CASE_ROLES
#: how far ahead the list looks unless asked: a fortnight, time to arrange a review meeting
DEFAULT_WITHIN_DAYS = 14
#: the furthest ahead it looks: a school year and a bit
MAX_WITHIN_DAYS = 400


@dataclass(frozen=True, slots=True)
class InterventionDue:
    case_id: str
    intervention: int
    name: str
    owner: str
    review_date: date
    state: str
    pupil_id: str
    given_name: str
    family_name: str

    def days_until(self, as_of: date) -> int:
        """Negative when the review is overdue."""
        return (self.review_date - as_of).days

    def as_dict(self, as_of: date) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "intervention": self.intervention,
            "name": self.name,
            "owner": self.owner,
            "review_date": self.review_date.isoformat(),
            "days_until": self.days_until(as_of),
            "overdue": self.days_until(as_of) < 0,
            "state": self.state,
            "pupil_id": self.pupil_id,
            "given_name": self.given_name,
            "family_name": self.family_name,
        }


class DecisionFacts(NamedTuple):
    """The rows the duties after decisions are worked out from (see ``SqlReadModels.decision_facts``)."""

    #: report facts (proposed, decided, noticed, requested, board) of cases with a decision, with the
    #: child, by the child's name, case and version
    facts: list[dict[str, Any]]
    #: pupil id -> (case id, decision version) -> every suspension decided for those children, with the
    #: days that counted at the cutoff (those served, once cancelled)
    suspensions: dict[str, dict[tuple[str, int], OtherSuspension]]
    #: (case id, decision version) -> the days decided
    decided_days: dict[tuple[str, int], float]
    #: pupil id -> their social-care episodes and care status
    children: dict[str, Child]


@dataclass(frozen=True, slots=True)
class DecisionOwed:
    """A decided suspension or exclusion that still owes a notice or a governing board meeting."""

    case_id: str
    pupil_id: str
    given_name: str
    family_name: str
    duties: DecisionDuties

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "pupil_id": self.pupil_id,
            "given_name": self.given_name,
            "family_name": self.family_name,
            **self.duties.as_dict(),
        }


@dataclass(frozen=True, slots=True)
class FileOwed:
    """A child gone, or going, to another setting whose child protection file is not yet confirmed received."""

    case_id: str
    pupil_id: str
    given_name: str
    family_name: str
    duty: FileDuty

    def as_dict(self, as_of: date) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "pupil_id": self.pupil_id,
            "given_name": self.given_name,
            "family_name": self.family_name,
            **self.duty.as_dict(as_of),
        }


@dataclass(frozen=True, slots=True)
class WellbeingDue:
    """A child of the cohort with no SDQ completed this term; ``last_sdq_on``: the day of their last before it."""

    pupil_id: str
    given_name: str
    family_name: str
    cohort_status: str
    last_sdq_on: date | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "pupil_id": self.pupil_id,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "cohort_status": self.cohort_status,
            "last_sdq_on": self.last_sdq_on.isoformat() if self.last_sdq_on else None,
        }


@dataclass(frozen=True, slots=True)
class DueList:
    interventions: list[InterventionDue]
    decisions: list[DecisionOwed]
    files: list[FileOwed] = field(default_factory=list)
    wellbeing: list[WellbeingDue] = field(default_factory=list)
    #: the term of the list's day, in the school's calendar, that the wellbeing measures are due in
    term: Term | None = None


def sdq_due(last_sdq_on: date | None, as_of: date, calendar: SchoolCalendar) -> bool:
    """Whether a child whose last SDQ by ``as_of`` was completed on ``last_sdq_on`` is due one: none in the term of
    ``as_of``, as the school's calendar puts days in terms (its own dates where set, else as computed)."""
    return last_sdq_on is None or calendar.term_on(last_sdq_on) != calendar.term_on(as_of)


_FILE_KINDS = {"transition": "transition", "file_sent": "sent", "file_received": "received"}


def files_owed(rows: list[dict[str, Any]], calendar: SchoolCalendar | None) -> list[FileOwed]:
    """Each case's file facts from its report facts, worked out by the function the case page uses."""
    owed = []
    for case_id, found in groupby(rows, key=lambda row: row["case_id"]):
        facts = list(found)
        child = facts[0]
        duty = file_duty(
            [FileFact(_FILE_KINDS[r["kind"]], r["version"], r["start_date"] if r["kind"] == "transition" else r["decided_on"],
                      r["detail"], r["ref"]) for r in facts],
            child["state"],
            calendar,
        )  # fmt: skip
        if duty is not None and not duty.confirmed:
            owed.append(FileOwed(case_id, child["pupil_id"], child["given_name"], child["family_name"], duty))
    return owed


def owed_after_decisions(
    found: DecisionFacts, today: date, calendars: Mapping[str, SchoolCalendar] | None = None
) -> list[DecisionOwed]:
    """Each case's proposals rebuilt from its report facts, in the shape the case keeps them, so the
    duties come from the one function the case page uses (``safeguards``), in the terms of each case's
    school (``calendars``, by URN; a school not there: terms as computed)."""
    owed = []
    for case_id, rows in groupby(found.facts, key=lambda row: row["case_id"]):
        facts = list(rows)
        child = facts[0]
        proposals: dict[int, dict[str, Any]] = {}
        for fact in facts:
            if fact["kind"] == "proposed" and fact["start_date"] is not None:
                proposals[fact["version"]] = {
                    "id": fact["version"], "kind": fact["detail"], "start_date": fact["start_date"].isoformat(),
                    "days": None, "decision": None, "notices": [], "review_requests": [], "board_reviews": [],
                }  # fmt: skip
            elif (proposal := proposals.get(fact["ref"])) is not None:
                _add(proposal, fact, found.suspensions.get(child["pupil_id"], {}), found.decided_days)
        others = [other for (case, _), other in found.suspensions.get(child["pupil_id"], {}).items() if case != case_id]
        case = safeguards(list(proposals.values()), others, found.children.get(child["pupil_id"], Child()), today,
                          (calendars or {}).get(child["school_urn"]))  # fmt: skip
        owed += [
            DecisionOwed(case_id, child["pupil_id"], child["given_name"], child["family_name"], duties)
            for duties in case.decisions
            if duties.missing or duties.board_review_owed
        ]
    return owed


def _add(
    proposal: dict[str, Any],
    fact: dict[str, Any],
    suspensions: dict[tuple[str, int], OtherSuspension],
    decided_days: dict[tuple[str, int], float],
) -> None:
    """One report fact about a proposal, as ``SupportCase.proposals`` would hold it."""
    if fact["kind"] == "decided":
        proposal["days"] = decided_days.get((fact["case_id"], fact["version"]))
        proposal["decided_key"] = (fact["case_id"], fact["version"])
        proposal["decision"] = {
            "decision": fact["detail"],
            "version": fact["version"],
            "decided_on": fact["decided_on"].isoformat(),
            "recorded_at": iso(fact["recorded_at"]),
            "misses_public_exam": bool(fact["misses_exam"]),
        }
    elif fact["kind"] == "cancelled":  # by the cutoff, the suspension's row counts only the days served
        counted = suspensions.get(proposal.get("decided_key", ("", 0)))
        proposal["cancelled"] = {"version": fact["version"], "days_served": counted.days if counted else None}
    else:
        kept, detail = {"noticed": ("notices", "recipient"), "requested": ("review_requests", None),
                        "board": ("board_reviews", "outcome")}[fact["kind"]]  # fmt: skip
        item = {"version": fact["version"]} | ({detail: fact["detail"]} if detail else {})
        if fact["kind"] == "noticed" and fact["decided_on"] is not None:
            item["notified_on"] = fact["decided_on"].isoformat()
        proposal[kept].append(item)


class DueReads(Protocol):
    def school_exists(self, school_urn: str) -> bool: ...

    def interventions_due(self, school_urns: list[str], until: date) -> list[dict[str, Any]]: ...

    def decision_facts(self, school_urns: list[str], cutoff: datetime | None = None) -> DecisionFacts: ...

    def file_facts(self, school_urns: list[str]) -> list[dict[str, Any]]: ...

    def school_calendars(self, school_urns: list[str]) -> dict[str, SchoolCalendar]: ...

    def episodes_by_pupil(self, school_urns: list[str]) -> dict[str, list[Episode]]: ...

    def roll(self, school_urns: list[str], as_of: date) -> list[dict[str, Any]]: ...

    def last_sdqs(self, school_urns: list[str], as_of: date) -> dict[str, date]: ...


class DueListService:
    def __init__(self, reads: DueReads, audit: AccessLog) -> None:
        self.reads = reads
        self.audit = audit

    def due(self, principal: Principal, school_urn: str, as_of: date, within_days: int = DEFAULT_WITHIN_DAYS) -> DueList:
        """Reviews overdue at ``as_of`` or due within ``within_days`` after it, soonest (most overdue) first;
        and the decisions that still owe a notice or a board meeting, by the child's name."""
        if not self.reads.school_exists(school_urn):
            raise NotFound("no such school")
        held = frozenset(role for role, school in principal.grants if school == school_urn)
        readers = held & DUE_READERS
        if not readers:
            if held:
                raise NotPermitted("your role may not see the reviews due at this school")
            raise NotFound("no such school")
        if not 0 <= within_days <= MAX_WITHIN_DAYS:  # after the scope: another school's stays a 404 whatever is asked
            raise InvalidData({"within": [f"must be a number of days from 0 to {MAX_WITHIN_DAYS}"]})
        try:
            until = as_of + timedelta(days=within_days)
        except OverflowError:
            raise InvalidData({"within": ["reaches past the last date there is"]}) from None
        calendars = self.reads.school_calendars([school_urn])
        found = DueList(
            [InterventionDue(**row) for row in self.reads.interventions_due([school_urn], until)],
            owed_after_decisions(self.reads.decision_facts([school_urn]), as_of, calendars),
            files_owed(self.reads.file_facts([school_urn]), calendars[school_urn]),
            self._wellbeing_due(school_urn, as_of, calendars[school_urn]),
            calendars[school_urn].term_on(as_of),
        )
        role = choose_role(readers, DUE_READERS) or sorted(readers)[0]  # the role an action would record
        detail = f"school {school_urn}, as of {as_of.isoformat()}, within {within_days} days"
        self.audit.record(username=principal.username, role=role, action="view_due", outcome="ok", detail=detail)
        named: set[tuple[str | None, str]] = {
            (item.case_id, item.pupil_id) for item in [*found.interventions, *found.decisions, *found.files]
        }
        children = {pupil_id for _, pupil_id in named}
        named |= {(None, item.pupil_id) for item in found.wellbeing if item.pupil_id not in children}  # once a child
        for case_id, pupil_id in sorted(named, key=lambda pair: (pair[0] or "", pair[1])):
            self.audit.record(
                username=principal.username, role=role, action="due_listed", outcome="ok", case_id=case_id, pupil_id=pupil_id
            )
        return found

    def _wellbeing_due(self, school_urn: str, as_of: date, calendar: SchoolCalendar) -> list[WellbeingDue]:
        """The children of the cohort on ``as_of`` with no SDQ completed in its term by then, by name."""
        last = self.reads.last_sdqs([school_urn], as_of)
        return [
            WellbeingDue(pupil["pupil_id"], pupil["given_name"], pupil["family_name"], status, last.get(pupil["pupil_id"]))
            for pupil, status, _ in cohort_on(self.reads, school_urn, as_of)
            if sdq_due(last.get(pupil["pupil_id"]), as_of, calendar)
        ]
