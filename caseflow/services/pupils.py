"""Pupil use cases: register a pupil (UPN checked) and record social-care episodes."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from caseflow.domain.errors import InvalidData, NotFound, NotPermitted
from caseflow.domain.events import NewEvent, now_utc
from caseflow.domain.fields import FieldSpec, validate
from caseflow.domain.pupil import ABUSE_CATEGORIES, PLANS, Pupil
from caseflow.domain.roles import Role
from caseflow.domain.upn import UpnError, normalise_upn
from caseflow.services.access import Principal
from caseflow.services.ports import AccessLog, EventStore, ReadModels
from caseflow.services.streams import PUPIL, load_pupil

PUPIL_WORKFLOW = "pupil_record@1"
#: roles that keep the school's pupil records
PUPIL_KEEPERS = (Role.DSL, Role.HEADTEACHER, Role.SLT, Role.SENCO)

REGISTER_FIELDS = {
    n: FieldSpec.from_dict(n, f)
    for n, f in {
        "upn": {"type": "line", "label": "UPN", "required": True, "max_length": 13},
        "given_name": {"type": "line", "label": "Given name", "required": True, "max_length": 100},
        "family_name": {"type": "line", "label": "Family name", "required": True, "max_length": 100},
        "date_of_birth": {"type": "date", "label": "Date of birth", "required": True},
        "school_urn": {"type": "line", "label": "School URN", "required": True, "max_length": 16},
        "year_group": {"type": "int", "label": "Year group", "min": -2, "max": 14},
    }.items()
}
EPISODE_FIELDS = {
    n: FieldSpec.from_dict(n, f)
    for n, f in {
        "plan": {"type": "choice", "label": "Plan", "choices": list(PLANS), "required": True},
        "start_date": {"type": "date", "label": "Start date", "required": True},
        "end_date": {"type": "date", "label": "End date"},
        "social_worker": {"type": "line", "label": "Social worker (username)", "max_length": 64},
        "category": {"type": "choice", "label": "Category of abuse (CP plans)", "choices": list(ABUSE_CATEGORIES)},
    }.items()
}


class PupilService:
    def __init__(self, store: EventStore, reads: ReadModels, audit: AccessLog, clock: Callable[[], datetime] = now_utc):
        self.store = store
        self.reads = reads
        self.audit = audit
        self.clock = clock

    def _keeper_role(self, principal: Principal, school_urn: str) -> str:
        for role in PUPIL_KEEPERS:
            if principal.has(role, school_urn):
                return role
        raise NotPermitted("only the school's DSL, head, senior leaders or SENCo may keep pupil records")

    def register(self, principal: Principal, data: Any) -> Pupil:
        clean = validate(REGISTER_FIELDS, data)
        try:
            clean["upn"] = normalise_upn(clean["upn"])
        except UpnError as error:
            raise InvalidData({"upn": [str(error)]}) from None
        if date.fromisoformat(clean["date_of_birth"]) > self.clock().date():
            raise InvalidData({"date_of_birth": ["Date of birth cannot be in the future"]})
        if not self.reads.school_exists(clean["school_urn"]):
            raise InvalidData({"school_urn": ["No school with this URN"]})
        role = self._keeper_role(principal, clean["school_urn"])
        if self.reads.pupil_id_for_upn(clean["upn"]) is not None:
            raise InvalidData({"upn": ["A pupil with this UPN is already registered"]})
        pupil_id = uuid.uuid4().hex
        event = NewEvent("PupilRegistered", clean, principal.username, role, self.clock(), PUPIL_WORKFLOW)
        stored = self.store.append(pupil_id, PUPIL, 0, [event])
        self.audit.record(username=principal.username, role=role, action="register_pupil", outcome="ok", pupil_id=pupil_id)
        return Pupil.replay(pupil_id, stored)

    def load(self, pupil_id: str) -> Pupil:
        return load_pupil(self.store, pupil_id)

    def record_episode(self, principal: Principal, pupil_id: str, data: Any) -> Pupil:
        pupil = self.load(pupil_id)
        if not any(s == pupil.school_urn for _, s in principal.grants):
            raise NotFound("no such pupil")
        role = self._keeper_role(principal, pupil.school_urn)
        clean = validate(EPISODE_FIELDS, data)
        if clean.get("end_date") and clean["end_date"] < clean["start_date"]:
            raise InvalidData({"end_date": ["End date cannot be before the start date"]})
        if clean.get("category") and clean["plan"] != "cp":
            raise InvalidData({"category": ["A category of abuse applies to child protection plans only"]})
        event = NewEvent("SocialCareEpisodeRecorded", clean, principal.username, role, self.clock(), PUPIL_WORKFLOW)
        stored = self.store.append(pupil_id, PUPIL, pupil.version, [event])
        for item in stored:
            pupil.apply(item)
        self.audit.record(username=principal.username, role=role, action="record_episode", outcome="ok", pupil_id=pupil_id)
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
        "version": pupil.version,
    }
