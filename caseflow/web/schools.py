"""Which school a school-level page is about. Staff and governors work at a school and see theirs;
auditors and virtual school officers are not bound to one, so a page asked for without a school lets
them choose among those they may read (every school for an auditor, their LA's for an officer)
instead of answering "page not found" to a link in their own navigation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import abort, render_template, request
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from caseflow.domain.roles import Role
from caseflow.web.auth import services
from caseflow.web.forms import options


def school_asked(readers: Iterable[str] | None = None) -> str | None:
    """``?school_urn=``, else the first school the user holds one of ``readers`` at (any role if None)."""
    asked = request.args.get("school_urn")
    if asked:
        if len(asked) > 16:
            abort(404)
        return asked
    allowed = None if readers is None else set(readers)
    own = sorted({s for r, s in current_user.principal.grants if s and (allowed is None or r in allowed)})
    return own[0] if own else None


def choose_school(title: str, endpoint: str) -> Any:
    """The schools this user may read, each a link to ``endpoint`` for it; 404 if there are none."""
    principal = current_user.principal
    schools = services().accounts.schools()
    if Role.AUDITOR in principal.roles:
        visible = schools
    elif Role.VIRTUAL_SCHOOL in principal.roles and principal.la_code:
        visible = [s for s in schools if s["la_code"] == principal.la_code]
    else:
        visible = []
    if not visible:
        abort(404)
    return render_template("schools/choose.html", title=title, endpoint=endpoint, schools=visible)


def school_choices(urns: Iterable[str], none: str | None = None) -> list[SelectChoice]:
    """A form's list of schools, each as pages name it, by name with its URN ("Oakfield Primary School (100001)"),
    in the order of their names, the URN the value sent: a school is chosen, not a number looked up and typed.
    ``none``: the words of the first choice, sent empty, where choosing no school means something."""
    from caseflow.web import school_named  # the package imports this module before it defines its filters

    named = sorted(((urn, school_named(urn)) for urn in urns), key=lambda pair: (pair[1].casefold(), pair[0]))
    return options(([("", none)] if none is not None else []) + named)
