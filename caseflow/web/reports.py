"""Governors' and leaders' report: anonymised, small numbers suppressed, as at any date; on the page,
printable (or saved as a PDF from the print dialogue), and as a CSV file."""

from __future__ import annotations

import csv
import io
from typing import Any, NamedTuple

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user

from caseflow.domain.roles import Role
from caseflow.services.reports import REPORT_ROLES, SDQ_PARTS_HIDDEN, SUPPRESSED, WHY_NOT_SHOWN
from caseflow.web.auth import services
from caseflow.web.params import figures_as_asked
from caseflow.web.policy import allow
from caseflow.web.schools import choose_school, school_asked
from workflows.good_practice import RATINGS

bp = Blueprint("reports", __name__, url_prefix="/reports")
AUDIENCE = (*REPORT_ROLES, "auditor", "virtual_school")

#: the report's figures, in the order the page and the CSV give them: (key, or key.subkey; label)
FIGURES = (
    ("whole_school_pupils", "Pupils on roll"),
    ("cohort.open", "Cohort: have a social worker now"),
    ("cohort.previous", "Cohort: had one in the last six years"),
    ("interventions_in_place", "Interventions in place"),
    ("evaluations_recorded", "Evaluations recorded"),
    (
        "suspensions_this_school_year",
        "Suspensions this school year, decided on a case, or recorded in the school's MIS for a child in the cohort "
        "(the board is told of each, even one cancelled)",
    ),
    ("suspensions_cancelled", "Of those suspensions, cancelled by the head"),
    (
        "exclusions_this_school_year",
        "Permanent exclusions this school year, decided on a case, or recorded in the school's MIS for a child in the cohort",
    ),
    ("exclusions_cancelled", "Of those exclusions, cancelled by the head"),
    ("exclusion_overrides", "Decisions made without the social worker's view (overrides)"),
    ("proposals_awaiting_social_worker", "Proposals awaiting a social worker's view"),
    ("decisions_owing_notices", "Suspensions and exclusions whose notices are not all recorded"),
    ("board_meetings_owed", "Governing board meetings owed on suspensions and exclusions"),
)


#: the cohort beside the whole school: (key, label)
AGAINST = (
    ("pupils", "Pupils"),
    ("attendance_percent", "Attendance, % of possible sessions"),
    ("persistent_absence_percent", "Persistent absence, % of pupils (10% or more of sessions missed)"),
    ("severe_absence_percent", "Severe absence, % of pupils (50% or more missed)"),
    ("pupils_suspended", "Pupils suspended"),
    ("suspension_days", "Days of suspension"),
    ("send_percent", "SEN support or an EHC plan, % of pupils (as recorded now)"),
    ("incidents_percent", "With a behaviour incident, % of pupils"),
    ("incidents", "Behaviour incidents"),
    ("reading_expected_percent", "Reading at the expected standard or above, % of pupils judged"),
    ("writing_expected_percent", "Writing at the expected standard or above, % of pupils judged"),
    ("maths_expected_percent", "Maths at the expected standard or above, % of pupils judged"),
)
SDQ_MOVEMENT = (
    ("with_a_score", "Children in the cohort with an SDQ score"),
    ("lower_than_first", "Latest total lower (fewer difficulties) than their first"),
    ("higher_than_first", "Latest total higher than their first"),
    ("same_or_one_score", "The same as their first, or one score so far"),
)


def against_whole_school(report: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(label, the cohort's figure, the whole school's), as the report gives them."""
    section = report["against_whole_school"]
    return [(label, section["cohort"][key], section["whole_school"][key]) for key, label in AGAINST]


def sdq_movement(report: dict[str, Any]) -> list[tuple[str, Any, bool]]:
    """(label, figure, whether it is one of the three parts, hidden together)."""
    return [(label, report["against_whole_school"]["sdq_movement"][key], key != "with_a_score") for key, label in SDQ_MOVEMENT]


class Note(NamedTuple):
    """A note under the figures: its number, as each figure's marker gives it, and the word it explains."""

    number: int
    word: str


def why_not_shown(value: Any, sdq_part: bool = False) -> str | None:
    """What a word in place of a figure means, as the note beside it says; None for a figure that is shown."""
    if not isinstance(value, str):
        return None
    return SDQ_PARTS_HIDDEN if sdq_part and value == SUPPRESSED else WHY_NOT_SHOWN.get(value)


def notes(report: dict[str, Any]) -> dict[str, Note]:
    """The notes the page's figures point to, each once, numbered in the order the page first needs them."""
    shown = [(value, False) for _, value in [*figures(report), *steps(report)]]
    shown += [(value, False) for _, cohort, whole in against_whole_school(report) for value in (cohort, whole)]
    shown += [(value, part) for _, value, part in sdq_movement(report)]
    found: dict[str, Note] = {}
    for value, part in shown:
        if (why := why_not_shown(value, part)) and why not in found:
            found[why] = Note(len(found) + 1, value)
    return found


def figures(report: dict[str, Any]) -> list[tuple[str, Any]]:
    """The report's headline figures as (label, value), suppressed as the report gives them."""
    found = []
    for key, label in FIGURES:
        value: Any = report
        for part in key.split("."):
            value = value[part]
        found.append((label, value))
    return found


def steps(report: dict[str, Any]) -> list[tuple[str, Any]]:
    """Support journeys by step, in the journey's order, each step by the label the workflow gives it."""
    labels = services().workflow.state_labels
    order = {step: n for n, step in enumerate(labels)}
    counted = sorted(report["cases_by_step"].items(), key=lambda item: (order.get(item[0], len(order)), item[0]))
    return [(labels.get(step, step), count) for step, count in counted]


def self_assessment_counts(report: dict[str, Any]) -> list[tuple[str, int]]:
    """How many indicators stand at each rating, strongest first, then those not rated."""
    counts = report["self_assessment"]["ratings"]
    return [*((label, counts[value]) for value, label in RATINGS), ("Not rated", counts["not_rated"])]


@bp.get("/governors")
@allow(*AUDIENCE)
def governors() -> Any:
    """The termly report for a school, as at a date; a date that is none shows the page again with its
    message on the date's box (and no figures, which would be another day's)."""
    school = school_asked(REPORT_ROLES)
    if school is None:
        return choose_school("Governors' report", "reports.governors")
    report, errors = _governors(school)
    return _governors_page(school, report, errors)


def _governors(school: str) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """The school's report as at the day asked, or None with why that day could not be used (nothing is built, and
    the access log keeps the refusal, not a read)."""
    principal = current_user.principal
    return figures_as_asked(lambda day, asked: services().reports.governors(principal, school, day, asked=asked))


def _governors_page(school: str, report: dict[str, Any] | None, errors: dict[str, list[str]]) -> Any:
    """The report's page; with ``errors``, the date's box and its message, and no figures (they would be another
    day's than the one asked)."""
    if report is None:
        page = render_template("reports/governors.html", report={"school_urn": school}, errors=errors, asked=_asked(errors, None))
        return page, 400
    page = render_template(
        "reports/governors.html",
        report=report,
        figures=figures(report),
        steps=steps(report),
        self_assessment_counts=self_assessment_counts(report),
        against=against_whole_school(report),
        sdq=sdq_movement(report),
        notes=notes(report),
        why_not_shown=why_not_shown,
        errors=errors,
        asked=_asked(errors, report),
    )
    return page


def _asked(errors: dict[str, list[str]], report: dict[str, Any] | None) -> str:
    """What the "as at" box shows: the date the report is as at, or what was typed if that could not be used."""
    return request.args.get("as_of", "")[:20] if errors or report is None else report["as_of"]


def _cell(value: Any) -> Any:
    """A spreadsheet must show a text cell as text, never run it as a formula."""
    return f"'{value}" if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@bp.get("/governors.csv")
@allow(*AUDIENCE)
def governors_csv() -> Any:
    """The same report as a CSV file, for the governors' papers: one figure a row, as anonymised. The date is
    typed as on the page (a link to the file may be written by hand), and one that is none shows the page
    again with its message on the date's box, as the page does, rather than a file or an error page."""
    school = school_asked(REPORT_ROLES)
    if school is None:
        abort(404)
    report, errors = _governors(school)
    if report is None:
        return _governors_page(school, report, errors)
    rows: list[list[Any]] = [["School URN", report["school_urn"]], *_shared_rows(report, "whole school")]
    for label, count in self_assessment_counts(report):
        rows.append([f"Self-assessment indicators: {label}", count])
    for item in report["self_assessment"]["indicators"]:
        rated = f" ({item['rated_on']})" if item["rated_on"] else ""
        rows.append([f"Indicator {item['number']}: {item['indicator']}", _cell(item["rating_label"] + rated)])
    return _csv(rows, f"governors-report-{report['school_urn']}-{report['as_of']}.csv")


def _shared_rows(report: dict[str, Any], whole: str) -> list[list[Any]]:
    """The rows a school's report and an LA's have in common, in the page's order, each figure not shown with
    the note the page gives it."""
    rows: list[list[Any]] = [["As at", report["as_of"]], ["Anonymised", report["suppression"]]]
    rows += [[label, _cell(value), why_not_shown(value)] for label, value in figures(report)]
    rows += [[f"Support journeys at step: {label}", _cell(value), why_not_shown(value)] for label, value in steps(report)]
    period = f"{report['against_whole_school']['from_month']} to {report['against_whole_school']['to_month']}"
    for label, cohort, school in against_whole_school(report):
        rows.append([f"{label}, {period}: cohort", _cell(cohort), why_not_shown(cohort)])
        rows.append([f"{label}, {period}: {whole}", _cell(school), why_not_shown(school)])
    rows += [[f"SDQ: {label}", _cell(value), why_not_shown(value, part)] for label, value, part in sdq_movement(report)]
    return rows


def _csv(rows: list[list[Any]], name: str) -> Response:
    """One figure a row, and a column of notes: a row read on its own (as a spreadsheet is read) still says
    what a figure not shown means."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Figure", "Value", "Note"])
    writer.writerows([*row[:2], row[2] if len(row) > 2 and row[2] else ""] for row in rows)
    return Response(out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- across a local authority ------------------------------------------------------------------------

LA_AUDIENCE = (Role.VIRTUAL_SCHOOL, Role.AUDITOR)
WHOLE_LA = "all pupils of the LA's schools"


def _la_asked() -> str | None:
    """The LA asked for; a virtual school officer's own when none is."""
    asked = request.args.get("la_code", "").strip()
    if asked:
        return asked
    principal = current_user.principal
    return principal.la_code if Role.VIRTUAL_SCHOOL in principal.roles and principal.la_code else None


def la_ratings(report: dict[str, Any]) -> list[tuple[str, str, list[int]]]:
    """(number, indicator, schools at each rating then not rated) for the LA's self-assessment table."""
    order = [value for value, _ in RATINGS] + ["not_rated"]
    return [(i["number"], i["indicator"], [i["schools"][v] for v in order]) for i in report["self_assessment"]["indicators"]]


@bp.get("/la")
@allow(*LA_AUDIENCE)
def la() -> Any:
    """The termly report across every school of a local authority, as at a date."""
    la_code = _la_asked()
    if la_code is None:
        codes = sorted({s["la_code"] for s in services().accounts.schools() if s.get("la_code")})
        return render_template("reports/choose_la.html", codes=codes)
    report, errors = _la(la_code)
    return _la_page(la_code, report, errors)


def _la(la_code: str) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """The LA's report as at the day asked, or None with why that day could not be used, as for a school's."""
    principal = current_user.principal
    return figures_as_asked(lambda day, asked: services().reports.la(principal, la_code, day, asked=asked))


def _la_page(la_code: str, report: dict[str, Any] | None, errors: dict[str, list[str]]) -> Any:
    """The LA report's page; with ``errors``, no figures, as the school's."""
    if report is None:
        shown = {"la_code": la_code, "schools": len(services().reads.la_schools(la_code))}  # an LA the reader may see
        return render_template("reports/la.html", report=shown, errors=errors, asked=_asked(errors, None)), 400
    return render_template(
        "reports/la.html",
        report=report,
        figures=figures(report),
        steps=steps(report),
        against=against_whole_school(report),
        sdq=sdq_movement(report),
        notes=notes(report),
        why_not_shown=why_not_shown,
        ratings=la_ratings(report),
        rating_labels=[label for _, label in RATINGS] + ["Not rated"],
        errors=errors,
        asked=_asked(errors, report),
    )


@bp.get("/la.csv")
@allow(*LA_AUDIENCE)
def la_csv() -> Any:
    """The LA's report as a CSV file, as anonymised as the page; a date that is none shows the page again with
    its message, as the school's report's file does."""
    la_code = _la_asked()
    if la_code is None:
        abort(404)
    report, errors = _la(la_code)
    if report is None:
        return _la_page(la_code, report, errors)
    rows: list[list[Any]] = [["Local authority", report["la_code"]], ["Schools", report["schools"]]]
    rows += _shared_rows(report, WHOLE_LA)
    labels = [label for _, label in RATINGS] + ["Not rated"]
    for number, indicator, counts in la_ratings(report):
        for label, count in zip(labels, counts, strict=True):
            rows.append([f"Indicator {number}: {indicator}: schools {label.lower()}", count])
    return _csv(rows, f"la-report-{report['la_code']}-{report['as_of']}.csv")
