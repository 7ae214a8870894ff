"""Case pages: the list, the case with its timeline and actions, one form per action."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from wtforms import BooleanField, HiddenField, SelectField
from wtforms.validators import Optional

from caseflow.domain.errors import CaseflowError, GuardFailed, InvalidData, NotFound, NotPermitted, SecondOpenCase
from caseflow.domain.events import london_date, long_date
from caseflow.domain.exclusions import RECIPIENTS
from caseflow.domain.file_transfer import case_file_facts, file_duty, named_setting
from caseflow.domain.guards import ANSWERS_A_PROPOSAL, REMEDIES
from caseflow.domain.roles import CASE_READERS, Role
from caseflow.domain.wording import DAY_GIVEN, DAY_GIVEN_ELSE, HAPPENED_ON, day_count, done, happened
from caseflow.web.auth import services
from caseflow.web.forms import (
    DayField,
    action_form,
    add_row,
    close_up_people,
    fill,
    form_data,
    options,
    put_errors,
    put_unmet,
    recording_fields,
    submit,
)
from caseflow.web.params import today
from caseflow.web.policy import ANY_USER, allow

bp = Blueprint("cases", __name__)
SCHOOL_STAFF = (Role.DSL, Role.HEADTEACHER, Role.SLT, Role.SENCO, Role.MENTAL_HEALTH_LEAD)
#: the roles with a list of cases (a teacher's, of the needs they raised): the others start on a page of their own
CASE_LIST_ROLES = frozenset({*SCHOOL_STAFF, Role.SOCIAL_WORKER, Role.TEACHER})
#: where a role with no case list of its own starts, in the order a user holding several is sent
HOME_PAGES = (
    (Role.AUDITOR, "audit.index"),
    (Role.VIRTUAL_SCHOOL, "dashboard.la"),
    (Role.GOVERNOR, "reports.governors"),
    (Role.ADMIN, "admin.index"),
)
#: the newest events the case page shows before "Show the whole timeline"
TIMELINE_LATEST = 50


def _visible_cases() -> list[dict[str, Any]]:
    principal = current_user.principal
    reads = services().reads
    schools = sorted({s for r, s in principal.grants if r in SCHOOL_STAFF and s})
    found = {c["case_id"]: c for c in reads.cases_for_schools(schools)} if schools else {}
    if Role.SOCIAL_WORKER in principal.roles:
        found.update({c["case_id"]: c for c in reads.cases_for_social_worker(principal.username, today())})
    return sorted(found.values(), key=lambda c: c["updated_at"], reverse=True)


@bp.route("/")
@allow(ANY_USER)
def index() -> Any:
    """Cases this user may see, newest activity first; for a role with no case list of its own, its own
    first page (a governor's report, the auditor's page, the LA's view, the administrator's page)."""
    roles = current_user.principal.roles
    if not roles & CASE_LIST_ROLES:
        for role, page in HOME_PAGES:
            if role in roles:
                return redirect(url_for(page))
    workflow = services().workflow
    cases = _visible_cases() if current_user.principal.roles & CASE_READERS else []
    can_open = bool(current_user.principal.roles & workflow.creation.roles)
    roles = current_user.principal.roles
    awaiting, views_needed = [], []
    if Role.SOCIAL_WORKER in roles:
        awaiting = _awaiting(cases, services().reads.proposals_awaiting_social_worker)
        username = current_user.principal.username
        views_needed = _in_list_order(cases, services().cases.waiting_for_social_care_view(username, cases))
    # a need a teacher raised, not yet taken up: told apart from a journey the school began (often the same child's)
    waiting = [c["case_id"] for c in cases if c["state"] == workflow.initial]
    raised = services().reads.raised_not_started(waiting) if waiting else {}
    heading = current_user.principal.schools_for(Role.HEADTEACHER)  # a head decides in their own school only
    deciding = _awaiting([c for c in cases if c["school_urn"] in heading], services().reads.proposals_awaiting_decision)
    return render_template(
        "cases/index.html",
        cases=cases,
        labels=workflow.state_labels,
        can_open=can_open,
        reads_cases=bool(roles & CASE_READERS),
        awaiting=awaiting,
        views_needed=views_needed,
        deciding=deciding,
        raised=raised,
    )


def _awaiting(cases: list[dict[str, Any]], read: Callable[[list[str]], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Suspension and exclusion proposals on the user's cases that still await them (a social worker's
    view, a head's decision), in the order of the list (newest activity first)."""
    return _in_list_order(cases, read([row["case_id"] for row in cases]))


def _in_list_order(cases: list[dict[str, Any]], found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What awaits the user on their cases, each with its pupil's name, in the order of the list (newest activity
    first), a case's proposals in the order they were made."""
    order = {row["case_id"]: n for n, row in enumerate(cases)}
    names = {row["case_id"]: f"{row['given_name']} {row['family_name']}" for row in cases}
    ordered = sorted(found, key=lambda p: (order[p["case_id"]], p.get("id", 0)))
    return [{**p, "pupil": names[p["case_id"]]} for p in ordered]


@bp.route("/cases/<case_id>")
@allow(ANY_USER)  # visibility is per case: out of scope answers 404
def detail(case_id: str) -> Any:
    """One case: its step, what this user may do now and what blocks it, and its timeline."""
    view = services().cases.view(current_user.principal, case_id)
    timeline = list(reversed(view.events))
    whole = request.args.get("timeline") == "all"
    return render_template(
        "cases/detail.html",
        view=view,
        workflow=services().workflow,
        timeline=timeline if whole else timeline[:TIMELINE_LATEST],
        timeline_total=len(timeline),
        event_labels=services().workflow.event_labels,
        date_fields=services().workflow.date_fields,
        happened_on=HAPPENED_ON,
        day_given=DAY_GIVEN,
        day_given_else=DAY_GIVEN_ELSE,
        recipients=RECIPIENTS,
        today=today(),
        remedy=remedy_links(view),
        not_offered=nothing_to_name(view) | not_met_once_closed(view),
        named=named_entries(view.case, view.events),
        may_correct=any(status.action.name == CORRECTION for status in view.actions),
        happened={event.version: london_date(event.occurred_at) for event in view.events},
        happened_at={event.version: happened(event) for event in view.events},  # to tell apart two of one day
        field_labels=services().workflow.field_labels,
    )


def nothing_to_name(view: Any) -> set[str]:
    """The actions that must name an earlier entry of the case, of which it has none yet (a notice of a
    decision before any is decided): offering them leads only to a form that cannot be sent."""
    found = set()
    for status in view.actions:
        spec = status.action
        listed = entries_to_name(view.case, spec.name, view.other_open_cases, view.events)
        if any(spec.fields[name].required and not entries for name, entries in listed.items()):
            found.add(spec.name)
    return found


def not_met_once_closed(view: Any) -> set[str]:
    """On a closed case, the actions not ready for what the case lacks (a move to send the child protection file
    for, on a need closed into the pupil's other case, where any move is prepared): nothing recorded on a closed case
    meets it, so the link leads only to a refusal. What a decision still owes is offered as before."""
    if view.case.state not in services().workflow.final_states:
        return set()
    return {status.action.name for status in view.actions if status.unmet}


def remedy_links(view: Any) -> Callable[[str], tuple[str, str] | None]:
    """For a requirement about the case: a link to the form that meets it, if this user may fill it in."""
    can = {status.action.name: status.action.label for status in view.actions}

    def link(code: str) -> tuple[str, str] | None:
        name = REMEDIES.get(code)
        return (url_for("cases.act", case_id=view.case.id, name=name), can[name]) if name in can else None

    return link


@bp.route("/cases/<case_id>/actions/<name>", methods=["GET", "POST"])
@allow(ANY_USER)  # visibility is per case: out of scope answers 404
def act(case_id: str, name: str) -> Any:
    """Take one action on a case through its form."""
    cases = services().cases
    posting = request.method == "POST"
    # the read is logged only where the page shows the case: a form sent successfully shows nothing of it (the
    # page it leads to logs its own read, and the action its own line), nor does a refusal
    view = cases.view(current_user.principal, case_id, logged=False)
    spec = services().workflow.actions.get(name)
    if spec is None or not (spec.roles & view.roles):
        if posting:  # the attempt itself is recorded, refused, as the service records every refusal
            with suppress(CaseflowError):
                cases.act(current_user.principal, case_id, name, view.case.version, {})
        abort(404 if spec is None else 403)
    entries = entries_to_name(view.case, name, view.other_open_cases, view.events)
    ending = view.closed_into_this if spec.dest in services().workflow.final_states else []
    form_class = action_form(spec.fields, recording_fields(), entries)
    if name in ASKS_THE_DAY:  # after the action's own fields: most are made the day they are recorded
        label, hint = ASKS_THE_DAY[name]
        day = DayField(label, description=hint, validators=[Optional()])
        form_class = type("ActionForm", (form_class,), {"occurred_at": day})
    form = form_class()
    if request.method == "GET":
        form.expected_version.data = str(view.case.version)
        fill(form, spec.fields, as_recorded(view.case, name))
        for field_name, listed in entries.items():  # the only entry it must name is the one meant
            if len(listed) == 1 and spec.fields[field_name].required:  # not a contribution's, an exclusion view's only
                form[field_name].data = listed[0][0]
        prefill(form, spec.fields)  # after: a link's own value wins over what the case records
    unasked, shown_for, none_to_name = asked_by_choice(name, form, entries)
    status, conflict = 200, None
    if request.method == "POST" and add_row(form, spec.fields, request.form):
        pass  # shown again as typed, with one more row: nothing recorded, nothing told wrong
    elif form.validate_on_submit():
        status, conflict = submit(
            form,
            spec.fields,
            lambda expected, data, repeat_of: cases.act(
                current_user.principal, case_id, name, expected, data, day_given(form), ask_repeat=True, repeat_of=repeat_of
            ),
            remedy_links(view),
        )
        if status == 200:
            flash(f"{done(spec.event_type, view.pupil.given_name)}.{closed_with_it(ending)}")
            return redirect(url_for("cases.detail", case_id=case_id))
    elif request.method == "POST":
        status = 422
        if "csrf_token" not in form.errors:  # what the values the page could read break, told with the rest
            close_up_people(form, spec.fields)  # as submit does: "Person 1" is then the form's Person 1
            found = cases.problems_besides(view, name, form_data(form, spec.fields), set(form.errors), day_given(form))
            put_errors(form, found)
    changed = view.events[conflict.expected_version :] if conflict and conflict.expected_version >= 0 else []
    if conflict:  # shown what changed, the person may send what they typed again, on top of the latest version
        form.expected_version.data = str(conflict.current_version)
    pending = awaiting_decision(view.case, name) if view.pupil.cohort_status(today()) else []
    unheard = any(not any(v["role"] == "social_worker" for v in p["views"]) for p in pending)
    asked = any(form[field].data or form[field].errors for field in WITHOUT_THE_VIEW if field in form)
    without_the_view = [form[field] for field in WITHOUT_THE_VIEW if field in form] if unheard or asked else []
    cases.log_view(current_user.principal, view)  # the form, with the case on it
    page = render_template(
        "cases/action.html",
        view=view,
        spec=spec,
        form=form,
        conflict=conflict,
        changed=[an_entry(event) for event in changed],  # in words: staff never see a version
        happened={event.version: london_date(event.occurred_at) for event in view.events},  # interventions, by their day
        pending=pending,
        hidden=set(WITHOUT_THE_VIEW) | unasked,
        shown_for=shown_for,
        none_to_name=none_to_name,
        without_the_view=without_the_view,
        ending=ending,
    )
    return page, status


def closed_with_it(needs: list[dict[str, Any]]) -> str:
    """What closing a case did to the needs closed into it (``CaseView.closed_into_this``), for the message saying it is
    closed: this case was their support, and they now have none open. The form said so before; the message says it
    again, as the close is done, with the way back (a need is reopened from its own page)."""
    if not needs:
        return ""
    from caseflow.web import person  # the package imports this module before it defines its filters

    raised = [f"raised by {person(n['raised_by'])} on {long_date(n['raised_on'])}" for n in needs]
    if len(needs) == 1:
        return (
            f" The need {raised[0]}, closed into this case, is closed with it: if it still needs support, reopen it "
            "from its page."
        )
    return (
        f" The {len(needs)} needs closed into this case ({'; '.join(raised)}) are closed with it: if one still needs "
        "support, reopen it from its page."
    )


#: an action's field that only some choices of another of its fields ask for, (action, field): (the other field, those
#: choices). A contribution names a proposal only when it is a view on one: a social care view answers none.
ASKED_ONLY_FOR = {("add_contribution", "proposal"): ("kind", ANSWERS_A_PROPOSAL)}
#: what such a field's place on the form says when it is asked for and the case has no entry it could name
NONE_TO_NAME = {
    ("add_contribution", "proposal"): "There is no proposed suspension or exclusion on this case waiting for a decision, "
    "so there is none for a view to answer.",
}


def asked_by_choice(
    action: str, form: Any, entries: dict[str, list[tuple[int | str, str]]]
) -> tuple[set[str], dict[str, tuple[str, str]], dict[str, str]]:
    """Of the action's fields that only some choices of another ask for (``ASKED_ONLY_FOR``): those not asked
    for, which the form leaves out and whose value, if one is sent (an old page, a kind changed after a proposal
    was chosen), is not written; those shown until the other field is chosen, each with that field and the choices
    asking for it, for the page's script to hide it meanwhile; and those asked for with nothing to name, each with
    the words the form shows in place of an empty list. With the other field still to choose, a list with nothing
    in it is left out: whatever is chosen, there is nothing to name."""
    unasked: set[str] = set()
    shown_for: dict[str, tuple[str, str]] = {}
    none_to_name: dict[str, str] = {}
    for (name, field), (chooser, asking) in ASKED_ONLY_FOR.items():
        if name != action:
            continue
        chosen, listed = form[chooser].data, entries.get(field, [])
        if chosen in asking:
            if not listed:
                none_to_name[field] = NONE_TO_NAME[(name, field)]
        elif chosen or not listed:
            unasked.add(field)
            form[field].data = None
        else:
            shown_for[field] = (chooser, " ".join(sorted(asking)))
    return unasked, shown_for, none_to_name


#: the actions whose form asks the day it happened, each with its label and hint: a proposal or decision recorded after
#: the day it was made gives that day, which its start is held to (support_journey@10); the API's ``occurred_at``
ASKS_THE_DAY = {
    **dict.fromkeys(
        ("propose_suspension", "propose_exclusion"),
        ("Date of the proposal", "Leave empty if it was proposed today. For a proposal made on an earlier day, give that day."),
    ),
    **dict.fromkeys(
        ("decide_suspension", "decide_exclusion"),
        ("Date of the decision", "Leave empty if it was decided today. For a decision made on an earlier day, give that day."),
    ),
    # a view given by phone or at a meeting before it was typed in: a decision counts it from that day (version 11)
    "add_contribution": (
        "Date it was given",
        "Leave empty if it was given today. For one given on an earlier day (by phone, at a meeting), give that day.",
    ),
}


def day_given(form: Any) -> date | None:
    """When the form says it happened: the day given (its time of day is not asked, so none is recorded as if it
    were), or None (now) for today or none given. A day to come is the service's to refuse, on the box."""
    day = form.occurred_at.data if "occurred_at" in form else None
    if day is None or day == today():
        return None
    return day


#: a decision's fields that only a decision made without the social worker's view needs (the rule
#: ``social_worker_heard``): asked for under their own heading while a proposal has no view, else not shown
WITHOUT_THE_VIEW = ("override_reason", "notified_social_worker", "notified_virtual_school", "notified_la")


def awaiting_decision(case: Any, action: str) -> list[dict[str, Any]]:
    """For the head deciding on a pupil who has or had a social worker: each proposal awaiting the decision,
    with its reason and the views given on it, so the decision is made with the social worker's in front of
    the head (the rules ask for it)."""
    kind = {"decide_suspension": "suspension", "decide_exclusion": "exclusion"}.get(action)
    if kind is None:
        return []
    at = _happened_at(case.facts)
    return [p | {"described": _described(p, at)} for p in case.proposals() if p["decision"] is None and p["kind"] == kind]


#: actions whose ``proposal`` names a decided suspension or exclusion (the others name one still pending)
AFTER_A_DECISION = frozenset({"record_decision_notice", "cancel_decision", "record_review_request", "record_board_review"})


#: the action that corrects an earlier entry, which any entry of the timeline offers to those who may take it
CORRECTION = "record_correction"


def entries_to_name(
    case: Any, action: str, other_open_cases: list[dict[str, Any]] | None = None, events: list[Any] | None = None
) -> dict[str, list[tuple[int | str, str]]]:
    """For a field that names an earlier entry of the case by its version, or another case of the pupil by its id:
    the entries it may name, as the person filling in the form knows them (the rules still judge the one chosen).
    A correction may name any entry (``events``: the whole history, which the case's kept facts are not), newest
    first, as the timeline lists them."""
    if action == CORRECTION:
        return {"corrects": [(event.version, an_entry(event)) for event in reversed(events or [])]}
    if action == "close_into_other_case":
        labels = services().workflow.state_labels
        return {"other_case": [(c["case_id"], _open_case(c, labels)) for c in other_open_cases or []]}
    if action == "record_outcome":
        running = [i for i in case.interventions() if i["status"] == "active"]
        return {"intervention": [(i["id"], _intervention(i)) for i in running]}
    kinds = {"decide_suspension": ("suspension",), "decide_exclusion": ("exclusion",)}
    at = _happened_at(case.facts)
    if action in kinds or action == "add_contribution":
        pending = [p for p in case.proposals() if p["decision"] is None and p["kind"] in kinds.get(action, (p["kind"],))]
        return {"proposal": [(p["id"], _described(p, at)) for p in pending]}
    if action == "record_file_receipt":
        duty = file_duty(case_file_facts(case.facts), case.state)
        awaiting = [s for s in duty.sendings if s.received is None] if duty else []
        return {"transfer": [(s.version, _sending(s.receiving_setting, s.sent_on)) for s in awaiting]}
    if action in AFTER_A_DECISION:
        decided = [p for p in case.proposals() if p["decision"] and p["decision"]["decision"] in ("suspend", "exclude")]
        if action == "cancel_decision":
            decided = [p for p in decided if not p.get("cancelled")]
        return {"proposal": [(p["id"], _described(p, at)) for p in decided]}
    return {}


def named_entries(case: Any, events: list[Any]) -> dict[int, dict[str, str]]:
    """For each entry of the timeline that names an earlier one by its version (a view the proposal it answers, an
    outcome its intervention, a receipt the sending of the file, a correction the entry it corrects): that entry as
    staff know it, as the form that chose it names it, and not by a version number they are never shown
    ({version: {field: words}}); and a choice whose field declares its words ("catch_up_literacy" is "Catch Up
    Literacy", as the interventions table and the form name it). A number that names no entry stays a number, as
    the rules found it."""
    workflow = services().workflow
    at = _happened_at(events)
    named = {e.version: an_entry(e) for e in events}
    named |= {p["id"]: _described(p, at) for p in case.proposals()}
    named |= {
        i["id"]: f"{i['intervention']} (planned {long_date(london_date(at[i['id']].occurred_at))})" for i in case.interventions()
    }
    sendings = [e for e in events if e.event_type == "FileTransferSent" and {"receiving_setting", "sent_on"} <= e.data.keys()]
    named |= {e.version: _sending(e.data["receiving_setting"], e.data["sent_on"]) for e in sendings}
    found: dict[int, dict[str, str]] = {}
    for event in events:
        spec = workflow.by_event.get(event.event_type)
        refs = {key: value for key, value in event.data.items() if spec and key in spec.fields and spec.fields[key].type == "ref"}
        worded = {key: named[value] for key, value in refs.items() if isinstance(value, int) and value in named}
        # a choice as its form offered it: a programme as the catalogue names it, not its code in words
        offered = {key: dict(field.labels) for key, field in spec.fields.items() if field.type == "choice"} if spec else {}
        worded |= {key: offered[key][v] for key, v in event.data.items() if isinstance(v, str) and v in offered.get(key, {})}
        if worded:
            found[event.version] = worded
    return found


def an_entry(event: Any) -> str:
    """An entry of the timeline as staff know it, never by its version: what was recorded (its form), when it
    happened and by whom, as the timeline's entry says them ("Record a meeting, 7 December 2026, 14:05, by Dana Shah
    (Designated Safeguarding Lead)"; the day alone where only the day was given). The correction form's list and the
    entry a correction corrects read alike."""
    from caseflow.web import person  # the package imports this module before it defines its filters

    what = services().workflow.event_labels.get(event.event_type, event.event_type)
    named = event.data.get(_NAMED_BY.get(event.event_type, ""))
    if isinstance(named, str) and named:  # two interventions planned in one sitting are told apart by their names
        what = f"{what} “{named if len(named) <= 40 else named[:39] + '…'}”"
    return f"{what}, {happened(event)}, by {person(event.actor, event.role)}"


#: the value that names an entry of a kind a case often holds several of from one sitting
_NAMED_BY = {"InterventionPlanned": "intervention", "OutcomeRecorded": "measure"}


def _happened_at(entries: list[Any]) -> dict[int, Any]:
    """Each entry (an event, or a fact of the case) by its version, for when it happened."""
    return {entry.version: entry for entry in entries}


def _sending(receiving_setting: str, sent_on: date | str) -> str:
    """A sending of the child protection file, as the form confirming its receipt and the timeline name it."""
    return f"Sent to {receiving_setting} on {long_date(sent_on)}"


def _open_case(other: dict[str, Any], labels: dict[str, str]) -> str:
    """Another open case of the pupil as the DSL knows it: its step and the day it opened (as the case page's
    warning about it and the form that opens a case name it)."""
    step = labels.get(other["state"], other["state"])
    return f"At the step \u201c{step}\u201d, opened on {long_date(other['opened_on'])}"


def _described(proposal: dict[str, Any], at: dict[int, Any]) -> str:
    """A proposal as the head and the social worker know it: its kind, days and first day, and when it was made
    (to the minute: two proposals of one kind and day are told apart)."""
    days = proposal.get("days")
    length = f" of {day_count(days)}" if days else ""
    start = long_date(proposal["start_date"])
    return f"{proposal['kind'].capitalize()}{length} from {start} (proposed {happened(at[proposal['id']])})"


def _intervention(item: dict[str, Any]) -> str:
    review = long_date(item["review_date"]) if item.get("review_date") else "—"
    return f"{item['intervention']} (owner {item.get('owner', '—')}; review {review})"


def as_recorded(case: Any, action: str) -> dict[str, Any]:
    """Where an action records a new version of something the case holds, that thing as last recorded, for its
    form to open with: the user edits it rather than typing it again, and what is recorded is still the whole
    form as sent. The One Plan is one document kept up to date; the file goes to the setting the move names,
    unless the move has been corrected: the name it gave is then the one most likely wrong, and no rule is left
    to stop it, so the DSL writes where the file goes. The family's views and the pupil's voice are not: each is
    what someone said at a time, and last term's words are not to be recorded again as today's."""
    if action == "record_plan":
        return case.plan()
    if action == "record_file_transfer" and (named := named_setting(case.facts)) is not None and not named.corrected:
        return {"receiving_setting": named.name}
    return {}


def prefill(form: Any, fields: Any) -> None:
    """Links may suggest values (e.g. which proposal a view answers); the user still submits them."""
    for name, value in request.args.items():
        if name not in fields:
            continue
        if fields[name].type in {"ref", "int"}:
            form[name].data = int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None
        elif fields[name].type in {"choice", "line"}:
            form[name].data = value[:200]


@bp.route("/cases/new", methods=["GET", "POST"])
@allow(ANY_USER)  # who may open is the workflow's open_case roles
def new() -> Any:
    """Raise a need: open a case for a pupil of your school."""
    principal = current_user.principal
    spec = services().workflow.creation
    if not principal.roles & spec.roles:
        abort(403)
    schools = sorted({s for r, s in principal.grants if r in spec.roles and s})
    pupils = services().reads.pupils_for_schools(schools) if schools else []
    # only of the schools where the user reads cases: to anyone else, which children have one is not theirs to know
    reading = sorted({s for r, s in principal.grants if r in SCHOOL_STAFF and s in schools})
    with_case = services().reads.pupils_with_open_cases(reading) if reading else set()
    choices = [("", "Choose a pupil")] + [
        (
            p["pupil_id"],
            f"{p['family_name']}, {p['given_name']} (year {p['year_group']})"
            + (": has an open case" if p["pupil_id"] in with_case else ""),
        )
        for p in pupils
    ]
    fields = {k: v for k, v in spec.fields.items() if k != "pupil_id"}
    # Optional: an unchosen pupil is the domain's to report, with every other problem of the form at once
    pupil_field = SelectField("Pupil", choices=options(choices), validators=[Optional()])
    confirm_fields = {
        # the pupil the confirmation was asked about: a tick counts for that child only
        "second_case_of": HiddenField(),
        "confirm_second_case": BooleanField("Open a second case for this pupil anyway"),
    }
    form = action_form(fields, {"pupil_id": pupil_field, **confirm_fields})()
    asked_for = request.args.get("pupil_id", "")  # from the child's record: that child, if one of the list
    if request.method == "GET" and any(p["pupil_id"] == asked_for for p in pupils):
        form.pupil_id.data = asked_for
    status, open_cases = 200, []
    if form.validate_on_submit():
        pupil_id = form.pupil_id.data or ""
        confirmed = bool(form.confirm_second_case.data) and form.second_case_of.data == pupil_id
        data = {"pupil_id": pupil_id, **form_data(form, fields)}
        cases = services().cases
        try:
            case = cases.open_case(principal, data, confirm_second_case=confirmed)
        except SecondOpenCase as error:
            open_cases, status = error.open_cases, 409
        except InvalidData as error:
            put_errors(form, error.errors)
            open_cases, status = cases.open_cases_to_confirm(principal, pupil_id) if pupil_id else [], 422
        except GuardFailed as error:
            put_unmet(form, error.unmet)
            open_cases, status = cases.open_cases_to_confirm(principal, pupil_id) if pupil_id else [], 422
        except (NotPermitted, NotFound):
            abort(403)
        else:
            if principal.roles & CASE_READERS:
                flash("The case is open.")
                return redirect(url_for("cases.detail", case_id=case.id))
            flash("Thank you: the need is raised. The designated safeguarding lead sees it now and takes it from there.")
            return redirect(url_for("cases.index"))
        if open_cases:
            if not confirmed:
                form.confirm_second_case.data = False
                given = next((p["given_name"] for p in pupils if p["pupil_id"] == pupil_id), "This pupil")
                put_errors(form, {"pupil_id": [_second_case_message(given, open_cases)]})
            form.second_case_of.data = pupil_id
    elif request.method == "POST":
        status = 422
    raising_only = not (current_user.principal.roles & CASE_READERS)  # a class teacher: the case is the DSL's
    return render_template("cases/new.html", form=form, spec=spec, confirm=bool(open_cases), raising_only=raising_only), status


def _second_case_message(given_name: str, open_cases: list[dict[str, Any]]) -> Markup:
    """Each open case by what the DSL knows it by, its step and the day it opened, linked so it can be
    read before another is opened (the error summary shows the same words, unlinked)."""
    labels = services().workflow.state_labels
    named = Markup(" and ").join(
        Markup('<a class="govuk-link" href="{}">at the step &ldquo;{}&rdquo;, opened on {}</a>').format(
            url_for("cases.detail", case_id=c["case_id"]), labels.get(c["state"], c["state"]), long_date(c["opened_on"])
        )
        for c in open_cases
    )
    cases = "an open case" if len(open_cases) == 1 else f"{len(open_cases)} open cases"
    return Markup("{} already has {}: {}. To open another, tick &ldquo;Open a second case for this pupil anyway&rdquo;.").format(
        given_name, cases, named
    )
