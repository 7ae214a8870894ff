"""Case use cases: open, act, read and replay, each checked then appended in one step.

Order of refusal for an action: not visible (404), role (403), stale version
(409), invalid data (422), unmet guards (422). Every attempt, allowed or
refused, is written to the access log; only allowed ones reach the case stream.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any, TypeVar

from caseflow.domain.case import TO_STATE, Fact, SupportCase
from caseflow.domain.dates import EARLIEST_YEAR, early_date_problem
from caseflow.domain.errors import (
    CaseflowError,
    ConcurrencyConflict,
    GuardFailed,
    InvalidData,
    NotFound,
    NotPermitted,
    RecordedAlready,
    SecondOpenCase,
    Unmet,
)
from caseflow.domain.events import LONDON, ChainReport, NewEvent, StoredEvent, london_date, long_date, now_utc, utc
from caseflow.domain.exclusions import Child, OtherSuspension, Safeguards, by_school_year, care_spell
from caseflow.domain.fields import validate_partly
from caseflow.domain.file_transfer import FileDuty
from caseflow.domain.guards import (
    ACROSS_CASES,
    GUARDS,
    OPEN_CASE_RULES,
    CaseContext,
    case_file_duty,
    case_safeguards,
    warnings,
)
from caseflow.domain.pupil import Pupil
from caseflow.domain.roles import Actor, Role
from caseflow.domain.workflow import ActionStatus, Workflow, with_rules
from caseflow.services.access import SCHOOL_CASE_ROLES, Principal, case_roles, choose_role, opening_roles, scope_for
from caseflow.services.ports import AccessLog, AlsoWrite, EventStore, ReadModels
from caseflow.services.repeats import UNCONFIRMED, refuse_unconfirmed_repeat
from caseflow.services.streams import (
    CASE,
    load_case,
    load_case_and_pupil,
    load_cases,
    load_pupil,
    plausible_id,
    snapshot_if_due,
)

#: roles that may check a case's hash chain
VERIFIERS = frozenset({Role.AUDITOR, Role.DSL, Role.HEADTEACHER})
#: cases whose pupil a process remembers (about 200 bytes each)
PUPIL_OF_CACHE_SIZE = 50_000
#: no child's support happened before this; earlier instants are typing slips (and before the year
#: 1000 they would not keep their fixed text form on SQLite)
EARLIEST_OCCURRED_YEAR = EARLIEST_YEAR
#: the time of day a day given alone (a decision recorded days after it was made) is placed at, in England: in the
#: middle of the day, so no change of the clocks moves it into another
DAY_PLACED_AT = time(12)
K = TypeVar("K")
V = TypeVar("V")


class ReadOnDemand(Mapping[K, V]):
    """A read model's answer, fetched the first time a rule looks: only the suspension and exclusion
    rules read a pupil's other suspensions, so most actions are spared the query."""

    def __init__(self, read: Callable[[], Mapping[K, V]]) -> None:
        self._read = read
        self._found: Mapping[K, V] | None = None

    def _values(self) -> Mapping[K, V]:
        if self._found is None:
            self._found = self._read()
        return self._found

    def __getitem__(self, key: K) -> V:
        return self._values()[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._values())

    def __len__(self) -> int:
        return len(self._values())


@dataclass(frozen=True, slots=True)
class CaseView:
    """A case as one principal may see it now."""

    case: SupportCase
    pupil: Pupil
    roles: frozenset[str]
    actions: list[ActionStatus]
    warnings: list[str]
    #: the pupil's suspension counters and what each decision on this case still owes
    safeguards: Safeguards
    #: the whole history, for the timeline
    events: list[StoredEvent]
    #: the child protection file a move to another setting owes (None: no such move)
    file: FileDuty | None = None
    #: the pupil's other cases not closed (case_id, state, opened_on: the day in England), oldest first
    other_open_cases: list[dict[str, Any]] = field(default_factory=list)
    #: while this case is closed into another of the pupil's cases: that case (case_id, state, opened_on) and the
    #: closing (closed_on, closed_by, note)
    closed_into: dict[str, Any] | None = None
    #: the pupil's needs raised again and closed into this case, oldest first: who raised each and when, its need
    #: areas and description (the concern stays in front of whoever works on this case), and the closing
    closed_into_this: list[dict[str, Any]] = field(default_factory=list)
    #: every case this one was ever closed into, by id, as people know it (case_id, state now, opened_on): the
    #: timeline links each closing to its case rather than showing the id
    named_cases: dict[str, dict[str, Any]] = field(default_factory=dict)


class CaseService:
    def __init__(
        self,
        store: EventStore,
        reads: ReadModels,
        audit: AccessLog,
        workflow: Workflow,
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        self.store = store
        self.reads = reads
        self.audit = audit
        self.workflow = workflow
        self.clock = clock
        self._pupil_of: dict[str, str] = {}

    # --- loading --------------------------------------------------------------------------------
    def _case(self, case_id: str, upto_version: int | None = None, as_of: datetime | None = None) -> SupportCase:
        return load_case(self.store, case_id, upto_version, as_of)

    def pupil(self, pupil_id: str) -> Pupil:
        return load_pupil(self.store, pupil_id)

    def context(self, case: SupportCase, pupil: Pupil, today: date) -> CaseContext:
        others: ReadOnDemand[tuple[str, int], OtherSuspension] = ReadOnDemand(
            lambda: self.reads.other_suspensions(pupil.id, exclude_case=case.id)
        )
        return CaseContext(
            pupil_in_school=True,
            cohort_status=pupil.cohort_status(today),
            open_plan=pupil.open_plan(today),
            allocated_social_workers=pupil.allocated_social_workers(today),
            other_suspension_days=ReadOnDemand(lambda: by_school_year(others.values())),
            other_suspensions=others,
            child=Child(tuple(pupil.episodes), tuple(care_spell(recorded) for recorded in pupil.care_history)),
            today=today,
            school_calendar=functools.cache(lambda: self.reads.school_calendar(case.school_urn or "")),
            other_open_cases=ReadOnDemand(lambda: {c["case_id"]: c for c in self._open_cases(pupil.id, leaving_out=case.id)}),
        )

    def problems_besides(
        self,
        view: CaseView,
        action: str,
        data: Mapping[str, Any],
        wrong: Collection[str],
        occurred_at: datetime | date | None = None,
    ) -> dict[str, list[str]]:
        """For a form its page refused before the rules saw it (``wrong``: values the page could not read):
        what its other values break, so every problem is told at once (judged as of ``occurred_at``, when the form
        says it happened, if it says). Nothing is written, nor logged (the page's refusal is no attempt at the action)."""
        spec = self.workflow.action(action)
        given = {name: value for name, value in data.items() if name not in wrong}
        clean, errors = validate_partly(spec.fields, given)
        ctx = self.context(view.case, view.pupil, london_date(self.clock()))
        if occurred_at is not None:
            ctx = replace(ctx, occurred_on=london_date(occurred_at) if isinstance(occurred_at, datetime) else occurred_at)
        unread = {**errors, **{name: ["unread"] for name in wrong}}
        found = with_rules(errors, self.workflow.rules_on_values(view.case, spec, clean, unread, ctx))
        return {name: messages for name, messages in found.items() if name not in wrong}

    def _case_and_pupil(self, case_id: str) -> tuple[SupportCase, Pupil]:
        """The case and its pupil: one round trip once this process has seen the case (its pupil is
        set by the event that opens it and never changes, so remembering it is safe)."""
        pupil_id = self._pupil_of.get(case_id)
        if pupil_id is not None:
            try:
                case, pupil = load_case_and_pupil(self.store, case_id, pupil_id)
                if case.pupil_id == pupil_id:
                    return case, pupil
            except NotFound:
                pass
            del self._pupil_of[case_id]
        case = self._case(case_id)
        pupil = self.pupil(case.pupil_id or "")
        if len(self._pupil_of) >= PUPIL_OF_CACHE_SIZE:
            self._pupil_of.clear()
        self._pupil_of[case_id] = pupil.id
        return case, pupil

    def _visible(self, principal: Principal, case_id: str, action: str) -> tuple[SupportCase, Pupil, frozenset[str]]:
        """Load a case the principal may see, or log the attempt and answer 404."""
        try:
            case, pupil = self._case_and_pupil(case_id)
        except NotFound:
            self._log(principal.username, None, action, "not_found", case_id=case_id if plausible_id(case_id) else None)
            raise
        assert case.school_urn is not None
        social_workers = pupil.allocated_social_workers(london_date(self.clock()))
        roles = case_roles(principal, scope_for(principal, case.school_urn, social_workers, self.reads.school_la))
        if not roles:
            self._log(principal.username, None, action, "not_found", case_id=case_id)
            raise NotFound("no such case")
        return case, pupil, roles

    # --- reading --------------------------------------------------------------------------------
    def view(self, principal: Principal, case_id: str, *, logged: bool = True) -> CaseView:
        """The case with the actions this principal may take now; the view is logged, unless the caller
        logs it itself once it knows the case is shown (``log_view``): a form sent successfully shows
        nothing, and the action's own line records it."""
        case, pupil, roles = self._visible(principal, case_id, "view")
        today = london_date(self.clock())
        others = self._open_cases(pupil.id, leaving_out=case.id)  # shown on the page: read now, once
        ctx = replace(self.context(case, pupil, today), other_open_cases=frozenset(c["case_id"] for c in others))
        events = self.store.load(case_id)
        named = self._cases_closed_into(case)
        view = CaseView(
            case,
            pupil,
            roles,
            self.workflow.available(case, roles, ctx),
            warnings(case, ctx, today),
            case_safeguards(case, ctx, today),
            events,
            case_file_duty(case, ctx),
            others,
            self._closed_into(case, named),
            self._closed_into_this(case),
            named,
        )
        if logged:
            self.log_view(principal, view)
        return view

    def waiting_for_social_care_view(self, username: str, cases: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Of the cases listed for a social worker (rows with each case's id and step): those that cannot take
        their next step until the allocated social worker, this one, adds a social care view (the rule before
        the multi-agency review), each with ``waits``, the label of the action that waits. Only a case at a step
        such an action leaves is read, as the case page reads it (not logged: nothing of it is shown but that
        it waits, as the list already shows the case); the others cannot be waiting."""
        waiting: dict[str, list[Any]] = {}
        for spec in self.workflow.actions.values():
            if "social_care_contributed" in spec.guards:
                for step in spec.sources:
                    waiting.setdefault(step, []).append(spec)
        today = london_date(self.clock())
        found = []
        for row in cases:
            if row["state"] not in waiting:
                continue
            case, pupil = self._case_and_pupil(row["case_id"])
            ctx = self.context(case, pupil, today)
            if username not in ctx.allocated_social_workers:
                continue
            for spec in waiting.get(case.state or "", []):
                unmet = self.workflow.check(case, spec, {}, ctx, with_input=False)
                if any(u.code == "social_care_view" for u in unmet):
                    found.append({"case_id": case.id, "waits": spec.label})
                    break
        return found

    def _cases_closed_into(self, case: SupportCase) -> dict[str, dict[str, Any]]:
        """Each case this one was ever closed into (once reopened, it may have been closed into another since), as
        people know it: its step now and the day it opened."""
        found: dict[str, dict[str, Any]] = {}
        for closing in case.facts_of("CaseClosedIntoOther"):
            other_id = closing.data.get("other_case")
            if not isinstance(other_id, str) or other_id in found:
                continue
            try:
                other = load_case(self.store, other_id)
            except NotFound:
                continue
            if (opened := other.opened) is not None:
                found[other_id] = {"case_id": other.id, "state": other.state, "opened_on": london_date(opened.occurred_at)}
        return found

    def _closed_into(self, case: SupportCase, named: Mapping[str, dict[str, Any]]) -> dict[str, Any] | None:
        """The case this one was closed into (of those ``named``), as people know it, with the closing."""
        other_id, closing = case.closed_into(), case.closing()
        if other_id is None or closing is None or other_id not in named:
            return None
        return {**named[other_id], **_closing(closing)}

    def _closed_into_this(self, case: SupportCase) -> list[dict[str, Any]]:
        """The pupil's closed cases that were closed into this one, each with the need it raised."""
        found = []
        for closed in load_cases(self.store, self.reads.closed_cases_of_pupil(case.pupil_id or "")):
            closing, opened = closed.closing(), closed.opened
            if closed.closed_into() != case.id or closing is None or opened is None:
                continue
            found.append(
                {
                    "case_id": closed.id,
                    "raised_by": opened.actor,
                    "raised_on": london_date(opened.occurred_at),
                    "need_areas": closed.need_areas(),
                    "description": opened.data.get("description", ""),
                    **_closing(closing),
                }
            )
        return found

    def log_view(self, principal: Principal, view: CaseView) -> None:
        """Log that ``view``, read without logging, is being shown to the principal after all: and each need closed
        into the case, whose areas and description the page shows, as a view of that case too."""
        self._log_view(principal, view.case.id, view.pupil.id, view.roles)
        for closed in view.closed_into_this:
            self._log_view(principal, closed["case_id"], view.pupil.id, view.roles)

    def _log_view(self, principal: Principal, case_id: str, pupil_id: str, roles: frozenset[str]) -> None:
        self._log(
            principal.username, choose_role(roles, roles) or sorted(roles)[0], "view", "ok", case_id=case_id, pupil_id=pupil_id
        )

    def _open_cases(self, pupil_id: str, leaving_out: str | None = None) -> list[dict[str, Any]]:
        return _named_open_cases(c for c in self.reads.open_cases_of_pupil(pupil_id) if c["case_id"] != leaving_out)

    def open_cases_to_confirm(self, principal: Principal, pupil_id: str) -> list[dict[str, Any]]:
        """The pupil's open cases an opener is asked to look at before opening another (none if the
        pupil is not theirs to open a case for): a form shows them with its other problems, at once."""
        try:
            pupil = self.pupil(pupil_id)
        except NotFound:
            return []
        return self._asked_about(principal, pupil)

    def _asked_about(self, principal: Principal, pupil: Pupil) -> list[dict[str, Any]]:
        return self._open_cases(pupil.id) if self._asked(principal, pupil) else []

    @staticmethod
    def _asked(principal: Principal, pupil: Pupil) -> bool:
        """Only one who reads the school's cases is asked: to a teacher raising a need, which children
        have a case is not theirs to know (the form does not mark them to her either)."""
        return bool(pupil.school_urn and opening_roles(principal, pupil.school_urn) & SCHOOL_CASE_ROLES)

    def _no_case_opened_meanwhile(self, pupil: Pupil, case_id: str) -> AlsoWrite:
        """The look for open cases again, inside the append's transaction with the pupil held: a case opened
        for the child by someone else since the look before it is not to be missed (two unconfirmed cases)."""

        def check(rows: list[dict[str, Any]]) -> None:
            if others := _named_open_cases(rows):
                raise SecondOpenCase(self._second_case_detail(pupil, others), others)

        return self.reads.recheck_open_cases(pupil.id, case_id, check)

    def history(self, principal: Principal, case_id: str) -> list[StoredEvent]:
        _, pupil, roles = self._visible(principal, case_id, "view_events")
        self._log(principal.username, sorted(roles)[0], "view_events", "ok", case_id=case_id, pupil_id=pupil.id)
        return self.store.load(case_id)

    def replay(
        self, principal: Principal, case_id: str, *, upto_version: int | None = None, as_of: datetime | None = None
    ) -> SupportCase:
        _, pupil, roles = self._visible(principal, case_id, "replay")
        self._log(principal.username, sorted(roles)[0], "replay", "ok", case_id=case_id, pupil_id=pupil.id)
        return self._case(case_id, upto_version, as_of)

    def verify(self, principal: Principal, case_id: str) -> ChainReport:
        """Check the case's hash chain (auditors, DSLs and heads)."""
        _, pupil, roles = self._visible(principal, case_id, "verify")
        role = choose_role(roles, VERIFIERS) or (Role.AUDITOR if Role.AUDITOR in roles else None)
        if role is None:
            self._log(principal.username, None, "verify", "forbidden", case_id=case_id, pupil_id=pupil.id)
            raise NotPermitted("only auditors, DSLs and heads may verify a case's history")
        self._log(principal.username, role, "verify", "ok", case_id=case_id, pupil_id=pupil.id)
        return self.store.verify(case_id)

    def access_log(self, principal: Principal, case_id: str) -> list[dict[str, Any]]:
        """Who viewed or acted on the case, when and in which role (auditors only)."""
        _, pupil, roles = self._visible(principal, case_id, "view_access_log")
        if Role.AUDITOR not in roles:
            self._log(principal.username, None, "view_access_log", "forbidden", case_id=case_id, pupil_id=pupil.id)
            raise NotPermitted("only auditors may read the access log")
        entries = self.audit.for_case(case_id)
        self._log(principal.username, Role.AUDITOR, "view_access_log", "ok", case_id=case_id, pupil_id=pupil.id)
        return entries

    # --- writing --------------------------------------------------------------------------------
    def open_case(
        self, principal: Principal, data: Any, occurred_at: datetime | date | None = None, *, confirm_second_case: bool = True
    ) -> SupportCase:
        """Open a case. ``confirm_second_case`` False: refuse (409) while the pupil has an open case the
        opener may read, naming it; the rest of the command is checked first, so a form shows every
        problem at once. True by default, as API-CONTRACT promised every valid request a case."""
        spec = self.workflow.creation
        pupil_id = data.get("pupil_id") if isinstance(data, Mapping) else None
        try:
            pupil = self.pupil(pupil_id) if isinstance(pupil_id, str) else None
        except NotFound:
            pupil = None
        school = pupil.school_urn if pupil else None
        usable = opening_roles(principal, school) if school else frozenset()
        role = choose_role(usable, spec.roles) or choose_role(principal.roles, spec.roles)
        if role is None:
            self._log(principal.username, None, spec.name, "forbidden", pupil_id=pupil_id if isinstance(pupil_id, str) else None)
            raise NotPermitted(f"none of your roles may {spec.label.lower()}")
        case_id = uuid.uuid4().hex
        case = SupportCase(case_id)
        ctx = CaseContext(pupil_in_school=bool(usable and role in usable))
        extra = {"school_urn": school} if school else {}
        try:
            moment, day_only = self._when(occurred_at)
            event = self.workflow.decide(
                case, spec.name, Actor(principal.username, role), data, ctx, moment, extra, day_only=day_only
            )
            also: list[AlsoWrite] = []
            if not confirm_second_case and pupil and self._asked(principal, pupil):
                if others := self._open_cases(pupil.id):
                    raise SecondOpenCase(self._second_case_detail(pupil, others), others)
                also.append(self._no_case_opened_meanwhile(pupil, case_id))
            stored = self.store.append(case_id, CASE, 0, [event], also=also)
        except CaseflowError as error:
            self._log(
                principal.username,
                role,
                spec.name,
                _outcome(error),
                pupil_id=pupil_id if isinstance(pupil_id, str) else None,
                detail=error.detail,
            )
            raise
        for item in stored:
            case.apply(item)
        self._log(principal.username, role, spec.name, "ok", case_id=case_id, pupil_id=pupil.id if pupil else None)
        return case

    def act(
        self,
        principal: Principal,
        case_id: str,
        action: str,
        expected_version: Any,
        data: Any,
        occurred_at: datetime | date | None = None,
        *,
        ask_repeat: bool = False,
        repeat_of: int | None = None,
    ) -> tuple[SupportCase, StoredEvent]:
        """Take one action on a case; return the case after it and the event appended. ``occurred_at``: when it
        happened, if not now; a ``date`` where only the day was given (see ``_when``). ``ask_repeat``: refuse
        (``RecordedAlready``) an entry the same person recorded on the case a short while ago, unless ``repeat_of``
        names it (``refuse_unconfirmed_repeat``); a form asks, the API's clients state the version they read."""
        case, pupil, roles = self._visible(principal, case_id, action)
        role = None
        try:
            spec = self.workflow.action(action)
            role = choose_role(roles, spec.roles)
            if role is None:
                raise NotPermitted(f"your role may not {spec.label.lower()} on this case")
            if isinstance(expected_version, bool) or not isinstance(expected_version, int):
                raise InvalidData({"expected_version": ["must be the whole-number version you last read"]})
            if expected_version != case.version:
                raise ConcurrencyConflict(case_id, expected_version, case.version)
            today = london_date(self.clock())
            ctx = self.context(case, pupil, today)
            moment, day_only = self._when(occurred_at)
            event = self.workflow.decide(case, action, Actor(principal.username, role), data, ctx, moment, day_only=day_only)
            if ask_repeat:
                refuse_unconfirmed_repeat(self.store, case_id, case.version, event, self.clock(), repeat_of)
            logged = self.audit.entry(
                username=principal.username, role=role, action=action, outcome="ok", case_id=case_id, pupil_id=pupil.id
            )
            also = [
                *self._limits_again(case, pupil, action, event, ctx),
                *(self._still_open(case, pupil, action, event) or self._held_while_closing(pupil, event)),
                logged,
            ]
            stored = self.store.append(case_id, CASE, case.version, [event], also=also)
        except CaseflowError as error:
            self._log(principal.username, role, action, _outcome(error), case_id=case_id, pupil_id=pupil.id, detail=error.detail)
            raise
        for item in stored:
            case.apply(item)
        snapshot_if_due(self.store, case, stored[-1].hash)
        return case, stored[-1]

    # --- helpers --------------------------------------------------------------------------------
    def _second_case_detail(self, pupil: Pupil, others: list[dict[str, Any]]) -> str:
        labels = self.workflow.state_labels
        named = " and ".join(
            f"at the step “{labels.get(c['state'], c['state'])}”, opened on {long_date(c['opened_on'])} ({c['case_id']})"
            for c in others
        )
        cases = "an open case" if len(others) == 1 else f"{len(others)} open cases"
        return f"{pupil.given_name} already has {cases}: {named}; to open another, confirm it (confirm_second_case)"

    def _limits_again(self, case: SupportCase, pupil: Pupil, action: str, event: NewEvent, ctx: CaseContext) -> list[AlsoWrite]:
        """Rules that read a pupil's other cases, checked again inside the append's transaction with the
        pupil held: the guards read other cases' decisions before it, and two heads deciding suspensions
        on two cases of one pupil at the same moment must not pass the 45-day limit between them, nor
        suspend the child twice for one day."""
        codes = [code for code in self.workflow.action(action).guards if code in ACROSS_CASES]
        if not codes:
            return []

        def check(others: dict[tuple[str, int], OtherSuspension]) -> None:
            now = replace(ctx, other_suspensions=others, other_suspension_days=by_school_year(others.values()))
            if unmet := [found for code in codes for found in GUARDS[code].check(case, event.data, now, action)]:
                raise GuardFailed(unmet)

        return [self.reads.recheck_other_suspensions(pupil.id, case.id, check)]

    def _still_open(self, case: SupportCase, pupil: Pupil, action: str, event: NewEvent) -> list[AlsoWrite]:
        """A case closed into another of the pupil's cases: that case is looked at again inside the append's
        transaction with the pupil held, so two DSLs closing each of two cases into the other at the same moment
        do not close both, leaving the need open nowhere."""
        codes = [code for code in self.workflow.action(action).guards if code in OPEN_CASE_RULES]
        if not codes:
            return []

        def check(rows: list[dict[str, Any]]) -> None:
            now = CaseContext(other_open_cases=frozenset(row["case_id"] for row in rows))
            if unmet := [found for code in codes for found in GUARDS[code].check(case, event.data, now, action)]:
                raise GuardFailed(unmet)

        return [self.reads.recheck_open_cases(pupil.id, case.id, check)]

    def _held_while_closing(self, pupil: Pupil, event: NewEvent) -> list[AlsoWrite]:
        """A case's close holds the pupil until it commits, as closing another case into it does (``_still_open``):
        otherwise, on PostgreSQL, a need closed into this case at the same moment could read it as open and commit
        beside the close, left "closed into" a closed case. Held so, one waits for the other: that look reads this
        case closed and refuses, or closes into it first. Not left to a projector's own hold of the pupil."""
        if event.data.get(TO_STATE) not in self.workflow.final_states:
            return []
        return [self.reads.hold_pupil(pupil.id)]

    def _when(self, occurred_at: datetime | date | None) -> tuple[datetime, bool]:
        """When it happened, given by the user (may be in the past, never the future) or now; and whether only its day
        was given. A day alone is placed at midday in England (``DAY_PLACED_AT``), or now if that is still to come: the
        event holds the day, so nothing shows the time it is placed at as the time it happened."""
        now = self.clock()
        if occurred_at is None:
            return now, False
        if not isinstance(occurred_at, datetime):
            if occurred_at > london_date(now):
                raise GuardFailed([_future()])
            if occurred_at.year < EARLIEST_OCCURRED_YEAR:
                raise GuardFailed([_too_early()])
            return min(utc(datetime.combine(occurred_at, DAY_PLACED_AT, tzinfo=LONDON)), now), True
        try:
            occurred_at = utc(occurred_at)
        except OverflowError:  # an offset that moves it before the year 1
            raise GuardFailed([_too_early()]) from None
        if occurred_at > now:
            raise GuardFailed([_future()])
        if occurred_at.year < EARLIEST_OCCURRED_YEAR:
            raise GuardFailed([_too_early()])
        return occurred_at, False

    def _log(self, username: str, role: str | None, action: str, outcome: str, **kwargs: Any) -> None:
        self.audit.record(username=username, role=role, action=action, outcome=outcome, **kwargs)


def _future() -> Unmet:
    """On ``occurred_at``, where the API body gives it and the forms that ask the day it happened have their box."""
    return Unmet("occurred_in_future", "When it happened cannot be in the future.", "occurred_at")


def _too_early() -> Unmet:
    return Unmet("occurred_too_early", f"{early_date_problem('When it happened')}.", "occurred_at")


def _named_open_cases(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Open cases as a refusal and a case name them: each case_id, state and opened_on (the day in England)."""
    return [{"case_id": c["case_id"], "state": c["state"], "opened_on": london_date(c["opened_at"])} for c in rows]


def _closing(closing: Fact) -> dict[str, Any]:
    """When and by whom a case was closed into another, and the note given."""
    return {"closed_on": london_date(closing.occurred_at), "closed_by": closing.actor, "note": closing.data.get("note")}


def _outcome(error: CaseflowError) -> str:
    if isinstance(error, RecordedAlready):
        return UNCONFIRMED
    return {403: "forbidden", 404: "not_found", 409: "conflict", 422: "refused"}.get(error.status, "error")
