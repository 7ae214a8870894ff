"""The DSL's and senior leaders' cohort dashboard, with charts drawn on the server."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from caseflow.domain.errors import InvalidData
from caseflow.domain.exclusions import RECIPIENTS
from caseflow.services.cohort import COHORT_READERS, Asked
from caseflow.services.due import DEFAULT_WITHIN_DAYS, DUE_READERS, MAX_WITHIN_DAYS, DueList
from caseflow.services.la_view import LA_READERS
from caseflow.web.auth import services
from caseflow.web.params import days_arg, figures_as_asked, page_date_arg, today
from caseflow.web.policy import allow
from caseflow.web.schools import choose_school, school_asked

bp = Blueprint("dashboard", __name__)
FILTERS = ("status", "flag", "year", "step")


@bp.get("/cohort")
@allow(*COHORT_READERS)
def cohort() -> Any:
    """Every child who has, or has had, a social worker: step, attendance, wellbeing, reviews, suspensions."""
    principal = current_user.principal
    svc = services()
    schools = sorted({s for r, s in principal.grants if s and r in COHORT_READERS})
    school = school_asked(COHORT_READERS)
    if school is None:
        return choose_school("Cohort", "dashboard.cohort")
    filters = {k: request.args[k][:40] for k in FILTERS if request.args.get(k)}
    # a date that is none, to come, or before the school's records: told on its box, the board shown as at today
    shown, errors = figures_as_asked(lambda day, asked: svc.dashboard.cohort(principal, school, day, filters, asked=asked))
    board = shown or svc.dashboard.cohort(principal, school, today(), filters)
    movement = [
        {"label": f"{r['given_name']} {r['family_name'][0]}.", "first": r["sdq_first_total"], "latest": r["sdq_total"]}
        for r in board["pupils"]
        if r["sdq_total"] is not None and r["sdq_first_total"] is not None
    ]
    page = render_template(
        "dashboard/cohort.html",
        board=board,
        filters=filters,
        movement=movement,
        labels=svc.workflow.state_labels,
        schools=schools,
        errors=errors,
    )
    return (page, 400) if errors else page


@bp.get("/la")
@allow(*LA_READERS)
def la() -> Any:
    """The Virtual School's LA: every school's children with a social worker, side by side."""
    page = request.args.get("page", "1")

    # a date that is none, to come, or before the schools' records: told on its box, the schools shown as at today
    def read(day: date, asked: Asked | None = None) -> dict[str, Any]:
        number = int(page) if page.isascii() and page.isdigit() and len(page) < 6 else 1  # not "²"
        search, sort = request.args.get("q", "")[:60], request.args.get("sort", "name")[:20]
        return services().la.la(current_user.principal, day, search=search, sort=sort, page=number, asked=asked)

    shown, errors = figures_as_asked(read)
    board = shown or read(today())
    shown = render_template("dashboard/la.html", board=board, labels=services().workflow.state_labels, errors=errors)
    return (shown, 400) if errors else shown


@bp.get("/due")
@allow(*DUE_READERS)
def due() -> Any:
    """Interventions of the school's open cases whose review is overdue, or due within ``within`` days."""
    principal = current_user.principal
    schools = sorted({s for r, s in principal.grants if s and r in DUE_READERS})
    school = school_asked(DUE_READERS)
    if school is None:
        abort(404)
    raw = request.args.get("within", str(DEFAULT_WITHIN_DAYS))[:12]
    as_of = today()
    errors: dict[str, list[str]] = {}
    found = DueList([], [])
    try:
        as_of = page_date_arg("as_of")
        found = services().due.due(principal, school, as_of, days_arg("within", DEFAULT_WITHIN_DAYS))
    except InvalidData as error:
        errors = error.errors
    page = render_template(
        "dashboard/due.html",
        items=found.interventions,
        decisions=found.decisions,
        files=found.files,
        wellbeing=found.wellbeing,
        term=found.term,
        # the reader who may record an SDQ is taken to the form; another (a head) to the child's record
        may_record_sdq=any(principal.has(role, school) for role in services().pupils.workflow.actions["record_wellbeing"].roles),
        recipients=RECIPIENTS,
        as_of=as_of,
        within=raw,
        school=school,
        schools=schools,
        errors=errors,
        most=MAX_WITHIN_DAYS,
        labels=services().workflow.state_labels,
    )
    return (page, 400) if errors else page
