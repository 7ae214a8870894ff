"""What a governors' report counts of a case, kept as flat facts, one per event that carries any.

A report as at a date must count each case as the log stood then. Replaying every case of a school
for each report would read and decode every event of every case; a projection of these facts (a row
per event that moves a case, plans or ends an intervention, records an evaluation, or proposes, hears
or decides an exclusion) lets a report read a few narrow rows up to its cutoff instead, and
``tally`` counts them exactly as ``SupportCase.interventions`` and ``SupportCase.proposals`` would.
A report counts the facts recorded by its cutoff; a replay as at an instant stops at the first event
recorded after it. The two agree because each case's events are stamped in version order: the event
store never records an event before the one it follows, even when a server's clock steps back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby
from typing import Any, NamedTuple

from caseflow.domain.case import TO_STATE
from caseflow.domain.events import UPCASTERS, StoredEvent, london_date
from caseflow.domain.exclusions import school_year

ENDED = frozenset({"completed", "stopped"})
PROPOSED = {"SuspensionProposed": "suspension", "ExclusionProposed": "exclusion"}
DECIDED = frozenset({"SuspensionDecided", "ExclusionDecided"})
EXCLUDING = frozenset({"suspend", "exclude"})
#: after a decision: the fact's kind and the field its detail comes from
AFTER_DECISION = {
    "DecisionNoticeRecorded": ("noticed", "recipient"),
    "ReviewRequested": ("requested", None),
    "BoardReviewRecorded": ("board", "outcome"),
    "DecisionCancelled": ("cancelled", None),
}


class ReportFact(NamedTuple):
    """One event's part in the report. ``kind``: planned, ended (``ref``: the intervention), evaluated,
    proposed (``detail``: suspension or exclusion), view (``ref``: the proposal, ``detail``: the role)
    decided (``ref``: the proposal, ``detail``: the decision, ``override``: a reason was given,
    ``misses_exam``: a public exam or national test would be missed), noticed (``ref``: the proposal,
    ``detail``: who was told), requested (``ref``: the proposal; the parents asked the board to consider
    reinstatement), board (``ref``: the proposal, ``detail``: the governing board's outcome), cancelled
    (``ref``: the proposal; the head cancelled the decision), transition (``detail``: its kind,
    ``start_date``: the day the child leaves), file_sent (``detail``: to which setting, ``decided_on``: sent
    on) or file_received (``ref``: the sending, ``decided_on``: received on)."""

    case_id: str
    version: int
    recorded_at: datetime
    state: str | None = None
    kind: str | None = None
    ref: int | None = None
    detail: str | None = None
    start_date: date | None = None
    override: bool | None = None
    misses_exam: bool | None = None
    #: a decision's day in England, when it happened (it may have been recorded later); for a notice,
    #: the day the recipient was told
    decided_on: date | None = None
    #: an intervention's review date as planned, or every running intervention's, as continued
    review_on: date | None = None


def report_fact(event: StoredEvent) -> ReportFact | None:
    """The event's fact for reports, or None for an event reports do not count (a note, a contact)."""
    _, data = UPCASTERS.upcast(event.event_type, event.schema_version, event.data)
    fact: dict[str, Any] = {}
    if TO_STATE in data:
        fact["state"] = data[TO_STATE]
    kind = event.event_type
    if kind == "InterventionPlanned":
        fact |= {"kind": "planned", "review_on": _day(data.get("review_date"))}
    elif kind == "InterventionContinued":
        fact |= {"kind": "continued", "review_on": _day(data.get("review_date"))}
    elif kind == "OutcomeRecorded" and data.get("status") in ENDED and _version(data.get("intervention")):
        fact |= {"kind": "ended", "ref": data["intervention"]}
    elif kind == "EvaluationRecorded":
        fact["kind"] = "evaluated"
    elif kind in PROPOSED:
        fact |= {"kind": "proposed", "detail": PROPOSED[kind], "start_date": _day(data.get("start_date"))}
    elif kind == "ContributionAdded" and data.get("kind") == "exclusion_view" and _version(data.get("proposal")):
        fact |= {"kind": "view", "ref": data["proposal"], "detail": event.role}
    elif kind in DECIDED and _version(data.get("proposal")):
        decision = data.get("decision")
        fact |= {"kind": "decided", "ref": data["proposal"], "detail": decision if isinstance(decision, str) else None}
        fact["override"] = bool(data.get("override_reason"))
        if data.get("misses_public_exam") is True:
            fact["misses_exam"] = True
        fact["decided_on"] = london_date(event.occurred_at)
    elif kind in AFTER_DECISION and _version(data.get("proposal")):
        field_name = AFTER_DECISION[kind][1]
        detail = data.get(field_name) if field_name else None
        fact |= {"kind": AFTER_DECISION[kind][0], "ref": data["proposal"], "detail": detail if isinstance(detail, str) else None}
        if kind == "DecisionNoticeRecorded":  # the governing board's school days run from the day it was told
            fact["decided_on"] = _day(data.get("notified_on"))
    elif kind in FILE_EVENTS:
        fact |= _file_fact(kind, data)
    if not fact and event.version != 1:  # a case's first event always counts it
        return None
    return ReportFact(event.stream_id, event.version, event.recorded_at, **fact)


@dataclass
class Tally:
    """A school's cases counted for the governors' report (before small numbers are suppressed)."""

    steps: Counter[str] = field(default_factory=Counter)
    interventions_in_place: int = 0
    evaluations_recorded: int = 0
    suspensions: int = 0
    exclusions: int = 0
    #: of those, the ones the head cancelled by the cutoff (the board and the LA are told of them all)
    suspensions_cancelled: int = 0
    exclusions_cancelled: int = 0
    overrides: int = 0
    awaiting_social_worker: int = 0


class CaseAsAt(NamedTuple):
    """A case as its facts up to a cutoff leave it: its step, the interventions still running on it (their
    planning versions) and when the last of those facts was written."""

    state: str | None
    running: frozenset[int]
    last_recorded: datetime
    #: each running intervention's review date as it stood (None where its events gave none)
    reviews: Mapping[int, date | None] = {}


def cases_as_at(facts: Iterable[ReportFact]) -> dict[str, CaseAsAt]:
    """Each case's step and running interventions from its facts (in case and version order), as
    ``SupportCase.interventions`` counts them: one ended by an outcome, or by the case closing, runs no more."""
    found = {}
    for case_id, case_facts in groupby(facts, key=lambda fact: fact.case_id):
        state: str | None = None
        planned: set[int] = set()
        ended: set[int] = set()
        reviews: dict[int, date | None] = {}
        last = datetime.min
        for fact in case_facts:
            if fact.state is not None:
                state = fact.state
                if state == "closed":  # the interventions still running end with the case
                    ended |= planned
            if fact.kind == "planned":
                planned.add(fact.version)
                reviews[fact.version] = fact.review_on
            elif fact.kind == "ended" and fact.ref in planned:
                ended.add(fact.ref)
            elif fact.kind == "continued":  # a new review date for every intervention still running
                reviews |= dict.fromkeys(planned - ended, fact.review_on)
            last = fact.recorded_at
        running = frozenset(planned - ended)
        found[case_id] = CaseAsAt(state, running, last, {v: reviews[v] for v in running})
    return found


def tally(facts: Iterable[ReportFact], as_of: date) -> Tally:
    """Count ``facts`` (every fact of each case recorded by the report's cutoff, in case and version
    order): each case's step, its interventions still in place, its evaluations, and its proposals:
    decided this school year, decided over the social worker's silence, or still awaiting a view."""
    facts = list(facts)
    counted = Tally()
    for case in cases_as_at(facts).values():
        counted.steps[case.state or "unknown"] += 1
        counted.interventions_in_place += len(case.running)
    year = school_year(as_of)
    for _, case_facts in groupby(facts, key=lambda fact: fact.case_id):
        proposals: dict[int, ReportFact] = {}
        heard: set[int] = set()
        viewed: set[int] = set()
        decided: dict[int, ReportFact] = {}
        cancelled: set[int] = set()
        for fact in case_facts:
            if fact.kind == "evaluated":
                counted.evaluations_recorded += 1
            elif fact.kind == "proposed":
                proposals[fact.version] = fact
            elif fact.kind == "view" and fact.ref in proposals:
                viewed.add(fact.ref)
                if fact.detail == "social_worker":
                    heard.add(fact.ref)
            elif fact.kind == "decided" and fact.ref in proposals:
                decided[fact.ref] = fact._replace(override=bool(fact.override) and fact.ref not in heard)
            elif fact.kind == "cancelled" and fact.ref in decided:
                cancelled.add(fact.ref)
        _count_proposals(counted, proposals, decided, viewed, cancelled, year)
    return counted


def _count_proposals(
    counted: Tally,
    proposals: Mapping[int, ReportFact],
    decided: Mapping[int, ReportFact],
    viewed: set[int],
    cancelled: set[int],
    year: int,
) -> None:
    """A case's proposals: decided to exclude this school year (and of those, cancelled), decided over
    the social worker's silence, or still awaiting a view."""
    for ref, proposal in proposals.items():
        decision = decided.get(ref)
        if decision is None:
            counted.awaiting_social_worker += ref not in viewed
            continue
        if decision.detail in EXCLUDING and proposal.start_date is not None and school_year(proposal.start_date) == year:
            counted.suspensions += proposal.detail == "suspension"
            counted.exclusions += proposal.detail == "exclusion"
            counted.suspensions_cancelled += proposal.detail == "suspension" and ref in cancelled
            counted.exclusions_cancelled += proposal.detail == "exclusion" and ref in cancelled
        counted.overrides += bool(decision.override)


#: what the child protection file's duty is worked out from (``caseflow.domain.file_transfer``)
FILE_EVENTS = frozenset({"TransitionPrepared", "FileTransferSent", "FileReceiptConfirmed"})


def _file_fact(kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
    if kind == "TransitionPrepared":
        return {"kind": "transition", "detail": _text(data.get("kind")), "start_date": _day(data.get("date"))}
    if kind == "FileTransferSent":
        return {"kind": "file_sent", "detail": _text(data.get("receiving_setting")), "decided_on": _day(data.get("sent_on"))}
    if _version(data.get("transfer")):
        return {"kind": "file_received", "ref": data["transfer"], "decided_on": _day(data.get("received_on"))}
    return {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _version(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
