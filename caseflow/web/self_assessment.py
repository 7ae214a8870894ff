"""The school's self-assessment against the guidance: the ratings for those who read the governors'
report, and a form per indicator for the school's DSL, head and senior leaders."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from caseflow.domain.roles import Role
from caseflow.domain.self_assessment import INDICATOR_TEXT
from caseflow.services.reports import REPORT_ROLES
from caseflow.services.self_assessment import ASSESS
from caseflow.web.auth import services
from caseflow.web.forms import action_form, recording_fields, submit
from caseflow.web.policy import allow
from caseflow.web.reports import AUDIENCE
from caseflow.web.schools import choose_school, school_asked
from workflows.good_practice import GUIDANCE, RATINGS

bp = Blueprint("self_assessment", __name__, url_prefix="/self-assessment")
ASSESSORS = (Role.DSL, Role.HEADTEACHER, Role.SLT)


def _school() -> str:
    school = school_asked(REPORT_ROLES)
    if school is None:
        abort(404)
    return school


@bp.get("")
@allow(*AUDIENCE)
def index() -> Any:
    """Every indicator with the school's latest rating, its evidence and next steps."""
    svc = services().self_assessment
    school = school_asked(REPORT_ROLES)
    if school is None:
        return choose_school("Self-assessment against the guidance", "self_assessment.index")
    assessment = svc.view(current_user.principal, school)
    return render_template(
        "self_assessment/index.html",
        school_urn=school,
        assessment=assessment,
        counts=assessment.counts(),
        may_rate=svc.assessor_role(current_user.principal, school) is not None,
        guidance=GUIDANCE,
        ratings=RATINGS,
    )


@bp.route("/<indicator>", methods=["GET", "POST"])
@allow(*ASSESSORS)
def rate(indicator: str) -> Any:
    """Rate one indicator: where the school is, the evidence, and what it will do next."""
    svc = services().self_assessment
    school = _school()
    assessment = svc.view(current_user.principal, school)
    if indicator not in INDICATOR_TEXT:
        abort(404)
    if svc.assessor_role(current_user.principal, school) is None:
        abort(403)
    fields = {name: spec for name, spec in svc.workflow.action(ASSESS).fields.items() if name != "indicator"}
    form = action_form(fields, recording_fields())()
    current = assessment.latest.get(indicator)
    if request.method == "GET":
        form.expected_version.data = str(assessment.version)
        if current is not None:
            form.rating.data, form.evidence.data, form.next_steps.data = current.rating, current.evidence, current.next_steps
    status, conflict = 200, None
    if form.validate_on_submit():
        status, conflict = submit(
            form,
            fields,
            lambda expected, data, repeat_of: svc.assess(
                current_user.principal, school, expected, {**data, "indicator": indicator}, ask_repeat=True, repeat_of=repeat_of
            ),
        )
        if status == 200:
            flash(f"Indicator {indicator}: rating recorded.")
            return redirect(url_for("self_assessment.index", school_urn=school, _anchor=f"indicator-{indicator}"))
    elif request.method == "POST":
        status = 422
    return render_template(
        "self_assessment/rate.html",
        school_urn=school,
        number=indicator,
        text=INDICATOR_TEXT[indicator],
        current=current,
        form=form,
        conflict=conflict,
    ), status
