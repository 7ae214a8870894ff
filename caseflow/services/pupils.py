"""Pupil records: registration (UPN checked) and every fact the school tracks, through the
pupil-record workflow, with the same checks, roles and audit as the support journey.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime
from typing import Any

from caseflow.domain.errors import CaseflowError, ConcurrencyConflict, InvalidData, NotFound, NotPermitted
from caseflow.domain.events import StoredEvent, london_date, now_utc
from caseflow.domain.fields import validate_partly
from caseflow.domain.guards import CaseContext
from caseflow.domain.pupil import Pupil
from caseflow.domain.roles import Actor
from caseflow.domain.upn import UpnError, normalise_upn
from caseflow.domain.workflow import Workflow, with_rules
from caseflow.services.access import Principal, case_roles, choose_role, scope_for
from caseflow.services.ports import AccessLog, EventStore, ReadModels
from caseflow.services.repeats import logged_outcome, refuse_unconfirmed_repeat
from caseflow.services.streams import PUPIL, load_pupil
from workflows import PUPIL_RECORD, REGISTRY

RECORD = Workflow(REGISTRY[PUPIL_RECORD])
REGISTER_FIELDS = RECORD.creation.fields
EPISODE_FIELDS = RECORD.action("record_social_care_episode").fields


class PupilService:
    def __init__(
        self,
        store: EventStore,
        reads: ReadModels,
        audit: AccessLog,
        clock: Callable[[], datetime] = now_utc,
        social_workers: Callable[[], frozenset[str]] | None = None,
    ):
        """``social_workers``: the usernames of the social workers' accounts, for the rule that a plan names
        one of them (the accounts are the composition root's to give; None: not checked)."""
        self.store = store
        self.reads = reads
        self.audit = audit
        self.clock = clock
        self.social_workers = social_workers
        self.workflow = RECORD

    def load(self, pupil_id: str) -> Pupil:
        return load_pupil(self.store, pupil_id)

    def classroom(self, username: str) -> list[tuple[Pupil, list[StoredEvent]]]:
        """The pupils a class teacher teaches, by name, each with the reasonable adjustments agreed on any of
        their cases, newest first. The guidance asks that class teachers know the strategies that help and the
        curriculum 'hotspots' adjusted for a child, who has or has had a social worker, so an adjustment of a
        closed case still stands; nothing else of a case reaches the classroom."""
        taught = []
        for pupil_id in self.reads.pupils_taught_by(username):
            adjustments = [
                event
                for case_id in self.reads.cases_of_pupil(pupil_id)
                for event in self.store.load(case_id)
                if event.event_type == "ReasonableAdjustmentRecorded"
            ]
            adjustments.sort(key=lambda event: (event.occurred_at, event.recorded_at), reverse=True)
            taught.append((self.load(pupil_id), adjustments))
        return sorted(taught, key=lambda item: (item[0].family_name, item[0].given_name))

    def roles_on(self, principal: Principal, pupil: Pupil) -> frozenset[str]:
        """Roles in which the principal may see this pupil (the one access policy; empty: not visible)."""
        social_workers = pupil.allocated_social_workers(london_date(self.clock()))
        scope = scope_for(principal, pupil.school_urn, social_workers, self.reads.school_la)
        return case_roles(principal, scope)

    def _registration(
        self, data: Any, now: datetime, unread: Collection[str] = ()
    ) -> tuple[dict[str, Any], dict[str, list[str]], CaseContext]:
        """A registration's good values, cleaned, and every problem of the rest with the rules the good values
        break (``unread``: values the page could not read, whose rules wait for them); and what the rules knew."""
        spec = self.workflow.creation
        clean, errors = validate_partly(spec.fields, data)
        if "upn" in clean:
            try:
                clean["upn"] = normalise_upn(clean["upn"])
            except UpnError as error:
                errors["upn"] = [str(error)]
                del clean["upn"]
        if "school_urn" in clean and not self.reads.school_exists(clean["school_urn"]):
            errors["school_urn"] = ["No school with this URN"]
            del clean["school_urn"]
        taken = "upn" in clean and self.reads.pupil_id_for_upn(clean["upn"]) is not None
        ctx = CaseContext(upn_taken=taken, today=london_date(now))
        if errors or unread:  # every problem at once: the values', and the rules the good values break
            wrong = {**errors, **{name: ["unread"] for name in unread}}
            errors = with_rules(errors, self.workflow.rules_on_values(Pupil(""), spec, clean, wrong, ctx))
        return clean, errors, ctx

    def problems_besides(self, data: Mapping[str, Any], wrong: Collection[str]) -> dict[str, list[str]]:
        """For a registration form its page refused before the rules saw it (``wrong``: values the page could
        not read, a date that is none): what its other values break, so every problem is told at once, as a
        case's forms tell theirs. Nothing is written."""
        given = {name: value for name, value in data.items() if name not in wrong}
        _, errors, _ = self._registration(given, self.clock(), wrong)
        return {name: messages for name, messages in errors.items() if name not in wrong}

    def register(self, principal: Principal, data: Any) -> Pupil:
        spec = self.workflow.creation
        now = self.clock()
        clean, errors, ctx = self._registration(data, now)
        if errors:
            raise InvalidData(errors)
        held = frozenset(role for role, school in principal.grants if school == clean["school_urn"])
        role = choose_role(held, spec.roles)
        if role is None:
            self.audit.record(username=principal.username, role=None, action=spec.name, outcome="forbidden")
            raise NotPermitted("only the school's DSL, head, senior leaders or SENCo may register its pupils")
        pupil = Pupil(uuid.uuid4().hex)
        event = self.workflow.decide(pupil, spec.name, Actor(principal.username, role), clean, ctx, now)
        for stored in self.store.append(pupil.id, PUPIL, 0, [event]):
            pupil.apply(stored)
        self.audit.record(username=principal.username, role=role, action=spec.name, outcome="ok", pupil_id=pupil.id)
        return pupil

    def action_problems_besides(
        self, pupil: Pupil, action: str, data: Mapping[str, Any], wrong: Collection[str]
    ) -> dict[str, list[str]]:
        """For a form of the pupil's record its page refused before the rules saw it (``wrong``: values the page
        could not read, a date that is none): what its other values break, so every problem is told at once, as
        a case's forms tell theirs. Nothing is written, nor logged (the page's refusal is no attempt)."""
        spec = self.workflow.action(action)
        given = {name: value for name, value in data.items() if name not in wrong}
        clean, errors = validate_partly(spec.fields, given)
        ctx = self._context(pupil, self.clock())
        unread = {**errors, **{name: ["unread"] for name in wrong}}
        found = with_rules(errors, self.workflow.rules_on_values(pupil, spec, clean, unread, ctx))
        return {name: messages for name, messages in found.items() if name not in wrong}

    def _context(self, pupil: Pupil, now: datetime) -> CaseContext:
        """What the record's rules know from outside it: today in England, the social workers' accounts and
        the school's term dates (read only if a rule asks)."""
        calendar = functools.cache(lambda: self.reads.school_calendar(pupil.school_urn or ""))
        return CaseContext(today=london_date(now), social_worker_accounts=self.social_workers, school_calendar=calendar)

    def act(
        self,
        principal: Principal,
        pupil_id: str,
        action: str,
        expected_version: Any,
        data: Any,
        *,
        ask_repeat: bool = False,
        repeat_of: int | None = None,
    ) -> tuple[Pupil, StoredEvent]:
        """Record one fact on a pupil's record, stating the version read. ``ask_repeat``, ``repeat_of``: as a case's
        action takes them (``CaseService.act``)."""
        pupil = self.load(pupil_id)
        roles = self.roles_on(principal, pupil)
        if not roles:
            self.audit.record(username=principal.username, role=None, action=action, outcome="not_found", pupil_id=pupil_id)
            raise NotFound("no such pupil")
        role = None
        try:
            spec = self.workflow.action(action)
            role = choose_role(roles, spec.roles)
            if role is None:
                raise NotPermitted(f"your role may not {spec.label.lower()}")
            if isinstance(expected_version, bool) or not isinstance(expected_version, int):
                raise InvalidData({"expected_version": ["must be the whole-number version you last read"]})
            if expected_version != pupil.version:
                raise ConcurrencyConflict(pupil_id, expected_version, pupil.version)
            now = self.clock()
            ctx = self._context(pupil, now)
            event = self.workflow.decide(pupil, action, Actor(principal.username, role), data, ctx, now)
            if ask_repeat:
                refuse_unconfirmed_repeat(self.store, pupil_id, pupil.version, event, now, repeat_of)
            logged = self.audit.entry(username=principal.username, role=role, action=action, outcome="ok", pupil_id=pupil_id)
            stored = self.store.append(pupil_id, PUPIL, pupil.version, [event], also=[logged])
        except CaseflowError as error:
            outcome = logged_outcome(error)
            self.audit.record(
                username=principal.username, role=role, action=action, outcome=outcome, pupil_id=pupil_id, detail=error.detail
            )
            raise
        for item in stored:
            pupil.apply(item)
        return pupil, stored[-1]

    def record_episode(self, principal: Principal, pupil_id: str, data: Any) -> Pupil:
        """Record a CiN or CP episode at the record's current version (the contract's endpoint)."""
        pupil, _ = self.act(principal, pupil_id, "record_social_care_episode", self.load(pupil_id).version, data)
        return pupil


def pupil_as_dict(pupil: Pupil, as_of: date) -> Mapping[str, Any]:
    return {
        "id": pupil.id,
        "upn": pupil.upn,
        "given_name": pupil.given_name,
        "family_name": pupil.family_name,
        "date_of_birth": pupil.date_of_birth.isoformat() if pupil.date_of_birth else None,
        "school_urn": pupil.school_urn,
        "year_group": pupil.year_group,
        "cohort_status": pupil.cohort_status(as_of),
        "episodes": [e.as_dict() for e in pupil.episodes],
        "care_status": pupil.care_status,
        "send_status": pupil.send_status,
        "key_contact": pupil.key_contact,
        #: as the school's MIS recorded them (pupil_record@4): those decided on a case are on the case
        "suspensions": pupil.suspensions,
        "version": pupil.version,
    }
