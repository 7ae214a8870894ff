"""Auditors: every case, replay to any version, verification and the access log. Read-only."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from caseflow.domain.roles import Role
from caseflow.web.auth import services
from caseflow.web.policy import allow

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/")
@allow(Role.AUDITOR)
def index() -> Any:
    """Every case the auditor may see, with a check of every hash chain."""
    svc = services()
    schools = [s["urn"] for s in svc.accounts.schools()]
    principal = current_user.principal
    if not principal.has(Role.AUDITOR):  # an auditor of particular schools
        schools = sorted(principal.schools_for(Role.AUDITOR))
    cases = svc.reads.cases_for_schools(schools) if schools else []
    report = svc.store.verify() if request.args.get("verify") == "all" and principal.has(Role.AUDITOR) else None
    if report is not None:
        svc.audit.record(
            username=principal.username, role=Role.AUDITOR, action="verify_all", outcome="ok" if report.valid else "invalid"
        )
    return render_template("audit/index.html", cases=cases, report=report, labels=svc.workflow.state_labels)


@bp.get("/cases/<case_id>")
@allow(Role.AUDITOR)
def case(case_id: str) -> Any:
    """Step through a case's history: its state at any version, who did what, and who looked."""
    svc = services()
    principal = current_user.principal
    latest = svc.cases.history(principal, case_id)
    raw = request.args.get("version", "")
    version = int(raw) if raw.isdigit() and 1 <= int(raw) <= len(latest) else len(latest)
    if raw and not (raw.isdigit() and 1 <= int(raw) <= len(latest)):
        abort(404)
    replayed = svc.cases.replay(principal, case_id, upto_version=version)
    report = svc.cases.verify(principal, case_id)
    access = svc.cases.access_log(principal, case_id)
    return render_template(
        "audit/case.html",
        case=replayed,
        events=latest[:version],
        total=len(latest),
        version=version,
        report=report,
        access=access,
        labels=svc.workflow.state_labels,
    )
