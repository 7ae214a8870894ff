"""Pupil records in the browser: the record, one form per fact, and teachers' classroom profiles."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectField

from caseflow.domain import sdq
from caseflow.domain.attendance import summarise
from caseflow.domain.errors import GuardFailed, InvalidData, NotFound, NotPermitted
from caseflow.domain.events import london_date, long_date
from caseflow.domain.exclusions import Child, safeguards
from caseflow.domain.pupil import Episode, Pupil
from caseflow.domain.roles import Role
from caseflow.domain.wording import done
from caseflow.domain.workflow import ActionSpec
from caseflow.services.cohort import ROLL_READERS
from caseflow.web.auth import services
from caseflow.web.cases import prefill
from caseflow.web.forms import action_form, form_data, put_errors, put_unmet, recording_fields, submit
from caseflow.web.policy import ANY_USER, allow
from caseflow.web.schools import school_asked, school_choices

bp = Blueprint("pupils", __name__)


def _visible(pupil_id: str) -> tuple[Any, frozenset[str]]:
    pupils = services().pupils
    pupil = pupils.load(pupil_id)
    roles = pupils.roles_on(current_user.principal, pupil)
    if not roles:
        raise NotFound("no such pupil")
    return pupil, roles


@bp.get("/pupils")
@allow(*ROLL_READERS)
def roll() -> Any:
    """The school's pupils, searchable by name or UPN, each with whether they have (had) a social worker."""
    principal = current_user.principal
    school = school_asked(ROLL_READERS)
    if school is None:
        abort(404)
    search = request.args.get("q", "")[:60]
    svc = services()
    rows = svc.cohort.roll(principal, school, london_date(svc.cases.clock()), search)
    schools = sorted({s for r, s in principal.grants if s and r in ROLL_READERS})
    registers = any(s == school and r in svc.pupils.workflow.creation.roles for r, s in principal.grants)
    return render_template("pupils/roll.html", rows=rows, search=search, school=school, schools=schools, registers=registers)


@bp.route("/pupils/new", methods=["GET", "POST"])
@allow(ANY_USER)  # who may register is the record's register_pupil roles, at the school chosen
def register() -> Any:
    """Register a pupil by hand: a new starter, before the next import from the MIS."""
    principal = current_user.principal
    svc = services()
    spec = svc.pupils.workflow.creation
    schools = sorted({s for r, s in principal.grants if r in spec.roles and s})
    if not schools:
        abort(403)
    fields = {k: v for k, v in spec.fields.items() if k != "school_urn"}
    school_field = SelectField("School", choices=school_choices(schools))
    form = action_form(fields, {"school_urn": school_field})()
    status = 200
    if form.validate_on_submit():
        try:
            pupil = svc.pupils.register(principal, {"school_urn": form.school_urn.data, **form_data(form, fields)})
        except InvalidData as error:
            put_errors(form, error.errors)
            status = 422
        except GuardFailed as error:
            put_unmet(form, error.unmet)
            status = 422
        except NotPermitted:
            abort(403)
        else:
            flash(f"{pupil.given_name} {pupil.family_name} is registered.")
            return redirect(url_for("pupils.detail", pupil_id=pupil.id))
    elif request.method == "POST":
        status = 422
        if "csrf_token" not in form.errors:  # what the values the page could read break, told with the rest
            data = {"school_urn": form.school_urn.data, **form_data(form, fields)}
            put_errors(form, svc.pupils.problems_besides(data, set(form.errors)))
    return render_template("pupils/new.html", form=form), status


@bp.get("/pupils/<pupil_id>")
@allow(ANY_USER)  # visibility is per pupil: out of scope answers 404
def detail(pupil_id: str) -> Any:
    """A pupil's record: social care, SEND, attendance, wellbeing, attainment, behaviour and cases."""
    svc = services()
    pupil, roles = _visible(pupil_id)
    svc.audit.record(username=current_user.username, role=sorted(roles)[0], action="view_pupil", outcome="ok", pupil_id=pupil.id)
    actions = [
        a
        for a in svc.pupils.workflow.actions.values()
        if a.roles & roles and a is not svc.pupils.workflow.creation and not _nothing_to_name(pupil, a)
    ]
    cases = [c for c in svc.reads.cases_for_schools([pupil.school_urn]) if c["pupil_id"] == pupil.id]
    today = london_date(svc.cases.clock())
    return render_template(
        "pupils/detail.html",
        # the pupil's suspension days on all their cases, counted as each case's page counts them
        suspensions=safeguards(
            [], svc.reads.other_suspensions(pupil.id).values(), Child(), today, svc.reads.school_calendar(pupil.school_urn)
        ),
        sdq_scores=_sdq_scores,
        attendance_summary=lambda p: summarise((date.fromisoformat(d), s, c) for (d, s), c in p.attendance.items()),
        pupil=pupil,
        actions=actions,
        cases=cases,
        # a need is raised from the child's record too, by those who may open a case at the child's school
        can_raise=any(r in svc.workflow.creation.roles and s == pupil.school_urn for r, s in current_user.principal.grants),
        labels=svc.workflow.state_labels,
        today=today,
    )


def _sdq_scores(record: dict[str, Any]) -> sdq.SdqScores | None:
    if record.get("measure") != "sdq":
        return None
    return sdq.from_scale_scores(record["informant"], {s: record.get(s) for s in sdq.SCALES}, record.get("impact"))


@bp.route("/pupils/<pupil_id>/actions/<name>", methods=["GET", "POST"])
@allow(ANY_USER)
def act(pupil_id: str, name: str) -> Any:
    """Record one fact on a pupil's record through its form."""
    svc = services()
    pupil, roles = _visible(pupil_id)
    spec = svc.pupils.workflow.actions.get(name)
    if spec is None or spec is svc.pupils.workflow.creation:
        abort(404)
    if not spec.roles & roles:
        abort(403)
    entries = entries_to_name(pupil, name)
    form = action_form(spec.fields, recording_fields(), entries, accounts_to_name(name, pupil.school_urn))()
    if request.method == "GET":
        form.expected_version.data = str(pupil.version)
        for field_name, listed in entries.items():  # the only plan it can end is the one meant
            if len(listed) == 1 and spec.fields[field_name].required:
                form[field_name].data = listed[0][0]
        prefill(form, spec.fields)
    status, conflict = 200, None
    if form.validate_on_submit():
        status, conflict = submit(
            form,
            spec.fields,
            lambda expected, data, repeat_of: svc.pupils.act(
                current_user.principal, pupil_id, name, expected, data, ask_repeat=True, repeat_of=repeat_of
            ),
        )
        if status == 200:
            flash(f"{done(spec.event_type)}.")
            return redirect(url_for("pupils.detail", pupil_id=pupil_id))
    elif request.method == "POST":
        status = 422
        if "csrf_token" not in form.errors:  # what the values the page could read break, told with the rest
            put_errors(form, svc.pupils.action_problems_besides(pupil, name, form_data(form, spec.fields), set(form.errors)))
    if conflict:  # as on a case's form: what was typed is kept, and may be sent again on top of the latest version
        form.expected_version.data = str(conflict.current_version)
    return render_template("pupils/action.html", pupil=pupil, spec=spec, form=form, conflict=conflict), status


#: a plan as people call it
PLAN_NAMES = {"cin": "Child in need plan", "cp": "Child protection plan"}


def entries_to_name(pupil: Pupil, action: str) -> dict[str, list[tuple[int, str]]]:
    """For a field that names an earlier entry of the record by its version: the entries it may name, as the
    person filling in the form knows them ("Child in need plan from 3 March 2026, social worker Jo Evans"),
    not the number the table shows (the rules still judge the one chosen)."""
    if action != "end_social_care_episode":
        return {}
    from caseflow.web import acting, person  # the package imports this module before it defines its filters

    def named(episode: Episode) -> str:
        worker = ""
        if sw := episode.social_worker:  # "social worker" once: not again before "Jo Evans (Social worker)"
            worker = f", social worker {person(sw)}" if acting(sw, Role.SOCIAL_WORKER) else f", {person(sw)}"
        return f"{PLAN_NAMES.get(episode.plan, episode.plan)} from {long_date(episode.start_date)}{worker}"

    return {"episode": [(e.id, named(e)) for e in pupil.episodes if e.end_date is None]}


def _nothing_to_name(pupil: Pupil, spec: ActionSpec) -> bool:
    """An action that must name an entry the record has none of (ending a plan with none open): offering it
    leads only to a form that cannot be sent."""
    return any(spec.fields[name].required and not listed for name, listed in entries_to_name(pupil, spec.name).items())


def accounts_to_name(action: str, school_urn: str) -> dict[str, dict[str, str]]:
    """For a field that names a person by their account: the accounts it may name. A plan's social worker is
    allocated to the pupil and its cases, so only a social worker's account will do (the rules refuse another);
    a class teacher is one of the school's teachers (only they are offered: another school's are not named)."""
    if action == "record_social_care_episode":
        return {"social_worker": services().accounts.holders_of(Role.SOCIAL_WORKER)}
    if action == "assign_teacher":
        return {"teacher": services().accounts.holders_of(Role.TEACHER, school_urn)}
    return {}


@bp.get("/classroom")
@allow(Role.TEACHER)
def classroom() -> Any:
    """What a class teacher needs for the pupils they teach: needs, triggers, strategies, adjustments, and the
    adjustments agreed on their cases."""
    svc = services()
    taught = svc.pupils.classroom(current_user.username)
    for pupil, _ in taught:
        svc.audit.record(
            username=current_user.username, role=Role.TEACHER, action="view_classroom_profile", outcome="ok", pupil_id=pupil.id
        )
    return render_template("pupils/classroom.html", taught=taught)
