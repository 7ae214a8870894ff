"""A school's term dates: its case staff see them, with what they are used for; its head, senior
leaders and DSL set them a school year at a time. Bad dates re-render the form with every message
and change nothing."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from caseflow.domain.errors import InvalidData
from caseflow.domain.events import london_date, now_utc
from caseflow.domain.school_calendar import TERMS, SchoolCalendar, runs, school_year
from caseflow.services.school_calendars import CALENDAR_READERS, CALENDAR_SETTERS, school_year_arg
from caseflow.web.auth import services
from caseflow.web.policy import allow
from caseflow.web.schools import school_asked

bp = Blueprint("terms", __name__, url_prefix="/terms")
#: the fields of the form, in the order the page shows them
FIELDS = (*(f"{name}_{end}" for name in TERMS for end in ("first_day", "last_day")), "closures")


def _year(calendar: SchoolCalendar, year: int) -> dict[str, Any]:
    terms = {t.name: t for t in calendar.terms if t.term.school_year == year}
    return {
        "year": year,
        "terms": [terms.get(name) for name in TERMS],
        "closures": runs(d for d in calendar.closures if school_year(d) == year),
        "complete": year in calendar.years(),
    }


@bp.route("", methods=["GET", "POST"])
@allow(*CALENDAR_READERS)
def index() -> Any:
    """The school's term dates for each year set, and the form for one school year (``?year=``)."""
    svc = services().calendars
    principal = current_user.principal
    school = school_asked(CALENDAR_READERS)
    if school is None:
        abort(404)
    calendar = svc.view(principal, school)
    this_year = school_year(london_date(now_utc()))
    errors: dict[str, list[str]] = {}
    try:
        year = school_year_arg(request.args.get("year", this_year))
    except InvalidData as error:
        errors, year = error.errors, this_year
    may_set = svc.may_set(principal, school)
    form = FlaskForm()
    shown = _year(calendar, year)
    values = {f"{t.name}_first_day": t.first_day.isoformat() for t in shown["terms"] if t}
    values |= {f"{t.name}_last_day": t.last_day.isoformat() for t in shown["terms"] if t}
    values["closures"] = "\n".join(f"{a} to {b}" if a != b else str(a) for a, b in shown["closures"])
    status = 400 if errors else 200
    if request.method == "POST":
        if errors:
            abort(400)
        values = {name: request.form.get(name, "") for name in FIELDS}
        if not form.validate_on_submit():
            errors, status = {"form": ["the form has expired: send it again"]}, 400
        else:
            body = {n: {"first_day": values[f"{n}_first_day"] or None, "last_day": values[f"{n}_last_day"] or None}
                    for n in TERMS}  # fmt: skip
            try:
                svc.set_year(principal, school, year, body | {"closures": values["closures"]})
            except InvalidData as error:
                errors, status = error.errors, 422
            else:
                flash(f"Term dates for {year} to {year + 1} saved.")
                return redirect(url_for("terms.index", school_urn=school, year=year))
    schools = sorted({s for r, s in principal.grants if s and r in CALENDAR_READERS})
    years = sorted(calendar.years() | {this_year - 1, this_year, this_year + 1, year})
    page = render_template(
        "schools/terms.html",
        school=school,
        schools=schools,
        year=year,
        years=years,
        shown=shown,
        others=[_year(calendar, y) for y in sorted(calendar.years(), reverse=True) if y != year],
        may_set=may_set and CALENDAR_SETTERS,
        form=form,
        values=values,
        errors=errors,
    )
    return page, status
