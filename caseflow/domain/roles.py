"""Roles a user may hold in a school, and the actor who performs an action."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    DSL = "dsl"
    HEADTEACHER = "headteacher"
    SLT = "slt"
    SENCO = "senco"
    MENTAL_HEALTH_LEAD = "mental_health_lead"
    TEACHER = "teacher"
    SOCIAL_WORKER = "social_worker"
    VIRTUAL_SCHOOL = "virtual_school"
    GOVERNOR = "governor"
    AUDITOR = "auditor"
    ADMIN = "admin"


ALL_ROLES: frozenset[str] = frozenset(r.value for r in Role)

#: Roles that may read a whole case inside their scope (teachers see only the
#: classroom profile, governors only aggregates, admins no case content).
CASE_READERS: frozenset[str] = frozenset(
    {
        Role.DSL,
        Role.HEADTEACHER,
        Role.SLT,
        Role.SENCO,
        Role.MENTAL_HEALTH_LEAD,
        Role.SOCIAL_WORKER,
        Role.VIRTUAL_SCHOOL,
        Role.AUDITOR,
    }
)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts, and in which role: every event carries both."""

    username: str
    role: str

    def __post_init__(self) -> None:
        if self.role not in ALL_ROLES:
            raise ValueError(f"unknown role {self.role!r}")
