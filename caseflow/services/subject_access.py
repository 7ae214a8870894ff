"""Subject-access bundles and case-history exports: everything Caseflow holds about one child, as
the auditor answering a request (or checking a case) needs it, every export itself logged.

A bundle gathers the child's record stream, every case of theirs with each event exactly as stored
(hashes included, so a copy can be checked against the log later), each chain's verification, and
who viewed or acted on the child's data. It is for review before release, and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from caseflow.domain.errors import InvalidData, NotFound, NotPermitted
from caseflow.domain.events import iso, london_date, now_utc
from caseflow.domain.pupil import Pupil
from caseflow.domain.roles import Role
from caseflow.domain.subject_access import REVIEWER_NOTES, respond_by
from caseflow.services.access import Principal, case_roles, scope_for
from caseflow.services.ports import AccessLog, EventStore, ReadModels
from caseflow.services.pupils import PupilService, pupil_as_dict
from caseflow.services.streams import load_case


class SubjectAccessService:
    def __init__(
        self,
        store: EventStore,
        reads: ReadModels,
        audit: AccessLog,
        pupils: PupilService,
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        self.store = store
        self.reads = reads
        self.audit = audit
        self.pupils = pupils
        self.clock = clock

    def bundle(
        self, principal: Principal, pupil_id: str, received_on: date | None = None, via: str | None = None
    ) -> dict[str, Any]:
        """Everything held about the pupil, for the auditor answering a subject-access request."""
        action = "export_subject_access"
        now = self.clock()
        if received_on is not None and received_on > london_date(now):  # checked first: it says nothing of the child
            raise InvalidData({"received_on": ["The date the request was received cannot be in the future"]})
        pupil = self._pupil(principal, pupil_id, action, via)
        self._may_export(principal, pupil, pupil.school_urn, action, via)
        return {
            "kind": "subject_access_bundle",
            "generated_at": iso(now),
            "generated_by": {"username": principal.username, "role": Role.AUDITOR},
            "request": {"received_on": received_on.isoformat(), "respond_by": respond_by(received_on).isoformat()}
            if received_on
            else None,
            "notes_for_the_reviewer": list(REVIEWER_NOTES),
            "pupil": dict(pupil_as_dict(pupil, now.date())),
            "record": {
                "events": [event.as_dict() for event in self.store.load(pupil.id)],
                "verification": self.store.verify(pupil.id).as_dict(),
            },
            "cases": [self._case(case_id) for case_id in self.reads.cases_of_pupil(pupil.id)],
            "access_log": [_line(row) for row in self.audit.for_pupil(pupil.id, self.reads.cases_of_pupil(pupil.id))],
        }

    def may_export(self, principal: Principal, pupil_id: str) -> Pupil:
        """The request page's check, the same as the export's (logged as opening the page): the child it is about."""
        action = "open_subject_access"
        pupil = self._pupil(principal, pupil_id, action, None)
        self._may_export(principal, pupil, pupil.school_urn, action, None)
        return pupil

    def case_history(self, principal: Principal, case_id: str, via: str | None = None) -> dict[str, Any]:
        """One case as an auditor files it: every event as stored, its verification and its access log."""
        action = "export_case"
        try:
            case = load_case(self.store, case_id)
        except NotFound:
            self._refuse(principal, action, "not_found", via)
            raise
        assert case.school_urn is not None and case.pupil_id is not None
        pupil = self._pupil(principal, case.pupil_id, action, via)
        self._may_export(principal, pupil, case.school_urn, action, via, case_id=case_id)
        return {
            "kind": "case_history",
            "generated_at": iso(self.clock()),
            "generated_by": {"username": principal.username, "role": Role.AUDITOR},
            **self._case(case_id),
            "access_log": [_line(row) for row in self.audit.for_case(case_id)],
        }

    def _case(self, case_id: str) -> dict[str, Any]:
        case = load_case(self.store, case_id)
        return {
            "case_id": case_id,
            "state": case.state,
            "version": case.version,
            "events": [event.as_dict() for event in self.store.load(case_id)],
            "verification": self.store.verify(case_id).as_dict(),
        }

    def _pupil(self, principal: Principal, pupil_id: str, action: str, via: str | None) -> Pupil:
        try:
            return self.pupils.load(pupil_id)
        except NotFound:
            self._refuse(principal, action, "not_found", via)
            raise

    def _may_export(
        self, principal: Principal, pupil: Pupil, school_urn: str | None, action: str, via: str | None, case_id: str | None = None
    ) -> None:
        """Auditors who may see the child export; anyone else is refused: not found if they may not
        even see the child, forbidden if they may. Every attempt is logged, with who ran it for them."""
        scope = scope_for(principal, school_urn, pupil.allocated_social_workers(london_date(self.clock())), self.reads.school_la)
        roles = case_roles(principal, scope)
        if not roles:
            self._refuse(principal, action, "not_found", via)
            raise NotFound("no such pupil" if case_id is None else "no such case")
        if Role.AUDITOR not in roles:
            self._refuse(principal, action, "forbidden", via, pupil_id=pupil.id, case_id=case_id)
            raise NotPermitted("only auditors may export a child's records")
        self.audit.record(
            username=principal.username,
            role=Role.AUDITOR,
            action=action,
            outcome="ok",
            pupil_id=pupil.id,
            case_id=case_id,
            detail=f"via {via}" if via else None,
        )

    def _refuse(self, principal: Principal, action: str, outcome: str, via: str | None, **ids: str | None) -> None:
        self.audit.record(
            username=principal.username, role=None, action=action, outcome=outcome, detail=f"via {via}" if via else None, **ids
        )


def _line(row: dict[str, Any]) -> dict[str, Any]:
    """An access-log line as exported: the instant in the log's one text form."""
    return {
        "at": iso(row["at"]),
        "username": row["username"],
        "role": row["role"],
        "action": row["action"],
        "outcome": row["outcome"],
        "case_id": row["case_id"],
        "detail": row["detail"],
    }
