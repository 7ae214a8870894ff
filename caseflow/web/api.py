"""The JSON API under /api/v1, exactly as API-CONTRACT.md describes it.

Bearer tokens only (no cookies, so no CSRF); errors are problem+json; request
bodies are validated by the same field declarations the OpenAPI document is
generated from.
"""

from __future__ import annotations

import json
from contextlib import suppress
from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, jsonify, request
from flask_login import current_user

from caseflow.domain.dates import EARLIEST_YEAR
from caseflow.domain.errors import InvalidData, NotFound
from caseflow.domain.events import MAX_VERSION, london_date, now_utc
from caseflow.domain.roles import Role
from caseflow.domain.school_calendar import TERMS, SchoolCalendar, school_year
from caseflow.services.access import SCHOOL_CASE_ROLES
from caseflow.services.cases import VERIFIERS
from caseflow.services.cohort import Asked
from caseflow.services.due import DEFAULT_WITHIN_DAYS, DUE_READERS
from caseflow.services.pupils import pupil_as_dict
from caseflow.services.school_calendars import CALENDAR_READERS, CALENDAR_SETTERS
from caseflow.web.audit import HEADS_UPLOAD_LIMIT
from caseflow.web.auth import csrf, services
from caseflow.web.errors import open_cases_json
from caseflow.web.openapi import openapi_document
from caseflow.web.params import date_arg, days_arg, optional_date_arg, past_date_arg, today
from caseflow.web.policy import ANY_USER, PUBLIC, allow

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

PUPIL_KEEPERS = (Role.DSL, Role.HEADTEACHER, Role.SLT, Role.SENCO)
COHORT_AUDIENCE = (*SCHOOL_CASE_ROLES, Role.VIRTUAL_SCHOOL, Role.AUDITOR)
REPORT_AUDIENCE = (Role.GOVERNOR, Role.HEADTEACHER, Role.SLT, Role.DSL, Role.AUDITOR, Role.VIRTUAL_SCHOOL)


def _body(allowed: set[str]) -> dict[str, Any]:
    """The JSON object sent, or a 422 naming what is wrong with it."""
    if not request.is_json:
        raise InvalidData({"body": ["send a JSON object with Content-Type: application/json"]})
    try:
        body = request.get_json(silent=True)  # silent is for what json.loads calls a ValueError only
        if not isinstance(body, dict):
            raise InvalidData({"body": ["must be a JSON object"]})
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise InvalidData({str(name)[:64]: ["is not a field of this request"] for name in unknown})
        if not _writable(body):
            raise InvalidData({name: [UNPAIRED] for name, value in _fields(body) if not _writable(value)} or {"body": [UNPAIRED]})
    except RecursionError:  # '[' * 100000: nested deeper than any request of this API
        raise InvalidData({"body": ["is nested too deeply: send a JSON object of the fields this request takes"]}) from None
    return body


#: JSON's \ud800 escape decodes to half of a character, which no text can be written in (the hash of an event is
#: of its UTF-8): refused here, as a form's text never holds one
UNPAIRED = "holds a \\u escape of half a character (an unpaired surrogate): send whole characters"


def _fields(body: dict[str, Any]) -> list[tuple[str, Any]]:
    """Each field sent, a value under ``data`` by its own name (as the workflow's fields are told)."""
    found: list[tuple[str, Any]] = []
    for name, value in body.items():
        if name == "data" and isinstance(value, dict):
            found += [(str(key), {key: item}) for key, item in value.items()]
        else:
            found.append((name, value))
    return found


def _writable(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _instant(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise InvalidData({name: ["must be an ISO 8601 date-time"]})
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidData({name: ["must be an ISO 8601 date-time"]}) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _happened(value: Any) -> datetime | date:
    """An action's ``occurred_at``: a moment, or a day alone (YYYY-MM-DD), the time of day not known, which is not
    recorded as if it were (not midnight UTC, as a date read as a date-time would be)."""
    if isinstance(value, str) and len(value) == len("YYYY-MM-DD"):
        with suppress(ValueError):
            return date.fromisoformat(value)
    return _instant(value, "occurred_at")


def _case_json(view: Any) -> dict[str, Any]:
    case = view.case
    return {
        "id": case.id,
        "pupil_id": case.pupil_id,
        "school_urn": case.school_urn,
        "state": case.state,
        "version": case.version,
        "workflow": case.workflow,
        "need_areas": case.need_areas(),
        "actions": [status.as_dict() for status in view.actions],
        "warnings": view.warnings,
        "suspensions": view.safeguards.as_dict(),
        "child_protection_file": view.file.as_dict(london_date(now_utc())) if view.file else None,
        "other_open_cases": open_cases_json(view.other_open_cases),
    }


@bp.get("/openapi.json")
@allow(PUBLIC)
def openapi() -> Any:
    """The OpenAPI 3 document of this API."""
    return jsonify(openapi_document(services().workflow))


@bp.post("/pupils")
@allow(*PUPIL_KEEPERS)
def create_pupil() -> Any:
    """Register a pupil (the UPN's check letter is verified)."""
    body = _body({"upn", "given_name", "family_name", "date_of_birth", "school_urn", "year_group", "on_roll_from"})
    pupil = services().pupils.register(current_user.principal, body)
    return jsonify(pupil_as_dict(pupil, today())), 201


@bp.get("/pupils/<pupil_id>")
@allow(ANY_USER)  # visibility is per case: out of scope answers 404
def get_pupil(pupil_id: str) -> Any:
    """One pupil, with social-care episodes and derived cohort status."""
    svc = services()
    pupil = svc.pupils.load(pupil_id)
    roles = svc.pupils.roles_on(current_user.principal, pupil)
    if not roles:
        raise NotFound("no such pupil")
    svc.audit.record(username=current_user.username, role=sorted(roles)[0], action="view_pupil", outcome="ok", pupil_id=pupil.id)
    return jsonify(pupil_as_dict(pupil, today()))


@bp.post("/pupils/<pupil_id>/social-care")
@allow(*PUPIL_KEEPERS)
def add_social_care(pupil_id: str) -> Any:
    """Record a CiN or CP episode; the cohort status and allocation derive from these."""
    body = _body({"plan", "start_date", "end_date", "social_worker", "category"})
    pupil = services().pupils.record_episode(current_user.principal, pupil_id, body)
    return jsonify(pupil_as_dict(pupil, today())), 201


@bp.post("/pupils/<pupil_id>/actions/<name>")
@allow(ANY_USER)  # who may record what is declared in workflows/pupil_record.py
def pupil_act(pupil_id: str, name: str) -> Any:
    """Record a fact on a pupil's record (SEND status, attainment, classroom profile...)."""
    body = _body({"expected_version", "data"})
    if "expected_version" not in body:
        raise InvalidData({"expected_version": ["is required: the version of the record you last read"]})
    pupil, event = services().pupils.act(current_user.principal, pupil_id, name, body["expected_version"], body.get("data", {}))
    return jsonify({"version": pupil.version, "event": _event_json(event)}), 201


@bp.get("/cohort")
@allow(*COHORT_AUDIENCE)
def cohort() -> Any:
    """Pupils of a school who have, or have had, a social worker, as at a date."""
    school = request.args.get("school_urn", "")
    if not school:
        raise InvalidData({"school_urn": ["is required"]})
    as_of = date_arg("as_of")
    pupils = services().cohort.cohort(current_user.principal, school, as_of)
    return jsonify({"school_urn": school, "as_of": as_of.isoformat(), "pupils": pupils})


@bp.get("/due")
@allow(*DUE_READERS)
def due() -> Any:
    """Interventions of a school's open cases whose review is overdue, or due within ``within`` days; decisions and
    files still owing; the children of the cohort with no SDQ this term."""
    school = request.args.get("school_urn", "")
    if not school:
        raise InvalidData({"school_urn": ["is required"]})
    within = days_arg("within", DEFAULT_WITHIN_DAYS)
    as_of = date_arg("as_of")
    found = services().due.due(current_user.principal, school, as_of, within)
    return jsonify(
        {
            "school_urn": school,
            "as_of": as_of.isoformat(),
            "within_days": within,
            "interventions": [item.as_dict(as_of) for item in found.interventions],
            "decisions_owing": [item.as_dict() for item in found.decisions],
            "child_protection_files_owing": [item.as_dict(as_of) for item in found.files],
            "wellbeing_term": {"school_year": found.term.school_year, "name": found.term.name} if found.term else None,
            "wellbeing_measures_due": [item.as_dict() for item in found.wellbeing],
        }
    )


@bp.post("/cases")
@allow(ANY_USER)  # who may open is the workflow's open_case roles, checked by the service
def create_case() -> Any:
    """Open a case: a need identified for a pupil of your school."""
    body = _body({"pupil_id", "need_areas", "description", "occurred_at", "confirm_second_case"})
    # true unless the client asks to be asked: API-CONTRACT promised a case for every valid request
    confirm = body.pop("confirm_second_case", True)
    if not isinstance(confirm, bool):
        raise InvalidData({"confirm_second_case": ["must be true or false"]})
    occurred = _happened(body.pop("occurred_at")) if "occurred_at" in body else None
    case = services().cases.open_case(current_user.principal, body, occurred, confirm_second_case=confirm)
    return jsonify({"id": case.id, "pupil_id": case.pupil_id, "state": case.state, "version": case.version}), 201


@bp.get("/cases/<case_id>")
@allow(ANY_USER)  # visibility is per case: out of scope answers 404
def get_case(case_id: str) -> Any:
    """A case with the actions this caller may take now and what blocks each."""
    return jsonify(_case_json(services().cases.view(current_user.principal, case_id)))


@bp.post("/cases/<case_id>/actions/<name>")
@allow(ANY_USER)
def act(case_id: str, name: str) -> Any:
    """Take an action on a case, stating the version you read."""
    body = _body({"expected_version", "occurred_at", "data"})
    if "expected_version" not in body:
        raise InvalidData({"expected_version": ["is required: the version of the case you last read"]})
    occurred = _happened(body["occurred_at"]) if body.get("occurred_at") is not None else None
    case, event = services().cases.act(
        current_user.principal, case_id, name, body["expected_version"], body.get("data", {}), occurred
    )
    return jsonify({"version": case.version, "state": case.state, "event": _event_json(event)}), 201


def _event_json(event: Any) -> dict[str, Any]:
    item = event.as_dict()
    item.pop("stream_id", None)
    return item


@bp.get("/cases/<case_id>/events")
@allow(ANY_USER)  # visibility is per case: out of scope answers 404
def events(case_id: str) -> Any:
    """The case's full history: every event with who, role, when and its hashes."""
    return jsonify({"events": [_event_json(e) for e in services().cases.history(current_user.principal, case_id)]})


@bp.get("/cases/<case_id>/state")
@allow(ANY_USER)  # visibility is per case: out of scope answers 404
def state(case_id: str) -> Any:
    """The case replayed to a version or an instant."""
    version = request.args.get("version")
    as_of = request.args.get("as_of")
    if version is not None and as_of is not None:
        raise InvalidData({"version": ["give version or as_of, not both"]})
    upto = None
    if version is not None:
        # ASCII digits ('²' is a digit to Python, and no number), and no more than a stream holds (the
        # database's INTEGER is 64 bits: 10**23 overflowed it)
        if not (version.isascii() and version.isdigit() and len(version) <= 20 and 1 <= int(version) <= MAX_VERSION):
            raise InvalidData({"version": [f"must be a whole number from 1 to {MAX_VERSION}"]})
        upto = int(version)
    moment = _instant(as_of, "as_of") if as_of is not None else None
    if moment is not None and moment.year < EARLIEST_YEAR:  # no case is that old: a typing slip
        raise InvalidData({"as_of": [f"must be a date and time in {EARLIEST_YEAR} or later"]})
    case = services().cases.replay(current_user.principal, case_id, upto_version=upto, as_of=moment)
    summary = case.summary()
    summary["actions"] = []
    return jsonify(summary)


@bp.get("/cases/<case_id>/verify")
@allow(*VERIFIERS)
def verify(case_id: str) -> Any:
    """Verify the case's hash chain."""
    report = services().cases.verify(current_user.principal, case_id)
    return jsonify({"valid": report.valid, "checked": report.checked, "first_invalid_version": report.first_invalid_version})


@bp.get("/audit/heads")
@allow(Role.AUDITOR)
def log_heads() -> Any:
    """The log's heads now (each stream's last version and hash), to keep outside the database."""
    return jsonify(services().log_heads.heads(current_user.principal).as_dict())


@bp.post("/audit/heads/verify")
@allow(Role.AUDITOR)
def verify_log_heads() -> Any:
    """Check the log against heads saved earlier (the body is the saved file): it may only have grown."""
    services().log_heads.require_auditor(current_user.principal, "verify_against_heads")
    request.max_content_length = HEADS_UPLOAD_LIMIT
    try:
        saved = request.get_json(silent=True) if request.is_json else None
    except RecursionError:
        saved = None
    anchored, report = services().log_heads.verify_against(current_user.principal, saved)
    return jsonify({"heads_taken_at": anchored.as_dict()["taken_at"], "digest": anchored.digest, **report.as_dict()})


@bp.get("/audit/access")
@allow(Role.AUDITOR)
def access() -> Any:
    """Who viewed or acted on a case, when, in which role."""
    case_id = request.args.get("case_id", "")
    if not case_id:
        raise InvalidData({"case_id": ["is required"]})
    entries = services().cases.access_log(current_user.principal, case_id)
    return jsonify(
        {
            "case_id": case_id,
            "entries": [
                {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in e.items() if k != "id"} for e in entries
            ],
        }
    )


@bp.get("/pupils/<pupil_id>/subject-access")
@allow(Role.AUDITOR)
def subject_access(pupil_id: str) -> Any:
    """Everything held about the child, for the auditor answering a subject-access request (logged)."""
    return jsonify(services().subject_access.bundle(current_user.principal, pupil_id, optional_date_arg("received_on")))


@bp.get("/reports/la")
@allow(Role.VIRTUAL_SCHOOL, Role.AUDITOR)
def la_report() -> Any:
    """The same anonymised report across every school of a local authority."""
    la_code = request.args.get("la_code", "") or (current_user.principal.la_code or "")
    if not la_code:
        raise InvalidData({"la_code": ["is required"]})
    as_of = past_date_arg("as_of")
    return jsonify(services().reports.la(current_user.principal, la_code, as_of, asked=_asked(as_of)))


@bp.get("/reports/governors")
@allow(*REPORT_AUDIENCE)
def governors_report() -> Any:
    """Anonymised aggregates for governors, small numbers suppressed."""
    school = request.args.get("school_urn", "")
    if not school:
        raise InvalidData({"school_urn": ["is required"]})
    as_of = past_date_arg("as_of")
    return jsonify(services().reports.governors(current_user.principal, school, as_of, asked=_asked(as_of)))


def _asked(as_of: date) -> Asked:
    """A report's day as the client asked it: one before the school's records is refused (400, problem+json, with
    the message on ``as_of`` as a form's field has it), and logged refused."""
    return Asked(request.args.get("as_of", "")[:20] or as_of.isoformat())


def _calendar_json(school_urn: str, calendar: SchoolCalendar) -> dict[str, Any]:
    years = []
    for year in sorted(calendar.years()):
        terms = {t.name: {"first_day": t.first_day.isoformat(), "last_day": t.last_day.isoformat()}
                 for t in calendar.terms if t.term.school_year == year}  # fmt: skip
        closures = sorted(d.isoformat() for d in calendar.closures if school_year(d) == year)
        years.append({"school_year": year, **terms, "closures": closures})
    return {"school_urn": school_urn, "years": years}


@bp.get("/schools/<school_urn>/terms")
@allow(*CALENDAR_READERS)
def school_terms(school_urn: str) -> Any:
    """The school's own term dates and closure days, by school year."""
    return jsonify(_calendar_json(school_urn, services().calendars.view(current_user.principal, school_urn)))


@bp.put("/schools/<school_urn>/terms/<year>")
@allow(*CALENDAR_SETTERS)
def set_school_terms(school_urn: str, year: str) -> Any:
    """Replace one school year's term dates and closure days (all or nothing)."""
    svc = services().calendars
    svc.view(current_user.principal, school_urn)  # another school's answers 404 whatever is sent
    body = _body({*TERMS, "closures"})
    if not isinstance(body.get("closures", []), list):
        raise InvalidData({"closures": ["must be a list of dates written as YYYY-MM-DD, or runs of them"]})
    return jsonify(_calendar_json(school_urn, svc.set_year(current_user.principal, school_urn, year, body)))
