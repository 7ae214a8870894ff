"""The web interface: blueprints, the default-deny route policy, errors and headers."""

from __future__ import annotations

import re

from flask import Flask, g
from flask_login import current_user

from caseflow.domain.events import in_england, long_date, long_month, long_time
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
    # only for the roles with a list of cases: for a governor, the auditor, the Virtual School or the
    # administrator, "Cases" opened their own first page under another name, already in the menu
    ("cases.index", "Cases", cases.CASE_LIST_ROLES),
    ("dashboard.cohort", "Cohort", {"dsl", "headteacher", "slt", "senco", "mental_health_lead", "virtual_school", "auditor"}),
    ("dashboard.due", "Reviews due", {"dsl", "headteacher", "slt", "senco", "mental_health_lead"}),
    # the Virtual School's two LA pages: its schools side by side now, and the termly report to share
    ("dashboard.la", "Schools in the LA", {"virtual_school"}),
    ("pupils.roll", "Pupils", {"dsl", "headteacher", "slt", "senco", "mental_health_lead"}),
    ("pupils.classroom", "My classes", {"teacher"}),
    ("imports.upload", "Import", {"dsl", "headteacher", "slt", "senco"}),
    ("terms.index", "Term dates", {"dsl", "headteacher", "slt", "senco", "mental_health_lead"}),
    ("interventions.catalogue", "Interventions", {"dsl", "headteacher", "slt", "senco", "mental_health_lead", "virtual_school"}),
    ("reports.governors", "Governors' report", {"governor", "headteacher", "slt", "dsl", "auditor", "virtual_school"}),
    ("self_assessment.index", "Self-assessment", {"governor", "headteacher", "slt", "dsl"}),
    ("reports.la", "LA termly report", {"virtual_school", "auditor"}),
    ("audit.index", "Audit", {"auditor"}),
    ("admin.index", "Administration", {"admin"}),
)


def nav_links() -> list[tuple[str, str]]:
    if not current_user.is_authenticated:
        return []
    roles = current_user.principal.roles
    return [(endpoint, label) for endpoint, label, audience in NAV if audience is None or roles & audience]


def _names() -> tuple[dict[str, str], dict[str, str]]:
    """Schools' names by URN and LAs' names by code, read once per request: a page names one school or LA,
    or a few. An LA's name is the one its schools' data gives (the first, by school name): never guessed."""
    if "school_names" not in g:
        found = auth.services().accounts.schools()
        g.school_names = {s["urn"]: s["name"] for s in found}
        la_names: dict[str, str] = {}
        for s in found:
            if s["la_code"] and s["la_name"]:
                la_names.setdefault(s["la_code"], s["la_name"])
        g.la_names = la_names
    return g.school_names, g.la_names


def school_named(urn: str) -> str:
    """A school as people know it, by its name, with its URN ("Oakfield Primary School (100001)")."""
    name = _names()[0].get(urn)
    return f"{name} ({urn})" if name else f"School {urn}"


def person(username: str, role: str | None = None) -> str:
    """Someone who acted or looked, as their account names them, with the username the log stores beside it
    ("Dana Shah (dana)"), and the role they acted in where one is given ("Dana Shah (dana, DSL)"). An account
    named by its username, or one that no longer exists, shows the username alone. A name that carries its
    own brackets ("Dana Shah (DSL)") takes the rest inside them, not in a second pair, and leaves out a role
    it already names: "Dana Shah (DSL; dana)". The names are read once per request: the auditor's page names
    a person on every row."""
    if "people_names" not in g:
        g.people_names = auth.services().accounts.display_names()
    name = g.people_names.get(username) or username
    own = name[name.rfind("(") :].lower() if name.endswith(")") and "(" in name else ""
    beside = [username] if name != username else []
    # the role said already where a word of the brackets starts with it ("Head" in "Headteacher"), not where
    # it is inside another word ("Teacher" in "Headteacher"): the auditor reads the role each event was done in
    if role and not re.search(rf"\b{re.escape(label(role).lower())}", own):
        beside.append(label(role))
    if not beside:
        return name
    return f"{name[:-1]}; {', '.join(beside)})" if own else f"{name} ({', '.join(beside)})"


def la_named(code: str) -> str:
    """A local authority as people know it, by its name, with its code ("Essex (881)"); where no school's
    data names it, its code in words ("Local authority 881"), not "LA 881"."""
    name = _names()[1].get(code)
    return f"{name} ({code})" if name else f"Local authority {code}"


def register(app: Flask) -> None:
    app.jinja_env.globals["nav_links"] = nav_links
    app.jinja_env.filters["school_named"] = school_named
    app.jinja_env.filters["person"] = person
    app.jinja_env.filters["la_named"] = la_named
    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.filters["long_time"] = long_time
    app.jinja_env.filters["long_month"] = long_month
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
