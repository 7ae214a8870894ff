"""The support case aggregate: current state derived only by applying events.

Applying an event never re-checks permissions or guards: history is trusted as
written, so a replay reproduces exactly what users saw at the time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from caseflow.domain.errors import IntegrityError
from caseflow.domain.events import UPCASTERS, StoredEvent, Upcasters, iso, london_date, utc

#: engine-owned keys that transition events carry besides the user's data
FROM_STATE = "from_state"
TO_STATE = "to_state"
#: the day an event happened, where it was given without its time of day (a decision recorded days after it was
#: made): the event's ``occurred_at`` then only places it in that day, and the day is what is shown
OCCURRED_ON = "occurred_on"


@dataclass(frozen=True, slots=True)
class Fact:
    """One applied event, as guards and views read it."""

    version: int
    event_type: str
    data: Mapping[str, Any]
    actor: str
    role: str
    occurred_at: datetime
    recorded_at: datetime
    workflow_version: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "type": self.event_type,
            "data": dict(self.data),
            "actor": self.actor,
            "role": self.role,
            "occurred_at": iso(self.occurred_at),
            "recorded_at": iso(self.recorded_at),
            "workflow_version": self.workflow_version,
        }


#: what is recorded after a decision, and where each proposal keeps it
_AFTER_DECISION = {
    "DecisionNoticeRecorded": "notices",
    "ReviewRequested": "review_requests",
    "BoardReviewRecorded": "board_reviews",
}

#: bump when the shape of a snapshot changes; older snapshots are then ignored
#: 2: InterventionContinued kept (the review date it sets); 3: the move and the child protection file's
#: sendings and confirmations kept; 4: CaseClosed kept (the interventions still running end with the case);
#: 5: CorrectionRecorded kept (a corrected transition no longer holds the file to the setting it named).
#: Older snapshots are replayed past
SNAPSHOT_SCHEMA = 5

#: an intervention's status once its case closed while it ran: a reopened case plans afresh
ENDED_WITH_CASE = "closed"
#: the events that close a case: the end of a journey, and a need raised again closed into the pupil's other open
#: case (``support_journey@9``); either ends the interventions still running
CLOSING_EVENTS = ("CaseClosed", "CaseClosedIntoOther")


@dataclass
class SupportCase:
    """A pupil's support journey as the log says it stands.

    It keeps only the facts that rules and summaries read (``kept_types``: guards
    declare what they read when they register); the full history stays in the log,
    so a long case stays small in memory and in its snapshot.
    """

    kept_types: ClassVar[set[str]] = {
        "CaseOpened",
        "PlanRecorded",
        "InterventionPlanned",
        "OutcomeRecorded",
        "InterventionContinued",
        "EvaluationRecorded",
        "ContributionAdded",
        "SuspensionProposed",
        "ExclusionProposed",
        "SuspensionDecided",
        "ExclusionDecided",
        "DecisionNoticeRecorded",
        "ReviewRequested",
        "BoardReviewRecorded",
        "DecisionCancelled",
        *CLOSING_EVENTS,
    }

    id: str
    state: str | None = None
    version: int = 0
    pupil_id: str | None = None
    school_urn: str | None = None
    workflow: str | None = None
    #: the version at which the case last entered each step
    entered: dict[str, int] = field(default_factory=dict)
    facts: list[Fact] = field(default_factory=list)

    @classmethod
    def replay(
        cls,
        case_id: str,
        events: Iterable[StoredEvent],
        *,
        upto_version: int | None = None,
        as_of: datetime | None = None,
        upcasters: Upcasters = UPCASTERS,
    ) -> SupportCase:
        """Rebuild the case from its events, optionally only up to a version or instant."""
        case = cls(case_id)
        cutoff = utc(as_of) if as_of is not None else None
        for event in events:
            if upto_version is not None and event.version > upto_version:
                break
            if cutoff is not None and utc(event.recorded_at) > cutoff:
                break
            case.apply(event, upcasters)
        return case

    def apply(self, event: StoredEvent, upcasters: Upcasters = UPCASTERS) -> None:
        if event.version != self.version + 1:
            raise IntegrityError(f"case {self.id}: event version {event.version} follows {self.version}")
        _, data = upcasters.upcast(event.event_type, event.schema_version, event.data)
        if self.version == 0:
            self.pupil_id = data.get("pupil_id")
            self.school_urn = data.get("school_urn")
            self.workflow = event.workflow_version
        self.version = event.version
        if TO_STATE in data:
            self.state = data[TO_STATE]
            self.entered[self.state] = event.version
        if event.event_type not in self.kept_types:
            return
        self.facts.append(
            Fact(
                version=event.version,
                event_type=event.event_type,
                data=data,
                actor=event.actor,
                role=event.role,
                occurred_at=event.occurred_at,
                recorded_at=event.recorded_at,
                workflow_version=event.workflow_version,
            )
        )

    # --- reading the history -------------------------------------------------------------
    def facts_of(self, *event_types: str, since: int = 0) -> list[Fact]:
        """Facts of these types recorded after version ``since``."""
        return [f for f in self.facts if f.event_type in event_types and f.version > since]

    def latest(self, event_type: str, since: int = 0) -> Fact | None:
        found = self.facts_of(event_type, since=since)
        return found[-1] if found else None

    def since_entered(self, state: str) -> int:
        """Version at which the case last entered ``state`` (0 if never)."""
        return self.entered.get(state, 0)

    @property
    def opened(self) -> Fact | None:
        return self.facts[0] if self.facts else None

    def need_areas(self) -> list[str]:
        opened = self.opened
        return list(opened.data.get("need_areas", [])) if opened else []

    def plan(self) -> dict[str, Any]:
        """The One Plan: each recording updates the fields it gives."""
        merged: dict[str, Any] = {}
        for fact in self.facts_of("PlanRecorded"):
            merged.update({k: v for k, v in fact.data.items() if v not in (None, "", [])})
        return merged

    def interventions(self) -> list[dict[str, Any]]:
        """Planned interventions with their outcomes; the id is the planning event's version. One still
        running when the case closed ended with it: a reopened case's support is planned afresh."""
        found: dict[int, dict[str, Any]] = {}
        for fact in self.facts_of("InterventionPlanned", "OutcomeRecorded", "InterventionContinued", *CLOSING_EVENTS):
            if fact.event_type == "InterventionPlanned":
                found[fact.version] = {"id": fact.version, **fact.data, "status": "active", "outcomes": []}
            elif fact.event_type in ("InterventionContinued", *CLOSING_EVENTS):  # each one still running
                for item in found.values():
                    if item["status"] != "active":
                        continue
                    if fact.event_type in CLOSING_EVENTS:
                        item["status"] = ENDED_WITH_CASE
                    else:
                        item["review_date"] = fact.data["review_date"]
            elif fact.data.get("intervention") in found:
                item = found[fact.data["intervention"]]
                item["outcomes"].append({"version": fact.version, **fact.data})
                if fact.data.get("status") in {"completed", "stopped"}:
                    item["status"] = fact.data["status"]
        return list(found.values())

    def closing(self) -> Fact | None:
        """What closed the case, while it stays closed (None once reopened, or never closed)."""
        if self.state != ENDED_WITH_CASE:
            return None
        closings = self.facts_of(*CLOSING_EVENTS)
        return closings[-1] if closings else None

    def closed_into(self) -> str | None:
        """The pupil's other case this one was closed into, as a need that only repeated it, while it stays closed."""
        closing = self.closing()
        return closing.data.get("other_case") if closing and closing.event_type == "CaseClosedIntoOther" else None

    def proposals(self) -> list[dict[str, Any]]:
        """Suspension and exclusion proposals, the views on them and their decisions."""
        kinds = {"SuspensionProposed": "suspension", "ExclusionProposed": "exclusion"}
        found: dict[int, dict[str, Any]] = {}
        for fact in self.facts:
            if fact.event_type in kinds:
                found[fact.version] = {
                    "id": fact.version,
                    "kind": kinds[fact.event_type],
                    **fact.data,
                    "proposed_by": fact.actor,
                    "proposed_on": london_date(fact.occurred_at).isoformat(),
                    "views": [],
                    "decision": None,
                    "notices": [],
                    "review_requests": [],
                    "board_reviews": [],
                    "cancelled": None,
                }
            elif fact.event_type == "ContributionAdded" and fact.data.get("kind") == "exclusion_view":
                if fact.data.get("proposal") in found:
                    found[fact.data["proposal"]]["views"].append(
                        {"version": fact.version, "actor": fact.actor, "role": fact.role, "text": fact.data.get("contribution"),
                         "given_on": london_date(fact.occurred_at).isoformat()}
                    )  # fmt: skip
            elif fact.event_type in {"SuspensionDecided", "ExclusionDecided"} and fact.data.get("proposal") in found:
                proposal = found[fact.data["proposal"]]
                decided_on = london_date(fact.occurred_at).isoformat()
                heard = any(v["role"] == "social_worker" and v["given_on"] <= decided_on for v in proposal["views"])
                proposal["decision"] = {
                    "version": fact.version,
                    **fact.data,
                    "override": bool(fact.data.get("override_reason")) and not heard,
                    "decided_on": decided_on,
                    "recorded_at": iso(fact.recorded_at),
                }
            elif fact.event_type == "DecisionCancelled" and fact.data.get("proposal") in found:
                found[fact.data["proposal"]]["cancelled"] = {**fact.data, "version": fact.version, "actor": fact.actor}
            elif fact.event_type in _AFTER_DECISION and fact.data.get("proposal") in found:
                found[fact.data["proposal"]][_AFTER_DECISION[fact.event_type]].append(
                    {**fact.data, "version": fact.version, "actor": fact.actor, "role": fact.role}
                )
        return list(found.values())

    def to_snapshot(self) -> dict[str, Any]:
        """The aggregate as plain data, to resume from without replaying every event."""
        return {
            "schema": SNAPSHOT_SCHEMA,
            "id": self.id,
            "state": self.state,
            "version": self.version,
            "pupil_id": self.pupil_id,
            "school_urn": self.school_urn,
            "workflow": self.workflow,
            "entered": self.entered,
            "facts": [f.as_dict() for f in self.facts],
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> SupportCase | None:
        """The aggregate a snapshot describes, or None if it was taken by another shape of the code."""
        if data.get("schema") != SNAPSHOT_SCHEMA:
            return None
        facts = [
            Fact(
                version=f["version"],
                event_type=f["type"],
                data=f["data"],
                actor=f["actor"],
                role=f["role"],
                occurred_at=utc(datetime.fromisoformat(f["occurred_at"])),
                recorded_at=utc(datetime.fromisoformat(f["recorded_at"])),
                workflow_version=f["workflow_version"],
            )
            for f in data["facts"]
        ]
        return cls(
            data["id"], data["state"], data["version"], data["pupil_id"], data["school_urn"], data["workflow"],
            dict(data["entered"]), facts,
        )  # fmt: skip

    def summary(self) -> dict[str, Any]:
        """The replayed case as JSON: what an auditor sees at any version."""
        return {
            "id": self.id,
            "pupil_id": self.pupil_id,
            "school_urn": self.school_urn,
            "workflow": self.workflow,
            "state": self.state,
            "version": self.version,
            "need_areas": self.need_areas(),
            "plan": self.plan(),
            "interventions": self.interventions(),
            "proposals": self.proposals(),
            "entered": dict(self.entered),
        }
