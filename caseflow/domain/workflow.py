"""The workflow engine: runs any definition declared as data in ``workflows/``.

States and transitions are held by a ``transitions`` machine (one static machine
per definition, no model). Roles ride on each transition and are denied by
default; permissions are never ``transitions`` conditions, because a failing
condition returns False silently. Guards are looked up by name in
``caseflow.domain.guards``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from transitions import Machine, Transition

from caseflow.domain.case import FROM_STATE, OCCURRED_ON, TO_STATE, SupportCase
from caseflow.domain.errors import GuardFailed, InvalidData, NotPermitted, UnknownAction, Unmet
from caseflow.domain.events import NewEvent, london_date
from caseflow.domain.fields import FieldSpec, validate_partly
from caseflow.domain.guards import GUARDS, CaseContext
from caseflow.domain.roles import ALL_ROLES, Actor

#: the pseudo-state a case is in before its first event
NEW = "__new__"


class RoleTransition(Transition):
    """A transition that also carries the roles allowed to take it."""

    def __init__(self, *args: Any, roles: frozenset[str] = frozenset(), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.roles = frozenset(roles)


class WorkflowMachine(Machine):
    transition_cls = RoleTransition


def object_schema(fields: Mapping[str, FieldSpec]) -> dict[str, Any]:
    """JSON Schema of an object with these fields (OpenAPI 3.0 forbids an empty ``required``)."""
    schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {n: f.json_schema() for n, f in fields.items()},
    }
    required = sorted(n for n, f in fields.items() if f.required)
    if required:
        schema["required"] = required
    return schema


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """One action of a workflow, as declared."""

    name: str
    label: str
    event_type: str
    sources: frozenset[str]
    dest: str | None
    roles: frozenset[str]
    guards: tuple[str, ...]
    fields: Mapping[str, FieldSpec]

    @property
    def changes_step(self) -> bool:
        return self.dest is not None

    def json_schema(self) -> dict[str, Any]:
        return object_schema(self.fields)


@dataclass(frozen=True, slots=True)
class ActionStatus:
    """What one actor could do now, and what still blocks it."""

    action: ActionSpec
    unmet: tuple[Unmet, ...]

    @property
    def ready(self) -> bool:
        return not self.unmet

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.action.name,
            "label": self.action.label,
            "changes_step": self.action.changes_step,
            "ready": self.ready,
            "unmet": [u.as_dict() for u in self.unmet],
        }


class Workflow:
    """A loaded, checked workflow definition."""

    def __init__(self, definition: Mapping[str, Any]) -> None:
        self.name: str = definition["name"]
        self.version = f"{definition['name']}@{definition['version']}"
        self.states: list[str] = [s["name"] for s in definition["states"]]
        self.state_labels = {s["name"]: s.get("label", s["name"]) for s in definition["states"]}
        self.final_states = frozenset(definition.get("final_states", ()))
        self.initial: str = definition["initial"]
        self.open_states = [s for s in self.states if s not in self.final_states]
        self.actions: dict[str, ActionSpec] = {}
        self.by_event: dict[str, ActionSpec] = {}
        self.machine = WorkflowMachine(
            model=None, states=[NEW, *self.states], initial=NEW, auto_transitions=False, send_event=False
        )
        for raw in definition["actions"]:
            spec = self._load_action(raw)
            self.actions[spec.name] = spec
            self.by_event[spec.event_type] = spec
            for source in sorted(spec.sources):
                self.machine.add_transition(spec.name, source, spec.dest, roles=spec.roles)
        creators = [a for a in self.actions.values() if NEW in a.sources]
        if len(creators) != 1:
            raise ValueError(f"{self.version}: exactly one action must create a case")
        self.creation = creators[0]

    @property
    def event_labels(self) -> dict[str, str]:
        """Each event type as the action that writes it is labelled ('SuspensionProposed' is 'Propose a
        suspension'): a history reads as the forms people filled in, not as the codes the log stores."""
        return {event_type: spec.label for event_type, spec in self.by_event.items()}

    @property
    def date_fields(self) -> dict[str, frozenset[str]]:
        """Each event type's fields declared as dates: an event stores a date as its ISO text, which a page
        writes out (7 December 2026) only if it knows the text is a date, and the declaration is what says so."""
        found: dict[str, set[str]] = {}
        for spec in self.actions.values():
            names = {name for name, field in spec.fields.items() if field.type == "date"}
            if names:
                found.setdefault(spec.event_type, set()).update(names)
        return {event_type: frozenset(names) for event_type, names in found.items()}

    @property
    def field_labels(self) -> dict[str, dict[str, str]]:
        """Each event type's fields as the form that writes them labels them: a timeline reads "Why the family's views
        could not be obtained", as the form asked it, not the code the log stores ("not_obtained_reason")."""
        return {event_type: {name: f.label for name, f in spec.fields.items()} for event_type, spec in self.by_event.items()}

    def _load_action(self, raw: Mapping[str, Any]) -> ActionSpec:
        known = {"name", "label", "event", "source", "dest", "roles", "guards", "fields"}
        if set(raw) - known:
            raise ValueError(f"action {raw.get('name')!r}: unknown keys {sorted(set(raw) - known)}")
        name = raw["name"]
        roles = frozenset(raw.get("roles", ()))
        if not roles:
            raise ValueError(f"action {name!r} names no role: it could never be taken")
        if roles - ALL_ROLES:
            raise ValueError(f"action {name!r}: unknown roles {sorted(roles - ALL_ROLES)}")
        unknown_guards = [g for g in raw.get("guards", ()) if g not in GUARDS]
        if unknown_guards:
            raise ValueError(f"action {name!r}: unknown guards {unknown_guards}")
        source = raw["source"]
        if source is None:
            sources = frozenset({NEW})
        elif source == "*":
            sources = frozenset(self.open_states)
        else:
            sources = frozenset([source] if isinstance(source, str) else source)
        dest = raw.get("dest")
        for state in [*sources - {NEW}, *([dest] if dest else [])]:
            if state not in self.states:
                raise ValueError(f"action {name!r}: unknown state {state!r}")
        fields = {n: FieldSpec.from_dict(n, f) for n, f in raw.get("fields", {}).items()}
        if {FROM_STATE, TO_STATE, OCCURRED_ON} & set(fields):
            raise ValueError(f"action {name!r}: {FROM_STATE}/{TO_STATE}/{OCCURRED_ON} are reserved")
        return ActionSpec(
            name=name,
            label=raw.get("label", name.replace("_", " ").capitalize()),
            event_type=raw["event"],
            sources=sources,
            dest=dest,
            roles=roles,
            guards=tuple(raw.get("guards", ())),
            fields=fields,
        )

    # --- asking -------------------------------------------------------------------------------
    def action(self, name: str) -> ActionSpec:
        try:
            return self.actions[name]
        except KeyError:
            raise UnknownAction(f"there is no action called {name!r}") from None

    def roles_for(self, name: str) -> frozenset[str]:
        return self.action(name).roles

    def is_available(self, state: str | None, name: str) -> bool:
        """Whether the action can be taken from this step at all (by anyone)."""
        event = self.machine.events.get(name)
        return event is not None and (state or NEW) in event.transitions

    def destination(self, state: str | None, name: str) -> str | None:
        transition = self.machine.events[name].transitions[state or NEW][0]
        return transition.dest

    def authorise(self, state: str | None, name: str, role: str) -> ActionSpec:
        """Default deny: raise unless ``role`` may take ``name``; then check the step."""
        spec = self.action(name)
        if role not in spec.roles:
            raise NotPermitted(f"the {role} role may not {spec.label.lower()}")
        if not self.is_available(state, name):
            where = self.state_labels.get(state or "", "a new case")
            raise GuardFailed([Unmet("not_available_in_step", f"“{spec.label}” is not possible at the step “{where}”.")])
        return spec

    def check(
        self, case: SupportCase, spec: ActionSpec, data: Mapping[str, Any], ctx: CaseContext, *, with_input: bool
    ) -> list[Unmet]:
        unmet: list[Unmet] = []
        for code in spec.guards:
            rule = GUARDS[code]
            if rule.needs_input and not with_input:
                continue
            unmet.extend(rule.check(case, data, ctx, spec.name))
        return unmet

    def rules_on_values(
        self, case: Any, spec: ActionSpec, clean: Mapping[str, Any], errors: Mapping[str, Any], ctx: CaseContext
    ) -> list[Unmet]:
        """The rules that ``clean``, the good values of a form whose other values are wrong, break on their
        own: a rule that reads none of the wrong values (``Guard.fields``), and otherwise where it names a
        good value. The rest wait until every value is good."""
        found: list[Unmet] = []
        for code in spec.guards:
            rule = GUARDS[code]
            judged = rule.fields is not None and not errors.keys() & set(rule.fields)
            found.extend(u for u in rule.check(case, clean, ctx, spec.name) if judged or u.field in clean)
        return found

    def available(self, case: SupportCase, roles: frozenset[str], ctx: CaseContext) -> list[ActionStatus]:
        """Actions any of ``roles`` may take at the case's step, with what still blocks each."""
        found = []
        for spec in self.actions.values():
            if spec.roles & roles and self.is_available(case.state, spec.name):
                found.append(ActionStatus(spec, tuple(self.check(case, spec, {}, ctx, with_input=False))))
        return found

    # --- deciding -----------------------------------------------------------------------------
    def decide(
        self,
        case: SupportCase,
        name: str,
        actor: Actor,
        data: Any,
        ctx: CaseContext,
        occurred_at: datetime,
        extra: Mapping[str, Any] | None = None,
        *,
        day_only: bool = False,
    ) -> NewEvent:
        """Check one command against the rules and return the event it causes.

        Order of refusal: unknown action, role, step, invalid data, unmet guards.
        Nothing is changed here; the caller appends the event. ``day_only``: the day it happened was given without
        its time of day, so ``occurred_at`` only places it in that day; the event holds the day (``OCCURRED_ON``),
        and what shows it shows the day, not a time nobody gave.
        """
        spec = self.authorise(case.state, name, actor.role)
        ctx = replace(ctx, occurred_on=london_date(occurred_at))  # the rules judge the day it happened, not the day typed
        clean, errors = validate_partly(spec.fields, data if data is not None else {})
        if errors:
            raise InvalidData(with_rules(errors, self.rules_on_values(case, spec, clean, errors, ctx)))
        unmet = self.check(case, spec, clean, ctx, with_input=True)
        if unmet:
            raise GuardFailed(unmet)
        dest = self.destination(case.state, name)
        event_data = {**clean, **(extra or {})}
        if day_only:
            event_data[OCCURRED_ON] = london_date(occurred_at).isoformat()
        if dest is not None:
            event_data[FROM_STATE] = case.state
            event_data[TO_STATE] = dest
        return NewEvent(
            event_type=spec.event_type,
            data=event_data,
            actor=actor.username,
            role=actor.role,
            occurred_at=occurred_at,
            workflow_version=self.version,
        )


def with_rules(errors: Mapping[str, list[str]], unmet: list[Unmet]) -> dict[str, list[str]]:
    """A form's value problems with the rules its good values break, each on its field."""
    merged = {name: list(messages) for name, messages in errors.items()}
    for requirement in unmet:
        merged.setdefault(requirement.field or "", []).append(requirement.message)
    return merged


def load(definition: Mapping[str, Any]) -> Workflow:
    return Workflow(definition)


__all__ = ["ActionSpec", "ActionStatus", "InvalidData", "Workflow", "load"]
