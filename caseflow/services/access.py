"""Who may see which case, and in which of their roles: the one access policy.

Default deny: a role grants nothing unless a rule below says so. Objects a user
may not see answer "not found"; actions their role may not take answer "not
permitted".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from caseflow.domain.roles import Role

#: when a user holds several roles that may act, the event records the first in this order
ROLE_PRECEDENCE = (
    Role.DSL,
    Role.HEADTEACHER,
    Role.SLT,
    Role.SENCO,
    Role.MENTAL_HEALTH_LEAD,
    Role.SOCIAL_WORKER,
    Role.VIRTUAL_SCHOOL,
    Role.TEACHER,
)

SCHOOL_CASE_ROLES = frozenset({Role.DSL, Role.HEADTEACHER, Role.SLT, Role.SENCO, Role.MENTAL_HEALTH_LEAD})


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated user and the roles they hold, each in a school or across schools."""

    username: str
    #: (role, school URN or None for roles not tied to one school)
    grants: frozenset[tuple[str, str | None]] = field(default_factory=frozenset)
    la_code: str | None = None

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(role for role, _ in self.grants)

    def has(self, role: str, school_urn: str | None = None) -> bool:
        return (role, school_urn) in self.grants

    def schools_for(self, role: str) -> frozenset[str]:
        return frozenset(s for r, s in self.grants if r == role and s is not None)


@dataclass(frozen=True, slots=True)
class CaseScope:
    """What the policy needs to know about a case."""

    school_urn: str
    school_la: str | None
    allocated_social_workers: frozenset[str]


def scope_for(
    principal: Principal, school_urn: str, social_workers: frozenset[str], school_la: Callable[[str], str | None]
) -> CaseScope:
    """The scope the policy needs to decide this principal's roles. The school's LA decides only a
    Virtual School officer's access, so only theirs reads it: school staff's actions save a round trip."""
    la = school_la(school_urn) if principal.la_code and Role.VIRTUAL_SCHOOL in principal.roles else None
    return CaseScope(school_urn, la, social_workers)


def case_roles(principal: Principal, scope: CaseScope) -> frozenset[str]:
    """The roles in which ``principal`` may read and act on this case (empty: not visible)."""
    roles = set()
    for role, school in principal.grants:
        if (
            (role in SCHOOL_CASE_ROLES and school == scope.school_urn)
            or (role == Role.SOCIAL_WORKER and principal.username in scope.allocated_social_workers)
            or (role == Role.VIRTUAL_SCHOOL and principal.la_code and principal.la_code == scope.school_la)
            or (role == Role.AUDITOR and (school is None or school == scope.school_urn))
        ):
            roles.add(role)
    return frozenset(roles)


def opening_roles(principal: Principal, school_urn: str) -> frozenset[str]:
    """Roles in which the principal may open a case for a pupil of ``school_urn``."""
    return frozenset(
        role for role, school in principal.grants if school == school_urn and role in SCHOOL_CASE_ROLES | {Role.TEACHER}
    )


def choose_role(usable: frozenset[str], allowed: frozenset[str]) -> str | None:
    """The role the event will record: the first, by precedence, that is both held and allowed."""
    for role in ROLE_PRECEDENCE:
        if role in usable and role in allowed:
            return role
    return None
