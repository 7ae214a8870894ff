"""Saving the log's heads outside the database and checking the log against them later: for the
auditors of every school (heads name every stream), each save and check in the access log."""

from __future__ import annotations

from typing import Any

from caseflow.domain.errors import CaseflowError, NotPermitted
from caseflow.domain.events import ChainReport
from caseflow.domain.log_heads import LogHeads
from caseflow.domain.roles import Role
from caseflow.services.access import Principal
from caseflow.services.ports import AccessLog, EventStore


class LogHeadsService:
    def __init__(self, store: EventStore, audit: AccessLog) -> None:
        self.store = store
        self.audit = audit

    def require_auditor(self, principal: Principal, action: str) -> None:
        """Before anything sent is read: an auditor of every school, or a logged refusal."""
        if not principal.has(Role.AUDITOR):
            self.audit.record(username=principal.username, role=None, action=action, outcome="forbidden")
            raise NotPermitted("only an auditor of every school may save or check the whole log's heads")

    def heads(self, principal: Principal) -> LogHeads:
        self.require_auditor(principal, "log_heads")
        found = self.store.heads()
        detail = f"{len(found.heads)} streams, {found.events} events, digest {found.digest}"
        self.audit.record(username=principal.username, role=Role.AUDITOR, action="log_heads", outcome="ok", detail=detail)
        return found

    def verify_against(self, principal: Principal, saved: Any) -> tuple[LogHeads, ChainReport]:
        """Every chain, and every event the saved heads hold still there with its hash."""
        self.require_auditor(principal, "verify_against_heads")
        try:
            anchored = LogHeads.from_dict(saved)
        except CaseflowError:
            self.audit.record(username=principal.username, role=Role.AUDITOR, action="verify_against_heads", outcome="refused")
            raise
        report = self.store.verify(anchored=anchored)
        detail = f"heads taken {anchored.taken_at.isoformat()}, digest {anchored.digest}"
        if not report.valid:
            detail += f"; first bad stream {report.first_invalid_stream} at version {report.first_invalid_version}"
        outcome = "ok" if report.valid else "invalid"
        self.audit.record(
            username=principal.username, role=Role.AUDITOR, action="verify_against_heads", outcome=outcome, detail=detail
        )
        return anchored, report
