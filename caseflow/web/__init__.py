"""The web interface: blueprints, the default-deny route policy, errors and headers."""

from __future__ import annotations

from flask import Flask, g
from flask_login import current_user

from caseflow.domain.events import in_england, long_date
from caseflow.domain.wording import counted, label
from caseflow.web import (
    admin,
    api,
    audit,
    auth,
    cases,
    dashboard,
    errors,
    imports,
    interventions,
    policy,
    pupils,
    reports,
    self_assessment,
    terms,
)
from workflows.interventions import PROGRAMME_NAMES

#: (endpoint, label, roles that see the link); the routes themselves still check
NAV = (
    ("cases.index", "Cases", None),
    ("dashboard.cohort", "Cohort", {"dsl", "headteacher", "slt", "senco", "mental_health_lead", "virtual_school", "auditor"}),
    ("dashboard.due", "Reviews due", {"dsl", "headteacher", "slt", "senco", "mental_health_lead"}),
    ("dashboard.la", "Local authority", {"virtual_school"}),
    ("pupils.roll", "Pupils", {"dsl", "headteacher", "slt", "senco", "mental_health_lead"}),
    ("pupils.classroom", "My classes", {"teacher"}),
    ("imports.upload", "Import", {"dsl", "headteacher", "slt", "senco"}),
    ("terms.index", "Term dates", {"dsl", "headteacher", "slt", "senco", "mental_health_lead"}),
    ("interventions.catalogue", "Interventions", {"dsl", "headteacher", "slt", "senco", "mental_health_lead", "virtual_school"}),
    ("reports.governors", "Governors' report", {"governor", "headteacher", "slt", "dsl", "auditor", "virtual_school"}),
    ("self_assessment.index", "Self-assessment", {"governor", "headteacher", "slt", "dsl"}),
    ("reports.la", "LA report", {"virtual_school", "auditor"}),
    ("audit.index", "Audit", {"auditor"}),
    ("admin.index", "Administration", {"admin"}),
)


def nav_links() -> list[tuple[str, str]]:
    if not current_user.is_authenticated:
        return []
    roles = current_user.principal.roles
    return [(endpoint, label) for endpoint, label, audience in NAV if audience is None or roles & audience]


def school_named(urn: str) -> str:
    """A school as people know it, by its name, with its URN ("Oakfield Primary School (100001)"). The names
    are read once per request: a page names one school, or a few."""
    if "school_names" not in g:
        g.school_names = {s["urn"]: s["name"] for s in auth.services().accounts.schools()}
    name = g.school_names.get(urn)
    return f"{name} ({urn})" if name else f"School {urn}"


def register(app: Flask) -> None:
    app.jinja_env.globals["nav_links"] = nav_links
    app.jinja_env.filters["school_named"] = school_named
    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.filters["in_england"] = in_england
    app.jinja_env.filters["counted"] = counted
    app.jinja_env.filters["label"] = label
    app.jinja_env.globals["programme_names"] = PROGRAMME_NAMES
    auth.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(pupils.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(imports.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(self_assessment.bp)
    app.register_blueprint(interventions.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(terms.bp)
    errors.init_app(app)
    policy.init_app(app)
