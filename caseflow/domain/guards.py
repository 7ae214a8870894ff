"""Named guard rules that workflow definitions refer to.

A guard reads the case's history (and the data of the action being taken, and
facts about the pupil from outside the case) and returns what is still unmet.
Guards never decide who may act: roles are checked before any guard runs.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from caseflow.domain import sdq
from caseflow.domain.attendance import day_problem
from caseflow.domain.case import ENDED_WITH_CASE, SupportCase
from caseflow.domain.errors import Unmet
from caseflow.domain.events import london_date, long_date, long_time
from caseflow.domain.exclusions import (
    SUSPENSION_DAYS_LIMIT,
    SUSPENSION_DAYS_WARNING,
    Child,
    DaysAway,
    OtherSuspension,
    Safeguards,
    days_away,
    days_counted,
    decided,
    owed_warnings,
    safeguards,
    school_year,
)
from caseflow.domain.file_transfer import (
    EVENT_KINDS,
    MOVES,
    FileDuty,
    FileFact,
    NamedSetting,
    case_file_facts,
    file_duty,
    named_setting,
    same_setting,
)
from caseflow.domain.pupil import years_before
from caseflow.domain.school_calendar import SchoolCalendar
from caseflow.domain.wording import day_count
from workflows.questionnaires import QUESTIONNAIRES


@dataclass(frozen=True, slots=True)
class CaseContext:
    """Facts from outside the case stream that the rules need."""

    pupil_in_school: bool = True
    #: "open" (a CiN/CP plan runs), "previous" (ended within six years) or None
    cohort_status: str | None = None
    #: the kind of plan running now ("cin" or "cp"), if any
    open_plan: str | None = None
    allocated_social_workers: frozenset[str] = frozenset()
    #: suspension days decided for this pupil in other cases, by school-year start
    other_suspension_days: Mapping[int, float] = field(default_factory=dict)
    #: each of those suspensions, by (case, decision version)
    other_suspensions: Mapping[Any, OtherSuspension] = field(default_factory=dict)
    #: the child's social-care episodes and care status, for who is owed a notice of a decision
    child: Child = field(default_factory=Child)
    #: the school's today (in England), for dates that cannot be in the future; None: not checked
    today: date | None = None
    #: for registering a pupil: another pupil already has this UPN
    upn_taken: bool = False
    #: the school's own term dates, read when a rule first needs them
    school_calendar: Callable[[], SchoolCalendar] = SchoolCalendar
    #: the usernames of the social workers' accounts, read when a rule first needs them (the accounts are not
    #: the record's to know, so the service gives them); None: not checked, as where no plan is recorded
    social_worker_accounts: Callable[[], frozenset[str]] | None = None
    #: the ids of the pupil's other cases not closed (read when a rule first asks), for a case closed into one
    other_open_cases: Collection[str] = frozenset()
    #: the day (in England) the action being judged happened: its ``occurred_at``, which a proposal or decision
    #: recorded after the day it was made gives as that day; None: today
    occurred_on: date | None = None


#: what a requirement about the case (not about a field of the form) asks the user to do: the action
#: that meets it, so a page can link to it rather than only name it
REMEDIES = {
    "plan_outcomes": "record_plan",
    "plan_strengths": "record_plan",
    "plan_aspirations": "record_plan",
    "family_views": "record_family_views",
    "pupil_voice": "record_pupil_voice",
    "review_meeting": "record_meeting",
    "meeting_school": "record_meeting",
    "meeting_agency": "record_meeting",
    "meeting_aspirations": "record_meeting",
    "intervention": "plan_intervention",
    "outcome_missing": "record_outcome",
    "verdict": "record_evaluation",
    "file_not_sent": "record_file_transfer",
    "nothing_sent": "record_file_transfer",
}


GuardFunc = Callable[[SupportCase, Mapping[str, Any], CaseContext, str], list[Unmet]]


@dataclass(frozen=True, slots=True)
class Guard:
    code: str
    check: GuardFunc
    #: True when the rule reads the action's own data (so it cannot be judged before the form is filled)
    needs_input: bool
    #: where declared, the action's fields the rule needs given to judge fairly (it would take a wrong value,
    #: left out of the good ones, for a value not given): with none of them wrong, the rule is judged at once,
    #: beside the problems of the form's other values, not a round later. A field it can do without may be
    #: left out: wrong, it only makes the rule check less until it is put right
    fields: tuple[str, ...] | None = None


GUARDS: dict[str, Guard] = {}


def guard(
    code: str, *, needs_input: bool = False, reads: tuple[str, ...] = (), fields: tuple[str, ...] | None = None
) -> Callable[[GuardFunc], GuardFunc]:
    """Register a rule; ``reads`` names the event types it looks at, so the case keeps those facts; ``fields``
    the action's fields it reads (see ``Guard.fields``)."""

    def register(func: GuardFunc) -> GuardFunc:
        GUARDS[code] = Guard(code, func, needs_input, fields)
        SupportCase.kept_types.update(reads)
        return func

    return register


# --- opening ---------------------------------------------------------------------------------
@guard("pupil_in_school")
def pupil_in_school(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    if ctx.pupil_in_school:
        return []
    return [Unmet("pupil_not_in_school", "The pupil must be on the roll of your school.")]


@guard("another_open_case_exists")
def another_open_case_exists(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    """Said before the form is filled in: with no other open case of the pupil there is none to close this one into."""
    if ctx.other_open_cases:
        return []
    return [Unmet("no_other_open_case", "The pupil has no other open case to close this one into.")]


@guard("names_another_open_case", needs_input=True, fields=("other_case",))
def names_another_open_case(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    """A need raised again is closed into a case that still holds it: another case of the same pupil, not closed
    (closed into a closed case, or another child's, the need would be shown nowhere anyone still works on). With no
    other open case at all, ``another_open_case_exists`` says so, once."""
    named = data.get("other_case")
    if not ctx.other_open_cases or (named and named != case.id and named in ctx.other_open_cases):
        return []
    return [Unmet("not_another_open_case", "Choose another open case of this pupil.", "other_case")]


@guard("no_decision_awaited")
def no_decision_awaited(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    """A suspension or exclusion proposed on a case is decided on it, and a closed case takes no decision: closed
    into another case while one awaits the head, the proposal would wait for ever with no way to decide it."""
    waiting = [p for p in case.proposals() if p["decision"] is None]
    if not waiting:
        return []
    kinds = " and ".join(sorted({p["kind"] for p in waiting}))
    message = f"The {kinds} proposed on this case awaits the head's decision: it is decided here before the case closes."
    return [Unmet("decision_awaited", message)]


# --- the One Plan and the review ---------------------------------------------------------------
@guard("plan_complete", reads=("PlanRecorded",))
def plan_complete(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    plan = case.plan()
    unmet = []
    if not plan.get("outcomes"):
        unmet.append(Unmet("plan_outcomes", "The One Plan needs at least one outcome."))
    if not plan.get("strengths"):
        unmet.append(Unmet("plan_strengths", "The One Plan needs the pupil's strengths."))
    if not plan.get("aspirations"):
        unmet.append(Unmet("plan_aspirations", "The One Plan needs the pupil's aspirations."))
    return unmet


@guard("family_views_recorded", reads=("FamilyViewsRecorded",))
def family_views_recorded(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    if case.facts_of("FamilyViewsRecorded"):
        return []
    return [Unmet("family_views", "Record the family's views, or the reason they could not be obtained.")]


@guard("pupil_voice_recorded", reads=("PupilVoiceRecorded",))
def pupil_voice_recorded(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    if case.facts_of("PupilVoiceRecorded"):
        return []
    return [Unmet("pupil_voice", "Record the pupil's voice: what they think and want.")]


@guard("social_care_contributed", reads=("ContributionAdded",))
def social_care_contributed(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    if ctx.open_plan is None:
        return []
    plan = "child protection" if ctx.open_plan == "cp" else "child in need"
    if not ctx.allocated_social_workers:
        return [
            Unmet(
                "social_worker_not_allocated",
                f"The pupil has an open {plan} plan but no allocated social worker is recorded.",
            )
        ]
    for fact in case.facts_of("ContributionAdded", since=case.since_entered("need_identified")):
        if (
            fact.data.get("kind") == "social_care_view"
            and fact.role == "social_worker"
            and fact.actor in ctx.allocated_social_workers
        ):
            return []
    return [
        Unmet(
            "social_care_view",
            f"The pupil has an open {plan} plan: the allocated social worker must add a social care view.",
        )
    ]


@guard("review_meeting_recorded", reads=("MeetingRecorded",))
def review_meeting_recorded(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    meetings = case.facts_of("MeetingRecorded", since=case.since_entered("multi_agency_review"))
    if not meetings:
        return [Unmet("review_meeting", "Record the multi-agency meeting held for this review.")]
    best: list[Unmet] | None = None
    for meeting in meetings:
        agencies = {person["agency"] for person in meeting.data.get("attendees", [])}
        unmet = []
        if "school" not in agencies:
            unmet.append(Unmet("meeting_school", "The meeting must include someone from the school."))
        if not agencies - {"school", "family"}:
            unmet.append(Unmet("meeting_agency", "The meeting must include at least one other agency."))
        if not meeting.data.get("aspirations_discussed"):
            unmet.append(Unmet("meeting_aspirations", "The meeting must discuss the pupil's aspirations."))
        if not unmet:
            return []
        best = unmet if best is None or len(unmet) < len(best) else best
    return best or []


@guard("intervention_planned")
def intervention_planned(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    if any(item["status"] == "active" for item in case.interventions()):
        return []
    return [Unmet("intervention", "Plan at least one intervention with an owner, a baseline and a review date.")]


# --- intervention and evaluation -----------------------------------------------------------------
@guard("outcomes_recorded")
def outcomes_recorded(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    since = case.since_entered("intervention")
    planned = {fact.version: london_date(fact.occurred_at) for fact in case.facts_of("InterventionPlanned")}
    unmet = []
    for item in case.interventions():
        finished_before = any(o["version"] <= since and o["status"] != "continuing" for o in item["outcomes"])
        if finished_before or item["status"] == ENDED_WITH_CASE:  # one that ended with a closed case has no outcome due
            continue
        if not any(o["version"] > since for o in item["outcomes"]):
            unmet.append(
                Unmet(
                    "outcome_missing",
                    # named as the interventions table names it, by the day it was planned: not its version
                    f"Record an outcome measure for “{item['intervention']}” (planned {long_date(planned[item['id']])}).",
                )
            )
    return unmet


@guard("verdict_recorded", reads=("EvaluationRecorded",))
def verdict_recorded(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    if case.facts_of("EvaluationRecorded", since=case.since_entered("evaluation")):
        return []
    return [Unmet("verdict", "Record the evaluation's verdict first.")]


@guard("handover_recorded", needs_input=True, fields=("receiving_setting_informed", "records_transferred", "reason"))
def handover_recorded(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    if data.get("receiving_setting_informed") or data.get("records_transferred") or data.get("reason"):
        return []
    return [
        Unmet(
            "handover",
            "Record the handover: the receiving setting was informed, the records were transferred, "
            "or the reason there is no handover.",
            "receiving_setting_informed",
        )
    ]


# --- facts -------------------------------------------------------------------------------------
@guard("some_content", needs_input=True)
def some_content(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    return [] if data else [Unmet("empty", "Fill in at least one field.")]


@guard("views_or_reason", needs_input=True, fields=("views", "not_obtained_reason"))
def views_or_reason(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    if data.get("views") or data.get("not_obtained_reason"):
        return []
    return [Unmet("views_or_reason", "Give the family's views, or the reason they could not be obtained.", "views")]


@guard("views_or_reason_not_both", needs_input=True, fields=("views", "not_obtained_reason"))
def views_or_reason_not_both(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    """Views obtained and a reason they could not be: one of the two is not so, and the review would read both."""
    if not (data.get("views") and data.get("not_obtained_reason")):
        return []
    message = "Give the family's views or why they could not be obtained, not both: if the views were obtained, leave this empty."
    return [Unmet("views_and_reason", message, "not_obtained_reason")]


def _pending(case: SupportCase, version: Any, kind: str | None = None) -> dict[str, Any] | None:
    for proposal in case.proposals():
        if proposal["id"] == version and proposal["decision"] is None and kind in (None, proposal["kind"]):
            return proposal
    return None


#: the kinds of contribution that answer a suspension or exclusion proposal, and so name it: the others (a social
#: care view, an agency's, the family's) are about the child, and a form for them asks for no proposal
ANSWERS_A_PROPOSAL = frozenset({"exclusion_view"})


@guard("exclusion_view_names_pending_proposal", needs_input=True, fields=("kind", "proposal"))
def exclusion_view_names_pending_proposal(
    case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str
) -> list[Unmet]:
    if data.get("kind") not in ANSWERS_A_PROPOSAL:
        return []
    if _pending(case, data.get("proposal")) is not None:
        return []
    return [
        Unmet(
            "proposal_not_pending",
            "An exclusion view must name a suspension or exclusion proposal still awaiting a decision.",
            "proposal",
        )
    ]


@guard("intervention_exists", needs_input=True, fields=("intervention",))
def intervention_exists(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    item = next((item for item in case.interventions() if item["id"] == data.get("intervention")), None)
    if item is None:
        return [Unmet("intervention_unknown", "Name an intervention planned on this case.", "intervention")]
    if item["status"] == ENDED_WITH_CASE:
        message = "That intervention ended when the case closed; plan a new one for the reopened case."
        return [Unmet("intervention_ended", message, "intervention")]
    return []


@guard("corrected_event_exists", needs_input=True, fields=("corrects",))
def corrected_event_exists(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    """Told on the field, in the words of the form's list (staff never see a version); the API's client reads the
    field and the code."""
    corrects = data.get("corrects")
    if isinstance(corrects, int) and not isinstance(corrects, bool) and 1 <= corrects <= case.version:
        return []
    return [Unmet("corrected_event_unknown", "Choose the entry to correct from this case's entries.", "corrects")]


# --- social workers before exclusions ------------------------------------------------------------
_KIND_OF_DECISION = {"decide_suspension": "suspension", "decide_exclusion": "exclusion"}


@guard("proposal_pending", needs_input=True, fields=("proposal",))
def proposal_pending(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    kind = _KIND_OF_DECISION.get(action)
    if _pending(case, data.get("proposal"), kind) is not None:
        return []
    message = f"Choose a {kind or 'suspension or exclusion'} proposal still awaiting a decision."
    return [Unmet("proposal_not_pending", message, "proposal")]


@guard(
    "social_worker_heard",
    needs_input=True,
    fields=("decision", "proposal", "override_reason", "notified_social_worker", "notified_virtual_school", "notified_la"),
)
def social_worker_heard(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    return _social_worker_heard(case, data, ctx, by_then=False)


@guard(
    "social_worker_heard_by_then",
    needs_input=True,
    fields=("decision", "proposal", "override_reason", "notified_social_worker", "notified_virtual_school", "notified_la"),
)
def social_worker_heard_by_then(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    """``support_journey@11``: the view counts if it was given by the day of the decision. A decision dated before the
    view (the head's "Date of the decision", the social worker's view given since) did not wait for it."""
    return _social_worker_heard(case, data, ctx, by_then=True)


def _social_worker_heard(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, by_then: bool) -> list[Unmet]:
    if data.get("decision") == "withdraw" or ctx.cohort_status is None:
        return []
    proposal = _pending(case, data.get("proposal"))
    if proposal is None:
        return []  # proposal_pending reports this
    decided_on = _day_it_happened(ctx) if by_then else None
    if any(
        view["role"] == "social_worker" and (decided_on is None or view.get("given_on", "") <= decided_on.isoformat())
        for view in proposal["views"]
    ):
        return []
    unticked = [name for name in _NOTIFIED if not data.get(name)]
    if not data.get("override_reason") and len(unticked) == len(_NOTIFIED):
        message = (
            "This pupil has, or has had, a social worker: wait for the social worker's view on this proposal, "
            "or record why the decision could not wait and that the social worker, the Virtual School and "
            "the local authority were notified."
        )
        return [Unmet("social_worker_view", message, "override_reason")]
    unmet = [
        Unmet("social_worker_view", f"Confirm that the {_NOTIFIED[name]} was notified of the decision without the view.", name)
        for name in unticked
    ]
    if not data.get("override_reason"):
        message = "Say why the decision could not wait for the social worker's view."
        unmet.insert(0, Unmet("social_worker_view", message, "override_reason"))
    return unmet


#: who must be told of a decision made without the social worker's view
_NOTIFIED = {
    "notified_social_worker": "social worker",
    "notified_virtual_school": "Virtual School",
    "notified_la": "local authority",
}


@guard("decision_gives_reasons", needs_input=True, fields=("decision", "reasons"))
def decision_gives_reasons(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    """The parents' notice gives the period and the reasons (domain facts, section 5), and the board and the
    auditor read them from the decision; withdrawing the proposal decides nothing to give reasons for."""
    if data.get("decision") == "withdraw" or str(data.get("reasons") or "").strip():
        return []
    kind = _KIND_OF_DECISION.get(action, "suspension or exclusion")
    message = f"Give the reasons for the {kind}: the notice to the parents must give them."
    return [Unmet("decision_reasons_missing", message, "reasons")]


def suspension_days(case: SupportCase, ctx: CaseContext, year: int) -> float:
    """Days of suspension decided for the pupil in the school year starting in ``year``."""
    total = float(ctx.other_suspension_days.get(year, 0))
    for proposal in case.proposals():
        decision = proposal["decision"]
        decided = proposal["kind"] == "suspension" and decision and decision.get("decision") == "suspend"
        if decided and school_year(date.fromisoformat(proposal["start_date"])) == year:
            total += days_counted(proposal)
    return total


@guard("suspension_limit", needs_input=True)
def suspension_limit(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    if data.get("decision") != "suspend":
        return []
    proposal = _pending(case, data.get("proposal"), "suspension")
    if proposal is None:
        return []
    start = date.fromisoformat(proposal["start_date"])
    already = suspension_days(case, ctx, school_year(start)) - sum(o.days for o in _recorded_as(ctx, start))
    return over_suspension_limit(already, float(proposal["days"]))


@guard("suspensions_do_not_overlap", needs_input=True)
def suspensions_do_not_overlap(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    """A pupil cannot be suspended twice on one day: a second suspension over days already decided (on
    any of their cases) is a mistyped date, or a duplicate that would count the same days twice towards
    the 45-day limit and the board's term totals."""
    if action == "decide_suspension":
        proposal = _pending(case, data.get("proposal"), "suspension") if data.get("decision") == "suspend" else None
        if proposal is None:
            return []
        start, days, field_name = proposal["start_date"], proposal["days"], "proposal"
    else:
        start, days, field_name = data.get("start_date"), data.get("days"), "start_date"
        if not start or days is None:
            return []
    calendar = ctx.school_calendar()
    wanted = days_away(date.fromisoformat(start), float(days), calendar)
    if wanted is None:
        return []
    for taken, where in _suspended_days(case, ctx, calendar, leaving_out=date.fromisoformat(start)):
        if wanted.overlaps(taken):
            message = (
                f"The pupil is already suspended {taken.text()} ({where}); this suspension would run {wanted.text()}. "
                "A suspension cannot cover a day already decided."
            )
            return [Unmet("overlaps_suspension", message, field_name)]
    return []


def _recorded_as(ctx: CaseContext, start: date) -> list[OtherSuspension]:
    """The MIS's record of a suspension beginning on ``start``: the school office may enter in the MIS the
    suspension a head is deciding on a case before the head records the decision. It is that suspension, not
    another (once decided on the case, the case's decision counts in its place)."""
    return [o for o in ctx.other_suspensions.values() if o.from_mis and o.start_date == start]


def _suspended_days(
    case: SupportCase, ctx: CaseContext, calendar: SchoolCalendar, leaving_out: date | None = None
) -> list[tuple[DaysAway, str]]:
    """The days of every suspension decided for the pupil (those served, if it was cancelled), and where;
    ``leaving_out``: the first day of the suspension being judged, whose MIS record is itself."""
    same = _recorded_as(ctx, leaving_out) if leaving_out else []
    found = []
    for proposal in decided(case.proposals()):
        start = date.fromisoformat(proposal["start_date"])
        if proposal["kind"] == "suspension" and (taken := days_away(start, days_counted(proposal), calendar)):
            found.append((taken, "decided on this case"))
    for other in ctx.other_suspensions.values():
        if other in same:
            continue
        if taken := days_away(other.start_date, other.days, calendar):
            found.append((taken, "recorded in the school's MIS" if other.from_mis else "decided on another of their cases"))
    return found


#: the guards that read the pupil's other cases, checked again in the append's transaction with the pupil
#: held: two heads deciding on two of a pupil's cases at once must not both pass
ACROSS_CASES = frozenset({"suspension_limit", "suspensions_do_not_overlap"})
#: rules that read the pupil's other open cases, checked again in the append's transaction for the same reason
OPEN_CASE_RULES = frozenset({"another_open_case_exists", "names_another_open_case"})


def over_suspension_limit(already: float, adds: float) -> list[Unmet]:
    """The limit's answer for ``already`` days decided in a school year and a decision adding ``adds``."""
    if already + adds <= SUSPENSION_DAYS_LIMIT:
        return []
    return [
        Unmet(
            "suspension_limit",
            f"A pupil may be suspended for at most {SUSPENSION_DAYS_LIMIT} school days in a school year: "
            f"{already:g} already this year, and this proposal adds {adds:g}.",
        )
    ]


def case_safeguards(case: SupportCase, ctx: CaseContext, today: date) -> Safeguards:
    """The pupil's suspension counters and what each decision on this case still owes."""
    return safeguards(case.proposals(), ctx.other_suspensions.values(), ctx.child, today, ctx.school_calendar())


def warnings(case: SupportCase, ctx: CaseContext, today: date) -> list[str]:
    """Things a head or DSL should know now, without blocking anything."""
    found = []
    days = suspension_days(case, ctx, school_year(today))
    if days >= SUSPENSION_DAYS_WARNING:
        found.append(f"{day_count(days)} of suspension this school year: the limit is {SUSPENSION_DAYS_LIMIT}.")
    for proposal in case.proposals():
        if proposal["decision"] is None and ctx.cohort_status and not proposal["views"]:
            found.append(f"The {proposal['kind']} from {long_date(proposal['start_date'])} awaits the social worker's view.")
        if proposal["decision"] is None and (start := date.fromisoformat(proposal["start_date"])) < today:
            called = _CALLED[proposal["kind"]]
            found.append(
                f"The {called} proposed to start on {long_date(start)} has not been decided, and that day has passed: "
                f"a {called} cannot start before it is decided. If the decision was made by then, record it and give "
                "the day it was made; if not, withdraw the proposal and propose new dates."
            )
    duty = case_file_duty(case, ctx)
    if duty is not None and not duty.sent:
        found.append(
            "The child protection file is not yet sent to the new setting"
            + (f": it is due by {long_date(duty.due_by)}." if duty.due_by else ".")
        )
    return found + owed_warnings(case_safeguards(case, ctx, today))


# --- after a decision ------------------------------------------------------------------------------
#: the date each action after a decision records
_AFTER_DECISION_DATE = {
    "cancel_decision": "cancelled_on",
    "record_decision_notice": "notified_on",
    "record_review_request": "requested_on",
    "record_board_review": "met_on",
}


def _decided(case: SupportCase, version: Any) -> Mapping[str, Any] | None:
    return next((p for p in decided(case.proposals()) if p["id"] == version), None)


@guard("names_decided_proposal", needs_input=True, fields=("proposal",))
def names_decided_proposal(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    if _decided(case, data.get("proposal")) is not None:
        return []
    return [
        Unmet(
            "no_such_decision",
            "Choose a suspension or exclusion the headteacher decided to carry out.",
            "proposal",
        )
    ]


@guard("dated_from_decision_to_today", needs_input=True, fields=("proposal", *_AFTER_DECISION_DATE.values()))
def dated_from_decision_to_today(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    proposal = _decided(case, data.get("proposal"))
    text = data.get(_AFTER_DECISION_DATE.get(action, ""))
    if proposal is None or not text:
        return []
    day = date.fromisoformat(text)
    decided_on = date.fromisoformat(proposal["decision"]["decided_on"])
    name = _AFTER_DECISION_DATE[action]
    if day < decided_on:
        return [Unmet("before_decision", f"The date cannot be before the decision, on {long_date(decided_on)}.", name)]
    if ctx.today is not None and day > ctx.today:
        return [Unmet("date_in_future", "The date cannot be in the future.", name)]
    return []


@guard("not_cancelled", needs_input=True, fields=("proposal",))
def not_cancelled(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    proposal = _decided(case, data.get("proposal"))
    if proposal is None or proposal["cancelled"] is None:
        return []
    message = f"This {proposal['kind']} was cancelled on {long_date(proposal['cancelled']['cancelled_on'])}."
    return [Unmet("already_cancelled", message, "proposal")]


@guard("days_served_within", needs_input=True, fields=("proposal", "days_served"))
def days_served_within(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    """A suspension's days served: given, whole or half days, none before it began, no more than decided.
    An exclusion has no days to count."""
    proposal = _decided(case, data.get("proposal"))
    served = data.get("days_served")
    if proposal is None:
        return []
    if proposal["kind"] == "exclusion":
        if served:
            message = "A permanent exclusion has no days to count: leave days served empty."
            return [Unmet("no_days_for_exclusion", message, "days_served")]
        return []
    if not isinstance(served, int | float):
        message = "Say how many school days of the suspension were served (0 if it had not begun)."
        return [Unmet("days_served_needed", message, "days_served")]
    if served > float(proposal["days"]):
        return [
            Unmet(
                "served_too_many",
                f"The suspension was of {day_count(proposal['days'])}: no more can have been served.",
                "days_served",
            )
        ]
    if not float(served * 2).is_integer():
        return [Unmet("half_days", "A suspension is of whole school days, or half a day for a lunchtime.", "days_served")]
    cancelled_on = data.get("cancelled_on")
    if served > 0 and isinstance(cancelled_on, str) and cancelled_on < proposal["start_date"]:
        start = long_date(proposal["start_date"])
        message = f"The suspension was to begin on {start}: no days had been served when it was cancelled."
        return [Unmet("not_begun", message, "days_served")]
    return []


@guard("whole_or_half_days", needs_input=True, fields=("days",))
def whole_or_half_days(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    days = data.get("days")
    if not isinstance(days, int | float) or float(days * 2).is_integer():
        return []
    return [Unmet("half_days", "A suspension is of whole school days, or half a day for a lunchtime.", "days")]


@guard("board_may_direct_reinstatement", needs_input=True)
def board_may_direct_reinstatement(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    proposal = _decided(case, data.get("proposal"))
    if data.get("outcome") != "reinstate" or proposal is None:
        return []
    found = case_safeguards(case, ctx, date.fromisoformat(proposal["decision"]["decided_on"]))
    duty = next(d.duty for d in found.decisions if d.proposal == proposal["id"])
    if duty.may_reinstate:
        return []
    return [Unmet("board_cannot_reinstate", f"{duty.text} Record the outcome as representations considered.")]


# --- the child protection file when a child leaves (KCSIE) --------------------------------------------
_FILE_EVENTS = tuple(EVENT_KINDS)


def case_file_duty(case: SupportCase, ctx: CaseContext) -> FileDuty | None:
    """What the case's prepared move owes of the child protection file, in the school's own days."""
    return file_duty(case_file_facts(case.facts), case.state, ctx.school_calendar())


@guard("moving_to_another_setting", reads=_FILE_EVENTS)
def moving_to_another_setting(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    if file_duty(case_file_facts(case.facts), case.state) is not None:
        return []
    return [
        Unmet(
            "not_moving",
            "Prepare a transition to another setting first (a phase change, a school move or post-16); "
            "a step-down keeps the child's file here.",
        )
    ]


@guard("transition_date_near", needs_input=True)
def transition_date_near(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    text = data.get("date")
    if not text or ctx.today is None:
        return []
    day, today = date.fromisoformat(text), ctx.today
    if today - timedelta(days=366) <= day <= today + timedelta(days=731):
        return []
    return [Unmet("transition_date", "The transition date must be within a year before today and two years after.", "date")]


@guard("starts_on_a_school_day", needs_input=True)
def starts_on_a_school_day(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    """A suspension or exclusion runs in school days from its first: a weekend, a holiday or a closure day
    (where the school has set its term dates) is a mistyped date."""
    text = data.get("start_date")
    if not text:
        return []
    day = date.fromisoformat(text)
    if day.weekday() >= 5:
        return [Unmet("not_a_school_day", f"{long_date(day)} is a {day:%A}; it must start on a school day.", "start_date")]
    if ctx.school_calendar().is_school_day(day) is False:
        message = f"The school is closed on {long_date(day)}, by its term dates; it must start on a school day."
        return [Unmet("not_a_school_day", message, "start_date")]
    return []


@guard("marks_on_school_days", needs_input=True, fields=("marks",))
def marks_on_school_days(record: Any, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    """Attendance marks feed the persistent and severe absence figures: a mark is of a session held, so none is
    after today, on a weekend, or (by the school's term dates) counted on a day the school was closed. One
    requirement a day, naming it, for every such day at once."""
    codes: dict[date, list[str]] = {}
    for day, _session, code in data.get("marks") or []:
        codes.setdefault(day if isinstance(day, date) else date.fromisoformat(day), []).append(code)
    found = [(day, day_problem(day, codes[day], ctx.today, ctx.school_calendar())) for day in sorted(codes)]
    return [Unmet(problem[0], problem[1], "marks") for _day, problem in found if problem is not None]


#: the oldest pupil Caseflow keeps a record for: the SEND Code of Practice runs from 0 to 25, and a child
#: protection file is reviewed 25 years from the date of birth (domain facts, retention)
OLDEST_PUPIL_YEARS = 25
OLDEST_PUPIL_DAYS = 366 * OLDEST_PUPIL_YEARS

#: each action's dates and how many days before and after today they may fall (None: not bounded here);
#: a year mistyped (1026 for 2026, 9999) otherwise dates a suspension, a review or a meeting nowhere near now
_DATE_WINDOWS: dict[str, dict[str, tuple[int | None, int | None]]] = {
    "propose_suspension": {"start_date": (366, 366)},
    "propose_exclusion": {"start_date": (366, 366)},
    "plan_intervention": {"review_date": (366, 731)},
    "continue_intervention": {"review_date": (366, 731)},
    "record_meeting": {"date": (366, 0)},
    # a day after today is ``not_in_the_future``'s to tell, as the contact's
    "log_family_contact": {"date": (366, None)},
    # a pupil's record: ``not_in_the_future`` says so of a date after today
    "record_behaviour_incident": {"date": (OLDEST_PUPIL_DAYS, None)},
    "record_send_status": {"since": (OLDEST_PUPIL_DAYS, None)},
    "record_wellbeing": {"administered_on": (OLDEST_PUPIL_DAYS, None)},
    "record_questionnaire": {"administered_on": (OLDEST_PUPIL_DAYS, None)},
    # as the MIS recorded it: one from years back, or one decided today that starts after the weekend
    "record_suspension": {"start_date": (OLDEST_PUPIL_DAYS, 366)},
}


@guard("date_in_range", needs_input=True)
def date_in_range(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    if ctx.today is None:
        return []
    unmet = []
    for name, (before, after) in _DATE_WINDOWS.get(action, {}).items():
        if not data.get(name):
            continue
        day = date.fromisoformat(data[name])
        earliest = ctx.today - timedelta(days=before) if before is not None else date.min
        latest = ctx.today + timedelta(days=after) if after is not None else date.max
        if earliest <= day <= latest:
            continue
        if after == 0 and day > latest:
            message = "The date cannot be in the future."
            code = "date_in_future"
        elif day < earliest:
            message, code = f"The date cannot be before {long_date(earliest)}; check the year.", "date_out_of_range"
        else:
            message, code = f"The date cannot be after {long_date(latest)}; check the year.", "date_out_of_range"
        unmet.append(Unmet(code, message, name))
    return unmet


#: what a proposal or decision's kind is called in a sentence
_CALLED = {"suspension": "suspension", "exclusion": "permanent exclusion"}
_KIND_OF_PROPOSAL = {"propose_suspension": "suspension", "propose_exclusion": "exclusion"}


def _day_it_happened(ctx: CaseContext) -> date | None:
    return ctx.occurred_on or ctx.today


@guard("starts_from_its_proposal", needs_input=True, fields=("start_date",))
def starts_from_its_proposal(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    """A suspension or exclusion proposed to start on a day already gone could not then be decided (it cannot start
    before it is decided): most often a slip of the month. One proposed on an earlier day and recorded now gives that
    day. A start a year or more back is ``date_in_range``'s to tell ("check the year"), once."""
    text, proposed_on = data.get("start_date"), _day_it_happened(ctx)
    if not text or proposed_on is None:
        return []
    start = date.fromisoformat(text)
    before, _ = _DATE_WINDOWS.get(action, {}).get("start_date", (None, None))
    if start >= proposed_on or (before is not None and ctx.today and start < ctx.today - timedelta(days=before)):
        return []
    message = (
        f"A {_CALLED[_KIND_OF_PROPOSAL[action]]} cannot start before it is proposed: the start date is {long_date(start)} "
        f"and the proposal is dated {long_date(proposed_on)}. If it was proposed earlier, give the day it was proposed."
    )
    return [Unmet("starts_before_proposed", message, "start_date")]


@guard("starts_from_its_decision", needs_input=True, fields=("decision", "proposal"))
def starts_from_its_decision(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    """A pupil is not suspended or excluded before the head decides it, and the days before would count towards the
    limits as if served. The decision's day is when it happened: a head recording one made earlier gives that day
    (domain facts, section 5: the notices follow the decision). Withdrawing a proposal starts nothing."""
    kind = _KIND_OF_DECISION.get(action)
    proposal = _pending(case, data.get("proposal"), kind) if data.get("decision") not in (None, "withdraw") else None
    decided_on = _day_it_happened(ctx)
    if proposal is None or decided_on is None:
        return []
    start = date.fromisoformat(proposal["start_date"])
    if start >= decided_on:
        return []
    message = (
        f"A {_CALLED[proposal['kind']]} cannot start before it is decided: the start date is {long_date(start)} and the "
        f"decision is dated {long_date(decided_on)}. If the decision was made earlier, give the day it was made."
    )
    return [Unmet("starts_before_decided", message, "proposal")]


def _proposed_on(proposal: Mapping[str, Any]) -> date:
    return date.fromisoformat(proposal["proposed_on"])


@guard("decided_from_its_proposal", needs_input=True, fields=("proposal",))
def decided_from_its_proposal(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    """A decision answers its proposal, so it is not made before it: a date before it is a slip of the box, and the
    record would have the head decide what nobody had yet proposed (a withdrawal no less). Told on the date given."""
    proposal = _pending(case, data.get("proposal"), _KIND_OF_DECISION.get(action))
    decided_on = _day_it_happened(ctx)
    if proposal is None or decided_on is None or decided_on >= _proposed_on(proposal):
        return []
    message = f"The decision cannot be dated before the proposal: it was proposed on {long_date(_proposed_on(proposal))}."
    return [Unmet("decided_before_proposed", message, "occurred_at")]


@guard("viewed_from_its_proposal", needs_input=True, fields=("kind", "proposal"))
def viewed_from_its_proposal(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    """A view on a proposal answers it, so it is given once the proposal is made; one dated before would count as the
    social worker heard on something they had not seen. Only the API can date it (its ``occurred_at``)."""
    proposal = _pending(case, data.get("proposal")) if data.get("kind") in ANSWERS_A_PROPOSAL else None
    given_on = _day_it_happened(ctx)
    if proposal is None or given_on is None or given_on >= _proposed_on(proposal):
        return []
    message = f"The view cannot be dated before the proposal it answers: it was proposed on {long_date(_proposed_on(proposal))}."
    return [Unmet("viewed_before_proposed", message, "occurred_at")]


@guard("review_date_not_past", needs_input=True, fields=("review_date",))
def review_date_not_past(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    """A review planned for a day already gone is overdue the moment it is recorded, and the due list then shows a
    review nobody could have held. A date a year or more back is ``date_in_range``'s to tell ("check the year"), once."""
    text = data.get("review_date")
    if not text or ctx.today is None:
        return []
    day = date.fromisoformat(text)
    before, _ = _DATE_WINDOWS.get(action, {}).get("review_date", (None, None))
    if day >= ctx.today or (before is not None and day < ctx.today - timedelta(days=before)):
        return []
    return [Unmet("review_date_past", "The review date must be today or later", "review_date")]


#: how far ahead a review may be planned: reviews are held termly, or at least three times a year (domain facts, section 7)
REVIEW_AHEAD_DAYS = 365


@guard("review_within_a_year", needs_input=True, fields=("review_date",))
def review_within_a_year(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    """A review more than a year away leaves the intervention unreviewed for longer than any cadence the guidance
    knows, and the due list quiet all that time. A date two years or more on is ``date_in_range``'s to tell ("check
    the year"), once."""
    text = data.get("review_date")
    if not text or ctx.today is None:
        return []
    day, latest = date.fromisoformat(text), ctx.today + timedelta(days=REVIEW_AHEAD_DAYS)
    _, after = _DATE_WINDOWS.get(action, {}).get("review_date", (None, None))
    if day <= latest or (after is not None and day > ctx.today + timedelta(days=after)):
        return []
    message = (
        "The review date is more than a year away: reviews are held termly, or at least three times a year. "
        f"Give a date no later than {long_date(latest)}."
    )
    return [Unmet("review_too_far", message, "review_date")]


@guard("names_the_receiving_setting", needs_input=True, fields=("kind", "receiving_setting"))
def names_the_receiving_setting(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    """A move to another setting names it: the child protection file is owed to it (KCSIE)."""
    if data.get("kind") not in MOVES or data.get("receiving_setting"):
        return []
    return [Unmet("no_receiving_setting", "Name the setting the child is moving to.", "receiving_setting")]


@guard("file_sent_before_closing", reads=_FILE_EVENTS)
def file_sent_before_closing(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    """A child leaving for another setting: the case closes once the child protection file has gone (its
    receipt may be confirmed after)."""
    duty = file_duty(case_file_facts(case.facts), case.state)
    if duty is None or duty.sent:
        return []
    return [Unmet("file_not_sent", "Record that the child protection file was sent to the new setting first (KCSIE).")]


@guard("sent_separately", needs_input=True, fields=("sent_separately",))
def sent_separately(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    if data.get("sent_separately") is True:
        return []
    return [
        Unmet("not_separate", "The child protection file must go separately from the main pupil file (KCSIE).", "sent_separately")
    ]


#: each action's dates that cannot be after today
_NOT_FUTURE = {
    "record_file_transfer": ("sent_on",),
    "record_file_receipt": ("received_on",),
    "register_pupil": ("date_of_birth", "on_roll_from"),
    "update_pupil_details": ("date_of_birth",),
    "record_send_status": ("since",),
    "record_behaviour_incident": ("date",),
    "record_wellbeing": ("administered_on",),
    "record_questionnaire": ("administered_on",),
    "log_family_contact": ("date",),
}
#: what a date that cannot be after today is called in its refusal, where "the date" says too little: (action, field)
_DATE_CALLED = {
    ("log_family_contact", "date"): "The contact date",
    ("register_pupil", "on_roll_from"): "The day the pupil joined the school",
}


@guard("not_in_the_future", needs_input=True)
def not_in_the_future(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    if ctx.today is None:
        return []
    return [
        Unmet("date_in_future", f"{_DATE_CALLED.get((action, name), 'The date')} cannot be in the future.", name)
        for name in _NOT_FUTURE.get(action, ())
        if data.get(name) and date.fromisoformat(data[name]) > ctx.today
    ]


@guard("born_within_25_years", needs_input=True)
def born_within_25_years(record: Any, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    """A year mistyped (1015 for 2015) would put the pupil past retention the day they are registered."""
    born = data.get("date_of_birth")
    if not born or ctx.today is None or date.fromisoformat(born) >= years_before(ctx.today, OLDEST_PUPIL_YEARS):
        return []
    message = "A date of birth more than 25 years ago is past the age Caseflow's records cover; check the year."
    return [Unmet("born_too_long_ago", message, "date_of_birth")]


@guard("joined_after_birth", needs_input=True, fields=("on_roll_from", "date_of_birth"))
def joined_after_birth(record: Any, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    """A day of joining before the date of birth is a year mistyped in one of the two."""
    joined, born = data.get("on_roll_from"), data.get("date_of_birth")
    if not joined or not born or joined >= born:
        return []
    message = f"The pupil cannot have joined the school before they were born ({long_date(born)})."
    return [Unmet("joined_before_birth", message, "on_roll_from")]


@guard("sent_since_the_move_was_prepared", needs_input=True)
def sent_since_the_move_was_prepared(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    """A sending is for this move: not dated before the day the move was recorded."""
    prepared = next((f for f in reversed(case.facts) if f.event_type == "TransitionPrepared"), None)
    text = data.get("sent_on")
    if prepared is None or not text:
        return []
    recorded_on = london_date(prepared.occurred_at)
    if date.fromisoformat(text) >= recorded_on:
        return []
    return [
        Unmet(
            "before_move", f"The file cannot have been sent before the move was recorded, on {long_date(recorded_on)}.", "sent_on"
        )
    ]


@guard("sent_to_the_receiving_setting", needs_input=True, reads=("TransitionPrepared", "CorrectionRecorded"),
       fields=("receiving_setting",))  # fmt: skip
def sent_to_the_receiving_setting(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    """The file goes to the setting the child moves to, which the transition names: another name is most likely
    a slip, and a file sent to the wrong school is a child's safeguarding history lost (or disclosed). Case,
    spacing and punctuation are how people write a name; anything else is another setting. A transition that
    has been corrected no longer binds the name (a correction is free text, so the DSL's sending says where)."""
    named, sent_to = named_setting(case.facts), data.get("receiving_setting")
    if named is None or named.corrected or not isinstance(sent_to, str) or same_setting(named.name, sent_to):
        return []
    message = (
        f"The transition names {named.name} as the receiving setting. Send the file there, or correct the transition "
        f"first (“Correct an earlier entry”: {_the_transition(named)})."
    )
    return [Unmet("not_the_receiving_setting", message, "receiving_setting")]


def _the_transition(named: NamedSetting) -> str:
    """The transition as the correction form's list of entries names it: by when it happened."""
    return f"the transition of {long_time(named.happened_at)}" if named.happened_at else "the transition"


@guard("a_sending_awaits_confirmation")
def a_sending_awaits_confirmation(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    duty = file_duty(case_file_facts(case.facts), case.state)
    if duty is not None and any(s.received is None for s in duty.sendings):
        return []
    return [Unmet("nothing_sent", "Record that the file was sent first; its receipt is confirmed against that sending.")]


def _confirmed_already(received: FileFact) -> str:
    """A receipt confirmed already, by the day it arrived and who confirmed it, as the case page says it."""
    told = [f"it arrived on {long_date(received.day)}"] if received.day else []
    by = received.extra.get("confirmed_by")
    told += [f"confirmed by {by}"] if isinstance(by, str) and by else []
    return f"Its receipt was already confirmed: {', '.join(told)}." if told else "Its receipt was already confirmed."


@guard("names_unconfirmed_transfer", needs_input=True, fields=("transfer",))
def names_unconfirmed_transfer(case: SupportCase, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    duty = file_duty(case_file_facts(case.facts), case.state)
    sending = next((s for s in duty.sendings if s.version == data.get("transfer")), None) if duty else None
    if sending is None:
        return [Unmet("no_such_transfer", "Choose a sending of the file for this move.", "transfer")]
    if sending.received is not None:
        return [Unmet("already_confirmed", _confirmed_already(sending.received), "transfer")]
    received = data.get("received_on")
    if received and date.fromisoformat(received) < sending.sent_on:
        return [
            Unmet("before_sent", f"It cannot have arrived before it was sent, on {long_date(sending.sent_on)}.", "received_on")
        ]
    return []


# --- pupil records ---------------------------------------------------------------------------------
@guard("upn_unused")
def upn_unused(record: Any, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    return [Unmet("upn_taken", "A pupil with this UPN is already registered.", "upn")] if ctx.upn_taken else []


@guard("episode_dates_in_order", needs_input=True)
def episode_dates_in_order(record: Any, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    if data.get("end_date") and data.get("start_date") and data["end_date"] < data["start_date"]:
        return [Unmet("episode_dates", "The end date cannot be before the start date.", "end_date")]
    return []


@guard("category_only_on_cp", needs_input=True)
def category_only_on_cp(record: Any, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    if data.get("category") and data.get("plan") != "cp":
        return [Unmet("category_not_cp", "A category of abuse applies to child protection plans only.", "category")]
    return []


@guard("days_of_a_suspension", needs_input=True, fields=("kind", "days"))
def days_of_a_suspension(record: Any, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    """A suspension recorded from the MIS is of whole school days, or half a day for a lunchtime; a
    permanent exclusion has no number of days."""
    days = data.get("days")
    if data.get("kind") == "permanent_exclusion":
        if days is None:
            return []
        return [Unmet("exclusion_days", "A permanent exclusion has no number of days; leave the days empty.", "days")]
    if data.get("kind") != "suspension":
        return []
    if days is None:
        return [Unmet("suspension_days", "Enter the suspension's school days (half a day for a lunchtime).", "days")]
    if isinstance(days, int | float) and not float(days * 2).is_integer():
        return [Unmet("half_days", "A suspension is of whole school days, or half a day for a lunchtime.", "days")]
    return []


@guard("social_worker_has_account", needs_input=True, fields=("social_worker",))
def social_worker_has_account(record: Any, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    """The social worker named on a plan is allocated to the pupil and its cases, and only their view lets a
    case move to the multi-agency review: a name that is no social worker's account allocates nobody, and the
    case would wait for a view that no one can give."""
    named = data.get("social_worker")
    if not named or ctx.social_worker_accounts is None or named in ctx.social_worker_accounts():
        return []
    message = (
        f"“{named}” is not the username of a social worker in Caseflow: choose the pupil's social worker from those "
        "with an account (if theirs is not there, ask the administrator to add it)."
    )
    return [Unmet("social_worker_unknown", message, "social_worker")]


@guard("episode_running", needs_input=True)
def episode_running(record: Any, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    """Each problem on the field it is about, for the form to show it there, not only in its summary."""
    for episode in record.episodes:
        if episode.id == data.get("episode"):
            if episode.end_date is not None:
                return [Unmet("episode_ended", "That plan has already ended.", "episode")]
            if data.get("end_date") and data["end_date"] < episode.start_date.isoformat():
                return [Unmet("episode_dates", "The end date cannot be before the plan started.", "end_date")]
            return []
    return [Unmet("episode_unknown", "Name a plan recorded for this pupil.", "episode")]


@guard("teacher_assigned", needs_input=True)
def teacher_assigned(record: Any, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    if data.get("teacher") in record.teachers:
        return []
    return [Unmet("teacher_not_assigned", "That teacher is not assigned to this pupil.")]


@guard("sdq_scores_valid", needs_input=True)
def sdq_scores_valid(record: Any, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    try:
        sdq.from_scale_scores(data.get("informant", ""), {s: data.get(s) for s in sdq.SCALES if s in data}, data.get("impact"))
    except sdq.SdqError as error:
        return [Unmet("sdq_scores", str(error).capitalize() + ".")]
    return []


@guard("questionnaire_scores_valid", needs_input=True)
def questionnaire_scores_valid(record: Any, data: Mapping[str, Any], ctx: CaseContext, action: str) -> list[Unmet]:
    """Scores must fit a scale the questionnaire's configuration declares."""
    config = QUESTIONNAIRES.get(data.get("questionnaire", ""))
    if config is None:
        return [Unmet("questionnaire_unknown", "That questionnaire is not configured.")]
    if not config.get("configured"):
        return [
            Unmet(
                "questionnaire_not_configured",
                f"The scoring of the {config['label']} has not been configured yet: "
                "add its scales from the published form first.",
            )
        ]
    scale = config["scales"].get(data.get("scale"))
    if scale is None:
        return [Unmet("questionnaire_scale", f"Choose one of its scales: {', '.join(config['scales'])}.")]
    if not scale["min"] <= data.get("score", scale["min"] - 1) <= scale["max"]:
        return [Unmet("questionnaire_score", f"The {data['scale']} score runs from {scale['min']} to {scale['max']}.")]
    return []
