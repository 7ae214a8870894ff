"""Governors' and leaders' report: anonymised, small numbers suppressed, as at any date."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from caseflow.services.reports import REPORT_ROLES
from caseflow.web.auth import services
from caseflow.web.params import date_arg
from caseflow.web.policy import allow

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.get("/governors")
@allow(*REPORT_ROLES, "auditor", "virtual_school")
def governors() -> Any:
    """The termly report for a school, as at a date."""
    principal = current_user.principal
    schools = sorted({s for r, s in principal.grants if s})
    school = request.args.get("school_urn") or (schools[0] if schools else "")
    if not school:
        abort(404)
    as_of = date_arg("as_of")
    report = services().reports.governors(principal, school, as_of)
    return render_template("reports/governors.html", report=report)
