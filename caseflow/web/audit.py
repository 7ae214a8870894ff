"""Auditors: every case, replay to any version, verification and the access log. Read-only."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_login import current_user

from caseflow.domain.dates import looks_like_a_date, read_day
from caseflow.domain.errors import InvalidData, invalid_fields
from caseflow.domain.events import LONDON
from caseflow.domain.roles import Role
from caseflow.domain.subject_access import REVIEWER_NOTES
from caseflow.domain.wording import label
from caseflow.web.auth import csrf, services
from caseflow.web.params import days_arg, optional_page_date_arg, page_date_arg, today
from caseflow.web.policy import allow
from workflows.retention import CHILD_PROTECTION_FILE

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/")
@allow(Role.AUDITOR)
def index() -> Any:
    """Every case the auditor may see, with a check of every hash chain."""
    svc = services()
    principal = current_user.principal
    report = svc.store.verify() if request.args.get("verify") == "all" and principal.has(Role.AUDITOR) else None
    if report is not None:
        svc.audit.record(
            username=principal.username, role=Role.AUDITOR, action="verify_all", outcome="ok" if report.valid else "invalid"
        )
    return _index(report=report)


def _index(status: int = 200, **shown: Any) -> Any:
    svc = services()
    schools = [s["urn"] for s in svc.accounts.schools()]
    principal = current_user.principal
    if not principal.has(Role.AUDITOR):  # an auditor of particular schools
        schools = sorted(principal.schools_for(Role.AUDITOR))
    cases = svc.reads.cases_for_schools(schools) if schools else []
    # whose each stream is, for a check that names broken streams: a child's case, or a child's record
    whose = {p["pupil_id"]: f"{p['given_name']} {p['family_name']}'s record" for p in svc.reads.pupils_for_schools(schools)}
    whose |= {c["case_id"]: f"{c['given_name']} {c['family_name']}'s case" for c in cases}
    page = render_template(
        "audit/index.html",
        cases=cases,
        case_ids={c["case_id"] for c in cases},  # a broken stream that is one of these links to its case
        whose=whose,
        labels=svc.workflow.state_labels,
        every_school=principal.has(Role.AUDITOR),
        **shown,
    )
    return page, status


#: an access-log line's outcome as the auditor reads it (``caseflow.services.cases._outcome``); a refusal says what
#: it was about where the line keeps it (``outcome_words``)
OUTCOME_WORDS = {
    "ok": "Done",
    "refused": "Refused: what was entered was not accepted (the person was told why)",
    "forbidden": "Not permitted to the role",
    "not_found": "Not found",
    "conflict": "Refused: the case had changed meanwhile",
    "unconfirmed": "Not recorded: the same entry was recorded shortly before (the person was asked whether it was another)",
}


def outcome_words(line: dict[str, Any]) -> str:
    """A line's outcome in words; a refusal (422) with what its detail keeps: the fields whose values were missing
    or not valid, each as the action's form labels it, or the words of the rules not met (``GuardFailed``)."""
    outcome, detail = line["outcome"], line.get("detail")
    if outcome != "refused" or not detail:
        return OUTCOME_WORDS.get(outcome, outcome)
    fields = invalid_fields(detail)
    if fields is None:
        return f"Refused by the rules: {detail}"
    spec = services().workflow.actions.get(line["action"])
    known = list(spec.fields) if spec else []
    named = sorted((f for f in fields if f), key=lambda f: known.index(f) if f in known else len(known))
    labelled = [f"“{spec.fields[f].label if spec and f in spec.fields else label(f)}”" for f in named]
    if not labelled:
        return OUTCOME_WORDS["refused"]
    listed = labelled[0] if len(labelled) == 1 else f"{', '.join(labelled[:-1])} and {labelled[-1]}"
    also = ", and a rule was not met" if "" in fields else ""
    return f"Refused: what was entered for {listed} was missing or not valid{also}"


#: the latest entries of a case's access log its page shows at first (all of them a link away)
ACCESS_SHOWN = 50

#: the largest file of saved heads the page reads (a stream's head is about 100 bytes)
HEADS_UPLOAD_LIMIT = 64 * 1024 * 1024


@bp.get("/heads.json")
@allow(Role.AUDITOR)
def heads() -> Any:
    """The log's heads now, as a file to keep outside the database."""
    found = services().log_heads.heads(current_user.principal)
    return _download(found.as_dict(), f"caseflow-heads-{found.taken_at:%Y%m%dT%H%M%SZ}.json")


@bp.post("/heads/verify")
@allow(Role.AUDITOR)
@csrf.exempt  # checked below, once the larger limit for the file is set
def verify_heads() -> Any:
    """Check the log against a file of heads saved earlier: it may only have grown since."""
    services().log_heads.require_auditor(current_user.principal, "verify_against_heads")
    request.max_content_length = HEADS_UPLOAD_LIMIT
    if current_app.config.get("WTF_CSRF_ENABLED", True):  # as CSRFProtect's own check does
        csrf.protect()
    upload = request.files.get("heads")
    text = upload.read() if upload is not None else b""
    try:
        saved = json.loads(text) if text else None
    except (ValueError, RecursionError):
        saved = None
    try:
        anchored, report = services().log_heads.verify_against(current_user.principal, saved)
    except InvalidData as error:
        message = "Choose the file of heads you saved." if not text else f"The file {error.errors['heads'][0]}."
        return _index(422, heads_error=message)
    return _index(heads_checked=anchored, heads_report=report)


@bp.get("/cases/<case_id>")
@allow(Role.AUDITOR)
def case(case_id: str) -> Any:
    """Step through a case's history: its state at any version, or as it stood at a date and time in
    England, who did what (with what each event recorded), and who looked."""
    svc = services()
    principal = current_user.principal
    latest = svc.cases.history(principal, case_id)
    raw = request.args.get("version", "")
    if raw and not (raw.isascii() and raw.isdigit() and len(raw) < 10 and 1 <= int(raw) <= len(latest)):
        abort(404)
    moment, errors = _moment_asked()
    if moment is not None:
        replayed = svc.cases.replay(principal, case_id, as_of=moment)
        version = replayed.version
    else:
        version = int(raw) if raw else len(latest)
        replayed = svc.cases.replay(principal, case_id, upto_version=version)
    report = svc.cases.verify(principal, case_id)
    pupil = svc.cases.pupil(latest[0].data["pupil_id"])  # whose case, as the list of cases names it
    access = svc.cases.access_log(principal, case_id)
    people = sorted({a["username"] for a in access})
    doings = {a["action"]: _what(a["action"]) for a in access}
    who, what = request.args.get("who", "")[:100], request.args.get("what", "")[:100]
    matching = [a for a in access if who in ("", a["username"]) and what in ("", a["action"])]
    whole_log = request.args.get("access") == "all"
    shown = list(reversed(matching if whole_log else matching[-ACCESS_SHOWN:]))  # newest first
    page = render_template(
        "audit/case.html",
        case=replayed,
        events=latest[:version],
        events_all_first=latest[0],
        total=len(latest),
        version=version,
        moment=moment,
        errors=errors,
        asked_on=request.args.get("on", "")[:10],
        asked_at=request.args.get("at", "")[:5],
        report=report,
        pupil=pupil,
        outcome_words=outcome_words,
        access=shown,
        access_total=len(matching),
        access_filter={"who": who, "what": what},
        access_people=people,
        access_doings=dict(sorted(doings.items(), key=lambda item: item[1])),
        version_asked=raw,
        labels=svc.workflow.state_labels,
        event_labels=svc.workflow.event_labels,
    )
    return page, 422 if errors else 200


def _what(action: str) -> str:
    """An access-log line's action as people say it: a workflow action by its label ('Start the One Plan')."""
    spec = services().workflow.actions.get(action)
    return spec.label if spec else label(action)


#: what the auditor's boxes say of a date or a time they cannot read, on the box
DATE_WANTED = "Enter the date as DD/MM/YYYY, for example 27/3/2026"
TIME_WANTED = "Enter the time as HH:MM, for example 14:05, or leave it empty"


def _moment_asked() -> tuple[datetime | None, dict[str, list[str]]]:
    """``?on=DD/MM/YYYY[&at=HH:MM]`` (or the date as YYYY-MM-DD, as every page takes it): the last instant of
    that minute in England, or of that day without a time, in UTC (so an event written at 23:59:59.7 belongs
    to its day). An hour that happens twice when the clocks go back is taken the first time (summer time); one
    that never happens, as written. Each problem is told on its own box, both at once."""
    on, at = request.args.get("on", "").strip(), request.args.get("at", "").strip()
    if not on:
        return None, {}
    errors: dict[str, list[str]] = {}
    day = read_day(on)
    if day is None:
        # written as asked, but no day of the calendar (31/02/2026): told so, not asked for the form it is in
        unreal = f"The date {on[:10]} is not a real date: check the day and the month."
        errors["on"] = [unreal if looks_like_a_date(on) else DATE_WANTED]
    when: time | None = None
    if at:
        try:
            if len(at) != 5:
                raise ValueError(at)
            when = time.fromisoformat(at)
        except ValueError:
            errors["at"] = [TIME_WANTED]
    if errors or day is None:
        return None, errors
    try:
        if when is not None:
            end = datetime.combine(day, when, tzinfo=LONDON).astimezone(UTC) + timedelta(minutes=1)
        else:
            end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=LONDON).astimezone(UTC)
    except (OverflowError, ValueError):  # the first or last days datetime holds (1/1/0001, 31/12/9999)
        return None, {"on": [DATE_WANTED]}
    return end - timedelta(microseconds=1), {}


def _download(document: dict[str, Any], filename: str) -> Response:
    """A JSON file to keep: never cached on the way (it holds a child's records)."""
    body = json.dumps(document, indent=2, ensure_ascii=False)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/cases/<case_id>/export")
@allow(Role.AUDITOR)
def export_case(case_id: str) -> Any:
    """The case's history as a file: every event as stored (hashes included), its verification and its access log."""
    history = services().subject_access.case_history(current_user.principal, case_id)
    return _download(history, f"case-{case_id}.json")


#: the subject-access page's date box, as its label and its messages name it
RECEIVED_ON = "Date the request was received"


@bp.get("/pupils/<pupil_id>/subject-access")
@allow(Role.AUDITOR)
def subject_access(pupil_id: str) -> Any:
    """Answer a subject-access request: the date it came in (typed as every page takes a date), then
    everything held about the child, as a file."""
    svc = services().subject_access
    principal = current_user.principal
    shown = {"notes": REVIEWER_NOTES, "label": RECEIVED_ON}
    if "received_on" not in request.args:
        pupil = svc.may_export(principal, pupil_id)
        return render_template("audit/subject_access.html", pupil=pupil, errors={}, value="", **shown)
    try:
        bundle = svc.bundle(principal, pupil_id, optional_page_date_arg("received_on", RECEIVED_ON))
    except InvalidData as error:
        pupil = svc.may_export(principal, pupil_id)
        value = request.args.get("received_on", "")
        page = render_template("audit/subject_access.html", pupil=pupil, errors=error.errors, value=value, **shown)
        return page, 400
    return _download(bundle, f"subject-access-{pupil_id}.json")


@bp.get("/retention")
@allow(Role.AUDITOR)
def retention() -> Any:
    """Children whose records have reached the end of their retention period, or will within ``within`` days."""
    raw = request.args.get("within", "0")
    as_of = today()
    errors: dict[str, list[str]] = {}
    due: list[Any] = []
    try:
        as_of = page_date_arg("as_of")
        due = services().retention.due(current_user.principal, as_of, days_arg("within", 0))
    except InvalidData as error:
        errors = error.errors
    page = render_template("audit/retention.html", due=due, as_of=as_of, within=raw, errors=errors, policy=CHILD_PROTECTION_FILE)
    return (page, 400) if errors else page
