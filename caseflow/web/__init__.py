"""The web interface: blueprints, the default-deny route policy, errors and headers."""

from __future__ import annotations

from flask import Flask, g
from flask_login import current_user

from caseflow.domain.events import in_england, long_date, long_month, long_time
from caseflow.domain.wording import counted, day_count, label, name_and_title, title_says
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


def _people() -> tuple[dict[str, str], frozenset[str]]:
    """Every account's name, and those whose name another active account bears, read once per request: the
    auditor's page names a person on every row."""
    if "people_names" not in g:
        accounts = auth.services().accounts
        g.people_names, g.namesakes = accounts.display_names(), accounts.namesakes()
    return g.people_names, g.namesakes


def person(username: str, role: str | None = None, with_username: bool = False) -> str:
    """Someone who acted or looked, as staff know them: their account's name with its job title ("Alex Brown
    (Class teacher)"), and the role they acted in where one is given and the title does not say it ("Sam Lewis
    (Deputy head) as SLT"). The username is for matching an account: beside the name on the auditor's pages
    (``with_username``), where log lines are matched to accounts by it, and wherever another active account
    bears the same name ("Alex Brown (Class teacher, username abrown)"), inside the title's brackets. An
    account named by its username, or one that no longer exists, is named by the username alone."""
    names, namesakes = _people()
    name = names.get(username) or username
    if name != username and (with_username or username in namesakes):
        bare, title = name_and_title(name)
        name = f"{bare} ({title}, username {username})" if title else f"{name} (username {username})"
    return name + acting(username, role)


def acting(username: str, role: str | None) -> str:
    """The role someone acted in, as a sentence naming them adds it (" as DSL"), or nothing where no role is
    given or their job title says it already: "By Alex Brown (Class teacher)", not "... as Teacher"."""
    if not role:
        return ""
    title = name_and_title(_people()[0].get(username) or username)[1]
    return "" if title_says(title, role) else f" as {label(role)}"


def la_named(code: str) -> str:
    """A local authority as people know it, by its name, with its code ("Essex (881)"); where no school's
    data names it, its code in words ("Local authority 881"), not "LA 881"."""
    name = _names()[1].get(code)
    return f"{name} ({code})" if name else f"Local authority {code}"


def may_open(endpoint: str) -> bool:
    """Whether the signed-in user may open a page, as its route declares (``policy.allow``): a page links another
    only for those it would not answer 403."""
    from flask import current_app

    audience = policy.audience_of(current_app, endpoint) or frozenset()
    if policy.PUBLIC in audience or (policy.ANY_USER in audience and current_user.is_authenticated):
        return True
    return current_user.is_authenticated and bool(current_user.principal.roles & audience)


def register(app: Flask) -> None:
    app.jinja_env.globals["nav_links"] = nav_links
    app.jinja_env.globals["may_open"] = may_open
    app.jinja_env.filters["school_named"] = school_named
    app.jinja_env.filters["person"] = person
    app.jinja_env.filters["acting"] = acting
    app.jinja_env.filters["day_count"] = day_count
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
